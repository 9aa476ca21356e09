// Routes of the OpenSearch-compatible API (docs/COMPAT.md): _search, _count,
// _msearch and _delete_by_query. The body is translated to a native search
// body (compat_search.h), parsed by parse_search_request (the native DSL
// parser) and run by query::search, as the native search route does; the
// delete goes through ServerImpl::delete_matching like the native
// delete-by-query. On a clustered index (docs/CLUSTER.md) the translated
// body goes to the search router (ServerImpl::search_clustered) and the
// delete to ServerImpl::delete_by_query_clustered, as the native routes do.
#include <algorithm>
#include <chrono>
#include <set>

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

// The search router's merged answer to native body `native` on clustered
// target t, or the error to report: the single node's 400 for a bad query,
// a 503 search_phase_execution_exception when no shard answered.
struct Routed {
  Json merged;
  std::optional<OsError> error;
};
Routed route_search(ServerImpl& s, const compat::Target& t, const Json& native, const httplib::Request& in) {
  auto copt = s.clustered_request_options(*t.clustered);
  if (!copt) return {Json(), compat::from_status(copt.status())};
  auto req = query::parse_search_request(native, *copt);
  if (!req) return {Json(), compat::from_status(req.status(), "parsing_exception")};
  httplib::Response routed;
  s.search_clustered(*t.clustered, Json(Json::Object{{"search", native}}), *req, in, routed);
  if (routed.status == 200)
    if (auto j = parse_json(routed.body)) return {std::move(*j), std::nullopt};
  OsError e = compat::from_native_error(routed.status, routed.body, "parsing_exception");
  if (routed.status == 503) {
    e.type = "search_phase_execution_exception";
    e.reason = "all shards failed: " + e.reason;
  }
  e.index = t.name();
  return {Json(), std::move(e)};
}

// The same as run_search on a clustered index: the search router's merged
// answer, with "_shards" from its shard counts (partial when some shard had
// no reachable replica).
Outcome run_clustered_search(ServerImpl& s, const compat::Target& t, const Json& os_body, compat::SearchPlan plan,
                             const httplib::Request& in) {
  auto start = Clock::now();
  auto native = compat::search_body_to_native(os_body, t.id_field(), &plan);
  if (!native) return {Json(), compat::from_status(native.status(), "parsing_exception")};
  Routed r = route_search(s, t, *native, in);
  if (r.error) return {Json(), std::move(r.error)};
  return {compat::clustered_search_response(t.name(), r.merged, plan, t.id_field(), ms_since(start)), std::nullopt};
}

// One index's part of a search over several: its first from + size hits
// (with from 0), its total, and its shards (a node-local index is one), or
// the error to report.
struct Part {
  query::SearchResponse r;
  int64_t shards = 1, failed = 0;
  std::vector<query::SortSpec> sort;
  size_t from = 0, size = 10;
  std::optional<OsError> error;
};
Part search_part(ServerImpl& s, const compat::Target& t, const Json& native, const httplib::Request& in) {
  Part p;
  auto copt = t.clustered ? s.clustered_request_options(*t.clustered) : Result<query::SearchRequestOptions>(query::SearchRequestOptions{});
  auto req = copt ? query::parse_search_request(native, *copt) : Result<query::SearchRequest>(copt.status());
  if (!req) {
    p.error = compat::from_status(req.status(), "parsing_exception");
    return p;
  }
  p.sort = req->sort;
  p.from = req->from;
  p.size = req->size;
  if (t.local) {
    req->size = req->from + req->size;
    req->from = 0;
    auto r = query::search(*t.local->snapshot(), *req);
    if (r) p.r = std::move(*r);
    else p.error = compat::from_status(r.status(), "search_phase_execution_exception");
    return p;
  }
  Json wide = native;
  wide.set("from", Json(int64_t{0}));
  wide.set("size", Json(static_cast<int64_t>(p.from + p.size)));
  Routed routed = route_search(s, t, wide, in);
  if (routed.error) {
    p.error = std::move(routed.error);
    return p;
  }
  p.r = compat::merged_to_response(routed.merged);
  const Json* sh = routed.merged.find("shards");
  const Json* total = sh ? sh->find("total") : nullptr;
  const Json* failed = sh ? sh->find("failed") : nullptr;
  p.shards = total && total->is_int() ? total->as_int() : t.clustered->shards;
  p.failed = failed && failed->is_int() ? failed->as_int() : 0;
  return p;
}

// Orders two sort values: numbers by value, strings by bytes, null last.
int compare_values(const Json& a, const Json& b) {
  if (a.is_null() || b.is_null()) return a.is_null() == b.is_null() ? 0 : (a.is_null() ? 1 : -1);
  if (a.is_number() && b.is_number()) return a.as_double() < b.as_double() ? -1 : a.as_double() > b.as_double() ? 1 : 0;
  if (a.is_string() && b.is_string()) return a.as_string() < b.as_string() ? -1 : a.as_string() == b.as_string() ? 0 : 1;
  if (a.is_bool() && b.is_bool()) return a.as_bool() == b.as_bool() ? 0 : (a.as_bool() ? 1 : -1);
  return 0;
}

// A search over several indexes (/_search, /a,b/_search): each index is
// searched for its first from + size hits (a clustered one through the
// search router), and those are merged by score, or by the sort values in
// the request's directions. Aggregations and
// search_after need one index.
Outcome run_multi_search(ServerImpl& s, const std::vector<compat::Target>& targets, const Json& os_body, bool count_only,
                         const httplib::Request& in) {
  auto start = Clock::now();
  if (os_body.find("aggs") || os_body.find("aggregations"))
    return {Json(), OsError{400, "illegal_argument_exception",
                            "aggregations over several indexes are not supported; search one index (docs/COMPAT.md)", ""}};
  if (os_body.find("search_after"))
    return {Json(), OsError{400, "illegal_argument_exception", "search_after over several indexes is not supported; search one index", ""}};
  struct Tagged {
    const compat::Target* t;
    query::Hit hit;
  };
  std::vector<Tagged> all;
  query::SearchResponse merged;
  compat::SearchPlan plan;
  plan.count_only = count_only;
  std::vector<query::SortSpec> sort;
  size_t from = 0, size = 10;
  int64_t shards = 0, failed = 0;
  for (const auto& t : targets) {
    compat::SearchPlan p = plan;
    auto native = compat::search_body_to_native(os_body, t.id_field(), &p);
    if (!native) return {Json(), compat::from_status(native.status(), "parsing_exception")};
    Part part = search_part(s, t, *native, in);
    if (part.error) return {Json(), std::move(part.error)};
    sort = part.sort;
    from = part.from;
    size = part.size;
    shards += part.shards;
    failed += part.failed;
    merged.total += part.r.total;
    merged.total_is_lower_bound = merged.total_is_lower_bound || part.r.total_is_lower_bound;
    for (auto& h : part.r.hits) all.push_back({&t, std::move(h)});
    plan.sorted = p.sorted;
  }
  if (count_only) {
    Json out = Json::object();
    out.set("count", Json(merged.total));
    out.set("_shards", compat::shards(shards, failed));
    return {std::move(out), std::nullopt};
  }
  std::stable_sort(all.begin(), all.end(), [&](const Tagged& a, const Tagged& b) {
    if (!plan.sorted) return a.hit.score > b.hit.score;
    for (size_t i = 0; i < sort.size() && i < a.hit.sort.size() && i < b.hit.sort.size(); ++i) {
      int c = compare_values(a.hit.sort.as_array()[i], b.hit.sort.as_array()[i]);
      if (c != 0) return sort[i].desc ? c > 0 : c < 0;
    }
    return false;
  });
  std::vector<const compat::Target*> owner;
  for (size_t i = from; i < all.size() && i < from + size; ++i) {
    owner.push_back(all[i].t);
    merged.hits.push_back(std::move(all[i].hit));
  }
  Json out = compat::search_response("", merged, plan, "", ms_since(start));
  out.set("_shards", compat::shards(shards, failed));
  auto& hits = out.find("hits")->find("hits")->as_array();
  for (size_t i = 0; i < hits.size(); ++i) {
    hits[i].set("_index", Json(owner[i]->name()));
    if (Json* src = hits[i].find("_source")) *src = compat::public_source(std::move(*src), owner[i]->id_field());
  }
  return {std::move(out), std::nullopt};
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

// ?rest_total_hits_as_int=true: hits.total as a number (the pre-7.0 shape).
void total_as_int(const httplib::Request& req, Json* body) {
  if (req.get_param_value("rest_total_hits_as_int") != "true") return;
  Json* hits = body->find("hits");
  Json* total = hits ? hits->find("total") : nullptr;
  if (total && total->find("value")) *total = Json(*total->find("value"));
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

  // One index (or alias): the whole OpenSearch search. Several ("a,b", or
  // none: every index the key may search): merged hits (run_multi_search).
  auto search = [this](const httplib::Request& req, httplib::Response& res, const std::string& names, bool count) {
    auto body = search_body(req, res);
    if (!body) return;
    if (!names.empty() && names.find(',') == std::string::npos) {
      auto t = lookup_target(*this, names, res, true);
      if (!t) return;
      SearchPlan plan;
      plan.count_only = count;
      Outcome o = t->clustered ? run_clustered_search(*this, *t, *body, plan, req) : run_search(*t->local, names, *body, plan);
      if (o.error) return reply_error(res, *o.error);
      total_as_int(req, &o.body);
      return send(res, 200, o.body);
    }
    const auto& who = current_principal();
    std::vector<Target> targets;
    std::set<std::string> seen;
    auto add = [&](const std::string& name) {
      std::string target = resolve_alias(name);
      if (who && !who->allows(Scope::kSearch, target)) {
        reply_error(res, OsError{403, "security_exception", "this key may not search index [" + name + "]", name});
        return false;
      }
      auto t = find_target(*this, name, true);
      if (!t) {
        reply_error(res, not_found_or(t.status(), name));
        return false;
      }
      if (seen.insert(t->name()).second) targets.push_back(std::move(*t));
      return true;
    };
    if (names.empty()) {
      for (const auto& name : engine_->list())
        if (!who || who->allows(Scope::kSearch, name))
          if (auto idx = engine_->get(name)) targets.push_back(Target{*idx, std::nullopt, (*idx)->schema()});
      for (auto& t : clustered_targets(*this, Scope::kSearch)) {
        auto schema = cluster_->schema(*t.clustered);
        if (!schema) return reply_error(res, from_status(schema.status()));
        t.schema = std::move(*schema);
        targets.push_back(std::move(t));
      }
    } else {
      for (size_t pos = 0; pos <= names.size();) {
        size_t comma = names.find(',', pos);
        if (comma == std::string::npos) comma = names.size();
        std::string one = names.substr(pos, comma - pos);
        pos = comma + 1;
        if (!one.empty() && !add(one)) return;
      }
    }
    Outcome o = run_multi_search(*this, targets, *body, count, req);
    if (o.error) return reply_error(res, *o.error);
    total_as_int(req, &o.body);
    send(res, 200, o.body);
  };
  for (const char* m : {"GET", "POST"}) {
    route(m, "/{index}/_search", [search](const httplib::Request& req, httplib::Response& res) {
      search(req, res, req.matches[1], false);
    });
    route(m, "/{index}/_count", [search](const httplib::Request& req, httplib::Response& res) {
      search(req, res, req.matches[1], true);
    });
    route(m, "/_search", [search](const httplib::Request& req, httplib::Response& res) { search(req, res, "", false); });
    route(m, "/_count", [search](const httplib::Request& req, httplib::Response& res) { search(req, res, "", true); });
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
      auto t = find_target(*this, name, true);
      if (!t) {
        responses.push(error_entry(not_found_or(t.status(), name)));
        continue;
      }
      Outcome o = t->clustered ? run_clustered_search(*this, *t, body, SearchPlan{}, req)
                               : run_search(*t->local, name, body, SearchPlan{});
      if (o.error) {
        responses.push(error_entry(*o.error));
        continue;
      }
      total_as_int(req, &o.body);
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

  // _mget: {"docs": [{"_index"?, "_id"}]} or {"ids": [...]} (with the URL's
  // index) → {"docs": [{_index, _id, found, _source?} or {_index, _id, error}]}.
  auto mget = [this](const httplib::Request& req, httplib::Response& res, const std::string& default_index) {
    auto body = body_json(req, res, false);
    if (!body) return;
    std::vector<std::pair<std::string, std::string>> wanted;  // (index, id)
    const Json* docs = body->is_object() ? body->find("docs") : nullptr;
    const Json* ids = body->is_object() ? body->find("ids") : nullptr;
    auto id_of = [](const Json& v) { return v.is_string() ? v.as_string() : v.is_int() ? std::to_string(v.as_int()) : std::string(); };
    if (docs && docs->is_array()) {
      for (const Json& d : docs->as_array()) {
        const Json* ix = d.is_object() ? d.find("_index") : nullptr;
        const Json* id = d.is_object() ? d.find("_id") : nullptr;
        std::string name = ix && ix->is_string() ? ix->as_string() : default_index;
        if (!id || id_of(*id).empty() || name.empty())
          return reply_error(res, OsError{400, "action_request_validation_exception", "each of [docs] needs an [_id] and an index", ""});
        wanted.emplace_back(name, id_of(*id));
      }
    } else if (ids && ids->is_array() && !default_index.empty()) {
      for (const Json& id : ids->as_array()) {
        if (id_of(id).empty()) return reply_error(res, OsError{400, "action_request_validation_exception", "[ids] holds ids (strings)", ""});
        wanted.emplace_back(default_index, id_of(id));
      }
    } else {
      return reply_error(res, OsError{400, "action_request_validation_exception",
                                      "expected {\"docs\": [{\"_index\", \"_id\"}]} or, with an index in the URL, {\"ids\": [...]}", ""});
    }
    const auto& who = current_principal();
    Json out = Json::array();
    for (const auto& [name, id] : wanted) {
      std::string target = resolve_alias(name);
      std::optional<OsError> err;
      std::optional<Target> t;
      if (who && !who->allows(Scope::kSearch, target)) err = OsError{403, "security_exception", "this key may not read index [" + name + "]", name};
      else if (auto found = find_target(*this, name, true)) t = std::move(*found);
      else err = not_found_or(found.status(), name);
      Result<Json> doc = t ? get_target_document(*this, *t, id, req) : Result<Json>(Json());
      if (t && !doc) err = from_status(doc.status());
      if (err) {
        Json e = Json::object();
        e.set("_index", Json(name));
        e.set("_id", Json(id));
        e.set("error", error_object(*err));
        out.push(std::move(e));
      } else {
        out.push(std::move(*doc));
      }
    }
    send(res, 200, Json(Json::Object{{"docs", std::move(out)}}));
  };
  for (const char* m : {"GET", "POST"}) {
    route(m, "/_mget", [mget](const httplib::Request& req, httplib::Response& res) { mget(req, res, ""); });
    route(m, "/{index}/_mget", [mget](const httplib::Request& req, httplib::Response& res) { mget(req, res, req.matches[1]); });
  }

  route("POST", "/{index}/_delete_by_query", [this](const httplib::Request& req, httplib::Response& res) {
    auto start = Clock::now();
    auto t = lookup_target(*this, req.matches[1], res);
    if (!t) return;
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
    auto native = search_body_to_native(*body, t->id_field(), &plan);
    if (!native) return reply_error(res, from_status(native.status(), "parsing_exception"));
    int64_t deleted = 0;
    Json failures = Json::array();
    if (t->clustered) {
      // The native clustered delete-by-query: one replica per shard selects,
      // each delete is a record in the shard's log; a shard that could not
      // select is reported in "failures", its documents stay.
      httplib::Response routed;
      if (!parse_delete_query(*native, routed)) return reply_error(res, from_native_error(routed.status, routed.body, "parsing_exception"));
      delete_by_query_clustered(*t->clustered, *native, *w, req, routed);
      auto answer = parse_json(routed.body);
      if (routed.status != 200 || !answer) return reply_error(res, from_native_error(routed.status, routed.body, "parsing_exception"));
      if (const Json* d = answer->find("deleted"); d && d->is_int()) deleted = d->as_int();
      if (const Json* fl = answer->find("failures"); fl && fl->is_array())
        for (const Json& f : fl->as_array()) {
          const Json* why = f.find("reason");
          Json one = Json::object();
          one.set("index", Json(t->name()));
          one.set("shard", f.find("shard") ? *f.find("shard") : Json());
          one.set("cause", Json(Json::Object{{"type", Json("no_shard_available_action_exception")},
                                             {"reason", why && why->is_string() ? *why : Json("")}}));
          one.set("status", Json(int64_t{503}));
          failures.push(std::move(one));
        }
    } else {
      auto q = query::parse_search_request(*native);
      if (!q) return reply_error(res, from_status(q.status(), "parsing_exception"));
      Status st = delete_matching(*t->local, std::move(*q), *w, &deleted);
      if (!st.is_ok()) return reply_error(res, from_status(st));
    }
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
    out.set("failures", std::move(failures));
    send(res, 200, out);
  });
}

}  // namespace meridian::server
