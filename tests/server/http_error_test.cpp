#include <doctest/doctest.h>

#include "meridian/server/http_error.h"

using namespace meridian;
using namespace meridian::server;

TEST_CASE("http_error: every status code maps to the documented HTTP status") {
  CHECK(http_status(Status::Code::kOk) == 200);
  CHECK(http_status(Status::Code::kInvalidArgument) == 400);
  CHECK(http_status(Status::Code::kNotFound) == 404);
  CHECK(http_status(Status::Code::kAlreadyExists) == 409);
  CHECK(http_status(Status::Code::kTooLarge) == 413);
  CHECK(http_status(Status::Code::kBusy) == 503);
  CHECK(http_status(Status::Code::kUnsupported) == 501);
  CHECK(http_status(Status::Code::kCorruption) == 500);
  CHECK(http_status(Status::Code::kIOError) == 503);
  CHECK(http_status(Status::Code::kInternal) == 500);
}

TEST_CASE("http_error: the body is {error:{type,reason}} with extra members appended") {
  auto j = parse_json(error_body(Status::not_found("no such index 'x'"), Json(Json::Object{{"index", Json("x")}})));
  REQUIRE(j.is_ok());
  const Json* e = j->find("error");
  REQUIRE(e);
  CHECK(e->find("type")->as_string() == "not_found");
  CHECK(e->find("reason")->as_string() == "no such index 'x'");
  CHECK(e->find("index")->as_string() == "x");
  CHECK(error_type_for_http(429) == "rate_limited");
  CHECK(error_type_for_http(401) == "unauthorized");
  CHECK(error_type_for_http(415) == "unsupported_media_type");
}

TEST_CASE("http_error: a reason with invalid UTF-8 still yields valid JSON") {
  std::string body = error_body("invalid_argument", std::string("bad \xff byte"));
  CHECK(parse_json(body).is_ok());
}

TEST_CASE("http_error: invalid_utf8_offset finds the first bad byte, 1-based") {
  CHECK(invalid_utf8_offset("plain ascii") == 0);
  CHECK(invalid_utf8_offset("caf\xc3\xa9 ok") == 0);
  CHECK(invalid_utf8_offset("ab\xff") == 3);
  CHECK(invalid_utf8_offset("a\xc3") == 2);             // truncated sequence
  CHECK(invalid_utf8_offset("\xc0\xaf") == 1);          // overlong
  CHECK(invalid_utf8_offset("x\xed\xa0\x80") == 2);     // surrogate
  CHECK(invalid_utf8_offset("\xf0\x9f\x98\x80") == 0);  // emoji
}
