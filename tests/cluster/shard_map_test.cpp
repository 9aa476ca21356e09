#include <doctest/doctest.h>

#include "meridian/cluster/shard_map.h"

using namespace meridian;
using namespace meridian::cluster;

TEST_CASE("shard map: round-trips through JSON") {
  ShardMap m;
  m.index = "books";
  m.uid = "u1";
  m.shards = 3;
  m.replicas = 2;
  m.schema = Json(Json::Object{{"fields", Json::object()}});
  m = m.rebalanced({"n1", "n2", "n3"});
  CHECK(m.epoch == 1);
  auto back = ShardMap::from_json(m.to_json());
  REQUIRE(back.is_ok());
  CHECK(back->index == "books");
  CHECK(back->uid == "u1");
  CHECK(back->shards == 3);
  CHECK(back->replicas == 2);
  CHECK(back->assignment == m.assignment);
  CHECK(back->schema == m.schema);
  CHECK(back->epoch == 1);
  CHECK(back->settings_version == 0);
  CHECK(m.to_json().find("settings") == nullptr);  // never set: every default, nothing stored
}

TEST_CASE("shard map: index settings and their version round-trip; a non-object is refused") {
  ShardMap m;
  m.index = "books";
  m.assignment = {{"n1"}};
  m.settings = Json(Json::Object{{"stop_words", Json(Json::Array{Json("the")})}});
  m.settings_version = 3;
  auto back = ShardMap::from_json(m.to_json());
  REQUIRE(back.is_ok());
  CHECK(back->settings == m.settings);
  CHECK(back->settings_version == 3);
  Json j = m.to_json();
  j.set("settings", Json("the"));
  auto bad = ShardMap::from_json(j);
  REQUIRE_FALSE(bad.is_ok());
  CHECK(bad.status().message().find("\"settings\"") != std::string::npos);
}

TEST_CASE("shard map: bad shapes and counts are refused, naming the member") {
  auto bad = ShardMap::from_json(Json(Json::Object{{"index", Json("x")}, {"shards", Json(2)}, {"replicas", Json(1)},
                                                   {"assignment", Json(Json::Array{Json::array()})}}));
  REQUIRE_FALSE(bad.is_ok());
  CHECK(bad.status().message().find("assignment") != std::string::npos);
  uint32_t s = 0, r = 0;
  auto st = validate_shard_counts(Json(Json::Object{{"shards", Json(0)}}), &s, &r);
  CHECK_FALSE(st.is_ok());
  CHECK(st.message().find("\"shards\"") != std::string::npos);
  st = validate_shard_counts(Json(Json::Object{{"replicas", Json("two")}}), &s, &r);
  CHECK(st.message().find("\"replicas\"") != std::string::npos);
  REQUIRE(validate_shard_counts(Json::object(), &s, &r).is_ok());
  CHECK(s == 1);
  CHECK(r == 1);
}

TEST_CASE("shard map: a rebalance onto the same nodes changes nothing") {
  ShardMap m;
  m.index = "ix";
  m.shards = 4;
  m.replicas = 2;
  m = m.rebalanced({"a", "b", "c"});
  size_t moved = 99;
  ShardMap same = m.rebalanced({"c", "b", "a"}, &moved);
  CHECK(moved == 0);
  CHECK(same.epoch == m.epoch);
  ShardMap grown = m.rebalanced({"a", "b", "c", "d"}, &moved);
  CHECK(grown.shards_on("d").size() == moved);
  if (moved > 0) CHECK(grown.epoch == m.epoch + 1);
}
