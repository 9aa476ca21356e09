// RateLimiter: a token bucket per client (an API key id, or the client
// address when auth is off). Each bucket holds up to `burst` tokens and
// refills at `rate_per_s`; a request takes one token or is refused with the
// number of seconds after which one will be there (HTTP 429 + Retry-After).
//
// Time is passed in by the caller (monotonic seconds) so tests are exact.
// The number of buckets is bounded: past `max_clients` the fullest (idle)
// buckets are dropped. Thread safety: all methods may be called concurrently.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace meridian::server {

struct RateLimitOptions {
  double rate_per_s = 0;  // 0 = unlimited
  double burst = 0;       // 0 = max(1, rate_per_s)
  size_t max_clients = 100000;
};

class RateLimiter {
 public:
  explicit RateLimiter(RateLimitOptions opt);
  bool enabled() const { return opt_.rate_per_s > 0; }

  struct Decision {
    bool allowed = true;
    double retry_after_s = 0;  // when refused: seconds until one token is back
  };
  Decision take(const std::string& client, double now_s);
  size_t clients() const;

 private:
  struct Bucket {
    double tokens;
    double last_s;
  };
  void evict_locked(double now_s);

  const RateLimitOptions opt_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;  // GUARDED_BY(mu_)
};

// Seconds on a monotonic clock.
double monotonic_seconds();

}  // namespace meridian::server
