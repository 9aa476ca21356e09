// QueryCache: a byte-bounded LRU of serialized search responses. The key is
// built by the caller from the index name, the snapshot generation and the
// normalized request, so a refresh (new generation) makes old entries
// unreachable; they age out by LRU. Entries larger than a quarter of the
// capacity are not cached.
//
// Thread safety: all methods may be called concurrently (one mutex).
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace meridian::server {

class QueryCache {
 public:
  explicit QueryCache(size_t capacity_bytes) : capacity_(capacity_bytes) {}

  static std::string make_key(std::string_view index, uint64_t generation, std::string_view kind,
                              std::string_view normalized_request);

  std::optional<std::string> get(const std::string& key);
  void put(const std::string& key, std::string value);
  void clear();

  size_t capacity() const { return capacity_; }
  size_t bytes() const;
  size_t entries() const;
  uint64_t hits() const;
  uint64_t misses() const;

 private:
  struct Entry {
    std::string key;
    std::string value;
  };
  static size_t cost(const Entry& e) { return e.key.size() + e.value.size() + 64; }
  void evict_locked();

  const size_t capacity_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // front = most recent; GUARDED_BY(mu_)
  std::unordered_map<std::string, std::list<Entry>::iterator> map_;  // GUARDED_BY(mu_)
  size_t bytes_ = 0;    // GUARDED_BY(mu_)
  uint64_t hits_ = 0;   // GUARDED_BY(mu_)
  uint64_t misses_ = 0; // GUARDED_BY(mu_)
};

}  // namespace meridian::server
