#include "meridian/termdict/levenshtein.h"

#include <doctest/doctest.h>

#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "meridian/termdict/automaton_nfa.h"

using namespace meridian;
using namespace meridian::termdict;

namespace {

const std::vector<std::string> kPieces = {"a", "b", "c", "d", "e", "é", "ß", "漢", "字", "🙂"};

std::vector<std::string> split_chars(std::string_view s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t at = pos;
    decode_utf8(s, &pos);
    out.emplace_back(s.substr(at, pos - at));
  }
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x;
  return s;
}

std::string random_word(std::mt19937& rng, size_t min_len, size_t max_len) {
  std::string w;
  size_t len = min_len + rng() % (max_len - min_len + 1);
  for (size_t i = 0; i < len; ++i) w += kPieces[rng() % kPieces.size()];
  return w;
}

// Applies `edits` random edits (insert, delete, substitute, transpose), at the
// start and end of the word as often as in the middle.
std::string mutate(std::mt19937& rng, const std::string& word, int edits) {
  std::vector<std::string> c = split_chars(word);
  for (int i = 0; i < edits; ++i) {
    size_t where_kind = rng() % 3;  // 0 start, 1 end, 2 anywhere
    auto pos = [&](size_t n) -> size_t {
      if (n == 0) return 0;
      return where_kind == 0 ? 0 : where_kind == 1 ? n - 1 : rng() % n;
    };
    switch (rng() % 4) {
      case 0: {
        size_t p = where_kind == 1 ? c.size() : pos(c.size() + 1);
        c.insert(c.begin() + static_cast<long>(p), kPieces[rng() % kPieces.size()]);
        break;
      }
      case 1:
        if (!c.empty()) c.erase(c.begin() + static_cast<long>(pos(c.size())));
        break;
      case 2:
        if (!c.empty()) c[pos(c.size())] = kPieces[rng() % kPieces.size()];
        break;
      default:
        if (c.size() >= 2) {
          size_t p = pos(c.size() - 1);
          std::swap(c[p], c[p + 1]);
        }
    }
  }
  return join(c);
}

// The oracle for prefix_length: the first p characters equal, DP on the rest.
int oracle_distance(const std::string& term, const std::string& cand, bool tr, size_t p) {
  auto t = split_chars(term), c = split_chars(cand);
  p = std::min(p, t.size());
  if (c.size() < p) return 1000;
  for (size_t i = 0; i < p; ++i)
    if (t[i] != c[i]) return 1000;
  std::vector<std::string> tr_rest(t.begin() + static_cast<long>(p), t.end());
  std::vector<std::string> c_rest(c.begin() + static_cast<long>(p), c.end());
  return edit_distance(join(tr_rest), join(c_rest), tr);
}

}  // namespace

TEST_CASE("levenshtein: edit_distance on known pairs") {
  CHECK(edit_distance("kitten", "sitting", false) == 3);
  CHECK(edit_distance("", "abc", false) == 3);
  CHECK(edit_distance("abc", "", true) == 3);
  CHECK(edit_distance("ab", "ba", false) == 2);
  CHECK(edit_distance("ab", "ba", true) == 1);
  CHECK(edit_distance("ca", "abc", true) == 3);  // OSA, not unrestricted Damerau (2)
  CHECK(edit_distance("café", "cafe", false) == 1);
  CHECK(edit_distance("straße", "strasse", false) == 2);
  CHECK(edit_distance("漢字", "字漢", true) == 1);
  CHECK(edit_distance("🙂", "🙃", false) == 1);
}

TEST_CASE("levenshtein: automaton equals the DP oracle on random words and edits") {
  std::mt19937 rng(12345);
  size_t checked = 0;
  for (int w = 0; w < 250; ++w) {
    std::string term = random_word(rng, 0, 8);
    std::vector<std::string> cands;
    for (int i = 0; i < 40; ++i) cands.push_back(mutate(rng, term, static_cast<int>(rng() % 4)));
    for (int i = 0; i < 10; ++i) cands.push_back(random_word(rng, 0, 9));
    for (int k = 0; k <= 2; ++k) {
      for (bool tr : {false, true}) {
        auto a = levenshtein_automaton(term, k, tr);
        REQUIRE(a.is_ok());
        for (const auto& c : cands) {
          int d = edit_distance(term, c, tr);
          auto s = a->run(c);
          bool want = d <= k;
          if (a->is_match(s) != want || (want && a->match_value(s) != d)) {
            FAIL_CHECK("term '" << term << "' cand '" << c << "' k=" << k << " tr=" << tr << " dp=" << d
                                << " got " << a->match_value(s));
          }
          ++checked;
        }
      }
    }
  }
  CHECK(checked == 250 * 50 * 6);
}

TEST_CASE("levenshtein: exact prefix length is honoured") {
  std::mt19937 rng(99);
  for (int w = 0; w < 120; ++w) {
    std::string term = random_word(rng, 1, 7);
    size_t p = rng() % 4;
    int k = 1 + static_cast<int>(rng() % 2);
    bool tr = rng() % 2;
    auto a = levenshtein_automaton(term, k, tr, p);
    REQUIRE(a.is_ok());
    for (int i = 0; i < 60; ++i) {
      std::string c = mutate(rng, term, static_cast<int>(rng() % 3));
      int d = oracle_distance(term, c, tr, p);
      auto s = a->run(c);
      if (a->is_match(s) != (d <= k) || (d <= k && a->match_value(s) != d))
        FAIL_CHECK("term '" << term << "' cand '" << c << "' p=" << p << " k=" << k << " tr=" << tr);
    }
  }
  auto a = levenshtein_automaton("hello", 2, false, 2);
  REQUIRE(a.is_ok());
  CHECK(a->matches("hello"));
  CHECK(a->matches("hexxo"));
  CHECK_FALSE(a->matches("jello"));  // edit inside the prefix
  CHECK_FALSE(a->matches("ello"));
  CHECK(a->matches("hel"));          // two deletions after the prefix
  CHECK_FALSE(a->matches("he"));     // three
}

TEST_CASE("levenshtein: multibyte characters count as one edit") {
  auto a = levenshtein_automaton("漢字", 1, false);
  REQUIRE(a.is_ok());
  CHECK(a->matches("漢"));
  CHECK(a->matches("漢字🙂"));
  CHECK(a->matches("漢a"));
  CHECK(a->match_value(a->run("漢字")) == 0);
  CHECK(a->match_value(a->run("漢x")) == 1);
  CHECK_FALSE(a->matches("a"));
  CHECK_FALSE(a->matches(std::string("漢字").substr(0, 5)));  // a truncated character is no character
  auto b = levenshtein_automaton("cafe", 1, true);
  REQUIRE(b.is_ok());
  CHECK(b->matches("café"));
  CHECK(b->matches("acfe"));
  CHECK(b->matches("cafeß"));
  CHECK_FALSE(b->matches("cafés"));
}

TEST_CASE("levenshtein: empty term accepts everything up to k characters") {
  auto a = levenshtein_automaton("", 2, true);
  REQUIRE(a.is_ok());
  CHECK(a->matches(""));
  CHECK(a->matches("🙂"));
  CHECK(a->matches("ab"));
  CHECK_FALSE(a->matches("abc"));
  CHECK(a->match_value(a->run("ß")) == 1);
}

TEST_CASE("levenshtein: bad arguments are rejected") {
  CHECK(levenshtein_automaton("abc", 3, false).status().code() == Status::Code::kInvalidArgument);
  CHECK(levenshtein_automaton("abc", -1, false).status().code() == Status::Code::kInvalidArgument);
  CHECK(levenshtein_automaton("a\xff", 1, false).status().code() == Status::Code::kInvalidArgument);
  std::string huge(kMaxLevenshteinTermLength + 1, 'x');
  CHECK(levenshtein_automaton(huge, 1, false).status().code() == Status::Code::kInvalidArgument);
}

TEST_CASE("levenshtein: construction is fast for long terms") {
  const std::string terms[] = {"abcdefghijklmnopqrstuvwxyzabcd", "internationalizationprocedures",
                               "漢字漢字ひらがなカタカナ漢字漢字ひらがなカタカナ漢字漢字ひらがな"};
  for (const auto& t : terms) {
    auto t0 = std::chrono::steady_clock::now();
    auto a = levenshtein_automaton(t, 2, true);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    REQUIRE(a.is_ok());
    MESSAGE(t << ": " << a->num_states() << " states, " << a->num_classes() << " classes, "
              << a->memory_bytes() << " bytes, " << ms << " ms");
    CHECK(a->num_states() < 4000);
    CHECK(ms < 500);  // generous: sanitizer builds are ~20x slower than -O2 (~1.5 ms)
    CHECK(a->matches(t));
  }
}

TEST_CASE("levenshtein: a repeated build (served from the cache) equals a fresh one, per parameter set") {
  // The same term with other edits, transpositions or prefix lengths must not
  // share an automaton; asking twice gives the same language.
  const std::vector<std::string> probes = {"kitten", "sitten", "sittin", "itkten", "kitte", "kittens",
                                           "ktten", "sitting", "kitt", "mitten", "xitten", "kittne"};
  for (int round = 0; round < 2; ++round) {
    for (int k = 0; k <= 2; ++k)
      for (bool t : {false, true})
        for (size_t p : {size_t{0}, size_t{1}, size_t{3}}) {
          auto a = levenshtein_automaton("kitten", k, t, p);
          REQUIRE(a.is_ok());
          for (const auto& w : probes) {
            int d = edit_distance("kitten", w, t);
            bool prefix_ok = w.compare(0, std::min<size_t>(p, 6), std::string("kitten").substr(0, p)) == 0;
            INFO("k=" << k << " t=" << t << " p=" << p << " w=" << w << " round " << round);
            CHECK(a->matches(w) == (d <= k && prefix_ok));
          }
        }
  }
}
