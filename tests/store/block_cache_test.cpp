// BlockCache on its own: an exact LRU model per shard as the oracle, byte
// bounds, oversized blocks, erase_reader, and 4 threads at once.
#include <doctest/doctest.h>

#include <atomic>
#include <list>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include "meridian/store/block_cache.h"

using namespace meridian::store;

namespace {

BlockCache::Block make_block(uint64_t reader, uint32_t block, size_t size) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>(reader * 31 + block * 7 + i);
  return std::make_shared<const std::string>(std::move(s));
}

bool block_matches(const BlockCache::Block& b, uint64_t reader, uint32_t block) {
  return b && *b == *make_block(reader, block, b->size());
}

// The oracle: per shard, an LRU list of (reader, block, charge).
struct LruModel {
  struct E {
    uint64_t reader;
    uint32_t block;
    size_t charge;
  };
  explicit LruModel(size_t capacity) : limit(capacity / BlockCache::kShards) {}
  size_t limit;
  std::map<size_t, std::list<E>> shards;

  std::list<E>::iterator find(std::list<E>& l, uint64_t r, uint32_t b) {
    for (auto it = l.begin(); it != l.end(); ++it)
      if (it->reader == r && it->block == b) return it;
    return l.end();
  }
  bool lookup(uint64_t r, uint32_t b) {
    auto& l = shards[BlockCache::shard_index(r, b)];
    auto it = find(l, r, b);
    if (it == l.end()) return false;
    l.splice(l.begin(), l, it);
    return true;
  }
  void insert(uint64_t r, uint32_t b, size_t size) {
    size_t charge = size + BlockCache::kEntryOverhead;
    auto& l = shards[BlockCache::shard_index(r, b)];
    if (charge > limit || find(l, r, b) != l.end()) return;
    size_t bytes = 0;
    for (auto& e : l) bytes += e.charge;
    while (!l.empty() && bytes + charge > limit) {
      bytes -= l.back().charge;
      l.pop_back();
    }
    l.push_front({r, b, charge});
  }
  size_t bytes() {
    size_t n = 0;
    for (auto& [_, l] : shards)
      for (auto& e : l) n += e.charge;
    return n;
  }
};

}  // namespace

TEST_CASE("block cache: a miss, then a hit returning the same bytes") {
  BlockCache c(1 << 20);
  CHECK(c.lookup(1, 0) == nullptr);
  auto b = make_block(1, 0, 1000);
  c.insert(1, 0, b);
  auto got = c.lookup(1, 0);
  CHECK(got == b);  // the same shared bytes, not a copy
  CHECK(c.lookup(2, 0) == nullptr);  // another reader's block 0 is another key
  CHECK(c.lookup(1, 1) == nullptr);
  auto st = c.stats();
  CHECK(st.hits == 1);
  CHECK(st.misses == 3);
  CHECK(st.inserts == 1);
  CHECK(st.entries == 1);
  CHECK(st.bytes == 1000 + BlockCache::kEntryOverhead);
}

TEST_CASE("block cache: random traffic under a small byte bound matches an exact LRU model") {
  const size_t capacity = 16 * 6000;  // a few blocks per shard
  BlockCache c(capacity);
  LruModel model(capacity);
  std::mt19937_64 rng(5);
  uint64_t hits = 0;
  for (int k = 0; k < 20000; ++k) {
    uint64_t r = 1 + rng() % 3;
    uint32_t b = static_cast<uint32_t>(rng() % 60);
    bool expect = model.lookup(r, b);
    auto got = c.lookup(r, b);
    REQUIRE((got != nullptr) == expect);
    if (got) {
      ++hits;
      REQUIRE(block_matches(got, r, b));
    } else {
      size_t size = 500 + (r * 131 + b * 977) % 4000;  // same size each time a key comes back
      c.insert(r, b, make_block(r, b, size));
      model.insert(r, b, size);
    }
    REQUIRE(c.stats().bytes <= capacity);
  }
  CHECK(c.stats().bytes == model.bytes());
  CHECK(hits > 1000);
  CHECK(c.stats().evictions > 1000);
}

TEST_CASE("block cache: a block larger than a shard's share is not cached") {
  BlockCache c(16 * 4096);
  c.insert(1, 0, make_block(1, 0, 4096));  // + overhead > 4096
  CHECK(c.lookup(1, 0) == nullptr);
  c.insert(1, 1, make_block(1, 1, 4096 - BlockCache::kEntryOverhead));  // exactly fits
  CHECK(c.lookup(1, 1) != nullptr);
  BlockCache off(0);
  off.insert(1, 0, make_block(1, 0, 1));
  CHECK(off.lookup(1, 0) == nullptr);
  CHECK(off.stats().entries == 0);
}

TEST_CASE("block cache: an evicted block stays valid for whoever holds it") {
  BlockCache c(1 << 20);
  c.insert(7, 3, make_block(7, 3, 2000));
  auto held = c.lookup(7, 3);
  c.clear();
  CHECK(c.lookup(7, 3) == nullptr);
  REQUIRE(block_matches(held, 7, 3));
  CHECK(held.use_count() == 1);
}

TEST_CASE("block cache: erase_reader drops that reader's blocks only") {
  BlockCache c(1 << 22);
  for (uint32_t b = 0; b < 50; ++b) {
    c.insert(1, b, make_block(1, b, 100));
    c.insert(2, b, make_block(2, b, 100));
  }
  CHECK(c.stats().entries == 100);
  c.erase_reader(1);
  CHECK(c.stats().entries == 50);
  CHECK(c.stats().bytes == 50 * (100 + BlockCache::kEntryOverhead));
  for (uint32_t b = 0; b < 50; ++b) {
    CHECK(c.lookup(1, b) == nullptr);
    CHECK(block_matches(c.lookup(2, b), 2, b));
  }
}

TEST_CASE("block cache: shrinking the capacity evicts at once") {
  BlockCache c(1 << 22);
  for (uint32_t b = 0; b < 200; ++b) c.insert(1, b, make_block(1, b, 1000));
  CHECK(c.stats().entries == 200);
  c.resize(16 * 2500);  // two blocks per shard at most
  CHECK(c.capacity() == 16 * 2500);
  CHECK(c.stats().bytes <= 16 * 2500);
  CHECK(c.stats().entries <= 32);
  c.resize(0);
  CHECK(c.stats().entries == 0);
}

TEST_CASE("block cache: 4 threads inserting, reading and erasing never see a wrong block") {
  const size_t capacity = 16 * 20000;
  BlockCache c(capacity);
  std::atomic<int> wrong{0};
  std::atomic<uint64_t> hits{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(40 + t);
      for (int k = 0; k < 30000; ++k) {
        uint64_t r = 1 + rng() % 4;
        uint32_t b = static_cast<uint32_t>(rng() % 100);
        if (auto got = c.lookup(r, b)) {
          ++hits;
          if (!block_matches(got, r, b)) ++wrong;
        } else {
          c.insert(r, b, make_block(r, b, 1000 + b * 20));
        }
        if (t == 0 && k % 5000 == 0) c.erase_reader(1 + rng() % 4);
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(wrong == 0);
  CHECK(hits > 10000);
  CHECK(c.stats().bytes <= capacity);
  auto st = c.stats();
  CHECK(st.hits == hits.load());
}
