#include <doctest/doctest.h>

#include <map>

#include "meridian/cluster/log_record.h"
#include "meridian/cluster/replica_applier.h"
#include "meridian/columns/columns_reader.h"
#include "meridian/index/term_key.h"
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
LogMessage put_msg(uint64_t seq, const std::string& id, int64_t v = 0) {
  LogRecord r;
  r.doc = Json(Json::Object{{"id", Json(id)}, {"v", Json(v)}});
  return LogMessage{seq, 0, r.encode()};
}
LogMessage del_msg(uint64_t seq, const std::string& id) {
  LogRecord r;
  r.op = LogRecord::Op::kDelete;
  r.id = id;
  return LogMessage{seq, 0, r.encode()};
}
LogMessage truncate_msg(uint64_t seq) {
  LogRecord r;
  r.op = LogRecord::Op::kTruncate;
  return LogMessage{seq, 0, r.encode()};
}
LogMessage patch_msg(uint64_t seq, const std::string& id, int64_t v) {
  LogRecord r;
  r.op = LogRecord::Op::kPatch;
  r.id = id;
  r.doc = Json(Json::Object{{"v", Json(v)}});
  return LogMessage{seq, 0, r.encode()};
}
}  // namespace

TEST_CASE("log record: a truncate round-trips and carries nothing but its op") {
  LogRecord r;
  r.op = LogRecord::Op::kTruncate;
  CHECK(r.encode() == R"({"op":"truncate"})");
  auto t = LogRecord::decode(r.encode());
  REQUIRE(t.is_ok());
  CHECK(t->op == LogRecord::Op::kTruncate);
  CHECK(t->id.empty());
  // Extra members are ignored, as for the other ops.
  auto u = LogRecord::decode(R"({"op":"truncate","id":"x"})");
  REQUIRE(u.is_ok());
  CHECK(u->op == LogRecord::Op::kTruncate);
  CHECK(LogRecord::decode(R"({"op":3})").status().message().find("truncate") != std::string::npos);
}

TEST_CASE("replica: a truncate removes the writes before it and keeps those after, in any batching") {
  // Two truncates; a patch right after the first sees the emptied replica
  // (its document is gone: no upsert, nothing), one after the second sees
  // the put between them.
  const std::vector<LogMessage> msgs = {put_msg(1, "a", 1), put_msg(2, "b", 2), truncate_msg(3), put_msg(4, "c", 3),
                                        patch_msg(5, "a", 9), truncate_msg(6), put_msg(7, "d", 4),
                                        patch_msg(8, "d", 40), truncate_msg(9), truncate_msg(10), put_msg(11, "e", 5)};
  std::vector<std::vector<std::vector<LogMessage>>> batchings(4);
  batchings[0].push_back(msgs);
  for (const auto& m : msgs) batchings[1].push_back({m});
  for (size_t i = 0; i < msgs.size(); i += 3)
    batchings[2].emplace_back(msgs.begin() + i, msgs.begin() + std::min(msgs.size(), i + 3));
  batchings[3] = {{msgs.begin(), msgs.begin() + 3}, {msgs.begin() + 3, msgs.begin() + 9},
                  {msgs.begin() + 9, msgs.end()}};  // a batch ending and one starting with a truncate
  for (const auto& batches : batchings) {
    TempDir dir;
    auto ix = open_index(dir.path());
    auto a = ReplicaApplier::open(ix);
    REQUIRE(a.is_ok());
    ReplicaApplyStats sum;
    for (const auto& b : batches) {
      auto st = (*a)->apply(b);
      REQUIRE_MESSAGE(st.is_ok(), st.status().to_string());
      sum.truncates += st->truncates;
      sum.rejected += st->rejected;
      sum.puts += st->puts;
    }
    CHECK(sum.truncates == 4);
    CHECK(sum.rejected == 1);  // the patch of "a" after the first truncate
    CHECK(sum.puts == 6);
    CHECK((*a)->applied_seq() == 11);
    CHECK(*stored_log_sequence(*ix) == 11);
    for (const char* gone : {"a", "b", "c", "d"}) CHECK_MESSAGE(!ix->get(gone)->has_value(), gone);
    REQUIRE(ix->get("e")->has_value());
    REQUIRE(ix->refresh().is_ok());
    CHECK(ix->stats().docs == 1);
  }
}

TEST_CASE("replica: a truncate and the writes around it survive a crash without commit; a redelivery is skipped") {
  TempDir dir;
  {
    auto ix = open_index(dir.path());
    auto a = ReplicaApplier::open(ix);
    REQUIRE((*a)->apply({put_msg(1, "a"), put_msg(2, "b"), truncate_msg(3), put_msg(4, "c")}).is_ok());
    REQUIRE(std::system(("cp -r " + dir.path() + " " + dir.path() + "-crash").c_str()) == 0);
  }
  {
    auto ix = open_index(dir.path() + "-crash");
    CHECK(*stored_log_sequence(*ix) == 4);
    CHECK_FALSE(ix->get("a")->has_value());
    CHECK_FALSE(ix->get("b")->has_value());
    CHECK(ix->get("c")->has_value());
    // The consumer redelivers 3..4 and brings 5: the truncate is not applied
    // again (it would remove "c").
    auto a = ReplicaApplier::open(ix);
    auto st = (*a)->apply({truncate_msg(3), put_msg(4, "c"), put_msg(5, "d")});
    REQUIRE(st.is_ok());
    CHECK(st->skipped == 2);
    CHECK(st->truncates == 0);
    CHECK(ix->get("c")->has_value());
    CHECK(ix->get("d")->has_value());
  }
  (void)fs::remove_all(dir.path() + "-crash");
}

TEST_CASE("log record: puts and deletes round-trip; bad records are named") {
  auto p = LogRecord::decode(put_msg(1, "a").data);
  REQUIRE(p.is_ok());
  CHECK(p->op == LogRecord::Op::kPut);
  CHECK(p->doc.find("id")->as_string() == "a");
  auto d = LogRecord::decode(del_msg(2, "b").data);
  REQUIRE(d.is_ok());
  CHECK(d->id == "b");
  CHECK(LogRecord::decode("{\"op\":\"zap\"}").status().message().find("zap") != std::string::npos);
  CHECK_FALSE(LogRecord::decode("not json").is_ok());
  CHECK(escape_name("a.b_c") == "a_2eb_5fc");
  CHECK(stream_name("a.b", 2) == "MERIDIAN_a_2eb_2");
  CHECK(shard_subject("x", 0) == "meridian.x.0");
}

TEST_CASE("replica: the applied sequence is stored with the documents and survives a reopen") {
  TempDir dir;
  {
    auto ix = open_index(dir.path());
    auto a = ReplicaApplier::open(ix);
    REQUIRE(a.is_ok());
    CHECK((*a)->applied_seq() == 0);
    auto st = (*a)->apply({put_msg(1, "a"), put_msg(2, "b"), del_msg(3, "a"), put_msg(4, "c")});
    REQUIRE(st.is_ok());
    CHECK(st->puts == 3);
    CHECK(st->deletes == 1);
    CHECK((*a)->applied_seq() == 4);
    REQUIRE(ix->commit().is_ok());
    REQUIRE(ix->close().is_ok());
  }
  auto ix = open_index(dir.path());
  auto a = ReplicaApplier::open(ix);
  REQUIRE(a.is_ok());
  CHECK((*a)->applied_seq() == 4);
  // A redelivery of 3..4 followed by new 5: only 5 applies; "a" stays deleted.
  auto st = (*a)->apply({del_msg(3, "a"), put_msg(4, "c", 1), put_msg(5, "a", 7)});
  REQUIRE(st.is_ok());
  CHECK(st->skipped == 2);
  CHECK(st->puts == 1);
  auto c = ix->get("c");
  REQUIRE(c->has_value());
  CHECK(c->value().find("\"v\":0") != std::string::npos);  // not overwritten by the redelivery
  CHECK(ix->get("a")->has_value());
  CHECK(*stored_log_sequence(*ix) == 5);
}

TEST_CASE("replica: the sequence survives a crash without commit (WAL replay)") {
  TempDir dir;
  {
    auto ix = open_index(dir.path());
    auto a = ReplicaApplier::open(ix);
    REQUIRE((*a)->apply({put_msg(1, "a"), put_msg(2, "b")}).is_ok());
    // No commit: the WAL alone carries documents and sequence. Dropping the
    // Index without close() still commits in its destructor, so copy the
    // directory first to keep the uncommitted state.
    REQUIRE(std::system(("cp -r " + dir.path() + " " + dir.path() + "-crash").c_str()) == 0);
  }
  auto ix = open_index(dir.path() + "-crash");
  CHECK(*stored_log_sequence(*ix) == 2);
  CHECK(ix->get("b")->has_value());
  ix.reset();
  (void)fs::remove_all(dir.path() + "-crash");
}

TEST_CASE("replica: a sequence hole stops the applier after what precedes it") {
  TempDir dir;
  auto ix = open_index(dir.path());
  auto a = ReplicaApplier::open(ix);
  auto st = (*a)->apply({put_msg(1, "a"), put_msg(3, "c")});
  REQUIRE_FALSE(st.is_ok());
  CHECK(st.status().message().find("log gap") != std::string::npos);
  CHECK((*a)->applied_seq() == 1);
  CHECK(ix->get("a")->has_value());
  CHECK_FALSE(ix->get("c")->has_value());
}

TEST_CASE("replica: a record every replica refuses is skipped and its sequence recorded") {
  TempDir dir;
  auto ix = open_index(dir.path());
  auto a = ReplicaApplier::open(ix);
  REQUIRE((*a)->apply({put_msg(1, "a", 5)}).is_ok());
  LogRecord bad;
  bad.doc = Json(Json::Object{{"id", Json("b")}, {"v", Json("text, not a number")}});
  auto st = (*a)->apply({LogMessage{2, 0, bad.encode()}, LogMessage{3, 0, "garbage"}});
  REQUIRE(st.is_ok());
  CHECK(st->rejected == 2);
  CHECK((*a)->applied_seq() == 3);
  CHECK_FALSE(ix->get("b")->has_value());
}

TEST_CASE("replica runner: follows a stream through a broker SIGKILL and restart, exactly once") {
  MERIDIAN_NATS_SERVER_OR_SKIP(server);
  NatsOptions o;
  o.servers = {server.url()};
  o.timeout_ms = 1000;
  auto c = NatsClient::connect(o);
  REQUIRE(c.is_ok());
  const std::string stream = stream_name("books", 0), subject = shard_subject("books", 0);
  REQUIRE((*c)->ensure_stream({stream, {subject}, 1}).is_ok());
  TempDir dir;
  auto ix = open_index(dir.path());
  auto applier = ReplicaApplier::open(ix);
  REQUIRE(applier.is_ok());
  ReplicaRunner runner(**c, std::move(*applier), {stream, subject, replica_consumer("n1"), 64, 100});
  uint64_t last = 0;
  for (int i = 0; i < 200; ++i) {
    LogRecord r;
    r.doc = Json(Json::Object{{"id", Json("d" + std::to_string(i))}, {"v", Json(int64_t{i})}});
    auto a = (*c)->publish(subject, r.encode(), "n1:" + std::to_string(i));
    REQUIRE(a.is_ok());
    last = a->seq;
  }
  CHECK(runner.wait_applied(last, 10000));
  server.kill();
  server.start();
  REQUIRE(server.ready());
  // The client reconnects by itself; publishes resume once JetStream is back.
  for (int i = 200; i < 300; ++i) {
    LogRecord r;
    r.doc = Json(Json::Object{{"id", Json("d" + std::to_string(i))}, {"v", Json(int64_t{i})}});
    Result<PublishAck> a = Status::io_error("not tried");
    for (int attempt = 0; attempt < 50 && !a.is_ok(); ++attempt) {
      a = (*c)->publish(subject, r.encode(), "n1:" + std::to_string(i));
      if (!a.is_ok()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    REQUIRE_MESSAGE(a.is_ok(), a.status().to_string());
    last = a->seq;
  }
  CHECK(last == 300);
  CHECK(runner.wait_applied(last, 20000));
  runner.stop();
  REQUIRE(ix->refresh().is_ok());
  CHECK(ix->stats().docs == 300);
  CHECK(*stored_log_sequence(*ix) == 300);
}

namespace {
// Each live document's write order (the tiebreaker of equal sort keys).
std::map<std::string, int64_t> write_orders(index::Index& ix) {
  REQUIRE(ix.refresh().is_ok());
  std::map<std::string, int64_t> out;
  auto snap = ix.snapshot();
  for (const auto& v : snap->segments()) {
    const columns::IntColumn* col = v.segment->columns().int_column(index::kOrderField);
    REQUIRE(col != nullptr);
    for (uint32_t d = 0; d < v.segment->num_docs(); ++d)
      if (!v.is_deleted(d)) out[v.segment->external_id(d)] = col->value(d, 0);
  }
  return out;
}
}  // namespace

TEST_CASE("replica: a put's write order is its log sequence, whatever the batching, the flushes or a WAL replay") {
  // Replica A applies the log in one batch; replica B message by message,
  // refreshing in between (other segments), and is then recovered from
  // its WAL alone: both give every document the same order, its put's (or
  // patch's) sequence, where their own WAL sequence numbers differ.
  const std::vector<LogMessage> msgs = {put_msg(1, "a"), put_msg(2, "b"), del_msg(3, "a"),  put_msg(4, "c"),
                                        patch_msg(5, "b", 7), put_msg(6, "a"), put_msg(7, "d")};
  const std::map<std::string, int64_t> want = {{"a", 6}, {"b", 5}, {"c", 4}, {"d", 7}};
  TempDir da, db;
  {
    auto ix = open_index(da.path());
    auto a = ReplicaApplier::open(ix);
    REQUIRE((*a)->apply(msgs).is_ok());
    CHECK(write_orders(*ix) == want);
  }
  {
    auto ix = open_index(db.path());
    auto b = ReplicaApplier::open(ix);
    for (const auto& m : msgs) {
      REQUIRE((*b)->apply({m}).is_ok());
      REQUIRE(ix->refresh().is_ok());
    }
    CHECK(write_orders(*ix) == want);
    REQUIRE(ix->force_merge().is_ok());
    CHECK(write_orders(*ix) == want);
    REQUIRE((*b)->apply({put_msg(8, "e"), put_msg(9, "c")}).is_ok());
    REQUIRE(std::system(("cp -r " + db.path() + " " + db.path() + "-crash").c_str()) == 0);
  }
  auto ix = open_index(db.path() + "-crash");  // "e" and "c" come back from the WAL
  auto more = want;
  more["e"] = 8;
  more["c"] = 9;
  CHECK(write_orders(*ix) == more);
  ix.reset();
  (void)fs::remove_all(db.path() + "-crash");
}
