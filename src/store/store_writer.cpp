#include "meridian/store/store_writer.h"

#include <zstd.h>

#include <cassert>
#include <cstdlib>

#include "meridian/base/bytes.h"
#include "meridian/base/crc32c.h"
#include "store_format.h"

namespace meridian::store {

StoreWriter::StoreWriter(int zstd_level, size_t block_target)
    : level_(zstd_level), block_target_(block_target), cctx_(nullptr) {}

StoreWriter::~StoreWriter() { ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(cctx_)); }

void StoreWriter::add(std::string_view source) {
  assert(source.size() <= 0xffffffffu - 65536);
  block_lengths_.push_back(static_cast<uint32_t>(source.size()));
  block_data_.append(source);
  ++num_docs_;
  if (block_data_.size() >= block_target_) flush_block();
}

void StoreWriter::flush_block() {
  if (block_lengths_.empty()) return;
  std::string raw;
  ByteWriter rw(&raw);
  for (uint32_t len : block_lengths_) rw.varint(len);
  raw += block_data_;

  // A block this small never shrinks (zstd's own frame costs more), so it is
  // kept raw, and a writer that sees only such blocks (the one-document
  // segments of live queries) never builds a compression context.
  constexpr size_t kMinCompressed = 64;
  std::string stored;
  size_t n = 0;
  if (raw.size() >= kMinCompressed) {
    if (!cctx_) cctx_ = ZSTD_createCCtx();
    if (!cctx_) std::abort();  // out of memory: nothing sensible to return
    stored.assign(1 + ZSTD_compressBound(raw.size()), '\0');
    n = ZSTD_compressCCtx(static_cast<ZSTD_CCtx*>(cctx_), stored.data() + 1, stored.size() - 1, raw.data(),
                          raw.size(), level_);
  }
  if (raw.size() >= kMinCompressed && !ZSTD_isError(n) && n < raw.size()) {
    stored[0] = static_cast<char>(kCodecZstd);
    stored.resize(1 + n);
  } else {  // incompressible (or zstd failed): keep the bytes as they are
    stored.assign(1, static_cast<char>(kCodecRaw));
    stored += raw;
  }
  ByteWriter iw(&index_);
  iw.u32(block_first_doc_);
  iw.u32(static_cast<uint32_t>(raw.size()));
  iw.u64(blocks_.size());
  iw.u32(static_cast<uint32_t>(stored.size()));
  iw.u32(crc32c::mask(crc32c::value(stored)));
  blocks_ += stored;
  ++num_blocks_;
  block_first_doc_ = num_docs_;
  block_lengths_.clear();
  block_data_.clear();
}

std::string StoreWriter::finish() {
  flush_block();
  std::string body = std::move(blocks_);
  uint64_t index_offset = body.size();
  ByteWriter w(&body);
  w.bytes(index_);
  w.u32(num_docs_);
  w.u32(num_blocks_);
  w.u64(index_offset);
  w.u32(crc32c::mask(crc32c::value(body.data() + index_offset, body.size() - index_offset)));
  w.u32(0);
  std::string out = frame_file(kStoreMagic, kStoreVersion, body);
  blocks_.clear();
  index_.clear();
  num_docs_ = num_blocks_ = block_first_doc_ = 0;
  return out;
}

}  // namespace meridian::store
