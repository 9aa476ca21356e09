#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "meridian/postings/bitmap.h"
#include "meridian/postings/bitmap_view.h"

using namespace meridian::postings;

namespace {

std::string bytes_of(const Bitmap& b) {
  std::string s;
  b.serialize_to(&s);
  return s;
}

// A bitmap over `keys` containers of one kind each: sparse arrays, dense
// bitsets or runs (chosen per container from `shape`), some containers
// shared with other bitmaps through the seed of their key.
Bitmap random_bitmap(std::mt19937& rng, int shape, uint32_t keys) {
  Bitmap b;
  for (uint32_t k = 0; k < keys; ++k) {
    if (rng() % 4 == 0) continue;  // a missing key
    const uint32_t base = k << 16;
    const int kind = shape >= 0 ? shape : static_cast<int>(rng() % 3);
    if (kind == 0) {  // array: 1..4096 values, sometimes 0 and 65535
      const uint32_t n = 1 + rng() % (rng() % 2 ? 40 : 4000);
      for (uint32_t i = 0; i < n; ++i) b.add(base + rng() % 65536);
      if (rng() % 3 == 0) b.add(base);
      if (rng() % 3 == 0) b.add(base + 65535);
    } else if (kind == 1) {  // bitset: dense
      for (uint32_t v = 0; v < 65536; ++v)
        if (rng() % 3 == 0) b.add(base + v);
    } else {  // runs
      uint32_t at = rng() % 100;
      while (at < 65536) {
        const uint32_t len = 1 + rng() % 300;
        b.add_range(base + at, base + std::min<uint32_t>(65536, at + len));
        at += len + 1 + rng() % 500;
      }
    }
  }
  b.run_optimize();
  return b;
}

void check_pair(const Bitmap& a, const Bitmap& b) {
  const std::string sa = bytes_of(a), sb = bytes_of(b);
  BitmapView va, vb;
  REQUIRE(BitmapView::parse(sa, &va));
  REQUIRE(BitmapView::parse(sb, &vb));
  CHECK(va.cardinality() == a.cardinality());
  std::vector<uint32_t> got;
  BitmapView::intersect(va, vb, &got);
  CHECK(got == Bitmap::and_of(a, b).to_vector());
  std::vector<uint32_t> back;
  BitmapView::intersect(vb, va, &back);
  CHECK(back == got);
}

}  // namespace

TEST_CASE("bitmap view: intersection equals roaring's AND for every pair of container kinds") {
  std::mt19937 rng(7);
  for (int round = 0; round < 60; ++round) {
    const int sa = round % 4 == 3 ? -1 : round % 3, sb = (round / 3) % 4 == 3 ? -1 : (round / 3) % 3;
    const uint32_t keys = 1 + rng() % (round % 5 == 0 ? 3 : 6);  // under 4 containers: no offsets in a run bitmap
    check_pair(random_bitmap(rng, sa, keys), random_bitmap(rng, sb, keys));
  }
}

TEST_CASE("bitmap view: arrays of every length against every length (blocks of 8, tails, skew)") {
  std::mt19937 rng(11);
  for (uint32_t na : {1u, 7u, 8u, 9u, 16u, 17u, 100u, 1000u, 4096u}) {
    for (uint32_t nb : {1u, 8u, 15u, 64u, 333u, 4096u}) {
      for (int dense = 0; dense < 2; ++dense) {
        const uint32_t span = dense ? 2 * std::max(na, nb) : 65536;
        Bitmap a, b;
        while (a.cardinality() < na) a.add(rng() % span);
        while (b.cardinality() < nb) b.add(rng() % span);
        a.add(0);
        b.add(0);  // a zero in both: the explicit-length compare must see it
        check_pair(a, b);
      }
    }
  }
  // Identical and disjoint arrays.
  Bitmap even, odd;
  for (uint32_t v = 0; v < 4000; ++v) (v % 2 ? odd : even).add(v * 7);
  check_pair(even, even);
  check_pair(even, odd);
}

TEST_CASE("bitmap view: empty bitmaps and bad headers") {
  Bitmap empty, some;
  some.add(5);
  check_pair(empty, some);
  check_pair(empty, empty);
  BitmapView v;
  CHECK_FALSE(BitmapView::parse("", &v));
  CHECK_FALSE(BitmapView::parse(std::string("\x01\x02\x03\x04", 4), &v));  // no cookie
  std::string s = bytes_of(some);
  CHECK_FALSE(BitmapView::parse(std::string_view(s).substr(0, 6), &v));  // header cut short
}
