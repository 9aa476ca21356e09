#include <doctest/doctest.h>

#include <memory>
#include <vector>

#include "meridian/postings/postings_reader.h"
#include "meridian/postings/postings_writer.h"
#include "meridian/postings/term_bitmap_cache.h"

using namespace meridian;
using namespace meridian::postings;

namespace {

std::shared_ptr<const Bitmap> scattered(uint32_t n) {
  Bitmap b;
  for (uint32_t i = 0; i < n; ++i) b.add(i * 3);
  return std::make_shared<const Bitmap>(std::move(b));
}

// One term of n documents (every third), tf 1, no positions.
struct OneTerm {
  std::string file;
  uint64_t offset = 0;
  std::vector<uint32_t> docs;
};

OneTerm one_term(uint32_t n) {
  OneTerm t;
  for (uint32_t i = 0; i < n; ++i) t.docs.push_back(i * 3);
  std::vector<uint32_t> freqs(n, 1);
  PostingsWriter w;
  t.offset = w.add_term(t.docs, freqs, {}, nullptr);
  t.file = w.finish();
  return t;
}

std::vector<uint32_t> values(const Bitmap& b) {
  std::vector<uint32_t> v;
  b.for_each([&](uint32_t d) {
    v.push_back(d);
    return true;
  });
  return v;
}

}  // namespace

TEST_CASE("term bitmap cache: bounded by bytes, least recently used first") {
  TermBitmapCache c(300);
  const uint64_t a = TermBitmapCache::new_owner(), b = TermBitmapCache::new_owner();
  CHECK(a != b);
  c.put(a, 1, scattered(10), 100);
  c.put(a, 2, scattered(10), 100);
  c.put(b, 1, scattered(10), 100);
  REQUIRE(c.get(a, 1) != nullptr);  // (a, 1) is now the most recent; (a, 2) the least
  c.put(b, 2, scattered(10), 100);
  CHECK(c.get(a, 2) == nullptr);
  CHECK(c.get(a, 1) != nullptr);
  CHECK(c.get(b, 1) != nullptr);
  CHECK(c.get(b, 2) != nullptr);
  TermBitmapCacheStats st = c.stats();
  CHECK(st.entries == 3);
  CHECK(st.bytes == 300);
  CHECK(st.evictions == 1);
  CHECK(st.hits == 4);
  CHECK(st.misses == 1);

  c.put(a, 3, scattered(10), 301);  // larger than the whole budget: not kept, nothing evicted
  CHECK(c.get(a, 3) == nullptr);
  CHECK(c.stats().entries == 3);

  c.drop(b);  // b's reader closes
  CHECK(c.get(b, 1) == nullptr);
  CHECK(c.get(b, 2) == nullptr);
  CHECK(c.get(a, 1) != nullptr);
  CHECK(c.stats().entries == 1);
  CHECK(c.stats().bytes == 100);

  c.set_max_bytes(0);  // disabled: emptied, and keeps nothing more
  CHECK(c.stats().entries == 0);
  c.put(a, 4, scattered(10), 1);
  CHECK(c.get(a, 4) == nullptr);
}

TEST_CASE("term bitmap cache: a bitmap stays valid for its holder after eviction") {
  TermBitmapCache c(100);
  const uint64_t o = TermBitmapCache::new_owner();
  c.put(o, 1, scattered(50), 100);
  std::shared_ptr<const Bitmap> held = c.get(o, 1);
  REQUIRE(held != nullptr);
  c.put(o, 2, scattered(5), 100);  // evicts (o, 1)
  CHECK(c.get(o, 1) == nullptr);
  CHECK(held->cardinality() == 50);
  CHECK(held->contains(147));
}

TEST_CASE("postings reader: a large verified bitmap is decoded once and shared, a small one never kept") {
  TermBitmapCache& cache = term_bitmap_cache();
  const size_t before = cache.stats().entries;
  const OneTerm big = one_term(5000);   // ~10 KB serialized: kept
  const OneTerm small = one_term(100);  // ~200 bytes: decoded every time
  {
    auto rb = PostingsReader::open(big.file, "big.post");
    auto rs = PostingsReader::open(small.file, "small.post");
    REQUIRE(rb.is_ok());
    REQUIRE(rs.is_ok());
    // The first read verifies and decodes for itself; later ones share.
    auto t1 = rb->term(big.offset);
    REQUIRE(t1.is_ok());
    CHECK(cache.stats().entries == before);
    auto t2 = rb->term(big.offset);
    auto t3 = rb->term(big.offset);
    REQUIRE(t2.is_ok());
    REQUIRE(t3.is_ok());
    CHECK(cache.stats().entries == before + 1);
    CHECK(&t2->docs() == &t3->docs());
    CHECK(&t1->docs() != &t2->docs());
    CHECK(values(t1->docs()) == big.docs);
    CHECK(values(t3->docs()) == big.docs);
    CHECK(t3->doc_freq() == 5000);
    // A cursor over the shared bitmap walks the same documents.
    PostingCursor cur = t3->cursor();
    std::vector<uint32_t> walked;
    for (uint32_t d = cur.doc(); d != PostingCursor::kEnd; d = cur.next()) walked.push_back(d);
    CHECK(walked == big.docs);
    CHECK(cur.next_geq(0) == PostingCursor::kEnd);

    for (int i = 0; i < 3; ++i) {
      auto t = rs->term(small.offset);
      REQUIRE(t.is_ok());
      CHECK(values(t->docs()) == small.docs);
    }
    CHECK(cache.stats().entries == before + 1);
  }
  // The readers closed: their entries are gone, the holders' bitmaps were released with them.
  CHECK(cache.stats().entries == before);
}
