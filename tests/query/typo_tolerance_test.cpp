// Typo tolerance of the simple search (issue 16): edit distances measured on
// surface words, the typo budget by word length, the last-word rule and the
// unknown-word stem rule, on small hand-made indexes.
#include <doctest/doctest.h>

#include <set>

#include "../test_util.h"
#include "meridian/base/file.h"
#include "meridian/index/index.h"
#include "meridian/index/segment_builder.h"
#include "meridian/index/surface_words.h"
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

const char* kEnglish = R"({"fields":{"body":{"type":"text","language":"en"}}})";

std::unique_ptr<Small> make_index(const std::vector<std::pair<std::string, std::string>>& docs,
                                  const char* schema_json = kEnglish) {
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
    d.set("body", text);
    batch.push_back(std::move(d));
  }
  for (auto& r : s->idx->put_many(batch)) REQUIRE(r.is_ok());
  REQUIRE(s->idx->refresh().is_ok());
  s->snap = s->idx->snapshot();
  return s;
}

std::vector<std::string> ids(const Small& s, const std::string& body) {
  auto j = parse_json(body);
  REQUIRE(j.is_ok());
  auto req = parse_search_request(*j);
  REQUIRE_MESSAGE(req.is_ok(), req.status().message());
  auto r = search(*s.snap, *req, {});
  REQUIRE_MESSAGE(r.is_ok(), r.status().message());
  std::vector<std::string> v;
  for (const auto& h : r->hits) v.push_back(h.id);
  return v;
}

std::vector<std::string> q(const Small& s, const std::string& text) {
  Json b = Json::object();
  b.set("q", text);
  return ids(s, b.dump());
}

}  // namespace

TEST_CASE("typo budget: none under 5 code points, one from 5, two from 9, none on numbers") {
  Fuzziness f = TypoBudget{}.fuzziness();
  CHECK(f.is_auto);
  CHECK(f.exact_numbers);
  CHECK(f.edits_for(4) == 0);
  CHECK(f.edits_for(5) == 1);
  CHECK(f.edits_for(8) == 1);
  CHECK(f.edits_for(9) == 2);
  CHECK(f.edits_for(30) == 2);
  TypoBudget custom;
  custom.min_word_length_one_typo = 3;
  custom.min_word_length_two_typos = 6;
  custom.typos_on_numbers = true;
  CHECK(custom.fuzziness().edits_for(3) == 1);
  CHECK(custom.fuzziness().edits_for(6) == 2);
  CHECK_FALSE(custom.fuzziness().exact_numbers);
}

TEST_CASE("typo tolerance: a misspelling one edit from a word whose stem is three edits away finds it") {
  auto s = make_index({{"c", "The constitution of the republic"}, {"k", "constant values"}, {"i", "institution"}});
  auto got = q(*s, "constituion");
  REQUIRE_FALSE(got.empty());
  CHECK(got[0] == "c");
  // DSL fuzzy and match with fuzziness use the same surface words.
  CHECK(ids(*s, R"({"query":{"fuzzy":{"body":{"value":"constituion"}}}})") == std::vector<std::string>{"c"});
  CHECK(ids(*s, R"({"query":{"match":{"body":{"query":"constituion","fuzziness":"AUTO"}}}})")[0] == "c");
  CHECK(ids(*s, R"({"query":{"match":{"body":{"query":"constituion","fuzziness":1}}}})") ==
        std::vector<std::string>{"c"});
}

TEST_CASE("typo tolerance: q=paris ranks Paris first and does not reach the stems of other words") {
  auto s = make_index({{"mary", "Mary"}, {"bari", "Bari"}, {"puri", "Puri"}, {"parintins", "Parintins"},
                       {"park", "Brooklyn Park"}, {"paris", "Paris"}, {"parish", "Parish of Saint Mary"}});
  auto got = q(*s, "paris");
  REQUIRE_FALSE(got.empty());
  CHECK(got[0] == "paris");
  const std::set<std::string> hits(got.begin(), got.end());
  for (const char* no : {"mary", "bari", "puri", "park", "parintins"}) CHECK_MESSAGE(hits.count(no) == 0, no);
}

TEST_CASE("typo tolerance: a word under 5 letters takes no typo (pdf is not rdf)") {
  auto s = make_index({{"rdf", "RDF reader library for the semantic web"},
                       {"pdf", "PDF reader for documents"},
                       {"view", "pdf viewer"}});
  auto got = q(*s, "pdf reader");
  REQUIRE_FALSE(got.empty());
  CHECK(got[0] == "pdf");
  CHECK(std::find(got.begin(), got.end(), "rdf") == got.end());
  CHECK(q(*s, "rdf") == std::vector<std::string>{"rdf"});
}

TEST_CASE("typo tolerance: numbers take no typo, and a 5-letter word one edit but not two") {
  auto s = make_index({{"a", "version 12345"}, {"b", "version 12346"}, {"p", "paris"}});
  CHECK(q(*s, "12345") == std::vector<std::string>{"a"});
  CHECK(q(*s, "pzris") == std::vector<std::string>{"p"});
  CHECK(q(*s, "pzrjs").empty());
}

TEST_CASE("typo tolerance: two typos from 9 letters, counted on the word typed") {
  auto s = make_index({{"u", "universities of europe"}, {"x", "unrelated"}});
  CHECK(q(*s, "univesrities") == std::vector<std::string>{"u"});  // one transposition
  CHECK(q(*s, "unversitis") == std::vector<std::string>{"u"});     // two deletions
  CHECK(q(*s, "unvrsitis").empty());                               // three
}

TEST_CASE("typo tolerance: a misspelt last word ranks the whole word within its budget above its completions") {
  // "conver" (6 letters, one typo) is one edit from "cover" and the prefix of two other words.
  auto s = make_index({{"conversion", "conversion tool conversion"},
                       {"converter", "converter utility"},
                       {"cover", "cover art for albums and many other long words here"}});
  auto got = q(*s, "conver");
  REQUIRE(got.size() == 3);
  CHECK(got[0] == "cover");
  // A last word that is itself a word keeps completions above typos.
  auto t = make_index({{"parish", "parish"}, {"paris", "a long text about paris and other places to see"},
                       {"parks", "parks"}});
  auto got2 = q(*t, "paris");
  REQUIRE(got2.size() == 3);
  CHECK(got2[0] == "paris");
  CHECK(got2[1] == "parish");
  CHECK(got2[2] == "parks");
}

TEST_CASE("typo tolerance: a word that is not in the index but whose stem is matches that stem exactly") {
  // "runs" (4 letters: no typo, and not a prefix of "running") reaches "running" through its stem.
  auto s = make_index({{"run", "running shoes"}, {"other", "rune stones"}});
  CHECK(q(*s, "runs") == std::vector<std::string>{"run"});
}

TEST_CASE("typo tolerance: segments written without surface words still search with typos") {
  auto s = make_index({{"c", "The constitution of the republic"}, {"p", "Paris"}});
  // Drop the words files (a segment from before they existed) and reopen.
  s->snap.reset();
  std::string dir = s->dir.path();
  REQUIRE(s->idx->close().is_ok());
  s->idx.reset();
  size_t removed = 0;
  auto names = fs::list_dir(dir);
  REQUIRE(names.is_ok());
  for (const auto& n : *names)
    if (n.ends_with(".words")) {
      REQUIRE(fs::remove_file(dir + "/" + n).is_ok());
      ++removed;
    }
  CHECK(removed >= 1);
  index::IndexOptions io;
  io.background = false;
  auto idx = index::Index::open(dir, "t", io, nullptr);
  REQUIRE_MESSAGE(idx.is_ok(), idx.status().message());
  s->idx = std::move(*idx);
  s->snap = s->idx->snapshot();
  for (const auto& v : s->snap->segments()) CHECK(v.segment->words() == nullptr);
  CHECK(q(*s, "paris") == std::vector<std::string>{"p"});
  CHECK(q(*s, "constitution") == std::vector<std::string>{"c"});
  CHECK(q(*s, "constitutin") == std::vector<std::string>{"c"});  // the stem-based fuzzy of before
}

TEST_CASE("typo tolerance: a word not in the index matches its stem after the words within its budget") {
  // "durring" is no word of the index; its stem is "dur" (a word of its own),
  // while "during" is one edit away: the typo ranks first, the stem still matches.
  auto s = make_index({{"dur", "dur dur dur"},
                       {"during", "during a very long day of many words and more words"},
                       {"other", "unrelated text"}});
  CHECK(q(*s, "durring") == std::vector<std::string>{"during", "dur"});
  // Through the stem alone (no typo for 4 letters): "runs" still finds "running".
  auto t = make_index({{"running", "running shoes"}, {"other", "walking boots"}});
  CHECK(q(*t, "runs") == std::vector<std::string>{"running"});
  // A word of the index keeps its stem's documents as exact matches.
  CHECK(q(*t, "running") == std::vector<std::string>{"running"});
}

TEST_CASE("typo tolerance: a typo counts against the word a document holds, not the other words of its stem") {
  // "addresing" is one edit from "addressing" and three from "address": both
  // stem to "address". The document that holds "address" three times has the
  // better BM25, but only the other one holds the word one typo away.
  const std::vector<std::pair<std::string, std::string>> docs = {
      {"b", "address address address book"}, {"a", "addressing the problem"}, {"c", "the address of the office"}};
  auto s = make_index(docs);
  auto got = q(*s, "addresing");
  REQUIRE(got.size() == 3);
  CHECK(got[0] == "a");
  // Every document of the stem still matches: the others rank after the typo.
  CHECK(std::set<std::string>(got.begin() + 1, got.end()) == std::set<std::string>{"b", "c"});
  // The word itself, typed: its stem's documents stay exact matches (BM25 order).
  CHECK(q(*s, "address")[0] == "b");
  // The documents of each surface word are in the segment's term dictionary.
  for (const auto& v : s->snap->segments()) {
    auto marker = v.segment->postings_for(index::kWordDocsMarker);
    REQUIRE(marker.is_ok());
    REQUIRE(marker->has_value());
    CHECK((*marker)->doc_freq() == v.segment->num_docs());
    auto addressing = v.segment->postings_for(index::word_docs_key("body", "addressing"));
    REQUIRE(addressing.is_ok());
    REQUIRE(addressing->has_value());
    CHECK((*addressing)->doc_freq() == 1);
  }
}

TEST_CASE("typo tolerance: word postings survive merges, and deletes leave them") {
  auto s = make_index({{"b", "address address address book"}, {"x", "addressing old"}});
  std::vector<Json> more;
  for (const auto& [id, text] : std::vector<std::pair<std::string, std::string>>{
           {"a", "addressing the problem"}, {"c", "the address of the office"}}) {
    Json d = Json::object();
    d.set("id", id);
    d.set("body", text);
    more.push_back(std::move(d));
  }
  for (auto& r : s->idx->put_many(more)) REQUIRE(r.is_ok());
  REQUIRE(s->idx->remove("x").is_ok());
  REQUIRE(s->idx->refresh().is_ok());
  REQUIRE(s->idx->force_merge().is_ok());
  s->snap = s->idx->snapshot();
  REQUIRE(s->snap->segments().size() == 1);
  const auto& seg = *s->snap->segments()[0].segment;
  auto addressing = seg.postings_for(index::word_docs_key("body", "addressing"));
  REQUIRE(addressing.is_ok());
  REQUIRE(addressing->has_value());
  CHECK((*addressing)->doc_freq() == 1);  // "x" was deleted
  auto got = q(*s, "addresing");
  REQUIRE(got.size() == 3);
  CHECK(got[0] == "a");
}

TEST_CASE("typo tolerance: a stem with one word in each segment, before and after they merge") {
  auto s = make_index({{"b", "address address address book"}});
  Json d = Json::object();
  d.set("id", "a");
  d.set("body", "addressing the problem");
  std::vector<Json> more;
  more.push_back(std::move(d));
  for (auto& r : s->idx->put_many(more)) REQUIRE(r.is_ok());
  REQUIRE(s->idx->refresh().is_ok());
  s->snap = s->idx->snapshot();
  REQUIRE(s->snap->segments().size() == 2);
  // Each segment holds one word of the stem: no word postings, only the marker.
  for (const auto& v : s->snap->segments()) {
    for (const char* w : {"address", "addressing"}) {
      auto tp = v.segment->postings_for(index::word_docs_key("body", w));
      REQUIRE(tp.is_ok());
      CHECK_FALSE(tp->has_value());
    }
    auto marker = v.segment->postings_for(index::kWordDocsMarker);
    REQUIRE(marker.is_ok());
    CHECK(marker->has_value());
  }
  CHECK(q(*s, "addresing") == std::vector<std::string>{"a", "b"});
  // Merged, the stem has two words: each gets the documents it holds.
  REQUIRE(s->idx->force_merge().is_ok());
  s->snap = s->idx->snapshot();
  REQUIRE(s->snap->segments().size() == 1);
  const auto& seg = *s->snap->segments()[0].segment;
  for (const char* w : {"address", "addressing"}) {
    auto tp = seg.postings_for(index::word_docs_key("body", w));
    REQUIRE(tp.is_ok());
    REQUIRE(tp->has_value());
    CHECK((*tp)->doc_freq() == 1);
  }
  std::string stem;
  bool itemized = false;
  REQUIRE(seg.words());
  auto known = index::find_surface_word(*seg.words(), "body", "address", &stem, &itemized);
  REQUIRE(known.is_ok());
  CHECK(*known);
  CHECK(itemized);
  CHECK(q(*s, "addresing") == std::vector<std::string>{"a", "b"});
}
