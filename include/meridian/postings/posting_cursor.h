// PostingCursor: walks one term's postings in document order, the hot loop of
// scoring. Documents come from the term's roaring bitmap, a block of 128 at a
// time; the rank of the current document (block * 128 + index in the block)
// addresses its tf and positions, so rank is tracked incrementally and never
// recomputed with a bitmap rank query over the whole bitmap. Within a block,
// documents and tfs are decoded lazily: a block's first 16 documents, the
// rest when the cursor goes past them; tfs 16 at a time up to the cursor.
// A next_geq() whose target lies further ahead than a
// chunk lands on it instead: the target's index in its block is counted in
// the bitmap from the block's first document (Bitmap::count_range, a few
// words of a bitset or a binary search of an array) and the bitmap iterator
// seeks there, so the documents in between are never decoded (a phrase's
// candidates, which fall one here and one there in their terms' blocks).
//
// Ownership: a cursor reads the TermPostings' bitmap and the mapped file; both
// must outlive it (moving the TermPostings is fine, its bitmap stays put).
// Thread safety: one cursor per thread; any number of cursors on one term.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "meridian/postings/bitmap.h"
#include "meridian/postings/postings_format.h"

namespace meridian::postings {

// Where one term's pieces live inside the mapped postings file (internal).
struct TermLayout {
  uint32_t doc_freq = 0;
  uint32_t n_blocks = 0;
  bool has_positions = false;
  const char* blocks = nullptr;  // n_blocks fixed-width entries, or null: `single`
  format::BlockEntry single{};   // the one block of a short record
  const char* tf = nullptr;
  uint32_t tf_len = 0;
  const char* pos = nullptr;
  uint64_t pos_len = 0;

  format::BlockEntry block(uint32_t b) const { return blocks ? format::load_block(blocks, b) : single; }
};

class PostingCursor {
 public:
  static constexpr uint32_t kEnd = UINT32_MAX;

  PostingCursor(const Bitmap& docs, const TermLayout& layout);

  // Current document, kEnd when exhausted.
  uint32_t doc() const { return doc_; }
  // Advances to the next document and returns it (kEnd at the end).
  uint32_t next();
  // Advances to the first document >= target (never moves backwards).
  uint32_t next_geq(uint32_t target);
  // Term frequency of the current document (0 when exhausted).
  uint32_t freq();
  // Positions of the current document, ascending; empty when the field keeps
  // no positions. Valid until the cursor moves.
  std::span<const uint32_t> positions();
  // Rank of the current document in the term's bitmap.
  uint64_t rank() const { return uint64_t{block_} * format::kBlockSize + i_; }
  uint32_t doc_freq() const { return t_.doc_freq; }

  // Block-max support. Bounds of the block containing the current document,
  // or of the block chosen by the last shallow_advance(). Past the last block:
  // last_doc kEnd, max_tf 0, min_len UINT32_MAX.
  uint32_t block_last_doc() const;
  uint32_t block_max_tf() const;
  uint32_t block_min_len() const;
  // Moves only the block pointer to the block that would contain target (the
  // first with last_doc >= target); never backwards; decodes nothing.
  void shallow_advance(uint32_t target);

 private:
  void load_block(uint32_t b);
  // Reads documents of the current block until docs_ holds those of index
  // < k (at most n_); false (and the cursor at its end) when the bitmap runs short.
  bool read_docs(uint32_t k);
  // Whether reaching target from doc `from` of the current block (or block
  // b's first) is worth a landing: more than a chunk of documents in between,
  // estimated from the block's density.
  bool far(uint32_t b, uint32_t from, uint32_t target) const;
  // Moves to the first document >= target in block b (the current block or a
  // later one), counting the documents of [from, target), `base` being the
  // index of `from` in the block, without decoding them. Returns doc_.
  uint32_t land(uint32_t b, uint32_t base, uint32_t from, uint32_t target);
  uint32_t block_size(uint32_t b) const {
    return static_cast<uint32_t>(std::min<uint64_t>(format::kBlockSize, uint64_t{t_.doc_freq} - uint64_t{b} * format::kBlockSize));
  }
  uint32_t first_doc_of(uint32_t b) const { return b == 0 ? 0 : last_doc_of(b - 1) + 1; }
  uint32_t find_block(uint32_t from, uint32_t target) const;
  uint32_t last_doc_of(uint32_t b) const { return t_.block(b).last_doc; }
  void set_end();
  // Decodes tfs of the current block until cum_[k - 1] and cum_[k] hold
  // the sums of its first k - 1 and k tfs (k = the current index + 1).
  void decode_tfs(uint32_t k) {
    if (tfs_n_ < k) decode_tfs_slow(k);
  }
  void decode_tfs_slow(uint32_t k);

  TermLayout t_;
  const Bitmap* bm_;
  Bitmap::Iterator it_;
  static constexpr uint32_t kNoBlock = UINT32_MAX;
  static constexpr uint32_t kChunk = 16;  // documents (and tfs) decoded at a time
  uint32_t it_block_ = 0;     // the bitmap iterator sits at the start of this block (kNoBlock: inside one)
  uint32_t block_ = 0;        // block of the current document
  uint32_t bound_block_ = 0;  // block reported by block_*()
  uint32_t i_ = 0;            // index of the current document in its block
  uint32_t n_ = 0;            // documents in the current block
  uint32_t docs_n_ = 0;       // docs_ holds the block's documents of index < docs_n_ read so far
                              // (after a landing, only the one at i_ among them)
  uint32_t doc_ = kEnd;
  uint32_t tfs_n_ = 0;        // tfs decoded in the block: cum_[tfs_n_] is valid
  const char* tf_p_ = nullptr;    // the varint of tf number tfs_n_ (null: not located yet)
  const char* tf_end_ = nullptr;
  uint32_t docs_[format::kBlockSize];
  // cum_[k]: the sum of the block's first k tfs, so that a document's tf is
  // cum_[i + 1] - cum_[i] and the positions before it number cum_[i]. Valid
  // for k = 0, for the entries written since the block was entered (from the
  // last landing's document on, through tfs_n_) and for every index a
  // positions() call left in pos_next_i_; a landing skips the ones before
  // its document.
  uint32_t cum_[format::kBlockSize + 1] = {};
  // Positions are decoded lazily, forward only, within the current block.
  uint32_t pos_block_ = UINT32_MAX;
  const char* pos_p_ = nullptr;
  const char* pos_end_ = nullptr;
  uint32_t pos_next_i_ = 0;         // pos_p_ points at this doc's positions
  int64_t pos_cached_i_ = -1;       // pos_buf_ holds this doc's positions
  std::vector<uint32_t> pos_buf_;
};

}  // namespace meridian::postings
