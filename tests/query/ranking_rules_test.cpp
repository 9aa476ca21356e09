// Ranking rules of q searches (words, typo, proximity, attribute,
// exactness, bm25, custom field rules, the sort rule) and the matching
// strategies last and all, each on a small hand-made index whose expected
// order is obvious.
#include <doctest/doctest.h>

#include "small_index.h"

using namespace meridian;
using IdList = std::vector<std::string>;

namespace {

const char* kSchema = R"({"fields":{"title":{"type":"text","language":"none","stem":false},
  "body":{"type":"text","language":"none","stem":false},"n":"int","tag":"keyword"}})";

std::unique_ptr<testing::SmallIndex> make_index(const std::vector<const char*>& docs) {
  return testing::make_small_index(kSchema, docs);
}

}  // namespace

TEST_CASE("ranking rules: words, with matching strategy last dropping words from the end") {
  auto s = make_index({R"({"id":"all3","body":"red fast car"})", R"({"id":"two","body":"red car car car car"})",
                       R"({"id":"one","body":"red bike"})", R"({"id":"none","body":"blue car fast"})"});
  // Every word in only one document, fewer than the page: "car", then
  // "fast" are dropped; the first word stays required.
  CHECK(s->q("red fast car") == IdList{"all3", "two", "one"});
  CHECK(s->q_all("red fast car") == IdList{"all3"});
  // Enough hits with every word: nothing is dropped.
  CHECK(s->ids(R"({"q": "red fast car", "size": 1})") == IdList{"all3"});
  auto r = s->run(R"({"q": "red fast car", "size": 1})");
  REQUIRE(r.is_ok());
  CHECK(r->total == 1);
  // from + size beyond the strict hits relaxes too; total counts the relaxed matches.
  r = s->run(R"({"q": "red fast car", "size": 2})");
  REQUIRE(r.is_ok());
  CHECK(r->total == 3);
  // Bad strategy: a clear error naming the key.
  auto bad = s->run(R"({"q": "red", "matching_strategy": "most"})");
  REQUIRE(!bad.is_ok());
  CHECK(bad.status().message().find("matching_strategy") != std::string::npos);
}

TEST_CASE("ranking rules: typo (fewer typos first, whatever bm25)") {
  // "sweet" (5 letters) takes one typo, "chocolate" (9) two.
  auto s = make_index({R"({"id":"t2","body":"swete chocolade chocolade chocolade"})",
                       R"({"id":"t1","body":"swete chocolate and other words here"})",
                       R"({"id":"t0","body":"sweet chocolate and many many other words in a long body"})"});
  CHECK(s->q("sweet chocolate") == IdList{"t0", "t1", "t2"});
}

TEST_CASE("ranking rules: proximity (adjacent in order, then apart, then reversed, then far)") {
  auto s = make_index({R"({"id":"far","body":"new a b c d e f g h i j york"})", R"({"id":"rev","body":"york new"})",
                       R"({"id":"gap","body":"new jersey york"})",
                       R"({"id":"adj","body":"the new york city of many words and more words"})"});
  CHECK(s->q("new york") == IdList{"adj", "gap", "rev", "far"});
  // Words in different fields are as far apart as can be.
  auto t = make_index({R"({"id":"split","title":"new","body":"york"})", R"({"id":"one","body":"old new york x y z w"})"});
  CHECK(t->q("new york") == IdList{"one", "split"});
}

TEST_CASE("ranking rules: attribute follows the q_fields weights") {
  auto s = make_index({R"({"id":"body","title":"other","body":"lamp lamp lamp"})",
                       R"({"id":"title","title":"lamp with a long title of words","body":"x"})"});
  CHECK(s->ids(R"({"q": "lamp", "q_fields": ["title^2", "body"]})") == IdList{"title", "body"});
  CHECK(s->ids(R"({"q": "lamp", "q_fields": ["title", "body^3"]})") == IdList{"body", "title"});
  // The setting q_fields is the default order.
  s->set(R"({"q_fields": {"title": 5, "body": 1}})");
  CHECK(s->q("lamp") == IdList{"title", "body"});
}

TEST_CASE("ranking rules: exactness (a whole word over a prefix completion)") {
  auto s = make_index({R"({"id":"prefix","body":"runner runner runner"})",
                       R"({"id":"exact","body":"run with a very long body of many other words"})"});
  CHECK(s->q("run") == IdList{"exact", "prefix"});
}

TEST_CASE("ranking rules: bm25 breaks the remaining ties; the DSL keeps plain bm25") {
  auto s = make_index({R"({"id":"long","body":"new york and a long text of other words"})",
                       R"({"id":"short","body":"new york"})", R"({"id":"apart","body":"new x york"})"});
  CHECK(s->q("new york") == IdList{"short", "long", "apart"});
  auto r = s->run(R"({"q": "new york"})");
  REQUIRE(r.is_ok());
  // The hit's sort: words, typo, proximity, attribute, exactness, score, tiebreaker.
  REQUIRE(r->hits[0].sort.size() == 7);
  CHECK(r->hits[0].sort.as_array()[0].as_int() == 2);
  CHECK(r->hits[0].sort.as_array()[2].as_int() == 0);
  CHECK(r->hits[2].sort.as_array()[2].as_int() == 1);
  // match: bm25 only ("apart" is shorter than "long").
  auto m = s->run(R"({"query": {"match": {"body": {"query": "new york", "operator": "and"}}}})");
  REQUIRE(m.is_ok());
  REQUIRE(m->hits.size() == 3);
  CHECK(m->hits[0].id == "short");
  CHECK(m->hits[1].id == "apart");
  CHECK(m->hits[0].sort.size() == 2);
}

TEST_CASE("ranking rules: custom field rules, the sort rule, and a request sort") {
  auto s = make_index({R"({"id":"a","body":"blue lamp","n":1})", R"({"id":"b","body":"blue lamp","n":3})",
                       R"({"id":"c","body":"blue x lamp","n":9})", R"({"id":"d","body":"blue lamp","n":2})"});
  s->set(R"({"ranking_rules": ["words", "typo", "proximity", "n:desc", "bm25"]})");
  CHECK(s->q("blue lamp") == IdList{"b", "d", "a", "c"});  // c: farther apart despite n = 9
  s->set(R"({"ranking_rules": ["n:asc", "words", "proximity"]})");
  CHECK(s->q("blue lamp") == IdList{"a", "d", "b", "c"});
  // Without a sort rule a request sort replaces the rules.
  CHECK(s->ids(R"({"q": "blue lamp", "sort": {"n": "desc"}})") == IdList{"c", "b", "d", "a"});
  // With one, the request sort goes where it stands.
  s->set(R"({"ranking_rules": ["words", "proximity", "sort", "bm25"]})");
  CHECK(s->ids(R"({"q": "blue lamp", "sort": {"n": "desc"}})") == IdList{"b", "d", "a", "c"});
  s->set(R"({"ranking_rules": null})");
  CHECK(s->q("blue lamp").back() == "c");
}

TEST_CASE("ranking rules: search_after pages through the ranked hits exactly") {
  auto s = make_index({R"({"id":"1","body":"new york"})", R"({"id":"2","body":"york new"})",
                       R"({"id":"3","body":"new a york"})", R"({"id":"4","body":"new york new york"})",
                       R"({"id":"5","body":"new b c york"})", R"({"id":"6","title":"new","body":"york"})"});
  IdList all = s->ids(R"({"q": "new york", "size": 10})");
  REQUIRE(all.size() == 6);
  IdList paged;
  Json after;
  for (int page = 0; page < 10; ++page) {
    Json body = Json::object();
    body.set("q", "new york");
    body.set("size", 2);
    if (!after.is_null()) body.set("search_after", after);
    auto r = s->run(body.dump());
    REQUIRE_MESSAGE(r.is_ok(), r.status().message());
    if (r->hits.empty()) break;
    for (const auto& h : r->hits) paged.push_back(h.id);
    after = r->hits.back().sort;
  }
  CAPTURE(Json(std::vector<Json>(paged.begin(), paged.end())).dump());
  CAPTURE(Json(std::vector<Json>(all.begin(), all.end())).dump());
  CHECK(paged == all);
}

TEST_CASE("ranking rules: distinct keeps the best-ranked document of each value") {
  auto s = make_index({R"({"id":"a1","body":"red lamp","tag":"a"})", R"({"id":"a2","body":"red x y lamp","tag":"a"})",
                       R"({"id":"b1","body":"red z lamp","tag":"b"})"});
  s->set(R"({"distinct": "tag"})");
  CHECK(s->q("red lamp") == IdList{"a1", "b1"});
}

TEST_CASE("split and concatenate: spell checker finds spellchecker and the reverse, after exact matches") {
  auto s = make_index({R"({"id":"joined","body":"a spellchecker for text"})",
                       R"({"id":"apart","body":"a spell checker for text"})",
                       R"({"id":"other","body":"spell the words, then a grammar checker"})"});
  // Two words: the pair as typed first, then joined (one typo), then apart.
  CHECK(s->q_all("spell checker") == IdList{"apart", "other", "joined"});
  // One word: as typed first, then its split as a phrase (one typo).
  CHECK(s->q("spellchecker") == IdList{"joined", "apart"});
  auto r = s->run(R"({"q": "spellchecker"})");
  REQUIRE(r.is_ok());
  CHECK(r->hits[1].sort.as_array()[1].as_int() == 1);  // the split costs a typo
}
