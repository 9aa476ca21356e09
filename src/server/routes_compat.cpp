// Routes of the OpenSearch-compatible API (docs/COMPAT.md): GET / (cluster
// info, or the web console for a browser), indexes and their mappings,
// documents (_doc, _create, _update), _refresh, _aliases, _alias and
// _cat/indices. They map onto the native operations (ServerImpl's
// create_index, drop_index, patch_document, apply_aliases and the Index
// functions) and, on a clustered index, onto the clustered ones
// (create_clustered's ClusterNode::create_index, drop_clustered, the writes
// of routes_compat_clustered.cpp; docs/CLUSTER.md); search routes are in
// routes_compat_search.cpp, _bulk in routes_compat_bulk.cpp.
#include <cinttypes>
#include <cstdio>
#include <filesystem>

#include "compat_http.h"
#include "meridian/server/compat_search.h"
#include "meridian/server/sha256.h"

namespace meridian::server {
namespace {

using compat::OsError;

// "12.5kb", as _cat prints sizes.
std::string human_bytes(uint64_t b) {
  const char* units[] = {"b", "kb", "mb", "gb", "tb"};
  double v = static_cast<double>(b);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0) std::snprintf(buf, sizeof buf, "%" PRIu64 "b", b);
  else std::snprintf(buf, sizeof buf, "%.1f%s", v, units[u]);
  return buf;
}

// The index settings OpenSearch clients read: one shard, no replicas on one
// node; a clustered index's shards and its copies besides the first.
Json index_settings(const compat::Target& t) {
  const std::string& name = t.name();
  const uint32_t shards = t.clustered ? t.clustered->shards : 1, copies = t.clustered ? t.clustered->replicas : 1;
  Json idx = Json::object();
  idx.set("number_of_shards", Json(std::to_string(shards)));
  idx.set("number_of_replicas", Json(std::to_string(copies - 1)));
  idx.set("provided_name", Json(name));
  Json out = Json::object();
  out.set("index", std::move(idx));
  return out;
}

// {alias: {}} of every alias of the target: the node's aliases of a local
// index, the cluster's of a clustered one.
Json aliases_of(ServerImpl& s, const compat::Target& t) {
  Json al = Json::object();
  if (t.local) {
    for (const auto& [alias, target] : s.aliases_->list())
      if (target == t.name()) al.set(alias, Json::object());
  } else if (s.cluster_aliases_) {
    if (auto all = s.cluster_aliases_->aliases())
      for (const auto& [alias, target] : **all)
        if (target == t.name()) al.set(alias, Json::object());
  }
  return al;
}

// The alias actions of a creation body's "aliases": each added to `index`.
std::vector<AliasAction> alias_adds(const std::vector<std::string>& aliases, const std::string& index) {
  std::vector<AliasAction> actions;
  for (const auto& a : aliases) actions.push_back({AliasAction::Kind::kAdd, a, index});
  return actions;
}

// The answer to PUT /{index} that created the index.
void reply_created(httplib::Response& res, const std::string& index) {
  Json out = Json::object();
  out.set("acknowledged", Json(true));
  out.set("shards_acknowledged", Json(true));
  out.set("index", Json(index));
  compat::send(res, 200, out);
}

// PUT /{index} on a node in cluster mode: a clustered index with the
// mappings' schema and the settings' shard counts (compat::create_body_shard_counts).
void create_clustered_index(ServerImpl& s, const std::string& name, const index::Schema& schema, const Json& body,
                            const std::vector<std::string>& aliases, httplib::Response& res) {
  using namespace compat;
  auto counts = create_body_shard_counts(body);
  if (!counts) return reply_error(res, from_status(counts.status(), "illegal_argument_exception"));
  auto m = s.cluster_->create_index(name, schema.to_json(), counts->shards, counts->replicas);
  if (!m) {
    if (m.status().code() == Status::Code::kAlreadyExists)
      return reply_error(res, OsError{400, "resource_already_exists_exception", "index [" + name + "] already exists", name});
    return reply_error(res, from_status(m.status()));
  }
  // Its aliases are the cluster's (ServerImpl::apply_aliases); all or nothing.
  if (Status st = aliases.empty() ? Status::ok() : s.apply_aliases(alias_adds(aliases, name)); !st) {
    httplib::Response dropped;
    s.drop_clustered(*m, dropped);
    return reply_error(res, from_status(st));
  }
  reply_created(res, name);
}

}  // namespace

bool ServerImpl::wants_html(const httplib::Request& req) {
  return req.get_header_value("Accept").find("text/html") != std::string::npos;
}

void ServerImpl::install_compat_routes() {
  using namespace compat;

  // GET /: a browser gets the console (when built in), a client the cluster
  // info its version check reads (distribution "opensearch", number 2.x).
  route("GET", "/", [this](const httplib::Request& req, httplib::Response& res) {
    if (wants_html(req) && console_root_) return console_root_(req, res);
    // Stable for a data directory: the same server answers the same uuid.
    std::error_code ec;
    std::string uuid = sha256_hex("meridian cluster " + std::filesystem::absolute(opt_.data_dir, ec).string()).substr(0, 22);
    Json version = Json::object();
    version.set("distribution", Json("opensearch"));
    version.set("number", Json("2.11.0"));
    version.set("build_type", Json("meridian"));
    version.set("build_hash", Json("meridian"));
    version.set("build_date", Json("2026-12-05T00:00:00Z"));
    version.set("build_snapshot", Json(false));
    version.set("lucene_version", Json("9.7.0"));
    version.set("minimum_wire_compatibility_version", Json("7.10.0"));
    version.set("minimum_index_compatibility_version", Json("7.0.0"));
    Json out = Json::object();
    out.set("name", Json(opt_.node_id.empty() ? std::string("meridian") : opt_.node_id));
    out.set("cluster_name", Json("meridian"));
    out.set("cluster_uuid", Json(uuid));
    out.set("version", std::move(version));
    out.set("tagline", Json("Meridian, speaking the OpenSearch API (docs/COMPAT.md)"));
    send(res, 200, out);
  });

  route("PUT", "/{index}", [this](const httplib::Request& req, httplib::Response& res) {
    std::string name = req.matches[1];
    Status valid = index::validate_index_name(name);
    if (!valid.is_ok()) return reply_error(res, OsError{400, "invalid_index_name_exception", valid.message(), name});
    auto body = body_json(req, res, true);
    if (!body) return;
    std::vector<std::string> aliases;
    auto schema_json = create_body_to_schema(*body, &aliases);
    if (!schema_json) return reply_error(res, from_status(schema_json.status(), "mapper_parsing_exception"));
    auto schema = index::Schema::from_json(*schema_json);
    if (!schema) return reply_error(res, from_status(schema.status(), "mapper_parsing_exception"));
    if (engine_->get(name) || aliases_->resolve(name) || (cluster_ && clustered(name)))
      return reply_error(res, OsError{400, "resource_already_exists_exception", "index [" + name + "] already exists", name});
    // In cluster mode an index is created clustered, as PUT /v1/indexes creates it (docs/CLUSTER.md).
    if (cluster_) return create_clustered_index(*this, name, *schema, *body, aliases, res);
    auto idx = create_index(name, *schema);
    if (!idx) return reply_error(res, from_status(idx.status()));
    if (Status st = aliases.empty() ? Status::ok() : apply_aliases(alias_adds(aliases, name)); !st) {
      (void)drop_index(name);  // all or nothing
      return reply_error(res, from_status(st));
    }
    reply_created(res, name);
  });

  // GET (and HEAD: does it exist) /{index}
  route("GET", "/{index}", [this](const httplib::Request& req, httplib::Response& res) {
    auto t = lookup_target(*this, req.matches[1], res);
    if (!t) return;
    Json one = Json::object();
    one.set("aliases", aliases_of(*this, *t));
    one.set("mappings", schema_to_mapping(*t->schema));
    one.set("settings", index_settings(*t));
    Json out = Json::object();
    out.set(t->name(), std::move(one));
    send(res, 200, out);
  });

  route("DELETE", "/{index}", [this](const httplib::Request& req, httplib::Response& res) {
    std::string name = req.matches[1];
    if (auto m = !engine_->get(name) && cluster_ ? clustered(name) : std::nullopt) {
      if (m->index != name)
        return reply_error(res, OsError{400, "illegal_argument_exception",
                                       "The provided expression [" + name + "] matches an alias, specify the corresponding concrete index [" + m->index + "] instead.", name});
      httplib::Response native;
      drop_clustered(*m, native);
      if (native.status != 200) return reply_error(res, from_native_error(native.status, native.body));
      return send(res, 200, Json(Json::Object{{"acknowledged", Json(true)}}));
    }
    if (!engine_->get(name)) {
      if (auto target = aliases_->resolve(name))
        return reply_error(res, OsError{400, "illegal_argument_exception",
                                       "The provided expression [" + name + "] matches an alias, specify the corresponding concrete index [" + *target + "] instead.", name});
      return reply_error(res, index_not_found(name));
    }
    Status st = drop_index(name);
    if (!st.is_ok()) return reply_error(res, from_status(st));
    send(res, 200, Json(Json::Object{{"acknowledged", Json(true)}}));
  });

  route("GET", "/{index}/_mapping", [this](const httplib::Request& req, httplib::Response& res) {
    auto t = lookup_target(*this, req.matches[1], res);
    if (!t) return;
    Json one = Json::object();
    one.set("mappings", schema_to_mapping(*t->schema));
    Json out = Json::object();
    out.set(t->name(), std::move(one));
    send(res, 200, out);
  });

  // Adds fields. On a clustered index: the native schema change
  // (ClusterNode::patch_schema), which every replica applies at its position
  // in the shard's log, with the same refusals.
  route("PUT", "/{index}/_mapping", [this](const httplib::Request& req, httplib::Response& res) {
    auto t = lookup_target(*this, req.matches[1], res);
    if (!t) return;
    auto body = body_json(req, res, false);
    if (!body) return;
    auto schema_json = mapping_to_schema(*body);
    if (!schema_json) return reply_error(res, from_status(schema_json.status(), "mapper_parsing_exception"));
    schema_json->erase("id_field");  // the index keeps its own
    auto add = index::Schema::from_json(*schema_json);
    if (!add) return reply_error(res, from_status(add.status(), "mapper_parsing_exception"));
    Status st = t->local ? t->local->add_fields(*add) : cluster_->patch_schema(t->name(), *schema_json, nullptr).status();
    if (!st.is_ok()) {
      OsError e = from_status(st, "illegal_argument_exception");
      if (st.code() == Status::Code::kAlreadyExists) e.type = "illegal_argument_exception";  // a field's type cannot change
      return reply_error(res, e);
    }
    cache_.clear();
    send(res, 200, Json(Json::Object{{"acknowledged", Json(true)}}));
  });

  // Index a document: PUT/POST /{index}/_doc/{id} (?op_type=create),
  // PUT /{index}/_create/{id}, POST /{index}/_doc (the server picks the id).
  auto put_doc = [this](const httplib::Request& req, httplib::Response& res, std::string id, bool create) {
    std::string name = req.matches[1];
    auto w = compat::write_options(req, res);
    if (!w) return;
    if (req.has_param("op_type")) {
      std::string op = req.get_param_value("op_type");
      if (op == "create") create = true;
      else if (op != "index")
        return reply_error(res, OsError{400, "illegal_argument_exception", "op_type must be index or create, got [" + op + "]", ""});
    }
    auto body = body_json(req, res, false);
    if (!body) return;
    if (!body->is_object())
      return reply_error(res, OsError{400, "mapper_parsing_exception", "failed to parse: the document is not a JSON object", ""});
    auto t = target_for_write(*this, name);
    if (!t) return reply_error(res, not_found_or(t.status(), name));
    auto doc = with_id(t->id_field(), t->name(), std::move(*body), id);
    if (!doc) return reply_error(res, from_status(doc.status(), "mapper_parsing_exception"));
    if (t->clustered) {
      auto ack = clustered_put(*this, *t, *doc, id, create, req);
      Status st = ack ? wait_visible(*this, *t, *ack, *w) : ack.status();
      if (st.code() == Status::Code::kAlreadyExists)
        return reply_error(res, OsError{409, "version_conflict_engine_exception", st.message(), t->name()});
      if (!st) return reply_error(res, from_status(st, "mapper_parsing_exception"));
      // Acknowledged by the log before any replica applied it: whether it
      // replaced a document is not known, so every put answers "created".
      return send(res, 201, write_result(t->name(), id, "created", ack->seq));
    }
    auto idx = &t->local;
    if (create) {
      auto cur = (*idx)->get(id);
      if (!cur) return reply_error(res, from_status(cur.status()));
      if (cur->has_value())
        return reply_error(res, OsError{409, "version_conflict_engine_exception",
                                       "[" + id + "]: version conflict, document already exists", (*idx)->name()});
    }
    auto r = (*idx)->put(*doc, *w);
    if (!r) return reply_error(res, from_status(r.status(), "mapper_parsing_exception"));
    send(res, r->replaced ? 200 : 201, write_result((*idx)->name(), id, r->replaced ? "updated" : "created", r->seq));
  };
  route("PUT", "/{index}/_doc/{id}", [put_doc](const httplib::Request& req, httplib::Response& res) {
    put_doc(req, res, req.matches[2], false);
  });
  route("POST", "/{index}/_doc/{id}", [put_doc](const httplib::Request& req, httplib::Response& res) {
    put_doc(req, res, req.matches[2], false);
  });
  route("PUT", "/{index}/_create/{id}", [put_doc](const httplib::Request& req, httplib::Response& res) {
    put_doc(req, res, req.matches[2], true);
  });
  route("POST", "/{index}/_doc", [put_doc](const httplib::Request& req, httplib::Response& res) {
    put_doc(req, res, new_id(), false);
  });

  route("GET", "/{index}/_doc/{id}", [this](const httplib::Request& req, httplib::Response& res) {
    auto t = lookup_target(*this, req.matches[1], res, true);
    if (!t) return;
    auto doc = get_target_document(*this, *t, req.matches[2], req);
    if (!doc) return reply_error(res, from_status(doc.status()));
    send(res, doc->find("found")->as_bool() ? 200 : 404, *doc);
  });

  route("DELETE", "/{index}/_doc/{id}", [this](const httplib::Request& req, httplib::Response& res) {
    auto t = lookup_target(*this, req.matches[1], res);
    if (!t) return;
    auto w = compat::write_options(req, res);
    if (!w) return;
    std::string id = req.matches[2];
    if (t->clustered) {
      // A delete record in the shard's log: acknowledged whether or not a
      // replica holds the document, so it answers "deleted".
      auto ack = cluster_->remove(*t->clustered, id);
      Status st = ack ? wait_visible(*this, *t, *ack, *w) : ack.status();
      if (!st) return reply_error(res, from_status(st));
      return send(res, 200, write_result(t->name(), id, "deleted", ack->seq));
    }
    auto idx = t->local;
    auto r = idx->remove(id, *w);
    if (!r) return reply_error(res, from_status(r.status()));
    send(res, *r ? 200 : 404, write_result(idx->name(), id, *r ? "deleted" : "not_found", idx->stats().last_seq));
  });

  route("POST", "/{index}/_update/{id}", [this](const httplib::Request& req, httplib::Response& res) {
    std::string name = req.matches[1];
    std::string id = req.matches[2];
    auto w = compat::write_options(req, res);
    if (!w) return;
    auto body = body_json(req, res, false);
    if (!body) return;
    const Json* upsert_flag = body->is_object() ? body->find("doc_as_upsert") : nullptr;
    bool may_create = (upsert_flag && upsert_flag->is_bool() && upsert_flag->as_bool()) || (body->is_object() && body->find("upsert"));
    auto t = may_create ? target_for_write(*this, name) : find_target(*this, name);
    if (!t) return reply_error(res, not_found_or(t.status(), name));
    std::string result;
    if (t->clustered) {
      auto ack = clustered_update(*this, *t, id, *body, req, &result);
      Status st = ack ? wait_visible(*this, *t, *ack, *w) : ack.status();
      if (st.code() == Status::Code::kNotFound)
        return reply_error(res, OsError{404, "document_missing_exception", st.message(), t->name()});
      if (!st) return reply_error(res, from_status(st, "mapper_parsing_exception"));
      return send(res, result == "created" ? 201 : 200, write_result(t->name(), id, result, ack->seq));
    }
    auto idx = t->local;
    auto r = update_document(*this, *idx, id, *body, *w, &result);
    if (!r) {
      if (r.status().code() == Status::Code::kNotFound)
        return reply_error(res, OsError{404, "document_missing_exception", r.status().message(), idx->name()});
      return reply_error(res, from_status(r.status(), "mapper_parsing_exception"));
    }
    send(res, result == "created" ? 201 : 200, write_result(idx->name(), id, result, r->seq));
  });

  // A node-local index counts one shard; a clustered index its shards, each
  // refreshed by the native clustered refresh (a shard that did not
  // refresh counts as failed).
  auto refresh = [this](const std::vector<Target>& list, const httplib::Request& req, httplib::Response& res) {
    int64_t total = 0, failed = 0;
    for (const auto& t : list) {
      if (t.clustered) {
        total += t.clustered->shards;
        failed += refresh_clustered(*this, *t.clustered, req);
        continue;
      }
      Status st = t.local->refresh();
      if (!st.is_ok()) return reply_error(res, from_status(st));
      ++total;
    }
    send(res, 200, Json(Json::Object{{"_shards", shards(total, failed)}}));
  };
  auto refresh_all = [this, refresh](const httplib::Request& req, httplib::Response& res) {
    const auto& who = current_principal();
    std::vector<Target> list;
    for (const auto& name : engine_->list())
      if (!who || who->allows(Scope::kWrite, name))
        if (auto idx = engine_->get(name)) list.push_back(Target{*idx, std::nullopt, (*idx)->schema()});
    for (auto& t : clustered_targets(*this, Scope::kWrite)) list.push_back(std::move(t));
    refresh(list, req, res);
  };
  for (const char* m : {"POST", "GET"}) {  // the JS client refreshes with GET
    route(m, "/{index}/_refresh", [this, refresh](const httplib::Request& req, httplib::Response& res) {
      auto t = lookup_target(*this, req.matches[1], res);
      if (t) refresh({*t}, req, res);
    });
    route(m, "/_refresh", refresh_all);
    route(m, "/_all/_refresh", refresh_all);
  }

  // {"actions": [{"add": {"index"|"indices", "alias"|"aliases"}}, {"remove": {...}}]}: all or none.
  route("POST", "/_aliases", [this](const httplib::Request& req, httplib::Response& res) {
    auto body = body_json(req, res, false);
    if (!body) return;
    const Json* actions = body->is_object() ? body->find("actions") : nullptr;
    if (!actions || !actions->is_array())
      return reply_error(res, OsError{400, "parsing_exception", "request body: expected {\"actions\": [...]}", ""});
    auto names = [](const Json& spec, const char* one, const char* many, std::vector<std::string>* out) {
      if (const Json* v = spec.find(one); v && v->is_string()) out->push_back(v->as_string());
      if (const Json* v = spec.find(many); v && v->is_array())
        for (const Json& e : v->as_array())
          if (e.is_string()) out->push_back(e.as_string());
    };
    std::vector<AliasAction> list;
    for (size_t i = 0; i < actions->size(); ++i) {
      const Json& a = actions->as_array()[i];
      std::string path = "actions[" + std::to_string(i) + "]";
      if (!a.is_object() || a.size() != 1)
        return reply_error(res, OsError{400, "parsing_exception", path + ": expected {\"add\"|\"remove\": {...}}", ""});
      const auto& [kind, spec] = a.as_object().front();
      if (kind != "add" && kind != "remove")
        return reply_error(res, OsError{400, "parsing_exception", path + ": action [" + kind + "] is not supported (add, remove)", ""});
      if (!spec.is_object()) return reply_error(res, OsError{400, "parsing_exception", path + "." + kind + ": expected an object", ""});
      std::vector<std::string> indexes, aliases;
      names(spec, "index", "indices", &indexes);
      names(spec, "alias", "aliases", &aliases);
      if (aliases.empty()) return reply_error(res, OsError{400, "action_request_validation_exception", path + ": [alias] is missing", ""});
      if (kind == "add" && indexes.size() != 1)
        return reply_error(res, OsError{400, "action_request_validation_exception", path + ": an alias points at exactly one [index]", ""});
      if (indexes.empty()) indexes.push_back("");
      for (const auto& al : aliases)
        for (const auto& ix : indexes)
          list.push_back({kind == "add" ? AliasAction::Kind::kAdd : AliasAction::Kind::kRemove, al, ix});
    }
    const auto& who = current_principal();
    for (const auto& a : list)
      if (who && !a.index.empty() && !who->allows(Scope::kAdmin, a.index))
        return reply_error(res, OsError{403, "security_exception", "this key lacks the 'admin' scope for index [" + a.index + "]", a.index});
    Status st = apply_aliases(list);
    if (!st.is_ok()) {
      OsError e = from_status(st);
      if (st.code() == Status::Code::kNotFound) e.type = "aliases_not_found_exception";
      return reply_error(res, e);
    }
    send(res, 200, Json(Json::Object{{"acknowledged", Json(true)}}));
  });

  route("GET", "/_alias", [this](const httplib::Request&, httplib::Response& res) {
    const auto& who = current_principal();
    auto all = aliases_->list();
    Json out = Json::object();
    for (const auto& name : engine_->list()) {
      if (who && !who->allows(Scope::kSearch, name)) continue;
      Json al = Json::object();
      for (const auto& [alias, target] : all)
        if (target == name) al.set(alias, Json::object());
      out.set(name, Json(Json::Object{{"aliases", std::move(al)}}));
    }
    // Clustered indexes and the cluster's aliases of them.
    for (const auto& t : clustered_targets(*this, Scope::kSearch))
      out.set(t.name(), Json(Json::Object{{"aliases", aliases_of(*this, t)}}));
    send(res, 200, out);
  });

  // One alias: {index: {aliases: {alias: {}}}}; HEAD: does it exist.
  route("GET", "/_alias/{alias}", [this](const httplib::Request& req, httplib::Response& res) {
    std::string alias = req.matches[1];
    auto target = aliases_->resolve(alias);
    if (!target && cluster_aliases_ && !engine_->get(alias)) target = cluster_aliases_->resolve(alias);
    const auto& who = current_principal();
    if (!target || (who && !who->allows(Scope::kSearch, *target)))
      return reply_error(res, OsError{404, "aliases_not_found_exception", "alias [" + alias + "] missing", ""});
    Json out = Json::object();
    out.set(*target, Json(Json::Object{{"aliases", Json(Json::Object{{alias, Json::object()}})}}));
    send(res, 200, out);
  });

  route("GET", "/{index}/_alias", [this](const httplib::Request& req, httplib::Response& res) {
    auto t = lookup_target(*this, req.matches[1], res, true);
    if (!t) return;
    Json out = Json::object();
    out.set(t->name(), Json(Json::Object{{"aliases", aliases_of(*this, *t)}}));
    send(res, 200, out);
  });

  // What readiness checks poll: one node, one primary shard per index, no
  // replicas; red while an index refuses writes after an I/O error.
  // In cluster mode the clustered indexes count too, from the routing view:
  // a shard with an in-sync replica on a live node is an active primary, each
  // such replica an active shard, each missing copy unassigned (yellow); a
  // shard without one is red.
  route("GET", "/_cluster/health", [this](const httplib::Request&, httplib::Response& res) {
    int64_t shards = 0, primaries = 0, unassigned = 0, nodes = 1;
    bool red = false, yellow = false;
    for (const auto& name : engine_->list()) {
      auto idx = engine_->get(name);
      if (!idx) continue;
      ++shards;
      ++primaries;
      red = red || !(*idx)->health().is_ok();
    }
    if (cluster_) {
      if (auto live = cluster_->live_node_ids()) nodes = static_cast<int64_t>(live->size());
      if (auto names = cluster_->index_names())
        for (const auto& name : *names) {
          auto m = clustered(name, true);
          auto routes = m ? cluster_->routes(*m) : Result<std::vector<std::vector<cluster::ReplicaRoute>>>(Status::not_found(""));
          if (!routes) continue;
          for (const auto& replicas : *routes) {
            const auto n = static_cast<int64_t>(replicas.size());
            shards += n;
            primaries += n > 0 ? 1 : 0;
            unassigned += std::max<int64_t>(0, static_cast<int64_t>(m->replicas) - n);
            red = red || n == 0;
            yellow = yellow || n < static_cast<int64_t>(m->replicas);
          }
        }
    }
    Json out = Json::object();
    out.set("cluster_name", Json("meridian"));
    out.set("status", Json(red ? "red" : yellow ? "yellow" : "green"));
    out.set("timed_out", Json(false));
    out.set("number_of_nodes", Json(nodes));
    out.set("number_of_data_nodes", Json(nodes));
    out.set("active_primary_shards", Json(primaries));
    out.set("active_shards", Json(shards));
    out.set("relocating_shards", Json(int64_t{0}));
    out.set("initializing_shards", Json(int64_t{0}));
    out.set("unassigned_shards", Json(unassigned));
    out.set("delayed_unassigned_shards", Json(int64_t{0}));
    out.set("number_of_pending_tasks", Json(int64_t{0}));
    out.set("number_of_in_flight_fetch", Json(int64_t{0}));
    out.set("task_max_waiting_in_queue_millis", Json(int64_t{0}));
    out.set("active_shards_percent_as_number",
            Json(shards + unassigned == 0 ? 100.0 : 100.0 * static_cast<double>(shards) / static_cast<double>(shards + unassigned)));
    send(res, 200, out);
  });

  // _cat/indices: text columns (?v adds the header, ?h=a,b picks columns,
  // ?bytes=b prints sizes in bytes) or ?format=json.
  route("GET", "/_cat/indices", [this](const httplib::Request& req, httplib::Response& res) {
    static const std::vector<std::string> kColumns = {"health", "status", "index", "pri", "rep", "docs.count",
                                                      "docs.deleted", "store.size", "pri.store.size"};
    std::vector<std::string> cols = kColumns;
    if (req.has_param("h")) {
      cols.clear();
      std::string h = req.get_param_value("h");
      for (size_t pos = 0; pos <= h.size();) {
        size_t comma = h.find(',', pos);
        if (comma == std::string::npos) comma = h.size();
        std::string c = h.substr(pos, comma - pos);
        pos = comma + 1;
        if (c.empty()) continue;
        if (std::find(kColumns.begin(), kColumns.end(), c) == kColumns.end())
          return reply_error(res, OsError{400, "illegal_argument_exception", "unknown column [" + c + "] in h", ""});
        cols.push_back(c);
      }
    }
    bool raw_bytes = req.get_param_value("bytes") == "b";
    const auto& who = current_principal();
    std::vector<std::map<std::string, std::string>> rows;
    for (const auto& name : engine_->list()) {
      if (who && !who->allows(Scope::kSearch, name)) continue;
      auto idx = engine_->get(name);
      if (!idx) continue;
      index::IndexStats s = (*idx)->stats();
      std::string size = raw_bytes ? std::to_string(s.bytes_on_disk) : human_bytes(s.bytes_on_disk);
      rows.push_back({{"health", s.degraded.empty() ? "green" : "red"}, {"status", "open"}, {"index", name},
                      {"pri", "1"}, {"rep", "0"}, {"docs.count", std::to_string(s.docs)},
                      {"docs.deleted", std::to_string(s.deleted)}, {"store.size", size}, {"pri.store.size", size}});
    }
    // A clustered index: its shards and copies, and the router's count of
    // its documents (empty, and health red, while a shard does not answer);
    // what no single node knows (deleted documents, sizes) is left empty.
    for (const auto& t : clustered_targets(*this, Scope::kSearch)) {
      int64_t failed = 0;
      auto docs = count_clustered(*this, *t.clustered, req, &failed);
      rows.push_back({{"health", failed == 0 ? "green" : "red"}, {"status", "open"}, {"index", t.name()},
                      {"pri", std::to_string(t.clustered->shards)}, {"rep", std::to_string(t.clustered->replicas - 1)},
                      {"docs.count", docs ? std::to_string(*docs) : ""}, {"docs.deleted", ""}, {"store.size", ""},
                      {"pri.store.size", ""}});
    }
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.at("index") < b.at("index"); });
    if (req.get_param_value("format") == "json") {
      Json arr = Json::array();
      for (auto& r : rows) {
        Json o = Json::object();
        for (const auto& c : cols) o.set(c, Json(r[c]));
        arr.push(std::move(o));
      }
      return send(res, 200, arr);
    }
    std::vector<std::vector<std::string>> table;
    if (req.has_param("v")) table.push_back(cols);
    for (auto& r : rows) {
      std::vector<std::string> line;
      for (const auto& c : cols) line.push_back(r[c]);
      table.push_back(std::move(line));
    }
    std::vector<size_t> width(cols.size(), 0);
    for (const auto& line : table)
      for (size_t i = 0; i < line.size(); ++i) width[i] = std::max(width[i], line[i].size());
    std::string text;
    for (const auto& line : table) {
      for (size_t i = 0; i < line.size(); ++i) {
        text += line[i];
        if (i + 1 < line.size()) text += std::string(width[i] - line[i].size() + 1, ' ');
      }
      text += '\n';
    }
    res.status = 200;
    res.set_content(text, "text/plain; charset=UTF-8");
  });
}

}  // namespace meridian::server
