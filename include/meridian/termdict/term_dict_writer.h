// TermDictWriter: builds a segment's term dictionary (all fields; the index
// uses keys "<field>\0<term>"). Terms arrive in strictly increasing byte
// order; each maps to a uint64 value (the postings offset) and gets the next
// ordinal (TermId 0..n-1). Terms are stored in prefix-compressed blocks with a
// CRC each, plus a compact index of each block's first term.
// Format: docs/FORMAT.md, "Term dictionary".
//
// Ownership: the writer owns its buffers; finish() returns the framed file.
// Single-threaded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "meridian/base/status.h"
#include "meridian/termdict/term_dict_format.h"

namespace meridian::termdict {

class TermDictWriter {
 public:
  explicit TermDictWriter(uint32_t block_size = format::kDefaultBlockSize);

  // InvalidArgument if term is not strictly greater than the previous one
  // (byte-wise, unsigned), longer than kMaxTermLength, or the dictionary is
  // full (2^32 - 1 terms). The empty term is allowed (first).
  Status add(std::string_view term, uint64_t value);
  size_t size() const { return n_terms_; }
  // The whole framed file (magic "MTRM"). Call once; the writer is then empty.
  std::string finish();

 private:
  void flush_block();

  uint32_t block_size_;
  uint64_t n_terms_ = 0;
  uint32_t in_block_ = 0;
  std::string prev_;
  std::string block_;   // payload of the block being filled
  std::string body_;    // finished blocks
  std::string index_;   // index entries
  std::string keys_;    // first key of each block
};

}  // namespace meridian::termdict
