#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "../../src/server/replica_load.h"

using namespace meridian;
using meridian::cluster::ReplicaRoute;
using meridian::server::ReplicaLoad;

namespace {

std::vector<ReplicaRoute> routes(std::vector<std::string> nodes) {
  std::vector<ReplicaRoute> out;
  for (size_t i = 0; i < nodes.size(); ++i) out.push_back(ReplicaRoute{nodes[i], "http://" + nodes[i], i == 0, 100});
  return out;
}

std::vector<std::string> names(const std::vector<ReplicaRoute>& r) {
  std::vector<std::string> out;
  for (const auto& x : r) out.push_back(x.node);
  return out;
}

}  // namespace

TEST_CASE("replica load: with nothing known the routing view's order stands") {
  ReplicaLoad load;
  auto r = routes({"n1", "n2", "n3"});
  load.order(&r);
  CHECK(names(r) == std::vector<std::string>{"n1", "n2", "n3"});
}

TEST_CASE("replica load: calls in flight and latency are counted, and a busier node yields") {
  ReplicaLoad load;
  const auto now = ReplicaLoad::Clock::now();
  for (int i = 0; i < 5; ++i) {
    load.record("n1", 900, true, now);
    load.record("n2", 300, true, now);
  }
  // Both at most 1 ms and idle: one band, the routing view's order stands.
  auto idle = routes({"n1", "n2", "n3"});
  load.order(&idle, now);
  CHECK(names(idle) == std::vector<std::string>{"n1", "n2", "n3"});
  {
    ReplicaLoad::Call a(&load, "n1"), b(&load, "n1");
    CHECK(load.of("n1").in_flight == 2);
    CHECK(ReplicaLoad::band(load.of("n1")) == 1);  // 3 x 1 ms
    auto r = routes({"n1", "n2", "n3"});
    load.order(&r, now);
    // Two calls in flight put n1 behind the idle n2 and the unknown n3.
    CHECK(names(r) == std::vector<std::string>{"n2", "n3", "n1"});
    const Json j = load.to_json(now);
    CHECK(j.find("n1")->find("in_flight")->as_int() == 2);
    CHECK(j.find("n2")->find("mean_ms")->as_double() == doctest::Approx(0.3));
    CHECK(j.find("n2")->find("penalized")->as_bool() == false);
    a.finish(true);
    b.finish(true);
  }
  CHECK(load.of("n1").in_flight == 0);
  CHECK(load.of("n1").calls == 7);
}

TEST_CASE("replica load: a slow node yields only to one at least twice as fast") {
  ReplicaLoad load;
  const auto now = ReplicaLoad::Clock::now();
  for (int i = 0; i < 50; ++i) {
    load.record("n1", 3000, true, now);  // band 1
    load.record("n2", 2000, true, now);  // band 1
    load.record("n3", 1500, true, now);  // band 0
  }
  CHECK(ReplicaLoad::band(load.of("n1")) == 1);
  CHECK(ReplicaLoad::band(load.of("n2")) == 1);
  CHECK(ReplicaLoad::band(load.of("n3")) == 0);
  auto r = routes({"n1", "n2", "n3"});
  load.order(&r, now);
  CHECK(names(r) == std::vector<std::string>{"n3", "n1", "n2"});
  // Passed over, n1 and n2 drift towards the floor; n3, chosen, does not.
  CHECK(load.of("n1").mean_us == doctest::Approx(3000 * ReplicaLoad::kSkippedDecay));
  CHECK(load.of("n2").mean_us == doctest::Approx(2000 * ReplicaLoad::kSkippedDecay));
  CHECK(load.of("n3").mean_us == doctest::Approx(1500));
  // A failed call outranks any load: the fast n3 goes last.
  load.record("n3", 0, false, now);
  auto p = routes({"n3", "n1", "n2"});
  load.order(&p, now);
  CHECK(names(p) == std::vector<std::string>{"n2", "n1", "n3"});  // n2 at 1.8 ms: band 0 now
}

TEST_CASE("replica load: a node measured slow once is tried again after some searches") {
  ReplicaLoad load;
  const auto now = ReplicaLoad::Clock::now();
  load.record("local", 200, true, now);
  load.record("remote", 6000, true, now);  // slow while it restarted: band 2
  int searches = 0;
  while (ReplicaLoad::band(load.of("remote")) > 0 && searches < 1000) {
    auto r = routes({"local", "remote"});
    load.order(&r, now);
    CHECK(names(r) == std::vector<std::string>{"local", "remote"});
    ++searches;
  }
  CHECK(searches > 10);
  CHECK(searches < 40);
  CHECK(load.of("local").mean_us == doctest::Approx(200));
  // Now one call in flight on the local node sends the next search to the remote one.
  ReplicaLoad::Call busy(&load, "local");
  auto r = routes({"local", "remote"});
  load.order(&r, now);
  CHECK(names(r) == std::vector<std::string>{"remote", "local"});
  busy.finish(true);
}

TEST_CASE("replica load: a node that failed lately goes last until the penalty passes") {
  ReplicaLoad load;
  const auto t0 = ReplicaLoad::Clock::now();
  load.record("n1", 100, true, t0);
  load.record("n1", 0, false, t0);  // a failure: n1 is penalized, its mean latency unchanged
  CHECK(load.of("n1").mean_us == doctest::Approx(100));
  CHECK(load.of("n1").failures == 1);
  auto r = routes({"n1", "n2", "n3"});
  load.order(&r, t0 + std::chrono::milliseconds(100));
  CHECK(names(r) == std::vector<std::string>{"n2", "n3", "n1"});
  CHECK(load.to_json(t0 + std::chrono::milliseconds(100)).find("n1")->find("penalized")->as_bool());
  auto later = routes({"n1", "n2", "n3"});
  load.order(&later, t0 + ReplicaLoad::kFailurePenalty + std::chrono::milliseconds(1));
  CHECK(names(later) == std::vector<std::string>{"n1", "n2", "n3"});  // first again, once forgiven
}

TEST_CASE("replica load: a call dropped without finish counts as a failure") {
  ReplicaLoad load;
  { ReplicaLoad::Call c(&load, "n9"); }
  CHECK(load.of("n9").in_flight == 0);
  CHECK(load.of("n9").failures == 1);
  CHECK(load.of("n9").calls == 1);
}

TEST_CASE("replica load: the mean follows the newest calls") {
  ReplicaLoad load;
  load.record("n1", 1000, true);
  CHECK(load.of("n1").mean_us == doctest::Approx(1000));
  for (int i = 0; i < 40; ++i) load.record("n1", 100, true);
  CHECK(load.of("n1").mean_us < 110);
}

TEST_CASE("replica load: a replica behind another comes after it, whatever the load") {
  ReplicaLoad load;
  const auto now = ReplicaLoad::Clock::now();
  ReplicaLoad::Call b1(&load, "n1"), b2(&load, "n1"), b3(&load, "n1");  // n1 busy: band 2
  auto r = routes({"n1", "n2"});
  r[1].applied = 99;  // n2 has not applied the shard's last write yet
  load.order(&r, now);
  CHECK(names(r) == std::vector<std::string>{"n1", "n2"});
  r[1].applied = 100;  // caught up: the idle one first
  load.order(&r, now);
  CHECK(names(r) == std::vector<std::string>{"n2", "n1"});
  b1.finish(true);
  b2.finish(true);
  b3.finish(true);
}
