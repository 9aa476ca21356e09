// Placement: where documents and shard replicas live in a cluster.
//
// Documents go to shards by a stable hash of their external id
// (shard_of): the hash is fixed by this file (64-bit FNV-1a followed by the
// murmur3 finalizer), so every node, every build and every restart agree on
// it. The shard count of an index is fixed at creation, so the mapping never
// changes during the index's life.
//
// Shard replicas go to nodes by rendezvous ("highest random weight")
// hashing: each node gets a pseudo-random weight per (index, shard), and the
// R nodes with the highest weights hold the R replicas. Adding a node N+1
// takes over a replica only where it ranks among a shard's top R, so about
// R/(N+1) of the shards — 1/(N+1) of all replicas — move; removing a node
// moves exactly the replicas it held. No other replica moves.
//
// Pure functions over value types; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace meridian::cluster {

// The stable 64-bit hash used for all placement decisions.
uint64_t stable_hash(std::string_view bytes);

// The shard (0 .. shards-1) of a document id; shards must be >= 1.
uint32_t shard_of(std::string_view doc_id, uint32_t shards);

// The rendezvous weight of `node` for replica placement of (index, shard).
uint64_t placement_weight(std::string_view index, uint32_t shard, std::string_view node);

// The nodes holding the replicas of (index, shard): the min(replicas,
// nodes.size()) nodes with the highest weight, highest first (ties broken by
// node name, so the result does not depend on the order of `nodes`).
std::vector<std::string> place_replicas(std::string_view index, uint32_t shard, uint32_t replicas,
                                        const std::vector<std::string>& nodes);

// The node that runs CDC source `source` of a clustered index: the one of
// `nodes` with the highest rendezvous weight for (index, source), ties broken
// by node name; "" when `nodes` is empty. A node joining takes over about
// 1/(N+1) of the sources; a node leaving hands over exactly the ones it ran.
std::string source_owner(std::string_view index, std::string_view source, const std::vector<std::string>& nodes);

// Replica sets of every shard of an index: result[s] = place_replicas(s).
std::vector<std::vector<std::string>> place_index(std::string_view index, uint32_t shards, uint32_t replicas,
                                                  const std::vector<std::string>& nodes);

// How many replicas of `after` sit on a node that did not hold that shard in
// `before` (shard by shard; both must have the same shard count). This is
// the number of replicas that must be copied when moving from one placement
// to the other.
size_t moved_replicas(const std::vector<std::vector<std::string>>& before,
                      const std::vector<std::vector<std::string>>& after);

}  // namespace meridian::cluster
