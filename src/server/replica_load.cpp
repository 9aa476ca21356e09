#include "replica_load.h"

#include <algorithm>
#include <cmath>

namespace meridian::server {

ReplicaLoad::Call::Call(ReplicaLoad* load, std::string node) : load_(load), node_(std::move(node)), start_(Clock::now()) {
  load_->begin(node_);
}

ReplicaLoad::Call::~Call() {
  if (!done_) finish(false);
}

void ReplicaLoad::Call::finish(bool ok) {
  if (done_) return;
  done_ = true;
  const Clock::time_point now = Clock::now();
  load_->record(node_, std::chrono::duration<double, std::micro>(now - start_).count(), ok, now);
  std::lock_guard<std::mutex> l(load_->mu_);
  auto& n = load_->nodes_[node_];
  if (n.in_flight > 0) --n.in_flight;
}

void ReplicaLoad::begin(const std::string& node) {
  std::lock_guard<std::mutex> l(mu_);
  ++nodes_[node].in_flight;
}

void ReplicaLoad::record(const std::string& node, double us, bool ok, Clock::time_point now) {
  std::lock_guard<std::mutex> l(mu_);
  auto& n = nodes_[node];
  ++n.calls;
  if (!ok) {
    ++n.failures;
    n.failed_at = now;
    return;  // a failure's latency (often a timeout) says nothing of the node's speed
  }
  n.mean_us = n.mean_us == 0 ? us : (1 - kLatencyWeight) * n.mean_us + kLatencyWeight * us;
}

ReplicaLoad::NodeLoad ReplicaLoad::of(const std::string& node) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = nodes_.find(node);
  return it == nodes_.end() ? NodeLoad{} : it->second;
}

void ReplicaLoad::order(std::vector<cluster::ReplicaRoute>* candidates, Clock::time_point now) const {
  if (candidates->size() < 2) return;
  struct Key {
    bool penalized;
    uint32_t in_flight;
    int latency;  // bucket: latencies within a factor 1.25 of each other mostly share one
  };
  // A node not measured yet is in the best bucket, so it gets tried.
  auto bucket = [](double us) { return us <= 1 ? 0 : 1 + static_cast<int>(std::log(us) / std::log(1.25)); };
  std::vector<Key> keys;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& c : *candidates) {
      auto it = nodes_.find(c.node);
      if (it == nodes_.end()) {
        keys.push_back({false, 0, 0});
        continue;
      }
      const NodeLoad& n = it->second;
      const bool penalized = n.failed_at != Clock::time_point{} && now - n.failed_at < kFailurePenalty;
      keys.push_back({penalized, n.in_flight, bucket(n.mean_us)});
    }
  }
  std::vector<size_t> idx(candidates->size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
    const Key &x = keys[a], &y = keys[b];
    if (x.penalized != y.penalized) return !x.penalized;
    if (x.in_flight != y.in_flight) return x.in_flight < y.in_flight;
    return x.latency < y.latency;
  });
  std::vector<cluster::ReplicaRoute> out;
  out.reserve(idx.size());
  for (size_t i : idx) out.push_back(std::move((*candidates)[i]));
  *candidates = std::move(out);
}

}  // namespace meridian::server
