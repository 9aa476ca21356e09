// Runs against a live PostgreSQL when MERIDIAN_TEST_PG_DSN is set (scripts/test
// starts one); otherwise the cases return early with a message.
#include <doctest/doctest.h>
#include <libpq-fe.h>

#include <chrono>
#include <cstdlib>
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
bool eventually(F f, double seconds = 20) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return f();
}

std::optional<Json> doc(index::Index& ix, const std::string& id) {
  auto g = ix.get(id);
  if (!g.is_ok() || !g->has_value()) return std::nullopt;
  return *parse_json(**g);
}

}  // namespace

TEST_CASE("pg source: snapshot, then inserts, updates, key changes, deletes and truncate stream into the index") {
  if (!dsn()) {
    MESSAGE("MERIDIAN_TEST_PG_DSN not set: skipped");
    return;
  }
  sql("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'meridian_unit';"
      "DROP PUBLICATION IF EXISTS meridian_unit; DROP TABLE IF EXISTS cdc_unit;"
      "CREATE TABLE cdc_unit (id int PRIMARY KEY, name text, n numeric, tags text[], at timestamptz, j jsonb);"
      "INSERT INTO cdc_unit VALUES (1, 'one', 1.5, '{a,b}', '2024-05-01 12:00:00+00', '{\"k\": 1}'), (2, 'two', 2, NULL, NULL, NULL);");
  TempDir dir;
  index::IndexOptions o;
  o.commit_interval_ms = 0;
  index::Schema s;
  auto ixr = index::Index::open(dir.path(), "t", o, &s);
  REQUIRE(ixr.is_ok());
  std::shared_ptr<index::Index> ix = std::move(*ixr);
  auto cfg = SourceConfig::from_json("t", "unit", *parse_json(std::string(R"({"type":"postgres","dsn":")") + dsn() +
                                                             R"(","table":"public.cdc_unit","slot":"meridian_unit","publication":"meridian_unit"})"));
  REQUIRE(cfg.is_ok());
  {
    PgSource src(*cfg, ix);
    src.start();
    REQUIRE_MESSAGE(eventually([&] { return src.status().state == "streaming"; }), src.status().last_error);
    CHECK(src.status().snapshot_rows == 2);
    auto d1 = doc(*ix, "1");
    REQUIRE(d1.has_value());
    CHECK(*d1->find("name") == Json("one"));
    CHECK(*d1->find("n") == Json(1.5));
    CHECK(*d1->find("tags") == *parse_json(R"(["a","b"])"));
    CHECK(*d1->find("at") == Json("2024-05-01T12:00:00+00:00"));
    CHECK(*d1->find("j") == *parse_json(R"({"k":1})"));

    sql("INSERT INTO cdc_unit VALUES (3, 'three', 3, NULL, NULL, NULL); UPDATE cdc_unit SET name = 'uno' WHERE id = 1;"
        "UPDATE cdc_unit SET id = 20 WHERE id = 2; DELETE FROM cdc_unit WHERE id = 3;");
    // The changes are applied one after another, each visible at once: wait
    // for the last one (the delete of 3), not for the key change before it.
    CHECK(eventually([&] { return doc(*ix, "20").has_value() && !doc(*ix, "3").has_value(); }));
    CHECK_FALSE(doc(*ix, "2").has_value());
    CHECK_FALSE(doc(*ix, "3").has_value());
    CHECK(*doc(*ix, "1")->find("name") == Json("uno"));
    CHECK(eventually([&] { return src.status().flushed_lsn >= src.status().applied_lsn && src.status().applied_lsn > 0; }));
    src.stop();
    CHECK(src.status().state == "stopped");
  }
  // Changes while stopped are picked up from the stored LSN, exactly once.
  sql("INSERT INTO cdc_unit VALUES (4, 'four', 4, NULL, NULL, NULL); TRUNCATE cdc_unit; INSERT INTO cdc_unit VALUES (5, 'five', 5, NULL, NULL, NULL);");
  {
    PgSource src(*cfg, ix);
    src.start();
    CHECK(eventually([&] { return doc(*ix, "5").has_value(); }));
    CHECK(src.status().snapshot_rows == 0);  // resumed, no new snapshot
    CHECK_FALSE(doc(*ix, "1").has_value());
    CHECK_FALSE(doc(*ix, "4").has_value());
    REQUIRE(ix->refresh().is_ok());  // stats count the searchable snapshot
    CHECK(ix->stats().docs <= 1);
    src.stop();
  }
  REQUIRE(PgSource::drop_slot(*cfg).is_ok());
}
