#include "meridian/postings/posting_cursor.h"

#include <algorithm>
#include <cstring>

namespace meridian::postings {

namespace f = format;

PostingCursor::PostingCursor(const Bitmap& docs, const TermLayout& layout) : t_(layout), bm_(&docs), it_(docs) {
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
  docs_n_ = 0;
  tfs_n_ = 0;
}

// Makes b the current block, at its first document. Sequential block loads
// reuse the iterator's position; jumps seek past the previous block's last
// doc. Nothing past the first chunk of documents is decoded yet.
void PostingCursor::load_block(uint32_t b) {
  if (it_block_ != b) it_.seek(first_doc_of(b));
  block_ = b;
  bound_block_ = b;
  n_ = block_size(b);
  docs_n_ = 0;
  i_ = 0;
  tfs_n_ = 0;
  tf_p_ = nullptr;
  it_block_ = kNoBlock;
  if (!read_docs(kChunk)) return;
  doc_ = docs_[0];
}

bool PostingCursor::read_docs(uint32_t k) {
  const uint32_t want = std::min(n_, k);
  const uint32_t need = want - docs_n_;
  const uint32_t got = it_.valid() ? it_.read(docs_ + docs_n_, need) : 0;
  if (got != need) {  // bitmap and block table disagree (impossible after verification)
    set_end();  // (it_block_ is already kNoBlock: every caller reads inside a block)
    return false;
  }
  docs_n_ = want;
  if (docs_n_ == n_) it_block_ = block_ + 1;
  return true;
}

uint32_t PostingCursor::next() {
  if (doc_ == kEnd) return kEnd;
  if (++i_ < n_) {
    // Walking doc by doc: the rest of the block is wanted.
    if (i_ >= docs_n_ && !read_docs(n_)) return kEnd;
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

bool PostingCursor::far(uint32_t b, uint32_t from, uint32_t target) const {
  // Documents in [from, target) ~ (target - from) * n / span; land past a chunk.
  const uint64_t span = uint64_t{last_doc_of(b)} - first_doc_of(b) + 1;
  return uint64_t{target - from} * block_size(b) > uint64_t{kChunk} * span;
}

uint32_t PostingCursor::land(uint32_t b, uint32_t base, uint32_t from, uint32_t target) {
  const uint64_t i = base + bm_->count_range(from, target);
  const uint32_t n = block_size(b);
  it_block_ = kNoBlock;
  if (i >= n || !it_.seek(target)) {  // bitmap and block table disagree (impossible after verification)
    set_end();
    return kEnd;
  }
  if (b != block_) {
    block_ = b;
    n_ = n;
    tfs_n_ = 0;
    tf_p_ = nullptr;
  }
  bound_block_ = b;
  i_ = docs_n_ = static_cast<uint32_t>(i);  // the documents before i stay unread
  if (!read_docs(i_ + 1)) return kEnd;
  doc_ = docs_[i_];
  return doc_;
}

uint32_t PostingCursor::next_geq(uint32_t target) {
  if (doc_ >= target) return doc_;  // also covers kEnd
  if (target > last_doc_of(block_)) {
    uint32_t b = find_block(block_ + 1, target);
    if (b >= t_.n_blocks) {
      set_end();
      return kEnd;
    }
    const uint32_t first = first_doc_of(b);
    if (target > first && far(b, first, target)) return land(b, 0, first, target);
    load_block(b);
    if (doc_ == kEnd) return kEnd;
  } else if (const uint32_t read = docs_[docs_n_ - 1]; target > read && docs_n_ < n_ && far(block_, read, target)) {
    return land(block_, docs_n_, read + 1, target);
  }
  bound_block_ = block_;
  while (true) {
    while (i_ < docs_n_ && docs_[i_] < target) ++i_;
    if (i_ < docs_n_) break;
    if (docs_n_ == n_) {  // only with an inconsistent block table
      set_end();
      return kEnd;
    }
    // Near the target (else it would have landed): the rest of the block.
    if (!read_docs(n_)) return kEnd;
  }
  doc_ = docs_[i_];
  return doc_;
}

void PostingCursor::decode_tfs_slow(uint32_t k) {
  if (t_.tf_len == 0) {  // unit tf (kFlagUnitTf): a term with documents has no empty tf area otherwise
    for (uint32_t j = tfs_n_ + 1; j <= n_; ++j) cum_[j] = j;
    tfs_n_ = n_;
    return;
  }
  if (tf_p_ == nullptr) {
    tf_p_ = t_.tf + t_.block(block_).tf_off;
    tf_end_ = block_ + 1 < t_.n_blocks ? t_.tf + t_.block(block_ + 1).tf_off : t_.tf + t_.tf_len;
  }
  // Locals: stores into cum_ would otherwise force the members back to memory.
  bool ok = true;
  uint32_t n = tfs_n_, sum = cum_[n];
  const char* p = tf_p_;
  const char* const e = tf_end_;
  if (k > n + 8) {
    // A landing far into the block: the tfs before the document are only
    // summed (eight one-byte varints at a time, in four 16-bit lanes), and
    // cum_ gets their total; the entries in between stay unwritten (the
    // cursor never comes back to them).
    for (const uint32_t to = k - 1; n < to;) {
      if (n + 8 <= to && e - p >= 8) {
        uint64_t w;
        std::memcpy(&w, p, 8);
        if (!(w & 0x8080808080808080ull)) {
          const uint64_t lanes = (w & 0x00ff00ff00ff00ffull) + ((w >> 8) & 0x00ff00ff00ff00ffull);
          sum += static_cast<uint32_t>((lanes * 0x0001000100010001ull) >> 48);
          n += 8;
          p += 8;
          continue;
        }
      }
      sum += f::read_varint(p, e, &ok);
      ++n;
    }
    cum_[n] = sum;
  } else {
    k = std::min(n_, std::max(k, n + kChunk));  // a cursor walking the block comes back every chunk
  }
  uint32_t* const cum = cum_;
  while (n < k) {
    // Eight one-byte varints at once (most tfs are below 128).
    if (n + 8 <= n_ && e - p >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      if (!(w & 0x8080808080808080ull)) {
        for (uint32_t j = 1; j <= 8; ++j, w >>= 8) cum[n + j] = sum += static_cast<uint32_t>(w & 0xff);
        n += 8;
        p += 8;
        continue;
      }
    }
    cum[++n] = sum += f::read_varint(p, e, &ok);
  }
  tfs_n_ = n;
  tf_p_ = p;
}

uint32_t PostingCursor::freq() {
  if (doc_ == kEnd) return 0;
  decode_tfs(i_ + 1);
  return cum_[i_ + 1] - cum_[i_];
}

std::span<const uint32_t> PostingCursor::positions() {
  if (doc_ == kEnd || !t_.has_positions) return {};
  decode_tfs(i_ + 1);
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
  // varint ends with a byte below 0x80, counted eight bytes at a time; in
  // the last word, the byte ending the skip-th varint is found by clearing
  // the lower end bits (locals: the members would be stored back on every step).
  uint64_t skip = cum_[i_] - cum_[pos_next_i_];
  const char* p = pos_p_;
  const char* const end = pos_end_;
  while (skip > 0 && end - p >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    uint64_t m = ~w & 0x8080808080808080ull;  // the high bit of each byte ending a varint
    // Summed into the top byte by a multiply: std::popcount is a libgcc
    // call on the x86-64 baseline.
    const uint64_t ends = ((m >> 7) * 0x0101010101010101ull) >> 56;
    if (ends < skip || (ends == skip && (m >> 63))) {
      skip -= ends;
      p += 8;
      continue;
    }
    for (; skip > 1; --skip) m &= m - 1;
    p += __builtin_ctzll(m) / 8 + 1;
    skip = 0;
  }
  for (; skip > 0 && p < end; ++p)
    if (!(static_cast<uint8_t>(*p) & 0x80)) --skip;
  if (skip > 0) ok = false;
  const uint32_t tf = cum_[i_ + 1] - cum_[i_];
  pos_buf_.resize(tf);
  uint32_t* const out = pos_buf_.data();
  uint32_t acc = 0;
  for (uint32_t k = 0; k < tf; ++k) {
    if (p < end && !(static_cast<uint8_t>(*p) & 0x80)) {  // one byte (most gaps are below 128)
      acc += static_cast<uint8_t>(*p++);
    } else {
      acc += f::read_varint(p, end, &ok);
    }
    out[k] = acc;
  }
  pos_p_ = p;
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
