// ReplicaLoad: how busy and how healthy each node looks to this node's
// search router. Per node it keeps the shard calls in flight, an
// exponentially weighted mean of their latency, and the time of the last
// failed call (reported per node in GET /v1/cluster's "router" section).
// order() ranks a shard's in-sync replicas by health, then how far they have
// applied the shard's log, then load: a node that failed a call within the
// penalty window goes last; a replica behind another (as of the routing
// view) comes after it, so a search never reads older data than the
// freshest replica known; equally advanced ones go by their load band,
// floor(log2((in flight + 1) x max(mean latency, 1 ms) / 1 ms)), so a node
// twice as busy (or twice as slow) as another yields to it, while small
// differences keep the routing view's order (local first) and do not flap.
// A healthy node passed over decays towards the floor (kSkippedDecay). Two pages of one search may meet different
// replicas of a shard: the search_after tiebreaker (a put's log sequence) is
// the same on each (docs/CLUSTER.md, "The search router").
//
// Thread-safe (one mutex); a Call is used by one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "meridian/base/json.h"
#include "meridian/cluster/cluster_node.h"

namespace meridian::server {

class ReplicaLoad {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds kFailurePenalty{5000};
  static constexpr double kLatencyWeight = 0.2;  // of the newest call in the mean
  static constexpr double kLatencyFloorUs = 1000;  // latencies below this count as equal
  // A healthy node passed over by order() has its mean latency multiplied by
  // this, so one measured slow during a transient (a restart) is tried again
  // after some dozens of searches instead of never (the same idea as
  // Elasticsearch's adaptive replica selection).
  static constexpr double kSkippedDecay = 0.95;

  // One shard call to `node`: in flight from construction to finish() (or
  // destruction, which counts as a failure).
  class Call {
   public:
    Call(ReplicaLoad* load, std::string node);
    ~Call();
    Call(const Call&) = delete;
    Call& operator=(const Call&) = delete;
    void finish(bool ok);

   private:
    ReplicaLoad* load_;
    std::string node_;
    Clock::time_point start_;
    bool done_ = false;
  };

  // Stable: healthy candidates by load band (ties keep their order), then
  // the penalized ones.
  void order(std::vector<cluster::ReplicaRoute>* candidates, Clock::time_point now = Clock::now());

  struct NodeLoad {
    uint32_t in_flight = 0;
    double mean_us = 0;  // 0 until a call finished
    Clock::time_point failed_at{};
    uint64_t calls = 0, failures = 0;
  };
  NodeLoad of(const std::string& node) const;
  // The load band order() sorts healthy nodes by (0 for an idle node whose
  // calls take at most kLatencyFloorUs, or that has not been called).
  static int band(const NodeLoad& n);
  // {"<node>": {"in_flight", "mean_ms", "calls", "failures", "penalized"}}
  // for GET /v1/cluster's "router".
  Json to_json(Clock::time_point now = Clock::now()) const;
  // Test hook: a finished call of `us` microseconds.
  void record(const std::string& node, double us, bool ok, Clock::time_point now = Clock::now());

 private:
  void begin(const std::string& node);
  mutable std::mutex mu_;
  std::map<std::string, NodeLoad> nodes_;  // GUARDED_BY(mu_)
};

}  // namespace meridian::server
