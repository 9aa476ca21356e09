// ClusterNode: one Meridian node's part in a cluster (docs/CLUSTER.md). It
// connects to NATS, heartbeats its membership, and keeps a background loop
// that every `sync_ms`:
//   - reads the shard maps and places each index on the live nodes
//     (ShardMapStore::rebalance: compare-and-set, so concurrent nodes agree);
//   - runs a ReplicaRunner for every shard replica assigned to this node
//     (a plain Index under <dir>/<escaped index>/<shard>/) and stops those no
//     longer assigned; applies the index's search settings (stored in its
//     shard map) to every local replica;
//   - publishes each local replica's applied sequence to the key-value
//     bucket "meridian_replicas" (TTL = membership TTL), which is how every
//     node knows which replicas are in sync and how far behind they are.
// A thread of its own rebuilds the local replicas that fell behind their
// stream's retention (ReplicaRunner::behind_retention) from an in-sync peer
// replica (ClusterOptions::fetch_snapshot, replica_snapshot.h), retrying with
// a back-off while no peer can serve; meanwhile the replica is "rebuilding"
// and never searched.
// Writes (put/remove) are published to the document's shard stream and
// return after JetStream's ack, with the stream sequence to wait for; a bulk
// (put_batch) publishes all its documents before waiting for their acks.
//
// Routing metadata (live nodes, shard maps, remote replicas' progress) is
// read from NATS by each sync pass into a cached view that routes() and
// cached_shard_map() use, so a search makes no NATS round trip. The view is
// at most sync_ms old (a search finding it older refreshes it first): a node
// that dies stops being routed to within ttl_ms + sync_ms (docs/CLUSTER.md).
//
// NATS itself fails over: after a nats-server dies, the streams and buckets
// it led elect new leaders (4-9 s in nats-server 2.9), longer than the
// membership TTL, so every heartbeat and progress record may expire at once.
// Until NATS has answered every read and write of this node for
// ttl_ms + sync_ms ("settled", see settled()), a node neither rebalances
// (which would move every replica to the few nodes whose records survived)
// nor replaces its routing view, and a search never waits on NATS when it
// has a view (the last one keeps routing, as when NATS is unreachable).
//
// Ownership: owns its NatsClient, buckets, runners and replica indexes.
// Thread safety: every public method may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "meridian/base/json.h"
#include "meridian/base/status.h"
#include "meridian/cluster/membership.h"
#include "meridian/cluster/nats_client.h"
#include "meridian/cluster/replica_applier.h"
#include "meridian/cluster/replica_snapshot.h"
#include "meridian/cluster/shard_map_store.h"
#include "meridian/index/index.h"

namespace meridian::cluster {

struct ClusterOptions {
  std::vector<std::string> servers;  // nats:// URLs
  std::string node_id;
  std::string url;                   // this node's HTTP base URL
  std::string dir;                   // replica indexes live here
  int heartbeat_ms = 1000;
  int ttl_ms = 3000;
  int sync_ms = 500;
  int stream_replicas = 3;  // JetStream replicas of streams and buckets (<= servers)
  int64_t stream_max_bytes = int64_t{1} << 30;
  int timeout_ms = 2000;
  // A publish without an ack is retried (same Nats-Msg-Id, so stored once)
  // for at least 3 attempts and until this long after the first: a stream
  // whose leader died answers "no responders" until its replicas elect a
  // new one (4-9 s in nats-server 2.9).
  int publish_retry_ms = 12000;
  // Copies a peer replica's snapshot (the server's HTTP transfer); without
  // it a replica behind retention stays "rebuilding" (each try fails).
  SnapshotFetcher fetch_snapshot;
  // The first retry of a failed rebuild; doubled per failure up to 30 s.
  int rebuild_retry_ms = 1000;
};

struct WriteAck {
  uint32_t shard = 0;
  uint64_t seq = 0;
  bool duplicate = false;
};

// A replica a search of one shard can be sent to (ClusterNode::routes).
struct ReplicaRoute {
  std::string node;
  std::string url;   // the node's HTTP base URL
  bool local = false;
  uint64_t applied = 0;
};

struct ClusterCounters {
  uint64_t publishes = 0;
  uint64_t publish_failures = 0;
  uint64_t rebalances = 0;      // shard-map changes made by this node
  uint64_t replicas_local = 0;
  uint64_t replica_lag_max = 0;  // over local replicas
  uint64_t replica_errors = 0;
  uint64_t rebuilds = 0;          // replicas rebuilt from a peer by this node
  uint64_t rebuild_failures = 0;  // rebuild attempts that failed (retried)
  uint64_t replicas_rebuilding = 0;  // local replicas behind retention now
};

class ClusterNode {
 public:
  static Result<std::unique_ptr<ClusterNode>> start(ClusterOptions opt, index::IndexOptions iopt = {});
  ~ClusterNode();
  ClusterNode(const ClusterNode&) = delete;
  ClusterNode& operator=(const ClusterNode&) = delete;
  // Stops the loop and runners, deregisters, commits local replicas.
  void stop();

  const std::string& node_id() const { return opt_.node_id; }

  // Creates a clustered index: its streams, then its shard map placed on the
  // live nodes. AlreadyExists if the cluster has it. `settings`: the
  // index's initial search settings in their stored form
  // (IndexSettings::to_stored_json, validated by the caller), or null.
  Result<ShardMap> create_index(const std::string& name, const Json& schema, uint32_t shards, uint32_t replicas,
                                const Json& settings = Json());
  // Removes the shard map and streams; replicas stop at the next sync.
  Status drop_index(const std::string& name);
  Result<std::optional<ShardMap>> shard_map(const std::string& index);
  // shard_map() from the cached routing view (at most sync_ms old; read
  // from NATS when the view does not have the index).
  Result<std::optional<ShardMap>> cached_shard_map(const std::string& index);
  // The index schema of `m`, parsed once per index creation and schema
  // version (parsing builds every text analyzer). Every version parsed is
  // kept while the index exists, so a request may hold a raw pointer to it.
  Result<std::shared_ptr<const index::Schema>> schema(const ShardMap& m);
  // The search settings of `m` (parsed once per settings_version).
  Result<std::shared_ptr<const index::IndexSettings>> settings(const ShardMap& m);
  // Applies a JSON merge patch to the settings of a clustered index
  // (index::patch_index_settings against its schema: InvalidArgument as on
  // one node, nothing stored) and stores them in its shard map by
  // compare-and-set on the revision read (re-read and re-validated on a
  // conflict). Returns the map stored once every node routes with it: the
  // local replicas have applied the settings, and sync_ms has passed since
  // the store (a router's view is at most sync_ms old).
  Result<ShardMap> patch_settings(const std::string& index, const Json& patch);
  // Adds fields to the schema of a clustered index, as a single node's
  // PATCH /v1/indexes/{index} does: `body` is checked against the schema of
  // the shard map read (index::check_schema_change: the single node's
  // InvalidArgument / AlreadyExists, with their error members in *extra;
  // nothing stored or published), the new schema stored in the shard map by
  // compare-and-set on its revision (re-read and re-checked on a conflict),
  // then a schema record (LogRecord kSchema, the whole schema) published to
  // every shard, so each replica adds the fields at that position of its
  // log: every write acknowledged after this returns is applied with them.
  // The record is published even when nothing changed, so resending a
  // change repairs a shard that missed it. Returns once every shard
  // acknowledged the record and sync_ms has passed since the store (every
  // router then parses with the new schema); IOError naming the shards
  // that did not acknowledge (the schema is stored: resend).
  struct SchemaPatch {
    ShardMap map;                    // as stored
    std::vector<std::string> added;  // the fields new to the schema
  };
  Result<SchemaPatch> patch_schema(const std::string& index, const Json& body, Json* extra);
  // Refreshes the local replica of (index, shard) (Index::refresh) once it
  // has applied stream sequence `seq`, waiting up to timeout_ms for that
  // (Busy after). Returns the sequence it had applied. NotFound without a
  // local replica.
  Result<uint64_t> refresh_replica(const std::string& index, uint32_t shard, uint64_t seq, int timeout_ms);
  // The names of the clustered indexes.
  Result<std::vector<std::string>> index_names() { return maps_->list(); }

  // Publishes a put to the document's shard; InvalidArgument for a document
  // without a valid id; IOError when JetStream did not ack.
  Result<WriteAck> put(const std::string& index, const Json& doc);
  Result<WriteAck> remove(const std::string& index, const std::string& id);
  // The same with a shard map already read (one read for a whole bulk request).
  Result<WriteAck> put(const ShardMap& m, const Json& doc);
  Result<WriteAck> remove(const ShardMap& m, const std::string& id);
  // Publishes a JSON merge patch of document `id` to its shard: every
  // replica applies it to the document it holds at that stream position
  // (LogRecord kPatch), so concurrent patches compose in stream order.
  Result<WriteAck> patch(const ShardMap& m, const std::string& id, const Json& patch, bool upsert);
  // Publishes a put of every document without waiting for each ack (see
  // NatsClient::publish_batch), returning once every ack arrived or failed:
  // one result per document, in order, as put() would return it. A publish
  // without an ack is retried with its own Nats-Msg-Id (stored once), except
  // when a later document of the batch with the same id was acknowledged
  // (a retry would overwrite it): that one fails with IOError.
  std::vector<Result<WriteAck>> put_batch(const ShardMap& m, const std::vector<Json>& docs);
  // Publishes a truncate (LogRecord kTruncate) to every shard of `m` at
  // once, each with its own Nats-Msg-Id reused by its retries (stored
  // once), and waits for the acks: result s is shard s's ack, or the error
  // of its last attempt. Each replica empties itself at that position of its
  // shard's log; a shard that acknowledged stays truncated whatever the
  // others answered.
  std::vector<Result<WriteAck>> truncate(const ShardMap& m);
  // The last sequence of a shard's stream (0 when empty).
  Result<uint64_t> last_sequence(const std::string& index, uint32_t shard);
  // Per shard of `m`, from the cached routing view, the replicas a search may use: assigned, on a live
  // node, with a fresh progress entry, caught up with the stream once (a
  // replica still replaying it is left out); the most advanced first (a local
  // replica's sequence is live, a remote one's as of its last sync pass),
  // the local one first among equals. An empty list: no reachable replica.
  Result<std::vector<std::vector<ReplicaRoute>>> routes(const ShardMap& m);
  // Waits until every replica of the shard assigned to a live node has
  // applied (made searchable) `seq`. Busy on timeout.
  Status wait_for(const std::string& index, uint32_t shard, uint64_t seq, int timeout_ms);

  // One reconcile pass (the background loop calls it; tests may too).
  Status sync();
  // The local replica of (index, shard), or nullptr.
  std::shared_ptr<index::Index> local_replica(const std::string& index, uint32_t shard);
  // Applied sequence of each replica of a shard, by node (fresh entries only).
  Result<std::map<std::string, uint64_t>> replica_progress(const std::string& index, uint32_t shard);

  // A consistent snapshot (Index::backup) of the local replica of (index,
  // shard) into `dest`, for a peer rebuilding its own: NotFound unless this
  // node hosts that replica of the index creation `uid`, Busy while the
  // replica is itself behind retention.
  Result<index::BackupInfo> snapshot_replica(const std::string& index, uint32_t shard, const std::string& uid,
                                             const std::string& dest);
  // The ids of the live nodes (membership), sorted.
  Result<std::vector<std::string>> live_node_ids();
  // Opens (creating) a key-value bucket with the replicas of the node's
  // buckets (ClusterOptions::stream_replicas); ttl_ms 0: entries never expire.
  Result<std::unique_ptr<KvBucket>> open_bucket(const std::string& name, int64_t ttl_ms, int history);
  int sync_ms() const { return opt_.sync_ms; }

  // GET /v1/cluster: nodes, indexes, shards, replicas (node, applied, lag, state).
  Result<Json> status();
  // True when no NATS read or write of this node's metadata (membership,
  // shard maps, progress, routing view) failed for ttl_ms + sync_ms: long
  // enough for every live node to have rewritten its records after an outage.
  bool settled() const;
  ClusterCounters counters();

 private:
  ClusterNode(ClusterOptions opt, index::IndexOptions iopt) : opt_(std::move(opt)), iopt_(iopt) {}
  struct Local {
    std::unique_ptr<ReplicaRunner> runner;
  };
  struct ReplicaState {
    uint64_t applied = 0;
    bool caught_up = false;  // reached the stream's head once (ReplicaRunner::caught_up)
    bool rebuilding = false;  // behind retention (ReplicaRunner::behind_retention)
  };
  // What routing reads from NATS, as of `taken`; immutable once built.
  struct RoutingView {
    std::chrono::steady_clock::time_point taken;
    std::map<std::string, std::string> urls;  // live node id -> HTTP base URL
    std::map<std::string, ShardMap> maps;     // by index name
    // (index, shard) -> state of each replica on another node, by node
    std::map<std::pair<std::string, uint32_t>, std::map<std::string, ReplicaState>> remote;
    std::map<std::pair<std::string, uint32_t>, uint64_t> heads;  // stream heads, read for catching-up replicas only
  };
  // Reads a new routing view from NATS and installs it.
  // Installed as read while settled(); otherwise it is merged into the
  // installed view (merged_view), so a read during an outage adds what it
  // found and never drops what expired.
  Result<std::shared_ptr<const RoutingView>> refresh_view();
  // refresh_view() by one caller at a time (refreshing_): null when another
  // caller is already reading, or when the read failed.
  std::shared_ptr<const RoutingView> refresh_view_once();
  static std::shared_ptr<const RoutingView> merged_view(const RoutingView& old,
                                                        std::shared_ptr<const RoutingView> fresh);
  // Reads a routing view from NATS.
  Result<std::shared_ptr<const RoutingView>> read_view();
  // The installed view, refreshed first when older than sync_ms (the old
  // one is kept if NATS does not answer).
  Result<std::shared_ptr<const RoutingView>> view();
  std::string next_msg_id();
  // routes() on `v`; *incomplete when a replica on a live node was left out
  // (no progress in `v`, or catching up).
  std::vector<std::vector<ReplicaRoute>> routes_in(const RoutingView& v, const ShardMap& m, bool* incomplete);
  // Publishes the local replica's applied sequence (and caught-up flag) to
  // the progress bucket now; the sequence published (0 if the put failed),
  // nullopt without a local replica of (index, shard).
  std::optional<uint64_t> publish_progress(const std::string& index, uint32_t shard);
  uint64_t publish_progress_locked(const std::string& index, uint32_t shard, const ReplicaRunner& r);  // REQUIRES(mu_)
  // Fresh state of each replica of a shard, by node.
  Result<std::map<std::string, ReplicaState>> replica_states(const std::string& index, uint32_t shard);
  Result<WriteAck> publish(const std::string& index, uint32_t shard, const std::string& body);
  Result<WriteAck> publish(const std::string& index, uint32_t shard, const std::string& body, const std::string& id);
  // Publishes `body` to every shard of `m` at once, each message with its
  // own Nats-Msg-Id reused by its retries; result s is shard s's ack or the
  // error of its last attempt (`what` names the record in it).
  std::vector<Result<WriteAck>> publish_to_shards(const ShardMap& m, const std::string& body, const std::string& what);
  Status start_replica(const ShardMap& m, uint32_t shard);  // REQUIRES(mu_)
  std::string replica_dir(const ShardMap& m, uint32_t shard) const;
  // The rebuild thread: every sync_ms, rebuilds the local replicas behind
  // retention whose retry time has come.
  void rebuild_loop();
  void rebuild_due();
  // One rebuild of the local replica of (m, shard): the peers, most
  // advanced first, until one's snapshot covers the stream's first
  // sequence - 1; then the swap (swap_replica).
  Status rebuild_replica(const ShardMap& m, uint32_t shard);
  // Replaces the local replica by the one staged in `staging` (covering
  // `seq`); the old one is removed once the new one opened.
  Status swap_replica(const ShardMap& m, uint32_t shard, const std::string& staging, uint64_t seq);
  // Makes ix's settings those of `m` when they differ (stored in the
  // replica's SETTINGS file, so a restart opens with them).
  Status apply_settings(const ShardMap& m, index::Index& ix);
  void loop();
  // Whether to make publish attempt `attempt` (0 first) of a write that
  // started at `start` (ClusterOptions::publish_retry_ms); sleeps the backoff
  // before a retry.
  bool retry_publish(int attempt, std::chrono::steady_clock::time_point start) const;
  // Records a failed NATS metadata read or write (see settled()).
  void note_nats_failure();

  const ClusterOptions opt_;
  const index::IndexOptions iopt_;
  std::unique_ptr<NatsClient> client_;
  std::unique_ptr<Membership> members_;
  std::unique_ptr<ShardMapStore> maps_;
  std::unique_ptr<KvBucket> progress_;
  std::atomic<uint64_t> msg_counter_{0};
  std::atomic<uint64_t> publishes_{0}, publish_failures_{0}, rebalances_{0};
  std::mutex mu_;
  std::map<std::pair<std::string, uint32_t>, Local> local_;  // GUARDED_BY(mu_)
  std::map<std::string, uint64_t> last_seq_;                 // GUARDED_BY(mu_) stream -> last seq seen
  struct RebuildRetry {
    std::chrono::steady_clock::time_point at;
    int delay_ms = 0;
    std::string error;  // of the last attempt
  };
  std::map<std::pair<std::string, uint32_t>, RebuildRetry> rebuild_retry_;  // GUARDED_BY(mu_)
  std::atomic<uint64_t> rebuilds_{0}, rebuild_failures_{0};
  std::thread rebuild_thread_;
  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool stop_ = false;  // GUARDED_BY(loop_mu_)
  std::thread thread_;
  std::string start_id_;  // unique per process start: part of every Nats-Msg-Id
  std::mutex view_mu_;
  std::shared_ptr<const RoutingView> view_;  // GUARDED_BY(view_mu_)
  std::atomic<bool> refreshing_{false};       // a search is reading a new view
  std::atomic<int64_t> nats_failure_ms_{0};   // steady ms of the last failed metadata op, 0: none
  std::mutex schema_mu_;
  // GUARDED_BY(schema_mu_), by schema_key(): index "/" uid "/" schema_version
  std::map<std::string, std::shared_ptr<const index::Schema>> schemas_;
  // By schema_key(): the settings_version parsed and its settings (parsed
  // against that schema version).
  std::map<std::string, std::pair<uint64_t, std::shared_ptr<const index::IndexSettings>>>
      settings_;  // GUARDED_BY(schema_mu_)
};

}  // namespace meridian::cluster
