#include "meridian/server/query_cache.h"

namespace meridian::server {

std::string QueryCache::make_key(std::string_view index, uint64_t generation, std::string_view kind,
                                 std::string_view normalized_request) {
  std::string k;
  k.reserve(index.size() + kind.size() + normalized_request.size() + 24);
  k.append(index).push_back('\0');
  k.append(std::to_string(generation)).push_back('\0');
  k.append(kind).push_back('\0');
  k.append(normalized_request);
  return k;
}

std::optional<std::string> QueryCache::get(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = map_.find(key);
  if (it == map_.end()) {
    ++misses_;
    return std::nullopt;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->value;
}

void QueryCache::put(const std::string& key, std::string value) {
  Entry e{key, std::move(value)};
  size_t c = cost(e);
  if (capacity_ == 0 || c > capacity_ / 4) return;
  std::lock_guard lock(mu_);
  auto it = map_.find(key);
  if (it != map_.end()) {
    bytes_ -= cost(*it->second);
    lru_.erase(it->second);
    map_.erase(it);
  }
  lru_.push_front(std::move(e));
  map_.emplace(key, lru_.begin());
  bytes_ += c;
  evict_locked();
}

void QueryCache::evict_locked() {
  while (bytes_ > capacity_ && !lru_.empty()) {
    bytes_ -= cost(lru_.back());
    map_.erase(lru_.back().key);
    lru_.pop_back();
  }
}

void QueryCache::clear() {
  std::lock_guard lock(mu_);
  lru_.clear();
  map_.clear();
  bytes_ = 0;
}

size_t QueryCache::bytes() const { std::lock_guard lock(mu_); return bytes_; }
size_t QueryCache::entries() const { std::lock_guard lock(mu_); return map_.size(); }
uint64_t QueryCache::hits() const { std::lock_guard lock(mu_); return hits_; }
uint64_t QueryCache::misses() const { std::lock_guard lock(mu_); return misses_; }

}  // namespace meridian::server
