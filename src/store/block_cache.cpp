#include "meridian/store/block_cache.h"

#include <list>
#include <mutex>
#include <unordered_map>

namespace meridian::store {

namespace {

struct Key {
  uint64_t reader;
  uint32_t block;
  bool operator==(const Key&) const = default;
};

uint64_t mix(uint64_t reader, uint32_t block) {  // splitmix64 finalizer
  uint64_t x = reader * 0x9e3779b97f4a7c15ull ^ block;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

struct KeyHash {
  size_t operator()(const Key& k) const { return static_cast<size_t>(mix(k.reader, k.block)); }
};

size_t charge(const std::string& data) { return data.size() + BlockCache::kEntryOverhead; }

}  // namespace

struct BlockCache::Shard {
  struct Entry {
    Key key;
    Block data;
  };
  std::mutex mu;
  std::list<Entry> lru;  // front: most recently used; GUARDED_BY(mu)
  std::unordered_map<Key, std::list<Entry>::iterator, KeyHash> map;  // GUARDED_BY(mu)
  size_t bytes = 0;                                                   // GUARDED_BY(mu)
  uint64_t hits = 0, misses = 0, inserts = 0, evictions = 0;          // GUARDED_BY(mu)

  void evict_to(size_t limit) {  // requires mu
    while (bytes > limit && !lru.empty()) {
      bytes -= charge(*lru.back().data);
      map.erase(lru.back().key);
      lru.pop_back();
      ++evictions;
    }
  }
  void erase(std::list<Entry>::iterator it) {  // requires mu
    bytes -= charge(*it->data);
    map.erase(it->key);
    lru.erase(it);
  }
};

BlockCache::BlockCache(size_t capacity_bytes) : capacity_(capacity_bytes), shards_(new Shard[kShards]) {}
BlockCache::~BlockCache() = default;

BlockCache& BlockCache::global() {
  static BlockCache* cache = new BlockCache(kDefaultCapacity);  // leaked on purpose: see header
  return *cache;
}

size_t BlockCache::shard_index(uint64_t reader, uint32_t block) {
  return static_cast<size_t>(mix(reader, block) >> 60);  // top 4 bits: kShards == 16
}
static_assert(BlockCache::kShards == 16);

BlockCache::Shard& BlockCache::shard_for(uint64_t reader, uint32_t block) {
  return shards_[shard_index(reader, block)];
}

BlockCache::Block BlockCache::lookup(uint64_t reader, uint32_t block) {
  Shard& s = shard_for(reader, block);
  std::lock_guard lock(s.mu);
  auto it = s.map.find(Key{reader, block});
  if (it == s.map.end()) {
    ++s.misses;
    return nullptr;
  }
  ++s.hits;
  s.lru.splice(s.lru.begin(), s.lru, it->second);
  return it->second->data;
}

void BlockCache::insert(uint64_t reader, uint32_t block, Block data) {
  size_t limit = capacity() / kShards;
  if (!data || charge(*data) > limit) return;
  Shard& s = shard_for(reader, block);
  std::lock_guard lock(s.mu);
  Key key{reader, block};
  if (s.map.count(key)) return;  // another thread decompressed it too
  s.evict_to(limit - charge(*data));
  s.bytes += charge(*data);
  s.lru.push_front(Shard::Entry{key, std::move(data)});
  s.map.emplace(key, s.lru.begin());
  ++s.inserts;
}

void BlockCache::erase_reader(uint64_t reader) {
  for (size_t i = 0; i < kShards; ++i) {
    Shard& s = shards_[i];
    std::lock_guard lock(s.mu);
    for (auto it = s.lru.begin(); it != s.lru.end();) {
      auto next = std::next(it);
      if (it->key.reader == reader) s.erase(it);
      it = next;
    }
  }
}

void BlockCache::clear() {  // counted as evictions
  for (size_t i = 0; i < kShards; ++i) {
    std::lock_guard lock(shards_[i].mu);
    shards_[i].evict_to(0);
  }
}

void BlockCache::resize(size_t capacity_bytes) {
  capacity_.store(capacity_bytes, std::memory_order_relaxed);
  for (size_t i = 0; i < kShards; ++i) {
    std::lock_guard lock(shards_[i].mu);
    shards_[i].evict_to(capacity_bytes / kShards);
  }
}

BlockCache::Stats BlockCache::stats() const {
  Stats st;
  for (size_t i = 0; i < kShards; ++i) {
    Shard& s = shards_[i];
    std::lock_guard lock(s.mu);
    st.hits += s.hits;
    st.misses += s.misses;
    st.inserts += s.inserts;
    st.evictions += s.evictions;
    st.entries += s.lru.size();
    st.bytes += s.bytes;
  }
  return st;
}

}  // namespace meridian::store
