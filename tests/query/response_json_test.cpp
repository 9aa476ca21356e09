// write_json(): the search response written straight into a string must be
// the bytes of to_json(r).dump(), for hand-made responses (escapes, NaN
// scores, every optional member, huge totals, suggestions) and real ones.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "small_index.h"
#include "meridian/index/index.h"
#include "meridian/query/search_request.h"
#include "meridian/query/searcher.h"

using namespace meridian;
using namespace meridian::query;

using testing::parse_request;

TEST_CASE("response json: write_json writes the bytes of to_json().dump()") {
  SearchResponse r;
  r.total = 12;
  r.took_ms = 0.123456789;
  auto hit = [](std::string id, double score, Json sort) {
    Hit h;
    h.id = std::move(id);
    h.score = score;
    h.sort = std::move(sort);
    return h;
  };
  r.hits.push_back(hit("2969613", 1.0, *parse_json("[1.0, 37378]")));
  r.hits.push_back(hit("needs \"escaping\"\n", 0.5, *parse_json("[0.5, 1]")));
  r.hits.push_back(hit(std::string(80, 'x'), 3.25, *parse_json("[3.25, 2]")));  // longer than the plain path takes
  r.hits.push_back(hit("é", NAN, *parse_json("[null, 3]")));
  r.hits.push_back(hit("s", 2.0, *parse_json(R"(["red", 12.5, 4])")));
  r.hits.push_back(hit("neg", -0.0, *parse_json("[-0.0, -5]")));
  r.hits.push_back(hit("big", 1e300, *parse_json("[1e300, 9007199254740993]")));
  r.hits.push_back(hit("nosort", 1.0, Json()));
  r.hits.push_back(hit("emptysort", 1.0, Json::array()));
  r.hits.push_back(hit("intkey", 1.0, *parse_json("[42, 6]")));
  Hit full = hit("full", 7.5, *parse_json("[7.5, 8]"));
  full.source = *parse_json(R"({"name": "Zürich", "n": [1, 2]})");
  full.distance_m = 1234.5;
  full.highlight = *parse_json(R"({"name": ["<em>Zürich</em>"]})");
  full.explanation = *parse_json(R"({"value": 7.5, "description": "x"})");
  r.hits.push_back(full);
  Hit dist = hit("dist", NAN, *parse_json("[1234.000001, 9]"));
  dist.distance_m = 1234.000001;
  r.hits.push_back(dist);
  std::string out = "prefix:";
  write_json(r, &out);
  CHECK(out == "prefix:" + to_json(r).dump());

  r.total = UINT64_MAX;  // beyond int64: a double, as Json(uint64_t)
  r.total_is_lower_bound = true;
  r.facets = *parse_json(R"({"tag": {"buckets": [{"key": "a", "count": 3}]}})");
  r.suggest = *parse_json(R"([{"text": "paris", "score": 0.5}])");
  r.took_ms = 12.0;
  out.clear();
  write_json(r, &out);
  CHECK(out == to_json(r).dump());
  CHECK(out.find("\"took_ms\":12.0,\"suggest\":[") != std::string::npos);

  SearchResponse empty;
  out.clear();
  write_json(empty, &out);
  CHECK(out == to_json(empty).dump());
  CHECK(out == R"({"total":{"value":0,"relation":"eq"},"hits":[],"facets":{},"took_ms":0.0})");
}

TEST_CASE("response json: a real geo search (distance sort, pages) is written as to_json writes it") {
  TempDir dir;
  auto schema = index::Schema::from_json(*parse_json(R"({"fields":{"tag":"keyword","loc":"geo_point"}})"));
  REQUIRE(schema.is_ok());
  auto idx = index::Index::open(dir.path(), "t", index::IndexOptions{.background = false}, &*schema);
  REQUIRE(idx.is_ok());
  for (int i = 0; i < 200; ++i) {
    auto d = parse_json(R"({"id": "p)" + std::to_string(i) + R"(", "tag": ")" + std::string(1, "ab"[i % 2]) +
                        R"(", "loc": {"lat": )" + std::to_string(48 + (i % 17) * 0.05) + R"(, "lon": )" +
                        std::to_string(2 + (i % 13) * 0.07) + "}}");
    REQUIRE((*idx)->put(*d).is_ok());
    if (i % 70 == 69) REQUIRE((*idx)->refresh().is_ok());
  }
  REQUIRE((*idx)->refresh().is_ok());
  auto snap = (*idx)->snapshot();
  for (const char* body :
       {R"({"filter": {"geo_distance": {"distance": 40000, "loc": {"lat": 48.5, "lon": 2.5}}}, "size": 10000})",
        R"({"filter": {"geo_distance": {"distance": 40000, "loc": {"lat": 48.5, "lon": 2.5}}}, "size": 20, "from": 3,
            "sort": [{"_geo_distance": {"loc": {"lat": 48.5, "lon": 2.5}}}]})",
        R"({"query": {"term": {"tag": "a"}}, "size": 50, "sort": ["tag"], "source": true})"}) {
    CAPTURE(body);
    auto r = search(*snap, parse_request(body), {});
    REQUIRE(r.is_ok());
    CHECK(r->hits.size() > 0);
    std::string out;
    write_json(*r, &out);
    CHECK(out == to_json(*r).dump());
  }
}
