// Merge patches as log records: every replica applies them to the document
// it holds at the record's stream position, whatever its batch boundaries.
#include <doctest/doctest.h>

#include <thread>

#include "meridian/cluster/cluster_node.h"
#include "meridian/cluster/log_record.h"
#include "meridian/cluster/placement.h"
#include "meridian/cluster/replica_applier.h"
#include "nats_fixture.h"

using namespace meridian;
using namespace meridian::cluster;

namespace {
std::shared_ptr<index::Index> open_index(const std::string& dir) {
  index::IndexOptions o;
  o.background = false;
  index::Schema s;
  auto ix = index::Index::open(dir, "t", o, &s);
  REQUIRE(ix.is_ok());
  return std::shared_ptr<index::Index>(std::move(*ix));
}
LogMessage put_msg(uint64_t seq, const std::string& id, int64_t v) {
  LogRecord r;
  r.doc = Json(Json::Object{{"id", Json(id)}, {"v", Json(v)}, {"tag", Json("old")}});
  return LogMessage{seq, 0, r.encode()};
}
LogMessage del_msg(uint64_t seq, const std::string& id) {
  LogRecord r;
  r.op = LogRecord::Op::kDelete;
  r.id = id;
  return LogMessage{seq, 0, r.encode()};
}
LogMessage patch_msg(uint64_t seq, const std::string& id, Json patch, bool upsert = false) {
  LogRecord r;
  r.op = LogRecord::Op::kPatch;
  r.id = id;
  r.doc = std::move(patch);
  r.upsert = upsert;
  return LogMessage{seq, 0, r.encode()};
}
Json parsed(const std::shared_ptr<index::Index>& ix, const std::string& id) {
  auto got = ix->get(id);
  REQUIRE(got.is_ok());
  if (!got->has_value()) return Json();
  return *parse_json(**got);
}
// The stream every replica below applies: puts, patches (one after a put in
// the same stream stretch, one of a deleted document, two in a row on the
// same document, one that the schema refuses, one upsert) and deletes.
std::vector<LogMessage> stream() {
  return {put_msg(1, "a", 1),
          put_msg(2, "b", 2),
          patch_msg(3, "a", Json(Json::Object{{"v", Json(int64_t{10})}, {"tag", Json()}})),
          patch_msg(4, "a", Json(Json::Object{{"extra", Json("x")}})),
          del_msg(5, "b"),
          patch_msg(6, "b", Json(Json::Object{{"v", Json(int64_t{99})}})),  // deleted, no upsert: nothing
          patch_msg(7, "a", Json(Json::Object{{"v", Json("not a number")}})),  // refused by the schema
          patch_msg(8, "c", Json(Json::Object{{"v", Json(int64_t{3})}}), true),
          put_msg(9, "d", 4),
          patch_msg(10, "d", Json(Json::Object{{"v", Json(int64_t{40})}}))};
}
}  // namespace

TEST_CASE("log record: a patch round-trips; a patch without an id or an object is named") {
  auto p = LogRecord::decode(patch_msg(1, "a", Json(Json::Object{{"v", Json()}}), true).data);
  REQUIRE(p.is_ok());
  CHECK(p->op == LogRecord::Op::kPatch);
  CHECK(p->id == "a");
  CHECK(p->upsert);
  CHECK(p->doc.find("v")->is_null());
  CHECK(LogRecord::decode(R"({"op":"patch","patch":{}})").status().message().find("\"id\"") != std::string::npos);
  CHECK(LogRecord::decode(R"({"op":"patch","id":"a","patch":3})").status().message().find("\"patch\"") !=
        std::string::npos);
  CHECK(LogRecord::decode(R"({"op":"patch","id":"a","patch":{},"upsert":"yes"})").status().message().find("upsert") !=
        std::string::npos);
}

TEST_CASE("replica: patches apply to the document at their stream position, in any batching, identically") {
  const auto msgs = stream();
  // One replica applies the stream in one batch, another one record per
  // batch, a third in batches of three: the documents must be the same.
  std::vector<std::vector<std::vector<LogMessage>>> batchings(3);
  batchings[0].push_back(msgs);
  for (const auto& m : msgs) batchings[1].push_back({m});
  for (size_t i = 0; i < msgs.size(); i += 3)
    batchings[2].emplace_back(msgs.begin() + i, msgs.begin() + std::min(msgs.size(), i + 3));
  std::vector<std::string> dumps;
  for (const auto& batches : batchings) {
    TempDir dir;
    auto ix = open_index(dir.path());
    auto a = ReplicaApplier::open(ix);
    REQUIRE(a.is_ok());
    size_t rejected = 0;
    for (const auto& b : batches) {
      auto st = (*a)->apply(b);
      REQUIRE_MESSAGE(st.is_ok(), st.status().to_string());
      rejected += st->rejected;
    }
    CHECK(rejected == 2);  // seq 6 (deleted, no upsert) and seq 7 (refused)
    CHECK((*a)->applied_seq() == 10);
    Json a_doc = parsed(ix, "a");
    CHECK(a_doc.find("v")->as_int() == 10);
    CHECK(a_doc.find("extra")->as_string() == "x");
    CHECK(a_doc.find("tag") == nullptr);  // null removed the member
    CHECK(parsed(ix, "b").is_null());
    Json c_doc = parsed(ix, "c");
    CHECK(c_doc.find("id")->as_string() == "c");  // upsert: created with the id
    CHECK(c_doc.find("v")->as_int() == 3);
    CHECK(parsed(ix, "d").find("v")->as_int() == 40);
    CHECK(parsed(ix, "d").find("tag")->as_string() == "old");
    dumps.push_back(a_doc.dump() + c_doc.dump() + parsed(ix, "d").dump());
  }
  CHECK(dumps[0] == dumps[1]);
  CHECK(dumps[0] == dumps[2]);
}

TEST_CASE("cluster node: concurrent patches through two nodes all apply, on every replica of the shard") {
  MERIDIAN_NATS_SERVER_OR_SKIP(server);
  TempDir dir;
  std::vector<std::unique_ptr<ClusterNode>> nodes;
  for (const char* id : {"n1", "n2"}) {
    ClusterOptions o;
    o.servers = {server.url()};
    o.node_id = id;
    o.url = "http://127.0.0.1:0";
    o.dir = dir.path() + "/" + id;
    o.heartbeat_ms = 200;
    o.ttl_ms = 1000;
    o.sync_ms = 100;
    o.stream_replicas = 1;
    index::IndexOptions io;
    io.refresh_interval_ms = 50;
    auto n = ClusterNode::start(o, io);
    REQUIRE_MESSAGE(n.is_ok(), n.status().to_string());
    nodes.push_back(std::move(*n));
  }
  Json schema(Json::Object{{"fields", Json(Json::Object{{"title", Json("text")}})}});
  auto m = nodes[0]->create_index("p", schema, 2, 2);
  REQUIRE_MESSAGE(m.is_ok(), m.status().to_string());
  REQUIRE(nodes[0]->put(*m, Json(Json::Object{{"id", Json("x")}, {"title", Json("start")}})).is_ok());
  // 2 × 25 patches, each adding its own member: a read-modify-write at the
  // router would lose some; records applied in stream order lose none.
  std::vector<std::thread> ts;
  std::vector<uint64_t> last(2, 0);
  for (int t = 0; t < 2; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        Json patch(Json::Object{{"k" + std::to_string(t) + "_" + std::to_string(i), Json(int64_t{i})}});
        auto ack = nodes[t]->patch(*m, "x", patch, false);
        if (ack) last[t] = std::max(last[t], ack->seq);
      }
    });
  for (auto& t : ts) t.join();
  const uint32_t shard = shard_of("x", 2);
  REQUIRE(nodes[0]->wait_for("p", shard, std::max(last[0], last[1]), 10000).is_ok());
  std::string first;
  for (auto& n : nodes) {
    auto ix = n->local_replica("p", shard);
    REQUIRE(ix);
    Json doc = parsed(ix, "x");
    CHECK(doc.find("title")->as_string() == "start");
    CHECK(doc.size() == 2 + 50);  // id, title and every patch's member
    if (first.empty()) first = doc.dump();
    else CHECK(doc.dump() == first);
  }
  CHECK(nodes[0]->patch(*m, "", Json::object(), false).status().code() == Status::Code::kInvalidArgument);
  auto missing = nodes[1]->last_sequence("p", shard);
  REQUIRE(missing.is_ok());
  CHECK(*missing >= 51);
}
