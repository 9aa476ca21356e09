// The PostgreSQL source's snapshot generations and dead letters, against a
// live PostgreSQL when MERIDIAN_TEST_PG_DSN is set (scripts/test starts one);
// otherwise the cases return early with a message.
#include <doctest/doctest.h>
#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <set>
#include <thread>

#include "../test_util.h"
#include "meridian/cdc/pg_source.h"

using namespace meridian;
using namespace meridian::cdc;

namespace {

const char* dsn() { return std::getenv("MERIDIAN_TEST_PG_DSN"); }

void sql(const std::string& q) {
  PGconn* c = PQconnectdb(dsn());
  REQUIRE(PQstatus(c) == CONNECTION_OK);
  PGresult* r = PQexec(c, q.c_str());
  auto st = PQresultStatus(r);
  INFO(q << ": " << PQerrorMessage(c));
  CHECK((st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK));
  PQclear(r);
  PQfinish(c);
}

template <typename F>
bool eventually(F f, double seconds = 30) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return f();
}

Result<SourceConfig> config(const std::string& table, const std::string& slot, const std::string& mapping = "") {
  std::string j = std::string(R"({"type":"postgres","dsn":")") + dsn() + R"(","table":"public.)" + table +
                  R"(","slot":")" + slot + R"(","publication":")" + slot + "\"";
  if (!mapping.empty()) j += ",\"mapping\":" + mapping;
  j += "}";
  return SourceConfig::from_json("t", "gen", *parse_json(j));
}

}  // namespace

TEST_CASE("pg source: a re-snapshot swaps the new generation in at once; searches never see a half-loaded index") {
  if (!dsn()) {
    MESSAGE("MERIDIAN_TEST_PG_DSN not set: skipped");
    return;
  }
  sql("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'meridian_gen';"
      "DROP PUBLICATION IF EXISTS meridian_gen; DROP TABLE IF EXISTS cdc_gen;"
      "CREATE TABLE cdc_gen (id int PRIMARY KEY, body text);"
      "INSERT INTO cdc_gen SELECT g, 'old row ' || g FROM generate_series(1, 3) g;");
  TempDir dir;
  index::IndexOptions o;
  o.refresh_interval_ms = 5;
  index::Schema s;
  auto ixr = index::Index::open(dir.path(), "t", o, &s);
  REQUIRE(ixr.is_ok());
  std::shared_ptr<index::Index> ix = std::move(*ixr);
  auto cfg = config("cdc_gen", "meridian_gen");
  REQUIRE(cfg.is_ok());
  {
    PgSource src(*cfg, ix);
    src.start();
    REQUIRE_MESSAGE(eventually([&] { return src.status().state == "streaming"; }), src.status().last_error);
    CHECK(ix->snapshot()->live_docs() == 3);
    src.stop();
  }
  // The slot is lost (dropped by an operator, a failover): the source must
  // snapshot again, meanwhile the table has grown.
  sql("SELECT pg_drop_replication_slot('meridian_gen');"
      "DELETE FROM cdc_gen; INSERT INTO cdc_gen SELECT g, 'new row ' || g FROM generate_series(1, 6000) g;");
  std::atomic<bool> done{false};
  std::set<uint64_t> seen;
  std::thread sampler([&] {
    while (!done) {
      seen.insert(ix->snapshot()->live_docs());
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  {
    PgSource src(*cfg, ix);
    src.start();
    bool swapped = eventually([&] { return src.status().state == "streaming" && ix->snapshot()->live_docs() == 6000; });
    done = true;
    sampler.join();
    REQUIRE_MESSAGE(swapped, src.status().last_error);
    CHECK(src.status().snapshot_rows == 6000);
    // Only the old generation or the new one was ever visible.
    for (uint64_t n : seen) CHECK_MESSAGE((n == 3 || n == 6000), "a search saw " << n << " documents");
    auto g = ix->get("4000");
    REQUIRE(g.is_ok());
    REQUIRE(g->has_value());
    CHECK((*g)->find("new row 4000") != std::string::npos);
    // Streaming goes on over the new generation.
    sql("INSERT INTO cdc_gen VALUES (7000, 'streamed');");
    CHECK(eventually([&] { return ix->get("7000").is_ok() && ix->get("7000")->has_value(); }));
    src.stop();
  }
  CHECK_FALSE(fs::exists(fs::join(dir.path(), ".snapshot-gen")));  // the staging index is gone
  REQUIRE(ix->close().is_ok());
  {
    auto again = index::Index::open(dir.path(), "t", o);  // the swap is durable
    REQUIRE(again.is_ok());
    REQUIRE((*again)->refresh().is_ok());
    CHECK((*again)->snapshot()->live_docs() == 6001);
  }
  REQUIRE(PgSource::drop_slot(*cfg).is_ok());
}

TEST_CASE("pg source: a row that cannot be mapped becomes a dead letter and streaming goes on") {
  if (!dsn()) {
    MESSAGE("MERIDIAN_TEST_PG_DSN not set: skipped");
    return;
  }
  sql("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'meridian_dl';"
      "DROP PUBLICATION IF EXISTS meridian_dl; DROP TABLE IF EXISTS cdc_dl;"
      "CREATE TABLE cdc_dl (id int PRIMARY KEY, code text);"
      "INSERT INTO cdc_dl VALUES (1, '7'), (2, 'not a number');");
  TempDir dir;
  index::IndexOptions o;
  o.refresh_interval_ms = 5;
  index::Schema s;
  auto ixr = index::Index::open(dir.path(), "t", o, &s);
  REQUIRE(ixr.is_ok());
  std::shared_ptr<index::Index> ix = std::move(*ixr);
  auto cfg = config("cdc_dl", "meridian_dl", R"({"columns":{"code":{"type":"int"}}})");
  REQUIRE(cfg.is_ok());
  PgSource src(*cfg, ix);
  src.start();
  REQUIRE_MESSAGE(eventually([&] { return src.status().state == "streaming"; }), src.status().last_error);
  CHECK(ix->get("1")->has_value());
  CHECK_FALSE(ix->get("2")->has_value());
  auto st = src.status();
  CHECK(st.dead_letters == 1);
  REQUIRE(st.last_dead_letters.size() == 1);
  CHECK(st.last_dead_letters[0].table == "public.cdc_dl");
  CHECK(st.last_dead_letters[0].key == "2");
  CHECK(st.last_dead_letters[0].lsn > 0);
  CHECK(st.last_dead_letters[0].reason.find("cannot convert") != std::string::npos);

  // In the stream: the bad row of a transaction is skipped, the rest applied,
  // and later transactions flow.
  sql("BEGIN; INSERT INTO cdc_dl VALUES (3, 'x'), (4, '9'); COMMIT;");
  sql("INSERT INTO cdc_dl VALUES (5, '11');");
  REQUIRE_MESSAGE(eventually([&] { return ix->get("5")->has_value(); }), src.status().last_error);
  CHECK(ix->get("4")->has_value());
  CHECK_FALSE(ix->get("3")->has_value());
  st = src.status();
  CHECK(st.state == "streaming");
  CHECK(st.reconnects == 0);
  CHECK(st.dead_letters == 2);
  REQUIRE(st.last_dead_letters.size() == 2);
  CHECK(st.last_dead_letters[1].key == "3");
  CHECK(st.last_dead_letters[1].lsn > st.last_dead_letters[0].lsn);
  Json j = st.to_json();
  CHECK(j.find("dead_letters")->as_int() == 2);
  CHECK(j.find("last_dead_letters")->as_array().size() == 2);
  CHECK(j.find("last_dead_letters")->as_array()[1].find("key")->as_string() == "3");
  src.stop();
  REQUIRE(PgSource::drop_slot(*cfg).is_ok());
}
