// ClusterWatch: one client's live query (GET /v1/indexes/{index}/watch) on
// a clustered index, through whichever node received it (docs/CLUSTER.md,
// "Live queries on a clustered index").
//
// One feed thread per shard streams the shard from one in-sync replica: in
// process through this node's WatchHub when the node holds a replica of the
// shard, otherwise over a streaming HTTP GET of the replica node's internal
// route GET /v1/indexes/{index}/shards/{shard}/watch (the single-node watch
// of that replica, which first says which ring and position it streams
// from). Feeds put what they receive into one queue that the HTTP handler
// drains (next()) and renders with WatchStreamIds. A feed whose stream
// breaks (the node died, the replica moved or was rebuilt, the replica's
// watcher was dropped) reconnects: to the same replica from its position
// when that replica is still in sync (exact, while its ring holds it),
// otherwise to another in-sync replica from now, saying so with a hello
// that carries a gap. A new watcher of the same replica sends a delete only
// for documents it knows matched: a local one is given the ids the client
// holds as matched (the feed keeps them, as the hub's watcher does); a
// remote one cannot be, so that resubscription carries a gap too. Once the
// index is dropped (or dropped and re-created) the stream ends (kGone).
//
// Ownership: owns its feed threads; stop() (or the destructor) stops and
// joins them, closing their subscriptions and connections: within about a
// second (a remote stream heartbeats every replica_heartbeat_ms), but up to
// read_timeout_ms while a replica node is silent (dead or cut off).
// Thread safety: next() is for one consumer thread; stop() may be called
// from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "meridian/cluster/cluster_node.h"
#include "meridian/index/index.h"
#include "meridian/query/search_request.h"
#include "meridian/server/watch_hub.h"
#include "watch_cursor.h"

namespace meridian::server {

// The JSON data of a watch event (docs/API.md "Live queries"): {"id","seq",
// "source"} for a match, {"id","seq"} for a delete, {"seq"} for a truncate;
// with shard >= 0, "shard" after "seq". And the event's SSE name.
std::string watch_event_data(const WatchEvent& e, int shard = -1);
const char* watch_event_name(WatchEvent::Kind k);

struct ClusterWatchOptions {
  std::string index;
  uint32_t shards = 0;
  std::string node_id;  // this node: its replicas are streamed in process
  // The selection parameters (q, filter, ...) as the client sent them,
  // passed on to the replica nodes' internal route.
  std::vector<std::pair<std::string, std::string>> params;
  std::string auth;  // the client's Authorization header, forwarded
  size_t queue_limit = 10000;      // undelivered items past which the stream is dropped
  int replica_heartbeat_ms = 1000;  // asked of the replica streams: bounds how long a stop waits
  int read_timeout_ms = 5000;       // a replica stream silent this long is broken
  int retry_ms = 500;               // between reconnection attempts, doubling while they fail
  int max_retry_ms = 5000;          // up to this
};

// How a feed finds the replicas of a shard (ServerImpl gives ClusterNode's).
struct ClusterWatchPeers {
  // The shard's in-sync replicas now (ClusterNode::routes).
  std::function<std::vector<cluster::ReplicaRoute>(uint32_t shard)> routes;
  // This node's replica of the shard, or null.
  std::function<std::shared_ptr<index::Index>(uint32_t shard)> local_replica;
  // True once the index streamed is gone: dropped, or dropped and created
  // again (another shard map uid). Null: never.
  std::function<bool()> gone;
};

class ClusterWatch {
 public:
  // `start`: the cursors of the client's Last-Event-ID (one per shard), or
  // none known; with `resumed`, a shard without a known cursor starts with
  // a gap. `hub_subscriptions` counts the in-process subscriptions open.
  ClusterWatch(WatchHub& hub, ClusterWatchPeers peers, ClusterWatchOptions opt, query::SearchRequest req,
               std::vector<ShardCursor> start, bool resumed, std::atomic<int64_t>* hub_subscriptions);
  ~ClusterWatch();
  ClusterWatch(const ClusterWatch&) = delete;
  ClusterWatch& operator=(const ClusterWatch&) = delete;

  void start();
  // Stops and joins every feed: within about replica_heartbeat_ms, or up
  // to read_timeout_ms while a feed waits on a silent replica node.
  void stop();
  // Until every shard's feed said hello (subscribed somewhere) or timeout_ms passed.
  bool wait_subscribed(int timeout_ms);

  enum class Wait { kItems, kTimeout, kDropped, kGone };
  // Waits up to timeout_ms, then moves the queued items to *out (kItems).
  // kDropped once the queue overflowed (the client reads too slowly);
  // kGone once the index is gone and every item before was taken.
  Wait next(std::vector<ClusterWatchItem>* out, int timeout_ms);

 private:
  struct Feed;
  // kBroken: the replica failed (another one is tried first next);
  // kDropped: its watcher was dropped (resumed on the same replica).
  enum class Outcome { kBroken, kDropped, kStopped };
  void run_feed(uint32_t shard);
  Outcome stream_local(Feed& f, const cluster::ReplicaRoute& r, std::shared_ptr<index::Index> ix);
  Outcome stream_remote(Feed& f, const cluster::ReplicaRoute& r);
  // The hello of a new subscription of f's shard; updates f's position.
  // `fresh_watcher`: the replica's new watcher does not know which
  // documents the client holds as matched (their deletes may be missed).
  void hello(Feed& f, const std::string& node, uint64_t ring, uint64_t from, bool replica_gap, bool fresh_watcher);
  // What the client was sent of f's shard, as the hub's watcher tracks it.
  void track(Feed& f, WatchEvent::Kind kind, const std::string& id);
  bool push(ClusterWatchItem item);  // false once dropped or stopping
  bool stopped() const { return stop_.load(); }
  void sleep_ms(int ms);

  WatchHub& hub_;
  const ClusterWatchPeers peers_;
  const ClusterWatchOptions opt_;
  const query::SearchRequest req_;
  std::atomic<int64_t>* hub_subs_;
  std::vector<std::unique_ptr<Feed>> feeds_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;          // the consumer: items, drop
  std::condition_variable stop_cv_;     // feeds sleeping between attempts
  std::deque<ClusterWatchItem> queue_;  // GUARDED_BY(mu_)
  bool dropped_ = false;                // GUARDED_BY(mu_)
  bool gone_ = false;                   // GUARDED_BY(mu_)
  size_t hellos_ = 0;                   // shards subscribed at least once; GUARDED_BY(mu_)
};

}  // namespace meridian::server
