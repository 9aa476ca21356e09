#include "meridian/server/request_check.h"

#include <doctest/doctest.h>

#include "meridian/server/openapi.h"
#include "meridian/server/route_table.h"

using namespace meridian;
using namespace meridian::server;

namespace {

std::string check(const RequestCheck& c, std::vector<std::string_view> segs,
                  std::multimap<std::string, std::string> params, std::string* path = nullptr, size_t* col = nullptr) {
  std::string p;
  size_t column = 0;
  Status st = c.check(segs, params, &p, &column);
  if (path) *path = p;
  if (col) *col = column;
  return st.is_ok() ? "" : st.message();
}

}  // namespace

TEST_CASE("request check: the query parameters of a route are those the OpenAPI document declares") {
  CHECK(openapi_query_params("PATCH", "/v1/indexes/{index}/docs/{id}") == std::vector<std::string>{"refresh", "upsert"});
  CHECK(openapi_query_params("PUT", "/v1/indexes/{index}/docs/{id}") == std::vector<std::string>{"refresh"});
  CHECK(openapi_query_params("POST", "/v1/indexes/{index}/refresh").empty());
  CHECK(openapi_query_params("GET", "/nowhere").empty());
  // Every /v1 route of the table resolves (no route silently takes anything).
  for (const auto& r : route_table()) {
    RequestCheck c(r.method, r.pattern);
    CHECK(check(c, {}, {{"zzzzzz", "1"}}).find("unknown parameter 'zzzzzz'") == 0);
  }
}

TEST_CASE("request check: an unknown parameter is refused with the closest declared one") {
  RequestCheck put("PUT", "/v1/indexes/{index}/docs/{id}");
  std::string path;
  CHECK(check(put, {"i", "1"}, {{"refresh", "true"}}) == "");
  CHECK(check(put, {"i", "1"}, {{"refersh", "true"}}, &path) == "unknown parameter 'refersh' (did you mean 'refresh'?)");
  CHECK(path == "refersh");
  CHECK(check(put, {"i", "1"}, {{"upsert", "true"}}) == "unknown parameter 'upsert' (expected one of: refresh)");
  RequestCheck patch("PATCH", "/v1/indexes/{index}/docs/{id}");
  CHECK(check(patch, {"i", "1"}, {{"upsrt", "true"}, {"refresh", "true"}}) ==
        "unknown parameter 'upsrt' (did you mean 'upsert'?)");
  RequestCheck refresh("POST", "/v1/indexes/{index}/refresh");
  CHECK(check(refresh, {"i"}, {{"x", "1"}}) == "unknown parameter 'x' (this route takes no query parameters)");
  RequestCheck list("GET", "/v1/indexes/{index}/docs");
  CHECK(check(list, {"i"}, {{"limit", "5"}}) == "unknown parameter 'limit' (did you mean 'size'?)");
  CHECK(check(list, {"i"}, {{"after", "5"}, {"size", "2"}, {"source", "false"}}) == "");
}

TEST_CASE("request check: a path placeholder that is not UTF-8 is refused naming it and the byte") {
  RequestCheck put("PUT", "/v1/indexes/{index}/docs/{id}");
  CHECK(put.placeholders() == std::vector<std::string>{"index", "id"});
  std::string path;
  size_t col = 0;
  CHECK(check(put, {"i", "ok\xC3\xA9"}, {}) == "");  // é
  CHECK(check(put, {"i", "a\xFF"}, {}, &path, &col) ==
        "document id: invalid UTF-8 at byte 2 (after percent-decoding the path)");
  CHECK(path == "id");
  CHECK(col == 2);
  CHECK(check(put, {"i", "\xED\xA0\x80"}, {}).find("document id: invalid UTF-8") == 0);  // a surrogate
  RequestCheck alias("PUT", "/v1/aliases/{alias}");
  CHECK(check(alias, {"\xC0\xAF"}, {}).find("alias: invalid UTF-8 at byte 1") == 0);  // overlong '/'
}
