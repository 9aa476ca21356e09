// StoreReader: reads document sources from a store file ("MSTO",
// docs/FORMAT.md "Store file") straight from its (mapped) bytes.
//
// open() checks the frame (magic, version, lengths; not the whole-file CRC),
// the block index's CRC32C and its consistency: O(number of blocks), about
// 0.15% of the file, no block is decompressed. get() finds the block by binary
// search on the index, verifies the block's CRC32C, decompresses it and
// returns the document; a damaged or truncated block is
// Corruption("<name>: block N at offset M: ...") and never crashes.
//
// Ownership: `file` must outlive the reader (normally a MappedFile owned by
// the segment). Thread safety: all const methods may be called concurrently.
// Each thread has its own zstd decompression context and a cache of the last
// block it decompressed (keyed by a per-reader id never reused, so a
// destroyed reader's block is never served for a new one). Reading docs of
// one block in order therefore decompresses the block once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "meridian/base/status.h"

namespace meridian::store {

class StoreReader {
 public:
  static Result<StoreReader> open(std::string_view file, std::string name);

  uint32_t num_docs() const { return num_docs_; }
  uint32_t num_blocks() const { return num_blocks_; }

  // NotFound for doc >= num_docs(); Corruption for a damaged block.
  Result<std::string> get(uint32_t doc) const;
  Status get_to(uint32_t doc, std::string* out) const;

  // Whole-file CRC and every block decompressed; O(file size).
  Status verify() const;

 private:
  struct Block {
    uint32_t first_doc = 0, raw_len = 0, stored_len = 0, crc = 0;
    uint64_t offset = 0;  // in the body
  };
  StoreReader() = default;
  Block block(uint32_t i) const;
  uint32_t find_block(uint32_t doc) const;
  uint32_t block_end_doc(uint32_t i) const;
  // Decompressed bytes of block i (in the calling thread's cache).
  Result<const std::string*> load_block(uint32_t i) const;
  Status corrupt_block(uint32_t i, const Block& b, std::string_view what) const;

  std::string name_;
  std::string_view file_;
  std::string_view body_;
  std::string_view index_;  // num_blocks_ entries
  uint32_t num_docs_ = 0;
  uint32_t num_blocks_ = 0;
  uint64_t id_ = 0;  // unique per opened reader, keys the per-thread cache
};

}  // namespace meridian::store
