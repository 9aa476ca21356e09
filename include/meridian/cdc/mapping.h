// ColumnMapping: how one source table's rows become documents. Which column
// is the id, which columns become which fields (and of which type), which
// column pairs or PostGIS point columns become geo_points, and whether
// columns not named are passed through (dynamic mapping) or dropped.
//
// JSON form (every key optional; docs/CDC.md has the full syntax):
//   {"id_column": "id",
//    "columns": {"title": "name",                      // rename
//                "price": {"field": "price", "type": "float"},
//                "secret": null},                      // drop
//    "geo": [{"field": "location", "lat": "lat", "lon": "lon"},
//            {"field": "where", "column": "geom"}],   // EWKB hex / GeoJSON / Debezium point
//    "other_columns": "include" | "drop"}
//
// A value type, immutable after parse; thread-safe for concurrent reads.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "meridian/base/json.h"
#include "meridian/base/status.h"
#include "meridian/index/schema.h"

namespace meridian::cdc {

struct ColumnRule {
  std::string field;                        // target field name
  std::optional<index::FieldType> type;     // nullopt: keep the JSON value (dynamic mapping)
};

struct GeoRule {
  std::string field;
  std::string lat, lon;  // a pair of numeric columns, or
  std::string column;    // one point column
};

class ColumnMapping {
 public:
  ColumnMapping() = default;
  static Result<ColumnMapping> from_json(const Json& j);
  Json to_json() const;

  const std::string& id_column() const { return id_column_; }
  void set_id_column(std::string c) { id_column_ = std::move(c); }

  // The fields whose types the mapping fixes, to add to the index schema
  // before the first document.
  index::Schema schema_fields() const;

  // The document for one row (a JSON object of column → value), with
  // `id_field` set from the id column. Null values are left out.
  // InvalidArgument names the column when a value cannot be converted.
  Result<Json> to_document(const Json& row, const std::string& id_field) const;
  // The id of a row (a delete's `before` needs only this column).
  Result<std::string> row_id(const Json& row) const;

 private:
  std::string id_column_ = "id";
  std::map<std::string, std::optional<ColumnRule>> columns_;  // nullopt = dropped
  std::vector<GeoRule> geo_;
  bool include_other_ = true;
};

// Converts one column value to a field type (numeric strings to numbers,
// "t"/"f" to booleans, PostgreSQL timestamps to RFC 3339, points to
// {"lat","lon"}). Exposed for the PostgreSQL decoder and tests.
Result<Json> convert_value(const Json& v, index::FieldType type, std::string_view column);

}  // namespace meridian::cdc
