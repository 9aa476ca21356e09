#include "meridian/query/filter_cache.h"

namespace meridian::query {

std::shared_ptr<const postings::Bitmap> FilterCache::get(const std::string& key, const index::Segment* seg) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = map_.find(key);
  if (it == map_.end() || it->second->segment.lock().get() != seg) {
    ++stats_.misses;
    return nullptr;
  }
  ++stats_.hits;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->bitmap;
}

void FilterCache::erase_locked(std::list<Entry>::iterator it) {
  stats_.bytes -= it->bytes;
  --stats_.entries;
  map_.erase(it->key);
  lru_.erase(it);
}

void FilterCache::put(const std::string& key, const std::shared_ptr<const index::Segment>& seg,
                      std::shared_ptr<const postings::Bitmap> b) {
  const size_t bytes = key.size() + (b ? b->serialized_size() : 0);
  std::lock_guard<std::mutex> l(mu_);
  if (auto it = map_.find(key); it != map_.end()) erase_locked(it->second);  // an entry of another segment
  if (bytes > max_bytes_ || max_entries_ == 0) {
    ++stats_.too_large;
    return;
  }
  lru_.push_front(Entry{key, seg, std::move(b), bytes});
  map_[key] = lru_.begin();
  stats_.bytes += bytes;
  ++stats_.entries;
  while (lru_.size() > max_entries_ || stats_.bytes > max_bytes_) {
    erase_locked(std::prev(lru_.end()));
    ++stats_.evictions;
  }
}

FilterCacheStats FilterCache::stats() const {
  std::lock_guard<std::mutex> l(mu_);
  return stats_;
}

FilterCache& filter_cache() {
  static FilterCache c;
  return c;
}

}  // namespace meridian::query
