#include "meridian/index/term_table.h"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <unordered_map>

using meridian::index::TermTable;

TEST_CASE("term table: dense numbers in insertion order, found again after many grows") {
  TermTable t;
  std::unordered_map<std::string, uint32_t> want;
  std::mt19937 rng(11);
  std::vector<std::string> order;
  // Short and long keys, keys with \0 inside (field\0term), the empty key,
  // prefixes of each other, and many repeats.
  for (int i = 0; i < 200000; ++i) {
    std::string k;
    switch (rng() % 4) {
      case 0: k = "body" + std::string(1, '\0') + std::to_string(rng() % 50000); break;
      case 1: k = std::string(rng() % 3, 'a'); break;
      case 2: k = "title" + std::string(1, '\0') + std::string(rng() % 40, 'x') + std::to_string(rng() % 7); break;
      default: k = std::string(1, '\0') + std::to_string(rng() % 1000); break;
    }
    bool inserted = false;
    uint32_t n = t.find_or_insert(k, &inserted);
    auto it = want.find(k);
    if (it == want.end()) {
      REQUIRE(inserted);
      REQUIRE(n == want.size());
      want.emplace(k, n);
      order.push_back(k);
    } else {
      REQUIRE_FALSE(inserted);
      REQUIRE(n == it->second);
    }
  }
  REQUIRE(t.size() == want.size());
  for (uint32_t n = 0; n < order.size(); ++n) {
    CHECK(t.key(n) == order[n]);
    CHECK(t.find(order[n]) == n);
  }
  CHECK(t.find("absent" + std::string(1, '\0') + "key") == TermTable::kNone);
  CHECK(t.find("aaa") == TermTable::kNone);  // only "", "a" and "aa" were inserted
  CHECK(t.find("") != TermTable::kNone);
  CHECK(t.bytes() > 0);
}
