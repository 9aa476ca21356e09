// Terms no segment holds (plan::CompileOptions::skip_absent_terms): marked
// only when the snapshot counts them alone, and a search that skips their
// lookups answers exactly as one that looks them up (hits, scores, totals,
// facets, explanations, "did you mean").
#include <doctest/doctest.h>

#include <regex>

#include "../test_util.h"
#include "../../src/query/plan.h"
#include "meridian/index/index.h"
#include "meridian/index/term_key.h"
#include "meridian/query/search_request.h"
#include "meridian/query/searcher.h"
#include "meridian/query/suggest.h"

using namespace meridian;
using namespace meridian::query;

namespace {

// Three segments (one refresh per batch), one document deleted: "paris" and
// "lyon" each in some segments only, "zq" in none.
struct Corpus {
  TempDir dir;
  std::unique_ptr<index::Index> idx;

  Corpus() {
    auto schema = index::Schema::from_json(*parse_json(
        R"({"fields":{"name":{"type":"text","language":"en"},"alt":{"type":"text","language":"en"},
            "country":"keyword","pop":"int"}})"));
    REQUIRE(schema.is_ok());
    index::IndexOptions io;
    io.background = false;
    auto opened = index::Index::open(dir.path(), "t", io, &*schema);
    REQUIRE(opened.is_ok());
    idx = std::move(*opened);
    add({R"({"id":"1","name":"Paris","alt":"Lutetia","country":"FR","pop":2100000})",
         R"({"id":"2","name":"Paris Texas","country":"US","pop":25000})",
         R"({"id":"3","name":"Parisot","country":"FR","pop":600})"});
    add({R"({"id":"4","name":"Lyon","alt":"Lugdunum","country":"FR","pop":520000})",
         R"({"id":"5","name":"Lyons","country":"US","pop":6000})"});
    add({R"({"id":"6","name":"New York","alt":"Big Apple","country":"US","pop":8000000})",
         R"({"id":"7","name":"York","country":"GB","pop":200000})",
         R"({"id":"8","name":"Parish","country":"US","pop":100})"});
    auto removed = idx->remove("3");
    REQUIRE(removed.is_ok());
    REQUIRE(idx->refresh().is_ok());
  }

  void add(const std::vector<const char*>& docs) {
    std::vector<Json> batch;
    for (const char* d : docs) batch.push_back(*parse_json(d));
    for (auto& r : idx->put_many(batch)) REQUIRE_MESSAGE(r.is_ok(), r.status().message());
    REQUIRE(idx->refresh().is_ok());
  }

  // The whole answer as the server sends it, took_ms masked.
  std::string answer(const std::string& body, bool look_up_absent) {
    auto schema = idx->schema();
    SearchRequestOptions o;
    o.settings = idx->settings();
    o.schema = schema.get();
    auto req = parse_search_request(*parse_json(body), o);
    if (!req) return "request error: " + req.status().message();
    SearchOptions so;
    so.look_up_absent_terms = look_up_absent;
    auto snap = idx->snapshot();
    auto r = search(*snap, *req, so);
    if (!r) return "search error: " + r.status().message();
    Status st = add_suggestions(*snap, *req, idx->settings().get(), schema.get(), &*r);
    if (!st.is_ok()) return "suggest error: " + st.message();
    return std::regex_replace(to_json(*r).dump(), std::regex(R"("took_ms":[0-9.e+-]+)"), R"("took_ms":0)");
  }
};

std::vector<const plan::WeightedTerm*> word_terms_of(const plan::Node& n) {
  std::vector<const plan::WeightedTerm*> out;
  for (const auto& t : n.terms) out.push_back(&t);
  for (const auto& slot : n.slots)
    for (const auto& t : slot) out.push_back(&t);
  for (const auto* v : {&n.must, &n.should, &n.must_not, &n.filter, &n.children})
    for (const auto& c : *v)
      for (const auto* t : word_terms_of(c)) out.push_back(t);
  return out;
}

// term key -> absent, over every word, phrase and term of the compiled query.
std::map<std::string, bool> absent_marks(const index::Snapshot& snap, const std::string& dsl, bool skip) {
  auto q = parse_search_request(*parse_json(R"({"query": )" + dsl + "}"), {});
  REQUIRE_MESSAGE(q.is_ok(), q.status().message());
  plan::CompileOptions co;
  co.skip_absent_terms = skip;
  auto c = plan::compile(snap, q->query, co);
  REQUIRE_MESSAGE(c.is_ok(), c.status().message());
  std::map<std::string, bool> out;
  for (const auto* t : word_terms_of(c->root)) out[t->key] = t->absent;
  return out;
}

}  // namespace

TEST_CASE("absent terms: a term is marked absent only when no segment holds it and the snapshot counts alone") {
  Corpus c;
  auto snap = c.idx->snapshot();
  REQUIRE(snap->segments().size() >= 3);
  const std::string dsl =
      R"({"bool": {"should": [{"match": {"name": "paris zq lyon"}}, {"term": {"country": "XX"}},
          {"term": {"country": "GB"}}, {"match_phrase": {"name": "new zq"}}]}})";
  auto marks = absent_marks(*snap, dsl, true);
  CHECK(marks.at(index::term_key("name", "pari")) == false);  // in the first segment only
  CHECK(marks.at(index::term_key("name", "lyon")) == false);
  CHECK(marks.at(index::term_key("name", "zq")) == true);
  CHECK(marks.at(index::term_key("name", "new")) == false);
  CHECK(marks.at(index::term_key("country", "XX")) == true);
  CHECK(marks.at(index::term_key("country", "GB")) == false);
  // Not asked: nothing marked.
  for (const auto& [key, absent] : absent_marks(*snap, dsl, false)) CHECK_MESSAGE(!absent, key);
  // Index-wide statistics (a clustered search) or a recording snapshot count
  // other shards' documents: nothing marked, whatever they say.
  auto stats = std::make_shared<index::CorpusStats>();
  stats->total_docs = 100;
  auto with_stats = snap->with_stats(stats, nullptr);
  for (const auto& [key, absent] : absent_marks(*with_stats, dsl, true)) CHECK_MESSAGE(!absent, key);
  auto recording = snap->with_stats(nullptr, std::make_shared<index::StatsRecorder>());
  for (const auto& [key, absent] : absent_marks(*recording, dsl, true)) CHECK_MESSAGE(!absent, key);
  // The document frequency is the snapshot's either way.
  bool absent = false;
  CHECK(plan::term_doc_freq(*snap, index::term_key("name", "pari"), true, &absent) ==
        snap->doc_freq(index::term_key("name", "pari")));
  CHECK_FALSE(absent);
  CHECK(plan::term_doc_freq(*snap, index::term_key("name", "zq"), true, &absent) == 0);
  CHECK(absent);
}

TEST_CASE("absent terms: searches that skip absent terms answer as those that look them up") {
  Corpus c;
  const std::vector<std::string> bodies = {
      R"({"q": "zq"})",
      R"({"q": "paris"})",
      R"({"q": "pa"})",
      R"({"q": "zq paris"})",
      R"({"q": "paris zq"})",
      R"({"q": "pariss"})",
      R"({"q": "lyom"})",
      R"({"q": "new zq york"})",
      R"({"q": "zq", "facets": {"country": {"terms": {"field": "country"}}}})",
      R"({"q": "york zq", "facets": {"country": {"terms": {"field": "country"}}}, "matching_strategy": "all"})",
      R"({"q": "york zq", "facets": {"country": {"terms": {"field": "country"}}}})",
      R"({"q": "paris", "explain": true, "highlight": {"fields": ["name"]}})",
      R"({"q": "zq", "track_total_hits": false})",
      R"({"q": "york", "track_total_hits": false})",
      R"({"q": "york zq", "sort": [{"pop": "desc"}]})",
      R"({"q": "zq", "filter": "country:FR"})",
      R"({"q": "paris", "filter": "country:XX"})",
      R"({"query": {"match": {"name": {"query": "zq paris", "operator": "or"}}}, "track_total_hits": false})",
      R"({"query": {"match": {"name": {"query": "zq paris", "operator": "and"}}}})",
      R"({"query": {"bool": {"should": [{"match": {"name": "zq"}}, {"match": {"name": "york"}}],
          "minimum_should_match": 1}}, "explain": true})",
      R"({"query": {"bool": {"should": [{"match": {"name": "zq"}}, {"match": {"name": "york"}}],
          "minimum_should_match": 2}}})",
      R"({"query": {"bool": {"must": [{"match": {"name": "york"}}], "must_not": [{"term": {"country": "XX"}}]}}})",
      R"({"query": {"bool": {"must_not": [{"match": {"name": "zq"}}]}}, "size": 20})",
      R"({"query": {"terms": {"country": ["XX", "GB", "YY"]}}})",
      R"({"query": {"term": {"country": "XX"}}, "facets": {"country": {"terms": {"field": "country"}}}})",
      R"({"query": {"match_phrase": {"name": "new zq"}}})",
      R"({"query": {"match_phrase": {"name": "new york"}}, "explain": true})",
      R"({"query": {"multi_match": {"query": "zq lutetia", "fields": ["name", "alt"]}}})",
      R"({"query": {"constant_score": {"filter": {"match": {"name": "zq"}}}}})",
      R"({"query": {"multi_match": {"query": "zq lyon", "fields": ["name", "alt^2"], "type": "most_fields"}}})",
      R"({"query": {"fuzzy": {"name": "zqq"}}})",
  };
  for (const auto& body : bodies) {
    const std::string skipped = c.answer(body, false), looked_up = c.answer(body, true);
    CHECK_MESSAGE(skipped == looked_up, body);
    CHECK_MESSAGE(skipped.find("error") == std::string::npos, body << ": " << skipped);
  }
  // Some of them match, and one suggests.
  CHECK(c.answer(R"({"q": "york zq"})", false).find(R"("id":"7")") != std::string::npos);
  CHECK(c.answer(R"({"q": "zq"})", false).find(R"("total":{"value":0)") != std::string::npos);
  CHECK(c.answer(R"({"q": "pariss"})", false).find(R"("suggest")") != std::string::npos);
}
