#include "meridian/termdict/term_dict_writer.h"

#include <algorithm>

#include "meridian/base/bytes.h"
#include "meridian/base/crc32c.h"

namespace meridian::termdict {

namespace f = format;

TermDictWriter::TermDictWriter(uint32_t block_size)
    : block_size_(std::clamp<uint32_t>(block_size, 1, f::kMaxBlockSize)) {}

Status TermDictWriter::add(std::string_view term, uint64_t value) {
  if (term.size() > f::kMaxTermLength)
    return Status::invalid("term of " + std::to_string(term.size()) + " bytes is longer than " +
                           std::to_string(f::kMaxTermLength));
  if (n_terms_ > 0 && std::string_view(prev_).compare(term) >= 0)
    return Status::invalid("terms must be added in strictly increasing order");
  if (n_terms_ >= UINT32_MAX) return Status::invalid("term dictionary is full");
  ByteWriter w(&block_);
  size_t shared = 0;
  if (in_block_ == 0) {
    ByteWriter iw(&index_);
    iw.u64(body_.size());
    iw.u64(keys_.size());
    iw.u32(static_cast<uint32_t>(term.size()));
    iw.u32(0);  // block_len, patched in flush_block
    keys_.append(term);
  } else {
    size_t limit = std::min(prev_.size(), term.size());
    while (shared < limit && prev_[shared] == term[shared]) ++shared;
  }
  w.varint(shared);
  w.str(term.substr(shared));
  w.varint(value);
  prev_.assign(term);
  ++n_terms_;
  if (++in_block_ == block_size_) flush_block();
  return Status::ok();
}

void TermDictWriter::flush_block() {
  if (in_block_ == 0) return;
  ByteWriter w(&body_);
  w.u32(crc32c::mask(crc32c::value(block_)));
  w.u32(static_cast<uint32_t>(block_.size()));
  w.bytes(block_);
  uint32_t block_len = static_cast<uint32_t>(f::kBlockHeaderSize + block_.size());
  size_t at = index_.size() - 4;
  for (int i = 0; i < 4; ++i) index_[at + i] = static_cast<char>((block_len >> (8 * i)) & 0xff);
  block_.clear();
  in_block_ = 0;
}

std::string TermDictWriter::finish() {
  flush_block();
  uint64_t n_blocks = index_.size() / f::kIndexEntrySize;
  ByteWriter w(&body_);
  uint64_t index_off = body_.size();
  w.bytes(index_);
  uint64_t keys_off = body_.size();
  w.bytes(keys_);
  uint32_t index_crc = crc32c::value(body_.data() + index_off, body_.size() - index_off);
  size_t trailer = body_.size();
  w.u64(n_terms_);
  w.u64(n_blocks);
  w.u64(index_off);
  w.u64(keys_off);
  w.u32(block_size_);
  w.u32(crc32c::mask(index_crc));
  w.u32(crc32c::mask(crc32c::value(body_.data() + trailer, 40)));
  w.u32(0);
  std::string file = frame_file(f::kMagic, f::kVersion, body_);
  body_.clear();
  index_.clear();
  keys_.clear();
  prev_.clear();
  n_terms_ = 0;
  return file;
}

}  // namespace meridian::termdict
