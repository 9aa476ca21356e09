// StoreReader: reads document sources from a store file ("MSTO",
// docs/FORMAT.md "Store file") straight from its (mapped) bytes.
//
// open() checks the frame (magic, version, lengths; not the whole-file CRC),
// the block index's CRC32C and its consistency: O(number of blocks), about
// 0.15% of the file, no block is decompressed. get() finds the block by binary
// search on the index and takes its decompressed bytes from a cache, or
// decompresses it; a damaged or truncated block is
// Corruption("<name>: block N at offset M: ...") and never crashes.
//
// Caching, fastest first:
//  1. each thread's last block (no lock): docs of one block read in a row
//     decompress it once;
//  2. the process-wide BlockCache (block_cache.h, sharded LRU, 32 MiB by
//     default, BlockCache::set_capacity), keyed by (cache_id(), block);
//  3. decompression. A block's CRC32C is checked only the first time it is
//     decompressed in this reader's lifetime (a lock-free atomic bitset);
//     later misses (after eviction) only re-run zstd, whose frame size and
//     the document lengths are still checked. A block that fails is never
//     cached, so it fails again on every read.
// A thread reading block i right after block i-1 of the same reader is
// scanning (merge, dump): such blocks stay in the thread's own slot and do not
// enter the shared cache, so a scan does not evict the query-hot blocks.
// verify() bypasses both caches and checks every CRC.
//
// Ownership: `file` must outlive the reader (normally a MappedFile owned by
// the segment). Move-only. Thread safety: all const methods may be called
// concurrently. Destroying the reader erases its blocks from the shared
// cache; its id is never reused, so no block of it is ever served again.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "meridian/base/status.h"
#include "meridian/store/block_cache.h"

namespace meridian::store {

class StoreReader {
 public:
  static Result<StoreReader> open(std::string_view file, std::string name);
  StoreReader(StoreReader&& o) noexcept;
  StoreReader& operator=(StoreReader&& o) noexcept;
  ~StoreReader();

  uint32_t num_docs() const { return num_docs_; }
  uint32_t num_blocks() const { return num_blocks_; }

  // NotFound for doc >= num_docs(); Corruption for a damaged block.
  Result<std::string> get(uint32_t doc) const;
  Status get_to(uint32_t doc, std::string* out) const;

  // Whole-file CRC, every block's CRC and every block decompressed (no cache
  // used or filled); O(file size).
  Status verify() const;

  // Unique per opened reader, never reused in the process; keys BlockCache.
  uint64_t cache_id() const { return id_; }

 private:
  struct Block {
    uint32_t first_doc = 0, raw_len = 0, stored_len = 0, crc = 0;
    uint64_t offset = 0;  // in the body
  };
  StoreReader() = default;
  Block block(uint32_t i) const;
  uint32_t find_block(uint32_t doc) const;
  uint32_t block_end_doc(uint32_t i) const;
  // Decompressed bytes of block i, from a cache or decompressed.
  Result<BlockCache::Block> load_block(uint32_t i) const;
  // Decompresses block i; checks its CRC if `check_crc`.
  Result<BlockCache::Block> decompress(uint32_t i, bool check_crc) const;
  bool crc_checked(uint32_t i) const {
    return (crc_checked_[i / 64].load(std::memory_order_acquire) >> (i % 64)) & 1;
  }
  void release();
  Status corrupt_block(uint32_t i, const Block& b, std::string_view what) const;

  std::string name_;
  std::string_view file_;
  std::string_view body_;
  std::string_view index_;  // num_blocks_ entries
  uint32_t num_docs_ = 0;
  uint32_t num_blocks_ = 0;
  uint64_t id_ = 0;  // unique per opened reader, keys the caches; 0 once moved from
  // One bit per block: its CRC32C matched once.
  std::unique_ptr<std::atomic<uint64_t>[]> crc_checked_;
};

}  // namespace meridian::store
