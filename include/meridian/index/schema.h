// Schema: the fields of an index, their types and per-field options, and
// dynamic mapping (a field not yet in the schema takes its type from its
// first value). Field names are dotted paths of the flattened document
// ("address.city"). Names starting with '_' are reserved.
//
// A Schema is a value; the Index owns the current one and replaces it (copy
// on write) when dynamic mapping or an explicit change adds fields.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "meridian/analysis/analyzer.h"
#include "meridian/base/json.h"
#include "meridian/base/status.h"

namespace meridian::index {

enum class FieldType : uint8_t { kText, kKeyword, kInt, kFloat, kBool, kDate, kGeoPoint };

std::string_view field_type_name(FieldType t);
Result<FieldType> parse_field_type(std::string_view name);

struct FieldDef {
  std::string name;
  FieldType type = FieldType::kText;
  analysis::AnalyzerConfig analyzer;  // text fields only
  bool positions = true;              // text: keep positions (phrases, highlighting)
  // Built from `analyzer` when the field enters a Schema; shared by copies.
  std::shared_ptr<const analysis::Analyzer> analyzer_instance;

  Json to_json() const;
  static Result<FieldDef> from_json(std::string name, const Json& j);
};

class Schema {
 public:
  Schema() = default;
  // {"fields": {"title": {"type": "text", "language": "en"}, "pop": "int"}, "id_field": "id"}
  static Result<Schema> from_json(const Json& j);
  Json to_json() const;

  const std::string& id_field() const { return id_field_; }
  const FieldDef* find(std::string_view name) const;
  const std::map<std::string, FieldDef, std::less<>>& fields() const { return fields_; }
  // Adds a field; error if it exists with another type.
  Status add(FieldDef def);
  // Merges the fields of `other` (used by "fields added later").
  Status merge(const Schema& other);

  // The type dynamic mapping gives a first value, or nullopt for values
  // that add no field (null, empty array). A string that is an RFC 3339 /
  // ISO-8601 date or date-time ("2024-05-01", "2024-05-01T12:30:00Z",
  // "...+02:00") maps as date (Elasticsearch's date_detection); any other
  // string as text.
  static std::optional<FieldType> infer_type(const Json& value);

 private:
  std::string id_field_ = "id";
  std::map<std::string, FieldDef, std::less<>> fields_;
};

// Validates an index or field name: 1..128 chars of [a-z0-9_.-] for indexes
// (no leading '.', '_' or '-'); fields: non-empty, no NUL, not starting '_'.
Status validate_index_name(std::string_view name);
Status validate_field_name(std::string_view name);

}  // namespace meridian::index
