// Routes: index settings (GET/PATCH /v1/indexes/{index}/settings,
// docs/API.md "Index settings"), and the parsing options a search on an
// index takes from its settings.
#include "meridian/index/index_settings.h"
#include "server_impl.h"

namespace meridian::server {
namespace {

// "typo_tolerance.enabled: expected ..." → {"path": "typo_tolerance.enabled", "key": "typo_tolerance"}.
Json settings_error_extra(const Status& st) {
  const std::string& m = st.message();
  size_t colon = m.find(": ");
  if (colon == std::string::npos || colon == 0) return Json();
  std::string path = m.substr(0, colon);
  size_t end = path.find_first_of(".[");
  Json extra = Json::object();
  extra.set("path", Json(path));
  extra.set("key", Json(path.substr(0, end)));
  return extra;
}

}  // namespace

query::SearchRequestOptions ServerImpl::request_options(const index::Index& idx, const index::Schema* schema) {
  query::SearchRequestOptions o;
  o.settings = idx.settings();
  o.schema = schema;
  return o;
}

Status ServerImpl::apply_settings(index::Index& idx, const Json& patch) {
  auto schema = idx.schema();
  auto next = index::patch_index_settings(*idx.settings(), patch, schema.get());
  if (!next) return next.status();
  MERIDIAN_RETURN_IF_ERROR(idx.set_settings(std::move(*next)));
  cache_.clear();  // cached answers of the old settings (keys also name the settings' version)
  return Status::ok();
}

void ServerImpl::install_settings_routes() {
  // A clustered index's settings live in its shard map (docs/CLUSTER.md,
  // "Index settings"): read from NATS, not from a cached view.
  auto answer_clustered = [this](httplib::Response& res, const cluster::ShardMap& m) {
    auto s = cluster_->settings(m);
    if (!s) return send_error(res, s.status(), Json(Json::Object{{"index", Json(m.index)}}));
    Json out = Json::object();
    out.set("index", Json(m.index));
    out.set("settings", (*s)->to_json(index::IndexOptions{}.refresh_interval_ms));
    send_json(res, 200, out.dump());
  };
  auto answer = [](httplib::Response& res, const index::Index& idx) {
    Json out = Json::object();
    out.set("index", Json(idx.name()));
    out.set("settings", idx.settings()->to_json(idx.default_refresh_interval_ms()));
    send_json(res, 200, out.dump());
  };

  route("GET", "/v1/indexes/{index}/settings",
        [this, answer_clustered, answer](const httplib::Request& req, httplib::Response& res) {
          if (auto m = clustered(req.matches[1])) return answer_clustered(res, *m);
          auto idx = find_index(req.matches[1], res);
          if (!idx) return;
          answer(res, *idx);
        });

  route("PATCH", "/v1/indexes/{index}/settings",
        [this, answer_clustered, answer](const httplib::Request& req, httplib::Response& res) {
          auto m = clustered(req.matches[1]);
          auto idx = m ? nullptr : find_index(req.matches[1], res);
          if (!m && !idx) return;
          auto body = parse_body(req, res, false);
          if (!body) return;
          if (!body->is_object())
            return send_error(res, 400, "request body: expected an object of settings (a JSON merge patch)",
                              Json(Json::Object{{"path", Json("")}}));
          if (m) {
            // Validated as on one node, then stored by compare-and-set on
            // the shard map's revision; answered once every node uses them.
            auto stored = cluster_->patch_settings(m->index, *body);
            if (!stored)
              return send_error(res, stored.status(),
                                stored.status().code() == Status::Code::kInvalidArgument ||
                                        stored.status().code() == Status::Code::kUnsupported
                                    ? settings_error_extra(stored.status())
                                    : Json());
            return answer_clustered(res, *stored);
          }
          Status st = apply_settings(*idx, *body);
          if (!st.is_ok()) return send_error(res, st, st.code() == Status::Code::kInvalidArgument ? settings_error_extra(st) : Json());
          answer(res, *idx);
        });
}

}  // namespace meridian::server
