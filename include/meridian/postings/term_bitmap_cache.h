// TermBitmapCache: the process-wide LRU of decoded term bitmaps.
//
// A term's documents are stored as a serialized roaring bitmap; reading a
// term decodes it, which copies every container into fresh memory. For a
// common word that is kilobytes copied, allocated and freed again by every
// query that names it, and the same few common words come back query after
// query. So verified bitmaps of at least kMinBytes serialized bytes are kept
// decoded here, shared and immutable, bounded by bytes (the sum of their
// serialized sizes; the decoded form is within a few bytes per container of
// it). Smaller bitmaps decode faster than a lookup here and are not kept.
//
// Keyed by the owning reader's process-unique id and the term's ordinal in
// that reader; a reader drops its entries when it closes (a merged-away
// segment frees its share at once). Thread-safe (one mutex, held for a map
// lookup); a bitmap stays valid for a holder after its entry is evicted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "meridian/postings/bitmap.h"

namespace meridian::postings {

struct TermBitmapCacheStats {
  size_t entries = 0;
  size_t bytes = 0;
  uint64_t hits = 0, misses = 0;
  uint64_t evictions = 0;
};

class TermBitmapCache {
 public:
  static constexpr size_t kDefaultBytes = size_t{32} << 20;
  static constexpr size_t kMinBytes = 1024;

  explicit TermBitmapCache(size_t max_bytes = kDefaultBytes) : max_bytes_(max_bytes) {}

  // A fresh id for a reader (never reused in this process).
  static uint64_t new_owner();

  // The bitmap kept for (owner, ordinal), or null (a miss is counted).
  std::shared_ptr<const Bitmap> get(uint64_t owner, uint64_t ordinal);
  // Keeps b as (owner, ordinal), `bytes` its serialized size, then evicts
  // the least recently used entries until the byte bound holds. A bitmap
  // larger than the whole budget, or a budget of 0, keeps nothing.
  void put(uint64_t owner, uint64_t ordinal, std::shared_ptr<const Bitmap> b, size_t bytes);
  // Drops every entry of `owner` (its reader is closing).
  void drop(uint64_t owner);
  // A new byte bound (0 disables the cache); evicts down to it at once.
  void set_max_bytes(size_t max_bytes);
  size_t max_bytes() const;
  TermBitmapCacheStats stats() const;

 private:
  struct Key {
    uint64_t owner, ordinal;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const { return std::hash<uint64_t>()(k.owner * 0x9E3779B97F4A7C15ULL ^ k.ordinal); }
  };
  struct Entry {
    Key key;
    std::shared_ptr<const Bitmap> bitmap;
    size_t bytes;
  };
  void erase_locked(std::list<Entry>::iterator it);
  void evict_locked();

  size_t max_bytes_;                                                   // GUARDED_BY(mu_)
  mutable std::mutex mu_;
  std::list<Entry> lru_;                                               // GUARDED_BY(mu_), most recent first
  std::unordered_map<Key, std::list<Entry>::iterator, KeyHash> map_;   // GUARDED_BY(mu_)
  TermBitmapCacheStats stats_;                                         // GUARDED_BY(mu_)
};

// The one cache every postings reader of the process shares.
TermBitmapCache& term_bitmap_cache();

}  // namespace meridian::postings
