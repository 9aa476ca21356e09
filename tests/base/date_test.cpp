#include "meridian/base/date.h"

#include <doctest/doctest.h>

using namespace meridian;

TEST_CASE("date: RFC 3339 forms parse to epoch milliseconds") {
  CHECK(*parse_rfc3339_millis("1970-01-01") == 0);
  CHECK(*parse_rfc3339_millis("1970-01-01T00:00:01Z") == 1000);
  CHECK(*parse_rfc3339_millis("2024-02-29T12:30:00.25Z") == 1709209800250);
  CHECK(*parse_rfc3339_millis("2024-02-29T14:30:00.250+02:00") == 1709209800250);
  CHECK(*parse_rfc3339_millis("1969-12-31T23:59:59Z") == -1000);
}

TEST_CASE("date: invalid dates are rejected with the value in the message") {
  for (const char* s : {"2023-02-29", "2024-13-01", "2024-1-01", "yesterday", "2024-01-01T25:00:00Z",
                        "2024-01-01T10:00:00+0200", ""}) {
    auto r = parse_rfc3339_millis(s);
    CHECK_FALSE(r.is_ok());
  }
  CHECK(parse_rfc3339_millis("nope").status().message().find("'nope'") != std::string::npos);
}

TEST_CASE("date: formatting round-trips, including before 1970") {
  for (int64_t ms : {int64_t{0}, int64_t{1709209800250}, int64_t{-1}, int64_t{-86400001}, int64_t{253402300799999}}) {
    CHECK(*parse_rfc3339_millis(format_rfc3339_millis(ms)) == ms);
  }
}
