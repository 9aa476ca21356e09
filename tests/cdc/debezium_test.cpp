#include <doctest/doctest.h>

#include <map>
#include <random>

#include "meridian/cdc/debezium_ingest.h"
#include "../test_util.h"

using namespace meridian;
using namespace meridian::cdc;

namespace {

Json J(const std::string& s) {
  auto j = parse_json(s);
  REQUIRE_MESSAGE(j.is_ok(), s);
  return *j;
}

std::unique_ptr<index::Index> open_index(const std::string& dir) {
  index::IndexOptions o;
  o.background = false;
  o.commit_interval_ms = 0;
  index::Schema s;
  auto ix = index::Index::open(dir, "t", o, &s);
  REQUIRE_MESSAGE(ix.is_ok(), ix.status().message());
  return std::move(*ix);
}

// A PostgreSQL Debezium event without the envelope.
std::string pg_event(const std::string& op, uint64_t lsn, const std::string& before, const std::string& after,
                     bool snapshot = false) {
  return R"({"op":")" + op + R"(","before":)" + before + R"(,"after":)" + after +
         R"(,"source":{"connector":"postgresql","name":"srv","db":"shop","schema":"public","table":"items","lsn":)" +
         std::to_string(lsn) + R"(,"snapshot":")" + (snapshot ? "true" : "false") + R"(","ts_ms":1700000000000},"ts_ms":1700000000001})";
}

std::string row(int id, const std::string& name) {
  return R"({"id":)" + std::to_string(id) + R"(,"name":")" + name + R"("})";
}

std::map<std::string, std::string> contents(index::Index& ix, const std::vector<int>& ids) {
  std::map<std::string, std::string> out;
  for (int id : ids) {
    auto g = ix.get(std::to_string(id));
    REQUIRE(g.is_ok());
    if (g->has_value()) out[std::to_string(id)] = J(**g).find("name")->as_string();
  }
  return out;
}

IngestResult ingest(index::Index& ix, const std::string& text, DebeziumOptions opt = {}) {
  auto r = ingest_debezium(ix, text, opt);
  REQUIRE_MESSAGE(r.is_ok(), r.status().message());
  return *r;
}

}  // namespace

TEST_CASE("debezium: split accepts one event, an array, NDJSON and pretty-printed JSON") {
  CHECK(split_debezium_events(R"({"a":1})").size() == 1);
  CHECK(split_debezium_events("[{\"a\":1},{\"a\":2},null]").size() == 3);
  auto nd = split_debezium_events("{\"a\":1}\n\n{\"a\":2}\r\n{bad\n");
  REQUIRE(nd.size() == 3);
  CHECK(nd[1].line == 3);
  CHECK(nd[1].event == 1);
  CHECK_FALSE(nd[2].json.is_ok());
  CHECK(split_debezium_events("{\n  \"a\": 1\n}\n").size() == 1);
  CHECK(split_debezium_events("  \n").empty());
  auto bad_array = split_debezium_events("[{\"a\":1},");
  REQUIRE(bad_array.size() == 1);
  CHECK_FALSE(bad_array[0].json.is_ok());
}

TEST_CASE("debezium: every op decodes to the right change") {
  DebeziumOptions opt;
  auto c = decode_debezium_event(J(pg_event("c", 10, "null", row(1, "a"))), opt);
  REQUIRE(c.is_ok());
  REQUIRE(c->size() == 1);
  CHECK((*c)[0].kind == ChangeKind::kUpsert);
  CHECK((*c)[0].id == "1");
  CHECK((*c)[0].source == "debezium:postgresql/public.items");
  CHECK((*c)[0].position == SourcePosition{{10}});
  CHECK_FALSE((*c)[0].apply_at_stored);
  auto u = decode_debezium_event(J(pg_event("u", 11, row(1, "a"), row(2, "b"))), opt);
  CHECK((*u)[0].old_id == "1");
  CHECK((*u)[0].id == "2");
  auto same = decode_debezium_event(J(pg_event("u", 11, row(2, "a"), row(2, "b"))), opt);
  CHECK((*same)[0].old_id.empty());
  auto d = decode_debezium_event(J(pg_event("d", 12, R"({"id":2})", "null")), opt);
  CHECK((*d)[0].kind == ChangeKind::kDelete);
  CHECK((*d)[0].id == "2");
  auto r = decode_debezium_event(J(pg_event("r", 5, "null", row(3, "c"), true)), opt);
  CHECK((*r)[0].apply_at_stored);
  auto t = decode_debezium_event(J(pg_event("t", 13, "null", "null")), opt);
  CHECK((*t)[0].kind == ChangeKind::kTruncate);
  CHECK(decode_debezium_event(Json(), opt)->empty());  // tombstone
  CHECK(decode_debezium_event(J(R"({"schema":{},"payload":null})"), opt)->empty());
}

TEST_CASE("debezium: positions per connector") {
  bool shared = false;
  auto pg = debezium_position(J(R"({"connector":"postgresql","lsn":99,"sequence":"[\"80\",\"99\"]"})"), &shared);
  CHECK(*pg == SourcePosition{{80, 99}});
  auto pg_null = debezium_position(J(R"({"connector":"postgresql","lsn":99,"sequence":"[null,\"99\"]"})"), &shared);
  CHECK(*pg_null == SourcePosition{{0, 99}});
  auto my = debezium_position(J(R"({"connector":"mysql","file":"mysql-bin.000003","pos":154,"row":2})"), &shared);
  CHECK(*my == SourcePosition{{3, 154, 2}});
  auto ss = debezium_position(
      J(R"({"connector":"sqlserver","commit_lsn":"00000025:00000d98:0002","change_lsn":"00000025:00000d90:0001","event_serial_no":1})"),
      &shared);
  CHECK(*ss == SourcePosition{{0x25, 0xd98, 2, 0x25, 0xd90, 1, 1}});
  CHECK_FALSE(shared);
  auto ts = debezium_position(J(R"({"connector":"mongodb","ts_ms":1700})"), &shared);
  CHECK(*ts == SourcePosition{{1700}});
  CHECK(shared);
  CHECK_FALSE(debezium_position(J(R"({"connector":"x"})"), &shared).is_ok());
  CHECK_FALSE(debezium_position(J(R"({"connector":"mysql","file":"bin","pos":1})"), &shared).is_ok());
  CHECK_FALSE(debezium_position(J(R"({"connector":"postgresql","lsn":"abc"})"), &shared).is_ok());
  DebeziumOptions named;
  named.source_name = "orders";
  CHECK(*debezium_source_key(J(R"({"table":"t"})"), named) == "debezium:orders");
  CHECK(*debezium_source_key(J(R"({"connector":"mysql","db":"shop","table":"t"})"), {}) == "debezium:mysql/shop.t");
}

TEST_CASE("debezium: create, update with key change, delete, snapshot read and truncate apply to the index") {
  TempDir dir;
  auto ix = open_index(dir.path());
  std::string text = pg_event("r", 5, "null", row(1, "one"), true) + "\n" + pg_event("r", 5, "null", row(2, "two"), true) +
                     "\n" + pg_event("c", 10, "null", row(3, "three")) + "\n" +
                     pg_event("u", 11, row(1, "one"), row(1, "uno")) + "\n" +
                     pg_event("u", 12, row(2, "two"), row(20, "twenty")) + "\n" + pg_event("d", 13, R"({"id":3})", "null") + "\n";
  auto r = ingest(*ix, text);
  CHECK(r.errors.empty());
  CHECK(r.events == 6);
  CHECK(r.stats.upserts == 5);  // two reads, a create, two updates
  CHECK(r.stats.deletes == 1);
  CHECK(contents(*ix, {1, 2, 3, 20}) == std::map<std::string, std::string>{{"1", "uno"}, {"20", "twenty"}});
  CHECK(*ix->source_position("debezium:postgresql/public.items") == "13");

  auto t = ingest(*ix, pg_event("t", 14, "null", "null") + "\n" + pg_event("c", 15, "null", row(5, "five")));
  CHECK(t.stats.truncates == 1);
  CHECK(contents(*ix, {1, 2, 3, 5, 20}) == std::map<std::string, std::string>{{"5", "five"}});
}

TEST_CASE("debezium: a replay changes nothing and never resurrects a deleted row") {
  TempDir dir;
  auto ix = open_index(dir.path());
  std::string batch = pg_event("c", 10, "null", row(1, "a")) + "\n" + pg_event("c", 11, "null", row(2, "b")) + "\n" +
                      pg_event("d", 12, R"({"id":1})", "null") + "\n" + pg_event("u", 13, row(2, "b"), row(2, "bb"));
  ingest(*ix, batch);
  auto expect = std::map<std::string, std::string>{{"2", "bb"}};
  CHECK(contents(*ix, {1, 2}) == expect);
  auto again = ingest(*ix, batch);
  CHECK(again.stats.skipped == 4);
  CHECK(again.stats.upserts == 0);
  CHECK(contents(*ix, {1, 2}) == expect);
  // And after a restart (positions come back from the WAL / manifest).
  ix.reset();
  ix = open_index(dir.path());
  CHECK(ingest(*ix, batch).stats.skipped == 4);
  CHECK(contents(*ix, {1, 2}) == expect);
  REQUIRE(ix->commit().is_ok());
  ix.reset();
  ix = open_index(dir.path());
  CHECK(ingest(*ix, batch).stats.skipped == 4);
  CHECK(contents(*ix, {1, 2}) == expect);
}

TEST_CASE("debezium: out-of-order events at or before the stored position are skipped") {
  TempDir dir;
  auto ix = open_index(dir.path());
  ingest(*ix, pg_event("c", 20, "null", row(1, "new")));
  auto r = ingest(*ix, pg_event("u", 15, row(1, "x"), row(1, "old")) + "\n" + pg_event("u", 20, row(1, "x"), row(1, "same")) +
                           "\n" + pg_event("d", 19, R"({"id":1})", "null"));
  CHECK(r.stats.skipped == 3);
  CHECK(contents(*ix, {1}) == std::map<std::string, std::string>{{"1", "new"}});
  // Within one batch too: a later event with an older position is skipped.
  auto s = ingest(*ix, pg_event("u", 30, row(1, "x"), row(1, "thirty")) + "\n" + pg_event("u", 25, row(1, "x"), row(1, "stale")));
  CHECK(s.stats.skipped == 1);
  CHECK(contents(*ix, {1}) == std::map<std::string, std::string>{{"1", "thirty"}});
  // Snapshot reads share a position: all of them apply, even at equal.
  auto snap = ingest(*ix, pg_event("r", 30, "null", row(7, "s1"), true) + "\n" + pg_event("r", 30, "null", row(8, "s2"), true));
  CHECK(snap.stats.upserts == 2);
}

TEST_CASE("debezium: the envelope with a schema converts logical types") {
  TempDir dir;
  auto ix = open_index(dir.path());
  std::string ev = R"({"schema":{"type":"struct","fields":[
      {"field":"before","type":"struct","fields":[]},
      {"field":"after","type":"struct","fields":[
        {"field":"id","type":"int32"},
        {"field":"born","type":"int32","name":"io.debezium.time.Date"},
        {"field":"seen","type":"int64","name":"io.debezium.time.MicroTimestamp"},
        {"field":"price","type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}}]}]},
    "payload":{"op":"c","before":null,"after":{"id":4,"born":19844,"seen":1714566600250000,"price":"BNI="},
      "source":{"connector":"postgresql","schema":"public","table":"items","lsn":100}}})";
  auto r = ingest(*ix, ev);
  REQUIRE(r.errors.empty());
  auto g = ix->get("4");
  REQUIRE(g->has_value());
  Json d = J(**g);
  CHECK(*d.find("born") == Json("2024-05-01T00:00:00.000Z"));
  CHECK(*d.find("seen") == Json("2024-05-01T12:30:00.250Z"));
  CHECK(d.find("price")->as_double() == doctest::Approx(12.34));
  // The same event without the envelope keeps raw values.
  auto plain = decode_debezium_event(J(R"({"op":"c","after":{"id":4,"born":19844},"source":{"connector":"postgresql","table":"items","lsn":101}})"), {});
  REQUIRE(plain.is_ok());
  CHECK(*(*plain)[0].doc.find("born") == Json(int64_t{19844}));
  // Days or microseconds beyond int64 milliseconds keep the number as sent
  // (found by fuzzing: the conversion overflowed).
  std::string huge = R"({"schema":{"type":"struct","fields":[{"field":"after","type":"struct","fields":[
      {"field":"id","type":"int32"},{"field":"born","type":"int32","name":"io.debezium.time.Date"},
      {"field":"seen","type":"int64","name":"io.debezium.time.MicroTimestamp"}]}]},
    "payload":{"op":"c","after":{"id":5,"born":9223372036854775807,"seen":-9223372036854775808},
      "source":{"connector":"postgresql","table":"items","lsn":102}}})";
  auto h = decode_debezium_event(J(huge), {});
  REQUIRE(h.is_ok());
  CHECK(*(*h)[0].doc.find("born") == Json(int64_t{9223372036854775807}));
  CHECK((*h)[0].doc.find("seen")->is_string());
}

TEST_CASE("debezium: malformed events are reported by number and nothing in the batch is applied") {
  TempDir dir;
  auto ix = open_index(dir.path());
  std::string good = pg_event("c", 10, "null", row(1, "a"));
  std::vector<std::pair<std::string, std::string>> bad = {
      {"{not json", ""},
      {R"({"op":"x","source":{"connector":"postgresql","table":"t","lsn":1}})", "op"},
      {R"({"after":{"id":1},"source":{"connector":"postgresql","table":"t","lsn":1}})", "op"},
      {R"({"op":"c","after":{"id":1}})", "source"},
      {R"({"op":"c","after":{"name":"no id"},"source":{"connector":"postgresql","table":"t","lsn":1}})", "id column"},
      {R"({"op":"d","before":null,"source":{"connector":"postgresql","table":"t","lsn":1}})", "before"},
      {R"({"op":"c","after":{"id":1},"source":{"connector":"postgresql","table":"t"}})", "position"},
      {"42", "object"}};
  for (const auto& [ev, words] : bad) {
    CAPTURE(ev);
    auto r = ingest(*ix, good + "\n" + ev + "\n" + pg_event("c", 11, "null", row(2, "b")));
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].event == 1);
    CHECK(r.errors[0].line == 2);
    CHECK(r.errors[0].message.find(words) != std::string::npos);
    CHECK(contents(*ix, {1, 2}).empty());
    CHECK_FALSE(ix->source_position("debezium:postgresql/public.items").has_value());
  }
  // A document the index schema rejects (a text where an int field exists) also fails the batch.
  REQUIRE(ix->add_fields(*index::Schema::from_json(J(R"({"fields":{"n":"int"}})"))).is_ok());
  auto r = ingest(*ix, good + "\n" +
                           R"({"op":"c","after":{"id":3,"n":"many"},"source":{"connector":"postgresql","schema":"public","table":"items","lsn":12}})");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].event == 1);
  CHECK(contents(*ix, {1, 3}).empty());
}

TEST_CASE("debezium: a random event stream with replays matches a brute-force model") {
  TempDir dir;
  auto ix = open_index(dir.path());
  std::mt19937 rng(42);
  std::map<int, std::string> model;
  std::vector<std::string> log;
  uint64_t lsn = 100;
  for (int i = 0; i < 400; ++i) {
    int id = static_cast<int>(rng() % 30);
    int op = static_cast<int>(rng() % 10);
    std::string name = "n" + std::to_string(i);
    if (op < 5 || !model.count(id)) {
      log.push_back(pg_event(model.count(id) ? "u" : "c", ++lsn, model.count(id) ? row(id, model[id]) : "null", row(id, name)));
      model[id] = name;
    } else if (op < 8) {
      log.push_back(pg_event("d", ++lsn, R"({"id":)" + std::to_string(id) + "}", "null"));
      model.erase(id);
    } else {
      int to = 100 + static_cast<int>(rng() % 30);
      if (model.count(to)) continue;
      log.push_back(pg_event("u", ++lsn, row(id, model[id]), row(to, name)));
      model.erase(id);
      model[to] = name;
    }
  }
  // Deliver in overlapping chunks: each chunk restarts a little before the last one ended.
  size_t pos = 0;
  while (pos < log.size()) {
    size_t start = pos > 7 ? pos - static_cast<size_t>(rng() % 8) : 0;
    size_t end = std::min(log.size(), pos + 1 + static_cast<size_t>(rng() % 40));
    std::string text;
    for (size_t k = start; k < end; ++k) text += log[k] + "\n";
    auto r = ingest(*ix, text);
    CHECK(r.errors.empty());
    CHECK(r.stats.skipped == pos - start);
    pos = end;
  }
  std::vector<int> ids;
  for (int i = 0; i < 130; ++i) ids.push_back(i);
  std::map<std::string, std::string> want;
  for (const auto& [k, v] : model) want[std::to_string(k)] = v;
  CHECK(contents(*ix, ids) == want);
  CHECK(ix->stats().last_seq > 0);
}

TEST_CASE("debezium: a batch checked against a fixed schema (clustered index) keeps order and refuses what replicas would") {
  auto schema = index::Schema::from_json(J(R"({"fields":{"name":"text","n":"int"}})"));
  REQUIRE(schema.is_ok());
  DebeziumOptions opt;
  std::string text = pg_event("c", 10, "null", row(1, "one")) + "\n" + pg_event("u", 11, row(2, "two"), row(20, "twenty")) +
                     "\n" + pg_event("d", 12, R"({"id":1})", "null") + "\n" + "null\n";
  DecodedBatch b = decode_debezium_batch(text, opt);
  check_fixed_schema(&b, ColumnMapping(), *schema);
  CHECK(b.errors.empty());
  CHECK(b.events == 4);
  CHECK(b.tombstones == 1);
  REQUIRE(b.changes.size() == 3);
  CHECK(b.change_event == std::vector<size_t>{0, 1, 2});
  CHECK((b.changes[0].kind == ChangeKind::kUpsert && b.changes[0].id == "1"));
  CHECK((b.changes[1].kind == ChangeKind::kUpsert && b.changes[1].id == "20" && b.changes[1].old_id == "2"));
  CHECK((b.changes[2].kind == ChangeKind::kDelete && b.changes[2].id == "1"));
  CHECK(b.changes[2].position.to_string() == "12");

  // A value the schema refuses: named by event and line, nothing else
  // dropped; a truncate passes (it is published to every shard).
  std::string bad = pg_event("c", 10, "null", row(1, "one")) + "\n" +
                    R"({"op":"c","after":{"id":3,"n":"many"},"source":{"connector":"postgresql","schema":"public","table":"items","lsn":12}})" +
                    "\n" + pg_event("t", 14, "null", "null") + "\n";
  DecodedBatch c = decode_debezium_batch(bad, opt);
  REQUIRE(c.errors.empty());
  check_fixed_schema(&c, ColumnMapping(), *schema);
  REQUIRE(c.errors.size() == 1);
  CHECK(c.errors[0].event == 1);
  CHECK(c.errors[0].line == 2);
  CHECK(c.errors[0].message.find("n") != std::string::npos);
  REQUIRE(c.changes.size() == 3);
  CHECK(c.changes[2].kind == ChangeKind::kTruncate);

  // Two upserts giving one new field two types.
  DecodedBatch d = decode_debezium_batch(
      R"({"op":"c","after":{"id":4,"x":1},"source":{"connector":"postgresql","schema":"public","table":"items","lsn":1}})"
      "\n"
      R"({"op":"c","after":{"id":5,"x":"word"},"source":{"connector":"postgresql","schema":"public","table":"items","lsn":2}})",
      opt);
  check_fixed_schema(&d, ColumnMapping(), *schema);
  REQUIRE(d.errors.size() == 1);
  CHECK(d.errors[0].event == 1);
  CHECK(d.errors[0].message.find("earlier change") != std::string::npos);

  // A mapping column typed differently from the index's field: refused before any event.
  auto mapping = ColumnMapping::from_json(J(R"({"geo":[{"field":"n","lat":"lat","lon":"lon"}]})"));
  REQUIRE(mapping.is_ok());
  DecodedBatch e = decode_debezium_batch(pg_event("c", 10, "null", row(1, "one")), opt);
  check_fixed_schema(&e, *mapping, *schema);
  REQUIRE(e.errors.size() == 1);
  CHECK(e.errors[0].message.find("mapping does not fit") != std::string::npos);
}
