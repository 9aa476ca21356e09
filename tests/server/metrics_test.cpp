#include <doctest/doctest.h>

#include "meridian/base/json.h"
#include "meridian/server/access_log.h"
#include "meridian/server/metrics.h"

using namespace meridian;
using namespace meridian::server;

TEST_CASE("metrics: counters by route, method and status; cumulative histogram buckets") {
  Metrics m;
  m.record("/health", "GET", 200, 0.0001);
  m.record("/health", "GET", 200, 0.002);
  m.record("/v1/indexes/{index}/search", "POST", 400, 0.7);
  CHECK(m.count("/health", "GET", 200) == 2);
  CHECK(m.count("/health", "GET", 404) == 0);
  std::string t = m.render({{"meridian_index_documents", "Docs.", "index=\"a\"", 3},
                            {"meridian_index_documents", "Docs.", "index=\"b\"", 4}});
  CHECK(t.find("meridian_http_requests_total{route=\"/health\",method=\"GET\",status=\"200\"} 2\n") != std::string::npos);
  CHECK(t.find("meridian_http_request_duration_seconds_bucket{route=\"/health\",le=\"0.0005\"} 1\n") != std::string::npos);
  CHECK(t.find("meridian_http_request_duration_seconds_bucket{route=\"/health\",le=\"0.0025\"} 2\n") != std::string::npos);
  CHECK(t.find("meridian_http_request_duration_seconds_bucket{route=\"/health\",le=\"+Inf\"} 2\n") != std::string::npos);
  CHECK(t.find("meridian_http_request_duration_seconds_count{route=\"/v1/indexes/{index}/search\"} 1\n") != std::string::npos);
  CHECK(t.find("meridian_index_documents{index=\"b\"} 4\n") != std::string::npos);
  // One HELP/TYPE per metric name.
  size_t first = t.find("# TYPE meridian_index_documents gauge");
  CHECK(first != std::string::npos);
  CHECK(t.find("# TYPE meridian_index_documents gauge", first + 1) == std::string::npos);
  CHECK(escape_label("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
}

TEST_CASE("access_log: request ids are taken from the client when sane, else generated") {
  CHECK(request_id_from("abc-123") == "abc-123");
  CHECK(request_id_from("").size() == 32);
  CHECK(request_id_from("has space").size() == 32);
  CHECK(request_id_from(std::string(200, 'a')).size() == 32);
  CHECK(request_id_from("") != request_id_from(""));
}

TEST_CASE("access_log: one JSON line per request") {
  AccessLogEntry e;
  e.id = "rid";
  e.method = "GET";
  e.path = "/v1/indexes/x\"y";
  e.route = "/v1/indexes/{index}";
  e.client = "127.0.0.1";
  e.key = "-";
  e.status = 404;
  e.ms = 1.5;
  e.bytes = 10;
  std::string line = access_log_line(e, 1700000000123);
  REQUIRE(line.back() == '\n');
  CHECK(line.find('\n') == line.size() - 1);
  auto j = parse_json(line);
  REQUIRE(j.is_ok());
  CHECK(j->find("id")->as_string() == "rid");
  CHECK(j->find("status")->as_int() == 404);
  CHECK(j->find("path")->as_string() == "/v1/indexes/x\"y");
  CHECK(j->find("ts")->as_string() == "2023-11-14T22:13:20.123Z");
}
