// Searcher behaviour on small hand-made indexes: typo tiers of the simple
// search, unicode queries, highlighting, explain, sloppy phrases and request
// errors.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "../test_util.h"
#include "meridian/index/index.h"
#include "meridian/query/dsl_parser.h"
#include "meridian/query/search_request.h"
#include "meridian/query/searcher.h"

using namespace meridian;
using namespace meridian::query;

namespace {

struct Small {
  TempDir dir;
  std::unique_ptr<index::Index> idx;
  std::shared_ptr<const index::Snapshot> snap;
};

std::unique_ptr<Small> make_index(const char* schema_json, const std::vector<std::pair<std::string, std::string>>& docs,
                                  const char* field = "body") {
  auto s = std::make_unique<Small>();
  auto schema = index::Schema::from_json(*parse_json(schema_json));
  REQUIRE(schema.is_ok());
  index::IndexOptions io;
  io.background = false;
  auto idx = index::Index::open(s->dir.path(), "t", io, &*schema);
  REQUIRE(idx.is_ok());
  s->idx = std::move(*idx);
  std::vector<Json> batch;
  for (const auto& [id, text] : docs) {
    Json d = Json::object();
    d.set("id", id);
    d.set(field, text);
    batch.push_back(std::move(d));
  }
  for (auto& r : s->idx->put_many(batch)) REQUIRE(r.is_ok());
  REQUIRE(s->idx->refresh().is_ok());
  s->snap = s->idx->snapshot();
  return s;
}

const char* kPlain = R"({"fields":{"body":{"type":"text","language":"none","stem":false}}})";
const char* kEnglish = R"({"fields":{"body":{"type":"text","language":"en"},"n":"int","tag":"keyword"}})";

Result<SearchResponse> search_json(const Small& s, const char* body, const SearchOptions& opt = {}) {
  auto j = parse_json(body);
  REQUIRE(j.is_ok());
  MERIDIAN_ASSIGN_OR_RETURN(SearchRequest req, parse_search_request(*j));
  return search(*s.snap, req, opt);
}

std::vector<std::string> hit_ids(const SearchResponse& r) {
  std::vector<std::string> v;
  for (const auto& h : r.hits) v.push_back(h.id);
  return v;
}

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

std::string strip_tags(std::string s, const std::string& pre, const std::string& post) {
  for (const auto& t : {pre, post})
    for (size_t p; (p = s.find(t)) != std::string::npos;) s.erase(p, t.size());
  return s;
}

}  // namespace

TEST_CASE("searcher: simple search ranks exact above prefix above one edit above two, whatever tf and length") {
  // The typo'd documents are short and repeat their word; the exact one is long.
  std::string longtext = "restaurant";
  for (int i = 0; i < 40; ++i) longtext += " filler" + std::to_string(i);
  auto s = make_index(kPlain, {{"two", "rstaurnt rstaurnt rstaurnt"},
                               {"one", "restaurnt restaurnt restaurnt restaurnt"},
                               {"exact", longtext},
                               {"prefix", "restaurants restaurants"},
                               {"none", "unrelated words"}});
  {  // fuzzy and prefix expansions are highlighted
    auto r = search_json(*s, R"({"q":"restaurant","highlight":{}})");
    REQUIRE(r.is_ok());
    REQUIRE(r->hits.size() == 4);
    CHECK(r->hits[1].highlight.find("body")->as_array()[0].as_string() == "<em>restaurants</em> <em>restaurants</em>");
    CHECK(r->hits[3].highlight.find("body")->as_array()[0].as_string() == "<em>rstaurnt</em> <em>rstaurnt</em> <em>rstaurnt</em>");
  }
  for (const char* body : {R"({"q":"restaurant"})", R"({"q":"restaurant", "explain": true})"}) {
    auto r = search_json(*s, body);
    REQUIRE(r.is_ok());
    CHECK(hit_ids(*r) == std::vector<std::string>{"exact", "prefix", "one", "two"});
    for (size_t i = 1; i < r->hits.size(); ++i) CHECK(r->hits[i].score < r->hits[i - 1].score);
  }
  // Same ordering for a fuzzy match query; with more words the tiers apply per word.
  auto r = search_json(*s, R"({"query":{"match":{"body":{"query":"restaurant","fuzziness":"AUTO"}}}})");
  REQUIRE(r.is_ok());
  REQUIRE(r->hits.size() == 4);  // "restaurants" is 1 edit here, a tie in tier with "restaurnt"
  CHECK(r->hits[0].id == "exact");
  CHECK(r->hits[3].id == "two");
}

TEST_CASE("searcher: unicode queries fold accents and find CJK words") {
  auto s = make_index(R"({"fields":{"body":{"type":"text","language":"none","stem":false}}})",
                      {{"fr", "un café crème à Paris"},
                       {"de", "Straße und Ångström"},
                       {"zh", "我们喜欢北京。"},
                       {"ja", "東京都に住んでいます"},
                       {"en", "plain cafe"}});
  auto ids = [&](const char* body) {
    auto r = search_json(*s, body);
    REQUIRE_MESSAGE(r.is_ok(), r.status().message());
    auto v = hit_ids(*r);
    return std::set<std::string>(v.begin(), v.end());
  };
  CHECK(ids(R"({"query":{"match":{"body":"cafe"}}})") == std::set<std::string>{"fr", "en"});
  CHECK(ids(R"({"query":{"match":{"body":"CAFÉ"}}})") == std::set<std::string>{"fr", "en"});
  CHECK(ids(R"({"query":{"match":{"body":"creme"}}})") == std::set<std::string>{"fr"});
  CHECK(ids(R"({"query":{"match":{"body":"angstrom"}}})") == std::set<std::string>{"de"});
  CHECK(ids(R"({"query":{"match":{"body":"北京"}}})") == std::set<std::string>{"zh"});
  CHECK(ids(R"({"query":{"match":{"body":"東京"}}})") == std::set<std::string>{"ja"});
  CHECK(ids(R"({"q":"北京"})") == std::set<std::string>{"zh"});
  CHECK(ids(R"({"query":{"match_phrase":{"body":"café crème"}}})") == std::set<std::string>{"fr"});
  CHECK(ids(R"({"query":{"prefix":{"body":"Crè"}}})") == std::set<std::string>{"fr"});
}

TEST_CASE("searcher: highlight covers stems, prefix and fuzzy expansions, counts and sizes fragments, stays UTF-8") {
  auto s = make_index(kEnglish, {{"stem", "She runs every morning; running is her habit."},
                                 {"utf", "Ünïcödé wörds everywhere: ünïcödé and more ünïcödé text around here"}});
  {
    auto r = search_json(*s, R"({"query":{"match":{"body":"run"}},"highlight":{}})");
    REQUIRE(r.is_ok());
    REQUIRE(r->hits.size() == 1);
    auto frag = r->hits[0].highlight.find("body")->as_array()[0].as_string();
    CHECK(frag.find("<em>runs</em>") != std::string::npos);
    CHECK(frag.find("<em>running</em>") != std::string::npos);
  }
  {  // prefix of the last word, then a typo, with custom tags
    auto r = search_json(*s, R"({"q":"morn","highlight":{"pre_tag":"[","post_tag":"]"}})");
    REQUIRE(r.is_ok());
    REQUIRE(r->hits.size() >= 1);  // "more" is one edit away in the other document
    CHECK(r->hits[0].id == "stem");
    CHECK(r->hits[0].highlight.find("body")->as_array()[0].as_string().find("[morning]") != std::string::npos);
  }
  {  // fragment count and size, multibyte text cut at token boundaries only
    auto u = make_index(kPlain, {{"utf", "Ünïcödé wörds everywhere: ünïcödé and more ünïcödé text around here"}});
    auto r = search_json(
        *u, R"({"query":{"match":{"body":"unicode"}},"highlight":{"fragment_size":20,"number_of_fragments":2}})");
    REQUIRE(r.is_ok());
    REQUIRE(r->hits.size() == 1);
    const auto& frags = r->hits[0].highlight.find("body")->as_array();
    CHECK(frags.size() == 2);
    for (const auto& f : frags) {
      CHECK(valid_utf8(f.as_string()));
      CHECK(f.as_string().find("<em>") != std::string::npos);
      CHECK(strip_tags(f.as_string(), "<em>", "</em>").size() <= 20);
    }
    r = search_json(
        *u, R"({"query":{"match":{"body":"unicode"}},"highlight":{"fragment_size":20,"number_of_fragments":5}})");
    REQUIRE(r.is_ok());
    CHECK(r->hits[0].highlight.find("body")->as_array().size() == 3);
  }
}

TEST_CASE("searcher: explain gives value, description and details that add up to the score") {
  auto s = make_index(kEnglish, {{"a", "quick brown fox"}, {"b", "quick quick dog"}, {"c", "slow turtle"}});
  auto r = search_json(*s, R"({"query":{"bool":{"should":[{"match":{"body":"quick"}},{"match":{"body":"fox"}}]}},
                               "explain":true})");
  REQUIRE(r.is_ok());
  REQUIRE(r->hits.size() == 2);
  for (const auto& h : r->hits) {
    const Json& e = h.explanation;
    REQUIRE(e.is_object());
    CHECK(e.find("value")->as_double() == doctest::Approx(h.score));
    CHECK(e.find("description")->is_string());
    const auto& details = e.find("details")->as_array();
    double sum = 0;
    for (const auto& d : details) {
      sum += d.find("value")->as_double();
      const Json& terms = *d.find("details");
      REQUIRE(terms.size() >= 1);
      const Json& t = terms.as_array()[0];
      CHECK(t.find("term")->is_string());
      CHECK(t.find("details")->find("idf")->is_number());
      CHECK(t.find("details")->find("tf")->is_number());
    }
    CHECK(sum == doctest::Approx(h.score));
  }
  CHECK(r->hits[0].explanation.find("details")->size() == 2);  // "a" matches both words
  CHECK(r->hits[0].id == "a");
}

TEST_CASE("searcher: a field written but not yet refreshed is known through the index's schema, not 'unknown'") {
  auto s = make_index(kEnglish, {{"a", "quick brown fox"}});
  REQUIRE(s->idx->put(*parse_json(R"({"id":"b","colour":"red"})")).is_ok());  // dynamic field, no refresh
  auto r = search_json(*s, R"({"filter":"colour:red","q_fields":["colour"],"q":"red"})");
  REQUIRE_FALSE(r.is_ok());  // the snapshot alone does not know it
  SearchOptions so;
  auto schema = s->idx->schema();
  so.schema = schema.get();
  r = search_json(*s, R"({"filter":"colour:red","q_fields":["colour"],"q":"red"})", so);
  REQUIRE(r.is_ok());
  CHECK(r->hits.empty());  // not searchable before the refresh
  r = search_json(*s, R"({"filter":"colr:red"})", so);
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().message().find("did you mean 'colour'") != std::string::npos);
}

TEST_CASE("searcher: sort and facets on unknown fields, and query_string syntax errors, are invalid with a path") {
  auto s = make_index(kEnglish, {{"a", "quick brown fox"}});
  auto r = search_json(*s, R"({"sort":[{"nope":"asc"}]})");
  REQUIRE(!r.is_ok());
  CHECK(r.status().message().find("sort[0]: unknown field 'nope'") != std::string::npos);
  r = search_json(*s, R"({"facets":{"f":{"terms":{"field":"missing"}}}})");
  REQUIRE(!r.is_ok());
  CHECK(r.status().message().find("facets.f: unknown field 'missing'") != std::string::npos);
  r = search_json(*s, R"({"facets":{"h":{"histogram":{"field":"body","interval":5}}}})");
  REQUIRE(!r.is_ok());
  CHECK(r.status().message().find("not numeric") != std::string::npos);
  r = search_json(*s, R"({"query":{"query_string":{"query":"body:(quick AND"}}})");
  REQUIRE(!r.is_ok());
  CHECK(r.status().message().find("query.query_string.query") != std::string::npos);
  CHECK(r.status().message().find("at column 16") != std::string::npos);  // the end of the 15-character input
}

TEST_CASE("searcher: sloppy phrases allow reordering at the cost of distance (Lucene semantics)") {
  auto s = make_index(kPlain, {{"ab", "alpha beta"},
                               {"ba", "beta alpha"},
                               {"axb", "alpha x beta"},
                               {"bxa", "beta x alpha"},
                               {"axxxb", "alpha x x x beta"},
                               {"aa", "alpha y alpha"}});
  auto ids = [&](const std::string& text, int slop) {
    SearchRequest req;
    MatchPhrase p;
    p.field = "body";
    p.text = text;
    p.slop = slop;
    req.query = p;
    auto r = search(*s->snap, req, {});
    REQUIRE(r.is_ok());
    auto v = hit_ids(*r);
    return std::set<std::string>(v.begin(), v.end());
  };
  using S = std::set<std::string>;
  CHECK(ids("alpha beta", 0) == S{"ab"});
  CHECK(ids("alpha beta", 1) == S{"ab", "axb"});
  CHECK(ids("alpha beta", 2) == S{"ab", "axb", "ba"});  // reversed: distance 2
  CHECK(ids("alpha beta", 3) == S{"ab", "axb", "ba", "bxa", "axxxb"});  // three words between cost 3
  CHECK(ids("beta alpha", 1) == S{"ba", "bxa"});
  CHECK(ids("beta alpha", 2) == S{"ba", "bxa", "ab"});
  CHECK(ids("beta alpha", 0) == S{"ba"});
  // A repeated word needs two distinct positions.
  CHECK(ids("alpha alpha", 0).empty());
  CHECK(ids("alpha alpha", 1) == S{"aa"});
  // Every one of the five is within slop 4.
  SearchRequest req;
  MatchPhrase p;
  p.field = "body";
  p.text = "alpha beta";
  p.slop = 4;
  req.query = p;
  auto r = search(*s->snap, req, {});
  REQUIRE(r.is_ok());
  CHECK(r->hits.size() == 5);
}

TEST_CASE("searcher: \"source\": false returns the same hits without their source; highlights still work") {
  auto s = make_index(kEnglish, {{"a", "quick brown fox"}, {"b", "quick quick dog"}, {"c", "slow turtle"}});
  auto with = search_json(*s, R"({"q":"quick","highlight":{}})");
  auto without = search_json(*s, R"({"q":"quick","highlight":{},"source":false})");
  REQUIRE(with.is_ok());
  REQUIRE(without.is_ok());
  CHECK(without->total == with->total);
  REQUIRE(without->hits.size() == 2);
  REQUIRE(with->hits.size() == 2);
  for (size_t i = 0; i < 2; ++i) {
    CHECK(without->hits[i].id == with->hits[i].id);
    CHECK(without->hits[i].score == with->hits[i].score);
    CHECK(without->hits[i].source.is_null());
    CHECK(with->hits[i].source.find("body") != nullptr);
    CHECK(without->hits[i].highlight == with->hits[i].highlight);
  }
  Json j = to_json(*without);
  const Json& h0 = j.find("hits")->as_array()[0];
  CHECK(h0.find("source") == nullptr);
  CHECK(h0.find("id") != nullptr);
  CHECK(to_json(*with).find("hits")->as_array()[0].find("source") != nullptr);
}
