// StoreReader with the shared BlockCache: hits and misses, scans kept out of
// the cache, eviction under a small bound, 4 threads against an oracle,
// damaged blocks never cached, CRC checked once per reader, and readers
// destroyed (or moved) while their blocks are cached.
#include <doctest/doctest.h>

#include <atomic>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "meridian/base/file_frame.h"
#include "meridian/store/block_cache.h"
#include "meridian/store/store_reader.h"
#include "meridian/store/store_writer.h"

using namespace meridian;
using namespace meridian::store;

namespace {

// Empties the global cache and sets its capacity for one test; restores the
// default afterwards.
struct CacheScope {
  explicit CacheScope(size_t capacity = BlockCache::kDefaultCapacity) {
    BlockCache::global().clear();
    BlockCache::set_capacity(capacity);
  }
  ~CacheScope() {
    BlockCache::global().clear();
    BlockCache::set_capacity(BlockCache::kDefaultCapacity);
  }
};

// n docs of exactly 1000 bytes: with 8 KiB blocks, doc d is in block d / 9.
std::vector<std::string> thousand_byte_docs(uint32_t n, uint64_t seed, bool random_bytes = false) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> docs;
  for (uint32_t d = 0; d < n; ++d) {
    if (random_bytes) {  // incompressible
      std::string s(999, '\0');
      for (char& c : s) c = static_cast<char>(rng());
      docs.push_back(s + "}");
      continue;
    }
    std::string s = "{\"doc\":" + std::to_string(d) + ",\"seed\":" + std::to_string(seed) + ",\"t\":\"";
    while (s.size() < 998) s += static_cast<char>('a' + rng() % 4);
    docs.push_back(s + "\"}");
  }
  return docs;
}

std::string write_8k(const std::vector<std::string>& docs) {
  StoreWriter w(3, 8192);
  for (const auto& d : docs) w.add(d);
  return w.finish();
}

StoreReader open_ok(const std::string& file, std::string name = "cache.sto") {
  auto r = StoreReader::open(file, std::move(name));
  REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  return std::move(r).value();
}
StoreReader open_ok(std::string&&, std::string = "") = delete;

BlockCache::Stats stats() { return BlockCache::global().stats(); }

}  // namespace

TEST_CASE("store cache: a block read again after another block is a shared-cache hit") {
  CacheScope scope;
  auto docs = thousand_byte_docs(90, 1);
  std::string file = write_8k(docs);
  StoreReader r = open_ok(file);
  REQUIRE(r.num_blocks() == 10);
  auto s0 = stats();
  CHECK(*r.get(0) == docs[0]);   // block 0: miss, decompressed, cached
  CHECK(*r.get(1) == docs[1]);   // block 0 again: the thread's own slot, no lookup
  CHECK(*r.get(18) == docs[18]); // block 2: miss, cached
  CHECK(*r.get(5) == docs[5]);   // block 0: shared-cache hit
  auto s1 = stats();
  CHECK(s1.misses - s0.misses == 2);
  CHECK(s1.hits - s0.hits == 1);
  CHECK(s1.inserts - s0.inserts == 2);
  CHECK(s1.entries == 2);
  CHECK(*r.get(27) == docs[27]);  // block 3 after block 0: cached
  CHECK(*r.get(36) == docs[36]);  // block 4 right after block 3: a scan, not cached
  auto s2 = stats();
  CHECK(s2.misses - s1.misses == 2);
  CHECK(s2.inserts - s1.inserts == 1);
}

TEST_CASE("store cache: a sequential scan does not fill the shared cache") {
  CacheScope scope;
  auto docs = thousand_byte_docs(450, 2);
  std::string file = write_8k(docs);
  StoreReader r = open_ok(file);
  REQUIRE(r.num_blocks() == 50);
  auto s0 = stats();
  std::string out;
  for (uint32_t d = 0; d < docs.size(); ++d) {
    REQUIRE(r.get_to(d, &out).is_ok());
    REQUIRE(out == docs[d]);
  }
  auto s1 = stats();
  CHECK(s1.misses - s0.misses == 50);  // each block decompressed once
  CHECK(s1.inserts - s0.inserts == 1);  // only block 0, which did not follow its predecessor
  CHECK(r.verify().is_ok());
  CHECK(stats().inserts == s1.inserts);  // verify() bypasses the cache
}

TEST_CASE("store cache: random gets under a small byte bound evict and stay correct") {
  const size_t capacity = 16 * 20000;  // about two 9 KB blocks per shard
  CacheScope scope(capacity);
  auto docs = thousand_byte_docs(900, 3);
  std::string file = write_8k(docs);
  StoreReader r = open_ok(file);
  REQUIRE(r.num_blocks() == 100);
  auto s0 = stats();
  std::mt19937_64 rng(4);
  std::string out;
  for (int k = 0; k < 5000; ++k) {
    uint32_t d = static_cast<uint32_t>(rng() % docs.size());
    REQUIRE(r.get_to(d, &out).is_ok());
    REQUIRE(out == docs[d]);
    REQUIRE(stats().bytes <= capacity);
  }
  auto s1 = stats();
  CHECK(s1.evictions - s0.evictions > 1000);
  CHECK(s1.hits - s0.hits > 100);
  CHECK(s1.misses - s0.misses > s1.hits - s0.hits);  // 100 blocks, room for ~32
  CHECK(s1.entries <= 32);
}

TEST_CASE("store cache: 4 threads on two readers, with readers opened and destroyed meanwhile") {
  for (size_t capacity : {size_t{16} * 20000, BlockCache::kDefaultCapacity, size_t{0}}) {
    CAPTURE(capacity);
    CacheScope scope(capacity);
    auto da = thousand_byte_docs(600, 5), db = thousand_byte_docs(600, 6);
    std::string fa = write_8k(da), fb = write_8k(db);
    StoreReader ra = open_ok(fa, "a.sto"), rb = open_ok(fb, "b.sto");
    std::atomic<int> wrong{0};
    std::atomic<bool> done{false};
    std::thread churn([&] {  // other readers come and go, their blocks cached
      auto dc = thousand_byte_docs(100, 7);
      std::string fc = write_8k(dc);
      for (uint32_t k = 0; !done.load(); ++k) {
        StoreReader rc = open_ok(fc, "c.sto");
        for (uint32_t d = k % 9; d < dc.size(); d += 23)
          if (*rc.get(d) != dc[d]) ++wrong;
      }
    });
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        std::mt19937_64 rng(200 + t);
        std::string out;
        for (int k = 0; k < 3000; ++k) {
          bool a = rng() % 2;
          uint32_t d = static_cast<uint32_t>(rng() % 600);
          Status st = (a ? ra : rb).get_to(d, &out);
          if (!st.is_ok() || out != (a ? da : db)[d]) ++wrong;
        }
      });
    }
    for (auto& th : threads) th.join();
    done = true;
    churn.join();
    CHECK(wrong == 0);
    CHECK(stats().bytes <= capacity);
  }
}

TEST_CASE("store cache: a damaged block fails on every read and is never cached") {
  CacheScope scope;
  auto docs = thousand_byte_docs(90, 8);
  std::string file = write_8k(docs);
  StoreReader probe = open_ok(file);
  REQUIRE(probe.num_blocks() == 10);
  std::string bad = file;
  bad[kFrameHeaderSize + 10] ^= 0x04;  // inside block 0
  StoreReader r = open_ok(bad, "bad.sto");
  auto s0 = stats();
  for (int round = 0; round < 3; ++round) {
    for (uint32_t d : {0u, 4u, 8u}) {
      Status st = r.get(d).status();
      CHECK(st.code() == Status::Code::kCorruption);
      CHECK(st.message().rfind("bad.sto: block 0 at offset 32: checksum mismatch", 0) == 0);
    }
    CHECK(*r.get(9 + round * 20) == docs[9 + round * 20]);  // blocks 1, 3, 5 are fine
  }
  std::thread other([&] { CHECK(r.get(3).status().code() == Status::Code::kCorruption); });
  other.join();
  auto s1 = stats();
  CHECK(s1.inserts - s0.inserts == 3);  // the three good blocks only
  CHECK(s1.entries == 3);
  CHECK_FALSE(r.verify().is_ok());
}

TEST_CASE("store cache: a block's CRC is checked at its first decompression only; verify and new readers check") {
  CacheScope scope;
  auto docs = thousand_byte_docs(90, 9, /*random_bytes=*/true);  // incompressible: stored raw
  std::string file = write_8k(docs);
  StoreReader r = open_ok(file);
  REQUIRE(r.num_blocks() == 10);
  CHECK(*r.get(8) == docs[8]);  // block 0 decompressed, CRC checked
  CHECK(*r.get(20) == docs[20]);
  BlockCache::global().clear();
  // Block 0 stored: codec byte, 9 two-byte varints, 9000 source bytes.
  size_t last_byte = kFrameHeaderSize + 1 + 18 + 9000 - 1;
  REQUIRE(file[last_byte] == '}');
  file[last_byte] = ']';  // the mapped bytes change under the reader
  std::string changed = docs[8];
  changed.back() = ']';
  CHECK(*r.get(8) == changed);  // decompressed again, not re-hashed
  CHECK(r.verify().code() == Status::Code::kCorruption);
  StoreReader fresh = open_ok(file, "fresh.sto");
  CHECK(fresh.get(8).status().code() == Status::Code::kCorruption);
}

TEST_CASE("store cache: destroying a reader drops its cached blocks; moving one keeps them") {
  CacheScope scope;
  auto da = thousand_byte_docs(90, 10), db = thousand_byte_docs(90, 11);
  std::string fa = write_8k(da), fb = write_8k(db);
  {
    StoreReader a = open_ok(fa);
    for (uint32_t d = 0; d < 90; d += 18) CHECK(*a.get(d) == da[d]);  // blocks 0, 2, 4, 6, 8
    CHECK(stats().entries == 5);
  }
  CHECK(stats().entries == 0);
  StoreReader b = open_ok(fb);  // same shape, new id: nothing of a's is served
  for (uint32_t d = 0; d < 90; d += 18) CHECK(*b.get(d) == db[d]);
  CHECK(stats().entries == 5);

  std::optional<StoreReader> moved;
  {
    StoreReader a = open_ok(fa);
    CHECK(*a.get(0) == da[0]);
    CHECK(*a.get(27) == da[27]);
    uint64_t id = a.cache_id();
    moved.emplace(std::move(a));
    CHECK(moved->cache_id() == id);
  }  // the moved-from reader dies here and must not drop the blocks
  CHECK(stats().entries == 7);
  auto s0 = stats();
  CHECK(*moved->get(1) == da[1]);  // block 0: shared-cache hit
  CHECK(stats().hits - s0.hits == 1);
  StoreReader other = open_ok(fb);
  *moved = std::move(other);  // the old reader of fa is replaced: its blocks go
  CHECK(stats().entries == 5);
  CHECK(*moved->get(45) == db[45]);
  moved.reset();
  CHECK(stats().entries == 5);  // b's blocks (shared by no one else) stay until b dies
}
