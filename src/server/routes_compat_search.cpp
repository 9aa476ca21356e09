// Routes of the OpenSearch-compatible API (docs/COMPAT.md): _search, _count,
// _msearch and _delete_by_query. The body is translated to a native search
// body (compat_search.h), parsed by parse_search_request (the native DSL
// parser) and run by query::search, as the native search route does; the
// delete goes through ServerImpl::delete_matching like the native
// delete-by-query.
#include <chrono>

#include "compat_http.h"
#include "meridian/query/search_request.h"
#include "meridian/query/searcher.h"
#include "meridian/server/compat_bulk.h"
#include "meridian/server/compat_search.h"

namespace meridian::server {
namespace {

using compat::OsError;
using Clock = std::chrono::steady_clock;

int64_t ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// A search's answer: the OpenSearch response, or the error to report.
struct Outcome {
  Json body;
  std::optional<OsError> error;
};

Outcome run_search(index::Index& idx, const std::string& name, const Json& os_body, compat::SearchPlan plan) {
  auto start = Clock::now();
  const std::string& id_field = idx.schema()->id_field();
  auto native = compat::search_body_to_native(os_body, id_field, &plan);
  if (!native) return {Json(), compat::from_status(native.status(), "parsing_exception")};
  auto req = query::parse_search_request(*native);
  if (!req) return {Json(), compat::from_status(req.status(), "parsing_exception")};
  auto snap = idx.snapshot();
  auto r = query::search(*snap, *req);
  if (!r) return {Json(), compat::from_status(r.status(), "search_phase_execution_exception")};
  (void)name;
  if (plan.count_only) {
    Json out = Json::object();
    out.set("count", Json(r->total));
    out.set("_shards", compat::shards());
    return {std::move(out), std::nullopt};
  }
  return {compat::search_response(idx.name(), *r, plan, id_field, ms_since(start)), std::nullopt};
}

// The request's OpenSearch body: the JSON body with the URL parameters
// (q, size, from, sort, _source, track_total_hits) folded in.
std::optional<Json> search_body(const httplib::Request& req, httplib::Response& res) {
  auto body = compat::body_json(req, res, true);
  if (!body) return std::nullopt;
  if (body->is_null()) *body = Json::object();
  if (!body->is_object()) {
    reply_error(res, OsError{400, "parsing_exception", "request body: expected an object", ""});
    return std::nullopt;
  }
  std::map<std::string, std::string> params;
  for (const auto& [k, v] : req.params) params[k] = v;
  auto p = compat::search_params_to_body(params);
  if (!p) {
    reply_error(res, compat::from_status(p.status(), "illegal_argument_exception"));
    return std::nullopt;
  }
  for (const auto& [k, v] : p->as_object()) body->set(k, v);
  return body;
}

Json error_entry(const OsError& e) {
  Json out = Json::object();
  out.set("error", compat::error_object(e));
  out.set("status", Json(static_cast<int64_t>(e.status)));
  return out;
}

}  // namespace

void ServerImpl::install_compat_search_routes() {
  using namespace compat;

  auto search = [this](const httplib::Request& req, httplib::Response& res, bool count) {
    auto idx = lookup_index(*this, req.matches[1], res);
    if (!idx) return;
    auto body = search_body(req, res);
    if (!body) return;
    SearchPlan plan;
    plan.count_only = count;
    Outcome o = run_search(*idx, req.matches[1], *body, plan);
    if (o.error) return reply_error(res, *o.error);
    send(res, 200, o.body);
  };
  for (const char* m : {"GET", "POST"}) {
    route(m, "/{index}/_search", [search](const httplib::Request& req, httplib::Response& res) { search(req, res, false); });
    route(m, "/{index}/_count", [search](const httplib::Request& req, httplib::Response& res) { search(req, res, true); });
    route(m, "/_search", [](const httplib::Request&, httplib::Response& res) {
      reply_error(res, OsError{400, "illegal_argument_exception",
                              "a search without an index is not supported: search /{index}/_search (an index or an alias; docs/COMPAT.md)", ""});
    });
  }

  auto msearch = [this](const httplib::Request& req, httplib::Response& res, const std::string& default_index) {
    auto start = Clock::now();
    auto pairs = parse_msearch(req.body, default_index);
    if (!pairs) return reply_error(res, from_status(pairs.status(), "illegal_argument_exception"));
    const auto& who = current_principal();
    Json responses = Json::array();
    for (const auto& [name, body] : *pairs) {
      std::string target = resolve_alias(name);
      if (who && !who->allows(Scope::kSearch, target)) {
        responses.push(error_entry(OsError{403, "security_exception", "this key may not search index [" + name + "]", name}));
        continue;
      }
      auto idx = engine_->get(target);
      if (!idx) {
        responses.push(error_entry(index_not_found(name)));
        continue;
      }
      Outcome o = run_search(**idx, name, body, SearchPlan{});
      if (o.error) {
        responses.push(error_entry(*o.error));
        continue;
      }
      o.body.set("status", Json(int64_t{200}));
      responses.push(std::move(o.body));
    }
    Json out = Json::object();
    out.set("took", Json(ms_since(start)));
    out.set("responses", std::move(responses));
    send(res, 200, out);
  };
  route("POST", "/_msearch", [msearch](const httplib::Request& req, httplib::Response& res) { msearch(req, res, ""); });
  route("POST", "/{index}/_msearch", [msearch](const httplib::Request& req, httplib::Response& res) {
    msearch(req, res, req.matches[1]);
  });

  route("POST", "/{index}/_delete_by_query", [this](const httplib::Request& req, httplib::Response& res) {
    auto start = Clock::now();
    auto idx = lookup_index(*this, req.matches[1], res);
    if (!idx) return;
    for (const auto& [k, v] : req.params) {
      if (k == "wait_for_completion" && v == "false")
        return reply_error(res, OsError{400, "illegal_argument_exception", "wait_for_completion=false (a task) is not supported", ""});
      if (k != "refresh" && k != "conflicts" && k != "wait_for_completion")
        return reply_error(res, OsError{400, "illegal_argument_exception", "unsupported parameter [" + k + "] for _delete_by_query", ""});
    }
    auto w = compat::write_options(req, res);
    if (!w) return;
    auto body = body_json(req, res, false);
    if (!body) return;
    if (!body->is_object() || !body->find("query") || body->size() != 1)
      return reply_error(res, OsError{400, "parsing_exception", "_delete_by_query takes {\"query\": {...}} and nothing else", ""});
    SearchPlan plan;
    auto native = search_body_to_native(*body, idx->schema()->id_field(), &plan);
    if (!native) return reply_error(res, from_status(native.status(), "parsing_exception"));
    auto q = query::parse_search_request(*native);
    if (!q) return reply_error(res, from_status(q.status(), "parsing_exception"));
    int64_t deleted = 0;
    Status st = delete_matching(*idx, std::move(*q), *w, &deleted);
    if (!st.is_ok()) return reply_error(res, from_status(st));
    Json out = Json::object();
    out.set("took", Json(ms_since(start)));
    out.set("timed_out", Json(false));
    out.set("total", Json(deleted));
    out.set("deleted", Json(deleted));
    out.set("batches", Json(int64_t{1}));
    out.set("version_conflicts", Json(int64_t{0}));
    out.set("noops", Json(int64_t{0}));
    out.set("retries", Json(Json::Object{{"bulk", Json(int64_t{0})}, {"search", Json(int64_t{0})}}));
    out.set("throttled_millis", Json(int64_t{0}));
    out.set("requests_per_second", Json(-1.0));
    out.set("throttled_until_millis", Json(int64_t{0}));
    out.set("failures", Json::array());
    send(res, 200, out);
  });
}

}  // namespace meridian::server
