// PostingsWriter: builds a segment's postings file (all terms of all fields)
// in memory. For each term it stores the document set as a roaring bitmap and
// the term frequencies and positions in blocks of 128 documents addressed by
// the document's rank in that bitmap, with per-block bounds for block-max WAND.
// Terms of at most 128 documents get a short record instead (varint document
// gaps, no bitmap, no block table): most terms of a corpus are that rare.
// Format: docs/FORMAT.md, "Postings file".
//
// Ownership: the writer owns its buffer; finish() hands back the whole framed
// file. Single-threaded (a builder never serves queries).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace meridian::postings {

class PostingsWriter {
 public:
  PostingsWriter() = default;

  // docs: strictly increasing, each < UINT32_MAX. freqs: one per doc, >= 1.
  // positions: each doc's ascending positions (freqs[i] of them) concatenated,
  // or empty when the field keeps no positions. doc_lengths: field length per
  // doc id (indexed by doc id, must cover every doc), or null when unknown
  // (bounds then use length 0, still a valid BM25 upper bound).
  // Returns the term's offset, to be stored as its value in the term
  // dictionary. Violating the preconditions is a programmer error (asserted).
  uint64_t add_term(std::span<const uint32_t> docs, std::span<const uint32_t> freqs,
                    std::span<const uint32_t> positions, const uint32_t* doc_lengths);

  size_t term_count() const { return offsets_.size(); }
  // The whole framed file (magic "MPST"). Call once; the writer is then empty.
  std::string finish();

 private:
  std::string body_;
  std::vector<uint64_t> offsets_;
  std::string tf_area_, pos_area_, table_;  // per-term scratch, reused
};

}  // namespace meridian::postings
