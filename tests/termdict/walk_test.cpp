#include "meridian/termdict/automaton_walk.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "meridian/termdict/levenshtein.h"
#include "meridian/termdict/regex.h"
#include "meridian/termdict/term_dict_reader.h"
#include "meridian/termdict/term_dict_writer.h"
#include "meridian/termdict/wildcard.h"

using namespace meridian;
using namespace meridian::termdict;

namespace {

// A sorted-vector term source that counts its moves and checks that the walk
// only ever seeks forward.
struct Counters {
  size_t seeks = 0, nexts = 0;
  bool went_backwards = false;
  size_t steps() const { return seeks + nexts; }
};

class VectorSource {
 public:
  VectorSource(const std::vector<std::string>* terms, Counters* counters) : terms_(terms), c_(counters) {}
  bool valid() const { return pos_ < terms_->size(); }
  std::string_view term() const { return (*terms_)[pos_]; }
  void next() {
    ++c_->nexts;
    ++pos_;
  }
  void seek(std::string_view s) {
    ++c_->seeks;
    if (valid() && s <= term() && c_->seeks > 1) c_->went_backwards = true;
    pos_ = static_cast<size_t>(std::lower_bound(terms_->begin(), terms_->end(), s) - terms_->begin());
  }

 private:
  const std::vector<std::string>* terms_;
  Counters* c_;
  size_t pos_ = 0;
};
static_assert(TermIterator<VectorSource>);

const std::vector<std::string> kPieces = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "k", "l", "m",
                                          "n", "o", "r", "s", "t", "u", "é", "ß", "漢", "🙂"};

std::string random_word(std::mt19937& rng, size_t min_len, size_t max_len) {
  std::string w;
  size_t len = min_len + rng() % (max_len - min_len + 1);
  for (size_t i = 0; i < len; ++i) w += kPieces[rng() % kPieces.size()];
  return w;
}

std::vector<std::string> random_terms(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::set<std::string> s;
  while (s.size() < n) s.insert(random_word(rng, 1, 9));
  s.insert("");
  s.insert(std::string("\xff\xfe", 2));  // not UTF-8: never matches a code-point pattern
  return {s.begin(), s.end()};
}

std::vector<std::string> walk(const Automaton& a, const std::vector<std::string>& terms, Counters* c,
                              size_t max = SIZE_MAX) {
  std::vector<std::string> out;
  REQUIRE(intersect(a, VectorSource(&terms, c), [&](std::string_view t) { out.emplace_back(t); }, max).is_ok());
  return out;
}

template <class Pred>
std::vector<std::string> brute_force(const std::vector<std::string>& terms, Pred pred) {
  std::vector<std::string> out;
  for (const auto& t : terms)
    if (pred(t)) out.push_back(t);
  return out;
}

}  // namespace

TEST_CASE("walk: fuzzy expansion equals a brute-force scan and seeks far less than it scans") {
  const auto terms = random_terms(20000, 1);
  std::mt19937 rng(5);
  size_t total_steps = 0, total_found = 0, queries = 0;
  for (int q = 0; q < 40; ++q) {
    // Half the queries are dictionary terms, half random words.
    std::string query = q % 2 ? terms[rng() % terms.size()] : random_word(rng, 2, 8);
    int k = 1 + q % 2;
    bool tr = (q / 2) % 2;
    auto a = levenshtein_automaton(query, k, tr);
    REQUIRE(a.is_ok());
    Counters c;
    auto got = walk(*a, terms, &c);
    auto want = brute_force(terms, [&](const std::string& t) { return edit_distance(query, t, tr) <= k; });
    CHECK_MESSAGE(got == want, query << " k=" << k);
    CHECK_FALSE(c.went_backwards);
    // With k = 1 a query touches under 1% of this dense random dictionary. With
    // k = 2 every 2-character prefix is live, so each live 3-character prefix
    // present in the dictionary costs a step: about 16% here, far less on real
    // vocabularies whose prefixes are less uniform.
    CHECK(c.steps() < terms.size() / (k == 1 ? 50 : 4));
    total_steps += c.steps();
    total_found += got.size();
    ++queries;
  }
  MESSAGE("fuzzy: " << queries << " queries over " << terms.size() << " terms: " << total_found
                    << " matches, " << total_steps << " iterator steps in total");
}

TEST_CASE("walk: the state passed to the callback gives the edit distance") {
  const auto terms = random_terms(5000, 2);
  auto a = levenshtein_automaton("tesé", 2, true);
  REQUIRE(a.is_ok());
  Counters c;
  size_t n = 0;
  CHECK(intersect(*a, VectorSource(&terms, &c),
            [&](std::string_view t, Automaton::State s) {
              CHECK(a->match_value(s) == edit_distance("tesé", t, true));
              ++n;
            },
            SIZE_MAX).is_ok());
  CHECK(n > 0);
  CHECK(n == brute_force(terms, [](const std::string& t) { return edit_distance("tesé", t, true) <= 2; }).size());
}

TEST_CASE("walk: prefix, wildcard and regex expansion equal a brute-force scan") {
  const auto terms = random_terms(20000, 3);
  std::vector<std::pair<std::string, Result<Automaton>>> cases;
  cases.emplace_back("prefix ab", prefix_automaton("ab"));
  cases.emplace_back("prefix 漢", prefix_automaton("漢"));
  cases.emplace_back("prefix empty", prefix_automaton(""));
  cases.emplace_back("wildcard a?c*", wildcard_automaton("a?c*"));
  cases.emplace_back("wildcard *ß", wildcard_automaton("*ß"));
  cases.emplace_back("wildcard ??", wildcard_automaton("??"));
  cases.emplace_back("regex [a-c]+[^a-z]", regex_automaton("[a-c]+[^a-z]"));
  cases.emplace_back("regex (ab|🙂)e.*", regex_automaton("(ab|🙂)e.*"));
  cases.emplace_back("regex .*t{2}.*", regex_automaton(".*t{2}.*"));
  for (auto& [name, a] : cases) {
    REQUIRE(a.is_ok());
    Counters c;
    auto got = walk(*a, terms, &c);
    auto want = brute_force(terms, [&](const std::string& t) { return a->matches(t); });
    CHECK_MESSAGE(got == want, name);
    CHECK_FALSE(c.went_backwards);
    MESSAGE(name << ": " << got.size() << " matches, " << c.seeks << " seeks + " << c.nexts << " nexts");
    if (name.starts_with("prefix ab") || name.starts_with("wildcard a?c") || name.starts_with("regex (ab")) {
      CHECK(c.steps() <= got.size() + 200);  // selective patterns touch little besides their matches
    }
  }
  // Independent oracles for two of them.
  Counters c;
  auto p = prefix_automaton("ab");
  CHECK(walk(*p, terms, &c) == brute_force(terms, [](const std::string& t) { return t.starts_with("ab"); }));
  auto w = wildcard_automaton("*ß");
  CHECK(walk(*w, terms, &c) == brute_force(terms, [](const std::string& t) { return t.ends_with("ß"); }));
}

TEST_CASE("walk: max_expansions and a false return stop the walk") {
  const auto terms = random_terms(20000, 4);
  auto a = prefix_automaton("a");
  REQUIRE(a.is_ok());
  auto all_a = brute_force(terms, [](const std::string& t) { return t.starts_with("a"); });
  REQUIRE(all_a.size() > 50);
  Counters c;
  auto first10 = walk(*a, terms, &c, 10);
  CHECK(first10 == std::vector<std::string>(all_a.begin(), all_a.begin() + 10));
  CHECK(c.nexts == 9);
  CHECK(walk(*a, terms, &c, 0).empty());
  std::vector<std::string> seen;
  CHECK(intersect(*a, VectorSource(&terms, &c),
            [&](std::string_view t) {
              seen.emplace_back(t);
              return seen.size() < 3;
            },
            100).is_ok());
  CHECK(seen.size() == 3);
}

TEST_CASE("walk: intersect_with_prefix stays within one field") {
  std::vector<std::string> keys;
  const auto base = random_terms(3000, 5);
  for (const char* field : {"body", "title", "titles"}) {
    for (const auto& t : base) keys.push_back(std::string(field) + std::string(1, '\0') + t);
  }
  std::sort(keys.begin(), keys.end());
  const std::string prefix = std::string("title") + std::string(1, '\0');
  const std::string query = base[1234];
  auto a = levenshtein_automaton(query, 1, false);
  REQUIRE(a.is_ok());
  Counters c;
  std::vector<std::string> got, full_keys;
  CHECK(intersect_with_prefix(*a, prefix, VectorSource(&keys, &c),
                        [&](std::string_view t, Automaton::State, const VectorSource& it) {
                          got.emplace_back(t);
                          full_keys.emplace_back(it.term());
                        },
                        SIZE_MAX).is_ok());
  auto want = brute_force(base, [&](const std::string& t) { return edit_distance(query, t, false) <= 1; });
  REQUIRE_FALSE(want.empty());
  CHECK(got == want);
  for (size_t i = 0; i < got.size(); ++i) CHECK(full_keys[i] == prefix + got[i]);
  CHECK(c.steps() < base.size() / 5);
  // A prefix that no key has yields nothing.
  got.clear();
  CHECK(intersect_with_prefix(*a, "nope", VectorSource(&keys, &c), [&](std::string_view t) { got.emplace_back(t); },
                        SIZE_MAX).is_ok());
  CHECK(got.empty());
}

TEST_CASE("walk: edge cases of the source and the automaton") {
  Counters c;
  std::vector<std::string> empty;
  auto a = levenshtein_automaton("ab", 1, true);
  REQUIRE(a.is_ok());
  CHECK(walk(*a, empty, &c).empty());
  // The empty term, 0xff bytes and terms straddling the automaton's language.
  std::vector<std::string> terms = {"", "a", "ab", "abc", "b", "ba", "bb", "\xff", std::string("\xff\x00", 2)};
  std::sort(terms.begin(), terms.end());
  auto want = brute_force(terms, [](const std::string& t) { return edit_distance("ab", t, true) <= 1; });
  CHECK(walk(*a, terms, &c) == want);
  auto dot = levenshtein_automaton("", 1, false);  // "", and any one character
  REQUIRE(dot.is_ok());
  CHECK(walk(*dot, terms, &c) == std::vector<std::string>{"", "a", "b"});
  Automaton nothing;
  CHECK(walk(nothing, terms, &c).empty());
  auto all = prefix_automaton("");
  CHECK(walk(*all, terms, &c) == terms);
}

namespace {

// A source that breaks after a number of moves, like a dictionary meeting a
// damaged block: valid() turns false and status() tells why.
class FailingSource {
 public:
  FailingSource(const std::vector<std::string>* terms, size_t moves) : inner_(terms, &c_), left_(moves) {}
  bool valid() const { return status_.is_ok() && inner_.valid(); }
  std::string_view term() const { return inner_.term(); }
  void next() { move([&] { inner_.next(); }); }
  void seek(std::string_view s) { move([&] { inner_.seek(s); }); }
  const Status& status() const { return status_; }

 private:
  template <class F>
  void move(F f) {
    if (left_-- == 0) status_ = Status::corruption("seg.trm: block 3: bad crc");
    else f();
  }
  Counters c_;
  VectorSource inner_;
  size_t left_;
  Status status_;
};

}  // namespace

TEST_CASE("walk: a source error ends the walk and is returned, not mistaken for the end") {
  const auto terms = random_terms(2000, 6);
  auto a = prefix_automaton("");
  REQUIRE(a.is_ok());
  size_t n = 0;
  Status st = intersect(*a, FailingSource(&terms, 5), [&](std::string_view) { ++n; }, SIZE_MAX);
  CHECK(st.code() == Status::Code::kCorruption);
  CHECK(st.message().find("seg.trm") != std::string::npos);
  CHECK(n == 5);
  Status st2 = intersect_with_prefix(*a, "a", FailingSource(&terms, 3), [](std::string_view) {}, SIZE_MAX);
  CHECK(st2.code() == Status::Code::kCorruption);
  Counters c;
  CHECK(intersect(*a, VectorSource(&terms, &c), [](std::string_view) {}, SIZE_MAX).is_ok());
  CHECK(intersect(*a, FailingSource(&terms, 100000), [](std::string_view) {}, SIZE_MAX).is_ok());
}

TEST_CASE("walk: drives TermDictReader::Iterator like the vector source") {
  static_assert(TermIterator<TermDictReader::Iterator>);
  const auto terms = random_terms(20000, 7);
  TermDictWriter w;
  for (size_t i = 0; i < terms.size(); ++i) REQUIRE(w.add(terms[i], i).is_ok());
  std::string file = w.finish();
  auto r = TermDictReader::open(file, "walk.trm");
  REQUIRE(r.is_ok());
  for (int k = 1; k <= 2; ++k) {
    const std::string query = terms[777 * static_cast<size_t>(k)];
    auto a = levenshtein_automaton(query, k, true);
    REQUIRE(a.is_ok());
    std::vector<std::string> got;
    std::vector<uint64_t> values;
    Status st = intersect(*a, r->begin(),
                          [&](std::string_view t, Automaton::State, const TermDictReader::Iterator& it) {
                            got.emplace_back(t);
                            values.push_back(it.value());
                          },
                          SIZE_MAX);
    CHECK(st.is_ok());
    auto want = brute_force(terms, [&](const std::string& t) { return edit_distance(query, t, true) <= k; });
    CHECK(got == want);
    for (size_t i = 0; i < got.size(); ++i) CHECK(terms[values[i]] == got[i]);
  }
}

TEST_CASE("walk: the scan of a small source reports what the seeking walk does, with one seek") {
  CHECK(walk_mode_for(kScanTerms) == WalkMode::kScan);
  CHECK(walk_mode_for(kScanTerms + 1) == WalkMode::kSeek);
  const auto terms = random_terms(400, 7);
  std::vector<std::pair<std::string, Result<Automaton>>> cases;
  cases.emplace_back("fuzzy kaste 1", levenshtein_automaton("kaste", 1, true));
  cases.emplace_back("fuzzy ab 2", levenshtein_automaton("ab", 2, false));
  cases.emplace_back("prefix e", prefix_automaton("e"));
  cases.emplace_back("prefix empty", prefix_automaton(""));
  cases.emplace_back("regex .*t.*", regex_automaton(".*t.*"));
  cases.emplace_back("wildcard zzz*", wildcard_automaton("zzz*"));
  for (auto& [name, a] : cases) {
    REQUIRE(a.is_ok());
    for (size_t limit : {size_t{1}, size_t{5}, SIZE_MAX}) {
      Counters seek_c, scan_c;
      std::vector<std::string> by_seek, by_scan;
      REQUIRE(intersect(*a, VectorSource(&terms, &seek_c), [&](std::string_view t) { by_seek.emplace_back(t); },
                        limit, WalkMode::kSeek)
                  .is_ok());
      REQUIRE(intersect(*a, VectorSource(&terms, &scan_c), [&](std::string_view t) { by_scan.emplace_back(t); },
                        limit, WalkMode::kScan)
                  .is_ok());
      CHECK_MESSAGE(by_scan == by_seek, name << " limit " << limit);
      if (limit == SIZE_MAX)
        CHECK(by_scan == brute_force(terms, [&](const std::string& t) { return a->matches(t); }));
      CHECK(scan_c.seeks <= 1);  // the first target only, then next() alone
    }
  }
  // Within one field's keys too: the scan stops where the field's keys end.
  std::vector<std::string> keys;
  for (const char* k : {"a\x1f" "cat", "b\x1f" "bat", "b\x1f" "cat", "b\x1f" "cot", "c\x1f" "cat"}) keys.emplace_back(k);
  auto a = levenshtein_automaton("cat", 1, false);
  REQUIRE(a.is_ok());
  for (WalkMode mode : {WalkMode::kSeek, WalkMode::kScan}) {
    Counters c;
    std::vector<std::string> got;
    REQUIRE(intersect_with_prefix(*a, "b\x1f", VectorSource(&keys, &c), [&](std::string_view t) { got.emplace_back(t); },
                                  SIZE_MAX, mode)
                .is_ok());
    CHECK(got == std::vector<std::string>{"bat", "cat", "cot"});
  }
}
