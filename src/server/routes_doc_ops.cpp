// Routes: the write and maintenance operations beyond put/get/delete.
//   PATCH /v1/indexes/{index}/docs/{id}[?upsert=true]   JSON merge patch (RFC 7396)
//   POST  /v1/indexes/{index}/delete-by-query            search body forms → {"deleted"}
//   GET   /v1/indexes/{index}/docs?after=&size=          documents in id order, with a cursor
//   POST  /v1/indexes/{index}/refresh                    make every acknowledged write searchable
//   PATCH /v1/indexes/{index}                            add fields (schema evolution)
#include <chrono>
#include <limits>
#include <mutex>

#include "meridian/base/json_merge_patch.h"
#include "meridian/index/schema.h"
#include "meridian/index/schema_change.h"
#include "meridian/query/search_request.h"
#include "meridian/query/searcher.h"
#include "server_impl.h"

namespace meridian::server {
namespace {

constexpr size_t kDeletePage = 1000;
constexpr int64_t kMaxListSize = 1000;

// Read-modify-write of one document must not interleave with another on the
// same index (a lost update); one lock per index name.
std::mutex& patch_lock(const std::string& index) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<std::mutex>> locks;
  std::lock_guard<std::mutex> l(mu);
  auto& m = locks[index];
  if (!m) m = std::make_unique<std::mutex>();
  return *m;
}

// A sort on the id field, ascending: listing and paging by id.
query::SortSpec by_id(const index::Schema& schema) {
  query::SortSpec s;
  s.kind = query::SortSpec::Kind::kField;
  s.field = schema.id_field();
  s.desc = false;
  return s;
}

// The search_after value of an id: an int when the id field is declared int.
std::optional<Json> id_cursor(const index::Schema& schema, const std::string& after) {
  const index::FieldDef* f = schema.find(schema.id_field());
  if (f && f->type == index::FieldType::kInt) {
    try {
      size_t used = 0;
      long long v = std::stoll(after, &used);
      if (used != after.size()) return std::nullopt;
      return Json(static_cast<int64_t>(v));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return Json(after);
}

}  // namespace

Result<index::PutResult> ServerImpl::patch_document(index::Index& idx, const std::string& id, const Json& patch, bool upsert,
                                                    const index::WriteOptions& w, bool* created) {
  std::lock_guard<std::mutex> lock(patch_lock(idx.name()));
  auto cur = idx.get(id);
  if (!cur) return cur.status();
  Json doc = Json::object();
  if (cur->has_value()) {
    auto parsed = parse_json(**cur);
    if (!parsed) return Status::internal("stored document '" + id + "': " + parsed.status().message());
    doc = std::move(*parsed);
  } else if (!upsert) {
    return Status::not_found("no document '" + id + "' in index '" + idx.name() + "'");
  }
  *created = !cur->has_value();
  apply_merge_patch(&doc, patch);
  const std::string& id_field = idx.schema()->id_field();
  if (!doc.find(id_field)) doc.set(id_field, Json(id));
  return idx.put(doc, w);
}

Result<std::vector<std::string>> ServerImpl::matching_ids(index::Index& idx, query::SearchRequest q) {
  MERIDIAN_RETURN_IF_ERROR(idx.refresh());
  auto snap = idx.snapshot();
  q.sort = {by_id(snap->schema())};
  q.size = kDeletePage;
  q.from = 0;
  q.source = false;
  q.track_total_hits = 0;
  std::vector<std::string> ids;
  for (;;) {
    auto r = query::search(*snap, q);
    if (!r) return r.status();
    for (const auto& h : r->hits) ids.push_back(h.id);
    if (r->hits.size() < kDeletePage) break;
    q.search_after = r->hits.back().sort;
  }
  return ids;
}

std::optional<query::SearchRequest> ServerImpl::parse_delete_query(const Json& body, httplib::Response& res) {
  if (!body.is_object()) {
    send_error(res, 400, "request body: expected an object", Json(Json::Object{{"path", Json("")}}));
    return std::nullopt;
  }
  for (const char* k : {"from", "size", "sort", "search_after", "facets", "highlight", "fields", "source", "explain",
                        "track_total_hits", "geo_decay"}) {
    if (body.find(k)) {
      send_error(res, 400, std::string(k) + ": not allowed in delete-by-query (only what selects documents: q, q_fields, query, filter, near, radius, bbox, geo_field)",
                 Json(Json::Object{{"path", Json(k)}}));
      return std::nullopt;
    }
  }
  auto parsed = query::parse_search_request(body);
  if (!parsed) {
    send_error(res, parsed.status());
    return std::nullopt;
  }
  return std::move(*parsed);
}

Status ServerImpl::delete_matching(index::Index& idx, query::SearchRequest q, const index::WriteOptions& w, int64_t* deleted) {
  // Every acknowledged write is searchable, then one snapshot is walked in
  // id order; deletes do not change that snapshot.
  *deleted = 0;
  MERIDIAN_ASSIGN_OR_RETURN(std::vector<std::string> ids, matching_ids(idx, std::move(q)));
  index::WriteOptions lazy = w;
  lazy.durable = false;
  lazy.wait_visible = false;
  for (size_t i = 0; i < ids.size(); ++i) {
    // The last delete is durable (and visible if asked): the WAL is
    // sequential, so its sync covers every delete before it.
    auto r = idx.remove(ids[i], i + 1 == ids.size() ? w : lazy);
    if (!r) return r.status();
    if (*r) ++*deleted;
  }
  return Status::ok();
}

void ServerImpl::install_doc_op_routes() {
  route("PATCH", "/v1/indexes/{index}/docs/{id}", [this](const httplib::Request& req, httplib::Response& res) {
    auto m = clustered(req.matches[1]);
    std::shared_ptr<index::Index> idx;
    if (!m && !(idx = find_index(req.matches[1], res))) return;
    std::string id = req.matches[2];
    auto w = write_options(req, res);
    if (!w) return;
    bool upsert = false;
    if (req.has_param("upsert")) {
      std::string v = req.get_param_value("upsert");
      if (v == "true" || v.empty()) upsert = true;
      else if (v != "false")
        return send_error(res, 400, "upsert: expected true or false, got '" + v + "'", Json(Json::Object{{"path", Json("upsert")}}));
    }
    auto patch = parse_body(req, res, false);
    if (!patch) return;
    if (!patch->is_object())
      return send_error(res, 400, "request body: expected a JSON merge patch object, got " + std::string(patch->type_name()),
                        Json(Json::Object{{"path", Json("")}}));
    std::string id_field = "id";
    if (m) {
      if (auto schema = cluster_->schema(*m)) id_field = (*schema)->id_field();
    } else {
      id_field = idx->schema()->id_field();
    }
    if (const Json* have = patch->find(id_field)) {
      bool same = (have->is_string() && have->as_string() == id) || (have->is_int() && std::to_string(have->as_int()) == id);
      if (!same)
        return send_error(res, 400, id_field + ": a patch cannot change the document's id '" + id + "'",
                          Json(Json::Object{{"path", Json(id_field)}}));
    }
    if (m) return patch_clustered(*m, id, *patch, upsert, *w, req, res);
    bool created = false;
    auto r = patch_document(*idx, id, *patch, upsert, *w, &created);
    if (!r && r.status().code() == Status::Code::kNotFound && !upsert)
      return send_error(res, 404, r.status().message() + " (add ?upsert=true to create it)", Json(Json::Object{{"id", Json(id)}}));
    if (!r) return send_error(res, r.status(), Json(Json::Object{{"id", Json(id)}}));
    Json out = Json::object();
    out.set("id", Json(id));
    out.set("result", Json(created ? "created" : "updated"));
    out.set("seq", Json(r->seq));
    send_json(res, created ? 201 : 200, out.dump());
  });

  route("POST", "/v1/indexes/{index}/delete-by-query", [this](const httplib::Request& req, httplib::Response& res) {
    auto start = std::chrono::steady_clock::now();
    auto m = clustered(req.matches[1]);
    std::shared_ptr<index::Index> idx;
    if (!m && !(idx = find_index(req.matches[1], res))) return;
    auto w = write_options(req, res);
    if (!w) return;
    auto body = parse_body(req, res, false);
    if (!body) return;
    auto parsed = parse_delete_query(*body, res);
    if (!parsed) return;
    if (m) return delete_by_query_clustered(*m, *body, *w, req, res);
    // The index's settings shape q (docs/API.md, "Index settings"); every
    // matching document goes, not one per distinct value.
    auto schema = idx->schema();
    auto local = query::parse_search_request(*body, request_options(*idx, schema.get()));
    if (!local) return send_error(res, local.status());
    local->distinct.clear();
    parsed = std::move(*local);
    int64_t deleted = 0;
    Status st = delete_matching(*idx, std::move(*parsed), *w, &deleted);
    if (!st.is_ok()) return send_error(res, st, Json(Json::Object{{"deleted", Json(deleted)}}));
    Json out = Json::object();
    out.set("deleted", Json(deleted));
    out.set("took_ms", Json(elapsed_ms(start)));
    send_json(res, 200, out.dump());
  });

  route("GET", "/v1/indexes/{index}/docs", [this](const httplib::Request& req, httplib::Response& res) {
    auto m = clustered(req.matches[1], true);
    auto idx = m ? nullptr : find_index(req.matches[1], res);
    if (!m && !idx) return;
    int64_t size = 100;
    if (req.has_param("size")) {
      std::string v = req.get_param_value("size");
      size_t used = 0;
      try {
        size = std::stoll(v, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != v.size() || size < 1 || size > kMaxListSize)
        return send_error(res, 400, "size: expected an integer in [1, " + std::to_string(kMaxListSize) + "], got '" + v + "'",
                          Json(Json::Object{{"path", Json("size")}}));
    }
    bool source = true;
    if (req.has_param("source")) {
      std::string v = req.get_param_value("source");
      if (v == "false") source = false;
      else if (v != "true") return send_error(res, 400, "source: expected true or false, got '" + v + "'", Json(Json::Object{{"path", Json("source")}}));
    }
    if (m) return list_clustered(*m, size, source, req, res);
    auto snap = idx->snapshot();
    query::SearchRequest q;
    q.sort = {by_id(snap->schema())};
    q.size = static_cast<size_t>(size) + 1;  // one more says whether there is a next page
    q.source = source;
    q.track_total_hits = 0;
    if (req.has_param("after")) {
      auto c = id_cursor(snap->schema(), req.get_param_value("after"));
      if (!c) return send_error(res, 400, "after: expected an integer id (the id field is int)", Json(Json::Object{{"path", Json("after")}}));
      Json arr = Json::array();
      arr.push(std::move(*c));
      // Ids are unique: the largest tiebreaker puts the cursor after every
      // copy of that id, so the page starts at the next id.
      arr.push(Json(std::numeric_limits<int64_t>::max()));
      q.search_after = std::move(arr);
    }
    auto r = query::search(*snap, q);
    if (!r) return send_error(res, r.status());
    Json docs = Json::array();
    size_t n = std::min(r->hits.size(), static_cast<size_t>(size));
    for (size_t i = 0; i < n; ++i) {
      Json d = Json::object();
      d.set("id", Json(r->hits[i].id));
      if (source) d.set("source", std::move(r->hits[i].source));
      docs.push(std::move(d));
    }
    Json out = Json::object();
    out.set("docs", std::move(docs));
    out.set("next", r->hits.size() > n ? Json(r->hits[n - 1].id) : Json());
    send_json(res, 200, out.dump());
  });

  route("POST", "/v1/indexes/{index}/refresh", [this](const httplib::Request& req, httplib::Response& res) {
    if (auto m = clustered(req.matches[1])) return refresh_replicas_clustered(*m, req, res);
    auto idx = find_index(req.matches[1], res);
    if (!idx) return;
    Status st = idx->refresh();
    if (!st.is_ok()) return send_error(res, st);
    Json out = Json::object();
    out.set("index", Json(idx->name()));
    out.set("result", Json("refreshed"));
    out.set("visible_seq", Json(idx->stats().visible_seq));
    send_json(res, 200, out.dump());
  });

  route("PATCH", "/v1/indexes/{index}", [this](const httplib::Request& req, httplib::Response& res) {
    if (auto m = clustered(req.matches[1])) return patch_schema_clustered(*m, req, res);
    auto idx = find_index(req.matches[1], res);
    if (!idx) return;
    auto body = parse_body(req, res, false);
    if (!body) return;
    Json extra;
    auto change = index::check_schema_change(*idx->schema(), *body, &extra);
    if (!change) return send_error(res, change.status(), extra);
    Status st = idx->add_fields(change->add);
    if (!st.is_ok()) return send_error(res, st);
    cache_.clear();
    Json names = Json::array();
    for (auto& n : change->added) names.push(Json(n));
    Json out = Json::object();
    out.set("index", Json(idx->name()));
    out.set("result", Json(change->added.empty() ? "unchanged" : "updated"));
    out.set("added", std::move(names));
    out.set("schema", idx->schema()->to_json());
    send_json(res, 200, out.dump());
  });
}

void ServerImpl::list_clustered(const cluster::ShardMap& m, int64_t size, bool source, const httplib::Request& in,
                                httplib::Response& res) {
  // The router's search sorted by id (every shard's page merged in id
  // order), one more than asked to say whether a next page exists.
  auto schema = cluster_->schema(m);
  if (!schema) return send_error(res, 503, "cluster state unavailable: " + schema.status().message());
  const std::string& id_field = (*schema)->id_field();
  Json body = Json::object();
  body.set("sort", Json(Json::Array{Json(Json::Object{{id_field, Json("asc")}})}));
  body.set("size", Json(size + 1));
  body.set("source", Json(source));
  body.set("track_total_hits", Json(int64_t{0}));
  if (in.has_param("after")) {
    auto c = id_cursor(**schema, in.get_param_value("after"));
    if (!c) return send_error(res, 400, "after: expected an integer id (the id field is int)", Json(Json::Object{{"path", Json("after")}}));
    // After every copy of that id on every shard (the tiebreaker's shard bits all set).
    body.set("search_after", Json(Json::Array{std::move(*c), Json(std::numeric_limits<int64_t>::max())}));
  }
  auto r = routed_search(m, body, in, res);
  if (!r) return;
  const Json* hits = r->find("hits");
  if (!hits || !hits->is_array()) return send_error(res, 502, "the search router's answer has no hits");
  // A listing is complete or an error: a page without an unreachable
  // shard's documents would let a client page past them unknowingly.
  const Json* sh = r->find("shards");
  const Json* failed = sh ? sh->find("failed") : nullptr;
  if (failed && failed->is_int() && failed->as_int() > 0)
    return send_error(res, 503, "listing documents needs every shard; " + std::to_string(failed->as_int()) + " of " +
                                    std::to_string(m.shards) + " did not answer (retry)",
                      Json(Json::Object{{"shards", *sh}}));
  Json docs = Json::array();
  const auto& a = hits->as_array();
  const size_t n = std::min(a.size(), static_cast<size_t>(size));
  for (size_t i = 0; i < n; ++i) {
    Json d = Json::object();
    const Json* id = a[i].find("id");
    d.set("id", id ? *id : Json());
    if (source) {
      const Json* src = a[i].find("source");
      d.set("source", src ? *src : Json());
    }
    docs.push(std::move(d));
  }
  Json out = Json::object();
  out.set("docs", std::move(docs));
  const Json* last = n > 0 ? a[n - 1].find("id") : nullptr;
  out.set("next", a.size() > n && last ? *last : Json());
  send_json(res, 200, out.dump());
}

}  // namespace meridian::server
