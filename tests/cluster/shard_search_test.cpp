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
      R"({"fields":{"title":"text","body":"text","tag":"keyword","year":"int"}})"));
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
  Json merged = merge_shard_results(req, out, 0);
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
std::vector<Json> pages(Corpus& c, const std::string& body, bool clustered) {
  std::vector<Json> out;
  Json cursor;
  for (int p = 0; p < 200; ++p) {
    Json b = *parse_json(body);
    if (!cursor.is_null()) b.set("search_after", cursor);
    auto req = query::parse_search_request(b);
    REQUIRE_MESSAGE(req.is_ok(), req.status().to_string());
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
