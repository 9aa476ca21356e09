#include "meridian/base/bytes.h"

#include <doctest/doctest.h>

#include <limits>

using namespace meridian;

TEST_CASE("bytes: fixed, varint and strings round-trip") {
  std::string buf;
  ByteWriter w(&buf);
  w.u8(7);
  w.u32(0xdeadbeef);
  w.u64(std::numeric_limits<uint64_t>::max());
  w.varint(0);
  w.varint(300);
  w.varint(std::numeric_limits<uint64_t>::max());
  w.svarint(-5);
  w.svarint(std::numeric_limits<int64_t>::min());
  w.f64(-2.5);
  w.str("héllo");
  ByteReader r(buf);
  CHECK(r.u8() == 7);
  CHECK(r.u32() == 0xdeadbeef);
  CHECK(r.u64() == std::numeric_limits<uint64_t>::max());
  CHECK(r.varint() == 0);
  CHECK(r.varint() == 300);
  CHECK(r.varint() == std::numeric_limits<uint64_t>::max());
  CHECK(r.svarint() == -5);
  CHECK(r.svarint() == std::numeric_limits<int64_t>::min());
  CHECK(r.f64() == -2.5);
  CHECK(r.str() == "héllo");
  CHECK(r.at_end());
  CHECK_FALSE(r.failed());
}

TEST_CASE("bytes: reading past the end fails instead of overrunning") {
  std::string buf = "\x01\x02";
  ByteReader r(buf);
  CHECK(r.u32() == 0);
  CHECK(r.failed());
  ByteReader r2(std::string_view("\xff\xff", 2));
  r2.varint();
  CHECK(r2.failed());
  ByteReader r3(std::string_view("\x05" "ab", 3));
  CHECK(r3.str().empty());
  CHECK(r3.failed());
}
