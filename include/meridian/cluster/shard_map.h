// ShardMap: the placement record of one clustered index, as stored in the
// cluster's shard-map key-value bucket (key "index.<name>", value to_json()).
// It names the index's shard count, replica count, schema, search settings
// and, per shard, the nodes holding its replicas. `revision` is the KV revision it was read
// at; writers update it with compare-and-set on that revision
// (ShardMapStore), so two nodes rebalancing at once cannot both win.
//
// A value type; thread-safe as any value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "meridian/base/json.h"
#include "meridian/base/status.h"

namespace meridian::cluster {

// Limits on "shards" and "replicas" at index creation.
inline constexpr uint32_t kMaxShards = 256;
inline constexpr uint32_t kMaxReplicas = 16;

struct ShardMap {
  std::string index;
  std::string uid;  // unique per creation: a dropped and re-created index gets fresh replicas
  uint32_t shards = 1;
  uint32_t replicas = 1;
  // The index schema (Schema::to_json): as created, then as changed by
  // schema patches (ClusterNode::patch_schema), each bumping schema_version
  // (0: never changed). Replicas take changes from their stream's schema
  // records; this copy is what a new or rebuilt replica opens with.
  Json schema;
  uint64_t schema_version = 0;
  // The index's search settings (index_settings.h), in their stored form
  // (IndexSettings::to_stored_json; null = every default), and a counter
  // bumped by every change of them (0: never set).
  Json settings;
  uint64_t settings_version = 0;
  std::vector<std::vector<std::string>> assignment;  // [shard] -> nodes, best first
  uint64_t epoch = 0;                               // bumped by every rebalance
  uint64_t revision = 0;                            // KV revision (not serialized)

  Json to_json() const;
  // Validates shape and limits; errors are InvalidArgument naming the field.
  static Result<ShardMap> from_json(const Json& j);

  // The nodes of one shard (empty for an out-of-range shard).
  const std::vector<std::string>& nodes_of(uint32_t shard) const;
  // The shards a node holds a replica of.
  std::vector<uint32_t> shards_on(const std::string& node) const;

  // A copy placed on `live_nodes` by rendezvous hashing (placement.h), with
  // epoch+1 when the assignment changed. `moved` (optional) receives the
  // number of replicas that land on a node that did not hold them.
  ShardMap rebalanced(const std::vector<std::string>& live_nodes, size_t* moved = nullptr) const;
};

// Checks "shards" and "replicas" of an index-creation request (absent
// members default to 1). Errors are InvalidArgument naming the member.
Status validate_shard_counts(const Json& request, uint32_t* shards, uint32_t* replicas);

}  // namespace meridian::cluster
