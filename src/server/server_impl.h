// Internal: the state and handlers of Server, split over server.cpp
// (pipeline, lifecycle), routes_indexes.cpp (indexes, documents, bulk),
// routes_search.cpp (search, analyze, watch, keys, metrics) and openapi.cpp.
#pragma once

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "meridian/cdc/source_manager.h"
#include "meridian/cluster/alias_directory.h"
#include "meridian/cluster/cluster_node.h"
#include "meridian/cluster/cluster_sources.h"
#include "meridian/index/engine.h"
#include "meridian/query/search_request.h"
#include "meridian/server/alias_store.h"
#include "meridian/server/cors.h"
#include "meridian/server/http_error.h"
#include "meridian/server/key_store.h"
#include "meridian/server/metrics.h"
#include "meridian/server/openapi.h"
#include "meridian/server/request_check.h"
#include "meridian/server/query_cache.h"
#include "meridian/server/rate_limiter.h"
#include "meridian/server/route_table.h"
#include "meridian/server/serve_options.h"
#include "meridian/server/watch_hub.h"
#include "http_server.h"
#include "replica_load.h"

namespace meridian::server {

// How long refresh=wait_for (and a catch-up before reading a shard) waits for
// a clustered index's replicas.
inline constexpr int kClusterWaitForMs = 10000;

// Milliseconds since `start` (a response's took_ms).
inline double elapsed_ms(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// The highest sequence JetStream acknowledged per shard over the writes of one
// clustered request; wait_visible() is its refresh=wait_for.
struct AckedSeqs {
  std::map<uint32_t, uint64_t> last;  // shard -> highest acknowledged sequence
  void add(const cluster::WriteAck& a) {
    uint64_t& s = last[a.shard];
    s = std::max(s, a.seq);
  }
  // Until every replica of each written shard has applied its last sequence.
  Status wait_visible(cluster::ClusterNode& node, const std::string& index) const {
    for (const auto& [shard, seq] : last) MERIDIAN_RETURN_IF_ERROR(node.wait_for(index, shard, seq, kClusterWaitForMs));
    return Status::ok();
  }
};

// Waits until every live replica of `shard` holds every write JetStream
// acknowledged before now, so what a replica reads next includes them
// (routes_clustered_writes.cpp); IOError naming the shard otherwise.
Status catch_up(cluster::ClusterNode& node, const std::string& index, uint32_t shard);

// The authenticated caller of the current request (nullopt when auth is off).
const std::optional<Principal>& current_principal();

// Copies the replica snapshot `req` names from its node into `staging`
// (routes_replica_snapshot.cpp; ClusterOptions::fetch_snapshot).
Status fetch_replica_snapshot(const cluster::SnapshotRequest& req, const std::string& staging,
                              const std::string& master_key);


// The parameters of a watch stream (GET .../watch and the internal shard route).
struct WatchParams {
  query::SearchRequest request;  // the selection: q, filter, near, ...
  std::vector<std::pair<std::string, std::string>> params;  // those parameters as given
  int heartbeat_ms = 15000;
  std::string last_event_id;  // the Last-Event-ID header, else ?last_event_id=
};

// One well-formed document of a bulk request and its line (or array position).
struct BulkLine {
  size_t line;
  Json doc;
};

class ServerImpl {
 public:
  ServerImpl(ServeOptions opt, std::unique_ptr<index::Engine> engine, std::unique_ptr<KeyStore> keys);

  void install_routes();
  // Wraps a route handler: a request refused before its body was read
  // (401/403/429, see install_routes) gets the refusal instead of the route.
  static httplib::Server::Handler guarded(httplib::Server::Handler h);
  // Runs `check` (path placeholders are UTF-8, query parameters declared)
  // before `h`; a failure is a 400 naming the placeholder or parameter.
  static httplib::Server::Handler checked(RequestCheck check, httplib::Server::Handler h);
  // Registers the handler of one route-table line (same method and template,
  // see route_table.h), guarded. A handler without a line is not registered
  // and check_routes() reports it.
  void route(std::string_view method, std::string_view pattern, httplib::Server::Handler h);
  // After install_routes(): every table line has a handler and every handler a line.
  Status check_routes() const;
  void install_index_routes();
  void install_search_routes();
  void install_change_routes();  // routes_changes.cpp
  void install_source_routes();  // routes_sources.cpp
  void install_alias_routes();   // routes_aliases.cpp
  void install_doc_op_routes();  // routes_doc_ops.cpp
  void install_multi_search_routes();  // routes_multi_search.cpp
  void install_backup_routes();  // routes_backup.cpp
  void install_settings_routes();  // routes_settings.cpp
  // The parsing options of a search on `idx` (its settings, routes_settings.cpp);
  // `schema` must outlive the parse.
  static query::SearchRequestOptions request_options(const index::Index& idx, const index::Schema* schema);
  // Validates `patch` (a merge patch of the settings) against idx's schema,
  // stores the result and clears the query cache.
  Status apply_settings(index::Index& idx, const Json& patch);
  // The web console (routes_console.cpp): /_console/... and console_root_ (the page).
  void install_console_routes();
  // CDC source gauges for /metrics (routes_sources.cpp).
  void add_source_gauges(std::vector<Gauge>* g) const;
  // Cluster mode (routes_cluster.cpp): GET /v1/cluster; the node starts once
  // the port is bound (its URL is part of its membership record) and stops
  // before the engine closes. cluster_ is null on a single node.
  void install_cluster_routes();
  void install_snapshot_routes();  // routes_replica_snapshot.cpp: rebuilding a replica from a peer
  std::string snapshot_root() const;
  void install_clustered_routes();  // routes_clustered.cpp: the internal shard-search route
  // Live queries (routes_search.cpp, routes_clustered_watch.cpp). A watch's
  // parameters (parameters named in `skip` are not selection parameters);
  // false once a 400 is sent.
  bool parse_watch_params(const httplib::Request& req, httplib::Response& res, const std::vector<std::string>& skip,
                          WatchParams* out);
  // Streams `watcher` of `idx` as Server-Sent Events: `preamble`, then its
  // events (with "shard" in their data when shard >= 0) and heartbeats,
  // until the client goes, the server stops, the watcher is dropped or
  // `still_valid` (checked every 200 ms, may be null) turns false (shard < 0:
  // after an event: closed); then it unsubscribes and calls `on_end` (may be null).
  void stream_watcher(httplib::Response& res, std::shared_ptr<index::Index> idx, std::shared_ptr<Watcher> watcher,
                      int heartbeat_ms, std::string preamble, int shard, std::function<bool()> still_valid,
                      std::function<void()> on_end);
  // GET .../watch on a clustered index: one stream per shard, merged (cluster_watch.h).
  void watch_clustered(const cluster::ShardMap& m, const WatchParams& wp, const httplib::Request& req,
                       httplib::Response& res);
  void install_clustered_watch_routes();  // the internal shard watch route
  Status start_cluster();
  void stop_cluster();
  void add_cluster_gauges(std::vector<Gauge>* g) const;

  // Clustered indexes over HTTP (routes_clustered.cpp, docs/CLUSTER.md). The
  // native routes call these when cluster_ is set and the index is clustered.
  // The shard map of `name` when it names a clustered index, or is a cluster
  // alias of one that no index or alias of this node hides (classify_name;
  // nullopt on a single node, for an unknown name, or when NATS cannot be read).
  // With `cached`, from the node's routing view (at most sync_ms old; the
  // search routes, which must not wait on NATS).
  std::optional<cluster::ShardMap> clustered(const std::string& name, bool cached = false);
  // The index and shard of an internal /shards/{shard}/ route; nullopt once an error is sent.
  std::optional<cluster::ShardMap> shard_route_target(const httplib::Request& req, httplib::Response& res,
                                                      uint32_t* shard);
  // PUT /v1/indexes/{index} in cluster mode: body = schema + "shards"/"replicas".
  void create_clustered(const std::string& name, Json body, httplib::Response& res);
  void get_clustered(const cluster::ShardMap& m, httplib::Response& res);
  void drop_clustered(const cluster::ShardMap& m, httplib::Response& res);
  // PUT .../sources/{name} on a clustered index (routes_sources.cpp).
  void put_source_clustered(const cluster::ShardMap& m, const std::string& name, const Json& body,
                            httplib::Response& res);
  void put_clustered(const cluster::ShardMap& m, const std::string& id, Json doc, const index::WriteOptions& w,
                     httplib::Response& res);
  void remove_clustered(const cluster::ShardMap& m, const std::string& id, const index::WriteOptions& w,
                        httplib::Response& res);
  void bulk_clustered(const cluster::ShardMap& m, const httplib::Request& req, const index::WriteOptions& w,
                      std::chrono::steady_clock::time_point start, httplib::Response& res);
  // The answer to a clustered put or delete: the ack, after refresh=wait_for's wait.
  void send_clustered_ack(const cluster::ShardMap& m, const std::string& id, const Result<cluster::WriteAck>& ack,
                          const index::WriteOptions& w, httplib::Response& res);
  // GET .../docs/{id}: the shard's local replica, else a live replica's node
  // (one hop: a request marked X-Meridian-Routed is never forwarded again).
  void get_doc_clustered(const cluster::ShardMap& m, const std::string& id, const httplib::Request& in,
                         httplib::Response& res);
  // The stored source of document `id` of a clustered index, from the
  // shard's local replica or one live replica's node (nullopt: no such
  // document); IOError when no replica answered.
  Result<std::optional<std::string>> fetch_doc_clustered(const cluster::ShardMap& m, const std::string& id,
                                                         const httplib::Request& in);
  // PATCH .../docs/{id} (routes_clustered_writes.cpp): checked against a
  // caught-up replica's copy, then published as a patch record that every
  // replica applies at its stream position.
  void patch_clustered(const cluster::ShardMap& m, const std::string& id, const Json& patch, bool upsert,
                       const index::WriteOptions& w, const httplib::Request& in, httplib::Response& res);
  // POST .../delete-by-query: one replica per shard selects the ids (after
  // applying every write acknowledged before the request), then each delete
  // is published to the log; partial failures are reported per shard.
  // `body` was checked by parse_delete_query.
  void delete_by_query_clustered(const cluster::ShardMap& m, const Json& body, const index::WriteOptions& w,
                                 const httplib::Request& in, httplib::Response& res);
  // A delete-by-query body of clustered index `m` parsed with its settings
  // (without `distinct`: every match goes).
  Result<query::SearchRequest> settings_query(const cluster::ShardMap& m, const Json& body);
  // The internal selection route of delete-by-query (routes_clustered_writes.cpp).
  void install_clustered_write_routes();
  // PATCH /v1/indexes/{index} and POST .../refresh on a clustered index, and
  // the internal per-replica refresh route (routes_clustered_admin.cpp).
  void patch_schema_clustered(const cluster::ShardMap& m, const httplib::Request& req, httplib::Response& res);
  void refresh_replicas_clustered(const cluster::ShardMap& m, const httplib::Request& req, httplib::Response& res);
  void install_clustered_admin_routes();
  // The parsing options of a search on clustered index `m`
  // (routes_clustered.cpp): the settings stored in its shard map and its
  // schema (kept by the cluster node while the index exists).
  Result<query::SearchRequestOptions> clustered_request_options(const cluster::ShardMap& m);
  // The search router: `wire` is {"search": body} or {"params": {...}}, what
  // the shard-search route of a remote node parses into the same request
  // (with "settings_version": the shard map's, see the shard route).
  void search_clustered(const cluster::ShardMap& m, const Json& wire, const query::SearchRequest& req,
                        const httplib::Request& in, httplib::Response& res);
  // The router's answer to search `body` on clustered index `m` as JSON
  // (routes_clustered.cpp), for routes built on a search over every document
  // (the index's distinct setting is not applied); nullopt when it is
  // not a 200, the error then already written to res (which the caller
  // overwrites on success).
  std::optional<Json> routed_search(const cluster::ShardMap& m, const Json& body, const httplib::Request& in,
                                    httplib::Response& res);
  // GET .../docs on a clustered index (routes_doc_ops.cpp): the router's
  // search sorted by id, as {"docs", "next"}; 503 while a shard is unreachable.
  void list_clustered(const cluster::ShardMap& m, int64_t size, bool source, const httplib::Request& in,
                      httplib::Response& res);
  // Bulk bodies (NDJSON or a JSON array): well-formed objects into *good, the
  // others as {"line","id","error"} into *errors; false after sending a 400.
  static bool parse_bulk_body(const std::string& body, std::vector<BulkLine>* good, Json* errors, httplib::Response& res);
  static void add_bulk_error(Json* errors, size_t line, Json id, const std::string& msg);
  // The document's id as a JSON value (for error reports), or null.
  static Json doc_id_of(const Json& doc, const std::string& id_field);
  // A bulk request's answer: {"indexed","failed","errors" (in line order),"took_ms"}.
  static void send_bulk_result(httplib::Response& res, size_t indexed, Json errors,
                               std::chrono::steady_clock::time_point start);
  // GET .../docs/{id}'s answer from Index::get (404 when absent).
  static void send_document(httplib::Response& res, const std::string& index, const std::string& id,
                            const Result<std::optional<std::string>>& source);

  // OpenSearch-compatible routes (routes_compat_*.cpp, docs/COMPAT.md).
  void install_compat_routes();         // GET /, indexes, mappings, documents, aliases, _cat
  void install_compat_search_routes();  // _search, _count, _msearch, _delete_by_query
  void install_compat_bulk_routes();    // _bulk
  // GET / answers a browser (Accept includes text/html) with the web
  // console's page when console_root_ is set (the console's install function
  // sets it); any other client gets the cluster info JSON.
  static bool wants_html(const httplib::Request& req);
  httplib::Server::Handler console_root_;

  // Operations shared by the native routes and the compatible ones.
  // Creates an index (refused when an alias has the name) and attaches it to the watch hub.
  Result<std::shared_ptr<index::Index>> create_index(const std::string& name, const index::Schema& schema);
  // Drops an index: its CDC sources stop, its aliases go, cached answers go.
  Status drop_index(const std::string& name);
  // Applies alias actions atomically (AliasStore::apply) and clears the query cache.
  Status apply_aliases(const std::vector<AliasAction>& actions);
  // JSON merge patch of one stored document, under a per-index lock; with
  // `upsert` a missing document is created from the patch, otherwise it is
  // kNotFound. *created says the document did not exist.
  Result<index::PutResult> patch_document(index::Index& idx, const std::string& id, const Json& patch, bool upsert,
                                          const index::WriteOptions& w, bool* created);
  // The ids of every document matching q's query and filters, after a
  // refresh, walking one snapshot in id order.
  static Result<std::vector<std::string>> matching_ids(index::Index& idx, query::SearchRequest q);
  // A delete-by-query body parsed (only what selects documents is allowed),
  // or nullopt after sending a 400.
  static std::optional<query::SearchRequest> parse_delete_query(const Json& body, httplib::Response& res);
  // Deletes every document matching q's query and filters (after a refresh,
  // walking one snapshot in id order); *deleted counts them, also on error.
  Status delete_matching(index::Index& idx, query::SearchRequest q, const index::WriteOptions& w, int64_t* deleted);

  // Helpers for handlers.
  static void send_json(httplib::Response& res, int status, const std::string& body);
  static void send_json(httplib::Response& res, int status, std::string&& body);  // the body moved, not copied
  static void send_error(httplib::Response& res, const Status& st, const Json& extra = Json());
  static void send_error(httplib::Response& res, int status, std::string_view reason, const Json& extra = Json());
  // Parses a JSON body; on failure sends a 400 (with "column" for bad UTF-8) and returns nullopt.
  static std::optional<Json> parse_body(const httplib::Request& req, httplib::Response& res, bool allow_empty);
  // The index named in the path (or the index an alias of that name points
  // to, unless `through_alias` is false), or sends 400/404.
  std::shared_ptr<index::Index> find_index(const std::string& name, httplib::Response& res, bool through_alias = true);
  // The index `name` stands for: the target of the node's alias of that
  // name, else of the cluster's (unless the node has an index so named), or
  // `name` itself.
  std::string resolve_alias(const std::string& name) const;
  // ?refresh=wait_for|true|false; sends 400 on other values.
  static std::optional<index::WriteOptions> write_options(const httplib::Request& req, httplib::Response& res);

  ServeOptions opt_;
  std::unique_ptr<index::Engine> engine_;
  std::unique_ptr<KeyStore> keys_;
  std::unique_ptr<AliasStore> aliases_;  // set by Server::open
  CorsPolicy cors_;                      // from opt_.cors_origin
  std::unique_ptr<cdc::SourceManager> sources_;  // set by Server::open
  std::unique_ptr<cluster::ClusterNode> cluster_;  // set by Server::bind in cluster mode
  std::unique_ptr<cluster::ClusterSources> cluster_sources_;  // with cluster_: sources of clustered indexes
  std::unique_ptr<cluster::AliasDirectory> cluster_aliases_;  // with cluster_: aliases of clustered indexes
  HttpServer http_;
  Metrics metrics_;
  RateLimiter limiter_;
  QueryCache cache_;
  WatchHub hub_;
  std::atomic<bool> stopping_{false};
  ReplicaLoad replica_load_;  // the search router's view of each node's load and health
  std::atomic<uint64_t> shard_failures_{0};  // clustered searches: shards that did not answer
  // Watch streams of clustered indexes opened through this node, and the
  // WatchHub subscriptions that serve shard streams (the internal route's
  // and this node's in-process ones): /metrics counts client streams.
  std::atomic<int64_t> cluster_watch_streams_{0};
  std::atomic<int64_t> shard_watch_subscriptions_{0};
  int port_ = 0;
  std::set<const RouteSpec*> registered_;
  std::vector<std::string> route_errors_;
};

}  // namespace meridian::server
