// Route: POST /v1/multi-search — several searches, possibly on different
// indexes, in one request: {"searches": [{"index": "cities", "q": "paris"}, ...]}.
// Each search is a search body (docs/QUERY.md) plus "index" (an index or
// alias). The answer lists one result per search, in order: the search
// response, or {"error": {...}, "status": N} for that search alone; the
// request itself fails only when its body is malformed. With auth on, each
// search needs the search scope on its index (403 for that search only).
// A search of a clustered index (or of a cluster alias of one) goes through
// the search router as POST .../search does: the merged hits with "shards",
// or in its slot the error that route would answer (docs/CLUSTER.md).
#include <chrono>

#include "meridian/query/search_request.h"
#include "meridian/query/searcher.h"
#include "meridian/query/suggest.h"
#include "server_impl.h"

namespace meridian::server {
namespace {

constexpr size_t kMaxSearches = 100;

Json error_entry(int status, const std::string& type, const std::string& reason) {
  Json e = Json::object();
  e.set("type", Json(type));
  e.set("reason", Json(reason));
  Json out = Json::object();
  out.set("error", std::move(e));
  out.set("status", Json(static_cast<int64_t>(status)));
  return out;
}

Json error_entry(const Status& st) {
  return error_entry(http_status(st.code()), std::string(error_type_for_http(http_status(st.code()))), st.message());
}

// A search of a clustered index (or of a cluster alias of one) through the
// search router, as POST .../search answers it: the merged hits with
// "shards", or the error the single route would send, in the slot.
Json clustered_slot(ServerImpl& s, const cluster::ShardMap& m, const Json& search, const httplib::Request& in) {
  auto copt = s.clustered_request_options(m);
  if (!copt) return error_entry(copt.status());
  auto parsed = query::parse_search_request(search, *copt);
  if (!parsed) return error_entry(parsed.status());
  httplib::Response one;
  s.search_clustered(m, Json(Json::Object{{"search", search}}), *parsed, in, one);
  auto j = parse_json(one.body);
  if (!j || !j->is_object()) return error_entry(502, "internal", "the search router's answer is not a JSON object");
  if (one.status == 200) return std::move(*j);
  Json out = Json::object();
  const Json* e = j->find("error");
  out.set("error", e ? *e : Json(Json::Object{{"type", Json("internal")}, {"reason", Json(one.body)}}));
  out.set("status", Json(static_cast<int64_t>(one.status)));
  return out;
}

// One search of the request: its response with "index" and "status", or its error.
Json multi_search_one(ServerImpl& s, const Json& entry, const httplib::Request& in) {
  const std::string name = entry.find("index")->as_string();
  Json search = entry;
  search.erase("index");
  // A clustered index, or a cluster alias of one, goes through the router.
  auto m = s.cluster_ ? s.clustered(name, true) : std::nullopt;
  const std::string target = m ? m->index : s.resolve_alias(name);
  if (const auto& who = current_principal(); who && !who->allows(Scope::kSearch, target)) {
    std::string why = who->denial(Scope::kSearch, target);
    if (target != name) why += " (behind alias '" + name + "')";
    return error_entry(403, "forbidden", why);
  }
  Json one;
  if (m) {
    one = clustered_slot(s, *m, search, in);
    if (one.find("error")) return one;
  } else {
    auto idx = s.engine_->get(target);
    if (!idx) return error_entry(404, "not_found", "no such index '" + name + "'");
    auto schema = (*idx)->schema();
    auto opt = ServerImpl::request_options(**idx, schema.get());
    auto parsed = query::parse_search_request(search, opt);
    if (!parsed) return error_entry(parsed.status());
    query::SearchOptions so;
    so.schema = schema.get();
    auto snap = (*idx)->snapshot();
    auto r = query::search(*snap, *parsed, so);
    if (!r) return error_entry(r.status());
    if (Status st = query::add_suggestions(*snap, *parsed, opt.settings.get(), schema.get(), &*r); !st.is_ok())
      return error_entry(st);
    one = query::to_json(*r);
  }
  one.set("index", Json(name));
  one.set("status", Json(static_cast<int64_t>(200)));
  return one;
}

}  // namespace

void ServerImpl::install_multi_search_routes() {
  route("POST", "/v1/multi-search", [this](const httplib::Request& req, httplib::Response& res) {
    auto start = std::chrono::steady_clock::now();
    auto body = parse_body(req, res, false);
    if (!body) return;
    if (!body->is_object()) return send_error(res, 400, "request body: expected {\"searches\": [...]}", Json(Json::Object{{"path", Json("")}}));
    for (const auto& [k, v] : body->as_object())
      if (k != "searches") return send_error(res, 400, "unknown key '" + k + "' (expected 'searches')", Json(Json::Object{{"path", Json(k)}}));
    const Json* arr = body->find("searches");
    if (!arr || !arr->is_array())
      return send_error(res, 400, "searches: expected an array of search bodies with \"index\"", Json(Json::Object{{"path", Json("searches")}}));
    if (arr->size() > kMaxSearches)
      return send_error(res, 400, "searches: at most " + std::to_string(kMaxSearches) + " searches, got " + std::to_string(arr->size()),
                        Json(Json::Object{{"path", Json("searches")}}));
    for (size_t i = 0; i < arr->size(); ++i) {
      const Json& s = arr->as_array()[i];
      std::string path = "searches[" + std::to_string(i) + "]";
      const Json* index = s.is_object() ? s.find("index") : nullptr;
      if (!index || !index->is_string())
        return send_error(res, 400, path + ".index: expected the name of an index or alias", Json(Json::Object{{"path", Json(path + ".index")}}));
    }
    Json results = Json::array();
    for (const Json& s : arr->as_array()) results.push(multi_search_one(*this, s, req));
    Json out = Json::object();
    out.set("responses", std::move(results));
    out.set("took_ms", Json(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count()));
    send_json(res, 200, out.dump());
  });
}

}  // namespace meridian::server
