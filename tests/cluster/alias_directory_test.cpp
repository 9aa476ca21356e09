#include "meridian/cluster/alias_directory.h"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "meridian/cluster/shard_map_store.h"
#include "nats_fixture.h"

using namespace meridian;
using namespace meridian::cluster;

TEST_CASE("alias record: encodes every alias and decodes to the same map") {
  AliasMap m{{"live", "books_v2"}, {"a.b_c", "x-1"}};
  const std::string bytes = encode_alias_record(m);
  CHECK(bytes == R"({"version":1,"aliases":{"a.b_c":"x-1","live":"books_v2"}})");
  auto back = decode_alias_record(bytes);
  REQUIRE(back.is_ok());
  CHECK(*back == m);
  CHECK(decode_alias_record(encode_alias_record({}))->empty());
}

TEST_CASE("alias record: a damaged or foreign record is Corruption, never a partial map") {
  for (const char* bad : {"", "[]", R"({"aliases":{}})", R"({"version":2,"aliases":{}})",
                          R"({"version":1})", R"({"version":1,"aliases":[]})",
                          R"({"version":1,"aliases":{"live":3}})", R"({"version":1,"aliases":{"":"books"}})",
                          R"({"version":1,"aliases":{"live":"no/slash"}})"}) {
    auto r = decode_alias_record(bad);
    CHECK_MESSAGE(r.status().code() == Status::Code::kCorruption, bad);
  }
}

TEST_CASE("alias directory: concurrent changes through two nodes both apply; the other node sees them within the TTL") {
  MERIDIAN_NATS_SERVER_OR_SKIP(server);
  NatsOptions o;
  o.servers = {server.url()};
  auto ca = NatsClient::connect(o), cb = NatsClient::connect(o);
  REQUIRE(ca.is_ok());
  REQUIRE(cb.is_ok());
  auto ka = (*ca)->bucket(ShardMapStore::kBucket, 1, 0, 5), kb = (*cb)->bucket(ShardMapStore::kBucket, 1, 0, 5);
  REQUIRE(ka.is_ok());
  REQUIRE(kb.is_ok());
  std::atomic<bool> settled{true};
  AliasDirectory a(std::move(*ka), 200, [&] { return settled.load(); });
  AliasDirectory b(std::move(*kb), 200, [&] { return settled.load(); });

  CHECK(a.aliases().is_ok());
  CHECK((*a.aliases())->empty());
  CHECK_FALSE(b.resolve("live").has_value());  // cached empty on b now

  // Two updates at once: one loses the compare-and-set, re-reads and re-applies.
  auto add = [](std::string alias, std::string index) {
    return [alias, index](const AliasMap& cur) -> Result<AliasMap> {
      AliasMap next = cur;
      next[alias] = index;
      return next;
    };
  };
  std::thread t1([&] { CHECK(a.update(add("live", "books")).is_ok()); });
  std::thread t2([&] { CHECK(b.update(add("old", "books_v1")).is_ok()); });
  t1.join();
  t2.join();
  // update() returns once the TTL passed since its store: both nodes see both.
  for (AliasDirectory* d : {&a, &b}) {
    auto all = d->aliases();
    REQUIRE(all.is_ok());
    CHECK(**all == AliasMap{{"live", "books"}, {"old", "books_v1"}});
  }
  // An error from the change stores nothing.
  auto refused = a.update([](const AliasMap&) -> Result<AliasMap> { return Status::not_found("no such index 'x'"); });
  CHECK(refused.status().code() == Status::Code::kNotFound);
  CHECK(b.resolve("live") == std::optional<std::string>("books"));

  // Unsettled: b keeps its copy and does not read NATS, so a change made
  // meanwhile reaches it only once it is settled again.
  settled = false;
  REQUIRE(a.update([](const AliasMap& cur) -> Result<AliasMap> {
    AliasMap next = cur;
    next.erase("live");
    return next;
  }).is_ok());
  CHECK(b.resolve("live") == std::optional<std::string>("books"));
  settled = true;
  CHECK_FALSE(b.resolve("live").has_value());
  CHECK(b.resolve("old") == std::optional<std::string>("books_v1"));
}
