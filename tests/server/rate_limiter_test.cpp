#include <doctest/doctest.h>

#include <map>
#include <random>

#include "meridian/server/rate_limiter.h"

using namespace meridian::server;

TEST_CASE("rate_limiter: a burst is allowed, then one request per 1/rate seconds") {
  RateLimiter rl({2.0, 3.0});
  double t = 100;
  CHECK(rl.take("a", t).allowed);
  CHECK(rl.take("a", t).allowed);
  CHECK(rl.take("a", t).allowed);
  auto d = rl.take("a", t);
  CHECK_FALSE(d.allowed);
  CHECK(d.retry_after_s == doctest::Approx(0.5));
  CHECK(rl.take("b", t).allowed);  // buckets are per client
  CHECK_FALSE(rl.take("a", t + 0.25).allowed);
  CHECK(rl.take("a", t + 0.5).allowed);
  CHECK(rl.take("a", t + 100).allowed);  // refill caps at burst
  CHECK(rl.take("a", t + 100).allowed);
  CHECK(rl.take("a", t + 100).allowed);
  CHECK_FALSE(rl.take("a", t + 100).allowed);
}

TEST_CASE("rate_limiter: rate 0 disables limiting") {
  RateLimiter rl({0, 0});
  CHECK_FALSE(rl.enabled());
  for (int i = 0; i < 1000; ++i) CHECK(rl.take("x", 0).allowed);
}

TEST_CASE("rate_limiter: matches a brute-force simulation over random request times") {
  std::mt19937 rng(7);
  RateLimiter rl({5.0, 4.0});
  std::map<std::string, std::pair<double, double>> oracle;  // tokens, last
  double t = 0;
  for (int i = 0; i < 5000; ++i) {
    t += std::uniform_real_distribution<double>(0, 0.4)(rng);
    std::string c = std::to_string(rng() % 3);
    auto [it, fresh] = oracle.emplace(c, std::make_pair(4.0, t));
    auto& [tokens, last] = it->second;
    tokens = std::min(4.0, tokens + (t - last) * 5.0);
    last = t;
    bool expect = tokens >= 1.0;
    if (expect) tokens -= 1.0;
    CHECK(rl.take(c, t).allowed == expect);
  }
}

TEST_CASE("rate_limiter: the number of buckets stays bounded") {
  RateLimiter rl({1.0, 1.0, 10});
  for (int i = 0; i < 100; ++i) rl.take("c" + std::to_string(i), 0);
  CHECK(rl.clients() <= 10);
}
