// ClusterNode: rebuilding the local replicas that fell behind their shard
// stream's retention from an in-sync peer's snapshot (cluster_node.h,
// replica_snapshot.h, docs/CLUSTER.md "Rebuilding a replica from a peer").
#include <algorithm>

#include "meridian/base/file.h"
#include "meridian/cluster/cluster_node.h"
#include "meridian/cluster/log_record.h"

namespace meridian::cluster {
namespace {
constexpr int kMaxRebuildRetryMs = 30000;
}  // namespace

void ClusterNode::rebuild_loop() {
  std::unique_lock<std::mutex> lock(loop_mu_);
  while (!loop_cv_.wait_for(lock, std::chrono::milliseconds(opt_.sync_ms), [this] { return stop_; })) {
    lock.unlock();
    rebuild_due();
    lock.lock();
  }
}

void ClusterNode::rebuild_due() {
  std::vector<std::pair<std::string, uint32_t>> due;
  {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = rebuild_retry_.begin(); it != rebuild_retry_.end();) {
      auto l = local_.find(it->first);
      if (l == local_.end() || !l->second.runner->behind_retention()) it = rebuild_retry_.erase(it);
      else ++it;
    }
    for (auto& [key, l] : local_) {
      if (!l.runner->behind_retention()) continue;
      auto r = rebuild_retry_.find(key);
      if (r == rebuild_retry_.end() || r->second.at <= now) due.push_back(key);
    }
  }
  for (const auto& key : due) {
    {
      std::lock_guard<std::mutex> lock(loop_mu_);
      if (stop_) return;
    }
    auto m = maps_->get(key.first);
    Status st = !m    ? m.status()
                : !*m ? Status::not_found("no clustered index '" + key.first + "'")
                      : rebuild_replica(**m, key.second);
    std::lock_guard<std::mutex> lock(mu_);
    if (st) {
      rebuilds_.fetch_add(1);
      rebuild_retry_.erase(key);
      continue;
    }
    rebuild_failures_.fetch_add(1);
    auto& r = rebuild_retry_[key];
    r.delay_ms = r.delay_ms == 0 ? opt_.rebuild_retry_ms : std::min(2 * r.delay_ms, kMaxRebuildRetryMs);
    r.at = std::chrono::steady_clock::now() + std::chrono::milliseconds(r.delay_ms);
    r.error = st.to_string();
  }
}

Status ClusterNode::rebuild_replica(const ShardMap& m, uint32_t shard) {
  const std::string where = "shard " + std::to_string(shard) + " of '" + m.index + "'";
  MERIDIAN_ASSIGN_OR_RETURN(uint64_t first, client_->first_sequence(stream_name(m.index, shard)));
  MERIDIAN_ASSIGN_OR_RETURN(auto v, refresh_view());
  // Peers that can serve: in sync (caught up, not rebuilding themselves),
  // live, holding at least what the stream no longer has.
  struct Peer {
    std::string node, url;
    uint64_t applied;
  };
  std::vector<Peer> peers;
  if (auto rs = v->remote.find({m.index, shard}); rs != v->remote.end()) {
    for (const auto& [node, st] : rs->second) {
      auto u = v->urls.find(node);
      if (node == opt_.node_id || u == v->urls.end() || st.rebuilding || !st.caught_up || st.applied + 1 < first)
        continue;
      peers.push_back({node, u->second, st.applied});
    }
  }
  std::stable_sort(peers.begin(), peers.end(), [](const Peer& a, const Peer& b) { return a.applied > b.applied; });
  if (peers.empty())
    return Status::not_found("rebuilding " + where + ": no live in-sync peer replica holds sequence " +
                             std::to_string(first > 0 ? first - 1 : 0) + " (the stream starts at " +
                             std::to_string(first) + ")");
  if (!opt_.fetch_snapshot) return Status::unsupported("rebuilding " + where + ": no snapshot transfer configured");
  MERIDIAN_ASSIGN_OR_RETURN(auto schema, this->schema(m));
  const std::string staging = staging_dir_of(replica_dir(m, shard));
  const std::string name = m.index + "#" + std::to_string(shard);
  Status last;
  for (const auto& p : peers) {
    MERIDIAN_RETURN_IF_ERROR(fs::remove_all(staging));
    MERIDIAN_RETURN_IF_ERROR(fs::ensure_dir(staging));
    Status st = opt_.fetch_snapshot(SnapshotRequest{m.index, shard, m.uid, p.node, p.url}, staging);
    if (st) {
      auto seq = staged_log_sequence(staging, name, iopt_, *schema);
      if (!seq) {
        st = seq.status();
      } else if (*seq + 1 < first) {
        st = Status::not_found("its snapshot covers sequence " + std::to_string(*seq) + ", the stream starts at " +
                               std::to_string(first));
      } else {
        return swap_replica(m, shard, staging, *seq);
      }
    }
    last = st.with_context("rebuilding " + where + " from " + p.node);
  }
  (void)fs::remove_all(staging);
  return last;
}

Status ClusterNode::swap_replica(const ShardMap& m, uint32_t shard, const std::string& staging, uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = local_.find({m.index, shard});
  if (it == local_.end() || !it->second.runner->behind_retention()) {  // moved away or dropped meanwhile
    (void)fs::remove_all(staging);
    return Status::not_found("shard " + std::to_string(shard) + " of '" + m.index + "' is no longer rebuilt here");
  }
  it->second.runner->stop();
  (void)it->second.runner->index_ptr()->close();
  local_.erase(it);
  const std::string live = replica_dir(m, shard);
  Status swapped = swap_in_staged(staging, live);
  if (!swapped) {
    // The old replica is still in place: it runs again (and is found
    // behind retention again, so the next try comes after the back-off).
    (void)fs::remove_all(staging);
    Status back = start_replica(m, shard);
    return swapped.with_context(back ? "swapping in the rebuilt replica" : back.to_string());
  }
  Status opened = start_replica(m, shard);
  if (opened) {
    // The new runner consumes from its stored sequence + 1: what the staged
    // copy was found to cover.
    const uint64_t stored = local_[{m.index, shard}].runner->applied_seq();
    if (stored != seq)
      opened = Status::corruption(live + ": the rebuilt replica opened at sequence " + std::to_string(stored) +
                                  ", its snapshot covered " + std::to_string(seq));
    else
      return discard_old(live);
    local_[{m.index, shard}].runner->stop();
    (void)local_[{m.index, shard}].runner->index_ptr()->close();
    local_.erase({m.index, shard});
  }
  Status back = restore_old(live);
  if (back) back = start_replica(m, shard);
  return opened.with_context(back ? "opening the rebuilt replica" : "opening the rebuilt replica (" + back.to_string() + ")");
}

Result<index::BackupInfo> ClusterNode::snapshot_replica(const std::string& index, uint32_t shard,
                                                        const std::string& uid, const std::string& dest) {
  const std::string where = "shard " + std::to_string(shard) + " of '" + index + "'";
  MERIDIAN_ASSIGN_OR_RETURN(auto m, cached_shard_map(index));
  if (!m || m->uid != uid) return Status::not_found("no replica of " + where + " (creation " + uid + ") here");
  std::shared_ptr<index::Index> ix;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = local_.find({index, shard});
    if (it == local_.end()) return Status::not_found("no replica of " + where + " here");
    if (it->second.runner->behind_retention()) return Status::busy("the replica of " + where + " here is rebuilding");
    ix = it->second.runner->index_ptr();
  }
  return ix->backup(dest);
}

}  // namespace meridian::cluster
