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
  auto unsupported = [](httplib::Response& res, const std::string& name) {
    send_error(res,
               Status::unsupported("index '" + name +
                                   "' is clustered: index settings are not supported on clustered indexes yet "
                                   "(docs/API.md, \"Index settings\")"),
               Json(Json::Object{{"index", Json(name)}}));
  };
  auto answer = [](httplib::Response& res, const index::Index& idx) {
    Json out = Json::object();
    out.set("index", Json(idx.name()));
    out.set("settings", idx.settings()->to_json(idx.default_refresh_interval_ms()));
    send_json(res, 200, out.dump());
  };

  route("GET", "/v1/indexes/{index}/settings",
        [this, unsupported, answer](const httplib::Request& req, httplib::Response& res) {
          if (clustered(req.matches[1])) return unsupported(res, req.matches[1]);
          auto idx = find_index(req.matches[1], res);
          if (!idx) return;
          answer(res, *idx);
        });

  route("PATCH", "/v1/indexes/{index}/settings",
        [this, unsupported, answer](const httplib::Request& req, httplib::Response& res) {
          if (clustered(req.matches[1])) return unsupported(res, req.matches[1]);
          auto idx = find_index(req.matches[1], res);
          if (!idx) return;
          auto body = parse_body(req, res, false);
          if (!body) return;
          if (!body->is_object())
            return send_error(res, 400, "request body: expected an object of settings (a JSON merge patch)",
                              Json(Json::Object{{"path", Json("")}}));
          Status st = apply_settings(*idx, *body);
          if (!st.is_ok()) return send_error(res, st, st.code() == Status::Code::kInvalidArgument ? settings_error_extra(st) : Json());
          answer(res, *idx);
        });
}

}  // namespace meridian::server
