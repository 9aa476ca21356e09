#include <doctest/doctest.h>

#include "meridian/query/filter_cache.h"
#include "small_index.h"

using namespace meridian;
using namespace meridian::query;
using postings::Bitmap;

namespace {

std::shared_ptr<const Bitmap> range_bitmap(uint32_t n) {
  // Scattered values (one array container of n values: ~2 bytes each).
  Bitmap b;
  for (uint32_t i = 0; i < n; ++i) b.add(i * 3);
  return std::make_shared<const Bitmap>(std::move(b));
}

std::shared_ptr<const index::Segment> one_segment() {
  static auto idx = testing::make_small_index(R"({"fields": {"title": {"type": "text"}}})",
                                              {R"({"id": "1", "title": "a"})"});
  return idx->idx->snapshot()->segments().at(0).segment;
}

}  // namespace

TEST_CASE("filter cache: bounded by entries, least recently used first") {
  auto seg = one_segment();
  FilterCache c(2, size_t{1} << 20);
  c.put("a", seg, range_bitmap(10));
  c.put("b", seg, range_bitmap(10));
  REQUIRE(c.get("a", seg.get()) != nullptr);  // a is now the most recent
  c.put("c", seg, range_bitmap(10));
  CHECK(c.get("b", seg.get()) == nullptr);
  CHECK(c.get("a", seg.get()) != nullptr);
  CHECK(c.get("c", seg.get()) != nullptr);
  const auto st = c.stats();
  CHECK(st.entries == 2);
  CHECK(st.evictions == 1);
  CHECK(st.hits == 3);
  CHECK(st.misses == 1);
}

TEST_CASE("filter cache: bounded by bytes; a bitmap over the budget is not kept") {
  auto seg = one_segment();
  const size_t one = 1 + range_bitmap(100)->serialized_size();  // key + bitmap
  FilterCache c(100, 3 * one);
  for (const char* k : {"a", "b", "c"}) c.put(k, seg, range_bitmap(100));
  CHECK(c.stats().entries == 3);
  CHECK(c.stats().bytes == 3 * one);
  c.put("d", seg, range_bitmap(100));  // over the budget by one entry: a goes
  CHECK(c.stats().entries == 3);
  CHECK(c.stats().bytes <= 3 * one);
  CHECK(c.get("a", seg.get()) == nullptr);
  CHECK(c.get("d", seg.get()) != nullptr);

  auto big = range_bitmap(2000);
  REQUIRE(big->serialized_size() > 3 * one);
  c.put("big", seg, big);
  CHECK(c.get("big", seg.get()) == nullptr);
  CHECK(c.stats().too_large == 1);
  CHECK(c.stats().entries == 3);  // nothing evicted for it

  // A bitmap held by a caller outlives its eviction.
  auto held = c.get("b", seg.get());
  REQUIRE(held != nullptr);
  for (const char* k : {"x", "y", "z"}) c.put(k, seg, range_bitmap(100));
  CHECK(c.get("b", seg.get()) == nullptr);
  CHECK(held->cardinality() == 100);
}

TEST_CASE("filter cache: answers only for the segment object it was filled for") {
  auto seg = one_segment();
  FilterCache c;
  c.put("k", seg, range_bitmap(5));
  const index::Segment* other = reinterpret_cast<const index::Segment*>(&c);  // never dereferenced
  CHECK(c.get("k", other) == nullptr);
  CHECK(c.get("k", seg.get()) != nullptr);
  // Replacing the key (another segment's filter) keeps one entry and its bytes.
  c.put("k", seg, range_bitmap(7));
  CHECK(c.stats().entries == 1);
  CHECK(c.stats().bytes == 1 + range_bitmap(7)->serialized_size());
  CHECK(c.get("k", seg.get())->cardinality() == 7);
}
