#include <doctest/doctest.h>

#include <set>
#include <thread>

#include "meridian/cluster/cluster_node.h"
#include "meridian/cluster/placement.h"
#include "nats_fixture.h"

using namespace meridian;
using namespace meridian::cluster;

namespace {
std::unique_ptr<ClusterNode> start_node(const NatsServer& s, const std::string& id, const std::string& dir,
                                        int heartbeat_ms = 200) {
  ClusterOptions o;
  o.servers = {s.url()};
  o.node_id = id;
  o.url = "http://127.0.0.1:0";
  o.dir = dir + "/" + id;
  o.heartbeat_ms = heartbeat_ms;
  o.ttl_ms = 1000;
  o.sync_ms = 100;
  o.stream_replicas = 1;
  index::IndexOptions io;
  io.refresh_interval_ms = 50;
  auto n = ClusterNode::start(o, io);
  REQUIRE_MESSAGE(n.is_ok(), n.status().to_string());
  return std::move(*n);
}
std::set<std::string> ids_in(const std::shared_ptr<index::Index>& ix, int n) {
  std::set<std::string> out;
  for (int i = 0; i < n; ++i) {
    std::string id = "d" + std::to_string(i);
    if (ix->get(id)->has_value()) out.insert(id);
  }
  return out;
}
bool eventually(const std::function<bool()>& f, int ms) {
  for (int waited = 0; waited < ms; waited += 50) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return f();
}
// The schema of most tests here: one text field.
Json title_schema() { return Json(Json::Object{{"fields", Json(Json::Object{{"title", Json("text")}})}}); }

}  // namespace

TEST_CASE("cluster node: writes through any node reach every replica of their shard; a lost node's replicas move") {
  MERIDIAN_NATS_SERVER_OR_SKIP(server);
  TempDir dir;
  std::vector<std::unique_ptr<ClusterNode>> nodes;
  for (const char* id : {"n1", "n2", "n3"}) nodes.push_back(start_node(server, id, dir.path()));

  Json schema = Json(Json::Object{{"fields", Json(Json::Object{{"title", Json("text")}, {"n", Json("int")}})}});
  auto m = nodes[0]->create_index("books", schema, 3, 2);
  REQUIRE_MESSAGE(m.is_ok(), m.status().to_string());
  CHECK(nodes[1]->create_index("books", schema, 3, 2).status().code() == Status::Code::kAlreadyExists);
  CHECK(nodes[1]->create_index("bad", schema, 0, 2).status().code() == Status::Code::kInvalidArgument);
  for (uint32_t s = 0; s < 3; ++s) CHECK(m->nodes_of(s).size() == 2);

  // 300 puts spread over the three nodes, then a delete.
  const int kDocs = 300;
  std::map<uint32_t, uint64_t> last_seq;
  for (int i = 0; i < kDocs; ++i) {
    Json doc(Json::Object{{"id", Json("d" + std::to_string(i))}, {"title", Json("book " + std::to_string(i))},
                          {"n", Json(int64_t{i})}});
    auto ack = nodes[i % 3]->put("books", doc);
    REQUIRE_MESSAGE(ack.is_ok(), ack.status().to_string());
    CHECK(ack->shard == shard_of("d" + std::to_string(i), 3));
    last_seq[ack->shard] = std::max(last_seq[ack->shard], ack->seq);
  }
  auto bad = nodes[0]->put("books", Json(Json::Object{{"title", Json("no id")}}));
  CHECK(bad.status().code() == Status::Code::kInvalidArgument);
  CHECK(nodes[0]->put("nope", Json::object()).status().code() == Status::Code::kNotFound);
  auto del = nodes[2]->remove("books", "d7");
  REQUIRE(del.is_ok());
  last_seq[del->shard] = std::max(last_seq[del->shard], del->seq);
  for (auto [s, seq] : last_seq) REQUIRE_MESSAGE(nodes[0]->wait_for("books", s, seq, 10000).is_ok(), "shard " << s);

  // Every replica of a shard holds exactly the shard's documents.
  std::set<std::string> all;
  for (uint32_t s = 0; s < 3; ++s) {
    std::set<std::string> expect;
    for (int i = 0; i < kDocs; ++i)
      if (i != 7 && shard_of("d" + std::to_string(i), 3) == s) expect.insert("d" + std::to_string(i));
    for (const auto& node_id : m->nodes_of(s)) {
      auto& node = nodes[node_id[1] - '1'];
      auto ix = node->local_replica("books", s);
      REQUIRE(ix);
      CHECK(ids_in(ix, kDocs) == expect);
    }
    all.insert(expect.begin(), expect.end());
  }
  CHECK(all.size() == kDocs - 1);

  auto st = nodes[1]->status();
  REQUIRE(st.is_ok());
  CHECK(st->find("nodes")->size() == 3);
  const Json& ixs = *st->find("indexes");
  REQUIRE(ixs.size() == 1);
  CHECK(ixs.as_array()[0].find("shard_list")->size() == 3);
  CHECK(st->dump().find("\"in_sync\"") != std::string::npos);
  CHECK(nodes[0]->counters().publishes > 0);

  // n3 stops: after the TTL its replicas are placed on n1 and n2, which
  // catch up from the streams and hold every document.
  nodes[2]->stop();
  REQUIRE(eventually(
      [&] {
        auto cur = nodes[0]->shard_map("books");
        if (!cur.is_ok() || !cur->has_value()) return false;
        for (uint32_t s = 0; s < 3; ++s)
          for (const auto& n : (*cur)->nodes_of(s))
            if (n == "n3") return false;
        return true;
      },
      10000));
  CHECK(nodes[0]->counters().rebalances + nodes[1]->counters().rebalances >= 1);
  for (uint32_t s = 0; s < 3; ++s) {
    REQUIRE(nodes[0]->wait_for("books", s, last_seq[s], 10000).is_ok());
    std::set<std::string> expect;
    for (int i = 0; i < kDocs; ++i)
      if (i != 7 && shard_of("d" + std::to_string(i), 3) == s) expect.insert("d" + std::to_string(i));
    for (int k = 0; k < 2; ++k) {
      auto ix = nodes[k]->local_replica("books", s);
      REQUIRE(ix);
      CHECK(ids_in(ix, kDocs) == expect);
    }
  }
  REQUIRE(nodes[0]->drop_index("books").is_ok());
  CHECK_FALSE(nodes[1]->shard_map("books")->has_value());
}

TEST_CASE("cluster node: routes list each shard's live replicas; wait_for means searchable on every replica") {
  MERIDIAN_NATS_SERVER_OR_SKIP(server);
  TempDir dir;
  auto a = start_node(server, "a", dir.path());
  auto b = start_node(server, "b", dir.path());
  REQUIRE(eventually([&] { return a->status()->find("nodes")->size() == 2; }, 5000));
  const Json schema = title_schema();
  auto m = a->create_index("r", schema, 2, 2);
  REQUIRE(m.is_ok());
  // The schema is parsed once per index creation and shared.
  auto s1 = a->schema(*m);
  auto s2 = a->schema(*m);
  REQUIRE(s1.is_ok());
  REQUIRE(s2.is_ok());
  CHECK(s1->get() == s2->get());
  CHECK((*s1)->find("title") != nullptr);
  cluster::ShardMap recreated = *m;
  recreated.uid += "-again";
  recreated.schema = Json(Json::Object{{"fields", Json(Json::Object{{"body", Json("text")}})}});
  auto s3 = a->schema(recreated);
  REQUIRE(s3.is_ok());
  CHECK((*s3)->find("title") == nullptr);
  // Written through a right after creation: b's replicas may not have
  // reported yet, and wait_for waits for them too.
  std::map<uint32_t, uint64_t> last;
  for (int i = 0; i < 40; ++i) {
    auto ack = a->put(*m, Json(Json::Object{{"id", Json("d" + std::to_string(i))}, {"title", Json("red kite")}}));
    REQUIRE(ack.is_ok());
    last[ack->shard] = std::max(last[ack->shard], ack->seq);
  }
  for (const auto& [shard, seq] : last) REQUIRE(b->wait_for("r", shard, seq, 10000).is_ok());
  std::map<uint32_t, uint64_t> expected;
  for (int i = 0; i < 40; ++i) ++expected[shard_of("d" + std::to_string(i), 2)];
  for (uint32_t s = 0; s < 2; ++s) {
    // Searchable (in the current snapshot), not only applied, on both nodes' replicas.
    for (auto* n : {a.get(), b.get()}) {
      auto ix = n->local_replica("r", s);
      REQUIRE(ix);
      CHECK(ix->snapshot()->live_docs() == expected[s]);
    }
  }
  auto routes = b->routes(*m);
  REQUIRE(routes.is_ok());
  REQUIRE(routes->size() == 2);
  for (const auto& shard : *routes) {
    REQUIRE(shard.size() == 2);
    std::set<std::string> nodes{shard[0].node, shard[1].node};
    CHECK(nodes == std::set<std::string>{"a", "b"});
    for (const auto& r : shard) CHECK(r.local == (r.node == "b"));
    CHECK(shard[0].applied >= shard[1].applied);
  }
  // A stopped node's replicas drop out of the routes.
  a->stop();
  REQUIRE(eventually([&] {
    auto r = b->routes(*m);
    return r.is_ok() && (*r)[0].size() == 1 && (*r)[0][0].node == "b";
  }, 5000));
}

TEST_CASE("cluster node: a batch of puts over all shards is acknowledged per document, a bad one fails alone") {
  MERIDIAN_NATS_SERVER_OR_SKIP(server);
  TempDir dir;
  auto a = start_node(server, "a", dir.path());
  Json schema = Json(Json::Object{{"fields", Json(Json::Object{{"title", Json("text")}, {"n", Json("int")}})}});
  auto m = a->create_index("batch", schema, 3, 1);
  REQUIRE(m.is_ok());
  std::vector<Json> docs;
  for (int i = 0; i < 300; ++i)
    docs.push_back(Json(Json::Object{{"id", Json("d" + std::to_string(i))}, {"title", Json("kite")}, {"n", Json(int64_t{i})}}));
  docs.push_back(Json(Json::Object{{"title", Json("no id")}}));
  docs.push_back(Json(Json::Object{{"id", Json("d5")}, {"title", Json("kite")}, {"n", Json(int64_t{-5})}}));  // d5 again
  auto acks = a->put_batch(*m, docs);
  REQUIRE(acks.size() == docs.size());
  CHECK(acks[300].status().code() == Status::Code::kInvalidArgument);
  std::map<uint32_t, uint64_t> last;
  for (size_t i = 0; i < docs.size(); ++i) {
    if (i == 300) continue;
    REQUIRE_MESSAGE(acks[i].is_ok(), acks[i].status().to_string());
    const std::string id = docs[i].find("id")->as_string();
    CHECK(acks[i]->shard == shard_of(id, 3));
    // Each shard's stream holds the batch's documents in request order.
    CHECK(acks[i]->seq > last[acks[i]->shard]);
    last[acks[i]->shard] = acks[i]->seq;
  }
  CHECK(last.size() == 3);
  uint64_t stored = 0;
  for (const auto& [shard, seq] : last) {
    CHECK(*a->last_sequence("batch", shard) == seq);
    stored += seq;
    REQUIRE(a->wait_for("batch", shard, seq, 10000).is_ok());
  }
  CHECK(stored == 301);  // each acknowledged document once
  auto ix = a->local_replica("batch", shard_of("d5", 3));
  REQUIRE(ix);
  auto d5 = ix->get("d5");
  REQUIRE(d5.is_ok());
  REQUIRE(d5->has_value());
  CHECK(parse_json(**d5)->find("n")->as_int() == -5);  // the later line of the same id wins
  CHECK(a->counters().publishes >= 301);
}

TEST_CASE("cluster node: searches route from the cached view, with no NATS round trip") {
  MERIDIAN_NATS_SERVER_OR_SKIP(server);
  TempDir dir;
  auto a = start_node(server, "a", dir.path());
  const Json schema = title_schema();
  auto m = a->create_index("v", schema, 2, 1);
  REQUIRE(m.is_ok());
  REQUIRE(eventually([&] {
    auto r = a->routes(*m);
    return r.is_ok() && (*r)[0].size() == 1 && (*r)[1].size() == 1;
  }, 5000));
  // NATS gone: routing metadata still comes from the last view.
  server.kill();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // older than sync_ms: a refresh is tried and fails
  auto r = a->routes(*m);
  REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  CHECK((*r)[0].size() == 1);
  CHECK((*r)[0][0].local);
  auto cm = a->cached_shard_map("v");
  REQUIRE(cm.is_ok());
  REQUIRE(cm->has_value());
  CHECK((*cm)->uid == m->uid);
}

TEST_CASE("cluster node: index settings live in the shard map; a patch through any node reaches every replica") {
  MERIDIAN_NATS_SERVER_OR_SKIP(server);
  TempDir dir;
  auto a = start_node(server, "a", dir.path());
  auto b = start_node(server, "b", dir.path());
  REQUIRE(eventually([&] { return a->status()->find("nodes")->size() == 2; }, 5000));
  Json schema = Json(Json::Object{{"fields", Json(Json::Object{{"title", Json("text")}, {"n", Json("int")}})}});
  auto initial = index::parse_index_settings(Json(Json::Object{{"stop_words", Json(Json::Array{Json("The")})}}), nullptr);
  REQUIRE(initial.is_ok());
  auto m = a->create_index("s", schema, 2, 2, initial->to_stored_json());
  REQUIRE_MESSAGE(m.is_ok(), m.status().to_string());
  CHECK(m->settings_version == 1);
  auto s0 = b->settings(*m);
  REQUIRE(s0.is_ok());
  CHECK((*s0)->stop_words == std::vector<std::string>{"the"});
  CHECK((*s0)->typo_tolerance.enabled);
  // Every replica opens with the settings of the map.
  auto replicas_have = [&](const std::function<bool(const index::IndexSettings&)>& want) {
    for (auto* n : {a.get(), b.get()})
      for (uint32_t s = 0; s < 2; ++s) {
        auto ix = n->local_replica("s", s);
        if (!ix || !want(*ix->settings())) return false;
      }
    return true;
  };
  REQUIRE(eventually([&] { return replicas_have([](const auto& s) { return s.stop_words.size() == 1; }); }, 5000));

  // A patch through b, validated against the schema, stored by
  // compare-and-set, then read by a from NATS.
  auto patched = b->patch_settings(
      "s", Json(Json::Object{{"typo_tolerance", Json(Json::Object{{"enabled", Json(false)}})},
                             {"ranking_rules", Json(Json::Array{Json("words"), Json("n:desc"), Json("bm25")})}}));
  REQUIRE_MESSAGE(patched.is_ok(), patched.status().to_string());
  CHECK(patched->settings_version == 2);
  auto read = a->shard_map("s");
  REQUIRE(read.is_ok());
  REQUIRE(read->has_value());
  CHECK((*read)->settings_version == 2);
  auto s1 = a->settings(**read);
  REQUIRE(s1.is_ok());
  CHECK_FALSE((*s1)->typo_tolerance.enabled);
  CHECK((*s1)->stop_words == std::vector<std::string>{"the"});  // a merge patch keeps the other keys
  CHECK((*s1)->ranking_rules == std::vector<std::string>{"words", "n:desc", "bm25"});
  // b's replicas have them when the patch returns; a's within a sync pass.
  for (uint32_t s = 0; s < 2; ++s) CHECK_FALSE(b->local_replica("s", s)->settings()->typo_tolerance.enabled);
  REQUIRE(eventually([&] { return replicas_have([](const auto& s) { return !s.typo_tolerance.enabled; }); }, 5000));

  // Refused patches are the single node's errors and store nothing.
  auto bad = a->patch_settings("s", Json(Json::Object{{"typo_tolerance", Json(Json::Object{{"enabled", Json("yes")}})}}));
  CHECK(bad.status().code() == Status::Code::kInvalidArgument);
  CHECK(bad.status().message().rfind("typo_tolerance.enabled: ", 0) == 0);
  auto no_field = a->patch_settings("s", Json(Json::Object{{"q_fields", Json(Json::Array{Json("nope")})}}));
  CHECK(no_field.status().code() == Status::Code::kInvalidArgument);
  CHECK(no_field.status().message().find("nope") != std::string::npos);
  auto distinct = a->patch_settings("s", Json(Json::Object{{"distinct", Json("title")}}));  // a text field
  CHECK(distinct.status().code() == Status::Code::kInvalidArgument);
  CHECK(distinct.status().message().rfind("distinct: ", 0) == 0);
  CHECK(a->patch_settings("none", Json::object()).status().code() == Status::Code::kNotFound);
  CHECK((*a->shard_map("s"))->settings_version == 2);

  // Two patches of different keys at once through two nodes: the loser of
  // the compare-and-set re-reads, so both apply.
  Status r1, r2;
  std::thread t1([&] { r1 = a->patch_settings("s", Json(Json::Object{{"stop_words", Json(Json::Array{Json("of")})}})).status(); });
  std::thread t2([&] {
    Json one_way(Json::Object{{"tv", Json(Json::Array{Json("television")})}});
    r2 = b->patch_settings("s", Json(Json::Object{{"synonyms", Json(Json::Object{{"one_way", one_way}})}})).status();
  });
  t1.join();
  t2.join();
  CHECK_MESSAGE(r1.is_ok(), r1.to_string());
  CHECK_MESSAGE(r2.is_ok(), r2.to_string());
  auto both = a->shard_map("s");
  CHECK((*both)->settings_version == 4);
  auto s2 = a->settings(**both);
  CHECK((*s2)->stop_words == std::vector<std::string>{"of"});
  CHECK((*s2)->synonyms.one_way.count("tv") == 1);
  CHECK_FALSE((*s2)->typo_tolerance.enabled);

  // A replica placed later (a third node joins and takes some) opens with
  // the index's current settings.
  auto c = start_node(server, "c", dir.path());
  REQUIRE(eventually([&] {
    auto cur = c->shard_map("s");
    if (!cur.is_ok() || !cur->has_value()) return false;
    for (uint32_t s = 0; s < 2; ++s)
      for (const auto& n : (*cur)->nodes_of(s))
        if (n == "c" && c->local_replica("s", s)) return true;
    return false;
  }, 10000));
  for (uint32_t s = 0; s < 2; ++s)
    if (auto ix = c->local_replica("s", s)) {
      CHECK(ix->settings()->stop_words == std::vector<std::string>{"of"});
      CHECK(ix->settings()->synonyms.one_way.count("tv") == 1);
      CHECK_FALSE(ix->settings()->typo_tolerance.enabled);
    }
}

TEST_CASE("cluster node: unsettled from a NATS failure until ttl_ms + sync_ms after it; an outage over the TTL moves no replica") {
  // Every record expires during the outage (TTL 1 s, NATS down 2.5 s). A node
  // back first must not place every shard on itself (and the others delete
  // theirs): it waits until NATS has answered it for ttl_ms + sync_ms. Node b
  // heartbeats slowly (every 800 ms), so a is back well before b's record is.
  MERIDIAN_NATS_SERVER_OR_SKIP(server);
  TempDir dir;
  auto a = start_node(server, "a", dir.path());
  auto b = start_node(server, "b", dir.path(), 800);
  REQUIRE(eventually([&] {
    auto st = a->status();
    return st.is_ok() && st->find("nodes")->as_array().size() == 2;
  }, 5000));
  const Json schema = title_schema();
  auto m = a->create_index("o", schema, 4, 1);
  REQUIRE_MESSAGE(m.is_ok(), m.status().to_string());
  REQUIRE(eventually([&] { return a->local_replica("o", 0) || b->local_replica("o", 0); }, 5000));
  CHECK(a->settled());
  server.kill();
  CHECK(eventually([&] { return !a->settled() && !b->settled(); }, 5000));
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  server.start();
  REQUIRE(server.ready());
  REQUIRE(eventually([&] { return a->settled() && b->settled(); }, 20000));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // a few sync passes once settled
  auto after = a->shard_map("o");
  REQUIRE(after.is_ok());
  REQUIRE(after->has_value());
  CHECK((*after)->epoch == m->epoch);
  CHECK((*after)->assignment == m->assignment);
  CHECK(a->counters().rebalances == 0);
  CHECK(b->counters().rebalances == 0);
}

TEST_CASE("cluster node: a put waits out a broker down for longer than three attempts") {
  MERIDIAN_NATS_SERVER_OR_SKIP(server);
  TempDir dir;
  auto a = start_node(server, "a", dir.path());
  const Json schema = title_schema();
  auto m = a->create_index("w", schema, 1, 1);
  REQUIRE(m.is_ok());
  server.kill();
  // Three attempts of timeout_ms (2 s) with their backoff end before 7 s;
  // publish_retry_ms (12 s) keeps retrying with the same Nats-Msg-Id.
  std::thread restart([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(7000));
    server.start();
  });
  const auto t0 = std::chrono::steady_clock::now();
  auto ack = a->put(*m, Json(Json::Object{{"id", Json("x")}, {"title", Json("late")}}));
  restart.join();
  CHECK_MESSAGE(ack.is_ok(), ack.status().to_string());
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(16));
  if (ack.is_ok()) CHECK(ack->seq == 1);
}
