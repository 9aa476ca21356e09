#include <doctest/doctest.h>

#include <algorithm>
#include <list>
#include <random>

#include "meridian/server/query_cache.h"

using namespace meridian::server;

TEST_CASE("query_cache: get after put hits; another generation misses") {
  QueryCache c(1 << 20);
  auto k1 = QueryCache::make_key("cities", 1, "P", "{\"q\":\"paris\"}");
  auto k2 = QueryCache::make_key("cities", 2, "P", "{\"q\":\"paris\"}");
  c.put(k1, "R1");
  CHECK(c.get(k1) == std::optional<std::string>("R1"));
  CHECK_FALSE(c.get(k2).has_value());
  CHECK(c.hits() == 1);
  CHECK(c.misses() == 1);
  CHECK(QueryCache::make_key("a", 1, "", "b") != QueryCache::make_key("a", 11, "", ""));
}

TEST_CASE("query_cache: stays under its byte budget and evicts least recently used first") {
  QueryCache c(4000);
  std::string v(200, 'x');
  for (int i = 0; i < 100; ++i) c.put("k" + std::to_string(i), v);
  CHECK(c.bytes() <= 4000);
  CHECK_FALSE(c.get("k0").has_value());
  CHECK(c.get("k99").has_value());
}

TEST_CASE("query_cache: entries larger than a quarter of the capacity are not cached") {
  QueryCache c(1000);
  c.put("big", std::string(600, 'x'));
  CHECK_FALSE(c.get("big").has_value());
  QueryCache off(0);
  off.put("a", "b");
  CHECK_FALSE(off.get("a").has_value());
}

TEST_CASE("query_cache: agrees with a list-based LRU oracle") {
  // Every entry costs the same, so the oracle is an LRU of fixed capacity.
  std::mt19937 rng(3);
  const size_t per = 2 + 10 + 64;  // key "kNN" ~2-3 bytes: use fixed 2-char keys
  QueryCache c(per * 8);
  std::list<std::string> oracle;
  for (int i = 0; i < 5000; ++i) {
    std::string k = "k" + std::to_string(rng() % 10);
    if (rng() % 2) {
      c.put(k, std::string(10, 'v'));
      oracle.remove(k);
      oracle.push_front(k);
      while (oracle.size() > 8) oracle.pop_back();
    } else {
      bool in = std::find(oracle.begin(), oracle.end(), k) != oracle.end();
      CHECK(c.get(k).has_value() == in);
      if (in) {
        oracle.remove(k);
        oracle.push_front(k);
      }
    }
  }
}
