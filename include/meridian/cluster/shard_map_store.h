// ShardMapStore: the shard maps of all clustered indexes, in the JetStream
// key-value bucket "meridian_shards" (key "index.<escaped name>", value
// ShardMap::to_json()). Every change is a compare-and-set on the revision the
// writer read (KvBucket::update), so concurrent rebalances by two nodes
// cannot both apply: the loser re-reads and recomputes.
//
// Thread safety: all methods may be called from any thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "meridian/base/status.h"
#include "meridian/cluster/nats_client.h"
#include "meridian/cluster/shard_map.h"

namespace meridian::cluster {

class ShardMapStore {
 public:
  inline static const std::string kBucket = "meridian_shards";
  static Result<std::unique_ptr<ShardMapStore>> open(NatsClient& client, int replicas = 3);

  // nullopt when the index is not clustered (or does not exist).
  Result<std::optional<ShardMap>> get(const std::string& index);
  // Stores a new map; AlreadyExists if the index has one. Returns it with
  // its revision.
  Result<ShardMap> create(const ShardMap& map);
  // Compare-and-set on map.revision; AlreadyExists on a conflict.
  Result<ShardMap> update(const ShardMap& map);
  Status remove(const std::string& index);
  // Every clustered index name, sorted.
  Result<std::vector<std::string>> list();
  // Read, change, compare-and-set, re-read and change again on a conflict
  // (up to 10 times): `change` gets the index's current map and returns
  // the map to store, or nullopt to keep it (then that map is returned);
  // its error ends the loop. NotFound without a map; Busy after 10
  // conflicts ("<what> of '<index>': too many concurrent updates").
  using Change = std::function<Result<std::optional<ShardMap>>(const ShardMap& current)>;
  Result<ShardMap> modify(const std::string& index, const std::string& what, const Change& change);
  // Places the index on `live_nodes` (modify with a rebalance). `moved`
  // receives the replicas moved.
  Result<ShardMap> rebalance(const std::string& index, const std::vector<std::string>& live_nodes,
                             size_t* moved = nullptr);

 private:
  explicit ShardMapStore(std::unique_ptr<KvBucket> kv) : kv_(std::move(kv)) {}
  std::unique_ptr<KvBucket> kv_;
};

}  // namespace meridian::cluster
