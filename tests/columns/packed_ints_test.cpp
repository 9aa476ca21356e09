#include "meridian/columns/packed_ints.h"

#include <doctest/doctest.h>

#include <random>

using namespace meridian::columns;

TEST_CASE("packed_ints: every bit width round-trips random values") {
  std::mt19937_64 rng(1);
  for (int bits = 0; bits <= 64; ++bits) {
    std::vector<uint64_t> vals(257);
    uint64_t mask = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
    for (auto& v : vals) v = rng() & mask;
    vals[0] = mask;  // all ones at the start
    vals.back() = mask;  // and at the very end, next to the padding
    std::string buf = "x";  // unaligned start
    pack_ints(vals, static_cast<uint8_t>(bits), &buf);
    CHECK(buf.size() == 1 + packed_size(vals.size(), static_cast<uint8_t>(bits)));
    PackedInts p(buf.data() + 1, static_cast<uint8_t>(bits));
    for (size_t i = 0; i < vals.size(); ++i) REQUIRE(p.get(i) == vals[i]);
  }
}

TEST_CASE("packed_ints: bits_for gives the minimal width") {
  CHECK(bits_for(0) == 0);
  CHECK(bits_for(1) == 1);
  CHECK(bits_for(255) == 8);
  CHECK(bits_for(256) == 9);
  CHECK(bits_for(~uint64_t{0}) == 64);
}
