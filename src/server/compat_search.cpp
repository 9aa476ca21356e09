#include "meridian/server/compat_search.h"

#include <algorithm>
#include <set>

namespace meridian::server::compat {
namespace {

Status bad(const std::string& msg) { return Status::invalid(msg); }

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// Rewrites a query object in place: term/terms on _id → ids; "_name" and
// options that change nothing here are dropped; compound queries recurse.
Status rewrite_query(Json* q, const std::string& path) {
  if (!q->is_object() || q->size() != 1) return Status::ok();  // parse_dsl reports the shape
  auto& [type, body] = q->as_object().front();
  if (!body.is_object()) return Status::ok();
  body.erase("_name");
  if (type != "bool" && type != "constant_score")  // field-keyed queries: {"match": {"title": {..., "_name"}}}
    for (auto& [field, opts] : body.as_object())
      if (opts.is_object()) opts.erase("_name");
  if (type == "bool") {
    for (const char* clause : {"must", "should", "must_not", "filter"}) {
      Json* c = body.find(clause);
      if (!c) continue;
      if (c->is_array()) {
        for (size_t i = 0; i < c->size(); ++i)
          MERIDIAN_RETURN_IF_ERROR(rewrite_query(&c->as_array()[i], path + ".bool." + clause + "[" + std::to_string(i) + "]"));
      } else {
        MERIDIAN_RETURN_IF_ERROR(rewrite_query(c, path + ".bool." + clause));
      }
    }
    return Status::ok();
  }
  if (type == "constant_score") {
    if (Json* f = body.find("filter")) return rewrite_query(f, path + ".constant_score.filter");
    return Status::ok();
  }
  if (type == "geo_distance" || type == "geo_bounding_box") {
    body.erase("distance_type");
    body.erase("validation_method");
    body.erase("ignore_unmapped");
    body.erase("type");
    return Status::ok();
  }
  if ((type == "term" || type == "terms") && body.find("_id")) {
    Json v = *body.find("_id");
    if (type == "term" && v.is_object() && v.find("value")) v = *v.find("value");
    Json values = Json::array();
    if (v.is_array()) values = v;
    else values.push(v);
    Json ids = Json::object();
    ids.set("values", std::move(values));
    Json repl = Json::object();
    repl.set("ids", std::move(ids));
    *q = std::move(repl);
  }
  return Status::ok();
}

// One sort entry with "_id"/"_doc" renamed to the id field.
Json rewrite_sort_entry(const Json& e, const std::string& id_field) {
  if (e.is_string()) {
    if (e.as_string() == "_id" || e.as_string() == "_doc") return Json(id_field);
    return e;
  }
  if (!e.is_object() || e.size() != 1) return e;
  const auto& [k, v] = e.as_object().front();
  if (k != "_id" && k != "_doc") return e;
  Json out = Json::object();
  out.set(id_field, v);
  return out;
}

Result<Json> aggs_to_facets(const Json& aggs, const std::string& key, SearchPlan* plan) {
  if (!aggs.is_object()) return bad(key + ": expected an object of named aggregations");
  static const std::map<std::string, std::set<std::string>> kAllowed = {
      {"terms", {"field", "size", "shard_size"}},
      {"histogram", {"field", "interval"}},
      {"range", {"field", "ranges", "keyed"}},
      {"stats", {"field"}},
      {"geohash_grid", {"field", "precision", "size", "shard_size"}},
      {"geo_bounds", {"field", "wrap_longitude"}},
  };
  Json facets = Json::object();
  for (const auto& [name, def] : aggs.as_object()) {
    std::string path = key + "." + name;
    if (!def.is_object()) return bad(path + ": expected an object");
    std::string type;
    Json spec;
    for (const auto& [k, v] : def.as_object()) {
      if (k == "meta") continue;
      if (k == "aggs" || k == "aggregations")
        return bad(path + "." + k + ": sub-aggregations are not supported (docs/COMPAT.md)");
      if (!type.empty()) return bad(path + ": expected one aggregation type, got [" + type + "] and [" + k + "]");
      type = k;
      spec = v;
    }
    auto allowed = kAllowed.find(type);
    if (allowed == kAllowed.end()) {
      std::vector<std::string> names;
      for (const auto& [n, a] : kAllowed) names.push_back(n);
      return bad(path + ": aggregation type [" + type + "] is not supported (supported: " + join(names) + ")");
    }
    if (!spec.is_object()) return bad(path + "." + type + ": expected an object");
    Json facet = Json::object();
    for (const auto& [k, v] : spec.as_object()) {
      if (!allowed->second.count(k))
        return bad(path + "." + type + ": parameter [" + k + "] is not supported (docs/COMPAT.md)");
      if (k == "shard_size" || k == "wrap_longitude") continue;
      if (k == "keyed") {
        if (!v.is_bool() || v.as_bool()) return bad(path + "." + type + ".keyed: only false is supported");
        continue;
      }
      facet.set(k, v);
    }
    Json one = Json::object();
    one.set(type, std::move(facet));
    facets.set(name, std::move(one));
    plan->aggs[name] = type;
  }
  return facets;
}

Json bucket_list(const Json* buckets, bool with_range) {
  Json out = Json::array();
  if (!buckets || !buckets->is_array()) return out;
  for (const Json& b : buckets->as_array()) {
    Json o = Json::object();
    if (const Json* k = b.find("key")) o.set("key", *k);
    if (with_range) {
      if (const Json* f = b.find("from")) o.set("from", *f);
      if (const Json* t = b.find("to")) o.set("to", *t);
    }
    const Json* n = b.find("count");
    o.set("doc_count", n ? *n : Json(int64_t{0}));
    out.push(std::move(o));
  }
  return out;
}

}  // namespace

Result<Json> search_body_to_native(const Json& body, const std::string& id_field, SearchPlan* plan) {
  Json out = Json::object();
  if (body.is_null()) return out;
  if (!body.is_object()) return bad("request body: expected an object, got " + std::string(body.type_name()));
  static const std::set<std::string> kIgnored = {"timeout", "version", "seq_no_primary_term", "stored_fields"};
  for (const auto& [k, v] : body.as_object()) {
    if (kIgnored.count(k)) continue;
    if (k == "query") {
      Json q = v;
      MERIDIAN_RETURN_IF_ERROR(rewrite_query(&q, "query"));
      out.set("query", std::move(q));
    } else if (k == "from" || k == "size" || k == "search_after" || k == "highlight" || k == "explain" ||
               k == "track_total_hits") {
      out.set(k, v);
    } else if (k == "sort") {
      Json s = Json::array();
      if (v.is_array()) {
        for (const Json& e : v.as_array()) s.push(rewrite_sort_entry(e, id_field));
      } else {
        s.push(rewrite_sort_entry(v, id_field));
      }
      out.set("sort", std::move(s));
      plan->sorted = true;
    } else if (k == "_source") {
      if (v.is_bool()) {
        out.set("source", v);
      } else if (v.is_string() || v.is_array()) {
        out.set("fields", v);
      } else if (v.is_object()) {
        for (const auto& [sk, sv] : v.as_object()) {
          if (sk == "includes" || sk == "include") out.set("fields", sv);
          else if ((sk == "excludes" || sk == "exclude") && sv.size() > 0)
            return bad("_source.excludes: not supported; list the fields to return in _source.includes");
          else if (sk != "excludes" && sk != "exclude") return bad("_source: unknown key [" + sk + "]");
        }
      } else {
        return bad("_source: expected a boolean, a field list or {includes}");
      }
    } else if (k == "aggs" || k == "aggregations") {
      MERIDIAN_ASSIGN_OR_RETURN(Json facets, aggs_to_facets(v, k, plan));
      out.set("facets", std::move(facets));
    } else {
      return bad("[" + k + "] is not supported in a search body (supported: query, from, size, sort, _source, "
                 "aggs, aggregations, search_after, highlight, explain, track_total_hits; docs/COMPAT.md)");
    }
  }
  if (plan->count_only) {
    for (const char* k : {"from", "size", "sort", "search_after", "facets", "highlight"})
      if (out.find(k)) return bad(std::string("[") + k + "] is not allowed in _count (only query)");
    out.set("size", Json(int64_t{0}));
    out.set("track_total_hits", Json(true));
  }
  return out;
}

Result<Json> search_params_to_body(const std::map<std::string, std::string>& params) {
  Json body = Json::object();
  for (const auto& [k, v] : params) {
    if (k == "q") {
      Json qs = Json::object();
      qs.set("query", Json(v));
      Json q = Json::object();
      q.set("query_string", std::move(qs));
      body.set("query", std::move(q));
    } else if (k == "size" || k == "from") {
      char* end = nullptr;
      long long n = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end) return bad(k + ": expected an integer, got '" + v + "'");
      body.set(k, Json(static_cast<int64_t>(n)));
    } else if (k == "sort") {
      Json s = Json::array();
      size_t pos = 0;
      while (pos <= v.size()) {
        size_t comma = v.find(',', pos);
        if (comma == std::string::npos) comma = v.size();
        std::string item = v.substr(pos, comma - pos);
        pos = comma + 1;
        if (item.empty()) continue;
        size_t colon = item.find(':');
        if (colon == std::string::npos) {
          s.push(Json(item));
        } else {
          Json e = Json::object();
          e.set(item.substr(0, colon), Json(item.substr(colon + 1)));
          s.push(std::move(e));
        }
      }
      body.set("sort", std::move(s));
    } else if (k == "_source") {
      if (v == "false" || v == "true") body.set("_source", Json(v == "true"));
      else body.set("_source", Json(v));
    } else if (k == "track_total_hits") {
      if (v == "true" || v == "false") body.set(k, Json(v == "true"));
      else body.set(k, Json(static_cast<int64_t>(std::strtoll(v.c_str(), nullptr, 10))));
    } else if (k != "timeout" && k != "typed_keys" && k != "rest_total_hits_as_int" && k != "pretty" &&
               k != "preference" && k != "routing" && k != "request_cache" && k != "search_type" &&
               k != "ignore_unavailable" && k != "allow_no_indices" && k != "expand_wildcards") {
      return bad("unknown parameter [" + k + "] (supported: q, size, from, sort, _source, track_total_hits)");
    }
  }
  return body;
}

Json facets_to_aggregations(const Json& facets, const SearchPlan& plan) {
  Json out = Json::object();
  for (const auto& [name, type] : plan.aggs) {
    const Json* f = facets.find(name);
    if (!f) continue;
    Json a = Json::object();
    if (type == "terms") {
      a.set("doc_count_error_upper_bound", Json(int64_t{0}));
      a.set("buckets", bucket_list(f->find("buckets"), false));
    } else if (type == "histogram" || type == "geohash_grid") {
      a.set("buckets", bucket_list(f->find("buckets"), false));
    } else if (type == "range") {
      a.set("buckets", bucket_list(f->find("buckets"), true));
    } else if (type == "stats") {
      for (const char* k : {"count", "min", "max", "avg", "sum"})
        if (const Json* v = f->find(k)) a.set(k, *v);
    } else if (type == "geo_bounds") {
      const Json* n = f->find("count");
      if (n && n->is_int() && n->as_int() > 0) {
        Json tl = Json::object(), br = Json::object();
        tl.set("lat", *f->find("top"));
        tl.set("lon", *f->find("left"));
        br.set("lat", *f->find("bottom"));
        br.set("lon", *f->find("right"));
        Json bounds = Json::object();
        bounds.set("top_left", std::move(tl));
        bounds.set("bottom_right", std::move(br));
        a.set("bounds", std::move(bounds));
      }
    }
    out.set(name, std::move(a));
  }
  return out;
}

Json public_source(Json source, const std::string& id_field) {
  if (id_field == "_id" && source.is_object()) source.erase("_id");
  return source;
}

Json search_response(const std::string& index, const query::SearchResponse& r, const SearchPlan& plan,
                     const std::string& id_field, int64_t took_ms) {
  Json hits = Json::array();
  std::optional<double> max_score;
  for (const auto& h : r.hits) {
    Json o = Json::object();
    o.set("_index", Json(index));
    o.set("_id", Json(h.id));
    if (plan.sorted) {
      o.set("_score", Json());
    } else {
      o.set("_score", Json(h.score));
      max_score = std::max(max_score.value_or(h.score), h.score);
    }
    if (!h.source.is_null()) o.set("_source", public_source(h.source, id_field));
    if (plan.sorted && !h.sort.is_null()) o.set("sort", h.sort);
    if (!h.highlight.is_null() && h.highlight.size() > 0) o.set("highlight", h.highlight);
    if (!h.explanation.is_null()) o.set("_explanation", h.explanation);  // Meridian's explanation tree
    hits.push(std::move(o));
  }
  Json total = Json::object();
  total.set("value", Json(r.total));
  total.set("relation", Json(r.total_is_lower_bound ? "gte" : "eq"));
  Json hj = Json::object();
  hj.set("total", std::move(total));
  hj.set("max_score", max_score ? Json(*max_score) : Json());
  hj.set("hits", std::move(hits));
  Json shards = Json::object();
  shards.set("total", Json(int64_t{1}));
  shards.set("successful", Json(int64_t{1}));
  shards.set("skipped", Json(int64_t{0}));
  shards.set("failed", Json(int64_t{0}));
  Json out = Json::object();
  out.set("took", Json(took_ms));
  out.set("timed_out", Json(false));
  out.set("_shards", std::move(shards));
  out.set("hits", std::move(hj));
  if (!plan.aggs.empty()) out.set("aggregations", facets_to_aggregations(r.facets, plan));
  return out;
}

query::SearchResponse merged_to_response(const Json& merged) {
  query::SearchResponse r;
  if (const Json* total = merged.find("total")) {
    if (const Json* v = total->find("value"); v && v->is_int()) r.total = static_cast<uint64_t>(v->as_int());
    if (const Json* rel = total->find("relation"); rel && rel->is_string()) r.total_is_lower_bound = rel->as_string() == "gte";
  }
  if (const Json* hits = merged.find("hits"); hits && hits->is_array()) {
    for (const Json& h : hits->as_array()) {
      query::Hit hit;
      if (const Json* id = h.find("id"); id && id->is_string()) hit.id = id->as_string();
      if (const Json* sc = h.find("score"); sc && sc->is_number()) hit.score = sc->as_double();
      if (const Json* v = h.find("source")) hit.source = *v;
      if (const Json* v = h.find("sort")) hit.sort = *v;
      if (const Json* v = h.find("highlight")) hit.highlight = *v;
      if (const Json* v = h.find("explanation")) hit.explanation = *v;
      r.hits.push_back(std::move(hit));
    }
  }
  if (const Json* f = merged.find("facets")) r.facets = *f;
  return r;
}

Json clustered_search_response(const std::string& index, const Json& merged, const SearchPlan& plan,
                               const std::string& id_field, int64_t took_ms) {
  query::SearchResponse r = merged_to_response(merged);
  // The router's shard counts; a missing member counts as every shard answering.
  auto count = [&](const char* k, int64_t fallback) {
    const Json* sh = merged.find("shards");
    const Json* v = sh ? sh->find(k) : nullptr;
    return v && v->is_int() ? v->as_int() : fallback;
  };
  const int64_t total = count("total", 1), failed = count("failed", 0);
  Json shards = Json::object();
  shards.set("total", Json(total));
  shards.set("successful", Json(count("successful", total - failed)));
  if (!plan.count_only) shards.set("skipped", Json(int64_t{0}));
  shards.set("failed", Json(failed));
  if (const Json* fl = merged.find("failures"); fl && fl->is_array() && fl->size() > 0) {
    Json failures = Json::array();
    for (const Json& f : fl->as_array()) {
      const Json* sh = f.find("shard");
      const Json* why = f.find("reason");
      Json reason = Json::object();
      reason.set("type", Json("no_shard_available_action_exception"));
      reason.set("reason", why && why->is_string() ? *why : Json("the shard did not answer"));
      Json one = Json::object();
      one.set("shard", sh ? *sh : Json());
      one.set("index", Json(index));
      one.set("reason", std::move(reason));
      failures.push(std::move(one));
    }
    shards.set("failures", std::move(failures));
  }
  if (plan.count_only) {
    Json out = Json::object();
    out.set("count", Json(r.total));
    out.set("_shards", std::move(shards));
    return out;
  }
  Json out = search_response(index, r, plan, id_field, took_ms);
  out.set("_shards", std::move(shards));
  return out;
}

}  // namespace meridian::server::compat
