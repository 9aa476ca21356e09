// BlockCache: a byte-bounded cache of decompressed store blocks, shared by
// every StoreReader of the process, so that fetching the source of a hit
// whose block another query (or thread) already decompressed costs a lookup
// instead of a zstd decompression.
//
// Keys are (reader id, block number); reader ids come from StoreReader and
// are never reused, so a block of a destroyed reader can never be served for
// another one (StoreReader's destructor also erases its entries to free the
// memory early). Values are shared_ptr<const std::string>: a caller keeps
// using a block while another thread evicts it; the bytes are freed when the
// last user drops them. The cache never holds a block that failed its checks
// (StoreReader inserts only after the CRC and decompression succeeded).
//
// Layout: kShards shards, each an LRU list + hash map under its own mutex;
// a shard holds at most capacity / kShards bytes (block size plus
// kEntryOverhead per entry). A block larger than a shard's share is not
// cached. Capacity 0 disables caching.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace meridian::store {

class BlockCache {
 public:
  using Block = std::shared_ptr<const std::string>;
  static constexpr size_t kShards = 16;
  static constexpr size_t kDefaultCapacity = size_t{32} << 20;
  static constexpr size_t kEntryOverhead = 96;  // list node + map node + control block, roughly

  struct Stats {
    uint64_t hits = 0, misses = 0, inserts = 0, evictions = 0;
    size_t entries = 0, bytes = 0;  // current contents, overhead included in bytes
  };

  explicit BlockCache(size_t capacity_bytes);
  ~BlockCache();
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;

  // The process-wide cache used by StoreReader (never destroyed, so readers
  // living in static objects may still use it at exit).
  static BlockCache& global();
  // Sets the global cache's capacity; shrinking evicts at once.
  static void set_capacity(size_t bytes) { global().resize(bytes); }

  // The cached block, or null (counted as a miss). A hit becomes the shard's
  // most recently used entry.
  Block lookup(uint64_t reader, uint32_t block);
  // Caches `data` unless the key is present or it exceeds a shard's share;
  // evicts least recently used entries of the shard to make room.
  void insert(uint64_t reader, uint32_t block, Block data);
  // Drops every entry of `reader` (O(entries); called when a reader dies).
  void erase_reader(uint64_t reader);
  // Drops everything; statistics are kept.
  void clear();

  // Which shard holds a key (exposed so tests can model the LRU exactly).
  static size_t shard_index(uint64_t reader, uint32_t block);

  void resize(size_t capacity_bytes);
  size_t capacity() const { return capacity_.load(std::memory_order_relaxed); }
  Stats stats() const;

 private:
  struct Shard;
  Shard& shard_for(uint64_t reader, uint32_t block);

  std::atomic<size_t> capacity_;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace meridian::store
