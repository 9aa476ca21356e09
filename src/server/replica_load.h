// ReplicaLoad: how busy and how healthy each node looks to this node's
// search router. Per node it keeps the shard calls in flight, an
// exponentially weighted mean of their latency, and the time of the last
// failed call (reported per node in GET /v1/cluster's "router" section).
// order() ranks a shard's in-sync replicas by health only: a node that
// failed a call within the penalty window goes last, the others keep the
// routing view's order (most advanced replica, local first). Load does not
// reorder them: a shard's local search_after tiebreaker (segment position,
// document) differs between replicas, so two pages of one search must be
// answered by the same replica, which a deterministic order gives and a
// load-dependent one would not (docs/CLUSTER.md, "The search router").
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

  // Stable: healthy candidates keep their order, then the penalized ones.
  void order(std::vector<cluster::ReplicaRoute>* candidates, Clock::time_point now = Clock::now()) const;

  struct NodeLoad {
    uint32_t in_flight = 0;
    double mean_us = 0;  // 0 until a call finished
    Clock::time_point failed_at{};
    uint64_t calls = 0, failures = 0;
  };
  NodeLoad of(const std::string& node) const;
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
