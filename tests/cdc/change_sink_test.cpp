// IndexSink: the sink of a PostgreSQL source on one local index (the
// PostgreSQL side is tested in pg_source_test.cpp; the cluster's sink in
// tests/cluster/cluster_sources_test.cpp).
#include <doctest/doctest.h>

#include "../test_util.h"
#include "meridian/base/file.h"
#include "meridian/cdc/change_sink.h"

using namespace meridian;
using namespace meridian::cdc;

namespace {
std::shared_ptr<index::Index> open_index(const std::string& dir) {
  index::IndexOptions o;
  o.background = false;
  index::Schema s;
  auto ix = index::Index::open(dir, "t", o, &s);
  REQUIRE(ix.is_ok());
  return std::shared_ptr<index::Index>(std::move(*ix));
}
Json doc(const std::string& id, const std::string& title) {
  return Json(Json::Object{{"id", Json(id)}, {"title", Json(title)}, {"n", Json(int64_t{1})}});
}
bool has(index::Index& ix, const std::string& id) { return ix.get(id)->has_value(); }
}  // namespace

TEST_CASE("index sink: a snapshot replaces the index at finish; an unfinished one leaves it as it was") {
  TempDir dir;
  auto ix = open_index(dir.path() + "/ix");
  REQUIRE(ix->put(doc("old", "before the source")).is_ok());
  IndexSink sink(ix, "postgres:pg", "pg");
  CHECK(sink.stored_position()->empty());
  const std::string staging = dir.path() + "/ix/.snapshot-pg";
  {
    auto load = sink.begin_snapshot();
    REQUIRE(load.is_ok());
    auto r = (*load)->put({doc("a", "x"), doc("b", "y")});
    CHECK((r[0].is_ok() && r[1].is_ok()));
    CHECK(fs::exists(staging));
    CHECK_FALSE(has(*ix, "a"));  // staged, not live
  }
  CHECK_FALSE(fs::exists(staging));
  CHECK(has(*ix, "old"));
  auto load = sink.begin_snapshot();
  REQUIRE(load.is_ok());
  (*load)->put({doc("a", "x"), doc("b", "y")});
  REQUIRE((*load)->finish(SourcePosition{{100, 0}}).is_ok());
  load->reset();
  CHECK(has(*ix, "a"));
  CHECK_FALSE(has(*ix, "old"));  // the table's rows only
  CHECK(*sink.stored_position() == SourcePosition{{100, 0}});
}

TEST_CASE("index sink: applied changes carry their position; keep_unchanged fills what the row lacks") {
  TempDir dir;
  auto ix = open_index(dir.path());
  IndexSink sink(ix, "postgres:pg", "pg");
  RowChange c;
  c.id = "a";
  c.doc = doc("a", "first");
  c.source = "postgres:pg";
  c.position = SourcePosition{{200, 1}};
  REQUIRE(sink.apply({c}).is_ok());
  REQUIRE(sink.flush().is_ok());
  CHECK(*sink.stored_position() == SourcePosition{{200, 1}});

  RowChange u;
  u.id = "a";
  u.doc = Json(Json::Object{{"id", Json("a")}, {"n", Json(int64_t{2})}});  // title unchanged, not resent
  REQUIRE(sink.keep_unchanged(&u).is_ok());
  CHECK_FALSE(u.partial);  // completed here from the stored document
  CHECK(u.doc.find("title")->as_string() == "first");
  CHECK(u.doc.find("n")->as_int() == 2);
  CHECK(sink.validate({u}).empty());
}
