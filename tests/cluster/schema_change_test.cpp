// Schema changes of a clustered index: the check the router shares with a
// single node (index::check_schema_change), the schema log record, and how a
// replica applies it at its stream position.
#include <doctest/doctest.h>

#include "meridian/cluster/log_record.h"
#include "meridian/cluster/replica_applier.h"
#include "meridian/cluster/shard_map.h"
#include "meridian/index/schema_change.h"
#include "../test_util.h"

using namespace meridian;
using namespace meridian::cluster;

namespace {
index::Schema schema_of(const std::string& json) {
  auto j = parse_json(json);
  REQUIRE(j.is_ok());
  auto s = index::Schema::from_json(*j);
  REQUIRE(s.is_ok());
  return std::move(*s);
}
Json body_of(const std::string& json) {
  auto j = parse_json(json);
  REQUIRE(j.is_ok());
  return std::move(*j);
}
std::shared_ptr<index::Index> open_index(const std::string& dir) {
  index::IndexOptions o;
  o.background = false;
  index::Schema s = schema_of(R"({"fields": {"title": "text"}})");
  auto ix = index::Index::open(dir, "t", o, &s);
  REQUIRE(ix.is_ok());
  return std::shared_ptr<index::Index>(std::move(*ix));
}
LogMessage put_msg(uint64_t seq, const std::string& doc) {
  LogRecord r;
  r.doc = body_of(doc);
  return LogMessage{seq, 0, r.encode()};
}
LogMessage schema_msg(uint64_t seq, const std::string& schema) {
  LogRecord r;
  r.op = LogRecord::Op::kSchema;
  r.doc = body_of(schema);
  return LogMessage{seq, 0, r.encode()};
}
index::FieldType type_of(const index::Index& ix, const std::string& field) {
  const index::FieldDef* f = ix.schema()->find(field);
  REQUIRE(f != nullptr);
  return f->type;
}
}  // namespace

TEST_CASE("schema change: new fields are added, the same definition again is unchanged") {
  const index::Schema cur = schema_of(R"({"fields": {"title": "text", "tag": "keyword"}})");
  Json extra;
  auto c = index::check_schema_change(cur, body_of(R"({"fields": {"tag": "keyword", "pages": "int"}})"), &extra);
  REQUIRE(c.is_ok());
  CHECK(c->added == std::vector<std::string>{"pages"});
  CHECK(c->add.find("pages") != nullptr);
  auto same = index::check_schema_change(cur, body_of(R"({"fields": {"tag": "keyword"}, "id_field": "id"})"), &extra);
  REQUIRE(same.is_ok());
  CHECK(same->added.empty());
}

TEST_CASE("schema change: a changed field or id field is a 409 naming it, a bad body a 400") {
  const index::Schema cur = schema_of(R"({"fields": {"title": "text", "tag": "keyword"}})");
  Json extra;
  auto t = index::check_schema_change(cur, body_of(R"({"fields": {"pages": "int", "tag": "int"}})"), &extra);
  REQUIRE_FALSE(t.is_ok());
  CHECK(t.status().code() == Status::Code::kAlreadyExists);
  CHECK(t.status().message().rfind("fields.tag: field 'tag' has type keyword, cannot change it to int", 0) == 0);
  CHECK(extra.find("path")->as_string() == "fields.tag");
  CHECK(extra.find("reindex") != nullptr);
  auto o = index::check_schema_change(cur, body_of(R"({"fields": {"title": {"type": "text", "language": "fr"}}})"), &extra);
  REQUIRE_FALSE(o.is_ok());
  CHECK(o.status().message().find("exists with other options") != std::string::npos);
  auto id = index::check_schema_change(cur, body_of(R"({"id_field": "sku"})"), &extra);
  REQUIRE_FALSE(id.is_ok());
  CHECK(id.status().code() == Status::Code::kAlreadyExists);
  CHECK(extra.find("path")->as_string() == "id_field");
  auto key = index::check_schema_change(cur, body_of(R"({"fields": {}, "mappings": 1})"), &extra);
  REQUIRE_FALSE(key.is_ok());
  CHECK(key.status().code() == Status::Code::kInvalidArgument);
  CHECK(extra.find("path")->as_string() == "mappings");
  auto arr = index::check_schema_change(cur, body_of("[1]"), &extra);
  CHECK(arr.status().code() == Status::Code::kInvalidArgument);
  CHECK(extra.find("path")->as_string() == "");
  auto type = index::check_schema_change(cur, body_of(R"({"fields": {"x": "colour"}})"), &extra);
  CHECK(type.status().code() == Status::Code::kInvalidArgument);
  CHECK(extra.is_null());  // Schema::from_json's message names the field itself
}

TEST_CASE("schema change: missing_fields keeps a field the replica has with another type") {
  const index::Schema have = schema_of(R"({"fields": {"title": "text", "color": "text"}})");
  const index::Schema want = schema_of(R"({"fields": {"title": "text", "color": "keyword", "n": "int"}})");
  std::vector<std::string> conflicts;
  index::Schema m = index::missing_fields(have, want, &conflicts);
  CHECK(m.fields().size() == 1);
  CHECK(m.find("n") != nullptr);
  CHECK(conflicts == std::vector<std::string>{"color"});
}

TEST_CASE("log record: a schema record round-trips; one without a schema object is refused") {
  LogRecord r;
  r.op = LogRecord::Op::kSchema;
  r.doc = body_of(R"({"fields": {"tag": "keyword"}})");
  auto back = LogRecord::decode(r.encode());
  REQUIRE(back.is_ok());
  CHECK(back->op == LogRecord::Op::kSchema);
  CHECK(back->doc == r.doc);
  CHECK_FALSE(LogRecord::decode(R"({"op":"schema"})").is_ok());
  CHECK_FALSE(LogRecord::decode(R"({"op":"schema","schema":[1]})").is_ok());
}

TEST_CASE("shard map: the schema version round-trips and is absent until a change") {
  ShardMap m;
  m.index = "books";
  m.schema = Json(Json::Object{{"fields", Json::object()}});
  m = m.rebalanced({"n1"});
  CHECK(m.to_json().find("schema_version") == nullptr);
  m.schema_version = 3;
  auto back = ShardMap::from_json(m.to_json());
  REQUIRE(back.is_ok());
  CHECK(back->schema_version == 3);
}

TEST_CASE("replica: a schema record applies at its stream position, in any batching, and survives a reopen") {
  // "color" reaches the replica by dynamic mapping (text) before the record
  // declares it keyword: it keeps its type. "tag" and "n" come from the
  // record, so the puts after it are indexed with them.
  const std::vector<LogMessage> msgs = {
      put_msg(1, R"({"id": "a", "title": "one", "color": "dark red"})"),
      schema_msg(2, R"({"fields": {"title": "text", "color": "keyword", "tag": "keyword", "n": "int"}})"),
      put_msg(3, R"({"id": "b", "title": "two", "tag": "Big Car", "n": 5})"),
      put_msg(4, R"({"id": "c", "n": "five"})"),  // refused by the new int field
      schema_msg(5, R"({"fields": {"title": "text", "color": "keyword", "tag": "keyword", "n": "int"}})"),  // a resend
      put_msg(6, R"({"id": "d", "tag": "x"})")};
  std::vector<std::vector<std::vector<LogMessage>>> batchings(3);
  batchings[0].push_back(msgs);
  for (const auto& m : msgs) batchings[1].push_back({m});
  batchings[2] = {{msgs.begin(), msgs.begin() + 2}, {msgs.begin() + 2, msgs.end()}};
  for (const auto& batches : batchings) {
    TempDir dir;
    {
      auto ix = open_index(dir.path());
      auto a = ReplicaApplier::open(ix);
      REQUIRE(a.is_ok());
      ReplicaApplyStats sum;
      for (const auto& b : batches) {
        auto st = (*a)->apply(b);
        REQUIRE(st.is_ok());
        sum.puts += st->puts;
        sum.rejected += st->rejected;
        sum.schema_changes += st->schema_changes;
      }
      CHECK(sum.schema_changes == 2);
      CHECK(sum.puts == 3);
      CHECK(sum.rejected == 1);
      CHECK((*a)->applied_seq() == 6);
      CHECK(type_of(*ix, "color") == index::FieldType::kText);
      CHECK(type_of(*ix, "tag") == index::FieldType::kKeyword);
      CHECK(type_of(*ix, "n") == index::FieldType::kInt);
      CHECK(ix->get("b")->has_value());
      CHECK_FALSE(ix->get("c")->has_value());
      // Not committed since the last records: a reopen replays the WAL.
      REQUIRE(std::system(("cp -r " + dir.path() + " " + dir.path() + "-crash").c_str()) == 0);
    }
    {
      auto ix = open_index(dir.path() + "-crash");
      CHECK(*stored_log_sequence(*ix) == 6);
      CHECK(type_of(*ix, "tag") == index::FieldType::kKeyword);
      auto a = ReplicaApplier::open(ix);
      auto again = (*a)->apply(msgs);  // a redelivery changes nothing
      REQUIRE(again.is_ok());
      CHECK(again->skipped == msgs.size());
    }
    (void)fs::remove_all(dir.path() + "-crash");
  }
}
