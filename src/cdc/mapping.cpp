#include "meridian/cdc/mapping.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <set>

#include "meridian/base/date.h"
#include "meridian/cdc/geometry.h"

namespace meridian::cdc {
namespace {

Json point_json(geo::LatLon p) { return Json(Json::Object{{"lat", Json(p.lat)}, {"lon", Json(p.lon)}}); }

std::optional<int64_t> parse_int(const std::string& s) {
  if (s.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno || *end) return std::nullopt;
  return static_cast<int64_t>(v);
}

std::optional<double> parse_double(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (*end || !std::isfinite(v)) return std::nullopt;
  return v;
}

// PostgreSQL text timestamps: "2024-05-01 12:30:00.25+02", "2024-05-01 12:30:00"
// (no zone: UTC), "2024-05-01". Returns RFC 3339.
std::string pg_timestamp_to_rfc3339(std::string s) {
  if (s.size() > 10 && s[10] == ' ') s[10] = 'T';
  if (s.size() <= 10) return s;
  size_t tz = s.find_first_of("+-Z", 11);
  if (tz == std::string::npos) return s + "Z";
  if (s[tz] == 'Z') return s;
  std::string zone = s.substr(tz + 1);
  if (zone.size() == 2) zone += ":00";
  else if (zone.size() == 4 && zone.find(':') == std::string::npos) zone = zone.substr(0, 2) + ":" + zone.substr(2);
  return s.substr(0, tz + 1) + zone;
}

std::string scalar_text(const Json& v) {
  if (v.is_string()) return v.as_string();
  if (v.is_bool()) return v.as_bool() ? "true" : "false";
  return v.dump();
}

}  // namespace

Result<Json> convert_value(const Json& v, index::FieldType type, std::string_view column) {
  using index::FieldType;
  auto fail = [&](std::string_view what) {
    return Status::invalid("column '" + std::string(column) + "': cannot convert " + v.dump() + " to " +
                           std::string(what));
  };
  if (v.is_null()) return Json();
  if (v.is_array() && type != FieldType::kGeoPoint) {
    Json out = Json::array();
    for (const auto& e : v.as_array()) {
      MERIDIAN_ASSIGN_OR_RETURN(Json c, convert_value(e, type, column));
      if (!c.is_null()) out.push(std::move(c));
    }
    return out;
  }
  switch (type) {
    case FieldType::kText:
    case FieldType::kKeyword:
      return Json(scalar_text(v));
    case FieldType::kInt:
      if (v.is_int()) return v;
      if (v.is_bool()) return Json(int64_t{v.as_bool() ? 1 : 0});
      // A whole double within int64's range (2^63 itself is not: it would overflow).
      if (v.is_double() && std::trunc(v.as_double()) == v.as_double() && v.as_double() >= -9223372036854775808.0 &&
          v.as_double() < 9223372036854775808.0)
        return Json(static_cast<int64_t>(v.as_double()));
      if (v.is_string())
        if (auto i = parse_int(v.as_string())) return Json(*i);
      return fail("int");
    case FieldType::kFloat:
      if (v.is_number()) return Json(v.as_double());
      if (v.is_string())
        if (auto d = parse_double(v.as_string())) return Json(*d);
      return fail("float");
    case FieldType::kBool:
      if (v.is_bool()) return v;
      if (v.is_int()) return Json(v.as_int() != 0);
      if (v.is_string()) {
        const std::string& s = v.as_string();
        if (s == "t" || s == "true" || s == "1" || s == "y") return Json(true);
        if (s == "f" || s == "false" || s == "0" || s == "n") return Json(false);
      }
      return fail("bool");
    case FieldType::kDate:
      if (v.is_int()) return v;  // epoch milliseconds
      if (v.is_string()) {
        std::string s = pg_timestamp_to_rfc3339(v.as_string());
        if (parse_rfc3339_millis(s).is_ok()) return Json(s);
      }
      return fail("date");
    case FieldType::kGeoPoint: {
      auto p = decode_point_value(v, column);
      if (!p) return p.status();
      return point_json(*p);
    }
  }
  return fail("?");
}

Result<ColumnMapping> ColumnMapping::from_json(const Json& j) {
  ColumnMapping m;
  if (j.is_null()) return m;
  if (!j.is_object()) return Status::invalid("mapping: expected an object");
  for (const auto& [k, v] : j.as_object()) {
    if (k == "id_column") {
      if (!v.is_string() || v.as_string().empty()) return Status::invalid("mapping.id_column: expected a column name");
      m.id_column_ = v.as_string();
    } else if (k == "other_columns") {
      if (!v.is_string() || (v.as_string() != "include" && v.as_string() != "drop"))
        return Status::invalid("mapping.other_columns: expected \"include\" or \"drop\"");
      m.include_other_ = v.as_string() == "include";
    } else if (k == "columns") {
      if (!v.is_object()) return Status::invalid("mapping.columns: expected an object");
      for (const auto& [col, spec] : v.as_object()) {
        std::string path = "mapping.columns." + col;
        if (spec.is_null()) {
          m.columns_[col] = std::nullopt;
          continue;
        }
        ColumnRule r{col, std::nullopt};
        if (spec.is_string()) {
          r.field = spec.as_string();
        } else if (spec.is_object()) {
          for (const auto& [sk, sv] : spec.as_object()) {
            if (sk == "field" && sv.is_string()) r.field = sv.as_string();
            else if (sk == "type" && sv.is_string()) {
              auto t = index::parse_field_type(sv.as_string());
              if (!t) return t.status().with_context(path + ".type");
              r.type = *t;
            } else {
              return Status::invalid(path + ": unknown or mistyped key '" + sk + "'");
            }
          }
        } else {
          return Status::invalid(path + ": expected a field name, an object or null");
        }
        MERIDIAN_RETURN_IF_ERROR(index::validate_field_name(r.field).with_context(path));
        m.columns_[col] = r;
      }
    } else if (k == "geo") {
      if (!v.is_array()) return Status::invalid("mapping.geo: expected an array");
      for (const auto& g : v.as_array()) {
        GeoRule r;
        auto str = [&](const char* key) -> std::string {
          const Json* x = g.find(key);
          return x && x->is_string() ? x->as_string() : std::string();
        };
        r.field = str("field");
        r.lat = str("lat");
        r.lon = str("lon");
        r.column = str("column");
        if (!g.is_object() || r.field.empty() || (r.column.empty() == (r.lat.empty() || r.lon.empty())))
          return Status::invalid("mapping.geo: each entry needs \"field\" and either \"column\" or \"lat\"+\"lon\"");
        m.geo_.push_back(r);
      }
    } else {
      return Status::invalid("mapping: unknown key '" + k + "'");
    }
  }
  return m;
}

Json ColumnMapping::to_json() const {
  Json j = Json::object();
  j.set("id_column", Json(id_column_));
  Json cols = Json::object();
  for (const auto& [c, r] : columns_) {
    if (!r) {
      cols.set(c, Json());
    } else {
      Json s = Json::object();
      s.set("field", Json(r->field));
      if (r->type) s.set("type", Json(std::string(index::field_type_name(*r->type))));
      cols.set(c, std::move(s));
    }
  }
  j.set("columns", std::move(cols));
  Json geo = Json::array();
  for (const auto& g : geo_) {
    Json e = Json::object();
    e.set("field", Json(g.field));
    if (g.column.empty()) {
      e.set("lat", Json(g.lat));
      e.set("lon", Json(g.lon));
    } else {
      e.set("column", Json(g.column));
    }
    geo.push(std::move(e));
  }
  j.set("geo", std::move(geo));
  j.set("other_columns", Json(include_other_ ? "include" : "drop"));
  return j;
}

index::Schema ColumnMapping::schema_fields() const {
  index::Schema s;
  for (const auto& [c, r] : columns_)
    if (r && r->type) {
      index::FieldDef d;
      d.name = r->field;
      d.type = *r->type;
      (void)s.add(d);
    }
  for (const auto& g : geo_) {
    index::FieldDef d;
    d.name = g.field;
    d.type = index::FieldType::kGeoPoint;
    (void)s.add(d);
  }
  return s;
}

Result<std::string> ColumnMapping::row_id(const Json& row) const {
  const Json* v = row.is_object() ? row.find(id_column_) : nullptr;
  if (!v || v->is_null()) return Status::invalid("row has no value for the id column '" + id_column_ + "'");
  if (v->is_string()) {
    if (v->as_string().empty()) return Status::invalid("id column '" + id_column_ + "' is an empty string");
    return v->as_string();
  }
  if (v->is_int()) return std::to_string(v->as_int());
  if (v->is_double() && std::trunc(v->as_double()) == v->as_double() && std::fabs(v->as_double()) < 9e15)
    return std::to_string(static_cast<int64_t>(v->as_double()));
  return Status::invalid("id column '" + id_column_ + "' must be a string or an integer, got " + v->dump());
}

Result<Json> ColumnMapping::to_document(const Json& row, const std::string& id_field) const {
  if (!row.is_object()) return Status::invalid("row: expected a JSON object");
  MERIDIAN_ASSIGN_OR_RETURN(std::string id, row_id(row));
  Json doc = Json::object();
  doc.set(id_field, Json(id));
  std::set<std::string> geo_cols;
  for (const auto& g : geo_) {
    if (!g.column.empty()) {
      geo_cols.insert(g.column);
      const Json* v = row.find(g.column);
      if (!v || v->is_null()) continue;
      MERIDIAN_ASSIGN_OR_RETURN(Json p, convert_value(*v, index::FieldType::kGeoPoint, g.column));
      doc.set(g.field, std::move(p));
    } else {
      geo_cols.insert(g.lat);
      geo_cols.insert(g.lon);
      const Json* la = row.find(g.lat);
      const Json* lo = row.find(g.lon);
      if (!la || !lo || la->is_null() || lo->is_null()) continue;
      MERIDIAN_ASSIGN_OR_RETURN(Json lat, convert_value(*la, index::FieldType::kFloat, g.lat));
      MERIDIAN_ASSIGN_OR_RETURN(Json lon, convert_value(*lo, index::FieldType::kFloat, g.lon));
      geo::LatLon p{lat.as_double(), lon.as_double()};
      if (!geo::is_valid(p))
        return Status::invalid("columns '" + g.lat + "'/'" + g.lon + "': point out of range");
      doc.set(g.field, Json(Json::Object{{"lat", Json(p.lat)}, {"lon", Json(p.lon)}}));
    }
  }
  for (const auto& [col, v] : row.as_object()) {
    if (v.is_null()) continue;
    auto it = columns_.find(col);
    if (it == columns_.end()) {
      if (!include_other_ || geo_cols.count(col) || col == id_field) continue;
      if (col.empty() || col[0] == '_') continue;  // reserved field names
      doc.set(col, v);
      continue;
    }
    if (!it->second) continue;
    const ColumnRule& r = *it->second;
    if (r.field == id_field) continue;
    if (!r.type) {
      doc.set(r.field, v);
    } else {
      MERIDIAN_ASSIGN_OR_RETURN(Json c, convert_value(v, *r.type, col));
      if (!c.is_null()) doc.set(r.field, std::move(c));
    }
  }
  return doc;
}

}  // namespace meridian::cdc
