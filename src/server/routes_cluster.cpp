// Routes and lifecycle of cluster mode (docs/CLUSTER.md). The only place the
// server touches the cluster module; on a single node (no --cluster) the
// node is never started and GET /v1/cluster says so.
//   GET /v1/cluster   nodes, indexes, shards, replicas (applied sequence, lag, state),
//                     and this node's search router's view of each node ("router")
// (The snapshot routes a rebuilding replica copies from: routes_replica_snapshot.cpp.)
#include "server_impl.h"

namespace meridian::server {

Status ServerImpl::start_cluster() {
  if (opt_.cluster.empty() || cluster_) return Status::ok();
  cluster::ClusterOptions co;
  co.servers = opt_.cluster;
  co.node_id = opt_.node_id;
  const bool v6 = opt_.host.find(':') != std::string::npos;
  co.url = "http://" + (v6 ? "[" + opt_.host + "]" : opt_.host) + ":" + std::to_string(port_);
  co.dir = fs::join(opt_.data_dir, "cluster");
  co.stream_replicas = static_cast<int>(std::min<size_t>(3, opt_.cluster.size()));
  co.stream_max_bytes = opt_.cluster_stream_max_bytes;
  co.fetch_snapshot = [key = opt_.master_key](const cluster::SnapshotRequest& req, const std::string& staging) {
    return fetch_replica_snapshot(req, staging, key);
  };
  auto node = cluster::ClusterNode::start(co);
  if (!node) return node.status().with_context("--cluster");
  cluster_ = std::move(*node);
  auto sources = cluster::ClusterSources::start(*cluster_);
  if (!sources) return sources.status().with_context("--cluster: CDC sources");
  cluster_sources_ = std::move(*sources);
  // Aliases of clustered indexes: the record "aliases" of the shard-map bucket.
  auto kv = cluster_->open_bucket(cluster::ShardMapStore::kBucket, 0, 5);
  if (!kv) return kv.status().with_context("--cluster: aliases");
  cluster_aliases_ = std::make_unique<cluster::AliasDirectory>(std::move(*kv), cluster_->sync_ms(),
                                                               [n = cluster_.get()] { return n->settled(); });
  return Status::ok();
}

void ServerImpl::stop_cluster() {
  if (cluster_sources_) cluster_sources_->stop();  // flushes their positions while NATS is still there
  if (cluster_) cluster_->stop();
}

void ServerImpl::install_cluster_routes() {
  route("GET", "/v1/cluster", [this](const httplib::Request&, httplib::Response& res) {
    if (!cluster_) {
      return send_json(res, 200, Json(Json::Object{{"enabled", Json(false)}}).dump());
    }
    auto st = cluster_->status();
    if (!st) return send_error(res, 503, "cluster state unavailable: " + st.status().message());
    st->set("enabled", Json(true));
    st->set("router", replica_load_.to_json());
    send_json(res, 200, st->dump());
  });
}

void ServerImpl::add_cluster_gauges(std::vector<Gauge>* g) const {
  if (!cluster_) return;
  cluster::ClusterCounters c = cluster_->counters();
  g->push_back({"meridian_cluster_replicas", "Shard replicas hosted by this node.", "", static_cast<double>(c.replicas_local)});
  g->push_back({"meridian_cluster_replica_lag_max", "Largest lag (stream messages not yet applied) of this node's replicas.",
                "", static_cast<double>(c.replica_lag_max)});
  g->push_back({"meridian_cluster_replica_errors_total", "Errors of this node's replica consumers (retried).", "",
                static_cast<double>(c.replica_errors), "counter"});
  g->push_back({"meridian_cluster_publishes_total", "Writes acknowledged by JetStream through this node.", "",
                static_cast<double>(c.publishes), "counter"});
  g->push_back({"meridian_cluster_publish_failures_total", "Writes JetStream did not acknowledge (the client got an error).",
                "", static_cast<double>(c.publish_failures), "counter"});
  g->push_back({"meridian_cluster_search_shard_failures_total",
                "Shards of clustered searches through this node that no replica answered (left out of the hits).", "",
                static_cast<double>(shard_failures_.load()), "counter"});
  g->push_back({"meridian_cluster_rebalances_total", "Shard-map changes made by this node.", "",
                static_cast<double>(c.rebalances), "counter"});
  g->push_back({"meridian_cluster_rebuilds_total", "Replicas behind stream retention rebuilt from a peer's snapshot.", "",
                static_cast<double>(c.rebuilds), "counter"});
  g->push_back({"meridian_cluster_rebuild_failures_total", "Rebuild attempts that failed (retried with a back-off).", "",
                static_cast<double>(c.rebuild_failures), "counter"});
  g->push_back({"meridian_cluster_replicas_rebuilding", "This node's replicas behind stream retention, waiting for a rebuild.",
                "", static_cast<double>(c.replicas_rebuilding)});
}

}  // namespace meridian::server
