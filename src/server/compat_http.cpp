#include "compat_http.h"

#include <random>

#include "meridian/server/compat_search.h"

namespace meridian::server::compat {

void send(httplib::Response& res, int status, const Json& body) { ServerImpl::send_json(res, status, body.dump()); }

void reply_error(httplib::Response& res, const OsError& e) { ServerImpl::send_json(res, e.status, error_body(e)); }

std::optional<Json> body_json(const httplib::Request& req, httplib::Response& res, bool allow_empty) {
  if (req.body.find_first_not_of(" \t\r\n") == std::string::npos) {
    if (allow_empty) return Json();
    reply_error(res, OsError{400, "parse_exception", "request body is required", ""});
    return std::nullopt;
  }
  auto j = parse_json(req.body);
  if (!j) {
    reply_error(res, OsError{400, "parse_exception", "request body: " + j.status().message(), ""});
    return std::nullopt;
  }
  return std::move(*j);
}

std::shared_ptr<index::Index> lookup_index(ServerImpl& s, const std::string& name, httplib::Response& res) {
  auto idx = s.engine_->get(s.resolve_alias(name));
  if (!idx) {
    reply_error(res, index_not_found(name));
    return nullptr;
  }
  return *idx;
}

Result<Target> find_target(ServerImpl& s, const std::string& name, bool cached) {
  Target t;
  if (auto idx = s.engine_->get(s.resolve_alias(name))) {
    t.local = *idx;
    t.schema = t.local->schema();
    return t;
  }
  auto m = s.clustered(name, cached);
  if (!m) return Status::not_found("no such index [" + name + "]");
  auto schema = s.cluster_->schema(*m);
  if (!schema) return schema.status();
  t.clustered = std::move(*m);
  t.schema = std::move(*schema);
  return t;
}

std::optional<Target> lookup_target(ServerImpl& s, const std::string& name, httplib::Response& res, bool cached) {
  auto t = find_target(s, name, cached);
  if (!t) {
    reply_error(res, not_found_or(t.status(), name));
    return std::nullopt;
  }
  return std::move(*t);
}

Result<Target> target_for_write(ServerImpl& s, const std::string& name) {
  if (name.empty()) return Status::invalid("no index: name it in the URL or in the action's _index");
  auto found = find_target(s, name);
  if (found || found.status().code() != Status::Code::kNotFound) return found;
  if (s.cluster_)
    return Status::not_found("no such index [" + name + "] (in cluster mode an index is not created by its first write: "
                             "create it with PUT /" + name + " and its mappings, docs/CLUSTER.md)");
  const auto& who = current_principal();
  if (who && !who->allows(Scope::kAdmin, name))
    return Status::not_found("no such index [" + name + "] (creating it on first write needs the admin scope)");
  auto schema = index::Schema::from_json(*mapping_to_schema(Json::object()));
  if (!schema) return schema.status();
  auto idx = s.create_index(name, *schema);
  if (!idx && idx.status().code() == Status::Code::kAlreadyExists) {  // created meanwhile
    if (auto again = s.engine_->get(name)) idx = *again;
  }
  if (!idx) return idx.status();
  Target t;
  t.local = *idx;
  t.schema = t.local->schema();
  return t;
}

OsError not_found_or(const Status& st, const std::string& name) {
  if (st.code() != Status::Code::kNotFound) return from_status(st);
  OsError e = index_not_found(name);
  e.reason = st.message();
  return e;
}

std::optional<index::WriteOptions> write_options(const httplib::Request& req, httplib::Response& res) {
  index::WriteOptions w;
  for (const char* k : {"version", "version_type", "if_seq_no", "if_primary_term"}) {
    if (req.has_param(k)) {  // silently ignoring them would lose the update they guard
      reply_error(res, OsError{400, "illegal_argument_exception",
                               std::string("[") + k + "] is not supported: Meridian keeps no document versions "
                               "(optimistic concurrency control is not available; docs/COMPAT.md)", ""});
      return std::nullopt;
    }
  }
  if (req.has_param("pipeline")) {
    reply_error(res, OsError{400, "illegal_argument_exception", "[pipeline]: ingest pipelines are not supported", ""});
    return std::nullopt;
  }
  if (!req.has_param("refresh")) return w;
  std::string v = req.get_param_value("refresh");
  if (v == "wait_for" || v == "true" || v.empty()) {
    w.wait_visible = true;
  } else if (v != "false") {
    reply_error(res, OsError{400, "illegal_argument_exception",
                            "Unknown value for refresh: [" + v + "] (true, false or wait_for)", ""});
    return std::nullopt;
  }
  return w;
}

std::string new_id() {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string id(20, ' ');
  for (auto& c : id) c = kAlphabet[rng() % 64];
  return id;
}

Result<Json> with_id(const std::string& id_field, const std::string& index, Json doc, const std::string& id) {
  if (const Json* have = doc.find(id_field); have && id_field != kCompatIdField) {
    bool same = (have->is_string() && have->as_string() == id) || (have->is_int() && std::to_string(have->as_int()) == id);
    if (!same)
      return Status::invalid("the document's id field [" + id_field + "] holds " + have->dump() + ", not the _id [" + id +
                             "] (index [" + index + "] keeps its ids in [" + id_field + "])");
  }
  doc.set(id_field, Json(id));
  return doc;
}

Result<UpdateSpec> parse_update(const Json& body) {
  if (!body.is_object()) return Status::invalid("request body: expected {\"doc\": {...}}");
  UpdateSpec u;
  const Json* doc = nullptr;
  for (const auto& [k, v] : body.as_object()) {
    if (k == "doc") doc = &v;
    else if (k == "upsert") u.upsert = v;
    else if (k == "doc_as_upsert") u.doc_as_upsert = v.is_bool() && v.as_bool();
    else if (k == "script" || k == "scripted_upsert") return Status::invalid("[" + k + "] is not supported; send a partial [doc]");
    else if (k != "detect_noop" && k != "_source") return Status::invalid("unknown key [" + k + "] in an update");
  }
  if (doc && !doc->is_object()) return Status::invalid("[doc]: expected an object");
  if (u.upsert && !u.upsert->is_object()) return Status::invalid("[upsert]: expected an object");
  if (!doc) return Status::invalid("an update needs a partial [doc] (scripts are not supported)");
  u.doc = *doc;
  return u;
}

Result<index::PutResult> update_document(ServerImpl& s, index::Index& idx, const std::string& id, const Json& body,
                                         const index::WriteOptions& w, std::string* result) {
  MERIDIAN_ASSIGN_OR_RETURN(UpdateSpec u, parse_update(body));
  MERIDIAN_ASSIGN_OR_RETURN(Json patch, with_id(idx, u.doc, id));
  bool created = false;
  auto r = s.patch_document(idx, id, patch, u.doc_as_upsert, w, &created);
  if (r) {
    *result = created ? "created" : "updated";
    return r;
  }
  if (r.status().code() != Status::Code::kNotFound) return r.status();
  if (!u.upsert) return Status::not_found("[" + id + "]: document missing");
  // A missing document with an "upsert" document: that document is stored.
  MERIDIAN_ASSIGN_OR_RETURN(Json fresh, with_id(idx, *u.upsert, id));
  *result = "created";
  return idx.put(fresh, w);
}

Result<Json> document_json(const std::string& index, const std::string& id, const std::optional<std::string>& stored,
                           const std::string& id_field) {
  Json out = Json::object();
  out.set("_index", Json(index));
  out.set("_id", Json(id));
  out.set("found", Json(stored.has_value()));
  if (!stored) return out;
  auto src = parse_json(*stored);
  if (!src) return Status::internal("stored document [" + id + "]: " + src.status().message());
  out.set("_source", public_source(std::move(*src), id_field));
  return out;
}

Result<Json> get_document(const index::Index& idx, const std::string& id) {
  auto r = idx.get(id);
  if (!r) return r.status();
  return document_json(idx.name(), id, *r, idx.schema()->id_field());
}

Result<Json> get_target_document(ServerImpl& s, const Target& t, const std::string& id, const httplib::Request& in) {
  if (t.local) return get_document(*t.local, id);
  auto r = s.fetch_doc_clustered(*t.clustered, id, in);
  if (!r) return r.status();
  return document_json(t.name(), id, *r, t.id_field());
}

Json shards(int64_t n) {
  Json j = Json::object();
  j.set("total", Json(n));
  j.set("successful", Json(n));
  j.set("failed", Json(int64_t{0}));
  return j;
}

Json shards(int64_t n, int64_t failed) {
  Json j = Json::object();
  j.set("total", Json(n));
  j.set("successful", Json(n - failed));
  j.set("failed", Json(failed));
  return j;
}

Json write_result(const std::string& index, const std::string& id, const std::string& result, uint64_t seq) {
  Json j = Json::object();
  j.set("_index", Json(index));
  j.set("_id", Json(id));
  j.set("result", Json(result));
  j.set("_shards", shards());
  j.set("_seq_no", Json(seq));
  return j;
}

}  // namespace meridian::server::compat
