// FilterCache: the process-wide LRU of filter bitmaps, so that a filter
// repeated across searches (a category, a geo box, a date range) is
// evaluated once per segment. Keyed by canonical filter string + segment id;
// segment ids are only unique within one index, so each entry also remembers
// its Segment object and answers only for that very object while it lives.
// Bounded twice: by entries and by bytes (a filter over millions of documents
// is a bitmap of up to 1 bit per document; a bitmap larger than the byte
// budget is not kept). Small geo filters are not put here at all
// (kUncachedGeoAtMost).
//
// Thread-safe (one mutex); bitmaps are shared, immutable, and stay valid for
// a caller that holds one after its entry is evicted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "meridian/index/segment.h"
#include "meridian/postings/bitmap.h"

namespace meridian::query {

struct FilterCacheStats {
  size_t entries = 0;
  size_t bytes = 0;        // serialized size of the kept bitmaps
  uint64_t hits = 0, misses = 0;
  uint64_t evictions = 0;  // entries dropped for the entry or byte bound
  uint64_t too_large = 0;  // bitmaps not kept: larger than the byte budget alone
};

// search() does not keep a geo radius or box filter that matched at most
// this many documents of a segment: evaluating it again costs about what the
// cache's bookkeeping does (the entry, its key and an eviction, ~4,000
// instructions), map searches seldom repeat a shape exactly, and such
// entries would push out the filters worth keeping.
inline constexpr uint64_t kUncachedGeoAtMost = 64;

class FilterCache {
 public:
  static constexpr size_t kDefaultEntries = 256;
  static constexpr size_t kDefaultBytes = size_t{64} << 20;

  FilterCache(size_t max_entries = kDefaultEntries, size_t max_bytes = kDefaultBytes)
      : max_entries_(max_entries), max_bytes_(max_bytes) {}

  // The bitmap cached for `key` on this very segment object, or null.
  std::shared_ptr<const postings::Bitmap> get(const std::string& key, const index::Segment* seg);
  // Keeps b (replacing an entry of the same key), then evicts the least
  // recently used entries until both bounds hold.
  void put(const std::string& key, const std::shared_ptr<const index::Segment>& seg,
           std::shared_ptr<const postings::Bitmap> b);
  FilterCacheStats stats() const;

 private:
  struct Entry {
    std::string key;
    std::weak_ptr<const index::Segment> segment;
    std::shared_ptr<const postings::Bitmap> bitmap;
    size_t bytes = 0;
  };
  void erase_locked(std::list<Entry>::iterator it);

  const size_t max_entries_, max_bytes_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;                                                  // GUARDED_BY(mu_), most recent first
  std::unordered_map<std::string, std::list<Entry>::iterator> map_;      // GUARDED_BY(mu_)
  FilterCacheStats stats_;                                                // GUARDED_BY(mu_)
};

// The one cache every search of the process shares.
FilterCache& filter_cache();

}  // namespace meridian::query
