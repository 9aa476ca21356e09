#include "meridian/store/store_reader.h"

#include <zstd.h>

#include <atomic>
#include <memory>
#include <utility>

#include "meridian/base/bytes.h"
#include "meridian/base/crc32c.h"
#include "store_format.h"

namespace meridian::store {

namespace {

std::atomic<uint64_t> g_next_reader_id{1};

struct DCtxDeleter {
  void operator()(ZSTD_DCtx* c) const { ZSTD_freeDCtx(c); }
};

// The calling thread's decompression context and the last block it used.
struct ThreadSlot {
  std::unique_ptr<ZSTD_DCtx, DCtxDeleter> dctx;
  uint64_t reader_id = 0;  // 0: empty
  uint32_t block = 0;
  BlockCache::Block raw;
};

ThreadSlot& thread_slot() {
  thread_local ThreadSlot slot;
  return slot;
}

}  // namespace

Result<StoreReader> StoreReader::open(std::string_view file, std::string name) {
  MERIDIAN_ASSIGN_OR_RETURN(FrameInfo frame, unframe_file(file, kStoreMagic, kStoreVersion,
                                                          kStoreVersion, name, /*verify_crc=*/false));
  std::string_view body = frame.body;
  auto corrupt = [&](uint64_t off, const std::string& what) {
    return Status::corruption(name + " at offset " + std::to_string(kFrameHeaderSize + off) + ": " + what);
  };
  if (body.size() < kTrailerSize) return corrupt(0, "store trailer is missing");
  uint64_t trailer_off = body.size() - kTrailerSize;
  ByteReader t(body.substr(trailer_off));
  uint32_t num_docs = t.u32(), num_blocks = t.u32();
  uint64_t index_offset = t.u64();
  uint32_t index_crc = crc32c::unmask(t.u32());
  if (index_offset > trailer_off || (trailer_off - index_offset) / kIndexEntrySize != num_blocks ||
      (trailer_off - index_offset) % kIndexEntrySize != 0)
    return corrupt(trailer_off, "block index bounds are inconsistent");
  std::string_view covered = body.substr(index_offset, trailer_off - index_offset + 16);
  if (crc32c::value(covered) != index_crc) return corrupt(index_offset, "block index checksum mismatch");
  if ((num_docs == 0) != (num_blocks == 0)) return corrupt(trailer_off, "document and block counts disagree");

  StoreReader r;
  r.name_ = name;  // not moved: corrupt() below still names the file
  r.file_ = file;
  r.body_ = body;
  r.index_ = body.substr(index_offset, trailer_off - index_offset);
  r.num_docs_ = num_docs;
  r.num_blocks_ = num_blocks;
  uint64_t next_offset = 0;
  for (uint32_t i = 0; i < num_blocks; ++i) {
    Block b = r.block(i);
    bool first_ok = i == 0 ? b.first_doc == 0 : b.first_doc > r.block(i - 1).first_doc;
    if (!first_ok || b.first_doc >= num_docs || b.offset != next_offset || b.stored_len == 0 ||
        b.stored_len > index_offset - next_offset)
      return corrupt(index_offset + uint64_t{i} * kIndexEntrySize,
                     "block index entry " + std::to_string(i) + " is inconsistent");
    next_offset += b.stored_len;
  }
  if (next_offset != index_offset) return corrupt(next_offset, "bytes between the last block and the index");
  // Each document of a block has a length varint of at least one byte, so a
  // block cannot hold more documents than it has bytes (this also bounds the
  // per-document loops of get() and verify() by the block size).
  for (uint32_t i = 0; i < num_blocks; ++i) {
    Block b = r.block(i);
    if (r.block_end_doc(i) - b.first_doc > b.raw_len)
      return corrupt(index_offset + uint64_t{i} * kIndexEntrySize,
                     "block index entry " + std::to_string(i) + " holds more documents than bytes");
  }
  size_t words = (size_t{num_blocks} + 63) / 64;
  r.crc_checked_.reset(new std::atomic<uint64_t>[words]);
  for (size_t w = 0; w < words; ++w) r.crc_checked_[w].store(0, std::memory_order_relaxed);
  r.id_ = g_next_reader_id.fetch_add(1);
  return r;
}

StoreReader::StoreReader(StoreReader&& o) noexcept
    : name_(std::move(o.name_)), file_(o.file_), body_(o.body_), index_(o.index_), num_docs_(o.num_docs_),
      num_blocks_(o.num_blocks_), id_(std::exchange(o.id_, 0)), crc_checked_(std::move(o.crc_checked_)) {}

StoreReader& StoreReader::operator=(StoreReader&& o) noexcept {
  if (this != &o) {
    release();
    name_ = std::move(o.name_);
    file_ = o.file_;
    body_ = o.body_;
    index_ = o.index_;
    num_docs_ = o.num_docs_;
    num_blocks_ = o.num_blocks_;
    id_ = std::exchange(o.id_, 0);
    crc_checked_ = std::move(o.crc_checked_);
  }
  return *this;
}

StoreReader::~StoreReader() { release(); }

void StoreReader::release() {
  if (id_ != 0) BlockCache::global().erase_reader(id_);
  id_ = 0;
}

StoreReader::Block StoreReader::block(uint32_t i) const {
  ByteReader e(index_.substr(uint64_t{i} * kIndexEntrySize, kIndexEntrySize));
  Block b;
  b.first_doc = e.u32();
  b.raw_len = e.u32();
  b.offset = e.u64();
  b.stored_len = e.u32();
  b.crc = crc32c::unmask(e.u32());
  return b;
}

uint32_t StoreReader::find_block(uint32_t doc) const {
  uint32_t lo = 0, hi = num_blocks_;  // last block whose first_doc <= doc
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (block(mid).first_doc <= doc) lo = mid;
    else hi = mid;
  }
  return lo;
}

uint32_t StoreReader::block_end_doc(uint32_t i) const {
  return i + 1 < num_blocks_ ? block(i + 1).first_doc : num_docs_;
}

Status StoreReader::corrupt_block(uint32_t i, const Block& b, std::string_view what) const {
  return Status::corruption(name_ + ": block " + std::to_string(i) + " at offset " +
                            std::to_string(kFrameHeaderSize + b.offset) + ": " + std::string(what));
}

Result<BlockCache::Block> StoreReader::decompress(uint32_t i, bool check_crc) const {
  Block b = block(i);
  std::string_view stored = body_.substr(b.offset, b.stored_len);
  if (check_crc && crc32c::value(stored) != b.crc) return corrupt_block(i, b, "checksum mismatch");
  std::string_view payload = stored.substr(1);
  auto raw = std::make_shared<std::string>();
  if (stored[0] == static_cast<char>(kCodecRaw)) {
    if (payload.size() != b.raw_len) return corrupt_block(i, b, "raw block length mismatch");
    raw->assign(payload);
  } else if (stored[0] == static_cast<char>(kCodecZstd)) {
    unsigned long long size = ZSTD_getFrameContentSize(payload.data(), payload.size());
    if (size != b.raw_len) return corrupt_block(i, b, "zstd frame size disagrees with the index");
    ThreadSlot& t = thread_slot();
    if (!t.dctx) t.dctx.reset(ZSTD_createDCtx());
    if (!t.dctx) return Status::internal("zstd: cannot allocate a decompression context");
    raw->resize(b.raw_len);
    size_t n = ZSTD_decompressDCtx(t.dctx.get(), raw->data(), raw->size(), payload.data(), payload.size());
    if (ZSTD_isError(n)) return corrupt_block(i, b, std::string("zstd: ") + ZSTD_getErrorName(n));
    if (n != b.raw_len) return corrupt_block(i, b, "decompressed length mismatch");
  } else {
    return corrupt_block(i, b, "unknown codec " + std::to_string(static_cast<uint8_t>(stored[0])));
  }
  return BlockCache::Block(std::move(raw));
}

Result<BlockCache::Block> StoreReader::load_block(uint32_t i) const {
  ThreadSlot& t = thread_slot();
  if (t.reader_id == id_ && t.block == i) return t.raw;
  bool scanning = t.reader_id == id_ && t.block + 1 == i;
  BlockCache& cache = BlockCache::global();
  BlockCache::Block raw = cache.lookup(id_, i);
  if (!raw) {
    bool checked = crc_checked(i);
    MERIDIAN_ASSIGN_OR_RETURN(raw, decompress(i, !checked));
    if (!checked) crc_checked_[i / 64].fetch_or(uint64_t{1} << (i % 64), std::memory_order_release);
    if (!scanning) cache.insert(id_, i, raw);
  }
  t.reader_id = id_;
  t.block = i;
  t.raw = raw;
  return raw;
}

Status StoreReader::get_to(uint32_t doc, std::string* out) const {
  if (doc >= num_docs_)
    return Status::not_found(name_ + ": doc " + std::to_string(doc) + " out of range (" +
                             std::to_string(num_docs_) + " docs)");
  uint32_t i = find_block(doc);
  MERIDIAN_ASSIGN_OR_RETURN(BlockCache::Block raw, load_block(i));
  ByteReader r(*raw);
  uint32_t first = block(i).first_doc, end = block_end_doc(i);
  uint64_t skip = 0, len = 0;
  for (uint32_t d = first; d < end; ++d) {
    uint64_t l = r.varint();
    if (d < doc) skip += l;
    if (d == doc) len = l;
  }
  if (r.failed() || skip > r.remaining() || len > r.remaining() - skip)
    return corrupt_block(i, block(i), "document lengths overrun the block");
  r.skip(skip);
  out->assign(r.bytes(len));
  return Status::ok();
}

Result<std::string> StoreReader::get(uint32_t doc) const {
  std::string out;
  MERIDIAN_RETURN_IF_ERROR(get_to(doc, &out));
  return out;
}

Status StoreReader::verify() const {
  auto frame = unframe_file(file_, kStoreMagic, kStoreVersion, kStoreVersion, name_, true);
  if (!frame.is_ok()) return frame.status();
  for (uint32_t i = 0; i < num_blocks_; ++i) {
    MERIDIAN_ASSIGN_OR_RETURN(BlockCache::Block raw, decompress(i, /*check_crc=*/true));
    ByteReader r(*raw);
    uint64_t total = 0;
    for (uint32_t d = block(i).first_doc, end = block_end_doc(i); d < end; ++d) total += r.varint();
    if (r.failed() || total != r.remaining())
      return corrupt_block(i, block(i), "document lengths do not add up to the block size");
  }
  return Status::ok();
}

}  // namespace meridian::store
