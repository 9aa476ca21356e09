#include <doctest/doctest.h>

#include <regex>
#include <set>

#include "meridian/base/json.h"
#include "meridian/server/openapi.h"
#include "meridian/server/route_table.h"

using namespace meridian;
using namespace meridian::server;

namespace {

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// "/v1/indexes/{index}/docs/{id}" → "/v1/indexes/cities/docs/x1".
std::string concrete(const std::string& tmpl) {
  std::string out = std::regex_replace(tmpl, std::regex(R"(\{index\})"), "cities");
  return std::regex_replace(out, std::regex(R"(\{[a-z_]+\})"), "x1");
}

const std::set<std::string> kMethods = {"get", "put", "post", "patch", "delete"};

}  // namespace

TEST_CASE("route table: every operation of the OpenAPI document demands the scope it documents") {
  auto doc = parse_json(openapi_document());
  REQUIRE(doc);
  const Json* paths = doc->find("paths");
  REQUIRE(paths);
  size_t ops = 0;
  std::set<std::string> operation_ids;
  for (const auto& [tmpl, item] : paths->as_object()) {
    for (const auto& [method, op] : item.as_object()) {
      if (!kMethods.count(method)) continue;
      ++ops;
      CAPTURE(tmpl);
      CAPTURE(method);
      const Json* oid = op.find("operationId");
      REQUIRE(oid);
      CHECK(operation_ids.insert(oid->as_string()).second);  // unique
      const Json* sec = op.find("security");
      bool is_public = sec && sec->is_array() && sec->size() == 0;
      RouteInfo info = classify_route(upper(method), concrete(tmpl));
      REQUIRE(info.match == RouteMatch::kFound);
      CHECK(info.name == tmpl);
      CHECK(info.needs_auth == !is_public);
      if (!is_public) {
        const Json* scope = op.find("x-meridian-scope");
        REQUIRE(scope);
        CHECK(scope_name(info.scope) == scope->as_string());
      }
      CHECK(info.index == (tmpl.find("{index}") != std::string::npos ? "cities" : ""));
      // The line exists exactly as documented.
      CHECK(find_route(upper(method), tmpl) != nullptr);
    }
  }
  // And the reverse: every line of the table is documented.
  CHECK(ops == route_table().size());
  for (const auto& r : route_table()) {
    CAPTURE(r.pattern);
    std::string m(r.method);
    for (auto& c : m) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const Json* item = paths->find(r.pattern);
    REQUIRE(item);
    CHECK(item->find(m) != nullptr);
  }
}

TEST_CASE("route table: an unknown path needs auth and is unknown (fail closed)") {
  for (const char* p : {"/_nope", "/_cat", "/v1/nope", "/v1/indexes/", "/v1/indexes//docs", "/v1/indexes/a/docs/b/c",
                        "/health/x", "/v1/indexes/a/unknown", "/a/_nope", "/v1/keys/a/b", "v1/indexes", "//_doc",
                        "/_console", "/_console/a/b", "/_console/third_party/a/b/c"}) {
    CAPTURE(p);
    for (const char* m : {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
      RouteInfo info = classify_route(m, p);
      CHECK(info.match == RouteMatch::kUnknown);
      CHECK(info.needs_auth);
      CHECK(info.name == "other");
    }
  }
}

TEST_CASE("route table: a known path with another method is 'wrong method' with the allowed ones, after auth") {
  RouteInfo info = classify_route("DELETE", "/v1/indexes");
  CHECK(info.match == RouteMatch::kWrongMethod);
  CHECK(info.needs_auth);
  CHECK(info.allow == "GET");
  info = classify_route("POST", "/health");
  CHECK(info.match == RouteMatch::kWrongMethod);
  CHECK(info.needs_auth);  // even on a public path: only the listed method is public
  info = classify_route("PATCH", "/v1/keys/abc");
  CHECK(info.match == RouteMatch::kWrongMethod);
  CHECK(info.allow == "GET, DELETE");
}

TEST_CASE("route table: HEAD is GET; OPTIONS on a known path is a preflight without auth") {
  RouteInfo info = classify_route("HEAD", "/v1/indexes/cities");
  CHECK(info.match == RouteMatch::kFound);
  CHECK(info.scope == Scope::kSearch);
  info = classify_route("OPTIONS", "/v1/indexes/cities/search");
  CHECK(info.match == RouteMatch::kPreflight);
  CHECK_FALSE(info.needs_auth);
  CHECK(info.allow == "POST, GET, OPTIONS");
}

TEST_CASE("route table: scopes follow the kind of action") {
  CHECK(classify_route("GET", "/v1/indexes/cities/docs/1").scope == Scope::kSearch);
  CHECK(classify_route("PUT", "/v1/indexes/cities/docs/1").scope == Scope::kWrite);
  CHECK(classify_route("DELETE", "/v1/indexes/cities/docs/1").scope == Scope::kWrite);
  CHECK(classify_route("POST", "/v1/indexes/cities/docs").scope == Scope::kWrite);
  CHECK(classify_route("PUT", "/v1/indexes/cities").scope == Scope::kAdmin);
  CHECK(classify_route("DELETE", "/v1/indexes/cities").scope == Scope::kAdmin);
  CHECK(classify_route("GET", "/v1/indexes/cities/sources").scope == Scope::kAdmin);
  CHECK(classify_route("GET", "/metrics").scope == Scope::kAdmin);
  CHECK(classify_route("GET", "/v1/keys").scope == Scope::kAdmin);
  CHECK_FALSE(classify_route("GET", "/health").needs_auth);
  CHECK_FALSE(classify_route("GET", "/v1/openapi.json").needs_auth);
}

TEST_CASE("route table: templates match whole segments and capture the index") {
  std::string_view idx;
  CHECK(match_route_pattern("/v1/indexes/{index}/docs/{id}", "/v1/indexes/a.b/docs/7", &idx));
  CHECK(idx == "a.b");
  CHECK_FALSE(match_route_pattern("/v1/indexes/{index}", "/v1/indexes/a/docs", &idx));
  CHECK_FALSE(match_route_pattern("/v1/indexes/{index}/docs", "/v1/indexes/a", &idx));
  CHECK_FALSE(match_route_pattern("/v1/openapi.json", "/v1/openapiXjson", &idx));
  CHECK_FALSE(match_route_pattern("/v1/indexes", "/v1/indexes/", &idx));
  // The regex httplib dispatches with agrees with the matcher.
  for (const auto& r : route_table()) {
    CAPTURE(r.pattern);
    std::regex re(route_regex(r.pattern));
    std::string p = concrete(std::string(r.pattern));
    CHECK(std::regex_match(p, re));
    CHECK(match_route_pattern(r.pattern, p, nullptr));
    CHECK_FALSE(std::regex_match(p + "/x", re));
  }
  CHECK(route_regex("/v1/openapi.json") == R"(/v1/openapi\.json)");
  CHECK(route_regex("/v1/indexes/{index}/docs/{id}") == "/v1/indexes/([^/]+)/docs/([^/]+)");
}

TEST_CASE("route table: a first segment starting with '_' is never an index (OpenSearch-compatible routes)") {
  std::string_view idx;
  CHECK(match_route_pattern("/{index}", "/cities", &idx));
  CHECK(idx == "cities");
  CHECK_FALSE(match_route_pattern("/{index}", "/_bulk", &idx));
  CHECK_FALSE(match_route_pattern("/{index}/_search", "/_all/_search", &idx));
  CHECK(match_route_pattern("/v1/indexes/{index}", "/v1/indexes/_x", &idx));  // the native route reports the bad name
  CHECK(route_regex("/{index}/_doc/{id}") == "/([^/_][^/]*)/_doc/([^/]+)");
  CHECK(classify_route("POST", "/_bulk").name == "/_bulk");
  CHECK(classify_route("POST", "/_bulk").index.empty());
  CHECK(classify_route("POST", "/cities/_bulk").index == "cities");
  CHECK(classify_route("PUT", "/_bulk").match == RouteMatch::kWrongMethod);
  CHECK(classify_route("GET", "/health").name == "/health");  // the native route, not an index named health
  CHECK_FALSE(classify_route("GET", "/").needs_auth);           // console or cluster info
  CHECK(classify_route("PUT", "/cities").scope == Scope::kAdmin);
  CHECK(classify_route("POST", "/cities/_doc").scope == Scope::kWrite);
  CHECK(classify_route("HEAD", "/cities").scope == Scope::kSearch);
  CHECK(classify_route("POST", "/cities/_search").scope == Scope::kSearch);
}
