// The two shell backends: a data directory opened in-process, and a server.
#include "shell_backend.h"

#include <cstdio>

#include "meridian/base/json_merge_patch.h"

#include "meridian/analysis/analyzer.h"
#include "meridian/index/engine.h"
#include "meridian/index/manifest.h"
#include "meridian/query/search_request.h"
#include "meridian/query/searcher.h"
#include "meridian/query/suggest.h"
#include "meridian/server/alias_store.h"
#include "shell_http.h"

namespace meridian::cli::shell {
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

Json tokens_json(const std::vector<analysis::Token>& tokens) {
  Json arr = Json::array();
  for (const auto& t : tokens) {
    Json e = Json::object();
    e.set("token", t.text);
    e.set("position", static_cast<int64_t>(t.position));
    e.set("start", static_cast<int64_t>(t.start));
    e.set("end", static_cast<int64_t>(t.end));
    arr.push(std::move(e));
  }
  Json out = Json::object();
  out.set("tokens", std::move(arr));
  return out;
}

class LocalBackend final : public ShellBackend {
 public:
  explicit LocalBackend(std::unique_ptr<index::Engine> e) : engine_(std::move(e)) {}
  ~LocalBackend() override {
    // A failed final commit loses nothing (the WAL keeps it) but is said.
    if (Status st = engine_->close(); !st.is_ok()) std::fprintf(stderr, "meridian: %s\n", st.to_string().c_str());
  }

  std::string target() const override { return "data directory " + engine_->data_dir(); }

  Result<Json> list_indexes() override {
    Json arr = Json::array();
    for (const auto& name : engine_->list()) {
      auto ix = engine_->get(name);
      if (!ix) continue;
      Json e = Json::object();
      e.set("name", name);
      e.set("docs", Json((*ix)->stats().docs));
      arr.push(std::move(e));
    }
    Json out = Json::object();
    out.set("indexes", std::move(arr));
    return out;
  }

  Result<Json> describe(const std::string& name) override {
    MERIDIAN_ASSIGN_OR_RETURN(auto ix, engine_->get(name));
    Json out = Json::object();
    out.set("name", name);
    out.set("schema", ix->schema()->to_json());
    out.set("stats", stats_json(ix->stats()));
    return out;
  }

  Result<Json> search(const std::string& name, const Json& body) override {
    MERIDIAN_ASSIGN_OR_RETURN(auto ix, engine_->get(name));
    auto schema = ix->schema();
    auto opt = request_options(*ix, schema.get());
    MERIDIAN_ASSIGN_OR_RETURN(auto req, query::parse_search_request(body, opt));
    auto snap = ix->snapshot();
    MERIDIAN_ASSIGN_OR_RETURN(auto resp, query::search(*snap, req));
    MERIDIAN_RETURN_IF_ERROR(query::add_suggestions(*snap, req, opt.settings.get(), schema.get(), &resp));
    return query::to_json(resp);
  }

  Result<Json> analyze(const std::string& text) override {
    MERIDIAN_ASSIGN_OR_RETURN(auto an, analysis::Analyzer::create(analysis::AnalyzerConfig()));
    std::vector<analysis::Token> tokens;
    an->analyze(text, &tokens);
    return tokens_json(tokens);
  }

  Result<Json> bulk(const std::string& name, const std::string& ndjson) override {
    auto ix = engine_->get(name);
    if (!ix) ix = engine_->create_index(name, index::Schema());
    if (!ix) return ix.status();
    Json errors = Json::array();
    auto report = [&](size_t line, const std::string& msg) {
      Json e = Json::object();
      e.set("line", static_cast<int64_t>(line));
      e.set("error", msg);
      errors.push(std::move(e));
    };
    std::vector<Json> docs;
    std::vector<size_t> lines;
    size_t line = 0;
    for (size_t pos = 0; pos < ndjson.size();) {
      size_t nl = ndjson.find('\n', pos);
      if (nl == std::string::npos) nl = ndjson.size();
      std::string_view text(ndjson.data() + pos, nl - pos);
      pos = nl + 1;
      ++line;
      if (text.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      auto d = parse_json(text);
      if (!d) report(line, d.status().message());
      else if (!d->is_object()) report(line, "expected a JSON object");
      else {
        docs.push_back(std::move(*d));
        lines.push_back(line);
      }
    }
    index::WriteOptions w;
    w.wait_visible = true;
    auto results = docs.empty() ? std::vector<Result<index::PutResult>>{} : (*ix)->put_many(docs, w);
    int64_t indexed = 0;
    for (size_t i = 0; i < results.size(); ++i) {
      if (results[i].is_ok()) ++indexed;
      else if (results[i].status().code() == Status::Code::kIOError) return results[i].status();
      else report(lines[i], results[i].status().message());
    }
    auto& arr = errors.as_array();
    std::stable_sort(arr.begin(), arr.end(),
                     [](const Json& a, const Json& b) { return a.find("line")->as_int() < b.find("line")->as_int(); });
    Json out = Json::object();
    out.set("indexed", indexed);
    out.set("failed", static_cast<int64_t>(arr.size()));
    out.set("errors", std::move(errors));
    return out;
  }

  Result<Json> cluster() override { return Json(Json::Object{{"enabled", Json(false)}}); }

  Result<Json> sources(const std::string& name) override {
    MERIDIAN_ASSIGN_OR_RETURN(auto ix, engine_->get(name));
    MERIDIAN_RETURN_IF_ERROR(ix->commit());  // the manifest holds the positions
    MERIDIAN_ASSIGN_OR_RETURN(auto m, index::load_manifest(ix->dir()));
    Json out = Json::object();
    for (const auto& [k, v] : m.sources) out.set(k, v);
    return out;
  }

  Result<Json> patch(const std::string& name, const std::string& id, const Json& patch, bool upsert) override {
    MERIDIAN_ASSIGN_OR_RETURN(auto ix, engine_->get(name));
    MERIDIAN_ASSIGN_OR_RETURN(auto cur, ix->get(id));
    Json doc = Json::object();
    if (cur) {
      MERIDIAN_ASSIGN_OR_RETURN(doc, parse_json(*cur));
    } else if (!upsert) {
      return Status::not_found("no document '" + id + "' in index '" + name + "' (\\upsert creates it)");
    }
    apply_merge_patch(&doc, patch);
    const std::string& id_field = ix->schema()->id_field();
    if (!doc.find(id_field)) doc.set(id_field, Json(id));
    index::WriteOptions w;
    w.wait_visible = true;
    MERIDIAN_RETURN_IF_ERROR(ix->put(doc, w).status());
    Json out = Json::object();
    out.set("id", Json(id));
    out.set("result", Json(cur ? "updated" : "created"));
    return out;
  }

  Result<Json> delete_by_query(const std::string& name, const Json& body) override {
    MERIDIAN_ASSIGN_OR_RETURN(auto ix, engine_->get(name));
    auto schema = ix->schema();
    MERIDIAN_ASSIGN_OR_RETURN(auto req, query::parse_search_request(body, request_options(*ix, schema.get())));
    req.distinct.clear();  // every matching document goes
    MERIDIAN_RETURN_IF_ERROR(ix->refresh());
    auto snap = ix->snapshot();
    query::SortSpec by_id;
    by_id.kind = query::SortSpec::Kind::kField;
    by_id.field = snap->schema().id_field();
    by_id.desc = false;
    req.sort = {by_id};
    req.size = 1000;
    req.source = false;
    req.track_total_hits = 0;
    std::vector<std::string> ids;
    for (;;) {
      MERIDIAN_ASSIGN_OR_RETURN(auto r, query::search(*snap, req));
      for (const auto& h : r.hits) ids.push_back(h.id);
      if (r.hits.size() < req.size) break;
      req.search_after = r.hits.back().sort;
    }
    int64_t deleted = 0;
    for (const auto& id : ids) {
      MERIDIAN_ASSIGN_OR_RETURN(bool existed, ix->remove(id));
      deleted += existed ? 1 : 0;
    }
    MERIDIAN_RETURN_IF_ERROR(ix->refresh());
    Json out = Json::object();
    out.set("deleted", Json(deleted));
    return out;
  }

  Status refresh(const std::string& name) override {
    MERIDIAN_ASSIGN_OR_RETURN(auto ix, engine_->get(name));
    return ix->refresh();
  }

  // What PATCH /v1/indexes/{index} does, on the engine.
  Result<Json> add_fields(const std::string& name, const Json& body) override {
    MERIDIAN_ASSIGN_OR_RETURN(auto ix, engine_->get(name));
    MERIDIAN_ASSIGN_OR_RETURN(index::Schema add, index::Schema::from_json(body));
    auto cur = ix->schema();
    Json added = Json::array();
    for (const auto& [field, def] : add.fields()) {
      const index::FieldDef* old = cur->find(field);
      if (!old) {
        added.push(Json(field));
        continue;
      }
      if (old->to_json() == def.to_json()) continue;
      std::string what = old->type != def.type
                             ? "has type " + std::string(index::field_type_name(old->type)) + ", cannot change it to " +
                                   std::string(index::field_type_name(def.type))
                             : "exists with other options (" + old->to_json().dump() + ")";
      return Status::exists("fields." + field + ": field '" + field + "' " + what +
                            "; changing a field needs a reindex into a new index, then an alias swap "
                            "(docs/API.md, \"Zero-downtime reindex\")");
    }
    MERIDIAN_RETURN_IF_ERROR(ix->add_fields(add));
    Json out = Json::object();
    out.set("index", Json(name));
    out.set("result", Json(added.size() ? "updated" : "unchanged"));
    out.set("added", std::move(added));
    out.set("schema", ix->schema()->to_json());
    return out;
  }

  // The server's aliases file (<data>/aliases.json): the server reads it when it starts.
  Result<Json> aliases() override {
    MERIDIAN_ASSIGN_OR_RETURN(auto store, alias_store());
    Json map = Json::object();
    for (const auto& [a, i] : store->list()) map.set(a, Json(i));
    Json out = Json::object();
    out.set("aliases", std::move(map));
    return out;
  }

  Result<Json> set_alias(const std::string& alias, const std::string& target) override {
    MERIDIAN_ASSIGN_OR_RETURN(auto store, alias_store());
    server::AliasAction a;
    a.alias = alias;
    a.index = target;
    MERIDIAN_RETURN_IF_ERROR(store->apply({a}, [&](const std::string& n) { return engine_->get(n).is_ok(); }));
    Json out = Json::object();
    out.set("alias", Json(alias));
    out.set("index", Json(target));
    return out;
  }

  Result<Json> delete_alias(const std::string& alias) override {
    MERIDIAN_ASSIGN_OR_RETURN(auto store, alias_store());
    server::AliasAction a;
    a.kind = server::AliasAction::Kind::kRemove;
    a.alias = alias;
    MERIDIAN_RETURN_IF_ERROR(store->apply({a}, [&](const std::string& n) { return engine_->get(n).is_ok(); }));
    Json out = Json::object();
    out.set("alias", Json(alias));
    out.set("result", Json("deleted"));
    return out;
  }

 private:
  Result<std::unique_ptr<server::AliasStore>> alias_store() {
    return server::AliasStore::open(engine_->data_dir() + "/aliases.json");
  }

  Result<Json> settings(const std::string& name) override {
    MERIDIAN_ASSIGN_OR_RETURN(auto ix, engine_->get(name));
    return settings_json(*ix);
  }

  Result<Json> patch_settings(const std::string& name, const Json& patch) override {
    MERIDIAN_ASSIGN_OR_RETURN(auto ix, engine_->get(name));
    auto schema = ix->schema();
    MERIDIAN_ASSIGN_OR_RETURN(auto next, index::patch_index_settings(*ix->settings(), patch, schema.get()));
    MERIDIAN_RETURN_IF_ERROR(ix->set_settings(std::move(next)));
    return settings_json(*ix);
  }

 private:
  // What a search on `ix` takes from its settings (as the server does).
  static query::SearchRequestOptions request_options(const index::Index& ix, const index::Schema* schema) {
    query::SearchRequestOptions o;
    o.settings = ix.settings();
    o.schema = schema;
    return o;
  }
  static Json settings_json(const index::Index& ix) {
    Json out = Json::object();
    out.set("index", Json(ix.name()));
    out.set("settings", ix.settings()->to_json(ix.default_refresh_interval_ms()));
    return out;
  }

  std::unique_ptr<index::Engine> engine_;
};

class HttpBackend final : public ShellBackend {
 public:
  HttpBackend(std::string url, std::string key) : url_(std::move(url)), client_(make_client(url_, key)) {}

  std::string target() const override { return "server " + url_; }

  Result<Json> list_indexes() override { return get("/v1/indexes"); }
  Result<Json> describe(const std::string& name) override { return get(path(name)); }

  Result<Json> search(const std::string& name, const Json& body) override {
    return post(path(name) + "/search", body.dump(), "application/json");
  }

  Result<Json> analyze(const std::string& text) override {
    Json body = Json::object();
    body.set("text", text);
    return post("/v1/analyze", body.dump(), "application/json");
  }

  Result<Json> bulk(const std::string& name, const std::string& ndjson) override {
    auto d = describe(name);
    if (!d && d.status().code() == Status::Code::kNotFound) {
      auto created = call([&] { return client_->Put(path(name).c_str()); });
      if (!created && created.status().code() != Status::Code::kAlreadyExists) return created.status();
    } else if (!d) {
      return d.status();
    }
    return post(path(name) + "/docs?refresh=wait_for", ndjson, "application/x-ndjson");
  }

  Result<Json> cluster() override { return get("/v1/cluster"); }

  // The server's CDC sources (GET .../sources, admin scope): one line per
  // source with its state and position.
  Result<Json> sources(const std::string& name) override {
    MERIDIAN_ASSIGN_OR_RETURN(Json got, get(path(name) + "/sources"));
    Json out = Json::object();
    const Json* list = got.find("sources");
    if (!list || !list->is_array()) return out;
    for (const Json& src : list->as_array()) {
      const Json* n = src.find("name");
      if (!n || !n->is_string()) continue;
      std::string line;
      for (const char* k : {"type", "state", "applied_lsn", "flushed_lsn", "lag_seconds", "changes", "last_error"}) {
        const Json* v = src.find(k);
        if (!v || v->is_null()) continue;
        if (!line.empty()) line += " ";
        line += std::string(k) + "=" + (v->is_string() ? v->as_string() : v->dump());
      }
      out.set(n->as_string(), Json(line));
    }
    return out;
  }

  Result<Json> patch(const std::string& name, const std::string& id, const Json& patch, bool upsert) override {
    std::string p = path(name) + "/docs/" + url_escape(id) + "?refresh=wait_for" + (upsert ? "&upsert=true" : "");
    return call([&] { return client_->Patch(p.c_str(), patch.dump(), "application/json"); });
  }

  Result<Json> delete_by_query(const std::string& name, const Json& body) override {
    return post(path(name) + "/delete-by-query?refresh=wait_for", body.dump(), "application/json");
  }

  Status refresh(const std::string& name) override { return post(path(name) + "/refresh", "", "application/json").status(); }

  Result<Json> add_fields(const std::string& name, const Json& body) override {
    return call([&] { return client_->Patch(path(name).c_str(), body.dump(), "application/json"); });
  }

  Result<Json> settings(const std::string& name) override { return get(path(name) + "/settings"); }

  Result<Json> patch_settings(const std::string& name, const Json& patch) override {
    return call([&] { return client_->Patch((path(name) + "/settings").c_str(), patch.dump(), "application/json"); });
  }

  Result<Json> aliases() override { return get("/v1/aliases"); }

  Result<Json> set_alias(const std::string& alias, const std::string& target) override {
    Json body = Json::object();
    body.set("index", Json(target));
    MERIDIAN_RETURN_IF_ERROR(
        call([&] { return client_->Put(("/v1/aliases/" + url_escape(alias)).c_str(), body.dump(), "application/json"); })
            .status());
    Json out = Json::object();
    out.set("alias", Json(alias));
    out.set("index", Json(target));
    return out;
  }

  Result<Json> delete_alias(const std::string& alias) override {
    return call([&] { return client_->Delete(("/v1/aliases/" + url_escape(alias)).c_str()); });
  }

  Status health() { return get("/health").status(); }

 private:
  static std::string path(const std::string& name) { return "/v1/indexes/" + url_escape(name); }

  template <class F>
  Result<Json> call(F&& f) {
    try {
      return json_result(f(), url_);
    } catch (const std::exception& e) {
      return Status::io_error(url_ + ": " + e.what());
    }
  }
  Result<Json> get(const std::string& p) {
    return call([&] { return client_->Get(p.c_str()); });
  }
  Result<Json> post(const std::string& p, const std::string& body, const char* type) {
    return call([&] { return client_->Post(p.c_str(), body, type); });
  }

  std::string url_;
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace

Result<std::unique_ptr<ShellBackend>> open_local_backend(const std::string& data_dir) {
  auto engine = index::Engine::open(data_dir);
  if (!engine) {
    if (engine.status().code() == Status::Code::kBusy)
      return Status::busy("data directory " + data_dir + " is in use (is `meridian serve` running on it?): " +
                          engine.status().message() + "; connect to the server with --url http://HOST:PORT");
    return engine.status();
  }
  return std::unique_ptr<ShellBackend>(new LocalBackend(std::move(*engine)));
}

Result<std::unique_ptr<ShellBackend>> open_http_backend(const std::string& url, const std::string& key) {
  MERIDIAN_RETURN_IF_ERROR(check_url(url));
  auto b = std::make_unique<HttpBackend>(url, key);
  MERIDIAN_RETURN_IF_ERROR(b->health());
  return std::unique_ptr<ShellBackend>(std::move(b));
}

}  // namespace meridian::cli::shell
