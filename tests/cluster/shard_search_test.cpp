// The distributed search of a clustered index without NATS or HTTP: three
// shard indexes (documents placed by shard_of) against one index holding
// every document. With index-wide statistics the top hits and their scores
// must equal the single index's; without them they differ.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <set>

#include "../test_util.h"
#include "meridian/cluster/placement.h"
#include "meridian/cluster/shard_search.h"
#include "meridian/index/index.h"

using namespace meridian;
using namespace meridian::cluster;

namespace {

const char* kWords[] = {"river", "stone", "bridge", "harbor", "castle", "forest", "market", "tower",
                        "garden", "valley", "north", "old", "green", "quiet", "lake", "mill"};

struct Corpus {
  TempDir dir;
  std::unique_ptr<index::Index> single;
  std::vector<std::unique_ptr<index::Index>> shards;
  int rounds[2] = {0, 0};  // distinct rounds run by clustered_search: kMore, kCheck
  bool blind = false;      // kCheck rounds answer "no value before the cursor" (a control)
};

std::unique_ptr<index::Index> open_at(const std::string& dir, const index::Schema& s) {
  auto ix = index::Index::open(dir, "t", index::IndexOptions{.background = false}, &s);
  REQUIRE(ix.is_ok());
  return std::move(*ix);
}

// Rare relatives of kWords (a typo or a completion away), each in a few
// documents: their fuzzy and prefix expansions differ from shard to shard.
const char* kRare[] = {"rivers", "riverside", "rover", "stones", "stoner", "bridges", "harbors", "harborside",
                       "castles", "castello", "marker", "marketing", "towers", "towering", "gardens", "gardener",
                       "valleys", "northern", "lakes", "miller", "millers", "greener", "quieter", "forests"};

// With `rare`, one word of some documents' body is a kRare word.
std::unique_ptr<Corpus> make_corpus(uint32_t shards, int n, bool rare = false) {
  auto c = std::make_unique<Corpus>();
  auto schema = index::Schema::from_json(*parse_json(
      R"({"fields":{"title":"text","body":"text","tag":"keyword","year":"int","series":"keyword",)"
      R"("location":"geo_point"}})"));
  REQUIRE(schema.is_ok());
  c->single = open_at(c->dir.path() + "/single", *schema);
  for (uint32_t s = 0; s < shards; ++s) c->shards.push_back(open_at(c->dir.path() + "/s" + std::to_string(s), *schema));
  std::mt19937 rng(7);
  std::vector<Json> all;
  std::vector<std::vector<Json>> per_shard(shards);
  for (int i = 0; i < n; ++i) {
    std::string id = "doc" + std::to_string(i);
    auto text = [&](int len) {
      std::string t;
      // Skewed: low words are frequent, so idf varies by word.
      for (int w = 0; w < len; ++w) t += std::string(w ? " " : "") + kWords[std::min(rng() % 16, rng() % 16)];
      return t;
    };
    Json d = Json::object();
    d.set("id", id);
    d.set("title", text(1 + static_cast<int>(rng() % 4)));
    std::string body = text(3 + static_cast<int>(rng() % 12));
    if (rare && rng() % 25 == 0) body += std::string(" ") + kRare[rng() % (sizeof kRare / sizeof kRare[0])];
    d.set("body", body);
    d.set("tag", std::string(1, static_cast<char>('a' + rng() % 5)));
    d.set("year", static_cast<int64_t>(1990 + rng() % 30));
    // Not drawn from rng (the other fields stay as they were): 41 series,
    // each on every shard, and a few documents without one.
    if (i % 23 != 0) d.set("series", "s" + std::to_string(i * 7919 % 41));
    d.set("location", Json(Json::Object{{"lat", Json(40.0 + (i * 37 % 1000) / 1000.0)},
                                        {"lon", Json(-74.0 + (i * 91 % 997) / 997.0)}}));
    all.push_back(d);
    per_shard[shard_of(id, shards)].push_back(d);
  }
  for (const auto& r : c->single->put_many(all)) REQUIRE(r.is_ok());
  for (uint32_t s = 0; s < shards; ++s)
    for (const auto& r : c->shards[s]->put_many(per_shard[s])) REQUIRE(r.is_ok());
  REQUIRE(c->single->refresh().is_ok());
  for (auto& s : c->shards) REQUIRE(s->refresh().is_ok());
  return c;
}

// The router's answer over in-process shards: phase 1, sums, phase 2, merge.
Json clustered_search(Corpus& c, const query::SearchRequest& req, bool global_stats = true) {
  REQUIRE(check_clustered_request(req).is_ok());
  std::shared_ptr<index::CorpusStats> stats;
  if (global_stats) {
    stats = std::make_shared<index::CorpusStats>();
    for (auto& s : c.shards) {
      auto st = shard_stats(*s->snapshot(), req);
      REQUIRE(st.is_ok());
      // The JSON form is what a remote shard sends.
      auto back = stats_from_json(*parse_json(stats_to_json(*st).dump()));
      REQUIRE(back.is_ok());
      add_stats(stats.get(), *back);
    }
  }
  std::vector<ShardOutcome> out;
  for (uint32_t s = 0; s < c.shards.size(); ++s) {
    auto r = shard_search(*c.shards[s]->snapshot(), shard_request(req, s), stats);
    REQUIRE(r.is_ok());
    out.push_back({*r, ""});
  }
  // distinct: later rounds in-process, each round through its JSON form
  // (what a remote shard receives), counted by kind.
  DistinctRounds more = [&](const std::vector<std::pair<uint32_t, DistinctRound>>& calls) {
    std::vector<Result<Json>> got;
    for (const auto& [s, round] : calls) {
      auto back = distinct_round_from_json(*parse_json(distinct_round_to_json(round).dump()));
      REQUIRE(back.is_ok());
      ++c.rounds[static_cast<int>(back->kind)];
      if (c.blind && back->kind == DistinctRound::Kind::kCheck) {
        got.push_back(Json(Json::Object{{"distinct", Json(Json::Object{{"before", Json::array()}})}}));
        continue;
      }
      got.push_back(shard_search(*c.shards[s]->snapshot(), shard_request(req, s), stats, {}, &*back));
    }
    return got;
  };
  Json merged = req.distinct.empty() ? merge_shard_results(req, out, 0) : merge_distinct_results(req, out, more, {}, 0);
  // Matching strategy last: the router relaxes when the merged page is short.
  if (req.relaxed_query && merged.find("hits")->size() < req.size) {
    query::SearchRequest relaxed = req;
    relaxed.query = *req.relaxed_query;
    relaxed.relaxed_query.reset();
    return clustered_search(c, relaxed, global_stats);
  }
  return merged;
}

Json single_search(Corpus& c, const query::SearchRequest& req) {
  auto r = query::search(*c.single->snapshot(), req);
  REQUIRE(r.is_ok());
  return query::to_json(*r);
}

query::SearchRequest parse(const char* body) {
  auto r = query::parse_search_request(*parse_json(body));
  REQUIRE(r.is_ok());
  return *r;
}

// Same ids in the same order with scores within 1e-6; where scores tie, the
// order among the tied (and which of them make a page's last places) may
// differ, since the tiebreaker is per shard.
void check_same_hits(const Json& a, const Json& b, const std::string& what) {
  INFO(what);
  const auto& ha = a.find("hits")->as_array();
  const auto& hb = b.find("hits")->as_array();
  REQUIRE(ha.size() == hb.size());
  REQUIRE(!ha.empty());
  auto score = [](const Json& h) { return h.find("score")->as_double(); };
  for (size_t i = 0; i < ha.size(); ++i) {
    CHECK(std::fabs(score(ha[i]) - score(hb[i])) < 1e-6);
    if (ha[i].find("id")->as_string() == hb[i].find("id")->as_string()) continue;
    // A different id here: it must tie with the single index's hit.
    bool tie = std::fabs(score(ha[i]) - score(hb[i])) < 1e-9 &&
               ((i + 1 < ha.size() && std::fabs(score(hb[i]) - score(hb[i + 1])) < 1e-9) ||
                (i > 0 && std::fabs(score(hb[i]) - score(hb[i - 1])) < 1e-9) || i + 1 == ha.size());
    INFO(ha[i].find("id")->as_string(), " vs ", hb[i].find("id")->as_string());
    CHECK(tie);
  }
  CHECK(a.find("total")->find("value")->as_int() == b.find("total")->find("value")->as_int());
}

// Whether any hit of the common top differs in score by more than 1e-6
// (the control of the tests that scores do not depend on sharding).
bool scores_differ(const Json& a, const Json& b) {
  const auto& ha = a.find("hits")->as_array();
  const auto& hb = b.find("hits")->as_array();
  for (size_t i = 0; i < std::min(ha.size(), hb.size()); ++i)
    if (std::fabs(ha[i].find("score")->as_double() - hb[i].find("score")->as_double()) > 1e-6) return true;
  return false;
}

}  // namespace

TEST_CASE("shard search: 3 shards with index-wide statistics score exactly like one index") {
  auto c = make_corpus(3, 600);
  const char* queries[] = {
      R"({"q": "river"})",
      R"({"q": "castle garden", "size": 20})",
      R"({"query": {"match": {"body": {"query": "quiet lake mill", "operator": "or"}}}, "size": 15})",
      R"({"q": "stone", "q_fields": ["title^3", "body"], "size": 10, "from": 5})",
      R"({"query": {"match_phrase": {"body": "river stone"}}, "size": 10})",
      R"({"q": "tower", "filter": "tag:b", "size": 10})",
      R"({"q": "valley north", "size": 30})",
  };
  for (const char* q : queries) {
    auto req = parse(q);
    check_same_hits(clustered_search(*c, req), single_search(*c, req), q);
  }
}

TEST_CASE("shard search: fuzzy and prefix words score with the index-wide expansion, exactly like one index") {
  // Rare words spread over the shards: a shard alone finds only some of a
  // word's alternatives (and their document frequencies).
  auto c = make_corpus(3, 600, true);
  const char* queries[] = {
      R"({"q": "rivre", "size": 20})",                // a typo: river, rover, rivers
      R"({"q": "gardne", "size": 20})",               // garden, gardens (2 edits within AUTO)
      R"({"q": "green riv", "size": 20})",            // the last word completes: river, rivers, riverside
      R"({"q": "mark", "size": 30})",                 // completions only: market, marker, marketing
      R"({"q": "quiet tow", "size": 15})",
      R"({"q": "castel harbr", "size": 20, "q_fields": ["title^2", "body"]})",
      R"({"query": {"fuzzy": {"body": {"value": "stone", "fuzziness": 2}}}, "size": 20})",
      R"({"query": {"fuzzy": {"body": "miler"}}, "size": 20})",
      R"({"query": {"match": {"body": {"query": "valey lakes", "fuzziness": "AUTO", "operator": "or"}}}, "size": 20})",
      R"({"query": {"match": {"body": {"query": "north tow", "prefix_last": true}}}, "size": 20})",
      R"({"query": {"match": {"body": {"query": "harb", "prefix_last": true, "max_expansions": 1}}}, "size": 20})",
  };
  for (const char* q : queries) {
    auto req = parse(q);
    check_same_hits(clustered_search(*c, req), single_search(*c, req), q);
  }
}

TEST_CASE("shard search: without index-wide statistics the scores differ (the test can fail)") {
  auto c = make_corpus(3, 600);
  auto req = parse(R"({"q": "quiet lake", "size": 10})");
  Json a = clustered_search(*c, req, false), b = single_search(*c, req);
  CHECK(scores_differ(a, b));
}

TEST_CASE("shard search: sorts, paging, totals and facets merge like one index") {
  auto c = make_corpus(3, 400);
  auto req = parse(R"({"q": "river", "sort": [{"year": "desc"}, {"id": "asc"}], "from": 3, "size": 12,
      "facets": {"tags": {"terms": {"field": "tag"}}, "years": {"histogram": {"field": "year", "interval": 5}},
                 "ys": {"stats": {"field": "year"}},
                 "r": {"range": {"field": "year", "ranges": [{"to": 2000}, {"from": 2000}]}}}})");
  Json a = clustered_search(*c, req), b = single_search(*c, req);
  const auto& ha = a.find("hits")->as_array();
  const auto& hb = b.find("hits")->as_array();
  REQUIRE(ha.size() == hb.size());
  for (size_t i = 0; i < ha.size(); ++i) CHECK(ha[i].find("id")->as_string() == hb[i].find("id")->as_string());
  CHECK(a.find("total")->dump() == b.find("total")->dump());
  CHECK(a.find("facets")->dump() == b.find("facets")->dump());
  CHECK(a.find("shards")->dump() == R"({"total":3,"successful":3,"failed":0})");
}

TEST_CASE("shard search: a failed shard is reported, the others still answer") {
  auto c = make_corpus(3, 100);
  auto req = parse(R"({"q": "river", "size": 100})");
  std::vector<ShardOutcome> out;
  for (size_t s = 0; s < c->shards.size(); ++s) {
    if (s == 1) {
      out.push_back({std::nullopt, "no reachable in-sync replica"});
      continue;
    }
    auto r = shard_search(*c->shards[s]->snapshot(), shard_request(req), nullptr);
    REQUIRE(r.is_ok());
    out.push_back({*r, ""});
  }
  Json m = merge_shard_results(req, out, 0);
  CHECK(m.find("shards")->find("failed")->as_int() == 1);
  CHECK(m.find("shards")->find("successful")->as_int() == 2);
  CHECK(m.find("failures")->as_array()[0].find("shard")->as_int() == 1);
  for (const auto& h : m.find("hits")->as_array()) CHECK(shard_of(h.find("id")->as_string(), 3) != 1);
  CHECK(m.find("hits")->size() > 0);
}

TEST_CASE("shard search: a search_after that is not a clustered hit's sort is refused; stats JSON errors name the member") {
  CHECK(check_clustered_request(parse(R"({"q": "x", "sort": [{"year": "asc"}], "search_after": [1, 2]})")).is_ok());
  auto st = check_clustered_request(parse(R"({"q": "x", "sort": [{"year": "asc"}], "search_after": [1]})"));
  CHECK(st.message().find("search_after") == 0);
  st = check_clustered_request(parse(R"({"q": "x", "search_after": [1.5, -3]})"));
  CHECK(st.message().find("search_after") == 0);
  CHECK(stats_from_json(*parse_json(R"({"total_docs": -1})")).status().message().find("total_docs") != std::string::npos);
  CHECK(stats_from_json(*parse_json(R"({"total_docs": 1, "df": {"zz": 1}})")).status().message().find("df") !=
        std::string::npos);
  auto bad = stats_from_json(*parse_json(R"({"total_docs": 1, "expansions": {"61": {"fuzzy": {"62": "x"}}}})"));
  CHECK(bad.status().message().find("stats.expansions.61.fuzzy") == 0);
  bad = stats_from_json(*parse_json(R"({"total_docs": 1, "expansions": {"61": {"fuzzy": {}}}})"));
  CHECK(bad.status().message().find("typed_is_word") != std::string::npos);
}

TEST_CASE("shard search: a word's expansions from several shards merge as one index's walk") {
  index::WordExpansionStats a, b;
  a.fuzzy = {{"river", 1}, {"rover", 2}};
  a.completions = {{"rivers", -1}};
  a.words = {{"river", {{"rivers", -1}, {"river", 1}}}};
  a.typed_is_word = false;
  b.fuzzy = {{"river", 0}, {"raver", 2}};
  b.words = {{"river", {{"rivers", 2}, {"river", 0}}}, {"raver", {{"raver", 2}}}};
  b.typed_is_word = true;
  b.surface_words = false;
  index::CorpusStats x, y, sum;
  x.expansions["k"] = a;
  y.expansions["k"] = b;
  add_stats(&sum, x);
  add_stats(&sum, y);
  const auto& m = sum.expansions.at("k");
  CHECK(m.fuzzy == std::map<std::string, int>{{"raver", 2}, {"river", 0}, {"rover", 2}});  // fewest edits
  CHECK(m.completions == a.completions);
  CHECK(m.words.at("river").at("river") == 0);   // the word itself first
  CHECK(m.words.at("river").at("rivers") == -1);  // a completion before a typo
  CHECK(m.words.at("raver").at("raver") == 2);
  CHECK(m.typed_is_word);       // a word of the field on one shard is one in the index
  CHECK_FALSE(m.surface_words);  // and surface words only if every shard had them
  // Through the JSON a remote shard sends.
  auto back = stats_from_json(*parse_json(stats_to_json(sum).dump()));
  REQUIRE(back.is_ok());
  CHECK(back->expansions == sum.expansions);
}

TEST_CASE("shard search: without the merged expansions a fuzzy word's scores differ (the test can fail)") {
  auto c = make_corpus(3, 600, true);
  auto req = parse(R"({"query": {"fuzzy": {"body": {"value": "stone", "fuzziness": 2}}}, "size": 20})");
  auto stats = std::make_shared<index::CorpusStats>();
  for (auto& s : c->shards) add_stats(stats.get(), *shard_stats(*s->snapshot(), req));
  REQUIRE_FALSE(stats->expansions.empty());
  stats->expansions.clear();  // index-wide df and field statistics, each shard's own alternatives
  std::vector<ShardOutcome> out;
  for (uint32_t s = 0; s < 3; ++s) out.push_back({*shard_search(*c->shards[s]->snapshot(), shard_request(req, s), stats), ""});
  Json a = merge_shard_results(req, out, 0), b = single_search(*c, req);
  CHECK(scores_differ(a, b));
}

namespace {
// Pages through `body` with search_after (the last hit's "sort" each time),
// on the clustered corpus or the single index, until a page is empty.
// With `distinct`, one hit per value of that field (the index setting).
std::vector<Json> pages(Corpus& c, const std::string& body, bool clustered, const std::string& distinct = "") {
  std::vector<Json> out;
  Json cursor;
  for (int p = 0; p < 200; ++p) {
    Json b = *parse_json(body);
    if (!cursor.is_null()) b.set("search_after", cursor);
    auto req = query::parse_search_request(b);
    REQUIRE_MESSAGE(req.is_ok(), req.status().to_string());
    req->distinct = distinct;
    Json page = clustered ? clustered_search(c, *req) : single_search(c, *req);
    const auto& hits = page.find("hits")->as_array();
    if (hits.empty()) break;
    out.push_back(page);
    cursor = *hits.back().find("sort");
  }
  return out;
}
std::vector<std::string> ids_of(const Json& page) {
  std::vector<std::string> out;
  for (const auto& h : page.find("hits")->as_array()) out.push_back(h.find("id")->as_string());
  return out;
}
}  // namespace

TEST_CASE("shard search: search_after pages over 3 shards are exactly one index's pages (ties broken by id)") {
  auto c = make_corpus(3, 400);
  const std::string body = R"({"q": "river", "sort": [{"year": "desc"}, {"id": "asc"}], "size": 7})";
  auto a = pages(*c, body, true), b = pages(*c, body, false);
  REQUIRE(a.size() == b.size());
  REQUIRE(a.size() > 5);
  for (size_t p = 0; p < a.size(); ++p) {
    INFO("page ", p);
    CHECK(ids_of(a[p]) == ids_of(b[p]));
    CHECK(a[p].find("total")->dump() == b[p].find("total")->dump());
  }
}

TEST_CASE("shard search: search_after with tied sort values visits every hit once, values in one index's order") {
  auto c = make_corpus(3, 400);
  // 400 documents over 30 years: every page boundary falls inside a tie.
  for (const char* body : {R"({"sort": [{"year": "asc"}], "size": 9})", R"({"q": "river stone", "size": 10})"}) {
    INFO(body);
    auto a = pages(*c, body, true), b = pages(*c, body, false);
    std::vector<std::string> ia, ib;
    std::vector<double> va, vb;
    for (auto* side : {&a, &b})
      for (const auto& page : *side)
        for (const auto& h : page.find("hits")->as_array()) {
          (side == &a ? ia : ib).push_back(h.find("id")->as_string());
          (side == &a ? va : vb).push_back(h.find("sort")->as_array()[0].as_double());
        }
    REQUIRE(ia.size() == ib.size());
    REQUIRE(ia.size() > 20);
    CHECK(std::set<std::string>(ia.begin(), ia.end()).size() == ia.size());  // no hit twice
    CHECK(std::set<std::string>(ia.begin(), ia.end()) == std::set<std::string>(ib.begin(), ib.end()));
    for (size_t i = 0; i < va.size(); ++i) CHECK(std::fabs(va[i] - vb[i]) < 1e-6);  // same value at each place
  }
}

namespace {
query::SearchRequest parse_distinct(const std::string& body, const char* field = "series") {
  auto r = query::parse_search_request(*parse_json(body));
  REQUIRE(r.is_ok());
  r->distinct = field;
  return *r;
}

// One corpus for the distinct tests, built once (the sanitized build is slow to index).
Corpus& distinct_corpus() {
  static std::unique_ptr<Corpus> c = make_corpus(3, 400);
  c->rounds[0] = c->rounds[1] = 0;
  c->blind = false;
  return *c;
}

std::string series_of(const Json& hit) {
  const Json* src = hit.find("source");
  const Json* v = src ? src->find("series") : nullptr;
  return v && v->is_string() ? v->as_string() : "(none)";
}

// One hit per series on both sides, the same sort values at each place and,
// within each run of equal values but the last (a page may cut a tie), the
// same series; the same total and facets.
void check_same_groups(const Json& a, const Json& b, const std::string& what) {
  INFO(what);
  const auto& ha = a.find("hits")->as_array();
  const auto& hb = b.find("hits")->as_array();
  REQUIRE(ha.size() == hb.size());
  REQUIRE(!ha.empty());
  CHECK(a.find("total")->dump() == b.find("total")->dump());
  CHECK(a.find("facets")->dump() == b.find("facets")->dump());
  auto values = [](const Json& h) {
    std::vector<double> v;
    const auto& s = h.find("sort")->as_array();
    for (size_t i = 0; i + 1 < s.size(); ++i) v.push_back(s[i].is_number() ? s[i].as_double() : -1);
    return v;
  };
  auto same = [&](const std::vector<double>& x, const std::vector<double>& y) {
    for (size_t i = 0; i < x.size(); ++i)
      if (std::fabs(x[i] - y[i]) > 1e-6) return false;
    return x.size() == y.size();
  };
  std::set<std::string> seen;
  for (const auto& h : ha) {
    if (series_of(h) != "(none)") CHECK(seen.insert(series_of(h)).second);  // one hit per value
  }
  size_t run = 0;
  for (size_t i = 0; i <= ha.size(); ++i) {
    if (i < ha.size()) REQUIRE(same(values(ha[i]), values(hb[i])));
    if (i < ha.size() && same(values(ha[i]), values(ha[run]))) continue;
    if (i < ha.size()) {  // a run ended before the page did
      std::multiset<std::string> x, y;
      for (size_t j = run; j < i; ++j) x.insert(series_of(ha[j])), y.insert(series_of(hb[j]));
      CHECK(x == y);
    }
    run = i;
  }
}
}  // namespace

TEST_CASE("distinct: 3 shards answer one index's hits, totals and facets (one hit per value)") {
  Corpus* c = &distinct_corpus();
  const char* by_id[] = {
      R"({"sort": [{"year": "desc"}, {"id": "asc"}], "size": 12})",
      R"({"q": "river", "sort": [{"_score": "desc"}, {"id": "asc"}], "size": 15, "facets": {"t": {"terms": {"field": "tag"}}}})",
      R"({"query": {"match": {"body": "stone bridge"}}, "sort": [{"_score": "desc"}, {"id": "asc"}], "from": 5, "size": 10})",
      R"({"near": {"lat": 40.5, "lon": -73.5}, "sort": ["_geo_distance", {"id": "asc"}], "size": 20})",
      R"({"sort": [{"series": "asc"}, {"year": "asc"}, {"id": "asc"}], "size": 45})",  // every series, and the ungrouped
  };
  for (const char* q : by_id) {
    INFO(q);
    auto req = parse_distinct(q);
    Json a = clustered_search(*c, req), b = single_search(*c, req);
    CHECK(ids_of(a) == ids_of(b));
    CHECK(a.find("total")->dump() == b.find("total")->dump());
    CHECK(a.find("facets")->dump() == b.find("facets")->dump());
    CHECK(a.find("shards")->dump() == R"({"total":3,"successful":3,"failed":0})");
  }
  // Ranked q searches and scores: the same values at each place, the same series in each tie.
  for (const char* q : {R"({"q": "river", "size": 20})", R"({"q": "castle garden", "size": 10, "facets": {"y": {"stats": {"field": "year"}}}})",
                        R"({"query": {"match": {"body": {"query": "quiet lake mill", "operator": "or"}}}, "size": 15})"})
    check_same_groups(clustered_search(*c, parse_distinct(q)), single_search(*c, parse_distinct(q)), q);
  // Totals count each value once (a series is on every shard), plus the
  // documents without one; capped by track_total_hits as on one node.
  for (const char* q : {R"({"size": 3})", R"({"q": "river", "size": 3, "track_total_hits": 10})",
                        R"({"size": 3, "track_total_hits": true})", R"({"size": 0, "track_total_hits": 0})"}) {
    INFO(q);
    auto req = parse_distinct(q);
    CHECK(clustered_search(*c, req).find("total")->dump() == single_search(*c, req).find("total")->dump());
  }
  CHECK(single_search(*c, parse_distinct(R"({"size": 0})")).find("total")->dump() ==
        R"({"value":59,"relation":"eq"})");  // 41 series + 18 documents without one
}

TEST_CASE("distinct: search_after pages over 3 shards are exactly one index's pages") {
  Corpus* c = &distinct_corpus();
  for (const char* body : {R"({"sort": [{"year": "desc"}, {"id": "asc"}], "size": 6})",
                           R"({"near": {"lat": 40.5, "lon": -73.5}, "sort": [{"_geo_distance": "asc"}], "size": 7})"}) {
    INFO(body);
    c->rounds[0] = c->rounds[1] = 0;
    auto a = pages(*c, body, true, "series"), b = pages(*c, body, false, "series");
    REQUIRE(a.size() == b.size());
    REQUIRE(a.size() > 4);
    std::set<std::string> values;
    for (size_t p = 0; p < a.size(); ++p) {
      INFO("page ", p);
      CHECK(ids_of(a[p]) == ids_of(b[p]));
      CHECK(a[p].find("total")->dump() == b[p].find("total")->dump());
      for (const auto& h : a[p].find("hits")->as_array())
        if (series_of(h) != "(none)") CHECK(values.insert(series_of(h)).second);  // no value on two pages
    }
    // Both kinds of rounds ran: values an earlier page showed came back from
    // other shards and were checked, and shards were asked for more.
    CHECK(c->rounds[1] > 0);
    CHECK(c->rounds[0] > 0);
  }
}

TEST_CASE("distinct: search_after by tied scores visits every value once, scores in one index's order") {
  Corpus* c = &distinct_corpus();
  // Scores tie (the tiebreaker is per shard): the same score at each place
  // and the same values, each once.
  const char* body = R"({"query": {"match": {"body": "tower"}}, "size": 8})";
  auto a = pages(*c, body, true, "series"), b = pages(*c, body, false, "series");
  std::vector<double> sa, sb;
  std::multiset<std::string> va, vb;
  for (auto* side : {&a, &b})
    for (const auto& page : *side)
      for (const auto& h : page.find("hits")->as_array()) {
        (side == &a ? sa : sb).push_back(h.find("score")->as_double());
        (side == &a ? va : vb).insert(series_of(h));
      }
  REQUIRE(sa.size() == sb.size());
  REQUIRE(sa.size() > 30);
  for (size_t i = 0; i < sa.size(); ++i) CHECK(std::fabs(sa[i] - sb[i]) < 1e-6);
  CHECK(va == vb);
  CHECK(std::set<std::string>(va.begin(), va.end()).size() + va.count("(none)") == va.size() + (va.count("(none)") ? 1 : 0));
}

TEST_CASE("distinct: without the check round a value comes back on a later page (the test can fail)") {
  Corpus* c = &distinct_corpus();
  c->blind = true;
  std::multiset<std::string> values;
  for (const auto& page : pages(*c, R"({"sort": [{"year": "desc"}, {"id": "asc"}], "size": 6})", true, "series"))
    for (const auto& h : page.find("hits")->as_array())
      if (series_of(h) != "(none)") values.insert(series_of(h));
  c->blind = false;
  CHECK(std::set<std::string>(values.begin(), values.end()).size() < values.size());
}

TEST_CASE("distinct: a shard that fails a later round is reported and left out") {
  Corpus* c = &distinct_corpus();
  auto req = parse_distinct(R"({"sort": [{"year": "desc"}, {"id": "asc"}], "size": 5})");
  Json first = clustered_search(*c, req);
  req.search_after = *first.find("hits")->as_array().back().find("sort");
  std::vector<ShardOutcome> out;
  for (uint32_t s = 0; s < 3; ++s) out.push_back({*shard_search(*c->shards[s]->snapshot(), shard_request(req, s), nullptr), ""});
  DistinctRounds flaky = [&](const std::vector<std::pair<uint32_t, DistinctRound>>& calls) {
    std::vector<Result<Json>> got;
    for (const auto& [s, round] : calls)
      got.push_back(s == 2 ? Result<Json>(Status::io_error("node 'n3': connection refused"))
                           : shard_search(*c->shards[s]->snapshot(), shard_request(req, s), nullptr, {}, &round));
    return got;
  };
  Json m = merge_distinct_results(req, out, flaky, {}, 0);
  CHECK(m.find("shards")->dump() == R"({"total":3,"successful":2,"failed":1})");
  CHECK(m.find("failures")->as_array()[0].find("reason")->as_string() == "node 'n3': connection refused");
  REQUIRE(m.find("hits")->size() > 0);
  for (const auto& h : m.find("hits")->as_array()) CHECK(shard_of(h.find("id")->as_string(), 3) != 2);
  CHECK(m.find("hits")->as_array()[0].find("group") == nullptr);  // the router's key is not shown
}

TEST_CASE("distinct: a round's JSON form reads back; a malformed one names the member") {
  DistinctRound more;
  more.after = Json(Json::Array{Json(1.5), Json(int64_t{7})});
  more.size = 20;
  auto back = distinct_round_from_json(*parse_json(distinct_round_to_json(more).dump()));
  REQUIRE(back.is_ok());
  CHECK(back->kind == DistinctRound::Kind::kMore);
  CHECK(back->after == more.after);
  CHECK(back->size == 20);
  DistinctRound check;
  check.kind = DistinctRound::Kind::kCheck;
  check.keys = {"\"s1\"", "42"};
  back = distinct_round_from_json(*parse_json(distinct_round_to_json(check).dump()));
  REQUIRE(back.is_ok());
  CHECK(back->kind == DistinctRound::Kind::kCheck);
  CHECK(back->keys == check.keys);
  CHECK(distinct_round_from_json(*parse_json(R"({"check": [1]})")).status().message().find("distinct.check") == 0);
  CHECK(distinct_round_from_json(*parse_json(R"({"more": {"size": 3}})")).status().message().find("distinct.more") == 0);
  CHECK(distinct_round_from_json(*parse_json(R"([])")).status().message().find("distinct") == 0);
}
