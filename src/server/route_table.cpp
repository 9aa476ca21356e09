#include "meridian/server/route_table.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <vector>

namespace meridian::server {
namespace {

constexpr Scope S = Scope::kSearch;
constexpr Scope W = Scope::kWrite;
constexpr Scope A = Scope::kAdmin;

// The routes. Keep one line per (method, template); group by path.
constexpr RouteSpec kRoutes[] = {
    // method    template                                    scope auth
    {"GET",    "/health",                                    S, false},
    {"GET",    "/v1/openapi.json",                           S, false},
    {"GET",    "/metrics",                                   A, true},
    {"GET",    "/v1/cluster",                                A, true},  // cluster state (docs/CLUSTER.md)
    {"POST",   "/v1/cluster/snapshots",                      A, true},  // cluster-internal: a replica's snapshot for a rebuilding peer
    {"GET",    "/v1/cluster/snapshots/{id}/files/{name}",    A, true},
    {"DELETE", "/v1/cluster/snapshots/{id}",                 A, true},
    {"POST",   "/v1/keys",                                   A, true},
    {"GET",    "/v1/keys",                                   A, true},
    {"GET",    "/v1/keys/{id}",                              A, true},
    {"DELETE", "/v1/keys/{id}",                              A, true},
    {"POST",   "/v1/analyze",                                S, true},
    {"GET",    "/v1/indexes",                                S, true},
    {"POST",   "/v1/multi-search",                           S, true},  // per-search index checks in the handler
    {"POST",   "/v1/backup",                                 A, true},  // writes a directory on the server
    {"GET",    "/v1/aliases",                                S, true},  // lists the aliases the key may search
    {"POST",   "/v1/aliases",                                A, true},  // atomic actions
    {"PUT",    "/v1/aliases/{alias}",                        A, true},
    {"GET",    "/v1/aliases/{alias}",                        S, true},
    {"DELETE", "/v1/aliases/{alias}",                        A, true},
    {"PUT",    "/v1/indexes/{index}",                        A, true},
    {"GET",    "/v1/indexes/{index}",                        S, true},
    {"PATCH",  "/v1/indexes/{index}",                        A, true},  // add fields
    {"DELETE", "/v1/indexes/{index}",                        A, true},
    {"POST",   "/v1/indexes/{index}/docs",                   W, true},
    {"GET",    "/v1/indexes/{index}/docs",                   S, true},  // list by id
    {"PUT",    "/v1/indexes/{index}/docs/{id}",              W, true},
    {"GET",    "/v1/indexes/{index}/docs/{id}",              S, true},
    {"PATCH",  "/v1/indexes/{index}/docs/{id}",              W, true},  // merge patch
    {"DELETE", "/v1/indexes/{index}/docs/{id}",              W, true},
    {"POST",   "/v1/indexes/{index}/delete-by-query",        W, true},
    {"POST",   "/v1/indexes/{index}/refresh",                W, true},
    {"GET",    "/v1/indexes/{index}/settings",               S, true},
    {"PATCH",  "/v1/indexes/{index}/settings",               A, true},  // merge patch; like PATCH /v1/indexes/{index}
    {"POST",   "/v1/indexes/{index}/search",                 S, true},
    {"GET",    "/v1/indexes/{index}/search",                 S, true},
    {"GET",    "/v1/indexes/{index}/watch",                  S, true},
    {"POST",   "/v1/indexes/{index}/changes",                W, true},
    {"POST",   "/v1/indexes/{index}/shards/{shard}/search",  S, true},  // cluster-internal: one shard's search phase
    {"POST",   "/v1/indexes/{index}/shards/{shard}/select",  W, true},  // cluster-internal: delete-by-query's ids of one shard
    {"POST",   "/v1/indexes/{index}/shards/{shard}/refresh", W, true},  // cluster-internal: one replica's refresh
    {"GET",    "/v1/indexes/{index}/shards/{shard}/watch",   S, true},  // cluster-internal: one replica's live-query stream
    {"GET",    "/v1/indexes/{index}/sources",                A, true},  // configs hold DSNs
    {"PUT",    "/v1/indexes/{index}/sources/{name}",         A, true},
    {"GET",    "/v1/indexes/{index}/sources/{name}",         A, true},
    {"DELETE", "/v1/indexes/{index}/sources/{name}",         A, true},
    // The OpenSearch-compatible API (docs/COMPAT.md). GET / is public: the
    // console's page for a browser, the cluster info for a client. A `{index}`
    // as the first segment never matches a segment starting with '_' (no
    // OpenSearch index name does), so /_bulk is never the index "_bulk".
    {"GET",    "/",                                          S, false},
    {"GET",    "/_cat/indices",                              S, true},
    {"POST",   "/_bulk",                                     W, true},  // per-item index checks in the handler
    {"GET",    "/_search",                                   S, true},
    {"POST",   "/_search",                                   S, true},  // every index the key may search
    {"GET",    "/_count",                                    S, true},
    {"POST",   "/_count",                                    S, true},
    {"POST",   "/_msearch",                                  S, true},  // per-search index checks in the handler
    {"GET",    "/_mget",                                     S, true},  // per-document index checks in the handler
    {"POST",   "/_mget",                                     S, true},
    {"POST",   "/_aliases",                                  A, true},
    {"GET",    "/_alias",                                    S, true},
    {"GET",    "/_alias/{alias}",                            S, true},  // checked against the alias's index in the handler
    {"GET",    "/_cluster/health",                           S, true},
    {"POST",   "/_refresh",                                  W, true},  // every index the key may write
    {"GET",    "/_refresh",                                  W, true},
    {"POST",   "/_all/_refresh",                             W, true},
    {"GET",    "/_all/_refresh",                             W, true},
    {"PUT",    "/{index}",                                   A, true},
    {"GET",    "/{index}",                                   S, true},  // and HEAD: does it exist
    {"DELETE", "/{index}",                                   A, true},
    {"GET",    "/{index}/_mapping",                          S, true},
    {"GET",    "/{index}/_alias",                            S, true},
    {"PUT",    "/{index}/_mapping",                          A, true},
    {"POST",   "/{index}/_doc",                              W, true},  // id chosen by the server
    {"PUT",    "/{index}/_doc/{id}",                         W, true},
    {"POST",   "/{index}/_doc/{id}",                         W, true},
    {"GET",    "/{index}/_doc/{id}",                         S, true},
    {"DELETE", "/{index}/_doc/{id}",                         W, true},
    {"PUT",    "/{index}/_create/{id}",                      W, true},
    {"POST",   "/{index}/_update/{id}",                      W, true},
    {"POST",   "/{index}/_bulk",                             W, true},
    {"GET",    "/{index}/_search",                           S, true},
    {"POST",   "/{index}/_search",                           S, true},
    {"GET",    "/{index}/_count",                            S, true},
    {"POST",   "/{index}/_count",                            S, true},
    {"POST",   "/{index}/_msearch",                          S, true},
    {"GET",    "/{index}/_mget",                             S, true},
    {"POST",   "/{index}/_mget",                             S, true},
    {"POST",   "/{index}/_delete_by_query",                  W, true},
    {"POST",   "/{index}/_refresh",                          W, true},
    {"GET",    "/{index}/_refresh",                          W, true},  // what the JS client sends
    // The web console (routes_console.cpp; GET / above hands a browser to it):
    // public files; the API calls the page makes carry the key.
    {"GET",    "/_console/{file}",                           S, false},
    {"GET",    "/_console/third_party/{package}/{file}",     S, false},
    {"GET",    "/_console/third_party/{package}/images/{file}", S, false},
};

// The next segment of a path or template from *pos (a leading '/' skipped);
// false at the end. "/a//b" has an empty segment, which no template matches.
bool next_segment(std::string_view s, size_t* pos, std::string_view* seg) {
  if (*pos >= s.size()) return false;
  if (s[*pos] == '/') ++*pos;
  size_t end = s.find('/', *pos);
  if (end == std::string_view::npos) end = s.size();
  *seg = s.substr(*pos, end - *pos);
  *pos = end;
  return true;
}

bool is_placeholder(std::string_view seg) { return seg.size() >= 2 && seg.front() == '{' && seg.back() == '}'; }

}  // namespace

std::span<const RouteSpec> route_table() { return kRoutes; }

const RouteSpec* find_route(std::string_view method, std::string_view pattern) {
  for (const auto& r : kRoutes)
    if (r.method == method && r.pattern == pattern) return &r;
  return nullptr;
}

bool match_route_pattern(std::string_view pattern, std::string_view path, std::string_view* index) {
  if (path.empty() || path.front() != '/') return false;
  size_t pp = 0, tp = 0;
  std::string_view ps, ts, idx;
  while (true) {
    bool more_t = next_segment(pattern, &tp, &ts);
    bool more_p = next_segment(path, &pp, &ps);
    if (!more_t || !more_p) {
      if (more_t || more_p) return false;
      break;
    }
    if (is_placeholder(ts)) {
      if (ps.empty()) return false;
      if (tp == ts.size() + 1 && ps.front() == '_' && ts == "{index}") return false;  // "/_bulk" is no index
      if (ts == "{index}") idx = ps;
    } else if (ts != ps) {
      return false;
    }
  }
  if (index) *index = idx;
  return true;
}

std::string route_regex(std::string_view pattern) {
  std::string re;
  size_t pos = 0;
  std::string_view seg;
  while (next_segment(pattern, &pos, &seg)) {
    re += '/';
    if (is_placeholder(seg)) {
      re += pos == seg.size() + 1 && seg == "{index}" ? "([^/_][^/]*)" : "([^/]+)";
      continue;
    }
    for (char c : seg) {
      if (std::string_view(".[]{}()*+?^$|\\").find(c) != std::string_view::npos) re += '\\';
      re += c;
    }
  }
  return re;
}

namespace {

// The table's templates split into segments once, so that classifying a
// request splits its path once and compares segment lists (the segment
// count first) instead of walking every template against the path.
constexpr size_t kMaxSegments = 8;

struct SplitRoute {
  const RouteSpec* spec = nullptr;
  size_t n = 0;
  std::array<std::string_view, kMaxSegments> seg;
  std::array<bool, kMaxSegments> placeholder{};
  int index_at = -1;  // the segment that is {index}, or -1
};

// Splits s as next_segment walks it; false when it has more than kMaxSegments.
bool split(std::string_view s, std::array<std::string_view, kMaxSegments>* out, size_t* n) {
  size_t pos = 0;
  std::string_view seg;
  *n = 0;
  while (next_segment(s, &pos, &seg)) {
    if (*n == kMaxSegments) return false;
    (*out)[(*n)++] = seg;
  }
  return true;
}

// The split templates grouped by segment count, in table order within a
// group: a path is compared only with the templates of its length.
struct SplitTable {
  std::vector<SplitRoute> routes;
  std::array<std::span<const SplitRoute>, kMaxSegments + 1> by_count;
};

const SplitTable& split_table() {
  static const SplitTable table = [] {
    SplitTable t;
    for (const auto& r : kRoutes) {
      SplitRoute s;
      s.spec = &r;
      if (!split(r.pattern, &s.seg, &s.n)) std::abort();  // a template longer than kMaxSegments: raise it
      for (size_t i = 0; i < s.n; ++i) {
        s.placeholder[i] = is_placeholder(s.seg[i]);
        if (s.seg[i] == "{index}") s.index_at = static_cast<int>(i);
      }
      t.routes.push_back(s);
    }
    std::stable_sort(t.routes.begin(), t.routes.end(), [](const SplitRoute& a, const SplitRoute& b) { return a.n < b.n; });
    for (size_t n = 0; n <= kMaxSegments; ++n) {
      auto lo = std::lower_bound(t.routes.begin(), t.routes.end(), n, [](const SplitRoute& r, size_t v) { return r.n < v; });
      auto hi = std::upper_bound(t.routes.begin(), t.routes.end(), n, [](size_t v, const SplitRoute& r) { return v < r.n; });
      t.by_count[n] = std::span<const SplitRoute>(&*t.routes.begin() + (lo - t.routes.begin()), static_cast<size_t>(hi - lo));
    }
    return t;
  }();
  return table;
}

// match_route_pattern(r's template, path) for a path already split.
// Compared from the last segment, which tells most templates apart ("search",
// "docs", "settings" after the same "/v1/indexes/{index}").
bool matches(const SplitRoute& r, const std::array<std::string_view, kMaxSegments>& ps, size_t n) {
  if (r.n != n) return false;
  for (size_t i = n; i-- > 0;) {
    if (!r.placeholder[i]) {
      if (r.seg[i] != ps[i]) return false;
      continue;
    }
    if (ps[i].empty()) return false;
    if (i == 0 && r.index_at == 0 && ps[i].front() == '_') return false;  // "/_bulk" is no index
  }
  return true;
}

}  // namespace

RouteInfo classify_route(std::string_view method, std::string_view path) {
  RouteInfo info;
  if (method == "HEAD") method = "GET";
  std::array<std::string_view, kMaxSegments> ps;
  size_t n = 0;
  // No template has more segments; every template starts with '/'.
  if (path.empty() || path.front() != '/' || !split(path, &ps, &n)) return info;
  const std::span<const SplitRoute> routes = split_table().by_count[n];
  bool known_path = false;
  for (const auto& r : routes) {
    if (!matches(r, ps, n)) continue;
    if (!known_path) info.name = r.spec->pattern;
    known_path = true;
    if (r.spec->method != method) continue;
    info.match = RouteMatch::kFound;
    info.name = r.spec->pattern;
    info.needs_auth = r.spec->needs_auth;
    info.scope = r.spec->scope;
    if (r.index_at >= 0) info.index = std::string(ps[static_cast<size_t>(r.index_at)]);
    return info;
  }
  if (!known_path) return info;  // kUnknown: needs auth, name "other"
  for (const auto& r : routes) {
    if (!matches(r, ps, n) || info.allow.find(r.spec->method) != std::string::npos) continue;
    if (!info.allow.empty()) info.allow += ", ";
    info.allow += r.spec->method;
  }
  if (method == "OPTIONS") {
    info.match = RouteMatch::kPreflight;
    info.needs_auth = false;
    info.allow += ", OPTIONS";
    return info;
  }
  info.match = RouteMatch::kWrongMethod;
  return info;
}

}  // namespace meridian::server
