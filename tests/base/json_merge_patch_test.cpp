#include <doctest/doctest.h>

#include "meridian/base/json_merge_patch.h"

using namespace meridian;

namespace {

Json J(const char* text) {
  auto j = parse_json(text);
  REQUIRE(j);
  return std::move(*j);
}

std::string patched(const char* target, const char* patch) {
  Json t = J(target);
  apply_merge_patch(&t, J(patch));
  return t.dump();
}

}  // namespace

TEST_CASE("merge patch: the examples of RFC 7396 appendix A") {
  CHECK(patched(R"({"a":"b"})", R"({"a":"c"})") == J(R"({"a":"c"})").dump());
  CHECK(patched(R"({"a":"b"})", R"({"b":"c"})") == J(R"({"a":"b","b":"c"})").dump());
  CHECK(patched(R"({"a":"b"})", R"({"a":null})") == J(R"({})").dump());
  CHECK(patched(R"({"a":"b","b":"c"})", R"({"a":null})") == J(R"({"b":"c"})").dump());
  CHECK(patched(R"({"a":["b"]})", R"({"a":"c"})") == J(R"({"a":"c"})").dump());
  CHECK(patched(R"({"a":"c"})", R"({"a":["b"]})") == J(R"({"a":["b"]})").dump());
  CHECK(patched(R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})") == J(R"({"a":{"b":"d"}})").dump());
  CHECK(patched(R"({"a":[{"b":"c"}]})", R"({"a":[1]})") == J(R"({"a":[1]})").dump());
  CHECK(patched(R"(["a","b"])", R"(["c","d"])") == J(R"(["c","d"])").dump());
  CHECK(patched(R"({"a":"b"})", R"(["c"])") == J(R"(["c"])").dump());
  CHECK(patched(R"({"a":"foo"})", "null") == "null");
  CHECK(patched(R"({"a":"foo"})", R"("bar")") == J(R"("bar")").dump());
  CHECK(patched(R"({"e":null})", R"({"a":1})") == J(R"({"e":null,"a":1})").dump());
  CHECK(patched(R"([1,2])", R"({"a":"b","c":null})") == J(R"({"a":"b"})").dump());
  CHECK(patched(R"({})", R"({"a":{"bb":{"ccc":null}}})") == J(R"({"a":{"bb":{}}})").dump());
}

TEST_CASE("merge patch: untouched members keep their order and values") {
  CHECK(patched(R"({"id":"1","name":"Paris","pop":2100000,"tags":["x"]})", R"({"pop":2200000})") ==
        J(R"({"id":"1","name":"Paris","pop":2200000,"tags":["x"]})").dump());
}
