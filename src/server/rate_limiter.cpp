#include "meridian/server/rate_limiter.h"

#include <algorithm>
#include <chrono>

namespace meridian::server {

RateLimiter::RateLimiter(RateLimitOptions opt) : opt_([&] {
  if (opt.burst <= 0) opt.burst = std::max(1.0, opt.rate_per_s);
  return opt;
}()) {}

RateLimiter::Decision RateLimiter::take(const std::string& client, double now_s) {
  if (!enabled()) return {};
  std::lock_guard lock(mu_);
  auto it = buckets_.find(client);
  if (it == buckets_.end()) {
    if (buckets_.size() >= opt_.max_clients) evict_locked(now_s);
    it = buckets_.emplace(client, Bucket{opt_.burst, now_s}).first;
  }
  Bucket& b = it->second;
  double elapsed = std::max(0.0, now_s - b.last_s);
  b.tokens = std::min(opt_.burst, b.tokens + elapsed * opt_.rate_per_s);
  b.last_s = now_s;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return {};
  }
  return {false, (1.0 - b.tokens) / opt_.rate_per_s};
}

void RateLimiter::evict_locked(double now_s) {
  // Drop buckets that have refilled completely: they carry no state.
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    double full_at = it->second.last_s + (opt_.burst - it->second.tokens) / opt_.rate_per_s;
    it = full_at <= now_s ? buckets_.erase(it) : std::next(it);
  }
  if (buckets_.size() >= opt_.max_clients) buckets_.erase(buckets_.begin());
}

size_t RateLimiter::clients() const {
  std::lock_guard lock(mu_);
  return buckets_.size();
}

double monotonic_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace meridian::server
