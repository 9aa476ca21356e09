// Routes: CDC sources on an index (cdc::SourceManager).
//   PUT    /v1/indexes/{index}/sources/{name}   create or replace; starts a postgres source
//   GET    /v1/indexes/{index}/sources/{name}   config (password redacted) + state, lag, last error
//   GET    /v1/indexes/{index}/sources          every source of the index
//   DELETE /v1/indexes/{index}/sources/{name}   stop and forget (?drop_slot=true drops the slot)
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

}  // namespace

void ServerImpl::install_source_routes() {
  route("PUT", "/v1/indexes/{index}/sources/{name}", [this](const httplib::Request& req, httplib::Response& res) {
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
    auto idx = find_index(req.matches[1], res);
    if (!idx) return;
    std::string name = req.matches[2];
    std::string drop = req.has_param("drop_slot") ? req.get_param_value("drop_slot") : "false";
    if (drop != "true" && drop != "false" && !drop.empty())
      return send_error(res, 400, "drop_slot: expected true or false, got '" + drop + "'",
                        Json(Json::Object{{"path", Json("drop_slot")}}));
    Status st = sources_->remove(idx->name(), name, drop != "false");
    if (!st.is_ok()) return send_error(res, st, Json(Json::Object{{"source", Json(name)}}));
    Json out = Json::object();
    out.set("source", Json(name));
    out.set("result", Json("deleted"));
    out.set("slot_dropped", Json(drop != "false"));
    send_json(res, 200, out.dump());
  });
}

void ServerImpl::add_source_gauges(std::vector<Gauge>* g) const {
  for (const auto& r : sources_->reports()) {
    if (!r.status) continue;
    std::string labels = "index=\"" + escape_label(r.config.index) + "\",source=\"" + escape_label(r.config.name) + "\"";
    const auto& s = *r.status;
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
