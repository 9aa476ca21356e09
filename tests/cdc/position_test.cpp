#include <doctest/doctest.h>

#include "meridian/cdc/position.h"

using namespace meridian;
using namespace meridian::cdc;

TEST_CASE("position: text form round-trips and orders lexicographically") {
  SourcePosition a{{1, 2, 3}}, b{{1, 10}}, c{{2}};
  CHECK(a < b);
  CHECK(b < c);
  CHECK(SourcePosition{{1, 2}} < a);
  for (const auto& p : {a, b, c, SourcePosition{}}) {
    auto q = SourcePosition::parse(p.to_string());
    REQUIRE(q.is_ok());
    CHECK(*q == p);
  }
  CHECK(SourcePosition::parse("18446744073709551615")->parts[0] == UINT64_MAX);
}

TEST_CASE("position: malformed text is rejected") {
  for (const char* bad : {"1,", ",1", "a", "1,,2", "-1", "1 ,2", "99999999999999999999"})
    CHECK_FALSE(SourcePosition::parse(bad).is_ok());
}

TEST_CASE("position: PostgreSQL LSN text form") {
  CHECK(*parse_pg_lsn("0/0") == 0);
  CHECK(*parse_pg_lsn("16/B374D848") == ((uint64_t{0x16} << 32) | 0xB374D848));
  CHECK(format_pg_lsn(*parse_pg_lsn("16/B374D848")) == "16/B374D848");
  for (const char* bad : {"", "/1", "1/", "G/1", "123456789/1", "1/2/3", "1-2"}) CHECK_FALSE(parse_pg_lsn(bad).is_ok());
}
