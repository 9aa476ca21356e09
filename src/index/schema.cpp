#include "meridian/index/schema.h"

#include "meridian/base/date.h"

namespace meridian::index {

std::string_view field_type_name(FieldType t) {
  switch (t) {
    case FieldType::kText: return "text";
    case FieldType::kKeyword: return "keyword";
    case FieldType::kInt: return "int";
    case FieldType::kFloat: return "float";
    case FieldType::kBool: return "bool";
    case FieldType::kDate: return "date";
    case FieldType::kGeoPoint: return "geo_point";
  }
  return "?";
}

Result<FieldType> parse_field_type(std::string_view name) {
  if (name == "text") return FieldType::kText;
  if (name == "keyword") return FieldType::kKeyword;
  if (name == "int" || name == "integer" || name == "long") return FieldType::kInt;
  if (name == "float" || name == "double") return FieldType::kFloat;
  if (name == "bool" || name == "boolean") return FieldType::kBool;
  if (name == "date") return FieldType::kDate;
  if (name == "geo_point") return FieldType::kGeoPoint;
  return Status::invalid("unknown field type '" + std::string(name) +
                         "' (expected text, keyword, int, float, bool, date or geo_point)");
}

Json FieldDef::to_json() const {
  Json j;
  j.set("type", std::string(field_type_name(type)));
  if (type == FieldType::kText) {
    Json a = analyzer.to_json();
    for (auto& [k, v] : a.as_object()) j.set(k, v);
    if (!positions) j.set("positions", false);
  }
  return j;
}

Result<FieldDef> FieldDef::from_json(std::string name, const Json& j) {
  MERIDIAN_RETURN_IF_ERROR(validate_field_name(name));
  FieldDef f;
  f.name = std::move(name);
  if (j.is_string()) {
    MERIDIAN_ASSIGN_OR_RETURN(f.type, parse_field_type(j.as_string()));
  } else if (j.is_object()) {
    const Json* t = j.find("type");
    if (!t || !t->is_string()) return Status::invalid("field '" + f.name + "': missing string 'type'");
    MERIDIAN_ASSIGN_OR_RETURN(f.type, parse_field_type(t->as_string()));
    Json rest = Json::object();
    for (const auto& [k, v] : j.as_object()) {
      if (k == "type") continue;
      if (k == "positions") {
        if (!v.is_bool()) return Status::invalid("field '" + f.name + "': 'positions' must be a bool");
        f.positions = v.as_bool();
        continue;
      }
      if (f.type != FieldType::kText)
        return Status::invalid("field '" + f.name + "': unknown option '" + k + "' for type " +
                               std::string(field_type_name(f.type)));
      rest.set(k, v);
    }
    if (f.type == FieldType::kText) {
      auto cfg = analysis::AnalyzerConfig::from_json(rest);
      if (!cfg) return cfg.status().with_context("field '" + f.name + "'");
      f.analyzer = *cfg;
    }
  } else {
    return Status::invalid("field '" + f.name + "': expected a type name or an object");
  }
  return f;
}

Result<Schema> Schema::from_json(const Json& j) {
  Schema s;
  if (j.is_null()) return s;
  if (!j.is_object()) return Status::invalid("schema: expected an object");
  for (const auto& [k, v] : j.as_object()) {
    if (k == "id_field") {
      if (!v.is_string() || v.as_string().empty()) return Status::invalid("schema: 'id_field' must be a non-empty string");
      s.id_field_ = v.as_string();
    } else if (k == "fields") {
      if (!v.is_object()) return Status::invalid("schema: 'fields' must be an object");
      for (const auto& [name, def] : v.as_object()) {
        MERIDIAN_ASSIGN_OR_RETURN(FieldDef f, FieldDef::from_json(name, def));
        MERIDIAN_RETURN_IF_ERROR(s.add(std::move(f)));
      }
    } else {
      return Status::invalid("schema: unknown key '" + k + "' (expected 'fields' or 'id_field')");
    }
  }
  return s;
}

Json Schema::to_json() const {
  Json fields = Json::object();
  for (const auto& [name, f] : fields_) fields.set(name, f.to_json());
  Json j;
  j.set("id_field", id_field_);
  j.set("fields", std::move(fields));
  return j;
}

const FieldDef* Schema::find(std::string_view name) const {
  auto it = fields_.find(name);
  return it == fields_.end() ? nullptr : &it->second;
}

Status Schema::add(FieldDef def) {
  if (const FieldDef* old = find(def.name)) {
    if (old->type != def.type)
      return Status::exists("field '" + def.name + "' already has type " + std::string(field_type_name(old->type)) +
                            ", cannot redefine it as " + std::string(field_type_name(def.type)));
    return Status::ok();
  }
  if (def.type == FieldType::kText) {
    auto a = analysis::Analyzer::create(def.analyzer);
    if (!a) return a.status().with_context("field '" + def.name + "'");
    def.analyzer_instance = *a;
  } else if (def.type == FieldType::kKeyword) {
    analysis::AnalyzerConfig kc;
    kc.keyword = true;
    kc.fold_accents = false;
    kc.stem = false;
    auto a = analysis::Analyzer::create(kc);
    if (!a) return a.status();
    def.analyzer_instance = *a;
  }
  std::string name = def.name;
  fields_.emplace(std::move(name), std::move(def));
  return Status::ok();
}

Status Schema::merge(const Schema& other) {
  for (const auto& [name, f] : other.fields_) MERIDIAN_RETURN_IF_ERROR(add(f));
  return Status::ok();
}

std::optional<FieldType> Schema::infer_type(const Json& value) {
  switch (value.type()) {
    case Json::Type::kString:
      return parse_rfc3339_millis(value.as_string()).is_ok() ? FieldType::kDate : FieldType::kText;
    case Json::Type::kInt: return FieldType::kInt;
    case Json::Type::kDouble: return FieldType::kFloat;
    case Json::Type::kBool: return FieldType::kBool;
    case Json::Type::kArray:
      for (const auto& e : value.as_array())
        if (auto t = infer_type(e)) return t;
      return std::nullopt;
    default: return std::nullopt;
  }
}

Status validate_index_name(std::string_view name) {
  if (name.empty() || name.size() > 128)
    return Status::invalid("index name must be 1 to 128 characters");
  if (name[0] == '.' || name[0] == '_' || name[0] == '-')
    return Status::invalid("index name '" + std::string(name) + "' must not start with '.', '_' or '-'");
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    if (!ok)
      return Status::invalid("index name '" + std::string(name) +
                             "' may only contain lowercase letters, digits, '_', '-' and '.'");
  }
  return Status::ok();
}

Status validate_field_name(std::string_view name) {
  if (name.empty()) return Status::invalid("empty field name");
  if (name.size() > 256) return Status::invalid("field name longer than 256 bytes");
  if (name[0] == '_') return Status::invalid("field name '" + std::string(name) + "' is reserved (starts with '_')");
  if (name.find('\0') != std::string_view::npos) return Status::invalid("field name contains a NUL byte");
  return Status::ok();
}

}  // namespace meridian::index
