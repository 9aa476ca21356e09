// TermTable: the segment builder's map from term key (field\0term) to a
// dense term number, 0, 1, 2, ... in order of first insertion. Open
// addressing with linear probing over (hash, number) pairs, keys back to
// back in one arena: no allocation per term, and a key's bytes are compared
// only when its 32-bit hash matches. A builder inserts or finds a term for
// every distinct term of every document, so this is the hottest map of
// indexing.
//
// Not thread-safe (one per builder).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace meridian::index {

class TermTable {
 public:
  TermTable();
  // The number of `key`; a new key gets the next number and sets *inserted.
  uint32_t find_or_insert(std::string_view key, bool* inserted) { return find_or_insert(key, hash_of(key), inserted); }
  // The same with hash_of(key) computed by the caller, who may prefetch()
  // it first: a document's terms are hashed and prefetched together, so
  // that their probes do not wait for memory one after another.
  uint32_t find_or_insert(std::string_view key, uint32_t hash, bool* inserted);
  void prefetch(uint32_t hash) const { __builtin_prefetch(&slots_[hash & (slots_.size() - 1)]); }
  static uint32_t hash_of(std::string_view key);
  // The number of `key`, or kNone.
  uint32_t find(std::string_view key) const;
  std::string_view key(uint32_t term) const {
    return std::string_view(arena_.data() + starts_[term], starts_[term + 1] - starts_[term]);
  }
  uint32_t size() const { return static_cast<uint32_t>(starts_.size() - 1); }
  // Memory held, for the builder's size estimate.
  size_t bytes() const { return arena_.capacity() + starts_.capacity() * 8 + slots_.capacity() * sizeof(Slot); }

  static constexpr uint32_t kNone = UINT32_MAX;

 private:
  struct Slot {
    uint32_t hash;
    uint32_t term_plus1;  // 0: empty
  };
  void grow();

  std::vector<Slot> slots_;       // size is a power of two, at most 1/2 full
  std::string arena_;             // every key, back to back
  std::vector<uint64_t> starts_;  // term -> offset of its key in arena_; one more entry (the end)
};

}  // namespace meridian::index
