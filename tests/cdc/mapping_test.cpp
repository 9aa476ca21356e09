#include <doctest/doctest.h>

#include "meridian/cdc/mapping.h"

using namespace meridian;
using namespace meridian::cdc;

namespace {
Json J(const char* s) {
  auto j = parse_json(s);
  REQUIRE(j.is_ok());
  return *j;
}
ColumnMapping M(const char* s) {
  auto m = ColumnMapping::from_json(J(s));
  REQUIRE_MESSAGE(m.is_ok(), m.status().message());
  return *m;
}
}  // namespace

TEST_CASE("mapping: the default passes every non-null column through, id from column id") {
  ColumnMapping m;
  auto d = m.to_document(J(R"({"id": 7, "name": "x", "n": null, "tags": ["a"]})"), "id");
  REQUIRE(d.is_ok());
  CHECK(*d == J(R"({"id": "7", "name": "x", "tags": ["a"]})"));
}

TEST_CASE("mapping: renames, types, drops, geo pairs and point columns") {
  auto m = M(R"({"id_column": "sku", "other_columns": "drop",
                 "columns": {"title": "name", "price": {"field": "price", "type": "float"},
                             "active": {"type": "bool"}, "born": {"type": "date"}, "secret": null},
                 "geo": [{"field": "location", "lat": "la", "lon": "lo"}, {"field": "shop", "column": "g"}]})");
  auto d = m.to_document(J(R"({"sku": "A1", "title": "Tea", "price": "12.50", "active": "t",
      "born": "2024-05-01 12:30:00+02", "secret": "s", "extra": 1, "la": "48.85", "lo": 2.35,
      "g": "0101000020E6100000A835CD3B4ED1024076E09C11A56D4840"})"), "id");
  REQUIRE_MESSAGE(d.is_ok(), d.status().message());
  CHECK(*d->find("id") == Json("A1"));
  CHECK(*d->find("name") == Json("Tea"));
  CHECK(*d->find("price") == Json(12.5));
  CHECK(*d->find("active") == Json(true));
  CHECK(*d->find("born") == Json("2024-05-01T12:30:00+02:00"));
  CHECK(d->find("secret") == nullptr);
  CHECK(d->find("extra") == nullptr);
  CHECK(d->find("la") == nullptr);
  CHECK(d->find("location")->find("lat")->as_double() == doctest::Approx(48.85));
  CHECK(d->find("shop")->find("lon")->as_double() == doctest::Approx(2.3522));
  auto s = m.schema_fields();
  CHECK(s.find("price")->type == index::FieldType::kFloat);
  CHECK(s.find("location")->type == index::FieldType::kGeoPoint);
  CHECK(s.find("name") == nullptr);  // untyped rename: dynamic mapping decides
  // to_json round-trips.
  auto again = ColumnMapping::from_json(m.to_json());
  REQUIRE(again.is_ok());
  CHECK(again->to_json() == m.to_json());
}

TEST_CASE("mapping: a value that cannot be converted names the column") {
  auto m = M(R"({"columns": {"n": {"type": "int"}}})");
  auto d = m.to_document(J(R"({"id": 1, "n": "twelve"})"), "id");
  REQUIRE_FALSE(d.is_ok());
  CHECK(d.status().message().find("'n'") != std::string::npos);
}

TEST_CASE("mapping: rows without a usable id are rejected") {
  ColumnMapping m;
  CHECK_FALSE(m.to_document(J(R"({"name": "x"})"), "id").is_ok());
  CHECK_FALSE(m.to_document(J(R"({"id": null})"), "id").is_ok());
  CHECK_FALSE(m.to_document(J(R"({"id": ""})"), "id").is_ok());
  CHECK_FALSE(m.to_document(J(R"({"id": [1]})"), "id").is_ok());
  CHECK_FALSE(m.to_document(J(R"([1])"), "id").is_ok());
  CHECK(*m.row_id(J(R"({"id": 12.0})")) == "12");
}

TEST_CASE("mapping: bad mapping documents are rejected with their path") {
  for (const char* bad : {R"({"nope": 1})", R"({"id_column": 3})", R"({"other_columns": "maybe"})",
                          R"({"columns": {"a": {"type": "colour"}}})", R"({"columns": {"a": 5}})",
                          R"({"columns": {"a": "_reserved"}})", R"({"geo": [{"field": "g"}]})",
                          R"({"geo": [{"field": "g", "lat": "a", "lon": "b", "column": "c"}]})", "[]"}) {
    CAPTURE(bad);
    CHECK_FALSE(ColumnMapping::from_json(J(bad)).is_ok());
  }
}

TEST_CASE("mapping: value conversion edge cases") {
  using index::FieldType;
  CHECK(*convert_value(Json("42"), FieldType::kInt, "c") == Json(int64_t{42}));
  CHECK_FALSE(convert_value(Json("4.2"), FieldType::kInt, "c").is_ok());
  CHECK(*convert_value(Json(3.0), FieldType::kInt, "c") == Json(int64_t{3}));
  // A whole double outside int64's range is an error, not a cast (libFuzzer, debezium)
  CHECK_FALSE(convert_value(Json(1e308), FieldType::kInt, "c").is_ok());
  CHECK_FALSE(convert_value(Json(9223372036854775808.0), FieldType::kInt, "c").is_ok());
  CHECK(*convert_value(Json(-9223372036854775808.0), FieldType::kInt, "c") == Json(INT64_MIN));
  CHECK(*convert_value(Json(int64_t{5}), FieldType::kKeyword, "c") == Json("5"));
  CHECK(*convert_value(J(R"(["1","2"])"), FieldType::kInt, "c") == J("[1,2]"));
  CHECK(*convert_value(Json("2024-01-02"), FieldType::kDate, "c") == Json("2024-01-02"));
  CHECK(*convert_value(Json("2024-01-02 03:04:05"), FieldType::kDate, "c") == Json("2024-01-02T03:04:05Z"));
  CHECK(*convert_value(Json("2024-01-02 03:04:05.5-0530"), FieldType::kDate, "c") == Json("2024-01-02T03:04:05.5-05:30"));
  CHECK_FALSE(convert_value(Json("yesterday"), FieldType::kDate, "c").is_ok());
  CHECK(convert_value(Json(), FieldType::kInt, "c")->is_null());
  CHECK_FALSE(convert_value(Json("NaN"), FieldType::kFloat, "c").is_ok());
}
