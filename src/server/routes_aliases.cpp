// Routes: index aliases. The node's own aliases (AliasStore) point to its
// single-node indexes; in cluster mode aliases of clustered indexes are the
// cluster's (cluster::AliasDirectory, docs/CLUSTER.md "Aliases of clustered
// indexes"), and these routes show and change both by classify_name's rule.
//   GET    /v1/aliases            every alias the key may search: {"aliases": {"alias": "index"}}
//   POST   /v1/aliases            {"actions": [{"add": {...}}, {"remove": {...}}]}, all or nothing
//   PUT    /v1/aliases/{alias}    {"index": "..."}: create or move one alias
//   GET    /v1/aliases/{alias}    {"alias", "index"}
//   DELETE /v1/aliases/{alias}
#include <set>

#include "server_impl.h"

namespace meridian::server {

namespace {

// The aliases of clustered indexes as this node sees them (empty on a single node).
AliasMap cluster_alias_map(ServerImpl& s) {
  if (!s.cluster_aliases_) return {};
  auto all = s.cluster_aliases_->aliases();
  return all ? **all : AliasMap{};
}

// The aliases this node answers with (classify_name).
AliasMap node_aliases(ServerImpl& s) {
  return effective_aliases(s.aliases_->list(), cluster_alias_map(s),
                           [&s](const std::string& n) { return s.engine_->get(n).is_ok(); });
}

}  // namespace

Status ServerImpl::apply_aliases(const std::vector<AliasAction>& actions) {
  auto local = [this](const std::string& n) { return engine_->get(n).is_ok(); };
  if (!cluster_aliases_) {
    Status st = aliases_->apply(actions, AliasNames{local, local});
    if (st.is_ok()) cache_.clear();  // cached answers are keyed by index name
    return st;
  }
  // Cluster mode: which names are clustered indexes, read from NATS once.
  std::set<std::string> clustered_names;
  for (const auto& a : actions)
    for (const std::string* n : {&a.alias, &a.index}) {
      if (n->empty() || clustered_names.count(*n)) continue;
      auto m = cluster_->shard_map(*n);
      if (!m) return Status::io_error("aliases: the cluster's indexes cannot be read: " + m.status().message());
      if (*m) clustered_names.insert(*n);
    }
  auto is_clustered = [&](const std::string& n) { return clustered_names.count(n) > 0; };
  auto is_index = [&](const std::string& n) { return local(n) || is_clustered(n); };
  MERIDIAN_ASSIGN_OR_RETURN(NameKind side, alias_store_for(actions, is_clustered, aliases_->list(), cluster_alias_map(*this)));
  Status st;
  if (side == NameKind::kNodeAlias) {
    st = aliases_->apply(actions, AliasNames{is_index, local});
  } else {
    // Re-applied to the record as stored at each compare-and-set attempt.
    auto stored = cluster_aliases_->update([&](const cluster::AliasMap& cur) -> Result<cluster::AliasMap> {
      return AliasStore::applied(cur, actions, AliasNames{is_index, is_clustered});
    });
    st = stored.status();
  }
  if (st.is_ok()) cache_.clear();
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
    for (const auto& [alias, index] : node_aliases(*this))
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
    bool existed = node_aliases(*this).count(alias) > 0;
    if (!apply({AliasAction{AliasAction::Kind::kAdd, alias, index->as_string()}}, res)) return;
    Json out = Json::object();
    out.set("alias", Json(alias));
    out.set("index", *index);
    out.set("result", Json(existed ? "updated" : "created"));
    send_json(res, existed ? 200 : 201, out.dump());
  });

  route("GET", "/v1/aliases/{alias}", [this](const httplib::Request& req, httplib::Response& res) {
    std::string alias = req.matches[1];
    const AliasMap all = node_aliases(*this);
    auto it = all.find(alias);
    auto index = it == all.end() ? std::nullopt : std::optional<std::string>(it->second);
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
