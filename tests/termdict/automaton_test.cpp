#include "meridian/termdict/automaton.h"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "meridian/termdict/automaton_nfa.h"
#include "meridian/termdict/wildcard.h"

using namespace meridian;
using namespace meridian::termdict;

namespace {

std::vector<uint32_t> decode_all(std::string_view s, bool* ok) {
  std::vector<uint32_t> out;
  size_t pos = 0;
  *ok = true;
  while (pos < s.size()) {
    int32_t cp = decode_utf8(s, &pos);
    if (cp < 0) *ok = false;
    out.push_back(static_cast<uint32_t>(cp));
  }
  return out;
}

// Brute-force wildcard matcher over code points: dp[i][j] = p[0,i) matches s[0,j).
struct GlobTok {
  enum { kLit, kOne, kStar } kind;
  uint32_t cp;
};
bool glob_match(const std::vector<GlobTok>& p, std::string_view text) {
  bool ok;
  std::vector<uint32_t> s = decode_all(text, &ok);
  if (!ok) return false;
  std::vector<std::vector<char>> dp(p.size() + 1, std::vector<char>(s.size() + 1, 0));
  dp[0][0] = 1;
  for (size_t i = 1; i <= p.size(); ++i) {
    for (size_t j = 0; j <= s.size(); ++j) {
      const GlobTok& t = p[i - 1];
      if (t.kind == GlobTok::kStar) dp[i][j] = dp[i - 1][j] || (j > 0 && dp[i][j - 1]);
      else if (j > 0) dp[i][j] = dp[i - 1][j - 1] && (t.kind == GlobTok::kOne || t.cp == s[j - 1]);
    }
  }
  return dp[p.size()][s.size()];
}

const std::vector<std::string> kPieces = {"a", "b", "c", "é", "ß", "漢", "🙂"};

std::string random_word(std::mt19937& rng, size_t max_len) {
  std::string w;
  size_t len = rng() % (max_len + 1);
  for (size_t i = 0; i < len; ++i) w += kPieces[rng() % kPieces.size()];
  return w;
}

}  // namespace

TEST_CASE("automaton: the default automaton matches nothing") {
  Automaton a;
  CHECK(a.start() == Automaton::kDead);
  CHECK_FALSE(a.can_match(a.start()));
  CHECK_FALSE(a.matches(""));
  CHECK_FALSE(a.matches("x"));
  CHECK(a.next_live_byte(a.start(), 0) == -1);
}

TEST_CASE("automaton: one code point edge accepts exactly the valid UTF-8 encodings") {
  auto a = wildcard_automaton("?");
  REQUIRE(a.is_ok());
  // Every 1-, 2- and 3-byte string (and a 4-byte sample) against the decoder.
  auto check = [&](const std::string& s) {
    size_t pos = 0;
    int32_t cp = decode_utf8(s, &pos);
    bool oracle = cp >= 0 && pos == s.size();
    if (a->matches(s) != oracle) FAIL_CHECK("mismatch on bytes of length " << s.size() << " cp " << cp);
  };
  std::string s;
  for (int b0 = 0; b0 < 256; ++b0) {
    check(std::string(1, static_cast<char>(b0)));
    for (int b1 = 0; b1 < 256; ++b1) {
      check(std::string{static_cast<char>(b0), static_cast<char>(b1)});
      if (b0 < 0xE0 || b0 > 0xEF) continue;  // 3-byte leads only, all continuations
      for (int b2 = 0x70; b2 < 0xC8; ++b2) {
        check(std::string{static_cast<char>(b0), static_cast<char>(b1), static_cast<char>(b2)});
      }
    }
  }
  std::mt19937 rng(7);
  for (int i = 0; i < 200000; ++i) {
    uint32_t r = rng();
    std::string f{static_cast<char>(0xEF + r % 8), static_cast<char>(0x7A + (r >> 3) % 0x50),
                  static_cast<char>(0x7A + (r >> 10) % 0x50), static_cast<char>(0x7A + (r >> 17) % 0x50)};
    check(f);
  }
  CHECK(a->matches("\xF4\x8F\xBF\xBF"));          // U+10FFFF
  CHECK_FALSE(a->matches("\xF4\x90\x80\x80"));    // above U+10FFFF
  CHECK_FALSE(a->matches("\xED\xA0\x80"));        // a surrogate
  CHECK_FALSE(a->matches("\xC0\x80"));            // overlong NUL
  CHECK(a->matches(std::string("\0", 1)));
}

TEST_CASE("automaton: prefix automaton equals starts_with, byte-wise") {
  std::mt19937 rng(1);
  std::vector<std::string> words;
  for (int i = 0; i < 2000; ++i) words.push_back(random_word(rng, 5));
  words.push_back(std::string("\xff\x00\x01", 3));
  for (std::string prefix : {std::string(""), std::string("a"), std::string("ab"), std::string("é"),
                             std::string("\xC3"), std::string("漢\xF0\x9F"), std::string("\xff", 1)}) {
    auto a = prefix_automaton(prefix);
    REQUIRE(a.is_ok());
    for (const auto& w : words) CHECK(a->matches(w) == w.starts_with(prefix));
    CHECK(a->matches(prefix));
    CHECK(a->matches(prefix + "\xff\xff"));
  }
}

TEST_CASE("automaton: the direct prefix automaton equals the subset construction's, state for state") {
  std::mt19937 rng(7);
  std::vector<std::string> prefixes = {"", "a", "ab", "aa", "aba", "é", "\xC3", std::string("\x00\xff", 2),
                                       std::string("\xff", 1), std::string("\x00", 1), "zq", "漢字"};
  for (int i = 0; i < 200; ++i) {
    std::string p;
    for (int j = 0, n = static_cast<int>(rng() % 6); j < n; ++j) p += static_cast<char>(rng() % 256);
    prefixes.push_back(p);
  }
  for (const auto& p : prefixes) {
    auto direct = prefix_automaton(p);
    auto oracle = prefix_automaton_by_subsets(p);
    REQUIRE(direct.is_ok());
    REQUIRE(oracle.is_ok());
    CHECK(direct->num_states() == oracle->num_states());
    CHECK(direct->num_classes() == oracle->num_classes());
    CHECK(direct->start() == oracle->start());
    for (Automaton::State s = 0; s < oracle->num_states(); ++s) {
      CHECK(direct->match_value(s) == oracle->match_value(s));
      for (int b = 0; b < 256; ++b) CHECK(direct->step(s, static_cast<uint8_t>(b)) == oracle->step(s, static_cast<uint8_t>(b)));
      for (int from = 0; from <= 256; from += 17) CHECK(direct->next_live_byte(s, from) == oracle->next_live_byte(s, from));
    }
  }
}

TEST_CASE("automaton: can_match is false exactly when no continuation can match") {
  auto a = prefix_automaton("ab");
  REQUIRE(a.is_ok());
  CHECK(a->can_match(a->run("a")));
  CHECK(a->can_match(a->run("abzzz")));
  CHECK_FALSE(a->can_match(a->run("b")));
  CHECK(a->run("ac") == Automaton::kDead);
  CHECK(a->step(Automaton::kDead, 'a') == Automaton::kDead);
  CHECK(a->match_value(a->run("ab")) == 0);
  CHECK(a->match_value(a->run("a")) == Automaton::kNoMatch);
}

TEST_CASE("automaton: next_live_byte finds the smallest live byte at or after a byte") {
  auto a = wildcard_automaton("[\\?*");  // literal '[', literal '?', then anything
  REQUIRE(a.is_ok());
  Automaton::State s = a->start();
  CHECK(a->next_live_byte(s, 0) == '[');
  CHECK(a->next_live_byte(s, '[') == '[');
  CHECK(a->next_live_byte(s, '[' + 1) == -1);
  s = a->step(a->step(s, '['), '?');
  CHECK(a->is_match(s));
  CHECK(a->next_live_byte(s, 0) == 0);
  CHECK(a->next_live_byte(s, 0x80) == 0xC2);  // continuation bytes and C0/C1 cannot start a code point
  CHECK(a->next_live_byte(s, 0xF5) == -1);
  CHECK(a->next_live_byte(s, 256) == -1);
  // Brute force over every state reachable by one or two bytes.
  for (int b0 = 0; b0 < 256; ++b0) {
    Automaton::State t = a->step(a->start(), static_cast<uint8_t>(b0));
    for (int from = 0; from <= 256; from += 7) {
      int want = -1;
      for (int c = from; c < 256 && want < 0; ++c)
        if (a->step(t, static_cast<uint8_t>(c)) != Automaton::kDead) want = c;
      CHECK(a->next_live_byte(t, from) == want);
    }
  }
}

TEST_CASE("automaton: wildcard matches the brute-force glob on random patterns") {
  std::mt19937 rng(42);
  std::vector<std::string> texts;
  for (int i = 0; i < 400; ++i) texts.push_back(random_word(rng, 6));
  texts.push_back("\xC3");  // invalid UTF-8 never matches
  for (int iter = 0; iter < 300; ++iter) {
    std::string pattern;
    std::vector<GlobTok> toks;
    size_t len = 1 + rng() % 5;
    for (size_t i = 0; i < len; ++i) {
      uint32_t r = rng() % 10;
      if (r < 2) { pattern += '*'; toks.push_back({GlobTok::kStar, 0}); }
      else if (r < 4) { pattern += '?'; toks.push_back({GlobTok::kOne, 0}); }
      else {
        std::string piece = kPieces[rng() % kPieces.size()];
        bool ok;
        uint32_t cp = decode_all(piece, &ok)[0];
        pattern += piece;
        toks.push_back({GlobTok::kLit, cp});
      }
    }
    auto a = wildcard_automaton(pattern);
    REQUIRE(a.is_ok());
    for (const auto& t : texts) {
      if (a->matches(t) != glob_match(toks, t)) FAIL_CHECK(pattern << " on " << t);
    }
  }
}

TEST_CASE("automaton: wildcard escapes and errors") {
  auto a = wildcard_automaton("a\\*b\\?\\\\");
  REQUIRE(a.is_ok());
  CHECK(a->matches("a*b?\\"));
  CHECK_FALSE(a->matches("axb?\\"));
  CHECK_FALSE(a->matches("a*bx\\"));
  auto e = wildcard_automaton("ab\\");
  CHECK(e.status().code() == Status::Code::kInvalidArgument);
  CHECK(e.status().message().find("column 3") != std::string::npos);
  auto bad = wildcard_automaton("a\xC3");
  CHECK(bad.status().code() == Status::Code::kInvalidArgument);
  auto empty = wildcard_automaton("");
  REQUIRE(empty.is_ok());
  CHECK(empty->matches(""));
  CHECK_FALSE(empty->matches("a"));
  auto star = wildcard_automaton("**");
  REQUIRE(star.is_ok());
  CHECK(star->matches(""));
  CHECK(star->matches("漢🙂ß"));
}

TEST_CASE("automaton: an exponential wildcard is refused as too complex") {
  // "*a" followed by n '?' needs 2^n DFA states.
  auto a = wildcard_automaton("*a?????????????????????");
  CHECK(a.status().code() == Status::Code::kTooLarge);
  CHECK(a.status().message().find("too complex") != std::string::npos);
}
