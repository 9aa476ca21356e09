// Routes: index aliases (AliasStore).
//   GET    /v1/aliases            every alias the key may search: {"aliases": {"alias": "index"}}
//   POST   /v1/aliases            {"actions": [{"add": {...}}, {"remove": {...}}]}, all or nothing
//   PUT    /v1/aliases/{alias}    {"index": "..."}: create or move one alias
//   GET    /v1/aliases/{alias}    {"alias", "index"}
//   DELETE /v1/aliases/{alias}
#include "server_impl.h"

namespace meridian::server {

Status ServerImpl::apply_aliases(const std::vector<AliasAction>& actions) {
  Status st = aliases_->apply(actions, [this](const std::string& name) { return engine_->get(name).is_ok(); });
  if (st.is_ok()) cache_.clear();  // cached answers are keyed by index name
  return st;
}

void ServerImpl::install_alias_routes() {
  auto apply = [this](const std::vector<AliasAction>& actions, httplib::Response& res) {
    Status st = apply_aliases(actions);
    if (!st.is_ok()) {
      send_error(res, st);
      return false;
    }
    return true;
  };

  route("GET", "/v1/aliases", [this](const httplib::Request&, httplib::Response& res) {
    const auto& who = current_principal();
    Json obj = Json::object();
    for (const auto& [alias, index] : aliases_->list())
      if (!who || who->allows(Scope::kSearch, index)) obj.set(alias, Json(index));
    Json out = Json::object();
    out.set("aliases", std::move(obj));
    send_json(res, 200, out.dump());
  });

  route("POST", "/v1/aliases", [this, apply](const httplib::Request& req, httplib::Response& res) {
    auto body = parse_body(req, res, false);
    if (!body) return;
    auto actions = AliasStore::parse_actions(*body);
    if (!actions) return send_error(res, actions.status());
    if (!apply(*actions, res)) return;
    Json out = Json::object();
    out.set("acknowledged", Json(true));
    out.set("actions", Json(static_cast<int64_t>(actions->size())));
    send_json(res, 200, out.dump());
  });

  route("PUT", "/v1/aliases/{alias}", [this, apply](const httplib::Request& req, httplib::Response& res) {
    std::string alias = req.matches[1];
    auto body = parse_body(req, res, false);
    if (!body) return;
    const Json* index = body->is_object() ? body->find("index") : nullptr;
    if (!index || !index->is_string() || body->size() != 1)
      return send_error(res, 400, "request body: expected {\"index\": \"<index name>\"}", Json(Json::Object{{"path", Json("index")}}));
    bool existed = aliases_->resolve(alias).has_value();
    if (!apply({AliasAction{AliasAction::Kind::kAdd, alias, index->as_string()}}, res)) return;
    Json out = Json::object();
    out.set("alias", Json(alias));
    out.set("index", *index);
    out.set("result", Json(existed ? "updated" : "created"));
    send_json(res, existed ? 200 : 201, out.dump());
  });

  route("GET", "/v1/aliases/{alias}", [this](const httplib::Request& req, httplib::Response& res) {
    std::string alias = req.matches[1];
    auto index = aliases_->resolve(alias);
    const auto& who = current_principal();
    if (!index || (who && !who->allows(Scope::kSearch, *index)))
      return send_error(res, 404, "no alias '" + alias + "'", Json(Json::Object{{"alias", Json(alias)}}));
    Json out = Json::object();
    out.set("alias", Json(alias));
    out.set("index", Json(*index));
    send_json(res, 200, out.dump());
  });

  route("DELETE", "/v1/aliases/{alias}", [this, apply](const httplib::Request& req, httplib::Response& res) {
    std::string alias = req.matches[1];
    if (!apply({AliasAction{AliasAction::Kind::kRemove, alias, ""}}, res)) return;
    Json out = Json::object();
    out.set("alias", Json(alias));
    out.set("result", Json("deleted"));
    send_json(res, 200, out.dump());
  });
}

}  // namespace meridian::server
