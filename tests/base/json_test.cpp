#include "meridian/base/json.h"
#include "meridian/base/json_syntax.h"

#include <doctest/doctest.h>

#include <charconv>
#include <cmath>
#include <string>
#include <vector>

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

TEST_CASE("json: a number is written as to_chars' shortest form, a small whole number by its digits too") {
  // The reference: the shortest form, ".0" added when it reads as an integer.
  auto reference = [](double d) {
    if (!std::isfinite(d)) return std::string("null");
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, d);
    std::string s(buf, r.ptr);
    if (s.find_first_of(".eE") == std::string::npos) s += ".0";
    return s;
  };
  std::vector<double> values = {-0.0, 0.5, 1e5, 1e5 - 0.5, 99999.0, 123456.0, 1e15, -1.0, -99999.0, 1e-300,
                                std::nextafter(1.0, 2.0), std::nextafter(1e5, 0.0), NAN, INFINITY, -INFINITY};
  for (int i = 0; i <= 200000; ++i) values.push_back(i);
  for (int i = 0; i < 1000; ++i) values.push_back(i * 0.25);
  for (double d : values) {
    std::string out;
    append_json_number(&out, d);
    CHECK_MESSAGE(out == reference(d), d);
  }
  std::string out;
  append_json_number(&out, 1.0);
  append_json_number(&out, 100000.0);
  append_json_number(&out, -0.0);
  CHECK(out == "1.01e+05-0.0");
}

TEST_CASE("json: a string's plain runs and escapes are written in order") {
  std::string out;
  append_json_string(&out, "");
  append_json_string(&out, "plain id 42");
  CHECK(out == "\"\"\"plain id 42\"");
  std::string mixed;
  append_json_string(&mixed, std::string("\"q\\ab\tc\x1f\x7f\xc3\xa9z\xe2\x82", 14));
  CHECK(mixed == "\"\\\"q\\\\ab\\tc\\u001f\x7f\xc3\xa9z\xEF\xBF\xBD\xEF\xBF\xBD\"");
  auto back = parse_json(mixed);
  REQUIRE(back.is_ok());
  CHECK(back->as_string() == "\"q\\ab\tc\x1f\x7f\xc3\xa9z\xEF\xBF\xBD\xEF\xBF\xBD");
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

TEST_CASE("json: a syntax error names its line and column and what is wrong") {
  auto msg = [](std::string_view t) {
    auto r = parse_json(t);
    REQUIRE_FALSE(r.is_ok());
    return r.status().message();
  };
  CHECK(msg(R"({"a":1,})") == "malformed JSON at line 1, column 7: trailing comma before '}'");
  CHECK(msg("[1,\n 2,\n]") == "malformed JSON at line 2, column 3: trailing comma before ']'");
  CHECK(msg("{\n  \"a\": 1\n  \"b\": 2\n}") == "malformed JSON at line 3, column 3: expected ',' or '}', got '\"'");
  CHECK(msg(R"({a:1})") == "malformed JSON at line 1, column 2: expected a member name in double quotes");
  CHECK(msg(R"({"a" 1})") == "malformed JSON at line 1, column 6: expected ':' after a member name");
  CHECK(msg(R"({"a":'x'})") == "malformed JSON at line 1, column 6: strings take double quotes, not single quotes");
  CHECK(msg(R"({"a":tru})") == "malformed JSON at line 1, column 6: unexpected 't', expected a value");
  CHECK(msg(R"({"a":01})") == "malformed JSON at line 1, column 7: expected ',' or '}', got '1'");
  CHECK(msg(R"({"a":1} x)") == "malformed JSON at line 1, column 9: unexpected 'x' after the end of the JSON value");
  CHECK(msg(R"({"a":"x)") == "malformed JSON at line 1, column 6: unterminated string");
  CHECK(msg(R"({"a":[1,2)") == "malformed JSON at line 1, column 10: unexpected end of input, expected ',' or ']'");
  CHECK(msg(R"({"a":"\q"})") == "malformed JSON at line 1, column 7: invalid escape '\\q'");
  CHECK(msg("{\"a\":1.}") == "malformed JSON at line 1, column 8: invalid number: digits expected after '.'");
  // The scanner agrees with simdjson on valid input.
  for (std::string_view ok : {R"({"a":[1,-2.5e3,true,false,null,"\u00e9\n"],"b":{}})", "[]", " 7 "}) {
    CHECK(parse_json(ok).is_ok());
    CHECK_FALSE(find_json_syntax_error(ok).found);
  }
}
