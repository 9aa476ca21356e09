#include "meridian/query/searcher.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "../test_util.h"
#include "meridian/index/index.h"

using namespace meridian;
using namespace meridian::query;

namespace {

const char* kWords[] = {"apple", "banana", "cherry", "delta", "echo", "forest", "garden", "harbor", "island", "jungle"};
const char* kTags[] = {"red", "green", "blue"};

struct Corpus {
  TempDir dir;
  std::unique_ptr<index::Index> idx;
  std::vector<Json> docs;
  std::shared_ptr<const index::Snapshot> snap;
};

// An index in `dir` with the schema given as JSON, refreshed by hand.
std::unique_ptr<index::Index> open_manual(const std::string& dir, const char* schema_json) {
  auto schema = index::Schema::from_json(*parse_json(schema_json));
  REQUIRE(schema.is_ok());
  index::IndexOptions io;
  io.background = false;
  auto idx = index::Index::open(dir, "t", io, &*schema);
  REQUIRE(idx.is_ok());
  return std::move(*idx);
}

std::unique_ptr<Corpus> make_corpus(int n, uint32_t seed) {
  auto c = std::make_unique<Corpus>();
  c->idx = open_manual(c->dir.path(),
                       R"({"fields":{"body":{"type":"text","language":"none","stem":false},"tag":"keyword","n":"int"}})");
  std::mt19937 rng(seed);
  for (int i = 0; i < n; ++i) {
    std::string body;
    int len = 1 + rng() % 8;
    for (int w = 0; w < len; ++w) body += std::string(w ? " " : "") + kWords[rng() % 10 < 7 ? rng() % 4 : rng() % 10];
    Json d = Json::object();
    d.set("id", "d" + std::to_string(i));
    d.set("body", body);
    d.set("tag", kTags[rng() % 3]);
    d.set("n", static_cast<int64_t>(rng() % 100));
    REQUIRE(c->idx->put(d).is_ok());
    c->docs.push_back(d);
    if (i % 97 == 96) REQUIRE(c->idx->refresh().is_ok());  // several segments
  }
  REQUIRE(c->idx->refresh().is_ok());
  c->snap = c->idx->snapshot();
  return c;
}

std::vector<std::string> words_of(const Json& d) {
  std::vector<std::string> out;
  std::string s = d.find("body")->as_string(), cur;
  for (char ch : s + " ") {
    if (ch == ' ') { if (!cur.empty()) out.push_back(cur); cur.clear(); } else cur += ch;
  }
  return out;
}

std::set<std::string> ids(const SearchResponse& r) {
  std::set<std::string> s;
  for (const auto& h : r.hits) s.insert(h.id);
  return s;
}

}  // namespace

TEST_CASE("searcher: random boolean/term/range/phrase queries agree with a brute-force oracle") {
  auto c = make_corpus(400, 1);
  std::mt19937 rng(2);
  for (int round = 0; round < 200; ++round) {
    std::string w1 = kWords[rng() % 10], w2 = kWords[rng() % 10], tag = kTags[rng() % 3];
    int lo = rng() % 100;
    int kind = round % 4;
    Query q;
    std::function<bool(const Json&)> oracle;
    auto has = [](const Json& d, const std::string& w) {
      auto ws = words_of(d);
      return std::find(ws.begin(), ws.end(), w) != ws.end();
    };
    if (kind == 0) {
      Bool b;
      b.must.push_back(Match{"body", w1});
      b.must_not.push_back(Term{"tag", Json(tag)});
      q = b;
      oracle = [&](const Json& d) { return has(d, w1) && d.find("tag")->as_string() != tag; };
    } else if (kind == 1) {
      Bool b;
      b.should.push_back(Match{"body", w1});
      b.should.push_back(Match{"body", w2});
      Range r; r.field = "n"; r.gte = Json(lo);
      b.filter.push_back(r);
      // With a filter, should clauses are optional unless minimum_should_match says otherwise (ES).
      b.minimum_should_match = MinimumShouldMatch{MinimumShouldMatch::Kind::kCount, 1};
      q = b;
      oracle = [&](const Json& d) { return (has(d, w1) || has(d, w2)) && d.find("n")->as_int() >= lo; };
    } else if (kind == 2) {
      MatchPhrase p; p.field = "body"; p.text = w1 + " " + w2;
      q = p;
      oracle = [&](const Json& d) {
        auto ws = words_of(d);
        for (size_t i = 0; i + 1 < ws.size(); ++i) if (ws[i] == w1 && ws[i + 1] == w2) return true;
        return false;
      };
    } else {
      Match m; m.field = "body"; m.text = w1 + " " + w2; m.op = Operator::kAnd;
      q = m;
      oracle = [&](const Json& d) { return has(d, w1) && has(d, w2); };
    }
    SearchRequest req;
    req.query = q;
    req.size = 1000;
    auto r = search(*c->snap, req, {});
    REQUIRE(r.is_ok());
    std::set<std::string> want;
    for (const auto& d : c->docs) if (oracle(d)) want.insert(d.find("id")->as_string());
    CHECK(ids(*r) == want);
    CHECK(r->total == want.size());
  }
}

TEST_CASE("searcher: MaxScore top-k equals exhaustive scoring (ids and scores)") {
  auto c = make_corpus(600, 3);
  std::mt19937 rng(4);
  for (int round = 0; round < 60; ++round) {
    SearchRequest req;
    req.query = Match{"body", std::string(kWords[rng() % 10]) + " " + kWords[rng() % 10] + " " + kWords[rng() % 10]};
    req.size = 1 + rng() % 15;
    SearchOptions fast, slow;
    slow.exhaustive = true;
    auto a = search(*c->snap, req, fast);
    auto b = search(*c->snap, req, slow);
    REQUIRE(a.is_ok());
    REQUIRE(b.is_ok());
    REQUIRE(a->hits.size() == b->hits.size());
    for (size_t i = 0; i < a->hits.size(); ++i) {
      CHECK(a->hits[i].id == b->hits[i].id);
      CHECK(a->hits[i].score == b->hits[i].score);
    }
  }
}

TEST_CASE("searcher: sort by field matches std::sort, paging and search_after are consistent") {
  auto c = make_corpus(300, 5);
  SearchRequest req;
  SortSpec s; s.kind = SortSpec::Kind::kField; s.field = "n"; s.desc = false;
  req.sort = {s};
  req.size = 1000;
  auto all = search(*c->snap, req, {});
  REQUIRE(all.is_ok());
  std::vector<int64_t> ns;
  for (const auto& d : c->docs) ns.push_back(d.find("n")->as_int());
  std::sort(ns.begin(), ns.end());
  REQUIRE(all->hits.size() == ns.size());
  for (size_t i = 0; i < ns.size(); ++i) CHECK(all->hits[i].sort.as_array()[0].as_int() == ns[i]);
  // search_after pages reproduce the full order.
  SearchRequest p = req;
  p.size = 37;
  std::vector<std::string> paged;
  while (true) {
    auto r = search(*c->snap, p, {});
    REQUIRE(r.is_ok());
    if (r->hits.empty()) break;
    for (auto& h : r->hits) paged.push_back(h.id);
    p.search_after = r->hits.back().sort;
  }
  REQUIRE(paged.size() == all->hits.size());
  for (size_t i = 0; i < paged.size(); ++i) CHECK(paged[i] == all->hits[i].id);
  SearchRequest big = req;
  big.from = 9990; big.size = 20;
  auto e = search(*c->snap, big, {});
  CHECK(!e.is_ok());
  CHECK(e.status().message().find("10000") != std::string::npos);
  SortSpec bad; bad.kind = SortSpec::Kind::kField; bad.field = "nope";
  req.sort = {bad};
  CHECK(!search(*c->snap, req, {}).is_ok());
}

TEST_CASE("searcher: terms and stats facets equal oracle counts") {
  auto c = make_corpus(300, 6);
  SearchRequest req;
  req.query = Match{"body", "apple"};
  FacetSpec t; t.kind = FacetSpec::Kind::kTerms; t.field = "tag";
  FacetSpec st; st.kind = FacetSpec::Kind::kStats; st.field = "n";
  req.facets["tags"] = t;
  req.facets["n"] = st;
  auto r = search(*c->snap, req, {});
  REQUIRE(r.is_ok());
  std::map<std::string, uint64_t> want;
  int64_t sum = 0, cnt = 0;
  for (const auto& d : c->docs) {
    auto ws = words_of(d);
    if (std::find(ws.begin(), ws.end(), "apple") == ws.end()) continue;
    want[d.find("tag")->as_string()]++;
    sum += d.find("n")->as_int();
    cnt++;
  }
  const Json& buckets = *r->facets.find("tags")->find("buckets");
  REQUIRE(buckets.size() == want.size());
  for (const auto& b : buckets.as_array()) CHECK(b.find("count")->as_int() == (int64_t)want[b.find("key")->as_string()]);
  CHECK(r->facets.find("n")->find("count")->as_int() == cnt);
  CHECK(r->facets.find("n")->find("sum")->as_double() == doctest::Approx(sum));
}

TEST_CASE("searcher: fuzzy match ranks exact above one edit above two, transpositions at word ends") {
  TempDir dir;
  auto schema = index::Schema::from_json(*parse_json(R"({"fields":{"body":{"type":"text","language":"none","stem":false}}})"));
  index::IndexOptions io; io.background = false;
  auto idx = index::Index::open(dir.path(), "t", io, &*schema);
  REQUIRE(idx.is_ok());
  const char* texts[] = {"restaurant", "resturant", "rsetaurant", "restaurnta", "xrestaurant", "unrelated"};
  for (int i = 0; i < 6; ++i) {
    Json d = Json::object(); d.set("id", std::to_string(i)); d.set("body", texts[i]);
    REQUIRE((*idx)->put(d).is_ok());
  }
  REQUIRE((*idx)->refresh().is_ok());
  SearchRequest req;
  Match m; m.field = "body"; m.text = "restaurant"; m.fuzziness = Fuzziness::automatic();
  req.query = m;
  req.highlight = HighlightSpec{};
  auto r = search(*(*idx)->snapshot(), req, {});
  REQUIRE(r.is_ok());
  REQUIRE(r->hits.size() == 5);
  CHECK(r->hits[0].id == "0");
  for (size_t i = 1; i < 5; ++i) CHECK(r->hits[i].score < r->hits[0].score);
  CHECK(r->hits[0].highlight.find("body")->as_array()[0].as_string() == "<em>restaurant</em>");
  auto yes = matches(*(*idx)->snapshot(), req, R"({"id":"z","body":"a restaurnat here"})");
  REQUIRE(yes.is_ok());
  CHECK(*yes);
  auto no = matches(*(*idx)->snapshot(), req, R"({"id":"z","body":"nothing"})");
  REQUIRE(no.is_ok());
  CHECK(!*no);
}

TEST_CASE("searcher: match_all under filters or beside required clauses is the identity of the intersection") {
  auto c = make_corpus(500, 11);
  for (int i = 0; i < 500; i += 7) REQUIRE(c->idx->remove("d" + std::to_string(i)).is_ok());
  REQUIRE(c->idx->refresh().is_ok());
  c->snap = c->idx->snapshot();
  auto live = [&](const Json& d) {
    int n = std::stoi(d.find("id")->as_string().substr(1));
    return n % 7 != 0;
  };
  auto has = [](const Json& d, const std::string& w) {
    auto ws = words_of(d);
    return std::find(ws.begin(), ws.end(), w) != ws.end();
  };
  std::mt19937 rng(12);
  for (int round = 0; round < 40; ++round) {
    std::string w = kWords[rng() % 10], tag = kTags[rng() % 3];
    int lo = static_cast<int>(rng() % 100);
    Range r; r.field = "n"; r.gte = Json(lo);
    // match_all query plus two filters: the filters decide, every score is the boost.
    SearchRequest a;
    a.query = MatchAll{2.5};
    a.filters = {r, Term{"tag", Json(tag)}};
    a.size = 1000;
    auto ra = search(*c->snap, a, {});
    REQUIRE(ra.is_ok());
    std::set<std::string> want;
    for (const auto& d : c->docs)
      if (live(d) && d.find("n")->as_int() >= lo && d.find("tag")->as_string() == tag) want.insert(d.find("id")->as_string());
    CHECK(ids(*ra) == want);
    CHECK(ra->total == want.size());
    for (const auto& h : ra->hits) CHECK(h.score == doctest::Approx(2.5));

    // bool { must: [match_all, match w], filter: [range] } == bool { must: [match w], filter } + 1 per hit.
    Bool with, without;
    with.must.push_back(MatchAll{});
    with.must.push_back(Match{"body", w});
    with.filter.push_back(r);
    without.must.push_back(Match{"body", w});
    without.filter.push_back(r);
    SearchRequest b, b0;
    b.query = with;
    b0.query = without;
    b.size = b0.size = 1000;
    b.explain = round == 0;
    auto rb = search(*c->snap, b, {});
    auto rb0 = search(*c->snap, b0, {});
    REQUIRE(rb.is_ok());
    REQUIRE(rb0.is_ok());
    want.clear();
    for (const auto& d : c->docs)
      if (live(d) && has(d, w) && d.find("n")->as_int() >= lo) want.insert(d.find("id")->as_string());
    CHECK(ids(*rb) == want);
    CHECK(rb->total == want.size());
    std::map<std::string, double> base;
    for (const auto& h : rb0->hits) base[h.id] = h.score;
    for (const auto& h : rb->hits) CHECK(h.score == doctest::Approx(base[h.id] + 1.0));
    if (b.explain && !rb->hits.empty()) {  // both required clauses are explained
      const Json* details = rb->hits[0].explanation.find("details");
      REQUIRE(details != nullptr);
      CHECK(details->size() == 2);
    }
  }
  // A filter that matches nothing: no hits, whatever the query.
  SearchRequest none;
  none.query = MatchAll{};
  none.filters = {Term{"tag", Json("purple")}};
  auto rn = search(*c->snap, none, {});
  REQUIRE(rn.is_ok());
  CHECK(rn->total == 0);
  CHECK(rn->hits.empty());
}

TEST_CASE("searcher: a sort on a column that increases with the doc number stops early and equals the oracle") {
  // "seq" grows with insertion order, so in most segments sorting by it is
  // document order (the early path); replaced documents keep their old seq
  // in a newer segment, whose column then does not increase (the full path).
  TempDir dir;
  auto idx = open_manual(dir.path(),
                         R"({"fields":{"body":{"type":"text","language":"none","stem":false},"seq":"int","n":"int"}})");
  std::mt19937 rng(41);
  std::map<std::string, Json> live;
  auto put = [&](int id, int64_t seq) {
    Json d = Json::object();
    d.set("id", "d" + std::to_string(id));
    d.set("body", std::string(kWords[rng() % 4]) + " " + kWords[rng() % 10]);
    d.set("seq", seq);
    d.set("n", static_cast<int64_t>(rng() % 5));
    REQUIRE(idx->put(d).is_ok());
    live["d" + std::to_string(id)] = d;
  };
  for (int i = 0; i < 600; ++i) {
    put(i, 1000 + i);
    if (i % 150 == 149) REQUIRE(idx->refresh().is_ok());
  }
  for (int i = 0; i < 40; ++i) put(static_cast<int>(rng() % 600), 1000 + static_cast<int64_t>(rng() % 600));  // replaced
  for (int i = 0; i < 30; ++i) {
    const std::string id = "d" + std::to_string(rng() % 600);
    REQUIRE(idx->remove(id).is_ok());
    live.erase(id);
  }
  REQUIRE(idx->refresh().is_ok());
  auto snap = idx->snapshot();
  int increasing = 0, not_increasing = 0;
  for (const auto& v : snap->segments())
    (v.segment->columns().int_column("seq")->strictly_increasing() ? increasing : not_increasing)++;
  CHECK(increasing >= 3);
  CHECK(not_increasing >= 1);
  for (const char* word : {"apple", "banana", "jungle"}) {
    for (bool desc : {false, true}) {
      for (size_t from : {0, 5}) {
        CAPTURE(word);
        CAPTURE(desc);
        CAPTURE(from);
        std::vector<std::pair<int64_t, std::string>> want;
        for (const auto& [id, d] : live) {
          auto ws = words_of(d);
          if (std::find(ws.begin(), ws.end(), word) != ws.end()) want.emplace_back(d.find("seq")->as_int(), id);
        }
        // Ties (a replaced copy sharing a seq) go by the tiebreaker, not checked here.
        std::sort(want.begin(), want.end());
        if (desc) std::reverse(want.begin(), want.end());
        SearchRequest req;
        req.query = Match{"body", word};
        SortSpec s; s.kind = SortSpec::Kind::kField; s.field = "seq"; s.desc = desc;
        req.sort = {s};
        req.from = from;
        req.size = 7;
        auto r = search(*snap, req, {});
        REQUIRE(r.is_ok());
        CHECK(r->total == want.size());
        REQUIRE(r->hits.size() == std::min<size_t>(7, want.size() - std::min(from, want.size())));
        for (size_t i = 0; i < r->hits.size(); ++i)
          CHECK(r->hits[i].sort.as_array()[0].as_int() == want[from + i].first);
        // "n" has 5 values, so pages cut through ties: a page must be the
        // same slice of the full order (value, then the tiebreaker) as a
        // request big enough to keep every match.
        SortSpec by_n = s;
        by_n.field = "n";
        SearchRequest page = req, full = req;
        page.sort = full.sort = {by_n};
        full.from = 0;
        full.size = 1000;
        auto pr = search(*snap, page, {});
        auto fr = search(*snap, full, {});
        REQUIRE(pr.is_ok());
        REQUIRE(fr.is_ok());
        for (size_t i = 0; i < pr->hits.size(); ++i) CHECK(pr->hits[i].id == fr->hits[from + i].id);
      }
    }
  }
}

TEST_CASE("searcher: sorting by the id field orders by the document ids (numeric when declared int)") {
  for (bool declared : {true, false}) {
    CAPTURE(declared);
    TempDir dir;
    auto idx = open_manual(dir.path(),
                           declared ? R"({"fields":{"id":"int","body":"text"}})" : R"({"fields":{"body":"text"}})");
    for (int id : {9, 100, 2, 10, 55}) {
      Json d = Json::object();
      d.set("id", static_cast<int64_t>(id));
      d.set("body", "same words");
      REQUIRE(idx->put(d).is_ok());
      if (id == 2) REQUIRE(idx->refresh().is_ok());  // two segments
    }
    REQUIRE(idx->refresh().is_ok());
    SearchRequest req;
    SortSpec s; s.kind = SortSpec::Kind::kField; s.field = "id"; s.desc = true;
    req.sort = {s};
    auto r = search(*idx->snapshot(), req, {});
    REQUIRE(r.is_ok());
    std::vector<std::string> ids;
    for (const auto& h : r->hits) ids.push_back(h.id);
    if (declared) {
      CHECK(ids == std::vector<std::string>{"100", "55", "10", "9", "2"});
      CHECK(r->hits[0].sort.as_array()[0].as_int() == 100);
    } else {  // undeclared: by the id's string form
      CHECK(ids == std::vector<std::string>{"9", "55", "2", "100", "10"});
    }
  }
}

TEST_CASE("searcher: ties go by write order, and search_after pages stay exact while segments merge") {
  auto c = make_corpus(300, 8);
  // A newer version of d5 is written last: its ties now come last.
  Json d5 = c->docs[5];
  REQUIRE(c->idx->put(d5).is_ok());
  REQUIRE(c->idx->refresh().is_ok());
  std::vector<std::string> write_order;  // ids by their last write
  for (size_t i = 0; i < c->docs.size(); ++i)
    if (i != 5) write_order.push_back("d" + std::to_string(i));
  write_order.push_back("d5");
  auto pos = [&](const std::string& id) { return std::find(write_order.begin(), write_order.end(), id) - write_order.begin(); };

  SortSpec by_n; by_n.kind = SortSpec::Kind::kField; by_n.field = "n";
  SearchRequest all_docs;   // match_all by score: every score ties
  SearchRequest red;        // a constant-score prefix: every score ties
  red.query = Prefix{"tag", "re"};
  SearchRequest sorted;     // 100 values over 300 docs
  sorted.sort = {by_n};
  SearchRequest bm25;       // BM25 ties (block-max top-k); not merged midway,
  bm25.query = Match{"tag", "red"};  // since dropping deletes changes idf
  for (SearchRequest* req : {&all_docs, &red, &sorted, &bm25}) {
    const std::string what = req == &all_docs ? "match_all" : req == &red ? "prefix" : req == &sorted ? "sort" : "bm25";
    CAPTURE(what);
    REQUIRE(c->idx->snapshot()->segments().size() > 1);
    SearchRequest full = *req;
    full.size = 1000;
    auto want = search(*c->idx->snapshot(), full, {});
    REQUIRE(want.is_ok());
    REQUIRE(want->hits.size() > 50);
    // Equal keys in write order; the last "sort" value is that order.
    for (size_t i = 1; i < want->hits.size(); ++i) {
      const auto& a = want->hits[i - 1].sort.as_array();
      const auto& b = want->hits[i].sort.as_array();
      if (a[0] == b[0]) {
        CHECK(pos(want->hits[i - 1].id) < pos(want->hits[i].id));
        CHECK(a.back().as_int() < b.back().as_int());
      }
    }
    // Page through it, merging everything after the first page: the pages
    // are still exactly the full order (the tiebreaker is not a place in
    // the snapshot, which the merge changed).
    SearchRequest p = *req;
    p.size = 23;
    std::vector<std::string> paged;
    for (int page = 0;; ++page) {
      auto r = search(*c->idx->snapshot(), p, {});
      REQUIRE(r.is_ok());
      if (r->hits.empty()) break;
      for (auto& h : r->hits) paged.push_back(h.id);
      p.search_after = r->hits.back().sort;
      if (page == 0 && req != &bm25) REQUIRE(c->idx->force_merge().is_ok());
    }
    if (req != &bm25) CHECK(c->idx->snapshot()->segments().size() == 1);
    REQUIRE(paged.size() == want->hits.size());
    for (size_t i = 0; i < paged.size(); ++i) CHECK(paged[i] == want->hits[i].id);
    // Unmerged again for the next request: new segments.
    for (int i = 0; i < 3; ++i) {
      REQUIRE(c->idx->put(c->docs[300 - 1 - i]).is_ok());
      REQUIRE(c->idx->refresh().is_ok());
      const std::string id = "d" + std::to_string(300 - 1 - i);
      write_order.erase(write_order.begin() + pos(id));
      write_order.push_back(id);
    }
  }
}
