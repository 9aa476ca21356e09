#include "meridian/index/document.h"

#include <cmath>
#include <map>

#include "meridian/base/date.h"
#include "meridian/base/utf8.h"

namespace meridian::index {
namespace {

// A flattened leaf: a dotted field name and its raw values, in order.
struct Leaf {
  std::string name;
  std::vector<const Json*> values;
};

bool looks_like_point(const Json& v) {
  if (!v.is_object()) return false;
  const Json* lat = v.find("lat");
  const Json* lon = v.find("lon");
  if (!lon) lon = v.find("lng");
  if (lat && lon && lat->is_number() && lon->is_number() && v.size() == 2) return true;
  const Json* type = v.find("type");
  return type && type->is_string() && type->as_string() == "Point" && v.find("coordinates");
}

class Flattener {
 public:
  Flattener(const Schema& schema, const std::vector<FieldDef>& pending)
      : schema_(schema), pending_(pending) {}

  Status walk(const std::string& prefix, const Json& v, int depth) {
    if (depth > 32) return Status::invalid("document nested deeper than 32 levels at '" + prefix + "'");
    if (v.is_object()) {
      if (!prefix.empty() && (is_geo(prefix) || (!known(prefix) && looks_like_point(v)))) {
        leaf(prefix).values.push_back(&v);
        return Status::ok();
      }
      for (const auto& [k, child] : v.as_object()) {
        if (k.empty()) return Status::invalid("empty field name under '" + prefix + "'");
        std::string name = prefix.empty() ? k : prefix + "." + k;
        MERIDIAN_RETURN_IF_ERROR(walk(name, child, depth + 1));
      }
      return Status::ok();
    }
    if (v.is_array()) {
      if (is_geo(prefix) && !v.as_array().empty() && v.as_array()[0].is_number()) {
        leaf(prefix).values.push_back(&v);  // [lon, lat]
        return Status::ok();
      }
      for (const auto& e : v.as_array()) MERIDIAN_RETURN_IF_ERROR(walk(prefix, e, depth + 1));
      return Status::ok();
    }
    if (v.is_null()) return Status::ok();
    if (prefix.empty()) return Status::invalid("a document must be a JSON object");
    leaf(prefix).values.push_back(&v);
    return Status::ok();
  }

  std::vector<Leaf>& leaves() { return leaves_; }

 private:
  const FieldDef* def(const std::string& name) const {
    if (const FieldDef* f = schema_.find(name)) return f;
    for (const auto& f : pending_)
      if (f.name == name) return &f;
    return nullptr;
  }
  bool known(const std::string& name) const { return def(name) != nullptr; }
  bool is_geo(const std::string& name) const {
    const FieldDef* f = def(name);
    return f && f->type == FieldType::kGeoPoint;
  }
  Leaf& leaf(const std::string& name) {
    auto it = index_.find(name);
    if (it != index_.end()) return leaves_[it->second];
    index_.emplace(name, leaves_.size());
    leaves_.push_back(Leaf{name, {}});
    return leaves_.back();
  }

  const Schema& schema_;
  const std::vector<FieldDef>& pending_;
  std::vector<Leaf> leaves_;
  std::map<std::string, size_t> index_;
};

std::string describe(const Json& v) {
  std::string s = v.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

Status type_error(const std::string& doc_id, const FieldDef& f, const Json& v) {
  return Status::invalid("document '" + doc_id + "': field '" + f.name + "' has type " +
                         std::string(field_type_name(f.type)) + ", got " + std::string(v.type_name()) + " " +
                         describe(v));
}

Status add_value(const std::string& doc_id, const FieldDef& f, const Json& v, FieldValues* out,
                 std::vector<analysis::Token>* scratch) {
  switch (f.type) {
    case FieldType::kText: {
      if (!v.is_string()) return type_error(doc_id, f, v);
      const std::string& s = v.as_string();
      uint32_t first = out->tokens.empty() ? 0 : out->tokens.back().position + kArrayPositionGap;
      thread_local std::vector<std::string> surfaces;
      f.analyzer_instance->analyze(s, scratch, first, &surfaces);
      out->length += static_cast<uint32_t>(scratch->size());
      out->tokens.reserve(out->tokens.size() + scratch->size());
      for (auto& t : *scratch) out->tokens.push_back(std::move(t));
      out->surfaces.resize(out->tokens.size() - scratch->size());  // earlier values of the field
      for (auto& w : surfaces) out->surfaces.push_back(std::move(w));
      if (s.size() <= kMaxTextColumnBytes) out->keywords.push_back(s);
      return Status::ok();
    }
    case FieldType::kKeyword: {
      if (!v.is_string()) return type_error(doc_id, f, v);
      const std::string& s = v.as_string();
      out->keywords.push_back(s.size() <= kMaxKeywordBytes ? s : s.substr(0, kMaxKeywordBytes));
      return Status::ok();
    }
    case FieldType::kInt: {
      if (v.is_int()) { out->ints.push_back(v.as_int()); return Status::ok(); }
      if (v.is_double()) {
        double d = v.as_double();
        if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.2e18) {
          out->ints.push_back(static_cast<int64_t>(d));
          return Status::ok();
        }
        // Not truncated (Elasticsearch would store 20 for 20.5): a fraction
        // is data, and the mapping is the place to say it is a float.
        return Status::invalid(type_error(doc_id, f, v).message() +
                               " (an int field holds whole numbers only; map it as float to keep the fraction)");
      }
      return type_error(doc_id, f, v);
    }
    case FieldType::kFloat: {
      if (!v.is_number()) return type_error(doc_id, f, v);
      double d = v.as_double();
      if (!std::isfinite(d)) return type_error(doc_id, f, v);
      out->doubles.push_back(d);
      return Status::ok();
    }
    case FieldType::kBool: {
      if (!v.is_bool()) return type_error(doc_id, f, v);
      out->ints.push_back(v.as_bool() ? 1 : 0);
      return Status::ok();
    }
    case FieldType::kDate: {
      if (v.is_int()) { out->ints.push_back(v.as_int()); return Status::ok(); }
      if (!v.is_string()) return type_error(doc_id, f, v);
      auto ms = parse_rfc3339_millis(v.as_string());
      if (!ms) return Status::invalid("document '" + doc_id + "': field '" + f.name + "': " + ms.status().message());
      out->ints.push_back(*ms);
      return Status::ok();
    }
    case FieldType::kGeoPoint: {
      auto pts = geo::parse_points(v, f.name);
      if (!pts) return Status::invalid("document '" + doc_id + "': " + pts.status().message());
      for (const auto& p : *pts) out->points.push_back(p);
      return Status::ok();
    }
  }
  return Status::internal("unhandled field type");
}

}  // namespace

Result<std::string> document_id(const Json& doc, const std::string& id_field) {
  if (!doc.is_object()) return Status::invalid("a document must be a JSON object, got " + std::string(doc.type_name()));
  const Json* id = doc.find(id_field);
  if (!id) return Status::invalid("document has no '" + id_field + "' field (the index's id field)");
  if (id->is_string()) {
    if (id->as_string().empty()) return Status::invalid("document id '" + id_field + "' is an empty string");
    const std::string& s = id->as_string();
    if (s.size() > 512) return Status::invalid("document id longer than 512 bytes");
    for (size_t i = 0; i < s.size();) {  // a CSV cell or CDC row can carry any bytes
      size_t n = utf8_seq_len(reinterpret_cast<const unsigned char*>(s.data()) + i, s.size() - i);
      if (n == 0) return Status::invalid("document id is not valid UTF-8 (byte " + std::to_string(i + 1) + ")");
      i += n;
    }
    return s;
  }
  if (id->is_int()) return std::to_string(id->as_int());
  return Status::invalid("document id '" + id_field + "' must be a string or an integer, got " +
                         std::string(id->type_name()));
}

Result<ParsedDoc> parse_document(const Json& doc, const Schema& schema, std::vector<FieldDef>* new_fields) {
  ParsedDoc out;
  MERIDIAN_ASSIGN_OR_RETURN(out.id, document_id(doc, schema.id_field()));
  out.source = doc.dump();
  std::vector<FieldDef> pending;
  Flattener flat(schema, pending);
  // Field definitions for unknown leaves are created first so that the
  // flattener sees geo points it inferred as leaves on later passes.
  MERIDIAN_RETURN_IF_ERROR(flat.walk("", doc, 0));
  std::vector<analysis::Token> scratch;
  out.fields.reserve(flat.leaves().size());
  for (const Leaf& leaf : flat.leaves()) {
    if (leaf.name == schema.id_field()) continue;  // the id is not a searchable field
    const FieldDef* f = schema.find(leaf.name);
    if (!f) {
      for (const auto& p : pending)
        if (p.name == leaf.name) f = &p;
    }
    if (!f) {
      Status vs = validate_field_name(leaf.name);
      if (!vs.is_ok()) return Status::invalid("document '" + out.id + "': " + vs.message());
      FieldDef def;
      def.name = leaf.name;
      const Json& first = *leaf.values.front();
      if (looks_like_point(first)) {
        def.type = FieldType::kGeoPoint;
      } else {
        auto t = Schema::infer_type(first);
        if (!t) continue;
        def.type = *t;
      }
      // Build analyzers through a scratch schema so FieldDef is complete.
      Schema tmp;
      MERIDIAN_RETURN_IF_ERROR(tmp.add(def));
      pending.push_back(*tmp.find(def.name));
      f = &pending.back();
    }
    FieldValues fv;
    fv.def = f;
    fv.name = f->name;
    for (const Json* v : leaf.values) MERIDIAN_RETURN_IF_ERROR(add_value(out.id, *f, *v, &fv, &scratch));
    out.fields.push_back(std::move(fv));
  }
  // FieldValues::def must stay valid: point pending fields at the copies the
  // caller will own once it adds them (the caller re-resolves by name).
  for (auto& fv : out.fields)
    for (const auto& p : pending)
      if (p.name == fv.name) fv.def = nullptr;
  if (new_fields)
    for (auto& p : pending) new_fields->push_back(std::move(p));
  return out;
}

}  // namespace meridian::index
