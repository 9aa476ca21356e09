// AliasDirectory: the aliases of clustered indexes, cluster-wide
// (docs/CLUSTER.md "Aliases of clustered indexes"). Every alias whose target
// is a clustered index lives in ONE record, the key "aliases" of the shard-map
// bucket "meridian_shards" (beside the "index.<name>" shard maps, which
// ShardMapStore::list never confuses with it):
//
//   {"version": 1, "aliases": {"<alias>": "<clustered index>", ...}}
//
// One record, so a request that switches several aliases is one
// compare-and-set on its revision: every node sees all of its actions or none,
// as a single node's POST /v1/aliases promises. A concurrent change makes the
// compare-and-set fail; update() then re-reads and re-applies the change.
//
// Reads come from a cached copy at most `ttl_ms` old (the node's sync_ms, the
// bound the shard maps' routing view has): a lookup that finds it older reads
// NATS first, one caller at a time (the others use the old copy meanwhile). While
// `settled` is false (NATS failing over, ClusterNode::settled) a lookup that
// has a copy never waits on NATS, and after a failed read the copy is kept and
// NATS is not asked again for ttl_ms. update() answers ttl_ms after its store,
// so once it returns every node resolves with the new aliases.
//
// Ownership: owns its KvBucket handle (the NatsClient must outlive it).
// Thread safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "meridian/base/status.h"
#include "meridian/cluster/nats_client.h"

namespace meridian::cluster {

// alias -> clustered index, sorted by alias.
using AliasMap = std::map<std::string, std::string>;

// The record's bytes, and back. decode refuses (Corruption) anything but a
// version-1 record of valid alias and index names.
std::string encode_alias_record(const AliasMap& aliases);
Result<AliasMap> decode_alias_record(std::string_view bytes);

class AliasDirectory {
 public:
  inline static const std::string kKey = "aliases";
  // Binds to the bucket (`kv`, normally "meridian_shards"). `settled` says
  // whether NATS answered lately (a lookup then may wait on it).
  AliasDirectory(std::unique_ptr<KvBucket> kv, int ttl_ms, std::function<bool()> settled)
      : kv_(std::move(kv)), ttl_(ttl_ms), settled_(std::move(settled)) {}

  // Every alias of a clustered index, as of at most ttl_ms ago. IOError only
  // when NATS never answered this directory.
  Result<std::shared_ptr<const AliasMap>> aliases();
  // The clustered index `name` is an alias of (nullopt: none, or no copy yet).
  std::optional<std::string> resolve(const std::string& name);

  // Applies `change` to the aliases as stored now and stores the result by
  // compare-and-set on the revision read (re-read and re-applied on a
  // conflict, at most 10 times, then Busy). An error from `change` is
  // returned and nothing is stored. Returns the stored aliases once ttl_ms
  // has passed since the store (every node's copy is then at least as new).
  Result<AliasMap> update(const std::function<Result<AliasMap>(const AliasMap&)>& change);

 private:
  struct Copy {
    std::shared_ptr<const AliasMap> aliases;
    std::chrono::steady_clock::time_point taken;  // when the read that produced it started
  };
  // The record as stored now, with its revision (0: never written).
  Result<std::pair<AliasMap, uint64_t>> read();
  void install(AliasMap aliases, std::chrono::steady_clock::time_point taken);

  std::unique_ptr<KvBucket> kv_;
  const std::chrono::milliseconds ttl_;
  const std::function<bool()> settled_;
  std::mutex mu_;
  std::optional<Copy> copy_;                              // GUARDED_BY(mu_)
  std::chrono::steady_clock::time_point failed_at_{};     // GUARDED_BY(mu_) last failed read
  std::atomic<bool> reading_{false};                      // one caller reads NATS at a time
};

}  // namespace meridian::cluster
