#include <doctest/doctest.h>

#include <thread>

#include "meridian/cluster/nats_client.h"
#include "nats_fixture.h"

using namespace meridian;
using namespace meridian::cluster;

namespace {
std::unique_ptr<NatsClient> connect_to(const NatsServer& s) {
  NatsOptions o;
  o.servers = {s.url()};
  o.name = "test";
  auto c = NatsClient::connect(o);
  REQUIRE_MESSAGE(c.is_ok(), c.status().to_string());
  return std::move(*c);
}
}  // namespace

TEST_CASE("nats: server lists are parsed and bad entries named") {
  auto ok = parse_server_list("nats://127.0.0.1:4222, nats://127.0.0.1:4223");
  REQUIRE(ok.is_ok());
  CHECK(ok->size() == 2);
  CHECK((*ok)[1] == "nats://127.0.0.1:4223");
  auto bad = parse_server_list("nats://127.0.0.1:4222,http://x:1");
  REQUIRE_FALSE(bad.is_ok());
  CHECK(bad.status().message().find("http://x:1") != std::string::npos);
  CHECK_FALSE(parse_server_list("").is_ok());
  CHECK_FALSE(parse_server_list("nats://host").is_ok());
}

TEST_CASE("nats: connecting to nothing fails fast with an I/O error") {
  NatsOptions o;
  o.servers = {"nats://127.0.0.1:" + std::to_string(free_loopback_port())};
  o.timeout_ms = 300;
  auto c = NatsClient::connect(o);
  REQUIRE_FALSE(c.is_ok());
  CHECK(c.status().code() == Status::Code::kIOError);
}

TEST_CASE("nats: a publish is acked with its stream sequence and a retried id is stored once") {
  MERIDIAN_NATS_SERVER_OR_SKIP(server);
  auto c = connect_to(server);
  REQUIRE(c->ensure_stream({"S_0", {"s.0"}, 1}).is_ok());
  REQUIRE(c->ensure_stream({"S_0", {"s.0"}, 1}).is_ok());  // idempotent
  auto a = c->publish("s.0", "one", "n1:1");
  REQUIRE(a.is_ok());
  CHECK(a->seq == 1);
  CHECK_FALSE(a->duplicate);
  auto again = c->publish("s.0", "one", "n1:1");
  REQUIRE(again.is_ok());
  CHECK(again->duplicate);
  CHECK(again->seq == 1);
  auto b = c->publish("s.0", "two", "n1:2");
  CHECK(b->seq == 2);
  CHECK(*c->last_sequence("S_0") == 2);

  auto cons = c->consumer("S_0", "s.0", "replica_a", 2);
  REQUIRE_MESSAGE(cons.is_ok(), cons.status().to_string());
  auto msgs = (*cons)->fetch(10, 1000);
  REQUIRE(msgs.is_ok());
  REQUIRE(msgs->size() == 1);  // started at sequence 2
  CHECK((*msgs)[0].seq == 2);
  CHECK((*msgs)[0].data == "two");
  REQUIRE((*cons)->ack_fetched().is_ok());
  auto none = (*cons)->fetch(10, 100);
  REQUIRE(none.is_ok());
  CHECK(none->empty());
}

TEST_CASE("nats: a batch over several subjects gets one result per item, in order; a retried batch is stored once") {
  MERIDIAN_NATS_SERVER_OR_SKIP(server);
  auto c = connect_to(server);
  REQUIRE(c->ensure_stream({"B_0", {"b.0"}, 1}).is_ok());
  REQUIRE(c->ensure_stream({"B_1", {"b.1"}, 1}).is_ok());
  std::vector<PublishItem> items;
  for (int i = 0; i < 500; ++i)
    items.push_back({"b." + std::to_string(i % 2), "m" + std::to_string(i), "t:" + std::to_string(i)});
  items.push_back({"nostream.x", "lost", "t:lost"});  // no stream listens: this item alone fails
  // A window smaller than the batch: publishing stalls until acks free it.
  auto acks = c->publish_batch(items, 5000, 64);
  REQUIRE(acks.size() == items.size());
  for (int i = 0; i < 500; ++i) {
    REQUIRE_MESSAGE(acks[i].is_ok(), acks[i].status().to_string());
    CHECK(acks[i]->seq == static_cast<uint64_t>(i / 2 + 1));  // each subject in item order
    CHECK_FALSE(acks[i]->duplicate);
  }
  CHECK(acks.back().status().code() == Status::Code::kIOError);
  CHECK(*c->last_sequence("B_0") == 250);
  CHECK(*c->last_sequence("B_1") == 250);
  // The same ids again (an ack lost, the batch retried): acknowledged as
  // duplicates with their first sequence, nothing stored twice.
  items.pop_back();
  auto again = c->publish_batch(items, 5000, 1000);
  for (int i = 0; i < 500; ++i) {
    REQUIRE(again[i].is_ok());
    CHECK(again[i]->duplicate);
    CHECK(again[i]->seq == acks[i]->seq);
  }
  CHECK(*c->last_sequence("B_0") == 250);
  CHECK(c->publish_batch({}, 1000).empty());
}

TEST_CASE("nats: key-value compare-and-set refuses a stale revision") {
  if (!NatsServer::available()) return;
  NatsServer server;
  REQUIRE(server.ready());
  auto c = connect_to(server);
  auto kv = c->bucket("cas_test", 1);
  REQUIRE_MESSAGE(kv.is_ok(), kv.status().to_string());
  auto r1 = (*kv)->create("k", "v1");
  REQUIRE(r1.is_ok());
  auto dup = (*kv)->create("k", "v1b");
  REQUIRE_FALSE(dup.is_ok());
  CHECK(dup.status().code() == Status::Code::kAlreadyExists);
  auto r2 = (*kv)->update("k", "v2", *r1);
  REQUIRE(r2.is_ok());
  auto stale = (*kv)->update("k", "v3", *r1);
  REQUIRE_FALSE(stale.is_ok());
  CHECK(stale.status().code() == Status::Code::kAlreadyExists);
  auto e = (*kv)->get("k");
  REQUIRE(e.is_ok());
  CHECK((*e)->value == "v2");
  CHECK((*e)->revision == *r2);
  CHECK(*(*kv)->keys() == std::vector<std::string>{"k"});
  REQUIRE((*kv)->remove("k").is_ok());
  CHECK_FALSE((*kv)->get("k")->has_value());
  CHECK((*kv)->keys()->empty());
}

// A consumer dropped while the server is still delivering its pull batch:
// libnats 3.4's read loop looks the subscription up, unlocks, then files the
// message into it, so a subscription freed in between is written after free
// (heap corruption; nats.c #637). Each round asks for 256 messages, gives up
// after 1 ms and drops the consumer with most of the batch still in flight.
TEST_CASE("nats: consumers dropped while their pull batch is still arriving leave the client sound") {
  MERIDIAN_NATS_SERVER_OR_SKIP(server);
  auto c = connect_to(server);
  REQUIRE(c->ensure_stream({"C_0", {"c.0"}, 1}).is_ok());
  std::vector<PublishItem> items;
  for (int i = 0; i < 2000; ++i)
    items.push_back({"c.0", std::string(200, 'x') + std::to_string(i), "c:" + std::to_string(i)});
  for (const auto& a : c->publish_batch(items, 10000)) REQUIRE(a.is_ok());
  for (int round = 0; round < 150; ++round) {
    const std::string durable = "churn_" + std::to_string(round);
    auto cons = c->consumer("C_0", "c.0", durable, 1);
    REQUIRE_MESSAGE(cons.is_ok(), cons.status().to_string());
    auto got = (*cons)->fetch(256, 1);
    REQUIRE_MESSAGE(got.is_ok(), got.status().to_string());
    for (size_t i = 0; i < got->size(); ++i) CHECK((*got)[i].seq == i + 1);
    cons->reset();  // the rest of the batch is still on its way
    REQUIRE(c->delete_consumer("C_0", durable).is_ok());
  }
  // The client still works: a fresh consumer reads the whole stream in order.
  auto cons = c->consumer("C_0", "c.0", "final", 1);
  REQUIRE(cons.is_ok());
  uint64_t next = 1;
  for (int tries = 0; tries < 100 && next <= 2000; ++tries) {
    auto got = (*cons)->fetch(500, 2000);
    REQUIRE_MESSAGE(got.is_ok(), got.status().to_string());
    for (const auto& m : *got) {
      REQUIRE(m.seq == next);
      CHECK(m.data == std::string(200, 'x') + std::to_string(next - 1));
      ++next;
    }
    REQUIRE((*cons)->ack_fetched().is_ok());
  }
  CHECK(next == 2001);
  CHECK(c->publish("c.0", "after", "c:after")->seq == 2001);
}

// Fetches made while the broker is down leave their pull requests in the
// client's reconnect buffer; after the restart they are replayed and each is
// served at once, so deliveries pour in while later fetches run. libnats
// 3.4's own fetch then wrote past its batch array (nats.c #749); a fetch must
// return at most its batch, the stream in order, nothing lost.
TEST_CASE("nats: pull requests replayed after a broker restart give at most a batch per fetch, in order") {
  MERIDIAN_NATS_SERVER_OR_SKIP(server);
  NatsOptions o;
  o.servers = {server.url()};
  o.timeout_ms = 1000;
  auto c = NatsClient::connect(o);
  REQUIRE(c.is_ok());
  REQUIRE((*c)->ensure_stream({"R_0", {"r.0"}, 1}).is_ok());
  std::vector<PublishItem> items;
  for (int i = 0; i < 2000; ++i) items.push_back({"r.0", "m" + std::to_string(i), "r:" + std::to_string(i)});
  for (const auto& a : (*c)->publish_batch(items, 10000)) REQUIRE(a.is_ok());
  auto cons = (*c)->consumer("R_0", "r.0", "replay", 1);
  REQUIRE(cons.is_ok());
  server.kill();
  for (int i = 0; i < 40; ++i) {
    auto none = (*cons)->fetch(64, 20);  // buffered, not answered
    CHECK((!none.is_ok() || none->empty()));
  }
  server.start();
  REQUIRE(server.ready());
  uint64_t next = 1;
  for (int tries = 0; tries < 1000 && next <= 2000; ++tries) {
    auto got = (*cons)->fetch(64, 200);
    if (!got.is_ok()) {  // JetStream still starting
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    CHECK(got->size() <= 64);
    for (const auto& m : *got) {
      REQUIRE(m.seq <= next);  // a redelivery at most, never a gap
      if (m.seq < next) continue;
      CHECK(m.data == "m" + std::to_string(next - 1));
      ++next;
    }
    REQUIRE((*cons)->ack_fetched().is_ok());
  }
  CHECK(next == 2001);
}
