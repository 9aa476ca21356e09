// Clustered indexes over HTTP, the writes that depend on what is stored
// (docs/CLUSTER.md "Merge patch and delete-by-query"):
//   PATCH .../docs/{id}           a patch record in the shard's log, applied by every replica
//   POST  .../delete-by-query     ids selected on one replica per shard, deletes published to the log
//   POST  /v1/indexes/{index}/shards/{shard}/select   internal: the ids one shard's replica selects
// The native routes (routes_doc_ops.cpp) hand a request here when its index
// is clustered.
#include <algorithm>
#include <chrono>
#include <future>
#include <map>

#include "meridian/base/json_merge_patch.h"
#include "meridian/cluster/placement.h"
#include "meridian/index/document.h"
#include "meridian/index/schema.h"
#include "peer_clients.h"
#include "server_impl.h"

namespace meridian::server {
namespace {

constexpr int kSelectReadMs = 30000;

// The ids one remote replica selects (its node's internal select route).
Result<std::vector<std::string>> select_remote(const cluster::ReplicaRoute& r, const std::string& index, uint32_t shard,
                                               const Json& query, const std::string& auth) {
  // Over a kept connection (peer_clients.h), with a longer read timeout.
  MERIDIAN_ASSIGN_OR_RETURN(Json j, post_shard_route(r.node, r.url, index, shard, "select",
                                                     Json(Json::Object{{"query", query}}), auth, kSelectReadMs));
  const Json* ids = j.find("ids");
  if (!ids || !ids->is_array()) return Status::io_error("node '" + r.node + "': no \"ids\" array in its answer");
  std::vector<std::string> out;
  for (const auto& v : ids->as_array()) {
    if (!v.is_string()) return Status::io_error("node '" + r.node + "': a non-string id in its answer");
    out.push_back(v.as_string());
  }
  return out;
}

Json shards_json(uint32_t total, uint32_t failed) {
  return Json(Json::Object{{"total", Json(static_cast<int64_t>(total))},
                           {"successful", Json(static_cast<int64_t>(total - failed))},
                           {"failed", Json(static_cast<int64_t>(failed))}});
}

}  // namespace

Status catch_up(cluster::ClusterNode& node, const std::string& index, uint32_t shard) {
  auto head = node.last_sequence(index, shard);
  if (!head) return Status::io_error("shard " + std::to_string(shard) + ": " + head.status().message());
  if (*head == 0) return Status::ok();
  Status st = node.wait_for(index, shard, *head, kClusterWaitForMs);
  if (!st) return Status::io_error("shard " + std::to_string(shard) + ": replicas did not catch up: " + st.message());
  return st;
}

void ServerImpl::patch_clustered(const cluster::ShardMap& m, const std::string& id, const Json& patch, bool upsert,
                                 const index::WriteOptions& w, const httplib::Request& in, httplib::Response& res) {
  const Json id_extra(Json::Object{{"id", Json(id)}});
  auto schema = cluster_->schema(m);
  if (!schema) return send_error(res, schema.status(), id_extra);
  // The replica read below holds every write acknowledged before this
  // request, so a 404 or a 400 here is what the log would decide now; the
  // log record itself is applied by each replica to the document it holds
  // at the record's position, so concurrent patches compose.
  const uint32_t shard = cluster::shard_of(id, m.shards);
  if (Status st = catch_up(*cluster_, m.index, shard); !st) return send_error(res, 503, st.message(), id_extra);
  auto cur = fetch_doc_clustered(m, id, in);
  if (!cur) return send_error(res, cur.status().code() == Status::Code::kIOError ? 503 : 500, cur.status().message(), id_extra);
  if (!cur->has_value() && !upsert)
    return send_error(res, 404, "no document '" + id + "' in index '" + m.index + "' (add ?upsert=true to create it)",
                      id_extra);
  Json doc = Json::object();
  if (cur->has_value()) {
    auto parsed = parse_json(**cur);
    if (!parsed) return send_error(res, 500, "stored document '" + id + "': " + parsed.status().message(), id_extra);
    doc = std::move(*parsed);
  }
  apply_merge_patch(&doc, patch);
  const std::string& id_field = (*schema)->id_field();
  if (!doc.find(id_field)) doc.set(id_field, Json(id));
  // Refuse what every replica would refuse, so an acknowledged patch applies.
  std::vector<index::FieldDef> added;
  if (auto checked = index::parse_document(doc, **schema, &added); !checked)
    return send_error(res, checked.status(), id_extra);
  send_clustered_ack(m, id, cluster_->patch(m, id, patch, upsert), w, res);
}

Result<query::SearchRequest> ServerImpl::settings_query(const cluster::ShardMap& m, const Json& body) {
  MERIDIAN_ASSIGN_OR_RETURN(auto opt, clustered_request_options(m));
  MERIDIAN_ASSIGN_OR_RETURN(query::SearchRequest q, query::parse_search_request(body, opt));
  q.distinct.clear();
  return q;
}

void ServerImpl::delete_by_query_clustered(const cluster::ShardMap& m, const Json& body, const index::WriteOptions& w,
                                           const httplib::Request& in, httplib::Response& res) {
  const auto start = std::chrono::steady_clock::now();
  const uint32_t n = m.shards;
  const std::string auth = in.get_header_value("Authorization");
  // The index's settings shape q (as on one node); every matching document
  // goes, whatever `distinct`.
  auto with_settings = settings_query(m, body);
  if (!with_settings) return send_error(res, with_settings.status());
  struct ShardRun {
    std::vector<std::string> ids;
    std::string error;
    bool refused = false;  // the request itself is bad (every replica says so)
  };
  std::vector<ShardRun> runs(n);
  // 1. Per shard: its replicas catch up with the log, then one of them selects.
  {
    std::vector<std::future<void>> fs;
    for (uint32_t s = 0; s < n; ++s)
      fs.push_back(std::async(std::launch::async, [&, s] {
        if (Status st = catch_up(*cluster_, m.index, s); !st) {
          runs[s].error = st.message();
          return;
        }
        auto routes = cluster_->routes(m);
        if (!routes) {
          runs[s].error = "cluster state unavailable: " + routes.status().message();
          return;
        }
        const auto& cands = (*routes)[s];
        runs[s].error = "no reachable in-sync replica";
        for (const auto& r : cands) {
          Result<std::vector<std::string>> ids = Status::not_found("");
          if (r.local) {
            auto ix = cluster_->local_replica(m.index, s);
            if (!ix) continue;
            ids = matching_ids(*ix, *with_settings);
          } else {
            ids = select_remote(r, m.index, s, body, auth);
          }
          if (ids) {
            runs[s].ids = std::move(*ids);
            runs[s].error.clear();
            return;
          }
          runs[s].error = ids.status().message();
          if (ids.status().code() == Status::Code::kInvalidArgument) {
            runs[s].refused = true;
            return;
          }
        }
      }));
    for (auto& f : fs) f.wait();
  }
  for (const auto& r : runs)
    if (r.refused) return send_error(res, Status::invalid(r.error));
  // 2. The deletes, each a log record acknowledged by JetStream.
  int64_t deleted = 0;
  uint32_t failed = 0;
  Json failures = Json::array();
  AckedSeqs acked;
  for (uint32_t s = 0; s < n; ++s) {
    if (runs[s].error.empty()) {
      for (const auto& id : runs[s].ids) {
        auto ack = cluster_->remove(m, id);
        if (!ack) {
          runs[s].error = "after " + std::to_string(deleted) + " deletes: " + ack.status().message();
          break;
        }
        ++deleted;
        acked.add(*ack);
      }
    }
    if (!runs[s].error.empty()) {
      ++failed;
      failures.push(Json(Json::Object{{"shard", Json(static_cast<int64_t>(s))}, {"reason", Json(runs[s].error)}}));
    }
  }
  Json out = Json::object();
  out.set("deleted", Json(deleted));
  out.set("shards", shards_json(n, failed));
  if (failed > 0) out.set("failures", std::move(failures));
  if (failed == n) {
    out.set("error", Json(Json::Object{{"status", Json(503)},
                                       {"reason", Json("no shard of '" + m.index + "' could be selected from: " +
                                                       runs[0].error)}}));
    return send_json(res, 503, out.dump());
  }
  if (w.wait_visible)
    if (Status st = acked.wait_visible(*cluster_, m.index); !st)
      return send_error(res, st, Json(Json::Object{{"deleted", Json(deleted)}}));
  out.set("took_ms", Json(elapsed_ms(start)));
  send_json(res, 200, out.dump());
}

void ServerImpl::install_clustered_write_routes() {
  route("POST", "/v1/indexes/{index}/shards/{shard}/select", [this](const httplib::Request& req, httplib::Response& res) {
    const std::string name = req.matches[1], sh = req.matches[2];
    uint32_t shard = 0;
    auto m = shard_route_target(req, res, &shard);
    if (!m) return;
    auto body = parse_body(req, res, false);
    if (!body) return;
    const Json* query = body->is_object() ? body->find("query") : nullptr;
    if (!query) return send_error(res, 400, "query: expected a delete-by-query body", Json(Json::Object{{"path", Json("query")}}));
    if (!parse_delete_query(*query, res)) return;
    auto q = settings_query(*m, *query);
    if (!q) return send_error(res, q.status());
    auto ix = cluster_->local_replica(name, shard);
    if (!ix)
      return send_error(res, 404, "node '" + cluster_->node_id() + "' holds no replica of shard " + sh + " of '" + name + "'",
                        Json(Json::Object{{"index", Json(name)}}));
    auto ids = matching_ids(*ix, std::move(*q));
    if (!ids) return send_error(res, ids.status());
    Json arr = Json::array();
    for (auto& id : *ids) arr.push(Json(std::move(id)));
    send_json(res, 200, Json(Json::Object{{"ids", std::move(arr)}}).dump());
  });
}

}  // namespace meridian::server
