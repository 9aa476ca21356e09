#include <doctest/doctest.h>

#include "meridian/cdc/change_applier.h"
#include "../test_util.h"

using namespace meridian;
using namespace meridian::cdc;

namespace {
std::unique_ptr<index::Index> open_index(const std::string& dir) {
  index::IndexOptions o;
  o.background = false;
  index::Schema s;
  auto ix = index::Index::open(dir, "t", o, &s);
  REQUIRE(ix.is_ok());
  return std::move(*ix);
}
RowChange upsert(const std::string& src, uint64_t pos, const std::string& id) {
  RowChange c;
  c.kind = ChangeKind::kUpsert;
  c.id = id;
  c.doc = Json(Json::Object{{"id", Json(id)}, {"pos", Json(static_cast<int64_t>(pos))}});
  c.source = src;
  c.position = SourcePosition{{pos}};
  return c;
}
}  // namespace

TEST_CASE("applier: sources keep separate positions") {
  TempDir dir;
  auto ix = open_index(dir.path());
  ChangeApplier a(*ix);
  auto r = a.apply({upsert("a", 10, "x"), upsert("b", 5, "y")});
  REQUIRE(r.is_ok());
  CHECK(r->upserts == 2);
  CHECK(*a.stored_position("a") == SourcePosition{{10}});
  CHECK(*a.stored_position("b") == SourcePosition{{5}});
  auto r2 = a.apply({upsert("a", 7, "z"), upsert("b", 7, "z")});
  CHECK(r2->skipped == 1);
  CHECK(ix->get("z")->has_value());
  CHECK(*a.stored_position("b") == SourcePosition{{7}});
}

TEST_CASE("applier: a corrupt stored position is reported, not ignored") {
  TempDir dir;
  auto ix = open_index(dir.path());
  REQUIRE(ix->set_source_position("a", "not-a-position").is_ok());
  ChangeApplier a(*ix);
  auto r = a.apply({upsert("a", 1, "x")});
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().code() == Status::Code::kCorruption);
}

TEST_CASE("applier: a rejected document fails the call and records no position") {
  TempDir dir;
  auto ix = open_index(dir.path());
  ChangeApplier a(*ix);
  RowChange bad = upsert("a", 2, "y");
  bad.doc = Json(Json::Object{{"id", Json("y")}, {"pos", Json("text now")}});
  auto errs = a.validate({upsert("a", 1, "x"), bad});
  REQUIRE(errs.size() == 1);
  CHECK(errs[0].index == 1);
  auto r = a.apply({upsert("a", 1, "x"), bad});
  CHECK_FALSE(r.is_ok());
  CHECK(a.stored_position("a")->empty());
}
