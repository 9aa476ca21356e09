// Oracle tests of the searcher: block-max top-k vs exhaustive scoring, and
// term-walk leaves (ranges, patterns), minimum_should_match and facets vs
// brute force over the generated documents.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <random>
#include <regex>
#include <set>

#include "../test_util.h"
#include "meridian/index/index.h"
#include "meridian/query/query_string_parser.h"
#include "meridian/query/searcher.h"

using namespace meridian;
using namespace meridian::query;

namespace {

const char* kVocab[] = {"apple", "apply", "ample", "maple", "banana", "bandana", "cherry", "berry", "delta",
                        "deltas", "echo", "forest", "forests", "garden", "harbor", "island", "jungle", "kettle",
                        "lemon", "melon", "night", "knight", "ocean", "piano", "quartz", "river", "rivers",
                        "stone", "tiger", "umbrella"};
constexpr int kVocabSize = sizeof(kVocab) / sizeof(kVocab[0]);

struct Corpus {
  TempDir dir;
  std::unique_ptr<index::Index> idx;
  std::vector<Json> docs;  // live documents only
  std::shared_ptr<const index::Snapshot> snap;
};

std::string rand_key(std::mt19937& rng) {
  std::string s;
  int len = 1 + rng() % 4;
  for (int i = 0; i < len; ++i) s += static_cast<char>('a' + rng() % 5);
  return s;
}

// Zipf-like word choice, several segments, some deletes. `excluded` (when
// given) says which words (kVocab indices) segment s must not hold: apple
// (index 0) is written instead.
std::unique_ptr<Corpus> make_corpus(int n, uint32_t seed, int per_segment,
                                    const std::function<bool(int, int)>& excluded = nullptr) {
  auto c = std::make_unique<Corpus>();
  auto schema = index::Schema::from_json(*parse_json(
      R"({"fields":{"body":{"type":"text","language":"none","stem":false},"tag":"keyword","n":"int",
          "x":"float","when":"date","title":{"type":"text","language":"none","stem":false}}})"));
  REQUIRE(schema.is_ok());
  index::IndexOptions io;
  io.background = false;
  auto idx = index::Index::open(c->dir.path(), "t", io, &*schema);
  REQUIRE(idx.is_ok());
  c->idx = std::move(*idx);
  std::mt19937 rng(seed);
  std::vector<Json> batch;
  for (int i = 0; i < n; ++i) {
    std::string body;
    int len = 1 + rng() % 24;
    for (int w = 0; w < len; ++w) {
      double u = std::uniform_real_distribution<double>(0, 1)(rng);
      int k = std::min(static_cast<int>(std::pow(u, 2.5) * kVocabSize), kVocabSize - 1);
      if (excluded && excluded(i / per_segment, k)) k = 0;
      body += std::string(w ? " " : "") + kVocab[k];
    }
    Json d = Json::object();
    d.set("id", "d" + std::to_string(i));
    d.set("body", body);
    // A short second text field, derived from the body (the random sequence
    // stays the body's): its 1st and 4th words.
    {
      std::string title = body.substr(0, body.find(' '));
      size_t at = 0;
      for (int w = 0; w < 3 && at != std::string::npos; ++w) at = body.find(' ', at + 1);
      if (at != std::string::npos) title += " " + body.substr(at + 1, body.find(' ', at + 1) - at - 1);
      d.set("title", title);
    }
    d.set("tag", rand_key(rng));
    d.set("n", static_cast<int64_t>(rng() % 1000));
    d.set("x", std::round(std::uniform_real_distribution<double>(-50, 50)(rng) * 4) / 4);
    d.set("when", static_cast<int64_t>(1600000000000LL + (rng() % 1000) * 86400000LL));
    batch.push_back(d);
    if (static_cast<int>(batch.size()) == per_segment || i + 1 == n) {
      for (auto& r : c->idx->put_many(batch)) REQUIRE(r.is_ok());
      REQUIRE(c->idx->refresh().is_ok());
      for (auto& b : batch) c->docs.push_back(std::move(b));
      batch.clear();
    }
  }
  // Delete about 5% (spread over every segment).
  std::vector<Json> live;
  for (auto& d : c->docs) {
    if (rng() % 20 == 0) {
      REQUIRE(c->idx->remove(d.find("id")->as_string()).is_ok());
    } else {
      live.push_back(std::move(d));
    }
  }
  c->docs = std::move(live);
  REQUIRE(c->idx->refresh().is_ok());
  c->snap = c->idx->snapshot();
  REQUIRE(c->snap->segments().size() >= 2);
  return c;
}

// The words of s between spaces (empty ones skipped).
std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at <= s.size()) {
    size_t sp = s.find(' ', at);
    if (sp == std::string::npos) sp = s.size();
    if (sp > at) out.push_back(s.substr(at, sp - at));
    at = sp + 1;
  }
  return out;
}

std::vector<std::string> words_of(const Json& d) { return split_words(d.find("body")->as_string()); }

// Whether body or title of d holds the words of `phrase` adjacent and in order.
bool has_phrase(const Json& d, const std::vector<std::string>& phrase) {
  for (const char* f : {"body", "title"}) {
    const auto ws = split_words(d.find(f)->as_string());
    if (std::search(ws.begin(), ws.end(), phrase.begin(), phrase.end()) != ws.end()) return true;
  }
  return false;
}

bool has_word(const Json& d, const std::string& w) {
  auto ws = words_of(d);
  return std::find(ws.begin(), ws.end(), w) != ws.end();
}

std::set<std::string> ids_of(const SearchResponse& r) {
  std::set<std::string> s;
  for (const auto& h : r.hits) s.insert(h.id);
  return s;
}

std::set<std::string> oracle_ids(const Corpus& c, const std::function<bool(const Json&)>& pred) {
  std::set<std::string> s;
  for (const auto& d : c.docs)
    if (pred(d)) s.insert(d.find("id")->as_string());
  return s;
}

// req's top hits exhaustively and lazily (no count asked): the same ids and
// scores. Returns the documents each scored.
std::pair<uint64_t, uint64_t> check_lazy_equals_exhaustive(const Corpus& c, SearchRequest req) {
  SearchOptions slow;
  slow.exhaustive = true;
  auto e = search(*c.snap, req, slow);
  req.track_total_hits = 0;
  auto l = search(*c.snap, req, {});
  REQUIRE(e.is_ok());
  REQUIRE(l.is_ok());
  REQUIRE(l->hits.size() == e->hits.size());
  for (size_t i = 0; i < l->hits.size(); ++i) {
    CHECK(l->hits[i].id == e->hits[i].id);
    CHECK(l->hits[i].score == e->hits[i].score);
  }
  return {l->docs_scored, e->docs_scored};
}

SearchResponse run(const Corpus& c, const Query& q, size_t size = 5000, const SearchOptions& opt = {}) {
  SearchRequest req;
  req.query = q;
  req.size = size;
  req.track_total_hits = kTrackAllHits;
  auto r = search(*c.snap, req, opt);
  REQUIRE_MESSAGE(r.is_ok(), r.status().message());
  return std::move(*r);
}

// Glob with '*' and '?' over bytes (the tags are ASCII).
bool glob(std::string_view p, std::string_view s) {
  if (p.empty()) return s.empty();
  if (p[0] == '*') return glob(p.substr(1), s) || (!s.empty() && glob(p, s.substr(1)));
  if (s.empty()) return false;
  return (p[0] == '?' || p[0] == s[0]) && glob(p.substr(1), s.substr(1));
}

}  // namespace

TEST_CASE("searcher: block-max top-k equals exhaustive scoring on hundreds of random queries (ids and scores)") {
  auto c = make_corpus(2400, 11, 800);
  std::mt19937 rng(12);
  for (int round = 0; round < 300; ++round) {
    SearchRequest req;
    std::string text;
    int words = 1 + rng() % 4;
    for (int w = 0; w < words; ++w) text += std::string(w ? " " : "") + kVocab[rng() % kVocabSize];
    switch (round % 7) {
      case 0: req.query = Match{"body", text}; break;
      case 6: {  // phrases: exact (the lazy disjunction's), sloppy, or with a filter
        Bool b;
        MatchPhrase body{"body", text};
        MatchPhrase title{"title", text};
        if (round % 21 == 6) body.slop = 2;
        title.boost = 2;
        b.should = {body, title};
        if (round % 14 == 13) b.should.push_back(Match{"body", kVocab[rng() % kVocabSize]});
        req.query = b;
        if (round % 28 == 27) req.filters.push_back(Term{"tag", Json(rand_key(rng))});
        break;
      }
      case 4: case 5: {  // two fields: a dis_max of sums (best_fields) or a sum of sums (most_fields)
        MultiMatch m;
        m.fields = {{"body", 1}, {"title", round % 12 == 4 ? 1.0 : 2.5}};
        m.text = text;
        m.type = round % 7 == 4 ? MultiMatchType::kBestFields : MultiMatchType::kMostFields;
        if (round % 21 == 5) m.fuzziness = Fuzziness::fixed(1);
        req.query = m;
        break;
      }
      case 1: req.query = parse_simple(text, {{"body", 1}}, Operator::kOr); break;  // fuzzy AUTO + prefix
      case 2: {
        Match m{"body", text};
        m.fuzziness = Fuzziness::fixed(1);
        req.query = m;
        req.filters.push_back(Term{"tag", Json(rand_key(rng))});
        break;
      }
      default: {
        Bool b;
        for (int w = 0; w < words; ++w) b.should.push_back(Match{"body", kVocab[rng() % kVocabSize]});
        req.query = b;
        break;
      }
    }
    req.size = 1 + rng() % 25;
    req.from = rng() % 3 == 0 ? rng() % 10 : 0;
    SearchOptions fast, slow;
    slow.exhaustive = true;
    auto a = search(*c->snap, req, fast);
    auto b = search(*c->snap, req, slow);
    REQUIRE(a.is_ok());
    REQUIRE(b.is_ok());
    CHECK(a->total == b->total);
    REQUIRE(a->hits.size() == b->hits.size());
    for (size_t i = 0; i < a->hits.size(); ++i) {
      CHECK(a->hits[i].id == b->hits[i].id);
      CHECK(a->hits[i].score == b->hits[i].score);
    }
    CHECK(a->docs_scored <= b->docs_scored);
    // No count asked: a disjunction runs lazily (no bitmap of the query),
    // with the same hits and scores; the total only says whether any matched.
    SearchRequest no_count = req;
    no_count.track_total_hits = 0;
    auto l = search(*c->snap, no_count, fast);
    REQUIRE(l.is_ok());
    CHECK(l->total == 0);
    CHECK(l->total_is_lower_bound == (b->total > 0));
    REQUIRE(l->hits.size() == b->hits.size());
    for (size_t i = 0; i < l->hits.size(); ++i) {
      CHECK(l->hits[i].id == b->hits[i].id);
      CHECK(l->hits[i].score == b->hits[i].score);
    }
  }
}

TEST_CASE("searcher: conjunctions run lazily with the exhaustive ids and scores") {
  auto c = make_corpus(2400, 11, 800);
  std::mt19937 rng(21);
  auto word = [&] { return std::string(kVocab[rng() % kVocabSize]); };
  for (int round = 0; round < 240; ++round) {
    SearchRequest req;
    std::string text;
    const int words = 2 + rng() % 3;
    for (int w = 0; w < words; ++w) text += std::string(w ? " " : "") + word();
    switch (round % 6) {
      case 0: {  // match with operator and
        Match m{"body", text};
        m.op = Operator::kAnd;
        req.query = m;
        break;
      }
      case 1: {  // multi_match and: per field a conjunction, or per word a dis_max
        MultiMatch m;
        m.fields = {{"body", 1}, {"title", round % 12 == 1 ? 1.0 : 2.5}};
        m.text = text;
        m.op = Operator::kAnd;
        m.type = round % 4 == 1 ? MultiMatchType::kBestFields : MultiMatchType::kMostFields;
        req.query = m;
        break;
      }
      case 2: {  // fuzzy words, a filter
        Match m{"body", text};
        m.op = Operator::kAnd;
        m.fuzziness = Fuzziness::fixed(1);
        req.query = m;
        req.filters.push_back(Term{"tag", Json(rand_key(rng))});
        break;
      }
      case 3: {  // a word and an exact phrase
        Bool b;
        MatchPhrase phrase{"body", word() + " " + word()};
        if (round % 12 == 9) phrase.slop = 1 + round % 3;
        b.must = {Match{"body", word()}, phrase};
        req.query = b;
        break;
      }
      case 4: {  // a conjunction inside a disjunction, and a disjunction inside a conjunction
        Bool inner;
        inner.must = {Match{"body", word()}, Match{"title", word()}};
        Bool either;
        either.should = {Match{"body", word()}, Match{"body", word()}};
        Bool outer;
        outer.must = {either, Match{"body", word()}};
        Bool top;
        top.should = {inner, outer};
        req.query = top;
        break;
      }
      default: {  // a word missing from every segment: nothing matches
        Bool b;
        b.must = {Match{"body", word()}, Match{"body", "zzzunknown"}};
        req.query = b;
        break;
      }
    }
    req.size = 1 + rng() % 25;
    req.from = rng() % 3 == 0 ? rng() % 10 : 0;
    SearchOptions fast, slow;
    slow.exhaustive = true;
    auto a = search(*c->snap, req, fast);
    auto b = search(*c->snap, req, slow);
    REQUIRE(a.is_ok());
    REQUIRE(b.is_ok());
    CHECK(a->total == b->total);
    REQUIRE(a->hits.size() == b->hits.size());
    for (size_t i = 0; i < a->hits.size(); ++i) {
      CHECK(a->hits[i].id == b->hits[i].id);
      CHECK(a->hits[i].score == b->hits[i].score);
    }
    CHECK(a->docs_scored <= b->docs_scored);
    SearchRequest no_count = req;
    no_count.track_total_hits = 0;
    auto l = search(*c->snap, no_count, fast);
    REQUIRE(l.is_ok());
    CHECK(l->total_is_lower_bound == (b->total > 0));
    REQUIRE(l->hits.size() == b->hits.size());
    for (size_t i = 0; i < l->hits.size(); ++i) {
      CHECK(l->hits[i].id == b->hits[i].id);
      CHECK(l->hits[i].score == b->hits[i].score);
    }
  }
}

TEST_CASE("searcher: boosted bool and multi_match clauses run lazily with the exhaustive ids and scores") {
  auto c = make_corpus(2400, 11, 800);
  std::mt19937 rng(31);
  auto word = [&] { return std::string(kVocab[rng() % kVocabSize]); };
  const double kBoosts[] = {0, 0.5, 1, 2, 3.7};
  auto boost = [&] { return kBoosts[rng() % 5]; };
  uint64_t lazy_scored = 0, exhaustive_scored = 0;
  for (int round = 0; round < 200; ++round) {
    SearchRequest req;
    switch (round % 4) {
      case 0: {  // boosted should clauses, one of them a boosted bool of must clauses
        Bool inner;
        inner.must = {Match{"body", word()}, Match{"title", word()}};
        inner.boost = boost();
        Match m{"body", word() + " " + word()};
        m.boost = boost();
        Bool top;
        top.should = {inner, m, Match{"title", word()}};
        top.boost = boost();
        req.query = top;
        break;
      }
      case 1: {  // a boosted multi_match (a dis_max of fields), inside a boosted bool
        MultiMatch mm;
        mm.fields = {{"body", 1}, {"title", 2.5}};
        mm.text = word() + " " + word();
        mm.type = round % 8 == 1 ? MultiMatchType::kBestFields : MultiMatchType::kMostFields;
        mm.boost = boost();
        Bool top;
        top.should = {mm, Match{"body", word()}};
        top.boost = boost();
        req.query = top;
        break;
      }
      case 2: {  // a boosted conjunction of a word and a phrase
        Bool b;
        MatchPhrase phrase{"body", word() + " " + word()};
        phrase.boost = boost();
        b.must = {Match{"body", word()}, phrase};
        b.boost = boost();
        req.query = b;
        break;
      }
      default: {  // boosted disjunction of a disjunction and a conjunction
        Bool either;
        either.should = {Match{"body", word()}, Match{"body", word()}};
        either.boost = boost();
        Bool both;
        both.must = {Match{"body", word()}, Match{"body", word()}};
        both.boost = boost();
        Bool top;
        top.should = {either, both};
        top.boost = boost();
        req.query = top;
        break;
      }
    }
    req.size = 1 + rng() % 15;
    req.track_total_hits = 0;
    SearchOptions fast, slow;
    slow.exhaustive = true;
    auto l = search(*c->snap, req, fast);
    auto b = search(*c->snap, req, slow);
    REQUIRE(l.is_ok());
    REQUIRE(b.is_ok());
    REQUIRE(l->hits.size() == b->hits.size());
    for (size_t i = 0; i < l->hits.size(); ++i) {
      CHECK(l->hits[i].id == b->hits[i].id);
      CHECK(l->hits[i].score == b->hits[i].score);
    }
    lazy_scored += l->docs_scored;
    exhaustive_scored += b->docs_scored;
  }
  // Run lazily, the block bounds (scaled by the boosts) skip documents.
  CHECK(lazy_scored * 2 < exhaustive_scored);
  MESSAGE("boosted: " << lazy_scored << " documents scored lazily, " << exhaustive_scored << " exhaustively");
}

TEST_CASE("searcher: a sloppy phrase runs lazily, bounded by its terms' summed frequencies") {
  TempDir dir;
  auto schema = index::Schema::from_json(
      *parse_json(R"({"fields":{"body":{"type":"text","language":"none","stem":false}}})"));
  index::IndexOptions io;
  io.background = false;
  auto idx = index::Index::open(dir.path(), "t", io, &*schema);
  REQUIRE(idx.is_ok());
  // "a b a" holds "a b" twice within slop 2 (a-b, then b-a), more often than
  // either word's smallest frequency: a bound by min(tf), as for an exact
  // phrase, would skip it behind the 20 short "a b" documents at the start
  // (the later ones are longer, so their blocks are skipped).
  std::vector<Json> batch;
  for (int i = 0; i < 600; ++i) {
    Json d = Json::object();
    d.set("id", std::to_string(i));
    d.set("body", i == 400 ? "alpha beta alpha" : i < 20 ? "alpha beta" : "alpha beta f1 f2 f3 f4");
    batch.push_back(std::move(d));
  }
  for (auto& r : (*idx)->put_many(batch)) REQUIRE(r.is_ok());
  REQUIRE((*idx)->refresh().is_ok());
  auto snap = (*idx)->snapshot();
  MatchPhrase p{"body", "alpha beta"};
  p.slop = 2;
  SearchRequest req;
  req.query = p;
  req.size = 5;
  req.track_total_hits = 0;
  SearchOptions slow;
  slow.exhaustive = true;
  auto a = search(*snap, req, {});
  req.track_total_hits = kTrackAllHits;
  auto b = search(*snap, req, slow);
  REQUIRE(a.is_ok());
  REQUIRE(b.is_ok());
  REQUIRE(a->hits.size() == 5);
  REQUIRE(b->hits.size() == 5);
  CHECK(b->hits[0].id == "400");
  for (size_t i = 0; i < 5; ++i) {
    CHECK(a->hits[i].id == b->hits[i].id);
    CHECK(a->hits[i].score == b->hits[i].score);
  }
  CHECK(a->docs_scored < 600);  // lazily: the later blocks of plain "alpha beta" are skipped
}

TEST_CASE("searcher: a conjunction's block bounds skip the blocks that cannot enter the top-k") {
  TempDir dir;
  auto schema = index::Schema::from_json(
      *parse_json(R"({"fields":{"body":{"type":"text","language":"none","stem":false}}})"));
  index::IndexOptions io;
  io.background = false;
  auto idx = index::Index::open(dir.path(), "t", io, &*schema);
  REQUIRE(idx.is_ok());
  // Every document holds both words; the first 20 are short (the best
  // scores), the others long, except every 2000th, short again.
  std::vector<Json> batch;
  const int n = 6000;
  for (int i = 0; i < n; ++i) {
    std::string body = "common rare";
    if (i >= 20 && i % 2000 != 1000)
      for (int w = 0; w < 20; ++w) body += " filler" + std::to_string((i + w) % 50);
    Json d = Json::object();
    d.set("id", std::to_string(i));
    d.set("body", body);
    batch.push_back(std::move(d));
  }
  for (auto& r : (*idx)->put_many(batch)) REQUIRE(r.is_ok());
  REQUIRE((*idx)->refresh().is_ok());
  auto snap = (*idx)->snapshot();
  for (bool count : {true, false}) {
    CAPTURE(count);
    Match m{"body", "rare common"};
    m.op = Operator::kAnd;
    SearchRequest req;
    req.query = m;
    req.size = 10;
    req.track_total_hits = count ? kTrackAllHits : 0;
    SearchOptions slow;
    slow.exhaustive = true;
    auto a = search(*snap, req, {});
    auto b = search(*snap, req, slow);
    REQUIRE(a.is_ok());
    REQUIRE(b.is_ok());
    CHECK(b->docs_scored == static_cast<uint64_t>(n));
    CHECK(a->docs_scored * 10 < static_cast<uint64_t>(n));
    if (count) CHECK(a->total == static_cast<uint64_t>(n));
    REQUIRE(a->hits.size() == 10);
    for (size_t i = 0; i < 10; ++i) {
      CHECK(a->hits[i].id == b->hits[i].id);
      CHECK(a->hits[i].score == b->hits[i].score);
    }
  }
}

TEST_CASE("searcher: block-max scores far fewer documents than match for size 10") {
  TempDir dir;
  auto schema = index::Schema::from_json(
      *parse_json(R"({"fields":{"body":{"type":"text","language":"none","stem":false}}})"));
  index::IndexOptions io;
  io.background = false;
  auto idx = index::Index::open(dir.path(), "t", io, &*schema);
  REQUIRE(idx.is_ok());
  std::vector<Json> batch;
  const int n = 6000;
  for (int i = 0; i < n; ++i) {
    // Strong documents in the first block; the rest mention "common" once among
    // many other words, and every 200th also "rare".
    std::string body = i < 20 ? "common common common common rare" : "common";
    if (i >= 20) {
      for (int w = 0; w < 10 + i % 20; ++w) body += " filler" + std::to_string((i + w) % 50);
      if (i % 200 == 100) body += " rare";
    }
    Json d = Json::object();
    d.set("id", std::to_string(i));
    d.set("body", body);
    batch.push_back(std::move(d));
  }
  for (auto& r : (*idx)->put_many(batch)) REQUIRE(r.is_ok());
  REQUIRE((*idx)->refresh().is_ok());
  auto snap = (*idx)->snapshot();
  // "common": block maxima skip every block after the first; "common rare":
  // "common" alone cannot reach the threshold, only "rare" documents are candidates.
  for (const char* text : {"common", "common rare", "rare common filler3"}) {
    CAPTURE(text);
    SearchRequest req;
    req.query = Match{"body", text};
    req.size = 10;
    SearchOptions slow;
    slow.exhaustive = true;
    auto a = search(*snap, req, {});
    auto b = search(*snap, req, slow);
    REQUIRE(a.is_ok());
    REQUIRE(b.is_ok());
    CHECK(a->total == static_cast<uint64_t>(n));
    CHECK(b->docs_scored == static_cast<uint64_t>(n));
    CHECK(a->docs_scored * 10 < a->total);
    REQUIRE(a->hits.size() == 10);
    for (size_t i = 0; i < 10; ++i) {
      CHECK(a->hits[i].id == b->hits[i].id);
      CHECK(a->hits[i].score == b->hits[i].score);
    }
  }
}

TEST_CASE("searcher: an exact phrase with no count asked runs lazily, its block bounds never dropping a better document") {
  TempDir dir;
  auto schema = index::Schema::from_json(
      *parse_json(R"({"fields":{"body":{"type":"text","language":"none","stem":false}}})"));
  index::IndexOptions io;
  io.background = false;
  auto idx = index::Index::open(dir.path(), "t", io, &*schema);
  REQUIRE(idx.is_ok());
  // Short documents with the phrase once come first (the threshold); later
  // blocks hold longer ones with it once, and every 500th three times, which
  // beats the short ones only through its frequency.
  std::vector<Json> batch;
  const int n = 3000;
  for (int i = 0; i < n; ++i) {
    std::string body = i < 20 ? "alpha beta"
                       : i % 500 == 250 ? "alpha beta alpha beta alpha beta f1 f2 f3 f4 f5 f6"
                                        : "alpha beta f1 f2 f3 f4 f5 f6 f7 f8 f9 f10";
    if (i % 7 == 3) body = "beta alpha" + body.substr(10);  // the words, not the phrase
    Json d = Json::object();
    d.set("id", std::to_string(i));
    d.set("body", body);
    batch.push_back(std::move(d));
  }
  for (auto& r : (*idx)->put_many(batch)) REQUIRE(r.is_ok());
  REQUIRE((*idx)->refresh().is_ok());
  auto snap = (*idx)->snapshot();
  SearchRequest req;
  req.query = MatchPhrase{"body", "alpha beta"};
  req.size = 5;
  SearchOptions slow;
  slow.exhaustive = true;
  auto b = search(*snap, req, slow);
  req.track_total_hits = 0;
  auto a = search(*snap, req, {});
  REQUIRE(a.is_ok());
  REQUIRE(b.is_ok());
  CHECK(a->total == 0);
  CHECK(a->total_is_lower_bound);
  REQUIRE(a->hits.size() == 5);
  REQUIRE(b->hits.size() == 5);
  for (size_t i = 0; i < 5; ++i) {
    CHECK(a->hits[i].id == b->hits[i].id);
    CHECK(a->hits[i].score == b->hits[i].score);
    // The frequent ones win: the 500th documents.
    CHECK(std::stoi(a->hits[i].id) % 500 == 250);
  }
  // Only the first block and the six blocks holding a frequent one can
  // beat the threshold (of 2,572 phrase documents).
  CHECK(a->docs_scored * 3 < b->docs_scored);
  // A phrase that occurs nowhere: no hit, and the total says none.
  req.query = MatchPhrase{"body", "beta beta"};
  auto none = search(*snap, req, {});
  REQUIRE(none.is_ok());
  CHECK(none->hits.empty());
  CHECK_FALSE(none->total_is_lower_bound);
}

TEST_CASE("searcher: phrases over two fields with deletes match a brute-force scan; lazy top-k equals exhaustive") {
  // Thirty words over 6,000 documents: every word spans many blocks of 128
  // in each segment, so the phrase's candidates land deep inside their
  // terms' blocks (PostingCursor's landing) in both the lazy and the
  // exhaustive path: the ids are checked against the documents' text itself.
  auto c = make_corpus(6000, 23, 2000);
  std::mt19937 rng(24);
  for (int round = 0; round < 40; ++round) {
    std::vector<std::string> phrase;
    for (int w = 0, n = 2 + round % 2; w < n; ++w) phrase.push_back(kVocab[rng() % kVocabSize]);
    std::string text = phrase[0];
    for (size_t w = 1; w < phrase.size(); ++w) text += " " + phrase[w];
    Bool b;
    b.should = {MatchPhrase{"body", text}, MatchPhrase{"title", text}};
    SearchResponse all = run(*c, b);
    CHECK(ids_of(all) == oracle_ids(*c, [&](const Json& d) { return has_phrase(d, phrase); }));
    SearchRequest req;
    req.query = b;
    req.size = 10;
    check_lazy_equals_exhaustive(*c, req);
  }
}

TEST_CASE("searcher: phrases of repeated words, of words some segments lack, sloppy or boosted: lazy equals exhaustive") {
  // A phrase's candidates are the intersection of its terms' documents; the
  // lazy scorer reaches them through seek_member (counted, not read) and
  // skips the documents outside them without moving the phrase's cursors.
  // Three segments, each lacking some rare words; deletes in each.
  auto c = make_corpus(6000, 37, 2000, [](int seg, int k) { return k >= 18 && k % 3 == seg; });
  std::mt19937 rng(38);
  auto word = [&] {
    // Rare words (index >= 18, each missing from one segment) half the time.
    return std::string(kVocab[rng() % 2 ? rng() % kVocabSize : 18 + rng() % (kVocabSize - 18)]);
  };
  const double kBoosts[] = {0.5, 1, 2.5};
  uint64_t lazy_scored = 0, exhaustive_scored = 0;
  for (int round = 0; round < 120; ++round) {
    std::vector<std::string> words;
    switch (round % 4) {
      case 0: words = {word()}, words.push_back(words[0]); break;           // "w w"
      case 1: words = {word(), word()}, words.push_back(words[0]); break;   // "w1 w2 w1"
      default: words = {word(), word()}; break;
    }
    std::string text = words[0];
    for (size_t w = 1; w < words.size(); ++w) text += " " + words[w];
    MatchPhrase body{"body", text}, title{"title", text};
    const bool exact = round % 4 != 2;
    if (!exact) body.slop = title.slop = 1 + round % 3;
    body.boost = kBoosts[rng() % 3];
    title.boost = kBoosts[rng() % 3];
    SearchRequest req;
    if (round % 5 == 4) {  // a conjunction of a word and the phrase
      Bool b;
      b.must = {Match{"body", word()}, body};
      req.query = b;
    } else {
      Bool b;
      b.should = {body, title};
      req.query = b;
    }
    req.size = 10;
    const auto [lazy, exhaustive] = check_lazy_equals_exhaustive(*c, req);
    lazy_scored += lazy;
    exhaustive_scored += exhaustive;
    if (exact && round % 5 != 4) {  // the matches themselves, from the text
      Bool b;
      b.should = {MatchPhrase{"body", text}, MatchPhrase{"title", text}};
      CHECK(ids_of(run(*c, b)) == oracle_ids(*c, [&](const Json& d) { return has_phrase(d, words); }));
    }
  }
  CHECK(lazy_scored < exhaustive_scored);
}

TEST_CASE("searcher: bool minimum_should_match > 1 agrees with counting matched clauses") {
  auto c = make_corpus(900, 21, 300);
  std::mt19937 rng(22);
  for (int round = 0; round < 60; ++round) {
    Bool b;
    std::vector<std::string> ws;
    int k = 2 + rng() % 3;
    for (int i = 0; i < k; ++i) {
      ws.push_back(kVocab[rng() % 12]);
      b.should.push_back(Match{"body", ws.back()});
    }
    int msm = 2 + rng() % (k - 1);
    b.minimum_should_match = MinimumShouldMatch{MinimumShouldMatch::Kind::kCount, msm};
    bool with_must = round % 3 == 0;
    if (with_must) b.must.push_back(Match{"body", "apple"});
    auto want = oracle_ids(*c, [&](const Json& d) {
      int hits = 0;
      for (const auto& w : ws) hits += has_word(d, w);
      return hits >= msm && (!with_must || has_word(d, "apple"));
    });
    auto r = run(*c, b);
    CHECK(ids_of(r) == want);
    CHECK(r.total == want.size());
  }
}

TEST_CASE("searcher: numeric, date and keyword ranges (term walk or column scan) agree with brute force") {
  auto c = make_corpus(1500, 31, 700);
  std::mt19937 rng(32);
  auto pick = [&](std::optional<Json>* gt, std::optional<Json>* gte, std::optional<Json>* lt,
                  std::optional<Json>* lte, const std::function<Json()>& value) {
    switch (rng() % 3) {
      case 0: *gt = value(); break;
      case 1: *gte = value(); break;
      default: break;
    }
    switch (rng() % 3) {
      case 0: *lt = value(); break;
      case 1: *lte = value(); break;
      default: break;
    }
  };
  for (int round = 0; round < 240; ++round) {
    Range r;
    std::function<bool(const Json&)> pred;
    const int kind = round % 4;
    if (kind == 0) {  // int, with integer or fractional bounds, narrow or wide
      r.field = "n";
      int center = rng() % 1000, width = rng() % 2 ? rng() % 15 : rng() % 600;
      auto value = [&] {
        int v = center + static_cast<int>(rng() % (width + 1)) - width / 2;
        return rng() % 3 == 0 ? Json(v + 0.5) : Json(static_cast<int64_t>(v));
      };
      pick(&r.gt, &r.gte, &r.lt, &r.lte, value);
      pred = [&](const Json& d) {
        double v = static_cast<double>(d.find("n")->as_int());
        return (!r.gt || v > r.gt->as_double()) && (!r.gte || v >= r.gte->as_double()) &&
               (!r.lt || v < r.lt->as_double()) && (!r.lte || v <= r.lte->as_double());
      };
    } else if (kind == 1) {  // float
      r.field = "x";
      auto value = [&] { return Json(std::round(std::uniform_real_distribution<double>(-55, 55)(rng) * 4) / 4); };
      pick(&r.gt, &r.gte, &r.lt, &r.lte, value);
      pred = [&](const Json& d) {
        double v = d.find("x")->as_double();
        return (!r.gt || v > r.gt->as_double()) && (!r.gte || v >= r.gte->as_double()) &&
               (!r.lt || v < r.lt->as_double()) && (!r.lte || v <= r.lte->as_double());
      };
    } else if (kind == 2) {  // date as epoch millis
      r.field = "when";
      auto value = [&] { return Json(static_cast<int64_t>(1600000000000LL + (rng() % 1000) * 86400000LL)); };
      pick(&r.gt, &r.gte, &r.lt, &r.lte, value);
      pred = [&](const Json& d) {
        int64_t v = d.find("when")->as_int();
        return (!r.gt || v > r.gt->as_int()) && (!r.gte || v >= r.gte->as_int()) &&
               (!r.lt || v < r.lt->as_int()) && (!r.lte || v <= r.lte->as_int());
      };
    } else {  // keyword
      r.field = "tag";
      auto value = [&] { return Json(rand_key(rng)); };
      pick(&r.gt, &r.gte, &r.lt, &r.lte, value);
      pred = [&](const Json& d) {
        std::string v = d.find("tag")->as_string();
        return (!r.gt || v > r.gt->as_string()) && (!r.gte || v >= r.gte->as_string()) &&
               (!r.lt || v < r.lt->as_string()) && (!r.lte || v <= r.lte->as_string());
      };
    }
    CAPTURE(to_string(Query(r)));
    auto want = oracle_ids(*c, pred);
    auto got = run(*c, r);
    CHECK(ids_of(got) == want);
  }
  // Dates as RFC 3339 strings, and bounds beyond the int64 range.
  Range d;
  d.field = "when";
  d.gte = Json("2020-09-13T12:26:40Z");  // 1600000000000 ms
  d.lt = Json("2020-09-20T12:26:40Z");
  auto want = oracle_ids(*c, [](const Json& x) {
    int64_t v = x.find("when")->as_int();
    return v >= 1600000000000LL && v < 1600000000000LL + 7 * 86400000LL;
  });
  CHECK(ids_of(run(*c, d)) == want);
  Range huge;
  huge.field = "n";
  huge.gt = Json(1e300);
  CHECK(run(*c, huge).total == 0);
  huge.gt.reset();
  huge.gte = Json(-1e300);
  CHECK(run(*c, huge).total == c->docs.size());
  Range bad;
  bad.field = "n";
  bad.gte = Json("ten");
  SearchRequest req;
  req.query = bad;
  auto e = search(*c->snap, req, {});
  REQUIRE(!e.is_ok());
  CHECK(e.status().message().find("not a number") != std::string::npos);
}

TEST_CASE("searcher: prefix, wildcard and regexp queries agree with brute force") {
  auto c = make_corpus(900, 41, 300);
  std::mt19937 rng(42);
  const char* regexes[] = {"a.*", "[ab]c?.*", "(ab|ba)+", "c*d", ".?e.?", "[^a]b.*", "a{2}.*", "(d|e)(a|b|c)*"};
  for (int round = 0; round < 120; ++round) {
    Query q;
    std::function<bool(const Json&)> pred;
    const int kind = round % 4;
    if (kind == 0) {
      std::string p = rand_key(rng).substr(0, 1 + rng() % 2);
      q = Prefix{"tag", p};
      pred = [p](const Json& d) { return d.find("tag")->as_string().starts_with(p); };
    } else if (kind == 1) {
      std::string p = kVocab[rng() % kVocabSize];
      p = p.substr(0, 1 + rng() % 3);
      q = Prefix{"body", p};
      pred = [p](const Json& d) {
        for (const auto& w : words_of(d))
          if (w.starts_with(p)) return true;
        return false;
      };
    } else if (kind == 2) {
      std::string p;
      int len = 1 + rng() % 4;
      for (int i = 0; i < len; ++i) {
        int r = rng() % 4;
        p += r == 0 ? '*' : r == 1 ? '?' : static_cast<char>('a' + rng() % 5);
      }
      q = Wildcard{"tag", p};
      pred = [p](const Json& d) { return glob(p, d.find("tag")->as_string()); };
    } else {
      std::string p = regexes[rng() % (sizeof(regexes) / sizeof(regexes[0]))];
      q = Regexp{"tag", p};
      std::regex re(p);
      pred = [re](const Json& d) { return std::regex_match(d.find("tag")->as_string(), re); };
    }
    CAPTURE(to_string(q));
    auto want = oracle_ids(*c, pred);
    CHECK(ids_of(run(*c, q)) == want);
  }
}

TEST_CASE("searcher: a pattern matching more than max_pattern_terms terms is an invalid request") {
  auto c = make_corpus(300, 51, 150);
  SearchRequest req;
  req.query = Wildcard{"tag", "*"};
  SearchOptions opt;
  opt.max_pattern_terms = 5;
  auto r = search(*c->snap, req, opt);
  REQUIRE(!r.is_ok());
  CHECK(r.status().code() == Status::Code::kInvalidArgument);
  CHECK(r.status().message().find("wildcard '*' on field 'tag' matches more than max_pattern_terms = 5") !=
        std::string::npos);
  req.query = Regexp{"tag", "a.*"};
  CHECK(!search(*c->snap, req, opt).is_ok());
  req.query = Prefix{"tag", "a"};
  CHECK(!search(*c->snap, req, opt).is_ok());
  opt.max_pattern_terms = 100000;
  CHECK(search(*c->snap, req, opt).is_ok());
  req.query = Prefix{"tag", "zzz"};  // nothing matches: under any limit
  opt.max_pattern_terms = 0;
  CHECK(search(*c->snap, req, opt).is_ok());
}

TEST_CASE("searcher: range facet keys print numbers as written, never with an exponent") {
  auto c = make_corpus(300, 61, 100);
  SearchRequest req;
  FacetSpec rg;
  rg.kind = FacetSpec::Kind::kRange;
  rg.field = "n";
  rg.ranges = {FacetRange{std::nullopt, 100000.0, ""}, FacetRange{1.5, 2.5, ""}, FacetRange{-3.0, 0.1, ""},
               FacetRange{100000.0, std::nullopt, ""}, FacetRange{2e7, 1.25e9, ""}, FacetRange{1.0, 2.0, "mine"}};
  req.facets["rn"] = rg;
  req.size = 0;
  auto r = search(*c->snap, req, {});
  REQUIRE(r.is_ok());
  std::vector<std::string> keys;
  for (const auto& b : r->facets.find("rn")->find("buckets")->as_array()) keys.push_back(b.find("key")->as_string());
  CHECK(keys == std::vector<std::string>{"*-100000", "1.5-2.5", "-3-0.1", "100000-*", "20000000-1250000000", "mine"});
}

TEST_CASE("searcher: histogram and range facets equal brute-force counts") {
  auto c = make_corpus(900, 61, 300);
  SearchRequest req;
  req.query = Match{"body", "apple"};
  FacetSpec h;
  h.kind = FacetSpec::Kind::kHistogram;
  h.field = "x";
  h.interval = 10;
  FacetSpec rg;
  rg.kind = FacetSpec::Kind::kRange;
  rg.field = "n";
  rg.ranges = {FacetRange{std::nullopt, 100.0, ""}, FacetRange{100.0, 500.0, ""}, FacetRange{450.0, std::nullopt, ""}};
  req.facets["hx"] = h;
  req.facets["rn"] = rg;
  req.size = 0;
  auto r = search(*c->snap, req, {});
  REQUIRE(r.is_ok());
  std::map<double, int64_t> hist;
  int64_t ranges[3] = {0, 0, 0};
  for (const auto& d : c->docs) {
    if (!has_word(d, "apple")) continue;
    hist[std::floor(d.find("x")->as_double() / 10) * 10]++;
    int64_t n = d.find("n")->as_int();
    ranges[0] += n < 100;
    ranges[1] += n >= 100 && n < 500;
    ranges[2] += n >= 450;
  }
  const Json& hb = *r->facets.find("hx")->find("buckets");
  REQUIRE(hb.size() == hist.size());
  size_t i = 0;
  for (const auto& [key, n] : hist) {
    CHECK(hb.as_array()[i].find("key")->as_double() == key);
    CHECK(hb.as_array()[i].find("count")->as_int() == n);
    ++i;
  }
  const Json& rb = *r->facets.find("rn")->find("buckets");
  REQUIRE(rb.size() == 3);
  for (int k = 0; k < 3; ++k) CHECK(rb.as_array()[k].find("count")->as_int() == ranges[k]);
}
