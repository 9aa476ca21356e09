// Routes: CDC sources on an index (cdc::SourceManager).
//   PUT    /v1/indexes/{index}/sources/{name}   create or replace; starts a postgres source
//   GET    /v1/indexes/{index}/sources/{name}   config (password redacted) + state, lag, last error
//   GET    /v1/indexes/{index}/sources          every source of the index
//   DELETE /v1/indexes/{index}/sources/{name}   stop and forget (?drop_slot=true drops the slot)
// On a clustered index the same routes go to cluster::ClusterSources: the
// config lives in NATS and one node runs the source (docs/CLUSTER.md "The
// PostgreSQL source on a clustered index").
#include "server_impl.h"

namespace meridian::server {
namespace {


Json report_json(const cdc::SourceReport& r) {
  Json j = r.config.to_json(true);
  if (r.status) {
    Json st = r.status->to_json();
    for (auto& [k, v] : st.as_object()) j.set(k, v);
  } else if (r.config.type == "postgres") {
    j.set("state", Json("stopped"));
  } else {
    j.set("state", Json("passive"));  // debezium: fed by POST .../changes?source=NAME
  }
  return j;
}

// A clustered index's source: the config, the node that runs it and the
// position it resumes from, with the state of its runner (live when it runs
// here, else as the runner last stored it). A debezium source: its config
// and the position POST .../changes?source=NAME stored.
Json report_json(const cluster::ClusterSourceReport& r) {
  Json j = r.config.to_json(true);
  if (r.config.type != "postgres") {
    j.set("state", Json("passive"));
    j.set("position", Json(r.position.to_string()));  // stored by POST .../changes?source=NAME
    return j;
  }
  if (r.live) {
    Json st = r.live->to_json();
    for (auto& [k, v] : st.as_object()) j.set(k, v);
  } else if (r.reported) {
    for (const auto& [k, v] : r.reported->as_object())
      if (k != "node") j.set(k, v);
    if (const Json* n = r.reported->find("node"); n && n->is_string() && n->as_string() != r.owner)
      j.set("reported_by", *n);  // a previous runner: the owner has not reported yet
  } else {
    j.set("state", Json("starting"));
  }
  j.set("node", r.owner.empty() ? Json() : Json(r.owner));
  j.set("position", Json(r.position.to_string()));
  return j;
}

}  // namespace

void ServerImpl::put_source_clustered(const cluster::ShardMap& m, const std::string& name, const Json& body,
                                      httplib::Response& res) {
  const Json extra(Json::Object{{"source", Json(name)}});
  auto cfg = cdc::SourceConfig::from_json(m.index, name, body);
  if (!cfg) return send_error(res, cfg.status(), extra);
  auto existed = cluster_sources_->get(m.index, name);
  if (!existed) return send_error(res, 503, "cluster state unavailable: " + existed.status().message(), extra);
  Status st = cluster_sources_->put(m, *cfg);
  if (!st) return send_error(res, st, extra);
  auto rep = cluster_sources_->report(m.index, name);
  Json out = rep && rep->has_value() ? report_json(**rep) : cfg->to_json(true);
  out.set("result", Json(existed->has_value() ? "updated" : "created"));
  send_json(res, existed->has_value() ? 200 : 201, out.dump());
}

void ServerImpl::install_source_routes() {
  route("PUT", "/v1/indexes/{index}/sources/{name}", [this](const httplib::Request& req, httplib::Response& res) {
    if (auto m = clustered(req.matches[1])) {
      auto body = parse_body(req, res, false);
      if (!body) return;
      return put_source_clustered(*m, req.matches[2], *body, res);
    }
    auto idx = find_index(req.matches[1], res);
    if (!idx) return;
    std::string name = req.matches[2];
    auto body = parse_body(req, res, false);
    if (!body) return;
    auto cfg = cdc::SourceConfig::from_json(idx->name(), name, *body);
    if (!cfg) return send_error(res, cfg.status(), Json(Json::Object{{"source", Json(name)}}));
    bool existed = sources_->get(idx->name(), name).has_value();
    Status st = sources_->put(*cfg);
    if (!st.is_ok()) return send_error(res, st, Json(Json::Object{{"source", Json(name)}}));
    auto rep = sources_->report(idx->name(), name);
    Json out = rep ? report_json(*rep) : cfg->to_json(true);
    out.set("result", Json(existed ? "updated" : "created"));
    send_json(res, existed ? 200 : 201, out.dump());
  });

  route("GET", "/v1/indexes/{index}/sources/{name}", [this](const httplib::Request& req, httplib::Response& res) {
    if (auto m = clustered(req.matches[1])) {
      const std::string name = req.matches[2];
      auto rep = cluster_sources_->report(m->index, name);
      if (!rep) return send_error(res, 503, "cluster state unavailable: " + rep.status().message());
      if (!rep->has_value())
        return send_error(res, 404, "no source '" + name + "' on index '" + m->index + "'",
                          Json(Json::Object{{"source", Json(name)}}));
      return send_json(res, 200, report_json(**rep).dump());
    }
    auto idx = find_index(req.matches[1], res);
    if (!idx) return;
    std::string name = req.matches[2];
    auto rep = sources_->report(idx->name(), name);
    if (!rep)
      return send_error(res, 404, "no source '" + name + "' on index '" + idx->name() + "'",
                        Json(Json::Object{{"source", Json(name)}}));
    send_json(res, 200, report_json(*rep).dump());
  });

  route("GET", "/v1/indexes/{index}/sources", [this](const httplib::Request& req, httplib::Response& res) {
    if (auto m = clustered(req.matches[1])) {
      auto reps = cluster_sources_->reports(m->index);
      if (!reps) return send_error(res, 503, "cluster state unavailable: " + reps.status().message());
      Json arr = Json::array();
      for (const auto& r : *reps) arr.push(report_json(r));
      return send_json(res, 200, Json(Json::Object{{"sources", std::move(arr)}}).dump());
    }
    auto idx = find_index(req.matches[1], res);
    if (!idx) return;
    Json arr = Json::array();
    for (const auto& r : sources_->reports())
      if (r.config.index == idx->name()) arr.push(report_json(r));
    Json out = Json::object();
    out.set("sources", std::move(arr));
    send_json(res, 200, out.dump());
  });

  route("DELETE", "/v1/indexes/{index}/sources/{name}", [this](const httplib::Request& req, httplib::Response& res) {
    auto m = clustered(req.matches[1]);
    std::shared_ptr<index::Index> idx;
    if (!m && !(idx = find_index(req.matches[1], res))) return;
    std::string name = req.matches[2];
    std::string drop = req.has_param("drop_slot") ? req.get_param_value("drop_slot") : "false";
    if (drop != "true" && drop != "false" && !drop.empty())
      return send_error(res, 400, "drop_slot: expected true or false, got '" + drop + "'",
                        Json(Json::Object{{"path", Json("drop_slot")}}));
    Status st = m ? cluster_sources_->remove(m->index, name, drop != "false")
                  : sources_->remove(idx->name(), name, drop != "false");
    if (!st.is_ok()) return send_error(res, st, Json(Json::Object{{"source", Json(name)}}));
    Json out = Json::object();
    out.set("source", Json(name));
    out.set("result", Json("deleted"));
    out.set("slot_dropped", Json(drop != "false"));
    send_json(res, 200, out.dump());
  });
}

void ServerImpl::add_source_gauges(std::vector<Gauge>* g) const {
  std::vector<std::pair<cdc::SourceConfig, cdc::PgSourceStatus>> run;
  for (const auto& r : sources_->reports())
    if (r.status) run.emplace_back(r.config, *r.status);
  if (cluster_sources_)  // the clustered sources this node runs
    for (auto& r : cluster_sources_->running()) run.push_back(std::move(r));
  for (const auto& [config, s] : run) {
    std::string labels = "index=\"" + escape_label(config.index) + "\",source=\"" + escape_label(config.name) + "\"";
    g->push_back({"meridian_cdc_lag_bytes", "WAL bytes the source has not applied yet.", labels, static_cast<double>(s.lag_bytes)});
    g->push_back({"meridian_cdc_lag_seconds", "Age of the oldest unapplied change.", labels, s.lag_seconds});
    g->push_back({"meridian_cdc_streaming", "1 while the source streams.", labels, s.state == "streaming" ? 1.0 : 0.0});
    g->push_back({"meridian_cdc_error", "1 while the source is in error (reconnecting).", labels, s.state == "error" ? 1.0 : 0.0});
    g->push_back({"meridian_cdc_changes_total", "Changes applied while streaming.", labels, static_cast<double>(s.changes), "counter"});
    g->push_back({"meridian_cdc_snapshot_rows", "Rows loaded by the initial snapshot.", labels, static_cast<double>(s.snapshot_rows)});
    g->push_back({"meridian_cdc_reconnects_total", "Reconnections after errors.", labels, static_cast<double>(s.reconnects), "counter"});
    g->push_back({"meridian_cdc_dead_letters_total", "Rows skipped because they could not be mapped or were rejected.",
                  labels, static_cast<double>(s.dead_letters), "counter"});
  }
}

}  // namespace meridian::server
