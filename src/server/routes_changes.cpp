// Routes: POST /v1/indexes/{index}/changes — Debezium change events
// (cdc::ingest_debezium). All or nothing for malformed events: one bad event
// gives a 400 naming it ("event", 0-based) and nothing of the request is
// applied. Requests on one index are serialized (one applier per stream).
#include <chrono>

#include "meridian/cdc/debezium_ingest.h"
#include "server_impl.h"

namespace meridian::server {
namespace {


std::mutex& index_lock(const std::string& index) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<std::mutex>> locks;
  std::lock_guard<std::mutex> l(mu);
  auto& m = locks[index];
  if (!m) m = std::make_unique<std::mutex>();
  return *m;
}

}  // namespace

void ServerImpl::install_change_routes() {
  route("POST", "/v1/indexes/{index}/changes", [this](const httplib::Request& req, httplib::Response& res) {
    auto start = std::chrono::steady_clock::now();
    auto idx = find_index(req.matches[1], res);
    if (!idx) return;
    auto w = write_options(req, res);
    if (!w) return;
    cdc::DebeziumOptions opt;
    if (req.has_param("source")) {
      std::string name = req.get_param_value("source");
      if (Status st = cdc::validate_source_name(name); !st.is_ok())
        return send_error(res, st, Json(Json::Object{{"path", Json("source")}}));
      opt.source_name = name;
      if (auto cfg = sources_->get(idx->name(), name)) {
        if (cfg->type != "debezium")
          return send_error(res, 400, "source '" + name + "' is a " + cfg->type + " source, not debezium",
                            Json(Json::Object{{"path", Json("source")}}));
        opt.mapping = cfg->mapping;
      }
    }
    if (req.has_param("id_column")) {
      std::string col = req.get_param_value("id_column");
      if (col.empty()) return send_error(res, 400, "id_column: expected a column name", Json(Json::Object{{"path", Json("id_column")}}));
      opt.mapping.set_id_column(col);
    }
    Result<cdc::IngestResult> r = Status::internal("unset");
    {
      std::lock_guard<std::mutex> l(index_lock(idx->name()));
      r = cdc::ingest_debezium(*idx, req.body, opt, *w);
    }
    if (!r) return send_error(res, r.status());
    if (!r->errors.empty()) {
      Json errs = Json::array();
      for (const auto& e : r->errors) {
        Json j = Json::object();
        j.set("event", Json(static_cast<int64_t>(e.event)));
        if (e.line) j.set("line", Json(static_cast<int64_t>(e.line)));
        j.set("error", Json(e.message));
        errs.push(std::move(j));
      }
      const auto& first = r->errors.front();
      Json extra = Json::object();
      extra.set("event", Json(static_cast<int64_t>(first.event)));
      if (first.line) extra.set("line", Json(static_cast<int64_t>(first.line)));
      extra.set("applied", Json(int64_t{0}));
      extra.set("errors", std::move(errs));
      return send_error(res, 400, "event " + std::to_string(first.event) + ": " + first.message +
                                      " (no event of this request was applied)", extra);
    }
    const auto& s = r->stats;
    Json positions = Json::object();
    for (const auto& [src, pos] : s.positions) positions.set(src, Json(pos.to_string()));
    Json out = Json::object();
    out.set("events", Json(static_cast<int64_t>(r->events)));
    out.set("applied", Json(static_cast<int64_t>(s.upserts + s.deletes + s.truncates)));
    out.set("upserts", Json(static_cast<int64_t>(s.upserts)));
    out.set("deletes", Json(static_cast<int64_t>(s.deletes)));
    out.set("truncates", Json(static_cast<int64_t>(s.truncates)));
    out.set("skipped", Json(static_cast<int64_t>(s.skipped)));
    out.set("tombstones", Json(static_cast<int64_t>(r->tombstones)));
    out.set("positions", std::move(positions));
    out.set("took_ms", Json(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count()));
    send_json(res, 200, out.dump());
  });
}

}  // namespace meridian::server
