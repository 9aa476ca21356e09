// The PostgreSQL source on a clustered index, without PostgreSQL: the
// source store, the sink that publishes changes to the shard logs, and the
// choice of the one node that runs a source (tests/e2e/cluster_test.py runs
// the whole path against a real PostgreSQL).
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "meridian/cluster/cluster_change_sink.h"
#include "meridian/cluster/cluster_sources.h"
#include "meridian/cluster/placement.h"
#include "nats_fixture.h"

using namespace meridian;
using namespace meridian::cluster;

namespace {

std::unique_ptr<ClusterNode> start_node(const NatsServer& s, const std::string& id, const std::string& dir) {
  ClusterOptions o;
  o.servers = {s.url()};
  o.node_id = id;
  o.url = "http://127.0.0.1:0";
  o.dir = dir + "/" + id;
  o.heartbeat_ms = 200;
  o.ttl_ms = 1000;
  o.sync_ms = 100;
  o.stream_replicas = 1;
  index::IndexOptions io;
  io.refresh_interval_ms = 50;
  auto n = ClusterNode::start(o, io);
  REQUIRE_MESSAGE(n.is_ok(), n.status().to_string());
  return std::move(*n);
}

bool eventually(const std::function<bool()>& f, int ms) {
  for (int waited = 0; waited < ms; waited += 50) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return f();
}

cdc::SourceConfig pg_config(const std::string& index, const std::string& name) {
  // Port 1: nothing listens, so a started source keeps reconnecting.
  Json j(Json::Object{{"type", Json("postgres")},
                      {"dsn", Json("host=127.0.0.1 port=1 dbname=x password=secret connect_timeout=1")},
                      {"table", Json("public.items")},
                      {"id_column", Json("id")}});
  auto c = cdc::SourceConfig::from_json(index, name, j);
  REQUIRE_MESSAGE(c.is_ok(), c.status().to_string());
  return *c;
}

Json item_schema() {
  return Json(Json::Object{{"fields", Json(Json::Object{{"title", Json("text")}, {"n", Json("int")}})}});
}

Json item(const std::string& id, const std::string& title, int64_t n) {
  return Json(Json::Object{{"id", Json(id)}, {"title", Json(title)}, {"n", Json(n)}});
}

// The stored document `id` of a clustered index once every replica applied
// its shard's whole stream ("" when absent).
std::string doc_of(ClusterNode& node, const ShardMap& m, const std::string& id) {
  const uint32_t s = shard_of(id, m.shards);
  auto head = node.last_sequence(m.index, s);
  REQUIRE(head.is_ok());
  REQUIRE(node.wait_for(m.index, s, *head, 10000).is_ok());
  auto ix = node.local_replica(m.index, s);
  REQUIRE(ix);
  auto d = ix->get(id);
  REQUIRE(d.is_ok());
  return d->has_value() ? **d : std::string();
}

cdc::RowChange upsert(Json doc, uint64_t lsn, uint64_t n) {
  cdc::RowChange c;
  c.id = doc.find("id")->as_string();
  c.doc = std::move(doc);
  c.source = "postgres:src";
  c.position = cdc::SourcePosition{{lsn, n}};
  return c;
}

}  // namespace

TEST_CASE("cluster sources: configs, positions and states are stored cluster-wide; remove forgets all three") {
  MERIDIAN_NATS_SERVER_OR_SKIP(server);
  NatsOptions o;
  o.servers = {server.url()};
  auto client = NatsClient::connect(o);
  REQUIRE(client.is_ok());
  auto kv = (*client)->bucket(SourceStore::kBucket, 1);
  REQUIRE(kv.is_ok());
  SourceStore store(std::move(*kv));

  CHECK_FALSE(store.config("books", "pg")->has_value());
  CHECK(store.position("books", "pg")->empty());
  REQUIRE(store.put_config(pg_config("books", "pg")).is_ok());
  REQUIRE(store.put_config(pg_config("a.b_c", "pg")).is_ok());  // escaped in the key
  auto c = store.config("books", "pg");
  REQUIRE(c.is_ok());
  REQUIRE(c->has_value());
  CHECK((*c)->dsn.find("password=secret") != std::string::npos);  // unredacted: the runner needs it
  CHECK((*c)->slot == "meridian_books_pg");
  auto all = store.configs();
  REQUIRE(all.is_ok());
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].index == "a.b_c");
  CHECK((*all)[1].index == "books");

  REQUIRE(store.put_position("books", "pg", cdc::SourcePosition{{0x16B3748, 3}}).is_ok());
  CHECK(store.position("books", "pg")->to_string() == "23803720,3");
  REQUIRE(store.put_status("books", "pg", Json(Json::Object{{"state", Json("streaming")}})).is_ok());
  CHECK((*store.status("books", "pg"))->find("state")->as_string() == "streaming");

  REQUIRE(store.remove("books", "pg").is_ok());
  CHECK_FALSE(store.config("books", "pg")->has_value());
  CHECK(store.position("books", "pg")->empty());
  CHECK_FALSE(store.status("books", "pg")->has_value());
  CHECK(store.configs()->size() == 1);
}

TEST_CASE("cluster change sink: changes reach their shards in order; the position is stored by flush only") {
  MERIDIAN_NATS_SERVER_OR_SKIP(server);
  TempDir dir;
  auto node = start_node(server, "n1", dir.path());
  auto m = node->create_index("items", item_schema(), 3, 1);
  REQUIRE_MESSAGE(m.is_ok(), m.status().to_string());
  auto kv = node->open_bucket(SourceStore::kBucket, 0, 1);
  REQUIRE(kv.is_ok());
  SourceStore store(std::move(*kv));
  REQUIRE(store.put_config(pg_config("items", "src")).is_ok());
  ClusterChangeSink sink(*node, store, pg_config("items", "src"));

  auto schema = sink.schema();
  REQUIRE(schema.is_ok());
  CHECK((*schema)->id_field() == "id");
  CHECK(sink.stored_position()->empty());

  // The snapshot: rows as upserts, a bad row refused alone, then the point.
  auto load = sink.begin_snapshot();
  REQUIRE(load.is_ok());
  auto put = (*load)->put({item("a", "alpha", 1), item("b", "beta", 2), item("c", "gamma", 3),
                           Json(Json::Object{{"id", Json("bad")}, {"n", Json("not a number")}})});
  REQUIRE(put.size() == 4);
  CHECK(put[0].is_ok());
  CHECK(put[2].is_ok());
  CHECK(put[3].code() == Status::Code::kInvalidArgument);
  REQUIRE((*load)->finish(cdc::SourcePosition{{100, 0}}).is_ok());
  CHECK(store.position("items", "src")->to_string() == "100,0");

  // One transaction: an update, a delete, a key change, an update that
  // lacks an unchanged column (kept from the stored document).
  std::vector<cdc::RowChange> txn;
  txn.push_back(upsert(item("a", "alpha two", 10), 200, 1));
  cdc::RowChange del;
  del.kind = cdc::ChangeKind::kDelete;
  del.id = "b";
  del.source = "postgres:src";
  del.position = cdc::SourcePosition{{200, 2}};
  txn.push_back(del);
  txn.push_back(upsert(item("d", "delta", 4), 200, 3));
  txn.back().old_id = "a";
  txn.push_back(upsert(Json(Json::Object{{"id", Json("c")}, {"title", Json("gamma two")}}), 200, 4));
  REQUIRE(sink.keep_unchanged(&txn.back()).is_ok());
  CHECK(txn.back().partial);
  CHECK(sink.validate(txn).empty());
  REQUIRE(sink.apply(txn).is_ok());
  CHECK(store.position("items", "src")->to_string() == "100,0");  // acknowledged, not yet flushed
  REQUIRE(sink.flush().is_ok());
  CHECK(store.position("items", "src")->to_string() == "200,4");

  CHECK(doc_of(*node, *m, "a").empty());
  CHECK(doc_of(*node, *m, "b").empty());
  CHECK(doc_of(*node, *m, "d").find("delta") != std::string::npos);
  const std::string c = doc_of(*node, *m, "c");
  CHECK(c.find("gamma two") != std::string::npos);
  CHECK(c.find("\"n\":3") != std::string::npos);

  // A transaction replayed at or before the stored position is not
  // published again.
  const uint64_t before = node->counters().publishes;
  REQUIRE(sink.apply(txn).is_ok());
  CHECK(node->counters().publishes == before);

  // A transaction with a TRUNCATE: published to every shard in order with
  // the transaction's other changes, so what came before it is gone on
  // every shard and what came after it stays.
  std::vector<uint64_t> heads;
  for (uint32_t s = 0; s < 3; ++s) heads.push_back(*node->last_sequence("items", s));
  cdc::RowChange trunc;
  trunc.kind = cdc::ChangeKind::kTruncate;
  trunc.source = "postgres:src";
  trunc.position = cdc::SourcePosition{{300, 2}};
  std::vector<cdc::RowChange> txn2 = {upsert(item("e", "eps", 5), 300, 1), trunc, upsert(item("g", "gee", 7), 300, 3)};
  CHECK(sink.validate(txn2).empty());
  REQUIRE(sink.apply(txn2).is_ok());
  REQUIRE(sink.flush().is_ok());
  CHECK(store.position("items", "src")->to_string() == "300,3");
  for (uint32_t s = 0; s < 3; ++s) CHECK(*node->last_sequence("items", s) > heads[s]);  // a truncate on each
  for (const char* gone : {"c", "d", "e"}) CHECK_MESSAGE(doc_of(*node, *m, gone).empty(), gone);
  CHECK(doc_of(*node, *m, "g").find("gee") != std::string::npos);
  uint64_t docs = 0;
  for (uint32_t s = 0; s < 3; ++s) {
    REQUIRE(node->wait_for("items", s, *node->last_sequence("items", s), 10000).is_ok());
    auto ix = node->local_replica("items", s);
    REQUIRE(ix);
    REQUIRE(ix->refresh().is_ok());
    docs += ix->stats().docs;
  }
  CHECK(docs == 1);

  // A new sink (a restart, another node) resumes from the stored position.
  ClusterChangeSink again(*node, store, pg_config("items", "src"));
  REQUIRE(again.schema().is_ok());
  CHECK(again.stored_position()->to_string() == "300,3");

  // Once the source is deleted, its runner's last flush stores nothing: a
  // source re-created under that name starts with a snapshot.
  REQUIRE(again.apply({upsert(item("f", "phi", 6), 400, 1)}).is_ok());
  REQUIRE(store.remove("items", "src").is_ok());
  REQUIRE(again.flush().is_ok());
  CHECK(store.position("items", "src")->empty());
}

TEST_CASE("change positions: escaped into valid key-value keys, one to one") {
  CHECK(change_position_key("books", "debezium:orders") == "changes.books.debezium_3aorders");
  CHECK(change_position_key("a.b", "debezium:postgresql/public.items_x") ==
        "changes.a_2eb.debezium_3apostgresql_2fpublic_2eitems_5fx");
  CHECK(change_position_key("i", "debezium:a_2e") != change_position_key("i", "debezium:a."));
}

TEST_CASE("change positions: a stored position only moves forward, also under two nodes' concurrent stores") {
  MERIDIAN_NATS_SERVER_OR_SKIP(server);
  NatsOptions o;
  o.servers = {server.url()};
  auto c1 = NatsClient::connect(o);
  auto c2 = NatsClient::connect(o);
  REQUIRE(c1.is_ok());
  REQUIRE(c2.is_ok());
  auto kv1 = (*c1)->bucket(SourceStore::kBucket, 1);
  auto kv2 = (*c2)->bucket(SourceStore::kBucket, 1);
  REQUIRE(kv1.is_ok());
  REQUIRE(kv2.is_ok());
  SourceStore a(std::move(*kv1)), b(std::move(*kv2));  // as two nodes
  const std::string src = "debezium:postgresql/public.items";

  CHECK(a.change_position("books", src)->empty());
  CHECK(a.advance_change_position("books", src, cdc::SourcePosition{{10}})->to_string() == "10");  // created
  CHECK(b.change_position("books", src)->to_string() == "10");
  CHECK(b.advance_change_position("books", src, cdc::SourcePosition{{12}})->to_string() == "12");  // updated
  // A lower or equal position leaves it, and says what is stored.
  CHECK(a.advance_change_position("books", src, cdc::SourcePosition{{11}})->to_string() == "12");
  CHECK(a.advance_change_position("books", src, cdc::SourcePosition{{12}})->to_string() == "12");
  CHECK(a.advance_change_position("books", src, cdc::SourcePosition{{12, 1}})->to_string() == "12,1");
  // Per index and per source.
  CHECK(a.change_position("other", src)->empty());
  CHECK(a.change_position("books", "debezium:orders")->empty());

  // Two nodes storing interleaved positions at once: each call returns at
  // least its own position, and the stored one ends at the highest.
  const std::string hot = "debezium:hot";
  std::atomic<bool> backwards{false};
  auto run = [&](SourceStore& st, uint64_t first) {
    for (uint64_t v = first; v < 200; v += 2) {
      auto now = st.advance_change_position("books", hot, cdc::SourcePosition{{v}});
      if (!now.is_ok() || now->parts[0] < v) backwards = true;
    }
  };
  std::thread t1(run, std::ref(a), 1), t2(run, std::ref(b), 2);
  t1.join();
  t2.join();
  CHECK_FALSE(backwards.load());
  CHECK(a.change_position("books", hot)->to_string() == "199");

  // Dropping the index forgets its positions only.
  REQUIRE(a.advance_change_position("books2", hot, cdc::SourcePosition{{5}}).is_ok());
  REQUIRE(a.remove_change_positions("books").is_ok());
  CHECK(a.change_position("books", src)->empty());
  CHECK(a.change_position("books", hot)->empty());
  CHECK(a.change_position("books2", hot)->to_string() == "5");
  // A position stored again after the removal starts over.
  CHECK(a.advance_change_position("books", hot, cdc::SourcePosition{{3}})->to_string() == "3");
}

TEST_CASE("cluster changes: events at or before their source's stored position are skipped, as on one node") {
  auto change = [](const std::string& source, uint64_t pos, bool at_stored = false) {
    cdc::RowChange c;
    c.id = "x";
    c.source = source;
    c.position = cdc::SourcePosition{{pos}};
    c.apply_at_stored = at_stored;
    return c;
  };
  std::vector<cdc::RowChange> cs = {change("debezium:a", 4), change("debezium:a", 5), change("debezium:b", 1),
                                    change("debezium:a", 7), change("debezium:a", 6),  // out of order: skipped
                                    change("debezium:a", 7, true),                     // shared position: kept
                                    change("debezium:b", 1)};                          // at its own position: skipped
  auto none = changes_after(cs, {});
  CHECK(none.kept == std::vector<size_t>{0, 1, 2, 3, 5});
  CHECK(none.skipped == 2);
  auto some = changes_after(cs, {{"debezium:a", cdc::SourcePosition{{5}}}});
  CHECK(some.kept == std::vector<size_t>{2, 3, 5});
  CHECK(some.skipped == 4);
  auto all = changes_after(cs, {{"debezium:a", cdc::SourcePosition{{9}}}, {"debezium:b", cdc::SourcePosition{{1}}}});
  CHECK(all.kept.empty());
  CHECK(all.skipped == cs.size());
}

TEST_CASE("cluster sources: exactly one live node runs a postgres source; its owner leaving hands it over") {
  MERIDIAN_NATS_SERVER_OR_SKIP(server);
  TempDir dir;
  std::vector<std::unique_ptr<ClusterNode>> nodes;
  for (const char* id : {"n1", "n2"}) nodes.push_back(start_node(server, id, dir.path()));
  auto m = nodes[0]->create_index("items", item_schema(), 1, 1);
  REQUIRE(m.is_ok());
  std::vector<std::unique_ptr<ClusterSources>> sources;
  for (auto& n : nodes) {
    auto s = ClusterSources::start(*n);
    REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
    sources.push_back(std::move(*s));
  }
  // A mapping that does not fit the fixed schema is refused.
  auto bad = pg_config("items", "src");
  auto mapping = cdc::ColumnMapping::from_json(Json(Json::Object{{"columns", Json(Json::Object{
      {"n", Json(Json::Object{{"type", Json("keyword")}})}})}}));
  REQUIRE_MESSAGE(mapping.is_ok(), mapping.status().to_string());
  bad.mapping = *mapping;
  CHECK(sources[1]->put(*m, bad).code() == Status::Code::kInvalidArgument);

  REQUIRE(sources[1]->put(*m, pg_config("items", "src")).is_ok());
  REQUIRE(eventually([&] { return sources[0]->running().size() + sources[1]->running().size() == 1; }, 5000));
  const size_t owner = sources[0]->running().size() == 1 ? 0 : 1, other = 1 - owner;
  CHECK(source_owner("items", "src", {"n1", "n2"}) == nodes[owner]->node_id());
  // Every node reports the same owner, and the runner's state.
  REQUIRE(eventually([&] {
    auto r = sources[other]->report("items", "src");
    return r.is_ok() && r->has_value() && (*r)->reported.has_value();
  }, 5000));
  auto rep = sources[other]->report("items", "src");
  CHECK((*rep)->owner == nodes[owner]->node_id());
  CHECK((*rep)->reported->find("node")->as_string() == nodes[owner]->node_id());
  CHECK((*sources[owner]->report("items", "src"))->live.has_value());

  // The owner leaves (a clean stop deregisters it): the other node takes over.
  sources[owner]->stop();
  nodes[owner]->stop();
  REQUIRE(eventually([&] { return sources[other]->running().size() == 1; }, 5000));
  CHECK((*sources[other]->report("items", "src"))->owner == nodes[other]->node_id());

  // Removed through the node that runs it: stopped and forgotten.
  REQUIRE(sources[other]->remove("items", "src", false).is_ok());
  CHECK(sources[other]->running().empty());
  CHECK_FALSE(sources[other]->get("items", "src")->has_value());
  CHECK(sources[other]->remove("items", "src", false).code() == Status::Code::kNotFound);
}
