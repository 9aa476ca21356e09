#include "meridian/server/compat_mapping.h"

#include <set>

#include "meridian/cluster/shard_map.h"

namespace meridian::server::compat {
namespace {

const std::set<std::string, std::less<>> kIgnoredOptions = {"index", "doc_values", "store", "ignore_above", "format",
                                                            "null_value", "norms", "coerce", "scaling_factor",
                                                            "ignore_malformed", "boost", "similarity", "search_analyzer"};

// An OpenSearch analyzer name as Meridian analyzer options.
Result<Json> analyzer_options(const std::string& field, const std::string& name) {
  static const std::pair<const char*, const char*> kLanguages[] = {
      {"english", "en"}, {"french", "fr"},     {"german", "de"},  {"spanish", "es"},  {"italian", "it"},
      {"portuguese", "pt"}, {"dutch", "nl"}, {"swedish", "sv"}, {"norwegian", "no"}, {"danish", "da"},
      {"finnish", "fi"}, {"russian", "ru"}, {"turkish", "tr"}, {"hungarian", "hu"}, {"romanian", "ro"}};
  Json out = Json::object();
  if (name == "standard") {
    out.set("language", Json("none"));
    return out;
  }
  if (name == "keyword") {
    out.set("keyword", Json(true));
    return out;
  }
  for (const auto& [os, iso] : kLanguages) {
    if (name == os) {
      out.set("language", Json(iso));
      return out;
    }
  }
  return Status::invalid("analyzer [" + name + "] on field [" + field +
                         "] is not supported (standard, keyword or a language analyzer such as english)");
}

Status add_properties(const Json& props, const std::string& prefix, Json* fields) {
  if (!props.is_object()) return Status::invalid("[properties] of [" + (prefix.empty() ? "_doc" : prefix) + "] must be an object");
  for (const auto& [name, def] : props.as_object()) {
    std::string full = prefix.empty() ? name : prefix + "." + name;
    if (!def.is_object()) return Status::invalid("Expected map for property [" + full + "] but got " + std::string(def.type_name()));
    const Json* type = def.find("type");
    const Json* sub = def.find("properties");
    std::string t = type && type->is_string() ? type->as_string() : (sub ? "object" : "");
    if (type && !type->is_string()) return Status::invalid("[type] of field [" + full + "] must be a string");
    if (t.empty()) return Status::invalid("No type specified for field [" + full + "]");
    if (t == "object") {
      if (!sub) continue;  // an object with no declared fields: dynamic
      MERIDIAN_RETURN_IF_ERROR(add_properties(*sub, full, fields));
      continue;
    }
    std::string mtype;
    if (t == "text" || t == "match_only_text") mtype = "text";
    else if (t == "keyword" || t == "constant_keyword") mtype = "keyword";
    else if (t == "integer" || t == "long" || t == "short" || t == "byte") mtype = "int";
    else if (t == "float" || t == "double" || t == "half_float" || t == "scaled_float") mtype = "float";
    else if (t == "date") mtype = "date";
    else if (t == "boolean") mtype = "bool";
    else if (t == "geo_point") mtype = "geo_point";
    else
      return Status::invalid("No handler for type [" + t + "] declared on field [" + full +
                             "] (supported: text, keyword, integer, long, short, byte, float, double, half_float, "
                             "scaled_float, date, boolean, geo_point, object; docs/COMPAT.md)");
    Json f = Json::object();
    f.set("type", Json(mtype));
    for (const auto& [k, v] : def.as_object()) {
      if (k == "type" || kIgnoredOptions.count(k)) continue;
      if (k == "analyzer" && mtype == "text") {
        if (!v.is_string()) return Status::invalid("[analyzer] of field [" + full + "] must be a string");
        MERIDIAN_ASSIGN_OR_RETURN(Json a, analyzer_options(full, v.as_string()));
        for (const auto& [ak, av] : a.as_object()) f.set(ak, av);
        continue;
      }
      if (k == "fields")
        return Status::invalid("multi-fields ([fields] of field [" + full +
                               "]) are not supported; sort and aggregate on the field itself (docs/COMPAT.md)");
      return Status::invalid("unsupported mapping parameter [" + k + "] on field [" + full + "]");
    }
    fields->set(full, std::move(f));
  }
  return Status::ok();
}

}  // namespace

Result<Json> mapping_to_schema(const Json& mapping) {
  if (!mapping.is_object()) return Status::invalid("mappings: expected an object, got " + std::string(mapping.type_name()));
  Json fields = Json::object();
  for (const auto& [k, v] : mapping.as_object()) {
    if (k == "properties") {
      MERIDIAN_RETURN_IF_ERROR(add_properties(v, "", &fields));
    } else if (k == "dynamic") {
      if (v.is_bool() ? !v.as_bool() : (v.is_string() && v.as_string() != "true"))
        return Status::invalid("[dynamic] " + v.dump() + " is not supported: Meridian maps new fields dynamically");
    } else if (k != "_source" && k != "_meta" && k != "date_detection" && k != "numeric_detection") {
      return Status::invalid("Root mapping definition has unsupported parameters: [" + k + "]");
    }
  }
  Json out = Json::object();
  out.set("fields", std::move(fields));
  out.set("id_field", Json(kCompatIdField));
  return out;
}

Result<Json> create_body_to_schema(const Json& body, std::vector<std::string>* aliases) {
  if (body.is_null()) return mapping_to_schema(Json::object());
  if (!body.is_object()) return Status::invalid("request body: expected an object");
  Json mapping = Json::object();
  for (const auto& [k, v] : body.as_object()) {
    if (k == "mappings") {
      mapping = v;
    } else if (k == "aliases") {
      if (!v.is_object()) return Status::invalid("[aliases] must be an object");
      for (const auto& [name, ignored] : v.as_object()) aliases->push_back(name);
    } else if (k != "settings") {
      return Status::invalid("unknown key [" + k + "] in the index body (expected settings, mappings, aliases)");
    }
  }
  return mapping_to_schema(mapping);
}

namespace {

// One count setting: an integer or a string of digits within [lo, hi].
Status read_setting(const Json& v, const std::string& name, int64_t lo, int64_t hi, int64_t* out) {
  int64_t n = -1;
  if (v.is_int()) {
    n = v.as_int();
  } else if (v.is_string() && !v.as_string().empty() && v.as_string().size() <= 9 &&
             v.as_string().find_first_not_of("0123456789") == std::string::npos) {
    n = std::stoll(v.as_string());
  } else {
    return Status::invalid("Failed to parse value [" + (v.is_string() ? v.as_string() : v.dump()) + "] for setting [index." +
                           name + "]: expected an integer");
  }
  if (n < lo || n > hi)
    return Status::invalid("Failed to parse value [" + std::to_string(n) + "] for setting [index." + name + "] must be from " +
                           std::to_string(lo) + " to " + std::to_string(hi));
  *out = n;
  return Status::ok();
}

}  // namespace

Result<ShardCounts> create_body_shard_counts(const Json& body) {
  ShardCounts out;
  const Json* settings = body.is_object() ? body.find("settings") : nullptr;
  if (!settings || settings->is_null()) return out;
  if (!settings->is_object()) return Status::invalid("[settings] must be an object");
  auto lookup = [&](const std::string& name) -> const Json* {
    if (const Json* v = settings->find(name)) return v;
    if (const Json* v = settings->find("index." + name)) return v;
    const Json* ix = settings->find("index");
    return ix && ix->is_object() ? ix->find(name) : nullptr;
  };
  int64_t n = 0;
  if (const Json* v = lookup("number_of_shards")) {
    MERIDIAN_RETURN_IF_ERROR(read_setting(*v, "number_of_shards", 1, cluster::kMaxShards, &n));
    out.shards = static_cast<uint32_t>(n);
  }
  if (const Json* v = lookup("number_of_replicas")) {
    MERIDIAN_RETURN_IF_ERROR(read_setting(*v, "number_of_replicas", 0, cluster::kMaxReplicas - 1, &n));
    out.replicas = static_cast<uint32_t>(n) + 1;
  }
  return out;
}

Json schema_to_mapping(const index::Schema& schema) {
  Json props = Json::object();
  for (const auto& [name, def] : schema.fields()) {
    if (name == schema.id_field()) continue;
    std::string type;
    switch (def.type) {
      case index::FieldType::kText: type = "text"; break;
      case index::FieldType::kKeyword: type = "keyword"; break;
      case index::FieldType::kInt: type = "long"; break;
      case index::FieldType::kFloat: type = "double"; break;
      case index::FieldType::kBool: type = "boolean"; break;
      case index::FieldType::kDate: type = "date"; break;
      case index::FieldType::kGeoPoint: type = "geo_point"; break;
    }
    // "a.b.c" → properties.a.properties.b.properties.c
    Json* level = &props;
    std::string rest = name;
    for (size_t dot; (dot = rest.find('.')) != std::string::npos; rest = rest.substr(dot + 1)) {
      std::string part = rest.substr(0, dot);
      if (!level->find(part)) {
        Json obj = Json::object();
        obj.set("properties", Json::object());
        level->set(part, std::move(obj));
      }
      Json* node = level->find(part);
      if (!node->find("properties")) node->set("properties", Json::object());
      level = node->find("properties");
    }
    Json f = Json::object();
    f.set("type", Json(type));
    level->set(rest, std::move(f));
  }
  Json out = Json::object();
  out.set("properties", std::move(props));
  return out;
}

}  // namespace meridian::server::compat
