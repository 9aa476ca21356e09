// Live queries on a clustered index (docs/CLUSTER.md, "Live queries on a
// clustered index"):
//   GET /v1/indexes/{index}/watch                   on a clustered index: every shard's stream, merged
//   GET /v1/indexes/{index}/shards/{shard}/watch    internal: the single-node watch of this node's replica

#include "cluster_watch.h"
#include "meridian/query/live_query.h"
#include "server_impl.h"
#include "sse_stream.h"

namespace meridian::server {
namespace {

// How long the first bytes of a clustered stream wait for every shard to be
// subscribed: once they arrive, writes acknowledged after are streamed.
constexpr int kSubscribeWaitMs = 5000;

}  // namespace

void ServerImpl::watch_clustered(const cluster::ShardMap& m, const WatchParams& wp, const httplib::Request& req,
                                 httplib::Response& res) {
  // The query must apply to the index's fields: checked here against the
  // cluster's schema, the single node's 400 before the stream starts.
  auto schema = cluster_->schema(m);
  if (!schema) return send_error(res, 503, "cluster state unavailable: " + schema.status().message());
  if (auto live = query::LiveQuery::compile(*schema, wp.request); !live)
    return send_error(res, live.status(), error_path(live.status()));
  std::vector<ShardCursor> start;
  if (!wp.last_event_id.empty()) {
    auto d = decode_watch_id(wp.last_event_id);
    if (!d) return send_error(res, d.status(), Json(Json::Object{{"path", Json("Last-Event-ID")}}));
    // An id of another index creation (another shard count) resumes nothing.
    if (d->size() == m.shards) start = std::move(*d);
  }
  ClusterWatchOptions opt;
  opt.index = m.index;
  opt.shards = m.shards;
  opt.node_id = cluster_->node_id();
  opt.params = wp.params;
  opt.auth = req.get_header_value("Authorization");
  ClusterWatchPeers peers;
  const std::string index = m.index;
  peers.routes = [this, index](uint32_t shard) {
    std::vector<cluster::ReplicaRoute> out;
    auto map = cluster_->cached_shard_map(index);  // the view: no NATS round trip
    if (!map || !*map || shard >= (*map)->shards) return out;
    auto routes = cluster_->routes(**map);
    if (routes) out = std::move((*routes)[shard]);
    return out;
  };
  peers.local_replica = [this, index](uint32_t shard) { return cluster_->local_replica(index, shard); };
  // Dropped, or dropped and created again (another uid): the stream ends.
  // A NATS failure is not that (the feed retries).
  peers.gone = [this, index, uid = m.uid] {
    auto map = cluster_->cached_shard_map(index);
    return map && (!*map || (*map)->uid != uid);
  };
  if (start.empty()) start.resize(m.shards);
  auto ids = std::make_shared<WatchStreamIds>(start);
  auto watch = std::make_shared<ClusterWatch>(hub_, std::move(peers), std::move(opt), wp.request, std::move(start),
                                              !wp.last_event_id.empty(), &shard_watch_subscriptions_);
  watch->start();
  cluster_watch_streams_.fetch_add(1);
  auto preamble = [watch, index] {
    // Every shard subscribed (or the wait ran out: late shards join with a
    // reset) before the client is told the stream is open.
    watch->wait_subscribed(kSubscribeWaitMs);
    return "retry: 1000\n: watching " + index + "\n\n";
  };
  auto poll = [watch, ids, index, items = std::make_shared<std::vector<ClusterWatchItem>>()](std::string* out) {
    items->clear();
    switch (watch->next(items.get(), 200)) {
      case ClusterWatch::Wait::kDropped:
        *out = sse_dropped_event();
        return SsePoll::kEnd;
      case ClusterWatch::Wait::kGone:  // what was queued before went out first
        *out = sse_closed_event(index);
        return SsePoll::kEnd;
      case ClusterWatch::Wait::kTimeout:
        return SsePoll::kIdle;
      case ClusterWatch::Wait::kItems:
        break;
    }
    for (const auto& it : *items) *out += ids->render(it);
    return SsePoll::kData;
  };
  serve_sse(res, std::move(preamble), wp.heartbeat_ms, stopping_, std::move(poll), [this, watch] {
    watch->stop();  // joins the feeds: their subscriptions and connections close
    cluster_watch_streams_.fetch_sub(1);
  });
}

void ServerImpl::install_clustered_watch_routes() {
  route("GET", "/v1/indexes/{index}/shards/{shard}/watch", [this](const httplib::Request& req, httplib::Response& res) {
    uint32_t shard = 0;
    auto m = shard_route_target(req, res, &shard);
    if (!m) return;
    WatchParams wp;
    if (!parse_watch_params(req, res, {"ring"}, &wp)) return;
    std::optional<uint64_t> after, ring;
    if (!wp.last_event_id.empty()) {
      uint64_t v = 0;
      if (!parse_u64(wp.last_event_id, 10, &v))
        return send_error(res, 400, "last_event_id: expected a sequence number", Json(Json::Object{{"path", Json("last_event_id")}}));
      after = v;
      const std::string r = req.get_param_value("ring");
      uint64_t rv = 0;
      if (!parse_u64(r, 16, &rv))
        return send_error(res, 400, "ring: expected the hexadecimal ring of last_event_id", Json(Json::Object{{"path", Json("ring")}}));
      ring = rv;
    }
    const std::string name = m->index;
    auto ix = cluster_->local_replica(name, shard);
    if (!ix)
      return send_error(res, 404, "node '" + cluster_->node_id() + "' holds no replica of shard " + std::to_string(shard) +
                                      " of '" + name + "'",
                        Json(Json::Object{{"index", Json(name)}}));
    auto subscribed = hub_.subscribe(ix, wp.request, after, ring);
    if (!subscribed) return send_error(res, subscribed.status());
    auto watcher = *subscribed;
    shard_watch_subscriptions_.fetch_add(1);
    // Which ring and position this stream starts from: the router's cursor.
    std::string hello = "{\"node\":";
    append_json_string(&hello, cluster_->node_id());
    hello += ",\"shard\":" + std::to_string(shard) + ",\"ring\":\"" + hex_u64(watcher->ring()) +
             "\",\"from\":" + std::to_string(watcher->from_seq()) + ",\"gap\":" + (watcher->gap() ? "true" : "false") + "}";
    std::string preamble = "retry: 1000\n: watching " + name + " shard " + std::to_string(shard) +
                           "\n\nevent: replica\ndata: " + hello + "\n\n";
    // The stream ends once this node no longer holds that replica (moved
    // away, rebuilt): the router then streams the shard from another.
    auto check_at = std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
    std::weak_ptr<index::Index> weak = ix;
    auto still_valid = [this, name, shard, weak, check_at] {
      auto now = std::chrono::steady_clock::now();
      if (now < *check_at) return true;
      *check_at = now + std::chrono::seconds(1);
      auto cur = cluster_->local_replica(name, shard);
      return cur && cur == weak.lock();
    };
    stream_watcher(res, ix, watcher, wp.heartbeat_ms, std::move(preamble), static_cast<int>(shard), still_valid,
                   [this] { shard_watch_subscriptions_.fetch_sub(1); });
  });
}

}  // namespace meridian::server
