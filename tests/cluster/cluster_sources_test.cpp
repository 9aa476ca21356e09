// The PostgreSQL source on a clustered index, without PostgreSQL: the
// source store, the sink that publishes changes to the shard logs, and the
// choice of the one node that runs a source (tests/e2e/cluster_test.py runs
// the whole path against a real PostgreSQL).
#include <doctest/doctest.h>

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

  // A truncate is refused (a dead letter for the source), as on POST .../changes.
  cdc::RowChange trunc;
  trunc.kind = cdc::ChangeKind::kTruncate;
  trunc.position = cdc::SourcePosition{{300, 1}};
  auto errors = sink.validate({upsert(item("e", "eps", 5), 300, 1), trunc});
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].index == 1);
  CHECK(errors[0].message.find("truncate") != std::string::npos);

  // A new sink (a restart, another node) resumes from the stored position.
  ClusterChangeSink again(*node, store, pg_config("items", "src"));
  REQUIRE(again.schema().is_ok());
  CHECK(again.stored_position()->to_string() == "200,4");

  // Once the source is deleted, its runner's last flush stores nothing: a
  // source re-created under that name starts with a snapshot.
  REQUIRE(again.apply({upsert(item("f", "phi", 6), 400, 1)}).is_ok());
  REQUIRE(store.remove("items", "src").is_ok());
  REQUIRE(again.flush().is_ok());
  CHECK(store.position("items", "src")->empty());
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
