// Route: POST /v1/multi-search — several searches, possibly on different
// indexes, in one request: {"searches": [{"index": "cities", "q": "paris"}, ...]}.
// Each search is a search body (docs/QUERY.md) plus "index" (an index or
// alias). The answer lists one result per search, in order: the search
// response, or {"error": {...}, "status": N} for that search alone; the
// request itself fails only when its body is malformed. With auth on, each
// search needs the search scope on its index (403 for that search only).
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
    const auto& who = current_principal();
    Json results = Json::array();
    for (const Json& s : arr->as_array()) {
      std::string name = s.find("index")->as_string();
      Json search = s;
      search.erase("index");
      std::string target = resolve_alias(name);
      if (who && !who->allows(Scope::kSearch, target)) {
        std::string why = who->denial(Scope::kSearch, target);
        if (target != name) why += " (behind alias '" + name + "')";
        results.push(error_entry(403, "forbidden", why));
        continue;
      }
      auto idx = engine_->get(target);
      if (!idx) {
        results.push(error_entry(404, "not_found", "no such index '" + name + "'"));
        continue;
      }
      auto schema = (*idx)->schema();
      auto opt = request_options(**idx, schema.get());
      auto parsed = query::parse_search_request(search, opt);
      if (!parsed) {
        results.push(error_entry(parsed.status()));
        continue;
      }
      query::SearchOptions so;
      so.schema = schema.get();
      auto snap = (*idx)->snapshot();
      auto r = query::search(*snap, *parsed, so);
      if (!r) {
        results.push(error_entry(r.status()));
        continue;
      }
      Json one = query::to_json(*r);
      if (Status st = query::add_suggestions(*snap, *parsed, opt.settings.get(), schema.get(), &one); !st.is_ok()) {
        results.push(error_entry(st));
        continue;
      }
      one.set("index", Json(name));
      one.set("status", Json(static_cast<int64_t>(200)));
      results.push(std::move(one));
    }
    Json out = Json::object();
    out.set("responses", std::move(results));
    out.set("took_ms", Json(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count()));
    send_json(res, 200, out.dump());
  });
}

}  // namespace meridian::server
