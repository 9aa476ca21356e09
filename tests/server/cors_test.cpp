#include <doctest/doctest.h>

#include "meridian/server/cors.h"
#include "meridian/server/serve_options.h"

using namespace meridian;
using namespace meridian::server;

TEST_CASE("cors: off by default, '*' allows any origin, a list allows exactly its origins") {
  CorsPolicy off;
  CHECK_FALSE(off.enabled());
  CHECK_FALSE(off.allow_origin("https://a.example"));
  auto any = CorsPolicy::parse("*");
  REQUIRE(any);
  CHECK(any->allow_origin("https://a.example") == "*");
  CHECK_FALSE(any->allow_origin(""));  // no Origin: not a CORS request
  auto list = CorsPolicy::parse("https://app.example.com, http://localhost:3000/");
  REQUIRE(list);
  CHECK(list->enabled());
  CHECK(list->allow_origin("https://app.example.com") == "https://app.example.com");
  CHECK(list->allow_origin("http://localhost:3000") == "http://localhost:3000");
  CHECK_FALSE(list->allow_origin("http://localhost:3001"));
  CHECK_FALSE(list->allow_origin("https://app.example.com.evil.net"));
}

TEST_CASE("cors: a malformed origin is an error naming it") {
  for (const char* bad : {"app.example.com", "https://a.com/path", "://x", "ht tp://a"}) {
    CAPTURE(bad);
    auto p = CorsPolicy::parse(bad);
    REQUIRE_FALSE(p);
    CHECK(p.status().message().find("--cors-origin") != std::string::npos);
  }
}

TEST_CASE("cors: --cors-origin and MERIDIAN_CORS_ORIGIN, the flag wins") {
  auto env = [](const std::string& k) -> std::optional<std::string> {
    if (k == "MERIDIAN_CORS_ORIGIN") return std::string("https://env.example");
    return std::nullopt;
  };
  auto o = parse_serve_options({}, env);
  REQUIRE(o);
  CHECK(o->cors_origin == "https://env.example");
  o = parse_serve_options({"--cors-origin", "*"}, env);
  REQUIRE(o);
  CHECK(o->cors_origin == "*");
  auto bad = parse_serve_options({"--cors-origin=nonsense"}, env);
  REQUIRE_FALSE(bad);
  CHECK(bad.status().message().find("--cors-origin") != std::string::npos);
}
