// TermDictReader: a segment's term dictionary read straight from its mapped
// bytes (docs/FORMAT.md, "Term dictionary"): exact lookup, ordered iteration,
// seek to the first term >= a target (what the automaton walk drives), and
// prefix ranges. Terms are arbitrary bytes in unsigned byte order.
//
// Integrity: open() checks the frame and the small trailer only. The block
// index (each block's first term) is checked once, on first use; each block's
// CRC32C is checked the first time that block is decoded, and verified blocks
// are remembered in a lock-free atomic bitset. A damaged dictionary gives
// Status::corruption naming the file (through find()'s Result, the
// iterator's status() or for_each_prefix()'s Status), never a crash or a
// wrong answer.
//
// Ownership: the reader does not own the bytes; the mapping must outlive the
// reader and its iterators (moving the reader is fine). Thread safety: immutable after open(); any
// number of threads may look up and iterate at once, one Iterator per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "meridian/base/bytes.h"
#include "meridian/base/status.h"

namespace meridian::termdict {

class TermDictReader {
 public:
  struct Entry {
    std::string_view term;  // for find(): views the caller's argument
    uint64_t value;
    uint32_t ordinal;       // TermId: 0..size()-1 in term order
  };

  struct State;  // shared by the reader and its iterators (internal)

  static Result<TermDictReader> open(std::string_view file, std::string name);
  TermDictReader(TermDictReader&&) noexcept;
  TermDictReader& operator=(TermDictReader&&) noexcept;
  ~TermDictReader();

  size_t size() const;
  const std::string& name() const;

  // Exact lookup: the entry, nullopt if absent, or Corruption.
  Result<std::optional<Entry>> find(std::string_view term) const;

  // Forward iterator over terms in order. When valid() turns false, status()
  // says whether the end was reached (ok) or a damaged block was met.
  class Iterator {
   public:
    Iterator() = default;
    bool valid() const { return valid_; }
    const Status& status() const { return status_; }
    // Valid until the iterator moves.
    std::string_view term() const { return term_; }
    uint64_t value() const { return value_; }
    uint32_t ordinal() const { return ordinal_; }
    void next();
    // To the first term >= target, forward or backward (cheapest forward
    // within the current block).
    void seek(std::string_view target);

   private:
    friend class TermDictReader;
    explicit Iterator(const State* s) : s_(s) {}
    void load_block(uint64_t b);
    void decode_entry();
    void scan_block(std::string_view target);
    void fail(Status st);
    void set_end();

    const State* s_ = nullptr;
    uint64_t block_ = 0;      // current block
    uint32_t block_n_ = 0;    // terms in the current block
    uint32_t in_block_ = 0;   // index of the current term in its block
    ByteReader in_;           // rest of the current block's payload
    std::string term_;
    uint64_t value_ = 0;
    uint32_t ordinal_ = 0;
    bool valid_ = false;
    Status status_;
  };

  Iterator begin() const;
  Iterator lower_bound(std::string_view target) const;
  // All terms starting with prefix, in order, calling fn(term, value) until it
  // returns false. Returns Corruption if a damaged block was met.
  Status for_each_prefix(std::string_view prefix,
                         const std::function<bool(std::string_view, uint64_t)>& fn) const;
  // Reads every block (for an index `check` command).
  Status verify_all() const;

 private:
  explicit TermDictReader(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

}  // namespace meridian::termdict
