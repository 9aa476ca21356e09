#include "meridian/index/schema.h"

#include <doctest/doctest.h>

using namespace meridian;
using namespace meridian::index;

TEST_CASE("schema: full definition round-trips through JSON") {
  auto j = parse_json(R"({"id_field":"code","fields":{"title":{"type":"text","language":"fr"},
      "pop":"int","loc":"geo_point","tags":"keyword","when":"date","ok":"bool","price":"float"}})");
  REQUIRE(j.is_ok());
  auto s = Schema::from_json(*j);
  REQUIRE(s.is_ok());
  CHECK(s->id_field() == "code");
  CHECK(s->find("pop")->type == FieldType::kInt);
  CHECK(s->find("title")->analyzer.language == "fr");
  auto again = Schema::from_json(s->to_json());
  REQUIRE(again.is_ok());
  CHECK(again->to_json() == s->to_json());
}

TEST_CASE("schema: unknown types, keys and reserved names are errors naming them") {
  auto bad_type = Schema::from_json(*parse_json(R"({"fields":{"a":"integer64"}})"));
  REQUIRE_FALSE(bad_type.is_ok());
  CHECK(bad_type.status().message().find("integer64") != std::string::npos);
  auto bad_key = Schema::from_json(*parse_json(R"({"feilds":{}})"));
  REQUIRE_FALSE(bad_key.is_ok());
  CHECK(bad_key.status().message().find("feilds") != std::string::npos);
  CHECK_FALSE(Schema::from_json(*parse_json(R"({"fields":{"_id":"keyword"}})")).is_ok());
}

TEST_CASE("schema: adding a field with another type is a conflict") {
  Schema s;
  FieldDef a;
  a.name = "n";
  a.type = FieldType::kInt;
  REQUIRE(s.add(a).is_ok());
  FieldDef b = a;
  b.type = FieldType::kText;
  Status st = s.add(b);
  CHECK(st.code() == Status::Code::kAlreadyExists);
  CHECK(st.message().find("int") != std::string::npos);
}

TEST_CASE("schema: dynamic mapping infers types from first values") {
  CHECK(Schema::infer_type(Json("x")) == FieldType::kText);
  CHECK(Schema::infer_type(Json(3)) == FieldType::kInt);
  CHECK(Schema::infer_type(Json(2.5)) == FieldType::kFloat);
  CHECK(Schema::infer_type(Json(true)) == FieldType::kBool);
  CHECK_FALSE(Schema::infer_type(Json()).has_value());
  CHECK(Schema::infer_type(*parse_json("[null, 4]")) == FieldType::kInt);
}

TEST_CASE("schema: dynamic mapping maps ISO-8601 date strings as date (date detection), other strings as text") {
  CHECK(Schema::infer_type(Json("2024-05-01")) == FieldType::kDate);
  CHECK(Schema::infer_type(Json("2024-05-01T12:30:00Z")) == FieldType::kDate);
  CHECK(Schema::infer_type(Json("2024-05-01T12:30:00.250+02:00")) == FieldType::kDate);
  CHECK(Schema::infer_type(Json("2024-05-01T12:30-05:00")) == FieldType::kDate);
  CHECK(Schema::infer_type(*parse_json(R"(["2024-05-01"])")) == FieldType::kDate);
  CHECK(Schema::infer_type(Json("2024-13-01")) == FieldType::kText);  // no 13th month
  CHECK(Schema::infer_type(Json("2024-05-01 was a Wednesday")) == FieldType::kText);
  CHECK(Schema::infer_type(Json("20240501")) == FieldType::kText);
  CHECK(Schema::infer_type(Json("May 1, 2024")) == FieldType::kText);
}

TEST_CASE("schema: index names are validated against path traversal") {
  CHECK(validate_index_name("cities-2024_v1.b").is_ok());
  CHECK_FALSE(validate_index_name("../etc").is_ok());
  CHECK_FALSE(validate_index_name("a/b").is_ok());
  CHECK_FALSE(validate_index_name("").is_ok());
  CHECK_FALSE(validate_index_name(".hidden").is_ok());
  CHECK_FALSE(validate_index_name("Upper").is_ok());
  CHECK_FALSE(validate_index_name(std::string(200, 'a')).is_ok());
}
