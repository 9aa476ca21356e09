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

Result<std::shared_ptr<index::Index>> index_for_write(ServerImpl& s, const std::string& name) {
  if (name.empty()) return Status::invalid("no index: name it in the URL or in the action's _index");
  if (auto idx = s.engine_->get(s.resolve_alias(name))) return *idx;
  const auto& who = current_principal();
  if (who && !who->allows(Scope::kAdmin, name))
    return Status::not_found("no such index [" + name + "] (creating it on first write needs the admin scope)");
  auto schema = index::Schema::from_json(*mapping_to_schema(Json::object()));
  if (!schema) return schema.status();
  auto idx = s.create_index(name, *schema);
  if (!idx && idx.status().code() == Status::Code::kAlreadyExists) {  // created meanwhile
    if (auto again = s.engine_->get(name)) return *again;
  }
  return idx;
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

Result<Json> with_id(const index::Index& idx, Json doc, const std::string& id) {
  const std::string& id_field = idx.schema()->id_field();
  if (const Json* have = doc.find(id_field); have && id_field != kCompatIdField) {
    bool same = (have->is_string() && have->as_string() == id) || (have->is_int() && std::to_string(have->as_int()) == id);
    if (!same)
      return Status::invalid("the document's id field [" + id_field + "] holds " + have->dump() + ", not the _id [" + id +
                             "] (index [" + idx.name() + "] keeps its ids in [" + id_field + "])");
  }
  doc.set(id_field, Json(id));
  return doc;
}

Result<index::PutResult> update_document(ServerImpl& s, index::Index& idx, const std::string& id, const Json& body,
                                         const index::WriteOptions& w, std::string* result) {
  if (!body.is_object()) return Status::invalid("request body: expected {\"doc\": {...}}");
  const Json* doc = nullptr;
  const Json* upsert = nullptr;
  bool doc_as_upsert = false;
  for (const auto& [k, v] : body.as_object()) {
    if (k == "doc") doc = &v;
    else if (k == "upsert") upsert = &v;
    else if (k == "doc_as_upsert") doc_as_upsert = v.is_bool() && v.as_bool();
    else if (k == "script" || k == "scripted_upsert") return Status::invalid("[" + k + "] is not supported; send a partial [doc]");
    else if (k != "detect_noop" && k != "_source") return Status::invalid("unknown key [" + k + "] in an update");
  }
  if (doc && !doc->is_object()) return Status::invalid("[doc]: expected an object");
  if (upsert && !upsert->is_object()) return Status::invalid("[upsert]: expected an object");
  if (!doc) return Status::invalid("an update needs a partial [doc] (scripts are not supported)");
  MERIDIAN_ASSIGN_OR_RETURN(Json patch, with_id(idx, *doc, id));
  bool created = false;
  auto r = s.patch_document(idx, id, patch, doc_as_upsert, w, &created);
  if (r) {
    *result = created ? "created" : "updated";
    return r;
  }
  if (r.status().code() != Status::Code::kNotFound) return r.status();
  if (!upsert) return Status::not_found("[" + id + "]: document missing");
  // A missing document with an "upsert" document: that document is stored.
  MERIDIAN_ASSIGN_OR_RETURN(Json fresh, with_id(idx, *upsert, id));
  *result = "created";
  return idx.put(fresh, w);
}

Result<Json> get_document(const index::Index& idx, const std::string& id) {
  auto r = idx.get(id);
  if (!r) return r.status();
  Json out = Json::object();
  out.set("_index", Json(idx.name()));
  out.set("_id", Json(id));
  out.set("found", Json(r->has_value()));
  if (!r->has_value()) return out;
  auto src = parse_json(**r);
  if (!src) return Status::internal("stored document [" + id + "]: " + src.status().message());
  out.set("_source", public_source(std::move(*src), idx.schema()->id_field()));
  return out;
}

Json shards(int64_t n) {
  Json j = Json::object();
  j.set("total", Json(n));
  j.set("successful", Json(n));
  j.set("failed", Json(int64_t{0}));
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
