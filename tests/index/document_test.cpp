#include "meridian/index/document.h"

#include <doctest/doctest.h>

using namespace meridian;
using namespace meridian::index;

namespace {
const FieldValues* field(const ParsedDoc& d, const std::string& name) {
  for (const auto& f : d.fields)
    if (f.name == name) return &f;
  return nullptr;
}
}  // namespace

TEST_CASE("document: nested objects flatten to dotted names and types are inferred") {
  Schema s;
  std::vector<FieldDef> nf;
  auto d = parse_document(*parse_json(R"({"id":7,"name":"Paris","address":{"city":"Paris","zip":75001},
      "tags":["a","b"],"pop":2.1e6,"capital":true,"loc":{"lat":48.85,"lon":2.35}})"), s, &nf);
  REQUIRE(d.is_ok());
  CHECK(d->id == "7");
  REQUIRE(field(*d, "address.city"));
  REQUIRE(field(*d, "address.zip"));
  CHECK(field(*d, "address.zip")->ints == std::vector<int64_t>{75001});
  CHECK(field(*d, "tags")->tokens.size() == 2);
  CHECK(field(*d, "loc")->points.size() == 1);
  CHECK(field(*d, "id") == nullptr);  // the id is not a field
  std::map<std::string, FieldType> types;
  for (const auto& f : nf) types[f.name] = f.type;
  CHECK(types["address.city"] == FieldType::kText);
  CHECK(types["address.zip"] == FieldType::kInt);
  CHECK(types["pop"] == FieldType::kFloat);
  CHECK(types["capital"] == FieldType::kBool);
  CHECK(types["loc"] == FieldType::kGeoPoint);
}

TEST_CASE("document: a value of the wrong type names the document, the field and both types") {
  Schema s;
  FieldDef f;
  f.name = "pop";
  f.type = FieldType::kInt;
  REQUIRE(s.add(f).is_ok());
  auto d = parse_document(*parse_json(R"({"id":"x1","pop":"many"})"), s, nullptr);
  REQUIRE_FALSE(d.is_ok());
  const std::string& m = d.status().message();
  CHECK(m.find("x1") != std::string::npos);
  CHECK(m.find("pop") != std::string::npos);
  CHECK(m.find("int") != std::string::npos);
  CHECK(m.find("string") != std::string::npos);
}

TEST_CASE("document: ids must be strings or integers") {
  Schema s;
  CHECK_FALSE(parse_document(*parse_json(R"({"name":"x"})"), s, nullptr).is_ok());
  CHECK_FALSE(parse_document(*parse_json(R"({"id":1.5})"), s, nullptr).is_ok());
  CHECK_FALSE(parse_document(*parse_json(R"({"id":""})"), s, nullptr).is_ok());
  CHECK_FALSE(parse_document(*parse_json(R"([1,2])"), s, nullptr).is_ok());
  CHECK(parse_document(*parse_json(R"({"id":"abc"})"), s, nullptr)->id == "abc");
  Json bad = Json::object();
  bad.set("id", std::string("a\xFF"));  // as a CSV cell can hold it
  auto r = parse_document(bad, s, nullptr);
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().message() == "document id is not valid UTF-8 (byte 2)");
}

TEST_CASE("document: dates accept RFC 3339 and epoch millis, reject garbage") {
  Schema s;
  FieldDef f;
  f.name = "when";
  f.type = FieldType::kDate;
  REQUIRE(s.add(f).is_ok());
  auto d = parse_document(*parse_json(R"({"id":1,"when":["1970-01-02",5]})"), s, nullptr);
  REQUIRE(d.is_ok());
  CHECK(field(*d, "when")->ints == std::vector<int64_t>{86400000, 5});
  CHECK_FALSE(parse_document(*parse_json(R"({"id":1,"when":"soon"})"), s, nullptr).is_ok());
}

TEST_CASE("document: a float field takes JSON integers as floats; an int field takes only whole floats") {
  Schema s;
  FieldDef f;
  f.name = "lon";
  f.type = FieldType::kFloat;
  REQUIRE(s.add(f).is_ok());
  f.name = "pop";
  f.type = FieldType::kInt;
  REQUIRE(s.add(f).is_ok());
  auto d = parse_document(*parse_json(R"({"id":1,"lon":[20, -3, 20.5],"pop":3.0})"), s, nullptr);
  REQUIRE(d.is_ok());
  CHECK(field(*d, "lon")->doubles == std::vector<double>{20.0, -3.0, 20.5});
  CHECK(field(*d, "pop")->ints == std::vector<int64_t>{3});
  auto bad = parse_document(*parse_json(R"({"id":2,"pop":3.5})"), s, nullptr);
  REQUIRE_FALSE(bad.is_ok());
  CHECK(bad.status().message().find("'pop' has type int") != std::string::npos);
  CHECK(bad.status().message().find("map it as float") != std::string::npos);
}

TEST_CASE("document: dynamic mapping types a date string as date (epoch ms) and keeps other strings text") {
  Schema s;
  std::vector<FieldDef> nf;
  auto d = parse_document(*parse_json(R"({"id":1,"day":"1970-01-02","at":"1970-01-01T01:00:00+01:00","t":"hello"})"),
                          s, &nf);
  REQUIRE(d.is_ok());
  std::map<std::string, FieldType> types;
  for (const auto& nd : nf) types[nd.name] = nd.type;
  CHECK(types["day"] == FieldType::kDate);
  CHECK(types["at"] == FieldType::kDate);
  CHECK(types["t"] == FieldType::kText);
  CHECK(field(*d, "day")->ints == std::vector<int64_t>{86400000});
  CHECK(field(*d, "at")->ints == std::vector<int64_t>{0});
}

TEST_CASE("document: geo_point fields accept every documented form and reject bad latitudes") {
  Schema s;
  FieldDef f;
  f.name = "loc";
  f.type = FieldType::kGeoPoint;
  REQUIRE(s.add(f).is_ok());
  for (const char* v : {R"({"lat":1,"lon":2})", R"({"lat":1,"lng":2})", "[2,1]", R"("1,2")",
                        R"({"type":"Point","coordinates":[2,1]})"}) {
    auto d = parse_document(*parse_json(std::string(R"({"id":1,"loc":)") + v + "}"), s, nullptr);
    REQUIRE_MESSAGE(d.is_ok(), v);
    REQUIRE(field(*d, "loc")->points.size() == 1);
    CHECK(field(*d, "loc")->points[0].lat == doctest::Approx(1));
    CHECK(field(*d, "loc")->points[0].lon == doctest::Approx(2));
  }
  auto bad = parse_document(*parse_json(R"({"id":1,"loc":{"lat":91,"lon":0}})"), s, nullptr);
  REQUIRE_FALSE(bad.is_ok());
  CHECK(bad.status().message().find("loc") != std::string::npos);
}

TEST_CASE("document: multi-valued text keeps a position gap between values") {
  Schema s;
  auto d = parse_document(*parse_json(R"({"id":1,"t":["new york","york city"]})"), s, nullptr);
  REQUIRE(d.is_ok());
  const auto& toks = field(*d, "t")->tokens;
  REQUIRE(toks.size() == 4);
  CHECK(toks[2].position >= toks[1].position + kArrayPositionGap);
}

TEST_CASE("document: a text value gets a column value (sort, facets) only up to kMaxTextColumnBytes") {
  Schema s;
  std::string short_title(kMaxTextColumnBytes, 'a');
  std::string long_body = short_title + " b";
  Json j;
  j.set("id", 1);
  j.set("title", short_title);
  j.set("body", long_body);
  auto d = parse_document(j, s, nullptr);
  REQUIRE(d.is_ok());
  REQUIRE(field(*d, "title"));
  REQUIRE(field(*d, "body"));
  CHECK(field(*d, "title")->keywords == std::vector<std::string>{short_title});
  CHECK(field(*d, "body")->keywords.empty());
  CHECK(field(*d, "body")->tokens.size() == 2);  // still searchable
}
