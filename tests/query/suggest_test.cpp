// "Did you mean" (issue 16, docs/QUERY.md "Did you mean"): which words are
// known, which replacements are picked and in what order, the re-spelled
// whole query, its score, and the index settings it respects, on small
// hand-made indexes.
#include <doctest/doctest.h>

#include "../test_util.h"
#include "meridian/index/index.h"
#include "meridian/query/search_request.h"
#include "meridian/query/searcher.h"
#include "meridian/query/suggest.h"

using namespace meridian;
using namespace meridian::query;

namespace {

const char* kEnglish = R"({"fields":{"title":{"type":"text","language":"en"},"body":{"type":"text","language":"en"},
  "tag":"keyword"}})";
const char* kPlain = R"({"fields":{"body":{"type":"text","language":"none","stem":false},"tag":"keyword"}})";

struct Small {
  TempDir dir;
  std::unique_ptr<index::Index> idx;

  void add(const std::vector<const char*>& docs) {
    std::vector<Json> batch;
    for (const char* d : docs) batch.push_back(*parse_json(d));
    for (auto& r : idx->put_many(batch)) REQUIRE_MESSAGE(r.is_ok(), r.status().message());
    REQUIRE(idx->refresh().is_ok());
  }

  void set(const char* patch) {
    auto schema = idx->schema();
    auto next = index::patch_index_settings(*idx->settings(), *parse_json(patch), schema.get());
    REQUIRE_MESSAGE(next.is_ok(), next.status().message());
    REQUIRE(idx->set_settings(std::move(*next)).is_ok());
  }

  SearchRequest request(const std::string& body) {
    auto schema = idx->schema();
    SearchRequestOptions o;
    o.settings = idx->settings();
    o.schema = schema.get();
    auto req = parse_search_request(*parse_json(body), o);
    REQUIRE_MESSAGE(req.is_ok(), req.status().message());
    return std::move(*req);
  }

  std::vector<Suggestion> suggest_body(const std::string& body) {
    auto schema = idx->schema();
    auto r = suggest(*idx->snapshot(), request(body), idx->settings().get(), schema.get());
    REQUIRE_MESSAGE(r.is_ok(), r.status().message());
    return std::move(*r);
  }
  std::vector<Suggestion> suggest_q(const std::string& text) {
    return suggest_body(R"({"q": )" + Json(text).dump() + "}");
  }
  std::vector<std::string> texts(const std::string& q) {
    std::vector<std::string> v;
    for (const auto& s : suggest_q(q)) v.push_back(s.text);
    return v;
  }
  uint64_t total(const std::string& q) {
    auto r = search(*idx->snapshot(), request(R"({"q": )" + Json(q).dump() + "}"), {});
    REQUIRE(r.is_ok());
    return r->total;
  }
};

std::unique_ptr<Small> make_index(const std::vector<const char*>& docs, const char* schema_json = kEnglish) {
  auto s = std::make_unique<Small>();
  auto schema = index::Schema::from_json(*parse_json(schema_json));
  REQUIRE(schema.is_ok());
  index::IndexOptions io;
  io.background = false;
  auto idx = index::Index::open(s->dir.path(), "t", io, &*schema);
  REQUIRE(idx.is_ok());
  s->idx = std::move(*idx);
  s->add(docs);
  return s;
}

using Texts = std::vector<std::string>;

bool same(const Suggestion& got, const std::string& text, double score, int edits) {
  return got.text == text && got.score == doctest::Approx(score) && got.edits == edits;
}

std::unique_ptr<Small> law() {
  return make_index({R"({"id":"1","title":"Republic","body":"the constitution of the republic"})",
                     R"({"id":"2","title":"Courts","body":"a constitutional court"})",
                     R"({"id":"3","title":"Amendments","body":"an amendment to the constitution"})",
                     R"({"id":"4","title":"Kitchen","body":"cooking recipes"})"});
}

// body: mountains 1, fountains 3, hello 1, help 1, 12345 1 (7 documents).
std::unique_ptr<Small> plain() {
  return make_index({R"({"id":"1","body":"mountains"})", R"({"id":"2","body":"fountains"})",
                     R"({"id":"3","body":"fountains"})", R"({"id":"4","body":"fountains"})",
                     R"({"id":"5","body":"hello"})", R"({"id":"6","body":"help"})",
                     R"({"id":"7","body":"12345","tag":"mountainz"})"},
                    kPlain);
}

}  // namespace

TEST_CASE("suggest: a misspelt word is re-spelled from the surface words") {
  auto s = law();
  CHECK(s->total("constituion") == 3);  // every hit through a typo: one edit from the word "constitution"
  auto sg = s->suggest_q("constituion");
  REQUIRE(sg.size() == 1);
  CHECK(sg[0].text == "constitution");
  CHECK(sg[0].edits == 1);
  CHECK(sg[0].score == doctest::Approx(3.0 / 4));  // the stem constitut is in 3 of 4 documents
}

TEST_CASE("suggest: two misspelt words are re-spelled together, score the product") {
  auto s = law();
  auto sg = s->suggest_q("Constituion amendmnet");
  REQUIRE(sg.size() == 1);
  CHECK(sg[0].text == "constitution amendment");
  CHECK(sg[0].edits == 2);
  CHECK(sg[0].score == doctest::Approx(3.0 / 4 * 1.0 / 4));
}

TEST_CASE("suggest: known words are kept as typed, whether the search finds nothing or hits through a typo") {
  auto s = law();
  CHECK(s->total("pizza constituion") == 0);  // pizza: not a word, no replacement within its budget
  CHECK(s->texts("pizza constituion") == Texts{"pizza constitution"});
  CHECK(s->total("Republic constituion") == 1);  // every hit matched constituion through a typo
  CHECK(s->texts("Republic constituion") == Texts{"Republic constitution"});
}

TEST_CASE("suggest: nothing for a correctly spelled query") {
  auto s = law();
  CHECK(s->texts("constitution").empty());
  CHECK(s->texts("the constitution republic").empty());
  CHECK(s->texts("constitutions").empty());  // not a word of the index, but its stem is a term
  CHECK(s->texts("court constitu").empty());  // the last word completes a word
  CHECK(s->texts("cooking pizza").empty());   // no hit, but no word is misspelt (pizza: no replacement)
  CHECK(s->texts("constitu recipes").empty());  // constitu is unknown but has no replacement within 1 edit
  CHECK(s->texts("").empty());
  CHECK(s->suggest_body(R"({"query": {"match": {"body": "constituion"}}})").empty());  // q only
}

TEST_CASE("suggest: fewer edits first, then more documents, then word order") {
  auto s = plain();
  auto sg = s->suggest_q("mountainz");  // 9 code points: two typos
  REQUIRE(sg.size() == 2);
  CHECK(same(sg[0], "mountains", 1.0 / 7, 1));
  CHECK(same(sg[1], "fountains", 3.0 / 7, 2));
  CHECK(s->texts("hellp") == Texts{"hello", "help"});  // one edit each, one document each
  s->add({R"({"id":"8","body":"help"})"});
  CHECK(s->texts("hellp") == Texts{"help", "hello"});  // one edit each: more documents first
}

TEST_CASE("suggest: at most three whole queries, combining the replacements of each word") {
  auto s = plain();
  auto sg = s->suggest_q("hellp mountainz");
  REQUIRE(sg.size() == 3);
  CHECK(same(sg[0], "hello mountains", 1.0 / 7 * 1.0 / 7, 2));
  CHECK(same(sg[1], "help mountains", 1.0 / 7 * 1.0 / 7, 2));
  CHECK(same(sg[2], "hello fountains", 1.0 / 7 * 3.0 / 7, 3));
}

TEST_CASE("suggest: words of the same stem count once, the best-spelled one") {
  auto s = make_index({R"({"id":"1","body":"networking tools"})", R"({"id":"2","body":"a tool"})",
                       R"({"id":"3","body":"the troll"})"});
  CHECK(s->texts("networking tooll") == Texts{"networking tool", "networking troll"});
}

TEST_CASE("suggest: the typo budget: none under 5 code points and none on numbers") {
  auto s = plain();
  CHECK(s->texts("helo").empty());
  CHECK(s->texts("12346").empty());
  s->set(R"({"typo_tolerance": {"min_word_length_one_typo": 4}})");
  CHECK(s->texts("helo") == Texts{"hello", "help"});
}

TEST_CASE("suggest: the budget is the folded word's, which may be longer than the word typed") {
  auto s = make_index({R"({"id":"1","body":"massey"})", R"({"id":"2","body":"hello"})"}, kPlain);
  // "maße": 4 code points, folded "masse": 5, so one typo ("massey").
  CHECK(s->texts("maße hello") == Texts{"massey hello"});
  CHECK(s->texts("MASSE hello") == Texts{"massey hello"});
  // Plain ASCII words under 5 letters have none, however cased.
  CHECK(s->texts("mase hello").empty());
  CHECK(s->texts("MASE HELO").empty());
}

TEST_CASE("suggest: typo_tolerance disabled, disable_on_words, stop words and synonyms") {
  auto s = plain();
  s->set(R"({"typo_tolerance": {"enabled": false}})");
  CHECK(s->texts("mountainz").empty());
  s->set(R"({"typo_tolerance": {"enabled": true, "disable_on_words": ["Mountainz"]}})");
  CHECK(s->texts("mountainz").empty());
  CHECK(s->texts("hellp").size() == 2);
  s->set(R"({"typo_tolerance": null, "stop_words": ["hellp"]})");
  CHECK(s->texts("hellp mountainz") == Texts{"hellp mountains", "hellp fountains"});
  s->set(R"({"stop_words": null, "synonyms": {"one_way": {"mountainz": ["peaks"]}}})");
  CHECK(s->texts("mountainz").empty());
}

TEST_CASE("suggest: only the searched fields, and no replacement from disable_on_fields") {
  auto s = make_index({R"({"id":"1","title":"Constitution","body":"the republic"})"});
  CHECK(s->texts("constituion") == Texts{"constitution"});
  CHECK(s->suggest_body(R"({"q": "constituion", "q_fields": ["body"]})").empty());
  s->set(R"({"q_fields": {"body": 1}})");
  CHECK(s->texts("constituion").empty());
  s->set(R"({"q_fields": null, "typo_tolerance": {"disable_on_fields": ["title"]}})");
  CHECK(s->texts("constituion").empty());
  CHECK(s->texts("constitution").empty());
}

TEST_CASE("suggest: a searched keyword field's whole value is a known word") {
  auto s = plain();
  CHECK(s->suggest_body(R"({"q": "mountainz", "q_fields": ["body", "tag"]})").empty());
  CHECK(s->suggest_body(R"({"q": "mountainz", "q_fields": ["body"]})").size() == 2);
}

TEST_CASE("suggest: document frequencies add up over segments") {
  auto s = law();
  s->add({R"({"id":"5","body":"constitution day"})", R"({"id":"6","body":"cooking"})"});
  REQUIRE(s->idx->snapshot()->segments().size() >= 2);
  auto sg = s->suggest_q("constituion");
  REQUIRE(sg.size() == 1);
  CHECK(sg[0].score == doctest::Approx(4.0 / 6));
}

TEST_CASE("suggest: the response gets \"suggest\" only when there is something to suggest") {
  auto s = law();
  auto schema = s->idx->schema();
  auto snap = s->idx->snapshot();
  SearchResponse out;
  out.took_ms = 1.0;
  REQUIRE(add_suggestions(*snap, s->request(R"({"q": "constitution"})"), s->idx->settings().get(), schema.get(), &out)
              .is_ok());
  CHECK(out.suggest.is_null());
  CHECK(to_json(out).find("suggest") == nullptr);
  CHECK(out.took_ms >= 1.0);
  REQUIRE(add_suggestions(*snap, s->request(R"({"q": "constituion"})"), s->idx->settings().get(), schema.get(), &out)
              .is_ok());
  REQUIRE(to_json(out).find("suggest") != nullptr);
  CHECK(to_json(out).find("suggest")->dump() == R"([{"text":"constitution","score":0.75}])");
  CHECK(out.took_ms > 1.0);
}
