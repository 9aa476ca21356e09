// Format stability: a columns file written by format version 1, kept as
// bytes. The current writer must produce exactly these bytes (a change means a
// format change: bump kColumnsVersion and keep this fixture readable), and the
// reader must read them.
#include <doctest/doctest.h>

#include <string>

#include "meridian/columns/columns_reader.h"
#include "meridian/columns/columns_writer.h"

using namespace meridian::columns;

namespace {

std::string unhex(const char* h) {
  std::string out;
  for (size_t i = 0; h[i] && h[i + 1]; i += 2) out.push_back(static_cast<char>(std::stoi(std::string(h + i, 2), nullptr, 16)));
  return out;
}

const char* kV1 =
      "4d434f4c010000001b020000000000000000000000000000000000000000000003000000050000000479656172010000"
      "000000000000310000000000000001f659eb020000000300000000000000d4ffffffffffffffe8070000000000000000"
      "00000016af4000000000000000000570726963650231000000000000001b000000000000006f2809cb01000000010000"
      "0000000000000000000000234000000000000023400000000000002340000000000000000003746167034c0000000000"
      "0000380000000000000091c803c402000000030000000000000000000000000000000000000000000000000000000000"
      "00000000000000000000036c6f6304840000000000000023000000000000009096ff2101000000010000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000004626f647905a7000000000000000b0000"
      "000000000084ecffcf020000000200000000000000000000000000000000000000000000000000000000002e400f0000"
      "000000000098422dde01030000000000000002d40000000000000000d4ffffffffffffff01000000000000000cfb0700"
      "14080000000000000000010100000000000000010c0000000000000000000000000000234001030000000000000002f4"
      "000000000000000003000000038808000000000000000004000000000000006162c3a902210000000000000000010100"
      "00000000000001080000000000000000cdcccccccc6c4840cdcccccccccc0240040c03000000000000000066ca9c1b4d"
      "454e441b02000000000000";

std::string write_fixture() {
  ColumnsWriter w;
  w.add_int("year", 0, 1999);
  w.add_int("year", 2, -44);
  w.add_int("year", 2, 2024);
  w.add_double("price", 1, 9.5);
  w.add_keyword("tag", 0, "b");
  w.add_keyword("tag", 1, "a");
  w.add_keyword("tag", 1, "\xc3\xa9");  // é
  w.add_geo("loc", 2, 48.85, 2.35);
  w.set_norm("body", 0, 12);
  w.set_norm("body", 2, 3);
  return w.finish(3);
}

}  // namespace

TEST_CASE("columns format: the writer still produces the version 1 fixture byte for byte") {
  CHECK(write_fixture() == unhex(kV1));
}

TEST_CASE("columns format: a version 1 file written earlier reads back") {
  std::string file = unhex(kV1);
  auto r = ColumnsReader::open(file, "v1.col");
  REQUIRE(r.is_ok());
  CHECK(r->verify().is_ok());
  CHECK(r->num_docs() == 3);
  const IntColumn* year = r->int_column("year");
  REQUIRE(year);
  CHECK(year->value(0) == 1999);
  CHECK(year->count(1) == 0);
  CHECK(year->value(2, 0) == -44);
  CHECK(year->value(2, 1) == 2024);
  CHECK(r->double_column("price")->value(1) == 9.5);
  const KeywordColumn* tag = r->keyword_column("tag");
  REQUIRE(tag);
  CHECK(tag->value_of(tag->ord(0)) == "b");
  CHECK(tag->value_of(tag->ord(1, 1)) == "\xc3\xa9");
  CHECK(r->geo_column("loc")->lat(2) == 48.85);
  CHECK(r->geo_column("loc")->lon(2) == 2.35);
  CHECK(r->norms("body")->length(0) == 12);
  CHECK(r->norms("body")->total() == 15);
}
