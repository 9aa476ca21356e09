#include <doctest/doctest.h>

#include <thread>

#include "meridian/cluster/membership.h"
#include "meridian/cluster/shard_map_store.h"
#include "nats_fixture.h"

using namespace meridian;
using namespace meridian::cluster;

namespace {
std::unique_ptr<NatsClient> connect_to(const NatsServer& s, const std::string& name) {
  NatsOptions o;
  o.servers = {s.url()};
  o.name = name;
  auto c = NatsClient::connect(o);
  REQUIRE(c.is_ok());
  return std::move(*c);
}
}  // namespace

TEST_CASE("membership: node ids are checked") {
  CHECK(validate_node_id("node-1_a").is_ok());
  CHECK_FALSE(validate_node_id("").is_ok());
  CHECK_FALSE(validate_node_id("a.b").is_ok());
  CHECK(validate_node_id("a b").message().find("--node-id") != std::string::npos);
}

TEST_CASE("membership: a node that stops heartbeating drops out after the TTL; a clean stop at once") {
  if (!NatsServer::available()) return;
  NatsServer server;
  REQUIRE(server.ready());
  auto c1 = connect_to(server, "n1");
  auto c2 = connect_to(server, "n2");
  auto m1 = Membership::open(*c1, {"n1", "http://127.0.0.1:1", 200, 2000, 1});
  auto m2 = Membership::open(*c2, {"n2", "http://127.0.0.1:2", 200, 2000, 1});
  REQUIRE_MESSAGE(m1.is_ok(), m1.status().to_string());
  REQUIRE(m2.is_ok());
  REQUIRE((*m1)->start().is_ok());
  REQUIRE((*m2)->start().is_ok());
  auto live = (*m1)->live_nodes();
  REQUIRE(live.is_ok());
  REQUIRE(live->size() == 2);
  CHECK((*live)[1].id == "n2");
  CHECK((*live)[1].url == "http://127.0.0.1:2");
  // Past the TTL, heartbeats keep both. The TTL is 10 heartbeats, not 4: on
  // 2 busy cores (the suite runs tests in parallel) one put can lag ~1 s.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  CHECK((*m1)->live_nodes()->size() == 2);

  (*m2)->stop();
  CHECK((*m1)->live_nodes()->size() == 1);

  // A crash: heartbeats end without deleting the record; the TTL ends it.
  auto c3 = connect_to(server, "n3");
  auto m3 = Membership::open(*c3, {"n3", "http://127.0.0.1:3", 200, 2000, 1});
  REQUIRE((*m3)->start().is_ok());
  CHECK((*m1)->live_nodes()->size() == 2);
  (*m3)->stop(false);
  bool gone = false;
  for (int i = 0; i < 80 && !gone; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    gone = (*m1)->live_nodes()->size() == 1;
  }
  CHECK(gone);
}

TEST_CASE("shard map store: create, compare-and-set and rebalance onto a new node") {
  if (!NatsServer::available()) return;
  NatsServer server;
  REQUIRE(server.ready());
  auto c = connect_to(server, "n1");
  auto store = ShardMapStore::open(*c, 1);
  REQUIRE_MESSAGE(store.is_ok(), store.status().to_string());
  ShardMap m;
  m.index = "books.v1";
  m.shards = 8;
  m.replicas = 2;
  m = m.rebalanced({"a", "b", "c"});
  auto created = (*store)->create(m);
  REQUIRE(created.is_ok());
  CHECK((*store)->create(m).status().code() == Status::Code::kAlreadyExists);
  auto got = (*store)->get("books.v1");
  REQUIRE(got.is_ok());
  REQUIRE(got->has_value());
  CHECK((*got)->assignment == m.assignment);
  CHECK((*got)->revision == created->revision);
  CHECK(*(*store)->list() == std::vector<std::string>{"books.v1"});

  // Two writers from the same revision: the second loses.
  ShardMap w1 = **got, w2 = **got;
  w1.epoch = 10;
  w2.epoch = 20;
  REQUIRE((*store)->update(w1).is_ok());
  CHECK((*store)->update(w2).status().code() == Status::Code::kAlreadyExists);

  size_t moved = 0;
  auto grown = (*store)->rebalance("books.v1", {"a", "b", "c", "d"}, &moved);
  REQUIRE(grown.is_ok());
  CHECK(grown->shards_on("d").size() == moved);
  CHECK(grown->epoch == 11);
  CHECK((*(*store)->get("books.v1"))->assignment == grown->assignment);
  CHECK_FALSE((*store)->get("nope")->has_value());
  REQUIRE((*store)->remove("books.v1").is_ok());
  CHECK((*store)->list()->empty());
}

TEST_CASE("membership: start() retries its first record while JetStream cannot take it, for a bounded time") {
  if (!NatsServer::available()) return;
  NatsServer server;
  REQUIRE(server.ready());
  auto c = connect_to(server, "n1");
  // As for nodes started together on a fresh NATS cluster, the bucket exists
  // but cannot take the record yet: here its only server is down for 3 s,
  // longer than the client's 2 s request timeout.
  Membership::Options o{"n1", "http://127.0.0.1:1", 200, 800, 1};
  o.start_retry_ms = 15000;
  auto m = Membership::open(*c, o);
  REQUIRE(m.is_ok());
  server.kill();
  std::thread restart([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(3000));
    server.start();
  });
  const auto t0 = std::chrono::steady_clock::now();
  Status st = (*m)->start();
  restart.join();
  CHECK_MESSAGE(st.is_ok(), st.to_string());
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(2900));
  auto live = (*m)->live_nodes();
  REQUIRE(live.is_ok());
  CHECK(live->size() == 1);
  (*m)->stop();

  // Nothing to take it at all: start() gives up after start_retry_ms with the error.
  auto c2 = connect_to(server, "n2");
  Membership::Options o2{"n2", "http://127.0.0.1:2", 200, 800, 1};
  o2.start_retry_ms = 500;
  auto m2 = Membership::open(*c2, o2);
  REQUIRE(m2.is_ok());
  server.kill();
  const auto t1 = std::chrono::steady_clock::now();
  Status st2 = (*m2)->start();
  CHECK_FALSE(st2.is_ok());
  CHECK(std::chrono::steady_clock::now() - t1 < std::chrono::seconds(8));
}
