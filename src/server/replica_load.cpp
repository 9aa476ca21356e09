#include "replica_load.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace meridian::server {
namespace {

// One finished call of `us` microseconds into n's counters.
void add_call(ReplicaLoad::NodeLoad* n, double us, bool ok, ReplicaLoad::Clock::time_point now) {
  ++n->calls;
  if (!ok) {
    ++n->failures;
    n->failed_at = now;
    return;  // a failure's latency (often a timeout) says nothing of the node's speed
  }
  n->mean_us = n->mean_us == 0 ? us : (1 - ReplicaLoad::kLatencyWeight) * n->mean_us + ReplicaLoad::kLatencyWeight * us;
}

bool penalized(const ReplicaLoad::NodeLoad& n, ReplicaLoad::Clock::time_point now) {
  return n.failed_at != ReplicaLoad::Clock::time_point{} && now - n.failed_at < ReplicaLoad::kFailurePenalty;
}

}  // namespace

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
  std::lock_guard<std::mutex> l(load_->mu_);
  auto& n = load_->nodes_[node_];
  add_call(&n, std::chrono::duration<double, std::micro>(now - start_).count(), ok, now);
  if (n.in_flight > 0) --n.in_flight;
}

void ReplicaLoad::begin(const std::string& node) {
  std::lock_guard<std::mutex> l(mu_);
  ++nodes_[node].in_flight;
}

void ReplicaLoad::record(const std::string& node, double us, bool ok, Clock::time_point now) {
  std::lock_guard<std::mutex> l(mu_);
  add_call(&nodes_[node], us, ok, now);
}

ReplicaLoad::NodeLoad ReplicaLoad::of(const std::string& node) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = nodes_.find(node);
  return it == nodes_.end() ? NodeLoad{} : it->second;
}

Json ReplicaLoad::to_json(Clock::time_point now) const {
  std::lock_guard<std::mutex> l(mu_);
  Json out = Json::object();
  for (const auto& [node, n] : nodes_) {
    out.set(node, Json(Json::Object{{"in_flight", Json(static_cast<int64_t>(n.in_flight))},
                                    {"mean_ms", Json(n.mean_us / 1000)},
                                    {"calls", Json(static_cast<int64_t>(n.calls))},
                                    {"failures", Json(static_cast<int64_t>(n.failures))},
                                    {"penalized", Json(penalized(n, now))}}));
  }
  return out;
}

int ReplicaLoad::band(const NodeLoad& n) {
  const double cost = (n.in_flight + 1.0) * std::max(n.mean_us, kLatencyFloorUs) / kLatencyFloorUs;
  return static_cast<int>(std::floor(std::log2(cost)));
}

void ReplicaLoad::order(std::vector<cluster::ReplicaRoute>* candidates, Clock::time_point now) {
  if (candidates->size() < 2) return;
  // Per candidate: its load band, or kPenalized when it failed within the penalty window.
  constexpr int kPenalized = std::numeric_limits<int>::max();
  std::vector<int> rank;
  std::vector<size_t> idx(candidates->size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& c : *candidates) {
      auto it = nodes_.find(c.node);
      if (it == nodes_.end()) rank.push_back(0);
      else rank.push_back(penalized(it->second, now) ? kPenalized : band(it->second));
    }
    // Healthy first; then the most advanced (a search never reads an older
    // state than the freshest replica the view knows, so reads stay
    // monotonic while a lagging replica catches up); then the load band.
    const auto& c = *candidates;
    std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
      if ((rank[a] == kPenalized) != (rank[b] == kPenalized)) return rank[b] == kPenalized;
      if (c[a].applied != c[b].applied) return c[a].applied > c[b].applied;
      return rank[a] < rank[b];
    });
    // The healthy ones passed over drift back towards the floor.
    for (size_t k = 1; k < idx.size(); ++k) {
      if (rank[idx[k]] == kPenalized) continue;
      auto it = nodes_.find((*candidates)[idx[k]].node);
      if (it != nodes_.end() && it->second.mean_us > kLatencyFloorUs) it->second.mean_us *= kSkippedDecay;
    }
  }
  std::vector<cluster::ReplicaRoute> out;
  out.reserve(idx.size());
  for (size_t i : idx) out.push_back(std::move((*candidates)[i]));
  *candidates = std::move(out);
}

}  // namespace meridian::server
