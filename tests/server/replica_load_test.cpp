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

TEST_CASE("replica load: fewer calls in flight first, then the faster node") {
  ReplicaLoad load;
  const auto now = ReplicaLoad::Clock::now();
  for (int i = 0; i < 5; ++i) {
    load.record("n1", 900, true, now);
    load.record("n2", 300, true, now);
    load.record("n3", 310, true, now);  // n2's bucket or the next: never before n2 by much
  }
  auto r = routes({"n1", "n2", "n3"});
  load.order(&r, now);
  CHECK(names(r)[0] != "n1");
  CHECK(names(r)[2] == "n1");
  {
    // Two calls in flight on n2 and one on n3: n1 (idle) goes first now.
    ReplicaLoad::Call a(&load, "n2"), b(&load, "n2"), c(&load, "n3");
    CHECK(load.of("n2").in_flight == 2);
    auto busy = routes({"n1", "n2", "n3"});
    load.order(&busy, now);
    CHECK(names(busy) == std::vector<std::string>{"n1", "n3", "n2"});
    a.finish(true);
    b.finish(true);
    c.finish(true);
  }
  CHECK(load.of("n2").in_flight == 0);
  CHECK(load.of("n2").calls == 7);
}

TEST_CASE("replica load: a node that failed lately goes last until the penalty passes") {
  ReplicaLoad load;
  const auto t0 = ReplicaLoad::Clock::now();
  load.record("n1", 100, true, t0);
  load.record("n2", 5000, true, t0);
  load.record("n1", 0, false, t0);  // a failure: n1 is penalized, its mean latency unchanged
  CHECK(load.of("n1").mean_us == doctest::Approx(100));
  CHECK(load.of("n1").failures == 1);
  auto r = routes({"n1", "n2"});
  load.order(&r, t0 + std::chrono::milliseconds(100));
  CHECK(names(r) == std::vector<std::string>{"n2", "n1"});
  auto later = routes({"n1", "n2"});
  load.order(&later, t0 + ReplicaLoad::kFailurePenalty + std::chrono::milliseconds(1));
  CHECK(names(later) == std::vector<std::string>{"n1", "n2"});  // faster again, once forgiven
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
