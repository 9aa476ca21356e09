// The collectors' fast paths against the generic ones: a constant-score
// search (match_all under filters, a filter as the query, constant_score)
// ranks by write order without a heap; SearchOptions::exhaustive forces the
// heap path, the oracle.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "small_index.h"
#include "meridian/index/index.h"
#include "meridian/query/search_request.h"
#include "meridian/query/searcher.h"

using namespace meridian;
using namespace meridian::query;

namespace {

using Corpus = testing::SmallIndex;  // a directory and the index in it

Json doc(const std::string& id, std::mt19937& rng) {
  Json d = Json::object();
  d.set("id", id);
  d.set("tag", std::string(1, static_cast<char>('a' + rng() % 4)));
  Json p = Json::object();
  p.set("lat", 48 + std::uniform_real_distribution<double>(0, 1)(rng));
  p.set("lon", 2 + std::uniform_real_distribution<double>(0, 1)(rng));
  d.set("loc", std::move(p));
  return d;
}

// Four segments: written in order; written with shuffled and repeated write
// orders (WriteBatch::put_ordered, as a replica or an import of several
// writer slots leaves them: not increasing with the document number); updates
// and deletes of earlier documents; then a force-merged copy is kept aside
// (merge = true: one segment holding all of them).
std::unique_ptr<Corpus> make_corpus(bool merge) {
  auto c = std::make_unique<Corpus>();
  auto schema = index::Schema::from_json(*parse_json(R"({"fields":{"tag":"keyword","loc":"geo_point"}})"));
  REQUIRE(schema.is_ok());
  auto idx = index::Index::open(c->dir.path(), "t", index::IndexOptions{.background = false}, &*schema);
  REQUIRE(idx.is_ok());
  c->idx = std::move(*idx);
  std::mt19937 rng(3);
  for (int i = 0; i < 300; ++i) REQUIRE(c->idx->put(doc("a" + std::to_string(i), rng)).is_ok());
  REQUIRE(c->idx->refresh().is_ok());
  index::WriteBatch wb;
  for (int i = 0; i < 300; ++i) wb.put_ordered(doc("b" + std::to_string(i), rng), 100000 + rng() % 120);
  for (auto& r : c->idx->write(std::move(wb))) REQUIRE(r.is_ok());
  REQUIRE(c->idx->refresh().is_ok());
  for (int i = 0; i < 60; ++i) REQUIRE(c->idx->put(doc("a" + std::to_string(rng() % 300), rng)).is_ok());
  for (int i = 0; i < 50; ++i) {
    std::string victim = (i % 2 ? "a" : "b") + std::to_string(rng() % 300);
    (void)c->idx->remove(victim);  // may be gone already
  }
  REQUIRE(c->idx->refresh().is_ok());
  for (int i = 300; i < 400; ++i) REQUIRE(c->idx->put(doc("a" + std::to_string(i), rng)).is_ok());
  REQUIRE(c->idx->refresh().is_ok());
  if (merge) REQUIRE(c->idx->force_merge().is_ok());
  return c;
}

using testing::parse_request;

void check_same(const SearchResponse& a, const SearchResponse& b) {
  CHECK(a.total == b.total);
  CHECK(a.docs_scored == b.docs_scored);
  REQUIRE(a.hits.size() == b.hits.size());
  for (size_t i = 0; i < a.hits.size(); ++i) {
    CHECK(a.hits[i].id == b.hits[i].id);
    CHECK(a.hits[i].score == b.hits[i].score);
    CHECK(a.hits[i].sort == b.hits[i].sort);
  }
  // The whole response as JSON (took_ms aside).
  SearchResponse x = a, y = b;
  x.took_ms = y.took_ms = 0;
  CHECK(to_json(x).dump() == to_json(y).dump());
}

}  // namespace

TEST_CASE("collectors: a constant-score search ranks as the heap path does (write order, deletes, updates, paging)") {
  for (bool merge : {false, true}) {
    auto c = make_corpus(merge);
    auto snap = c->idx->snapshot();
    CHECK(snap->segments().size() == (merge ? 1u : 4u));
    const std::vector<std::string> queries = {
        R"({"filter": {"geo_distance": {"distance": 30000, "loc": {"lat": 48.5, "lon": 2.5}}}})",
        R"({"filter": {"geo_bounding_box": {"loc": {"top": 48.9, "left": 2.1, "bottom": 48.2, "right": 2.6}}}})",
        R"({"filter": {"term": {"tag": "b"}}})",
        R"({"query": {"term": {"tag": "c"}}})",
        R"({"query": {"constant_score": {"filter": {"term": {"tag": "a"}}, "boost": 2.5}}})",
        R"({"query": {"match_all": {}}})",
        R"({"query": {"match_all": {}}, "filter": {"term": {"tag": "nothing"}}})",
    };
    std::mt19937 rng(8);
    for (const auto& q : queries) {
      for (int round = 0; round < 12; ++round) {
        const size_t size = round == 0 ? 10000 : round == 1 ? 0 : round == 2 ? 1 : rng() % 80;
        const size_t from = round < 3 ? 0 : rng() % 50;
        std::string body = q.substr(0, q.size() - 1) + ",\"size\":" + std::to_string(size) +
                           ",\"from\":" + std::to_string(from) + ",\"track_total_hits\":true,\"source\":false}";
        CAPTURE(body);
        SearchRequest req = parse_request(body);
        SearchOptions fast, slow;
        slow.exhaustive = true;  // the heap of (score, write order) entries
        auto a = search(*snap, req, fast);
        auto b = search(*snap, req, slow);
        REQUIRE(a.is_ok());
        REQUIRE(b.is_ok());
        check_same(*a, *b);
        if (size == 10000 && a->total > 0) CHECK(a->hits.size() == a->total);
      }
    }
  }
}

TEST_CASE("collectors: a constant score with equal write orders ranks by segment, then document") {
  auto c = std::make_unique<Corpus>();
  auto schema = index::Schema::from_json(*parse_json(R"({"fields":{"tag":"keyword","loc":"geo_point"}})"));
  auto idx = index::Index::open(c->dir.path(), "t", index::IndexOptions{.background = false}, &*schema);
  REQUIRE(idx.is_ok());
  c->idx = std::move(*idx);
  std::mt19937 rng(1);
  for (int seg = 0; seg < 3; ++seg) {
    index::WriteBatch wb;
    for (int i = 0; i < 40; ++i) wb.put_ordered(doc("s" + std::to_string(seg) + "_" + std::to_string(i), rng), 7 + i % 2);
    for (auto& r : c->idx->write(std::move(wb))) REQUIRE(r.is_ok());
    REQUIRE(c->idx->refresh().is_ok());
  }
  auto snap = c->idx->snapshot();
  for (size_t size : {5, 50, 200}) {
    SearchRequest req = parse_request(R"({"filter": {"term": {"tag": "a"}}, "size": )" + std::to_string(size) + "}");
    SearchOptions slow;
    slow.exhaustive = true;
    auto a = search(*snap, req, {});
    auto b = search(*snap, req, slow);
    REQUIRE(a.is_ok());
    REQUIRE(b.is_ok());
    check_same(*a, *b);
    // Order 7 before 8; within an order, the first segment's documents first.
    for (size_t i = 1; i < a->hits.size(); ++i) {
      const auto& p = a->hits[i - 1];
      const auto& h = a->hits[i];
      const int64_t po = p.sort.as_array()[1].as_int(), ho = h.sort.as_array()[1].as_int();
      CHECK((po < ho || (po == ho && (p.segment < h.segment || (p.segment == h.segment && p.doc < h.doc)))));
    }
  }
}
