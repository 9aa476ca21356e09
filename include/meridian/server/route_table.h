// The route table of `meridian serve`: the single source of truth for every
// HTTP route's method, path template, scope and authentication.
//
// One line per (method, path template), in src/server/route_table.cpp. To add
// a route: add its line there, register its handler with ServerImpl::route()
// (same method and template), and document it in openapi.cpp (the
// OpenSearch-compatible routes: openapi_compat.cpp) and docs/API.md (the
// tests check all four agree). Fail closed:
// - classify_route() matches a request against the table only; a path that is
//   in no line is 404 and a known path with another method is 405, both
//   answered only after authentication (401 without a valid key when auth is
//   on), so an unknown route never opens a door;
// - ServerImpl::route() refuses a handler whose line is missing, and the
//   server refuses to start if a line has no handler;
// - a /v1 route accepts only the query parameters its OpenAPI operation
//   lists, and path segments that are valid UTF-8 (request_check.h).
//
// Templates: literal segments and `{name}` placeholders, each matching one
// non-empty path segment; an `{index}` as the first segment does not match a
// segment starting with '_' (OpenSearch-compatible routes: /_bulk is no index). `{index}` names the index (or alias) the scope
// applies to; a route without it is index-less (see ApiKey::allows).
// Matching walks the segments with string_views (no allocation) and needs
// no regex; HEAD matches the GET line; OPTIONS (CORS preflight) matches any
// known path and needs no key (browsers send none with a preflight).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "meridian/server/key_store.h"

namespace meridian::server {

struct RouteSpec {
  std::string_view method;    // "GET", "POST", "PUT", "PATCH", "DELETE"
  std::string_view pattern;   // "/v1/indexes/{index}/docs/{id}"
  Scope scope;                // what the caller's key must allow
  bool needs_auth;            // false: public (health, the OpenAPI document)
};

// Every route, in table order.
std::span<const RouteSpec> route_table();

// The line of exactly this method and template, or nullptr.
const RouteSpec* find_route(std::string_view method, std::string_view pattern);

// Whether `path` matches `pattern`; sets *index to the {index} segment (a
// view into path) when the pattern has one.
bool match_route_pattern(std::string_view pattern, std::string_view path, std::string_view* index);

// The regex httplib dispatches a template with: `{x}` → `([^/]+)`, so
// handlers read placeholders from req.matches[1], [2], ... in order.
std::string route_regex(std::string_view pattern);

enum class RouteMatch : uint8_t {
  kFound,        // a line of the table
  kWrongMethod,  // the path is known, the method is not: 405 after auth
  kUnknown,      // no line has this path: 404 after auth
  kPreflight,    // OPTIONS on a known path: no auth
};

// Which route a request is, what it needs, which index it names.
struct RouteInfo {
  std::string_view name = "other";  // route template (static) for metrics and logs; "other" when unknown
  bool needs_auth = true;
  Scope scope = Scope::kSearch;  // meaningful for kFound only
  std::string index;             // "" when the route names none
  RouteMatch match = RouteMatch::kUnknown;
  std::string allow;  // kWrongMethod/kPreflight: the methods of the path, "GET, POST"
};
RouteInfo classify_route(std::string_view method, std::string_view path);

}  // namespace meridian::server
