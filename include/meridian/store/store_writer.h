// StoreWriter: builds a segment's store file ("MSTO", docs/FORMAT.md "Store
// file"): the original JSON source of every document, in blocks of about
// kStoreBlockTarget bytes of source compressed with zstd (a block that does
// not shrink is stored raw), a block index and a CRC32C per block.
//
// Doc ids are 0, 1, 2, ... in call order. A source may be any bytes (empty
// included), up to 4 GiB - 64 KiB; a source larger than the target block size
// gets a block of its own (together with the docs before it in that block).
// Ownership: copies what it is given; memory use is one block plus the
// compressed output. Not thread-safe (one builder per segment flush).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace meridian::store {

// 8 KiB: against 16 KiB, random gets miss-decompress ~1.5x faster for ~6% larger
// files on datasets/full/text.ndjson (docs/FORMAT.md "Store file").
constexpr size_t kStoreBlockTarget = 8 * 1024;

class StoreWriter {
 public:
  // `block_target`: a block is closed once its sources reach this many bytes
  // (readers take the block layout from the file, so any value reads back).
  // zstd level 1: on 8 KiB blocks of datasets/full/text.ndjson it stores
  // 1.3 % more than level 3 (25.57 vs 25.26 MB) and the whole text import
  // is 2.4 % faster; decompression speed is the same.
  explicit StoreWriter(int zstd_level = 1, size_t block_target = kStoreBlockTarget);
  ~StoreWriter();
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;

  void add(std::string_view source);
  // The whole framed file. The writer is left empty and may be reused.
  std::string finish();

  uint32_t num_docs() const { return num_docs_; }

 private:
  void flush_block();

  int level_;
  size_t block_target_;
  void* cctx_;  // ZSTD_CCtx*, reused across blocks
  uint32_t num_docs_ = 0;
  uint32_t block_first_doc_ = 0;
  std::vector<uint32_t> block_lengths_;  // source length of each doc in the open block
  std::string block_data_;               // their bytes, concatenated
  std::string blocks_;                   // finished blocks (body prefix)
  std::string index_;                    // finished index entries
  uint32_t num_blocks_ = 0;
};

}  // namespace meridian::store
