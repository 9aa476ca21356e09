// ClusterWatch (src/server/cluster_watch.h) with in-process replicas: the
// shards' streams merged into one, a replaced replica streamed again with a
// reset, an overflowing queue dropped, stop() closing every subscription, a
// resubscription keeping deletes (or saying they may be missed), the end of
// a dropped index's stream and the back-off of failing attempts.
// (Remote replicas, over the internal HTTP route, are tested end to end by
// tests/e2e/cluster_test.py.)
#include <doctest/doctest.h>
#include <httplib.h>

#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "../../src/server/cluster_watch.h"
#include "../test_util.h"
#include "meridian/query/search_request.h"

using namespace meridian;
using namespace meridian::server;

namespace {
// The watch of index "t" with `shards` shards on node n1 (retry_ms: the
// options' own when 0).
ClusterWatchOptions opts(uint32_t shards, int retry_ms = 0) {
  ClusterWatchOptions o;
  o.index = "t";
  o.shards = shards;
  o.node_id = "n1";
  if (retry_ms > 0) o.retry_ms = retry_ms;
  return o;
}
// Every shard's replica on this node (n1), in process; the caller sets local_replica.
ClusterWatchPeers local_peers() {
  ClusterWatchPeers p;
  p.routes = [](uint32_t) { return std::vector<cluster::ReplicaRoute>{{"n1", "", true, 0}}; };
  return p;
}
std::shared_ptr<index::Index> make_index(const std::string& dir) {
  index::IndexOptions opt;
  opt.background = false;
  auto schema = index::Schema::from_json(*parse_json(R"({"fields":{"title":"text"}})"));
  REQUIRE(schema.is_ok());
  auto idx = index::Index::open(dir, "t", opt, &*schema);
  REQUIRE(idx.is_ok());
  return std::shared_ptr<index::Index>(std::move(*idx));
}
void put(index::Index& ix, const std::string& id, const std::string& title) {
  Json d = Json::object();
  d.set("id", id);
  d.set("title", title);
  REQUIRE(ix.put(d).is_ok());
  REQUIRE(ix.refresh().is_ok());
}
query::SearchRequest apple() {
  auto r = query::parse_search_request(*parse_json(R"({"query":{"match":{"title":"apple"}}})"));
  REQUIRE(r.is_ok());
  return std::move(*r);
}
// Items until `events` events arrived (20 s at most), rendered.
std::vector<std::string> collect(ClusterWatch& w, WatchStreamIds& ids, size_t events, std::vector<ClusterWatchItem>* all) {
  std::vector<std::string> out;
  size_t n = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (n < events && std::chrono::steady_clock::now() < deadline) {
    std::vector<ClusterWatchItem> items;
    if (w.next(&items, 100) != ClusterWatch::Wait::kItems) continue;
    for (auto& it : items) {
      n += it.kind == ClusterWatchItem::Kind::kEvent;
      std::string s = ids.render(it);
      if (!s.empty()) out.push_back(s);
      all->push_back(std::move(it));
    }
  }
  return out;
}
}  // namespace

TEST_CASE("cluster_watch: in-process shards are merged; a replaced replica is streamed again after a reset") {
  TempDir d0, d1, d1b;
  auto s0 = make_index(d0.path()), s1 = make_index(d1.path()), s1b = make_index(d1b.path());
  WatchHub hub;
  std::mutex mu;
  std::shared_ptr<index::Index> cur1 = s1;
  ClusterWatchPeers peers = local_peers();
  peers.local_replica = [&](uint32_t s) {
    std::lock_guard lock(mu);
    return s == 0 ? s0 : cur1;
  };
  ClusterWatchOptions opt = opts(2, 50);
  std::atomic<int64_t> subs{0};
  ClusterWatch w(hub, peers, opt, apple(), {}, false, &subs);
  w.start();
  REQUIRE(w.wait_subscribed(10000));
  CHECK(subs.load() == 2);
  put(*s0, "a", "red apple");
  put(*s1, "b", "pear");
  put(*s1, "c", "apple pie");
  WatchStreamIds ids(std::vector<ShardCursor>(2));
  std::vector<ClusterWatchItem> items;
  auto out = collect(w, ids, 2, &items);
  REQUIRE(out.size() == 2);  // the fresh hellos render nothing
  std::string joined = out[0] + out[1];
  CHECK(joined.find("\"id\":\"a\"") != std::string::npos);
  CHECK(joined.find("\"shard\":0") != std::string::npos);
  CHECK(joined.find("\"id\":\"c\"") != std::string::npos);
  CHECK(joined.find("\"shard\":1") != std::string::npos);
  CHECK(joined.find("\"id\":\"b\"") == std::string::npos);
  const auto before = ids.cursors();
  CHECK(before[0].node == "n1");
  CHECK(before[1].ring != before[0].ring);  // two Index objects, two rings
  // Shard 1's replica is replaced (rebuilt): the feed notices within a
  // second, subscribes to the new one and says events may have been missed.
  {
    std::lock_guard lock(mu);
    cur1 = s1b;
  }
  std::vector<ClusterWatchItem> more;
  for (int i = 0; i < 100; ++i) {
    std::vector<ClusterWatchItem> got;
    if (w.next(&got, 100) == ClusterWatch::Wait::kItems)
      for (auto& it : got) more.push_back(std::move(it));
    if (!more.empty()) break;
  }
  REQUIRE(more.size() == 1);
  CHECK(more[0].kind == ClusterWatchItem::Kind::kHello);
  CHECK(more[0].shard == 1);
  CHECK(more[0].gap);
  std::string reset = ids.render(more[0]);
  CHECK(reset.find("event: reset") != std::string::npos);
  CHECK(ids.cursors()[1].ring != before[1].ring);
  put(*s1b, "d", "apple");
  out = collect(w, ids, 1, &items);
  REQUIRE(out.size() == 1);
  CHECK(out[0].find("\"id\":\"d\"") != std::string::npos);
  w.stop();
  CHECK(subs.load() == 0);
  CHECK(hub.watchers() == 0);
}

TEST_CASE("cluster_watch: a resumed stream continues each shard from its cursor; an unknown shard starts with a gap") {
  TempDir d0, d1;
  auto s0 = make_index(d0.path()), s1 = make_index(d1.path());
  WatchHub hub;
  ClusterWatchPeers peers = local_peers();
  peers.local_replica = [&](uint32_t s) { return s == 0 ? s0 : s1; };
  ClusterWatchOptions opt = opts(2);
  std::vector<ShardCursor> cursors;
  {
    ClusterWatch first(hub, peers, opt, apple(), {}, false, nullptr);
    first.start();
    REQUIRE(first.wait_subscribed(10000));
    WatchStreamIds ids(std::vector<ShardCursor>(2));
    std::vector<ClusterWatchItem> items;
    put(*s0, "a", "apple");
    REQUIRE(collect(first, ids, 1, &items).size() == 1);
    cursors = ids.cursors();
  }  // the client goes
  put(*s0, "b", "apple");  // while it is away
  cursors[1] = ShardCursor{};  // as if shard 1 had not been streamed yet
  ClusterWatch again(hub, peers, opt, apple(), cursors, true, nullptr);
  again.start();
  REQUIRE(again.wait_subscribed(10000));
  WatchStreamIds ids(cursors);
  std::vector<ClusterWatchItem> items;
  auto out = collect(again, ids, 1, &items);
  REQUIRE(out.size() == 2);  // shard 1's reset, and b replayed from shard 0's ring
  std::string joined = out[0] + out[1];
  CHECK(joined.find("event: reset") != std::string::npos);
  CHECK(joined.find("\"id\":\"b\"") != std::string::npos);
  CHECK(joined.find("\"id\":\"a\"") == std::string::npos);
}

TEST_CASE("cluster_watch: a client that does not read is dropped, and writes never wait") {
  TempDir d0;
  auto s0 = make_index(d0.path());
  WatchHub hub;
  ClusterWatchPeers peers = local_peers();
  peers.local_replica = [&](uint32_t) { return s0; };
  ClusterWatchOptions opt = opts(1);
  opt.queue_limit = 3;
  ClusterWatch w(hub, peers, opt, apple(), {}, false, nullptr);
  w.start();
  REQUIRE(w.wait_subscribed(10000));
  for (int i = 0; i < 10; ++i) put(*s0, "d" + std::to_string(i), "apple");
  ClusterWatch::Wait got = ClusterWatch::Wait::kTimeout;
  for (int i = 0; i < 200 && got != ClusterWatch::Wait::kDropped; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::vector<ClusterWatchItem> none;
    if (i > 20) got = w.next(&none, 0);  // read only once the queue had time to overflow
  }
  CHECK(got == ClusterWatch::Wait::kDropped);
  w.stop();
  CHECK(hub.watchers() == 0);
}

TEST_CASE("cluster_watch: a replica watcher dropped by its matcher's backlog is resumed exactly from the ring") {
  TempDir d0;
  auto s0 = make_index(d0.path());
  WatchOptions wo;
  wo.matcher_backlog = 3;  // one refresh of 10 writes drops every watcher
  WatchHub hub(wo);
  ClusterWatchPeers peers = local_peers();
  peers.local_replica = [&](uint32_t) { return s0; };
  ClusterWatchOptions opt = opts(1, 50);
  ClusterWatch w(hub, peers, opt, apple(), {}, false, nullptr);
  w.start();
  REQUIRE(w.wait_subscribed(10000));
  for (int i = 0; i < 10; ++i) {
    Json d = Json::object();
    d.set("id", "d" + std::to_string(i));
    d.set("title", "apple");
    REQUIRE(s0->put(d).is_ok());
  }
  REQUIRE(s0->refresh().is_ok());
  WatchStreamIds ids(std::vector<ShardCursor>(1));
  std::vector<ClusterWatchItem> items;
  auto out = collect(w, ids, 10, &items);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::vector<ClusterWatchItem> extra;
  (void)w.next(&extra, 0);
  CHECK(extra.empty());
  REQUIRE(out.size() == 10);  // no reset: the same ring, resumed after the last event sent
  std::set<std::string> seen;
  for (const auto& s : out) {
    CHECK(s.find("event: match") != std::string::npos);
    seen.insert(s.substr(s.find("\"id\":")));
  }
  CHECK(seen.size() == 10);
  size_t hellos = 0;
  for (const auto& it : items) hellos += it.kind == ClusterWatchItem::Kind::kHello;
  CHECK(hellos >= 2);  // it did subscribe again
}

TEST_CASE("cluster_watch: a document matched before a replica watcher was dropped and resumed still gets its delete") {
  TempDir d0;
  auto s0 = make_index(d0.path());
  WatchOptions wo;
  wo.matcher_backlog = 3;  // one refresh of 10 writes drops every watcher
  WatchHub hub(wo);
  ClusterWatchPeers peers = local_peers();
  peers.local_replica = [&](uint32_t) { return s0; };
  ClusterWatchOptions opt = opts(1, 50);
  ClusterWatch w(hub, peers, opt, apple(), {}, false, nullptr);
  w.start();
  REQUIRE(w.wait_subscribed(10000));
  put(*s0, "k", "apple");
  WatchStreamIds ids(std::vector<ShardCursor>(1));
  std::vector<ClusterWatchItem> items;
  REQUIRE(collect(w, ids, 1, &items).size() == 1);
  for (int i = 0; i < 10; ++i) {
    Json d = Json::object();
    d.set("id", "d" + std::to_string(i));
    d.set("title", "apple");
    REQUIRE(s0->put(d).is_ok());
  }
  REQUIRE(s0->refresh().is_ok());  // the watcher is dropped, and resumed
  REQUIRE(collect(w, ids, 10, &items).size() == 10);
  size_t hellos = 0;
  for (const auto& it : items) hellos += it.kind == ClusterWatchItem::Kind::kHello;
  CHECK(hellos >= 2);
  REQUIRE(s0->remove("k").is_ok());
  REQUIRE(s0->refresh().is_ok());
  auto out = collect(w, ids, 1, &items);
  REQUIRE(out.size() == 1);  // no reset: the resumed watcher knows k matched
  CHECK(out[0].find("event: delete") != std::string::npos);
  CHECK(out[0].find("\"id\":\"k\"") != std::string::npos);
}

TEST_CASE("cluster_watch: a remote replica subscribed again on the same ring starts with a reset") {
  // A replica node's internal route: its watcher is dropped after one event;
  // the next subscription resumes the same ring (exactly, but that watcher
  // does not know k matched: a delete of k could be missed).
  httplib::Server srv;
  std::atomic<int> calls{0};
  std::string resumed_after;
  std::mutex mu;
  srv.Get("/v1/indexes/t/shards/0/watch", [&](const httplib::Request& req, httplib::Response& res) {
    const int n = ++calls;
    std::string from = "0";
    if (n > 1) {
      std::lock_guard lock(mu);
      resumed_after = req.get_param_value("last_event_id") + "@" + req.get_param_value("ring");
      from = req.get_param_value("last_event_id");
    }
    std::string body = "event: replica\ndata: {\"node\":\"n2\",\"shard\":0,\"ring\":\"a\",\"from\":" + from + ",\"gap\":false}\n\n";
    if (n == 1) body += "id: 1\nevent: match\ndata: {\"id\":\"k\",\"seq\":1,\"shard\":0,\"source\":{}}\n\nevent: dropped\ndata: {}\n\n";
    res.set_content(body, "text/event-stream");
  });
  const int port = srv.bind_to_any_port("127.0.0.1");
  REQUIRE(port > 0);
  std::thread t([&] { srv.listen_after_bind(); });
  WatchHub hub;
  ClusterWatchPeers peers;
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  peers.routes = [&](uint32_t) { return std::vector<cluster::ReplicaRoute>{{"n2", url, false, 0}}; };
  peers.local_replica = [](uint32_t) { return std::shared_ptr<index::Index>(); };
  ClusterWatchOptions opt = opts(1, 50);
  std::vector<ClusterWatchItem> hellos;
  {
    ClusterWatch w(hub, peers, opt, apple(), {}, false, nullptr);
    w.start();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (hellos.size() < 2 && std::chrono::steady_clock::now() < deadline) {
      std::vector<ClusterWatchItem> got;
      if (w.next(&got, 100) != ClusterWatch::Wait::kItems) continue;
      for (auto& it : got)
        if (it.kind == ClusterWatchItem::Kind::kHello) hellos.push_back(it);
    }
  }
  srv.stop();
  t.join();
  REQUIRE(hellos.size() == 2);
  CHECK_FALSE(hellos[0].gap);  // a fresh stream
  CHECK(hellos[1].gap);
  CHECK(hellos[1].reason.find("delete") != std::string::npos);
  std::lock_guard lock(mu);
  CHECK(resumed_after == "1@a");  // from its position, on the same ring
}

TEST_CASE("cluster_watch: once the index is gone the stream ends, after what was queued") {
  TempDir d0;
  auto s0 = make_index(d0.path());
  WatchHub hub;
  std::mutex mu;
  std::shared_ptr<index::Index> cur = s0;
  std::atomic<bool> gone{false};
  ClusterWatchPeers peers = local_peers();
  peers.local_replica = [&](uint32_t) {
    std::lock_guard lock(mu);
    return cur;
  };
  peers.gone = [&] { return gone.load(); };
  ClusterWatchOptions opt = opts(1, 50);
  ClusterWatch w(hub, peers, opt, apple(), {}, false, nullptr);
  w.start();
  REQUIRE(w.wait_subscribed(10000));
  put(*s0, "a", "apple");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // queued, not read
  {  // dropped: the replica goes, the shard map with it
    std::lock_guard lock(mu);
    cur = nullptr;
  }
  gone = true;
  std::vector<ClusterWatchItem> items;
  ClusterWatch::Wait last = ClusterWatch::Wait::kTimeout;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (last != ClusterWatch::Wait::kGone && std::chrono::steady_clock::now() < deadline) {
    last = w.next(&items, 100);
    if (last == ClusterWatch::Wait::kItems) CHECK(items.size() >= 2);  // the hello and a's match come first
  }
  CHECK(last == ClusterWatch::Wait::kGone);
  REQUIRE(items.size() == 2);
  CHECK(items[1].event == "match");
  w.stop();
  CHECK(hub.watchers() == 0);
}

TEST_CASE("cluster_watch: attempts that keep failing are retried with a doubling pause") {
  WatchHub hub;
  std::atomic<int> calls{0};
  ClusterWatchPeers peers;
  peers.routes = [&](uint32_t) {  // no in-sync replica
    ++calls;
    return std::vector<cluster::ReplicaRoute>{};
  };
  peers.local_replica = [](uint32_t) { return std::shared_ptr<index::Index>(); };
  ClusterWatchOptions opt = opts(1, 50);
  opt.max_retry_ms = 400;
  ClusterWatch w(hub, peers, opt, apple(), {}, false, nullptr);
  w.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  w.stop();
  // at 0, 50, 150, 350, 750, 1150 ms (every 50 ms: 24)
  CHECK(calls.load() >= 4);
  CHECK(calls.load() <= 8);
}
