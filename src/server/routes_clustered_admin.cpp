// Clustered indexes over HTTP, index maintenance (docs/CLUSTER.md "Schema
// changes" and "Refresh"):
//   PATCH /v1/indexes/{index}            add fields: stored in the shard map, a schema record in every shard's log
//   POST  /v1/indexes/{index}/refresh    every in-sync replica of every shard refreshes
//   POST  /v1/indexes/{index}/shards/{shard}/refresh   internal: this node's replica of one shard refreshes
// The native routes (routes_doc_ops.cpp) hand a request here when its index
// is clustered.
#include <algorithm>
#include <future>

#include "meridian/index/schema.h"
#include "peer_clients.h"
#include "server_impl.h"

namespace meridian::server {
namespace {

// How long a replica may take to apply the stream's head before it
// refreshes, and how long the router waits for a remote replica's answer:
// a refresh answers within the shard timeout whatever the replicas do.
constexpr int kRefreshApplyMs = 5000;
constexpr int kRefreshReadMs = 8000;

// One remote replica's refresh (its node's internal route): the sequence it
// had applied, or why not.
Result<uint64_t> refresh_remote(const cluster::ReplicaRoute& r, const std::string& index, uint32_t shard, uint64_t seq,
                                const std::string& auth) {
  MERIDIAN_ASSIGN_OR_RETURN(Json j, post_shard_route(r.node, r.url, index, shard, "refresh",
                                                     Json(Json::Object{{"seq", Json(seq)}}), auth, kRefreshReadMs,
                                                     /*bad_request_invalid=*/false));
  const Json* applied = j.find("applied_seq");
  if (!applied || !applied->is_int()) return Status::io_error("node '" + r.node + "': no \"applied_seq\" in its answer");
  return static_cast<uint64_t>(applied->as_int());
}

}  // namespace

void ServerImpl::patch_schema_clustered(const cluster::ShardMap& m, const httplib::Request& req, httplib::Response& res) {
  auto body = parse_body(req, res, false);
  if (!body) return;
  Json extra;
  auto patched = cluster_->patch_schema(m.index, *body, &extra);
  if (!patched) return send_error(res, patched.status(), extra);  // the single node's error, member for member
  cache_.clear();
  Json names = Json::array();
  for (const auto& n : patched->added) names.push(Json(n));
  Json out = Json::object();
  out.set("index", Json(m.index));
  out.set("result", Json(patched->added.empty() ? "unchanged" : "updated"));
  out.set("added", std::move(names));
  out.set("schema", patched->map.schema);
  send_json(res, 200, out.dump());
}

void ServerImpl::refresh_replicas_clustered(const cluster::ShardMap& m, const httplib::Request& req, httplib::Response& res) {
  auto routes = cluster_->routes(m);
  if (!routes) return send_error(res, 503, "cluster state unavailable: " + routes.status().message());
  const std::string auth = req.get_header_value("Authorization");
  // Per shard, in parallel: the stream's head now (every write acknowledged
  // before the request), then every in-sync replica applies it and
  // refreshes, each in parallel. A shard succeeds when all of them did.
  std::vector<std::string> errors(m.shards);
  {
    std::vector<std::future<void>> fs;
    for (uint32_t s = 0; s < m.shards; ++s)
      fs.push_back(std::async(std::launch::async, [&, s] {
        const auto& cands = (*routes)[s];
        if (cands.empty()) {
          errors[s] = "no reachable in-sync replica";
          return;
        }
        auto head = cluster_->last_sequence(m.index, s);
        if (!head) {
          errors[s] = "stream: " + head.status().message();
          return;
        }
        std::vector<std::future<Status>> calls;
        for (const auto& r : cands)
          calls.push_back(std::async(std::launch::async, [&, r, seq = *head]() -> Status {
            auto done = r.local ? cluster_->refresh_replica(m.index, s, seq, kRefreshApplyMs)
                                : refresh_remote(r, m.index, s, seq, auth);
            return done.status();
          }));
        for (auto& c : calls)
          if (Status st = c.get(); !st && errors[s].empty()) errors[s] = st.message();
      }));
    for (auto& f : fs) f.wait();
  }
  Json failures = Json::array();
  int64_t failed = 0;
  for (uint32_t s = 0; s < m.shards; ++s) {
    if (errors[s].empty()) continue;
    ++failed;
    failures.push(Json(Json::Object{{"shard", Json(static_cast<int64_t>(s))}, {"reason", Json(errors[s])}}));
  }
  const int64_t total = m.shards;
  Json shards(Json::Object{{"total", Json(total)}, {"successful", Json(total - failed)}, {"failed", Json(failed)}});
  if (failed == total) {
    Json extra(Json::Object{{"shards", std::move(shards)}, {"failures", std::move(failures)}});
    return send_error(res, 503, "no shard of '" + m.index + "' refreshed: " + errors[0], extra);
  }
  Json out = Json::object();
  out.set("index", Json(m.index));
  out.set("result", Json("refreshed"));
  out.set("shards", std::move(shards));
  if (failed > 0) out.set("failures", std::move(failures));
  send_json(res, 200, out.dump());
}

void ServerImpl::install_clustered_admin_routes() {
  route("POST", "/v1/indexes/{index}/shards/{shard}/refresh", [this](const httplib::Request& req, httplib::Response& res) {
    uint32_t shard = 0;
    auto m = shard_route_target(req, res, &shard);
    if (!m) return;
    auto body = parse_body(req, res, true);
    if (!body) return;
    uint64_t seq = 0;
    if (!body->is_null()) {
      const Json* s = body->is_object() ? body->find("seq") : nullptr;
      if (!body->is_object() || (s && (!s->is_int() || s->as_int() < 0)))
        return send_error(res, 400, "seq: expected a stream sequence (an integer >= 0)",
                          Json(Json::Object{{"path", Json("seq")}}));
      if (s) seq = static_cast<uint64_t>(s->as_int());
    }
    auto applied = cluster_->refresh_replica(m->index, shard, seq, kRefreshApplyMs);
    if (!applied) return send_error(res, applied.status(), Json(Json::Object{{"index", Json(m->index)}}));
    send_json(res, 200,
              Json(Json::Object{{"index", Json(m->index)},
                                {"shard", Json(static_cast<int64_t>(shard))},
                                {"node", Json(cluster_->node_id())},
                                {"result", Json("refreshed")},
                                {"applied_seq", Json(*applied)}})
                  .dump());
  });
}

}  // namespace meridian::server
