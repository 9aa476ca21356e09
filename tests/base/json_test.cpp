#include "meridian/base/json.h"

#include <doctest/doctest.h>

using namespace meridian;

TEST_CASE("json: parse and dump keep key order and values") {
  auto r = parse_json(R"({"b":1,"a":[true,null,2.5,"x\"y"],"c":{"d":-3}})");
  REQUIRE(r.is_ok());
  CHECK(r->dump() == R"({"b":1,"a":[true,null,2.5,"x\"y"],"c":{"d":-3}})");
  CHECK(r->find("c")->find("d")->as_int() == -3);
  CHECK(r->find("zz") == nullptr);
}

TEST_CASE("json: malformed input, invalid UTF-8 and deep nesting are errors, not crashes") {
  CHECK_FALSE(parse_json("{").is_ok());
  CHECK_FALSE(parse_json("").is_ok());
  CHECK_FALSE(parse_json("[1,]").is_ok());
  CHECK_FALSE(parse_json("\"\xff\"").is_ok());
  std::string deep(1000, '[');
  deep += std::string(1000, ']');
  auto r = parse_json(deep);
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().message().find("deeper") != std::string::npos);
}

TEST_CASE("json: string escaping produces valid JSON for control and invalid bytes") {
  std::string out;
  append_json_string(&out, std::string("a\n\x01\xff" "é", 6));
  CHECK(out == "\"a\\n\\u0001\xEF\xBF\xBD" "é\"");
  CHECK(parse_json(out).is_ok());
}

TEST_CASE("json: big unsigned integers become doubles, numbers round-trip") {
  auto r = parse_json("[18446744073709551615, 0.1, -0, 1e300]");
  REQUIRE(r.is_ok());
  CHECK(r->as_array()[0].is_double());
  CHECK(parse_json(r->dump())->as_array()[1].as_double() == 0.1);
}

TEST_CASE("json: set replaces and erase removes") {
  Json o;
  o.set("a", 1);
  o.set("b", "x");
  o.set("a", 2);
  CHECK(o.dump() == R"({"a":2,"b":"x"})");
  CHECK(o.erase("a"));
  CHECK(o.dump() == R"({"b":"x"})");
}
