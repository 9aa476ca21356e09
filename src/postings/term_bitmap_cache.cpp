#include "meridian/postings/term_bitmap_cache.h"

#include <atomic>
#include <iterator>

namespace meridian::postings {

uint64_t TermBitmapCache::new_owner() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

std::shared_ptr<const Bitmap> TermBitmapCache::get(uint64_t owner, uint64_t ordinal) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = map_.find(Key{owner, ordinal});
  if (it == map_.end()) {
    ++stats_.misses;
    return nullptr;
  }
  ++stats_.hits;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->bitmap;
}

void TermBitmapCache::erase_locked(std::list<Entry>::iterator it) {
  stats_.bytes -= it->bytes;
  --stats_.entries;
  map_.erase(it->key);
  lru_.erase(it);
}

void TermBitmapCache::evict_locked() {
  while (stats_.bytes > max_bytes_ && !lru_.empty()) {
    erase_locked(std::prev(lru_.end()));
    ++stats_.evictions;
  }
}

void TermBitmapCache::put(uint64_t owner, uint64_t ordinal, std::shared_ptr<const Bitmap> b, size_t bytes) {
  std::lock_guard<std::mutex> l(mu_);
  if (!b || bytes > max_bytes_) return;
  const Key key{owner, ordinal};
  if (auto it = map_.find(key); it != map_.end()) erase_locked(it->second);  // two readers decoded it at once
  lru_.push_front(Entry{key, std::move(b), bytes});
  map_.emplace(key, lru_.begin());
  stats_.bytes += bytes;
  ++stats_.entries;
  evict_locked();
}

void TermBitmapCache::drop(uint64_t owner) {
  std::lock_guard<std::mutex> l(mu_);
  for (auto it = lru_.begin(); it != lru_.end();) {
    auto next = std::next(it);
    if (it->key.owner == owner) erase_locked(it);
    it = next;
  }
}

void TermBitmapCache::set_max_bytes(size_t max_bytes) {
  std::lock_guard<std::mutex> l(mu_);
  max_bytes_ = max_bytes;
  evict_locked();
}

size_t TermBitmapCache::max_bytes() const {
  std::lock_guard<std::mutex> l(mu_);
  return max_bytes_;
}

TermBitmapCacheStats TermBitmapCache::stats() const {
  std::lock_guard<std::mutex> l(mu_);
  return stats_;
}

TermBitmapCache& term_bitmap_cache() {
  // Never destroyed: readers held by other statics may close after it would be.
  static TermBitmapCache* c = new TermBitmapCache;
  return *c;
}

}  // namespace meridian::postings
