// Routes: indexes, documents and the bulk endpoint.
#include <chrono>

#include "meridian/index/schema.h"
#include "server_impl.h"

namespace meridian::server {
namespace {

Json stats_json(const index::IndexStats& s) {
  Json j = Json::object();
  j.set("docs", Json(s.docs));
  j.set("deleted", Json(s.deleted));
  j.set("segments", Json(s.segments));
  j.set("bytes_on_disk", Json(s.bytes_on_disk));
  j.set("last_seq", Json(s.last_seq));
  j.set("visible_seq", Json(s.visible_seq));
  j.set("committed_seq", Json(s.committed_seq));
  j.set("generation", Json(s.generation));
  j.set("merges", Json(s.merges));
  j.set("wal_bytes", Json(s.wal_bytes));
  return j;
}


std::string id_string(const Json& v) {
  return v.is_string() ? v.as_string() : v.is_int() ? std::to_string(v.as_int()) : std::string();
}

bool bulk_content_type_ok(const std::string& ct) {
  if (ct.empty()) return true;
  std::string base = ct.substr(0, ct.find(';'));
  while (!base.empty() && base.back() == ' ') base.pop_back();
  return base == "application/json" || base == "application/x-ndjson" || base == "application/ndjson" ||
         base == "application/jsonl" || base == "text/plain" || base == "application/octet-stream";
}

}  // namespace

Json ServerImpl::doc_id_of(const Json& doc, const std::string& id_field) {
  if (!doc.is_object()) return Json();
  const Json* v = doc.find(id_field);
  return v && (v->is_string() || v->is_int()) ? *v : Json();
}

Result<std::shared_ptr<index::Index>> ServerImpl::create_index(const std::string& name, const index::Schema& schema) {
  if (auto target = resolve_alias(name); target != name)
    return Status::exists("'" + name + "' is an alias of '" + target + "'; an index cannot have an alias's name");
  if (clustered(name)) return Status::exists("index '" + name + "' already exists in the cluster");
  auto idx = engine_->create_index(name, schema);
  if (idx) hub_.attach(*idx);
  return idx;
}

Status ServerImpl::drop_index(const std::string& name) {
  sources_->remove_index(name);  // stop its CDC sources first (they hold the index)
  Status st = engine_->drop(name);
  if (st.is_ok()) st = aliases_->remove_index(name);  // an alias never points nowhere
  cache_.clear();  // a re-created index of this name restarts its generations
  return st;
}

void ServerImpl::add_bulk_error(Json* errors, size_t line, Json id, const std::string& msg) {
  Json e = Json::object();
  e.set("line", Json(static_cast<int64_t>(line)));
  e.set("id", std::move(id));
  e.set("error", Json(msg));
  errors->push(std::move(e));
}

void ServerImpl::send_bulk_result(httplib::Response& res, size_t indexed, Json errors,
                                  std::chrono::steady_clock::time_point start) {
  // Errors in line order, parse errors and write errors interleaved.
  auto& arr = errors.as_array();
  std::stable_sort(arr.begin(), arr.end(), [](const Json& a, const Json& c) {
    return a.find("line")->as_int() < c.find("line")->as_int();
  });
  Json out = Json::object();
  out.set("indexed", Json(static_cast<int64_t>(indexed)));
  out.set("failed", Json(static_cast<int64_t>(arr.size())));
  out.set("errors", std::move(errors));
  out.set("took_ms", Json(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count()));
  send_json(res, 200, out.dump());
}

void ServerImpl::send_document(httplib::Response& res, const std::string& index, const std::string& id,
                               const Result<std::optional<std::string>>& source) {
  if (!source) return send_error(res, source.status());
  if (!source->has_value())
    return send_error(res, 404, "no document '" + id + "' in index '" + index + "'", Json(Json::Object{{"id", Json(id)}}));
  std::string out = "{\"id\":";
  append_json_string(&out, id);
  out += ",\"found\":true,\"source\":";
  out += **source;
  out += "}";
  send_json(res, 200, out);
}

bool ServerImpl::parse_bulk_body(const std::string& b, std::vector<BulkLine>* good, Json* errors, httplib::Response& res) {
  auto report = [&](size_t line, Json id, const std::string& msg) { add_bulk_error(errors, line, std::move(id), msg); };
  size_t first = b.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && b[first] == '[') {
    // A JSON array: "line" is the element's 1-based position.
    auto arr = parse_json(b);
    if (!arr) {
      Json extra = Json::object();
      if (size_t col = invalid_utf8_offset(b)) extra.set("column", Json(static_cast<int64_t>(col)));
      send_error(res, 400, "request body: " + arr.status().message(), extra);
      return false;
    }
    for (size_t i = 0; i < arr->size(); ++i) {
      Json& d = arr->as_array()[i];
      if (!d.is_object()) report(i + 1, Json(), "expected a JSON object, got " + std::string(d.type_name()));
      else good->push_back({i + 1, std::move(d)});
    }
    return true;
  }
  size_t line = 0;
  for (size_t pos = 0; pos < b.size();) {
    size_t nl = b.find('\n', pos);
    if (nl == std::string::npos) nl = b.size();
    ++line;
    std::string_view text(b.data() + pos, nl - pos);
    pos = nl + 1;
    if (text.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    auto d = parse_json(text);
    if (!d) {
      std::string msg = d.status().message();
      if (invalid_utf8_offset(text)) msg = "invalid UTF-8";
      report(line, Json(), msg);
    } else if (!d->is_object()) {
      report(line, Json(), "expected a JSON object, got " + std::string(d->type_name()));
    } else {
      good->push_back({line, std::move(*d)});
    }
  }
  return true;
}

void ServerImpl::install_index_routes() {
  route("GET", "/v1/indexes", [this](const httplib::Request& req, httplib::Response& res) {
    Json arr = Json::array();
    const auto& who = current_principal();
    for (const auto& name : engine_->list()) {
      if (who && !who->allows(Scope::kSearch, name)) continue;
      auto idx = engine_->get(name);
      if (!idx) continue;
      Json e = Json::object();
      e.set("name", Json(name));
      e.set("docs", Json((*idx)->stats().docs));
      arr.push(std::move(e));
    }
    // Clustered indexes (cluster mode): the document count is the router's
    // exact total of a match-all search; null unless every shard answered
    // ("shards_failed" says how many did not).
    if (cluster_)
      if (auto names = cluster_->index_names())
        for (const auto& name : *names) {
          if (who && !who->allows(Scope::kSearch, name)) continue;
          auto m = clustered(name);
          if (!m) continue;
          Json docs;  // null
          int64_t failed = m->shards;
          httplib::Response scratch;
          Json count = Json(Json::Object{{"size", Json(int64_t{0})}, {"track_total_hits", Json(true)}});
          if (auto r = routed_search(*m, count, req, scratch)) {
            const Json* sh = r->find("shards");
            const Json* f = sh ? sh->find("failed") : nullptr;
            failed = f && f->is_int() ? f->as_int() : m->shards;
            const Json* total = r->find("total");
            const Json* value = total ? total->find("value") : nullptr;
            if (failed == 0 && value && value->is_int()) docs = *value;
          }
          arr.push(Json(Json::Object{{"name", Json(name)},
                                     {"docs", std::move(docs)},
                                     {"clustered", Json(true)},
                                     {"shards", Json(static_cast<int64_t>(m->shards))},
                                     {"replicas", Json(static_cast<int64_t>(m->replicas))},
                                     {"shards_failed", Json(failed)}}));
        }
    Json out = Json::object();
    out.set("indexes", std::move(arr));
    send_json(res, 200, out.dump());
  });

  route("PUT", "/v1/indexes/{index}", [this](const httplib::Request& req, httplib::Response& res) {
    std::string name = req.matches[1];
    Status st = index::validate_index_name(name);
    if (!st.is_ok()) return send_error(res, st, Json(Json::Object{{"path", Json("index")}}));
    auto body = parse_body(req, res, true);
    if (!body) return;
    if (body->is_null()) *body = Json::object();
    if (!body->is_object()) return send_error(res, 400, "request body: expected an object", Json(Json::Object{{"path", Json("")}}));
    // In cluster mode every index created here is clustered (docs/CLUSTER.md).
    if (cluster_) return create_clustered(name, std::move(*body), res);
    if (body->find("shards") || body->find("replicas")) {
      uint32_t shards = 1, replicas = 1;
      Status sc = cluster::validate_shard_counts(*body, &shards, &replicas);
      if (!sc) {
        const std::string field = sc.message().find("replicas") != std::string::npos ? "replicas" : "shards";
        return send_error(res, sc, Json(Json::Object{{"path", Json(field)}}));
      }
      if (shards > 1 || replicas > 1) {
        const std::string field = shards > 1 ? "shards" : "replicas";
        return send_error(res, 400, field + ": this server is not in cluster mode; start it with --cluster and --node-id "
                                            "to create an index with several shards or replicas (docs/CLUSTER.md)",
                          Json(Json::Object{{"path", Json(field)}}));
      }
      body->erase("shards");
      body->erase("replicas");
    }
    // Initial search settings (docs/API.md, "Index settings"), validated
    // against the new schema before the index exists.
    std::optional<Json> settings_patch;
    if (const Json* sj = body->find("settings")) {
      settings_patch = *sj;
      body->erase("settings");
    }
    auto schema = index::Schema::from_json(*body);
    if (!schema) return send_error(res, schema.status());
    if (settings_patch) {
      if (!settings_patch->is_object())
        return send_error(res, 400, "settings: expected an object", Json(Json::Object{{"path", Json("settings")}}));
      auto checked = index::patch_index_settings(index::IndexSettings{}, *settings_patch, &*schema);
      if (!checked) {
        Json extra = Json::object();
        extra.set("path", Json("settings"));
        return send_error(res, Status::invalid("settings." + checked.status().message()), extra);
      }
    }
    auto idx = create_index(name, *schema);
    if (!idx) return send_error(res, idx.status(), Json(Json::Object{{"index", Json(name)}}));
    if (settings_patch) {
      Status st = apply_settings(**idx, *settings_patch);
      if (!st.is_ok()) return send_error(res, st, Json(Json::Object{{"index", Json(name)}}));
    }
    Json out = Json::object();
    out.set("index", Json(name));
    out.set("result", Json("created"));
    out.set("schema", (*idx)->schema()->to_json());
    if (settings_patch) out.set("settings", (*idx)->settings()->to_json((*idx)->default_refresh_interval_ms()));
    send_json(res, 201, out.dump());
  });

  route("GET", "/v1/indexes/{index}", [this](const httplib::Request& req, httplib::Response& res) {
    if (auto m = clustered(req.matches[1])) return get_clustered(*m, res);
    auto idx = find_index(req.matches[1], res);
    if (!idx) return;
    Json out = Json::object();
    out.set("name", Json(idx->name()));
    out.set("schema", idx->schema()->to_json());
    out.set("stats", stats_json(idx->stats()));
    send_json(res, 200, out.dump());
  });

  route("DELETE", "/v1/indexes/{index}", [this](const httplib::Request& req, httplib::Response& res) {
    std::string name = req.matches[1];
    if (auto m = clustered(name)) {
      if (m->index != name)  // a cluster alias: as on one node, an alias is not dropped as an index
        return send_error(res, 400, "'" + name + "' is an alias of '" + m->index +
                                        "', not an index (manage it with /v1/aliases/" + name + ")",
                          Json(Json::Object{{"index", Json(name)}}));
      return drop_clustered(*m, res);
    }
    if (!find_index(name, res, false)) return;
    Status st = drop_index(name);
    if (!st.is_ok()) return send_error(res, st);
    Json out = Json::object();
    out.set("index", Json(name));
    out.set("result", Json("deleted"));
    send_json(res, 200, out.dump());
  });

  route("PUT", "/v1/indexes/{index}/docs/{id}", [this](const httplib::Request& req, httplib::Response& res) {
    auto m = clustered(req.matches[1]);
    std::shared_ptr<index::Index> idx;
    if (!m && !(idx = find_index(req.matches[1], res))) return;
    std::string id = req.matches[2];
    auto w = write_options(req, res);
    if (!w) return;
    auto body = parse_body(req, res, false);
    if (!body) return;
    if (!body->is_object()) return send_error(res, 400, "document: expected a JSON object", Json(Json::Object{{"path", Json("")}}));
    std::string id_field = "id";
    if (m) {
      if (auto schema = cluster_->schema(*m)) id_field = (*schema)->id_field();
    } else {
      id_field = idx->schema()->id_field();
    }
    if (const Json* have = body->find(id_field)) {
      if (id_string(*have) != id)
        return send_error(res, 400, id_field + ": the document's id does not match the URL's '" + id + "'",
                          Json(Json::Object{{"path", Json(id_field)}}));
    } else {
      body->set(id_field, Json(id));
    }
    if (m) return put_clustered(*m, id, std::move(*body), *w, res);
    auto r = idx->put(*body, *w);
    if (!r) return send_error(res, r.status(), Json(Json::Object{{"id", Json(id)}}));
    Json out = Json::object();
    out.set("id", Json(id));
    out.set("result", Json(r->replaced ? "updated" : "created"));
    out.set("seq", Json(r->seq));
    send_json(res, r->replaced ? 200 : 201, out.dump());
  });

  route("GET", "/v1/indexes/{index}/docs/{id}", [this](const httplib::Request& req, httplib::Response& res) {
    // The shard map from the routing view, as searches take it (no NATS round trip).
    if (auto m = clustered(req.matches[1], true)) return get_doc_clustered(*m, req.matches[2], req, res);
    auto idx = find_index(req.matches[1], res);
    if (!idx) return;
    std::string id = req.matches[2];
    send_document(res, idx->name(), id, idx->get(id));
  });

  route("DELETE", "/v1/indexes/{index}/docs/{id}", [this](const httplib::Request& req, httplib::Response& res) {
    auto m = clustered(req.matches[1]);
    std::shared_ptr<index::Index> idx;
    if (!m && !(idx = find_index(req.matches[1], res))) return;
    std::string id = req.matches[2];
    auto w = write_options(req, res);
    if (!w) return;
    if (m) return remove_clustered(*m, id, *w, res);
    auto r = idx->remove(id, *w);
    if (!r) return send_error(res, r.status());
    if (!*r)
      return send_error(res, 404, "no document '" + id + "' in index '" + idx->name() + "'",
                        Json(Json::Object{{"id", Json(id)}}));
    Json out = Json::object();
    out.set("id", Json(id));
    out.set("result", Json("deleted"));
    send_json(res, 200, out.dump());
  });

  route("POST", "/v1/indexes/{index}/docs", [this](const httplib::Request& req, httplib::Response& res) {
    auto start = std::chrono::steady_clock::now();
    auto m = clustered(req.matches[1]);
    std::shared_ptr<index::Index> idx;
    if (!m && !(idx = find_index(req.matches[1], res))) return;
    auto w = write_options(req, res);
    if (!w) return;
    std::string ct = req.get_header_value("Content-Type");
    if (!bulk_content_type_ok(ct))
      return send_error(res, 415, "Content-Type must be application/x-ndjson or application/json, got '" + ct + "'");
    if (m) return bulk_clustered(*m, req, *w, start, res);
    const std::string& id_field = idx->schema()->id_field();
    Json errors = Json::array();
    auto report = [&](size_t line, Json id, const std::string& msg) { add_bulk_error(&errors, line, std::move(id), msg); };
    std::vector<BulkLine> good;
    if (!parse_bulk_body(req.body, &good, &errors, res)) return;
    std::vector<Json> docs;
    docs.reserve(good.size());
    for (auto& g : good) docs.push_back(g.doc);
    auto results = docs.empty() ? std::vector<Result<index::PutResult>>{} : idx->put_many(docs, *w);
    // The disk refused the batch (full, EIO, the index degraded): nothing of
    // it is acknowledged, so the whole request is a 503, not 200 with errors.
    for (const auto& r : results)
      if (!r.is_ok() && r.status().code() == Status::Code::kIOError) return send_error(res, r.status());
    size_t indexed = 0;
    for (size_t i = 0; i < results.size(); ++i) {
      if (results[i].is_ok()) ++indexed;
      else report(good[i].line, doc_id_of(good[i].doc, id_field), results[i].status().message());
    }
    send_bulk_result(res, indexed, std::move(errors), start);
  });
}

}  // namespace meridian::server
