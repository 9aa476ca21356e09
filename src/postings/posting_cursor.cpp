#include "meridian/postings/posting_cursor.h"

#include <algorithm>
#include <cstring>

namespace meridian::postings {

namespace f = format;

PostingCursor::PostingCursor(const Bitmap& docs, const TermLayout& layout) : t_(layout), it_(docs) {
  if (t_.n_blocks == 0) {
    set_end();
    return;
  }
  load_block(0);
}

void PostingCursor::set_end() {
  doc_ = kEnd;
  block_ = t_.n_blocks;
  bound_block_ = t_.n_blocks;
  i_ = 0;
  n_ = 0;
}

// Decodes the documents of block b into docs_. Sequential block loads reuse
// the iterator's position; jumps seek past the previous block's last doc.
void PostingCursor::load_block(uint32_t b) {
  if (it_block_ != b) it_.seek(b == 0 ? 0 : last_doc_of(b - 1) + 1);
  uint32_t want = static_cast<uint32_t>(
      std::min<uint64_t>(f::kBlockSize, uint64_t{t_.doc_freq} - uint64_t{b} * f::kBlockSize));
  uint32_t got = it_.valid() ? it_.read(docs_, want) : 0;
  it_block_ = b + 1;
  if (got != want) {  // bitmap and block table disagree (impossible after verification)
    set_end();
    return;
  }
  block_ = b;
  bound_block_ = b;
  n_ = got;
  i_ = 0;
  doc_ = docs_[0];
  tfs_loaded_ = false;
}

uint32_t PostingCursor::next() {
  if (doc_ == kEnd) return kEnd;
  if (++i_ < n_) {
    doc_ = docs_[i_];
    bound_block_ = block_;
    return doc_;
  }
  if (block_ + 1 >= t_.n_blocks) {
    set_end();
    return kEnd;
  }
  load_block(block_ + 1);
  return doc_;
}

// First block index >= from whose last doc is >= target (n_blocks if none):
// galloping, then binary search.
uint32_t PostingCursor::find_block(uint32_t from, uint32_t target) const {
  uint64_t n = t_.n_blocks, lo = from, bound = from, step = 1;
  while (bound < n && last_doc_of(static_cast<uint32_t>(bound)) < target) {
    lo = bound + 1;
    bound = lo + step;
    step <<= 1;
  }
  uint64_t hi = std::min(bound + 1, n);
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (last_doc_of(static_cast<uint32_t>(mid)) < target) lo = mid + 1; else hi = mid;
  }
  return static_cast<uint32_t>(lo);
}

uint32_t PostingCursor::next_geq(uint32_t target) {
  if (doc_ >= target) return doc_;  // also covers kEnd
  if (target > last_doc_of(block_)) {
    uint32_t b = find_block(block_ + 1, target);
    if (b >= t_.n_blocks) {
      set_end();
      return kEnd;
    }
    load_block(b);
    if (doc_ == kEnd) return kEnd;
  }
  bound_block_ = block_;
  while (i_ < n_ && docs_[i_] < target) ++i_;
  if (i_ == n_) {  // only with an inconsistent block table
    set_end();
    return kEnd;
  }
  doc_ = docs_[i_];
  return doc_;
}

void PostingCursor::load_tfs() {
  tfs_loaded_ = true;
  if (t_.tf_len == 0) {  // unit tf (kFlagUnitTf): a term with documents has no empty tf area otherwise
    std::fill(tfs_, tfs_ + n_, 1u);
    return;
  }
  f::BlockEntry e = t_.block(block_);
  const char* p = t_.tf + e.tf_off;
  const char* end = block_ + 1 < t_.n_blocks ? t_.tf + t_.block(block_ + 1).tf_off
                                             : t_.tf + t_.tf_len;
  bool ok = true;
  for (uint32_t k = 0; k < n_; ++k) tfs_[k] = f::read_varint(p, end, &ok);
  tfs_loaded_ = true;
}

uint32_t PostingCursor::freq() {
  if (doc_ == kEnd) return 0;
  if (!tfs_loaded_) load_tfs();
  return tfs_[i_];
}

std::span<const uint32_t> PostingCursor::positions() {
  if (doc_ == kEnd || !t_.has_positions) return {};
  if (!tfs_loaded_) load_tfs();
  if (pos_block_ != block_) {
    f::BlockEntry e = t_.block(block_);
    pos_p_ = t_.pos + e.pos_off;
    pos_end_ = block_ + 1 < t_.n_blocks ? t_.pos + t_.block(block_ + 1).pos_off
                                        : t_.pos + t_.pos_len;
    pos_block_ = block_;
    pos_next_i_ = 0;
    pos_cached_i_ = -1;
  }
  if (pos_cached_i_ == static_cast<int64_t>(i_)) return pos_buf_;
  bool ok = true;
  // Skip the positions of the docs in between without decoding them: each
  // varint ends with a byte below 0x80, counted eight bytes at a time.
  uint64_t skip = 0;
  for (; pos_next_i_ < i_; ++pos_next_i_) skip += tfs_[pos_next_i_];
  while (skip > 0 && pos_end_ - pos_p_ >= 8) {
    uint64_t w;
    std::memcpy(&w, pos_p_, 8);
    // One bit per byte (1 where a varint ends), summed into the top byte by
    // a multiply: std::popcount is a libgcc call on the x86-64 baseline.
    const uint64_t ends = (((~w & 0x8080808080808080ull) >> 7) * 0x0101010101010101ull) >> 56;
    if (ends > skip) break;
    skip -= ends;
    pos_p_ += 8;
  }
  for (; skip > 0 && pos_p_ < pos_end_; ++pos_p_)
    if (!(static_cast<uint8_t>(*pos_p_) & 0x80)) --skip;
  if (skip > 0) ok = false;
  pos_buf_.resize(tfs_[i_]);
  uint32_t acc = 0;
  for (uint32_t k = 0; k < tfs_[i_]; ++k) {
    acc += f::read_varint(pos_p_, pos_end_, &ok);
    pos_buf_[k] = acc;
  }
  if (!ok) pos_buf_.clear();
  pos_next_i_ = i_ + 1;
  pos_cached_i_ = i_;
  return pos_buf_;
}

uint32_t PostingCursor::block_last_doc() const {
  return bound_block_ < t_.n_blocks ? last_doc_of(bound_block_) : kEnd;
}
uint32_t PostingCursor::block_max_tf() const {
  return bound_block_ < t_.n_blocks ? t_.block(bound_block_).max_tf : 0;
}
uint32_t PostingCursor::block_min_len() const {
  return bound_block_ < t_.n_blocks ? t_.block(bound_block_).min_len : UINT32_MAX;
}

void PostingCursor::shallow_advance(uint32_t target) {
  if (bound_block_ >= t_.n_blocks || last_doc_of(bound_block_) >= target) return;
  bound_block_ = find_block(bound_block_ + 1, target);
}

}  // namespace meridian::postings
