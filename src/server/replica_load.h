// ReplicaLoad: how busy and how healthy each node looks to this node's
// search router, so that a shard's search goes to the replica that is
// likely to answer first (the cluster's "chosen by health and load").
// Per node it keeps the shard calls in flight, an exponentially weighted
// mean of their latency, and the time of the last failed call. order()
// ranks a shard's in-sync replicas: a node that failed within the penalty
// window last, then fewer calls in flight, then a lower mean latency (in
// buckets a factor 1.25 wide, so noise does not reorder; a node not measured
// yet ranks first, so it gets tried), then the routing view's own order (most
// advanced replica, local first).
//
// Thread-safe (one mutex); a Call is used by one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

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

  // Stable: equal candidates keep their order.
  void order(std::vector<cluster::ReplicaRoute>* candidates, Clock::time_point now = Clock::now()) const;

  struct NodeLoad {
    uint32_t in_flight = 0;
    double mean_us = 0;  // 0 until a call finished
    Clock::time_point failed_at{};
    uint64_t calls = 0, failures = 0;
  };
  NodeLoad of(const std::string& node) const;
  // Test hook: a finished call of `us` microseconds.
  void record(const std::string& node, double us, bool ok, Clock::time_point now = Clock::now());

 private:
  void begin(const std::string& node);
  mutable std::mutex mu_;
  std::map<std::string, NodeLoad> nodes_;  // GUARDED_BY(mu_)
};

}  // namespace meridian::server
