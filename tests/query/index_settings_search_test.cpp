// Searches under index settings (issue 16): synonyms (one-way, multi-way,
// multi-word as phrases, changed at runtime), stop words, typo settings,
// q_fields and distinct, on small hand-made indexes.
#include <doctest/doctest.h>

#include "small_index.h"
#include "meridian/index/index.h"
#include "meridian/query/q_query.h"
#include "meridian/query/query_string_parser.h"
#include "meridian/query/search_request.h"
#include "meridian/query/searcher.h"

using namespace meridian;
using namespace meridian::query;

namespace {

const char* kSchema = R"({"fields":{"title":{"type":"text","language":"none","stem":false},
  "body":{"type":"text","language":"none","stem":false},"brand":"keyword","n":"int"}})";

std::unique_ptr<testing::SmallIndex> make_index(const std::vector<const char*>& docs) {
  return testing::make_small_index(kSchema, docs);
}

using IdList = std::vector<std::string>;

IdList sorted(IdList v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

TEST_CASE("q under default settings is the plain simple search, word by word") {
  index::IndexSettings none;
  auto schema = index::Schema::from_json(*parse_json(kSchema));
  // One clause per word, each the simple search of that word (in any field),
  // or the two words joined ("pdfreader").
  CHECK(to_string(build_q_query("pdf  reader!", {}, Operator::kAnd, none, &*schema)) ==
        R"(bool(must=[bool(should=[match(*,"pdf",op=and,fuzziness=AUTO:5,9),match(*,"pdfreader",op=and)]),)"
        R"(bool(should=[match(*,"reader",op=and,fuzziness=AUTO:5,9,prefix_last),match(*,"pdfreader",op=and)])]))");
  // Strategy last: the first word required, the others optional.
  std::optional<Query> relaxed;
  Query strict = build_q_query("pdf  reader!", {}, Operator::kAnd, none, &*schema, &relaxed);
  CHECK(strict == build_q_query("pdf  reader!", {}, Operator::kAnd, none, &*schema));
  REQUIRE(relaxed);
  CHECK(to_string(*relaxed) ==
        R"(bool(must=[bool(should=[match(*,"pdf",op=and,fuzziness=AUTO:5,9),match(*,"pdfreader",op=and)])],)"
        R"(should=[bool(should=[match(*,"reader",op=and,fuzziness=AUTO:5,9,prefix_last),match(*,"pdfreader",op=and)])]))");
  // One word (or one span): no relaxed query, it would be the strict one.
  for (const char* one : {"pdf", "  pdf! ", "the", ""}) {
    std::optional<Query> none_relaxed;
    (void)build_q_query(one, {}, Operator::kAnd, none, &*schema, &none_relaxed);
    CHECK_MESSAGE(!none_relaxed, one);
  }
  CHECK(to_string(build_q_query("x", {{"title", 2}, {"body", 1}}, Operator::kAnd, none, &*schema)) ==
        to_string(parse_simple("x", {{"title", 2}, {"body", 1}})));
  CHECK(build_q_query("  ", {}, Operator::kAnd, none, &*schema) == Query(MatchAll{}));
}

TEST_CASE("q of one plain word: the shortcut builds what the word lists build (a trailing space takes them)") {
  auto schema = index::Schema::from_json(*parse_json(kSchema));
  std::vector<index::IndexSettings> settings(4);
  settings[1].stop_words = {"the"};
  settings[2].typo_tolerance.enabled = false;
  settings[3].typo_tolerance.disable_on_fields = {"body"};
  const std::vector<std::vector<FieldBoost>> field_sets = {{}, {{"title", 2}}, {{"title", 2}, {"body", 1}}};
  for (const auto& s : settings)
    for (const auto& fs : field_sets)
      for (const char* w : {"zq", "The", "Paris2024", "x"})
        for (Operator op : {Operator::kAnd, Operator::kOr}) {
          CAPTURE(w);
          CHECK(build_q_query(w, fs, op, s, &*schema) == build_q_query(std::string(w) + " ", fs, op, s, &*schema));
          std::optional<Query> r1, r2;
          (void)build_q_query(w, fs, op, s, &*schema, &r1);
          (void)build_q_query(std::string(w) + " ", fs, op, s, &*schema, &r2);
          CHECK(!r1);
          CHECK(!r2);
        }
}

TEST_CASE("synonyms: one-way nyc -> new york matches the phrase, not the reverse") {
  auto s = make_index({R"({"id":"1","body":"best new york pizza"})", R"({"id":"2","body":"nyc bagels"})",
                       R"({"id":"3","body":"new jersey and york"})"});
  CHECK(sorted(s->q("nyc")) == IdList{"2"});
  s->set(R"({"synonyms": {"one_way": {"nyc": ["new york"]}}})");
  CHECK(sorted(s->q("nyc")) == IdList{"1", "2"});  // "new ... york" (3) is not the phrase
  CHECK(sorted(s->q("new york")) == IdList{"1", "3"});  // one-way: new york does not find nyc
  CHECK(sorted(s->q_all("nyc pizza")) == IdList{"1"});
}

TEST_CASE("synonyms: a multi-way group matches every member from every other, multi-word ones as phrases") {
  auto s = make_index({R"({"id":"1","body":"a tv stand"})", R"({"id":"2","body":"television remote"})",
                       R"({"id":"3","body":"the big apple at night"})", R"({"id":"4","body":"apple big night deal"})",
                       R"({"id":"5","body":"nyc at night"})"});
  s->set(R"({"synonyms": [["tv", "television"], ["big apple", "nyc"]]})");
  CHECK(sorted(s->q("tv")) == IdList{"1", "2"});
  CHECK(sorted(s->q("television")) == IdList{"1", "2"});
  CHECK(sorted(s->q("nyc night")) == IdList{"3", "5"});  // not 4: "apple big" is not the phrase
  CHECK(sorted(s->q("big apple")) == IdList{"3", "4", "5"});  // the words as typed, or nyc
  CHECK(sorted(s->q_all("Big Apple at")) == IdList{"3", "5"});
}

TEST_CASE("synonyms: a change applies to the next search, no reindex") {
  auto s = make_index({R"({"id":"1","body":"comfortable sofa"})", R"({"id":"2","body":"leather couch"})"});
  CHECK(s->q("couch") == IdList{"2"});
  s->set(R"({"synonyms": [["sofa", "couch"]]})");
  CHECK(sorted(s->q("couch")) == IdList{"1", "2"});
  s->set(R"({"synonyms": null})");
  CHECK(s->q("couch") == IdList{"2"});
}

TEST_CASE("stop words are dropped from q unless every word is one") {
  auto s = make_index({R"({"id":"1","body":"matrix reloaded"})", R"({"id":"2","body":"the matrix"})",
                       R"({"id":"3","body":"the end"})"});
  CHECK(s->q_all("the matrix") == IdList{"2"});
  CHECK(s->q("the matrix") == IdList{"2", "3"});  // strategy last: "matrix" dropped, "the" kept
  s->set(R"({"stop_words": ["the", "of"]})");
  CHECK(sorted(s->q("the matrix")) == IdList{"1", "2"});
  CHECK(sorted(s->q("The")) == IdList{"2", "3"});  // every word a stop word: searched as typed
  CHECK(q_words("the of matrix", *s->idx->settings()) == std::vector<std::string>{"matrix"});
}

TEST_CASE("typo_tolerance: word lengths, enabled, disable_on_words and disable_on_fields") {
  auto s = make_index({R"({"id":"1","title":"paris","body":"london"})", R"({"id":"2","title":"rome","body":"paris"})"});
  CHECK(sorted(s->q("parus")) == IdList{"1", "2"});  // 5 letters: one typo by default
  s->set(R"({"typo_tolerance": {"min_word_length_one_typo": 6, "min_word_length_two_typos": 9}})");
  CHECK(s->q("parus").empty());
  CHECK(sorted(s->q("londn")).empty());
  s->set(R"({"typo_tolerance": {"min_word_length_one_typo": 4}})");
  CHECK(s->q("lndon") == IdList{"1"});
  s->set(R"({"typo_tolerance": null})");
  CHECK(sorted(s->q("parus")) == IdList{"1", "2"});
  s->set(R"({"typo_tolerance": {"enabled": false}})");
  CHECK(s->q("parus").empty());
  CHECK(sorted(s->q("paris")) == IdList{"1", "2"});
  s->set(R"({"typo_tolerance": {"enabled": true, "disable_on_words": ["parus"]}})");
  CHECK(s->q("parus").empty());
  CHECK(s->q("londn") == IdList{"1"});
  CHECK(s->q_all("londn parus").empty());
  s->set(R"({"typo_tolerance": {"disable_on_words": [], "disable_on_fields": ["body"]}})");
  CHECK(s->q("parus") == IdList{"1"});  // the title takes typos, the body not
  CHECK(s->q("londn").empty());
  CHECK(sorted(s->q("paris")) == IdList{"1", "2"});
}

TEST_CASE("q_fields: the default fields of q, with weights; a request's q_fields win") {
  auto s = make_index({R"({"id":"1","title":"jazz","body":"rock"})", R"({"id":"2","title":"rock","body":"jazz"})"});
  CHECK(sorted(s->q("jazz")) == IdList{"1", "2"});
  s->set(R"({"q_fields": {"body": 1}})");
  CHECK(s->q("jazz") == IdList{"2"});
  CHECK(s->ids(R"({"q": "jazz", "q_fields": ["title"]})") == IdList{"1"});
  s->set(R"({"q_fields": {"title": 10, "body": 1}})");
  CHECK(s->q("jazz") == IdList{"1", "2"});  // the title weighs more
  s->set(R"({"q_fields": ["title", "body^10"]})");
  CHECK(s->q("jazz") == IdList{"2", "1"});
}

TEST_CASE("distinct: one hit per value, the best-ranked; total counts the groups; paging over groups") {
  auto s = make_index({
      R"({"id":"a1","body":"red shoe shoe shoe","brand":"acme","n":1})",
      R"({"id":"a2","body":"red shoe","brand":"acme","n":2})",
      R"({"id":"b1","body":"red shoe shoe","brand":"bolt","n":3})",
      R"({"id":"b2","body":"red hat","brand":"bolt","n":4})",
      R"({"id":"x1","body":"red shoe","n":5})",
      R"({"id":"x2","body":"red shoe","n":6})",
  });
  auto all = s->run(R"({"q": "shoe"})");
  REQUIRE(all.is_ok());
  CHECK(all->total == 5);
  s->set(R"({"distinct": "brand"})");
  auto r = s->run(R"({"q": "shoe"})");
  REQUIRE(r.is_ok());
  CHECK(r->total == 4);  // acme, bolt and the two without a brand
  IdList got;
  for (const auto& h : r->hits) got.push_back(h.id);
  CHECK(sorted(got) == IdList{"a1", "b1", "x1", "x2"});
  CHECK(got[0] == "a1");  // the most shoes

  // Pages over the groups, never a group twice.
  IdList paged;
  for (size_t from = 0; from < 5; ++from) {
    auto p = s->run(R"({"q": "shoe", "size": 1, "from": )" + std::to_string(from) + "}");
    REQUIRE(p.is_ok());
    CHECK(p->total == 4);
    for (const auto& h : p->hits) paged.push_back(h.id);
  }
  CHECK(paged == got);

  // Sorted by a field: the first of each group in that order.
  CHECK(s->ids(R"({"q": "red", "sort": [{"n": "desc"}]})") == IdList{"x2", "x1", "b2", "a2"});
  CHECK(s->ids(R"({"q": "red", "sort": [{"n": "asc"}]})") == IdList{"a1", "b1", "x1", "x2"});
  // search_after pages without repeating a group.
  auto first = s->run(R"({"q": "red", "sort": [{"n": "desc"}], "size": 2})");
  REQUIRE(first.is_ok());
  auto next = s->run(R"({"q": "red", "sort": [{"n": "desc"}], "size": 2, "search_after": )" +
                     first->hits.back().sort.dump() + "}");
  REQUIRE(next.is_ok());
  REQUIRE(next->hits.size() == 2);
  CHECK(next->hits[0].id == "b2");
  CHECK(next->hits[1].id == "a2");
  // size 0 still counts the groups.
  auto count = s->run(R"({"q": "red", "size": 0})");
  REQUIRE(count.is_ok());
  CHECK(count->total == 4);
  CHECK(count->hits.empty());

  s->set(R"({"distinct": null})");
  CHECK(s->run(R"({"q": "red"})")->total == 6);
}
