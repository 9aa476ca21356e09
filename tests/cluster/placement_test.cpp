#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>

#include "meridian/cluster/placement.h"

using namespace meridian::cluster;

TEST_CASE("placement: the id hash is fixed across builds (pinned values)") {
  // Changing these moves every document of every clustered index.
  CHECK(stable_hash("") == 0xefd01f60ba992926ULL);
  CHECK(shard_of("doc-1", 3) == 2);
  CHECK(stable_hash("a") != stable_hash("b"));
}

TEST_CASE("placement: documents spread evenly over shards") {
  std::map<uint32_t, int> count;
  for (int i = 0; i < 30000; ++i) ++count[shard_of("doc-" + std::to_string(i), 3)];
  REQUIRE(count.size() == 3);
  for (auto& [s, n] : count) {
    CHECK(n > 9000);
    CHECK(n < 11000);
  }
  CHECK(shard_of("anything", 1) == 0);
}

TEST_CASE("placement: replicas of a shard are on distinct nodes, independent of node order") {
  std::vector<std::string> nodes{"n1", "n2", "n3", "n4"};
  std::vector<std::string> rev(nodes.rbegin(), nodes.rend());
  for (uint32_t s = 0; s < 50; ++s) {
    auto a = place_replicas("ix", s, 2, nodes);
    REQUIRE(a.size() == 2);
    CHECK(a[0] != a[1]);
    CHECK(a == place_replicas("ix", s, 2, rev));
  }
  // More replicas than nodes: every node once.
  auto all = place_replicas("ix", 0, 5, {"a", "b", "a"});
  CHECK(all.size() == 2);
  CHECK(place_replicas("ix", 0, 2, {}).empty());
}

TEST_CASE("placement: adding a 4th node moves about 1/4 of the replicas, removing it moves them back") {
  std::vector<std::string> three{"node-a", "node-b", "node-c"};
  std::vector<std::string> four{"node-a", "node-b", "node-c", "node-d"};
  size_t total = 0, moved = 0;
  for (int i = 0; i < 40; ++i) {
    std::string ix = "index-" + std::to_string(i);
    auto before = place_index(ix, 16, 2, three);
    auto after = place_index(ix, 16, 2, four);
    total += 16 * 2;
    moved += moved_replicas(before, after);
    // Only the new node receives replicas: nothing moves between old nodes.
    for (size_t s = 0; s < after.size(); ++s)
      for (const auto& n : after[s])
        if (n != "node-d") CHECK(std::find(before[s].begin(), before[s].end(), n) != before[s].end());
    CHECK(moved_replicas(after, before) == moved_replicas(before, after));
  }
  double fraction = static_cast<double>(moved) / static_cast<double>(total);
  MESSAGE("replicas moved by adding a 4th node: " << moved << "/" << total << " = " << fraction);
  CHECK(fraction > 0.20);
  CHECK(fraction < 0.30);
}

TEST_CASE("placement: removing a node moves only the replicas it held") {
  std::vector<std::string> four{"a", "b", "c", "d"};
  std::vector<std::string> three{"a", "b", "d"};
  auto before = place_index("ix", 64, 3, four);
  auto after = place_index("ix", 64, 3, three);
  size_t held_by_c = 0;
  for (const auto& r : before) held_by_c += std::count(r.begin(), r.end(), "c");
  CHECK(moved_replicas(before, after) == held_by_c);
}

TEST_CASE("placement: a source has one owner, whatever the node order; only its owner leaving moves it") {
  const std::vector<std::string> nodes = {"n1", "n2", "n3", "n4"};
  std::map<std::string, int> owned;
  for (int i = 0; i < 400; ++i) {
    const std::string src = "s" + std::to_string(i);
    const std::string owner = source_owner("books", src, nodes);
    REQUIRE(std::find(nodes.begin(), nodes.end(), owner) != nodes.end());
    CHECK(source_owner("books", src, {"n4", "n3", "n2", "n1"}) == owner);
    ++owned[owner];
    // Another node leaving keeps the owner; the owner leaving hands over.
    for (const auto& gone : nodes) {
      std::vector<std::string> rest;
      for (const auto& n : nodes)
        if (n != gone) rest.push_back(n);
      const std::string next = source_owner("books", src, rest);
      if (gone == owner) CHECK(next != owner);
      else CHECK(next == owner);
    }
  }
  for (const auto& [n, k] : owned) CHECK_MESSAGE((k > 60 && k < 140), n << " owns " << k << " of 400");
  CHECK(source_owner("books", "s1", {}).empty());
  CHECK(source_owner("a", "b", {"x"}) == "x");
}
