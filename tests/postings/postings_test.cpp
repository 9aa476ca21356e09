#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "meridian/base/bytes.h"
#include "meridian/base/crc32c.h"
#include "meridian/base/file_frame.h"
#include "meridian/postings/postings_format.h"
#include "meridian/postings/postings_reader.h"
#include "meridian/postings/postings_writer.h"

using namespace meridian;
using namespace meridian::postings;

namespace {

// One term as the oracle sees it.
struct Term {
  std::vector<uint32_t> docs, freqs, positions;
  std::vector<std::vector<uint32_t>> pos_per_doc;
  bool with_positions = true;
  uint64_t offset = 0;
};

Term random_term(std::mt19937& rng, uint32_t max_doc, size_t n, bool with_positions) {
  Term t;
  t.with_positions = with_positions;
  std::vector<uint32_t> all;
  if (n * 3 > max_doc) {  // dense: keep each doc with some probability
    for (uint32_t d = 0; d < max_doc; ++d)
      if (rng() % max_doc < n) all.push_back(d);
  } else {
    std::vector<uint32_t> s;
    while (s.size() < n) s.push_back(rng() % max_doc);
    std::sort(s.begin(), s.end());
    s.erase(std::unique(s.begin(), s.end()), s.end());
    all = s;
  }
  t.docs = all;
  for (size_t i = 0; i < t.docs.size(); ++i) {
    uint32_t tf = 1 + (rng() % 8 == 0 ? rng() % 300 : rng() % 3);
    t.freqs.push_back(tf);
    std::vector<uint32_t> p;
    uint32_t at = rng() % 50;
    for (uint32_t k = 0; k < tf; ++k) {
      p.push_back(at);
      at += 1 + rng() % (k % 7 == 6 ? 100000 : 20);
    }
    if (with_positions) t.positions.insert(t.positions.end(), p.begin(), p.end());
    t.pos_per_doc.push_back(with_positions ? p : std::vector<uint32_t>{});
  }
  return t;
}

struct Fixture {
  std::vector<Term> terms;
  std::vector<uint32_t> lengths;
  std::string file;
};

Fixture build(uint32_t seed, bool with_lengths = true) {
  std::mt19937 rng(seed);
  Fixture fx;
  const uint32_t max_doc = 200000;
  for (uint32_t d = 0; d < max_doc; ++d) fx.lengths.push_back(1 + rng() % 1000);
  size_t sizes[] = {0, 1, 127, 128, 129, 1000, 5000, 40000, 150000, 3};
  PostingsWriter w;
  for (size_t i = 0; i < std::size(sizes); ++i) {
    fx.terms.push_back(random_term(rng, i == 9 ? 300 : max_doc, sizes[i], i % 3 != 1));
    Term& t = fx.terms.back();
    t.offset = w.add_term(t.docs, t.freqs, t.positions, with_lengths ? fx.lengths.data() : nullptr);
  }
  fx.file = w.finish();
  return fx;
}

// Bounds of the block holding rank r, from the oracle.
void expected_block(const Term& t, const std::vector<uint32_t>* lengths, size_t r, uint32_t* last,
                    uint32_t* max_tf, uint32_t* min_len) {
  size_t lo = r / 128 * 128, hi = std::min(t.docs.size(), lo + 128);
  *last = t.docs[hi - 1];
  *max_tf = 0;
  *min_len = UINT32_MAX;
  for (size_t i = lo; i < hi; ++i) {
    *max_tf = std::max(*max_tf, t.freqs[i]);
    *min_len = std::min(*min_len, lengths ? (*lengths)[t.docs[i]] : 0u);
  }
}

void check_full_walk(const Term& t, const TermPostings& tp, const std::vector<uint32_t>* lengths) {
  REQUIRE(tp.doc_freq() == t.docs.size());
  CHECK(tp.docs().to_vector() == t.docs);
  CHECK(tp.has_positions() == (t.with_positions && !t.docs.empty()));
  uint32_t want_max = 0, want_min = t.docs.empty() ? 0 : UINT32_MAX;
  for (size_t i = 0; i < t.docs.size(); ++i) {
    want_max = std::max(want_max, t.freqs[i]);
    want_min = std::min(want_min, lengths ? (*lengths)[t.docs[i]] : 0u);
  }
  CHECK(tp.max_tf() == want_max);
  CHECK(tp.min_len() == want_min);
  PostingCursor c = tp.cursor();
  for (size_t i = 0; i < t.docs.size(); ++i) {
    REQUIRE(c.doc() == t.docs[i]);
    CHECK(c.rank() == i);
    if (i % 3 == 0) CHECK(c.freq() == t.freqs[i]);
    if (i % 2 == 0 && t.with_positions) {
      auto p = c.positions();
      CHECK(std::vector<uint32_t>(p.begin(), p.end()) == t.pos_per_doc[i]);
    }
    uint32_t last, mtf, mlen;
    expected_block(t, lengths, i, &last, &mtf, &mlen);
    CHECK(c.block_last_doc() == last);
    CHECK(c.block_max_tf() == mtf);
    CHECK(c.block_min_len() == mlen);
    c.next();
  }
  CHECK(c.doc() == PostingCursor::kEnd);
  CHECK(c.next() == PostingCursor::kEnd);
  CHECK(c.freq() == 0);
  CHECK(c.positions().empty());
  CHECK(c.block_last_doc() == PostingCursor::kEnd);
}

}  // namespace

TEST_CASE("postings: cursor walk returns every doc, tf, position and block bound") {
  for (bool with_lengths : {true, false}) {
    Fixture fx = build(1, with_lengths);
    auto reader = PostingsReader::open(fx.file, "seg.pst");
    REQUIRE(reader.is_ok());
    CHECK(reader->term_count() == fx.terms.size());
    for (const Term& t : fx.terms) {
      auto tp = reader->term(t.offset);
      REQUIRE(tp.is_ok());
      check_full_walk(t, *tp, with_lengths ? &fx.lengths : nullptr);
      auto again = reader->term(t.offset);  // verified path
      REQUIRE(again.is_ok());
      CHECK(again->docs() == tp->docs());
    }
    CHECK(reader->verify_all().is_ok());
  }
}

TEST_CASE("postings: next_geq agrees with lower_bound over random targets") {
  Fixture fx = build(2);
  auto reader = PostingsReader::open(fx.file, "seg.pst");
  REQUIRE(reader.is_ok());
  std::mt19937 rng(9);
  for (const Term& t : fx.terms) {
    auto tp = reader->term(t.offset);
    REQUIRE(tp.is_ok());
    for (int round = 0; round < 20; ++round) {
      PostingCursor c = tp->cursor();
      uint32_t target = 0;
      while (true) {
        uint32_t gap = round % 2 ? rng() % 50 : rng() % 20000;
        target += gap;
        uint32_t got = c.next_geq(target);
        auto it = std::lower_bound(t.docs.begin(), t.docs.end(), target);
        if (it == t.docs.end()) {
          REQUIRE(got == PostingCursor::kEnd);
          break;
        }
        REQUIRE(got == *it);
        size_t r = static_cast<size_t>(it - t.docs.begin());
        CHECK(c.rank() == r);
        CHECK(c.freq() == t.freqs[r]);
        if (t.with_positions && rng() % 2) {
          auto p = c.positions();
          CHECK(std::vector<uint32_t>(p.begin(), p.end()) == t.pos_per_doc[r]);
        }
        target = got;
        if (rng() % 3 == 0) {  // interleave plain next()
          uint32_t n = c.next();
          CHECK(n == (r + 1 < t.docs.size() ? t.docs[r + 1] : PostingCursor::kEnd));
          if (n == PostingCursor::kEnd) break;
          target = n;
        }
        CHECK(c.next_geq(target) == c.doc());  // never moves backwards
      }
    }
  }
}

TEST_CASE("postings: next_geq lands far inside and across blocks; tf, positions and next() after a landing") {
  // A landing counts the target's index in its block in the bitmap and
  // decodes nothing in between: check rank, tf and positions there (the tfs
  // and positions of the skipped documents must still be skipped right),
  // then walk on with next() across block ends. Includes a term stored with
  // run containers (consecutive documents) and one spanning containers.
  Fixture fx = build(4);
  PostingsWriter w;
  std::mt19937 rng(17);
  Term runs;
  for (uint32_t d = 60000; d < 140000; ++d)
    if (d % 1000 < 900) runs.docs.push_back(d);
  for (size_t i = 0; i < runs.docs.size(); ++i) {
    runs.freqs.push_back(1 + (i % 11 == 0 ? 200 : i % 3));
    std::vector<uint32_t> p;
    for (uint32_t k = 0; k < runs.freqs.back(); ++k) p.push_back(k * 3 + static_cast<uint32_t>(i % 5));
    runs.positions.insert(runs.positions.end(), p.begin(), p.end());
    runs.pos_per_doc.push_back(p);
  }
  std::vector<Term> terms;
  for (const Term& t : fx.terms)
    if (t.docs.size() > 128) terms.push_back(t);
  terms.push_back(runs);
  for (Term& t : terms) t.offset = w.add_term(t.docs, t.freqs, t.positions, fx.lengths.data());
  std::string file = w.finish();
  auto reader = PostingsReader::open(file, "seg.pst");
  REQUIRE(reader.is_ok());
  for (const Term& t : terms) {
    auto tp = reader->term(t.offset);
    REQUIRE(tp.is_ok());
    const size_t n = t.docs.size();
    auto check_at = [&](PostingCursor& c, size_t r, bool positions) {
      REQUIRE(c.doc() == t.docs[r]);
      CHECK(c.rank() == r);
      CHECK(c.freq() == t.freqs[r]);
      if (positions && t.with_positions) {
        auto p = c.positions();
        CHECK(std::vector<uint32_t>(p.begin(), p.end()) == t.pos_per_doc[r]);
      }
    };
    for (int round = 0; round < 60; ++round) {
      PostingCursor c = tp->cursor();
      size_t r = rng() % n;
      // Anywhere between the previous document (exclusive) and this one.
      auto target_of = [&](size_t k) {
        uint32_t lo = k == 0 ? 0 : t.docs[k - 1] + 1;
        return lo + static_cast<uint32_t>(rng() % (t.docs[k] - lo + 1));
      };
      REQUIRE(c.next_geq(target_of(r)) == t.docs[r]);
      check_at(c, r, round % 2 == 0);
      for (int hop = 0; hop < 6 && r + 1 < n; ++hop) {
        // Far in the same block, into the next block, or several blocks on.
        size_t step = hop % 3 == 0 ? 1 + rng() % 127 : hop % 3 == 1 ? 128 - r % 128 + rng() % 128 : 1 + rng() % 700;
        size_t r2 = std::min(n - 1, r + step);
        REQUIRE(c.next_geq(target_of(r2)) == t.docs[r2]);
        r = r2;
        check_at(c, r, (round + hop) % 3 != 0);
        CHECK(c.next_geq(t.docs[r]) == t.docs[r]);  // never moves backwards
      }
      for (int k = 0; k < 300 && r + 1 < n; ++k) {
        REQUIRE(c.next() == t.docs[r + 1]);
        ++r;
        check_at(c, r, k % 4 == 0);
      }
    }
  }
}

TEST_CASE("postings: shallow_advance moves only the block bounds, forward") {
  Fixture fx = build(3);
  auto reader = PostingsReader::open(fx.file, "seg.pst");
  REQUIRE(reader.is_ok());
  const Term& t = fx.terms[7];  // 40000 docs
  auto tp = reader->term(t.offset);
  REQUIRE(tp.is_ok());
  PostingCursor c = tp->cursor();
  uint32_t first = c.doc();
  for (uint32_t target : {0u, 5000u, 5001u, 90000u, 199990u, 250000u}) {
    c.shallow_advance(target);
    CHECK(c.doc() == first);
    auto it = std::lower_bound(t.docs.begin(), t.docs.end(), target);
    if (it == t.docs.end()) {
      CHECK(c.block_last_doc() == PostingCursor::kEnd);
      CHECK(c.block_max_tf() == 0);
      continue;
    }
    uint32_t last, mtf, mlen;
    expected_block(t, &fx.lengths, static_cast<size_t>(it - t.docs.begin()), &last, &mtf, &mlen);
    CHECK(c.block_last_doc() == last);
    CHECK(c.block_max_tf() == mtf);
    CHECK(c.block_min_len() == mlen);
  }
  c.shallow_advance(0);  // backwards: no effect
  CHECK(c.block_last_doc() == PostingCursor::kEnd);
  CHECK(c.next_geq(100000) == *std::lower_bound(t.docs.begin(), t.docs.end(), 100000u));
}

TEST_CASE("postings: an empty file and a wrong offset") {
  PostingsWriter w;
  std::string file = w.finish();
  auto reader = PostingsReader::open(file, "empty.pst");
  REQUIRE(reader.is_ok());
  CHECK(reader->term_count() == 0);
  auto t = reader->term(0);
  CHECK_FALSE(t.is_ok());
  Fixture fx = build(4);
  auto r2 = PostingsReader::open(fx.file, "seg.pst");
  REQUIRE(r2.is_ok());
  auto bad = r2->term(fx.terms[3].offset + 1);
  REQUIRE_FALSE(bad.is_ok());
  CHECK(bad.status().message().find("seg.pst: term at offset") == 0);
}

TEST_CASE("postings: damaged terms are corruption naming file and offset, checked once") {
  Fixture fx = build(5);
  // Flip a byte in the middle of term 6's record.
  const Term& victim = fx.terms[6];
  std::string bad = fx.file;
  bad[kFrameHeaderSize + victim.offset + 40] ^= 0x10;
  auto reader = PostingsReader::open(bad, "seg.pst");
  REQUIRE(reader.is_ok());  // open does not read term data
  auto t = reader->term(victim.offset);
  REQUIRE_FALSE(t.is_ok());
  CHECK(t.status().code() == Status::Code::kCorruption);
  CHECK(t.status().message() ==
        "seg.pst: term at offset " + std::to_string(victim.offset) + ": checksum mismatch");
  CHECK(reader->term(fx.terms[5].offset).is_ok());  // neighbours still readable
  CHECK_FALSE(reader->verify_all().is_ok());
}

TEST_CASE("postings: every truncation and every byte flip of a small file errors or reads correctly") {
  std::mt19937 rng(6);
  PostingsWriter w;
  std::vector<Term> terms;
  std::vector<uint32_t> lengths(400);
  for (auto& l : lengths) l = 1 + rng() % 50;
  for (size_t n : {3, 130, 0}) {
    terms.push_back(random_term(rng, 400, n, n != 0));
    terms.back().offset = w.add_term(terms.back().docs, terms.back().freqs, terms.back().positions,
                                     lengths.data());
  }
  std::string good = w.finish();
  auto read_all = [&](std::string_view file) {
    auto reader = PostingsReader::open(file, "small.pst");
    if (!reader.is_ok()) return;
    for (const Term& t : terms) {
      auto tp = reader->term(t.offset);
      if (!tp.is_ok()) {
        CHECK(tp.status().code() == Status::Code::kCorruption);
        continue;
      }
      // Accepted: must be exactly right.
      check_full_walk(t, *tp, &lengths);
    }
  };
  for (size_t cut = 0; cut < good.size(); ++cut) {
    auto r = PostingsReader::open(std::string_view(good).substr(0, cut), "small.pst");
    CHECK_FALSE(r.is_ok());
  }
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ (1 << (i % 8)));
    read_all(bad);
  }
}

TEST_CASE("postings: many threads verify and read the same terms at once") {
  Fixture fx = build(7);
  auto reader = PostingsReader::open(fx.file, "seg.pst");
  REQUIRE(reader.is_ok());
  std::vector<int> ok(4, 0);
  std::vector<std::thread> threads;
  for (int th = 0; th < 4; ++th) {
    threads.emplace_back([&, th] {
      bool good = true;
      for (int rep = 0; rep < 3; ++rep) {
        for (const Term& t : fx.terms) {
          auto tp = reader->term(t.offset);
          if (!tp.is_ok()) { good = false; continue; }
          PostingCursor c = tp->cursor();
          uint64_t sum = 0;
          size_t n = 0;
          for (; c.doc() != PostingCursor::kEnd; c.next(), ++n) sum += c.freq();
          uint64_t want = 0;
          for (uint32_t f : t.freqs) want += f;
          good &= n == t.docs.size() && sum == want;
        }
      }
      ok[th] = good;
    });
  }
  for (auto& t : threads) t.join();
  for (int v : ok) CHECK(v == 1);
}

TEST_CASE("postings: container edges and the largest doc id") {
  std::vector<uint32_t> docs = {0, 65535, 65536, 131071, UINT32_MAX - 1};
  std::vector<uint32_t> freqs = {1, 2, 3, 4, 5};
  PostingsWriter w;
  uint64_t off = w.add_term(docs, freqs, {}, nullptr);
  std::string file = w.finish();
  auto r = PostingsReader::open(file, "edge.pst");
  REQUIRE(r.is_ok());
  auto tp = r->term(off);
  REQUIRE(tp.is_ok());
  CHECK_FALSE(tp->has_positions());
  CHECK(tp->min_len() == 0);
  PostingCursor c = tp->cursor();
  CHECK(c.next_geq(65536) == 65536);
  CHECK(c.freq() == 3);
  CHECK(c.positions().empty());
  CHECK(c.next_geq(131072) == UINT32_MAX - 1);
  CHECK(c.freq() == 5);
  CHECK(c.rank() == 4);
  CHECK(c.next_geq(UINT32_MAX) == PostingCursor::kEnd);
}

TEST_CASE("postings: short records (1..128 docs) and full records; a version 1 file still reads") {
  // Version 2 writes 1..128 documents as a short record, far smaller than a
  // full one (bitmap + block table).
  std::vector<uint32_t> lengths(1000, 7);
  PostingsWriter w;
  std::vector<uint32_t> one{999}, tf1{2}, pos1{3, 9};
  uint64_t a = w.add_term(one, tf1, pos1, lengths.data());
  uint64_t b = w.add_term(one, tf1, pos1, lengths.data());
  CHECK(b - a < 16);  // crc, kind, flags, df, min_len, doc, tf, 2 positions
  std::string v2 = w.finish();
  auto r2 = PostingsReader::open(v2, "v2.pst");
  REQUIRE(r2.is_ok());
  auto t2 = r2->term(b);
  REQUIRE(t2.is_ok());
  CHECK(t2->docs().to_vector() == one);
  CHECK(t2->max_tf() == 2);
  CHECK(t2->min_len() == 7);
  auto c = t2->cursor();
  CHECK(c.doc() == 999);
  CHECK(c.block_last_doc() == 999);
  auto p = c.positions();
  CHECK(std::vector<uint32_t>(p.begin(), p.end()) == pos1);

  // A version 1 file, built byte by byte as docs/FORMAT.md describes it:
  // record = crc u32 | len u64 | full payload.
  std::vector<uint32_t> docs{4, 70000};
  Bitmap bm = Bitmap::from_sorted(docs);
  std::string bitmap;
  bm.serialize_to(&bitmap);
  std::string payload;
  ByteWriter pw(&payload);
  pw.u32(2);  // doc_freq
  pw.u32(3);  // max_tf
  pw.u32(0);  // min_len
  pw.u8(format::kFlagPositions);
  pw.u8(0);
  pw.u8(0);
  pw.u8(0);
  pw.u32(static_cast<uint32_t>(bitmap.size()));
  pw.u32(2);  // tf_len
  pw.u64(4);  // pos_len
  payload += bitmap;
  pw.u32(70000);  // block: last_doc, max_tf, min_len, tf_off, pos_off
  pw.u32(3);
  pw.u32(0);
  pw.u32(0);
  pw.u64(0);
  pw.u8(1);  // tfs 1, 3
  pw.u8(3);
  pw.u8(5);  // positions: doc 4 -> 5; doc 70000 -> 1, 2, 4
  pw.u8(1);
  pw.u8(1);
  pw.u8(2);
  std::string rec;
  ByteWriter rw(&rec);
  rw.u32(0);
  rw.u64(payload.size());
  rec += payload;
  uint32_t crc = crc32c::mask(crc32c::value(rec.data() + 4, rec.size() - 4));
  for (int i = 0; i < 4; ++i) rec[i] = static_cast<char>((crc >> (8 * i)) & 0xff);
  std::string body = rec;
  ByteWriter bw(&body);
  bw.u64(0);  // term index: one record at offset 0
  uint32_t index_crc = crc32c::value(body.data() + rec.size(), 8);
  size_t trailer = body.size();
  bw.u64(1);
  bw.u64(rec.size());
  bw.u32(crc32c::mask(index_crc));
  bw.u32(crc32c::mask(crc32c::value(body.data() + trailer, 20)));
  std::string v1 = frame_file(format::kMagic, 1, body);
  auto r1 = PostingsReader::open(v1, "v1.pst");
  REQUIRE(r1.is_ok());
  auto t1 = r1->term(0);
  REQUIRE(t1.is_ok());
  CHECK(t1->docs().to_vector() == docs);
  auto c1 = t1->cursor();
  CHECK(c1.next_geq(5) == 70000);
  CHECK(c1.freq() == 3);
  auto p1 = c1.positions();
  CHECK(std::vector<uint32_t>(p1.begin(), p1.end()) == std::vector<uint32_t>{1, 2, 4});
}

TEST_CASE("postings: the ordinal hint is checked; a right, wrong or absent hint reads the same term") {
  Fixture fx = build(21);
  auto r = PostingsReader::open(fx.file, "seg.pst");
  REQUIRE(r.is_ok());
  const uint64_t n = fx.terms.size();
  for (uint64_t i = 0; i < n; ++i) {
    const Term& t = fx.terms[i];
    for (uint64_t hint : {i, (i + 1) % n, n + 5, UINT64_MAX}) {
      auto tp = r->term(t.offset, hint);
      REQUIRE(tp.is_ok());
      CHECK(tp->doc_freq() == t.docs.size());
      check_full_walk(t, *tp, &fx.lengths);
    }
  }
  // A hint cannot make a bad offset valid.
  auto bad = r->term(fx.terms[3].offset + 1, 3);
  CHECK_FALSE(bad.is_ok());
}

TEST_CASE("postings: a term index entry near 2^64 is corruption, not a wrapped range check") {
  // Fuzz finding 7 (tests/fuzz/README.md): the range check added the record
  // header to the entry, which wrapped for an entry near 2^64.
  Fixture fx = build(6);
  std::string bad = fx.file;
  const size_t body = kFrameHeaderSize, end = bad.size() - kFrameFooterSize, t = end - 24;
  uint64_t count = 0, index_off = 0;
  std::memcpy(&count, bad.data() + t, 8);
  std::memcpy(&index_off, bad.data() + t + 8, 8);
  REQUIRE(count == fx.terms.size());
  const uint64_t wrapped = UINT64_MAX - 1;
  std::memcpy(&bad[body + index_off + 8 * (count - 1)], &wrapped, 8);
  auto put_crc = [&](size_t at, size_t from, size_t n) {
    uint32_t c = crc32c::mask(crc32c::value(bad.data() + from, n));
    std::memcpy(&bad[at], &c, 4);
  };
  put_crc(t + 16, body + index_off, t - (body + index_off));  // the term index's checksum
  put_crc(t + 20, t, 20);                                      // the trailer's
  auto reader = PostingsReader::open(bad, "seg.pst");
  REQUIRE(reader.is_ok());
  auto got = reader->term(wrapped);
  REQUIRE_FALSE(got.is_ok());
  CHECK(got.status().code() == Status::Code::kCorruption);
  CHECK(got.status().message() == "seg.pst: term index entry " + std::to_string(count - 1) +
                                      " is out of order or out of range");
  CHECK_FALSE(reader->verify_all().is_ok());
}

TEST_CASE("postings: a docs-only term whose every tf is 1 stores no tf area, short or full") {
  for (size_t n : {size_t{1}, size_t{100}, size_t{128}, size_t{129}, size_t{1000}}) {
    std::vector<uint32_t> docs, ones(n, 1), twos(n, 1);
    for (size_t i = 0; i < n; ++i) docs.push_back(static_cast<uint32_t>(3 * i + 1));
    twos[n / 2] = 2;  // one tf of 2: every tf is stored
    PostingsWriter w;
    const uint64_t a = w.add_term(docs, ones, {}, nullptr);
    const uint64_t b = w.add_term(docs, twos, {}, nullptr);
    const uint64_t c = w.add_term(docs, twos, {}, nullptr);
    // The unit term is one byte per document smaller than the same documents with a tf area.
    CHECK_MESSAGE(c - b == (b - a) + n, n);
    std::string file = w.finish();
    auto r = PostingsReader::open(file, "unit.pst");
    REQUIRE(r.is_ok());
    REQUIRE(r->verify_all().is_ok());
    auto unit = r->term(a);
    REQUIRE(unit.is_ok());
    CHECK(unit->docs().to_vector() == docs);
    CHECK(unit->max_tf() == 1);
    auto cur = unit->cursor();
    size_t seen = 0;
    for (uint32_t d = cur.doc(); d != PostingCursor::kEnd; d = cur.next(), ++seen) {
      CHECK(cur.freq() == 1);
      CHECK(cur.block_max_tf() == 1);
    }
    CHECK(seen == n);
    auto other = r->term(b);
    REQUIRE(other.is_ok());
    CHECK(other->max_tf() == 2);
    auto oc = other->cursor();
    CHECK(oc.next_geq(docs[n / 2]) == docs[n / 2]);
    CHECK(oc.freq() == 2);
  }
}

TEST_CASE("postings: doc_freq_hint and append_docs agree with term(), short and full, before and after verification") {
  Fixture fx = build(33);
  auto r = PostingsReader::open(fx.file, "seg.pst");
  REQUIRE(r.is_ok());
  for (uint64_t i = 0; i < fx.terms.size(); ++i) {
    const Term& t = fx.terms[i];
    INFO("term " << i << " with " << t.docs.size() << " docs");
    auto n = r->doc_freq_hint(t.offset, i);
    REQUIRE(n.is_ok());
    CHECK(*n == t.docs.size());
    // First call: the record is not verified yet (checked path); second: the
    // fast path for a verified short record. Both append after what is there.
    for (int pass = 0; pass < 2; ++pass) {
      std::vector<uint32_t> ids{7};
      REQUIRE(r->append_docs(t.offset, i, &ids).is_ok());
      std::vector<uint32_t> want{7};
      want.insert(want.end(), t.docs.begin(), t.docs.end());
      CHECK(ids == want);
    }
  }
  CHECK_FALSE(r->doc_freq_hint(fx.terms[3].offset + 1).is_ok());
  std::vector<uint32_t> ids;
  CHECK_FALSE(r->append_docs(fx.terms[3].offset + 1, UINT64_MAX, &ids).is_ok());
  CHECK(ids.empty());
}

TEST_CASE("postings: append_docs on a damaged short record is corruption, not garbage ids") {
  PostingsWriter w;
  std::vector<uint32_t> docs{3, 9, 40}, tfs{1, 1, 1}, none;
  uint64_t off = w.add_term(docs, tfs, none, nullptr);
  std::string file = w.finish();
  // Flip a byte inside the record's ids: the checksum no longer matches.
  std::string bad = file;
  size_t at = file.find(std::string("\x03\x06\x1f", 3));
  REQUIRE(at != std::string::npos);
  bad[at + 1] = 0x05;
  auto r = PostingsReader::open(bad, "bad.pst");
  REQUIRE(r.is_ok());
  std::vector<uint32_t> ids;
  CHECK_FALSE(r->append_docs(off, 0, &ids).is_ok());
  auto good = PostingsReader::open(file, "good.pst");
  REQUIRE(good.is_ok());
  REQUIRE(good->append_docs(off, 0, &ids).is_ok());
  CHECK(ids == docs);
}

TEST_CASE("postings: doc_freq is term()'s count, verified on first use, and a damaged record is an error") {
  Fixture fx = build(33);
  auto r = PostingsReader::open(fx.file, "seg.pst");
  REQUIRE(r.is_ok());
  for (uint64_t i = 0; i < fx.terms.size(); ++i) {
    const Term& t = fx.terms[i];
    INFO("term " << i << " with " << t.docs.size() << " docs");
    // First call verifies through term(); second reads the header.
    for (int pass = 0; pass < 2; ++pass) {
      auto n = r->doc_freq(t.offset, pass == 0 ? i : UINT64_MAX);
      REQUIRE(n.is_ok());
      CHECK(*n == t.docs.size());
    }
  }
  CHECK_FALSE(r->doc_freq(fx.terms[3].offset + 1).is_ok());

  PostingsWriter w;
  std::vector<uint32_t> docs{3, 9, 40}, tfs{1, 1, 1}, none;
  uint64_t off = w.add_term(docs, tfs, none, nullptr);
  std::string bad = w.finish();
  size_t at = bad.find(std::string("\x03\x06\x1f", 3));
  REQUIRE(at != std::string::npos);
  bad[at + 1] = 0x05;
  auto damaged = PostingsReader::open(bad, "bad.pst");
  REQUIRE(damaged.is_ok());
  CHECK_FALSE(damaged->doc_freq(off, 0).is_ok());
}

TEST_CASE("postings: positions after skipping, when the wanted varint starts inside the last word skipped") {
  // Positions of the documents before the cursor's are skipped by counting
  // varint ends eight bytes at a time. One- and multi-byte varints are
  // mixed so that the document's first varint often starts after the
  // skip-th end within an eight-byte word: its leading bytes must not be
  // skipped with the word. Checked from a fresh cursor at every document
  // (the longest skips) and from one cursor reading every third one.
  std::mt19937 rng(31);
  Term t;
  for (uint32_t d = 0; d < 700; ++d) {
    t.docs.push_back(d * 3);
    const uint32_t tf = 1 + rng() % 3;
    t.freqs.push_back(tf);
    std::vector<uint32_t> p;
    uint32_t at = 0;
    for (uint32_t k = 0; k < tf; ++k) {
      at += rng() % 2 ? rng() % 128 : 128 + rng() % 40000;  // one byte, or two or three
      p.push_back(at);
      ++at;
    }
    t.positions.insert(t.positions.end(), p.begin(), p.end());
    t.pos_per_doc.push_back(p);
  }
  PostingsWriter w;
  t.offset = w.add_term(t.docs, t.freqs, t.positions, nullptr);
  std::string file = w.finish();
  auto reader = PostingsReader::open(file, "seg.pst");
  REQUIRE(reader.is_ok());
  auto tp = reader->term(t.offset);
  REQUIRE(tp.is_ok());
  for (size_t r = 0; r < t.docs.size(); ++r) {
    PostingCursor c = tp->cursor();
    REQUIRE(c.next_geq(t.docs[r]) == t.docs[r]);
    auto p = c.positions();
    CHECK(std::vector<uint32_t>(p.begin(), p.end()) == t.pos_per_doc[r]);
  }
  PostingCursor c = tp->cursor();
  for (size_t r = 0; r < t.docs.size(); r += 3) {
    REQUIRE(c.next_geq(t.docs[r]) == t.docs[r]);
    CHECK(c.freq() == t.freqs[r]);
    auto p = c.positions();
    CHECK(std::vector<uint32_t>(p.begin(), p.end()) == t.pos_per_doc[r]);
  }
}
