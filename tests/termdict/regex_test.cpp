#include "meridian/termdict/regex.h"

#include <doctest/doctest.h>

#include <random>
#include <regex>
#include <string>
#include <vector>

#include "meridian/termdict/automaton_nfa.h"

using namespace meridian;
using namespace meridian::termdict;

namespace {

// UTF-8 -> one wchar_t per code point (wchar_t is 32-bit on Linux), so that
// std::wregex sees code points exactly like the automaton does.
std::wstring widen(std::string_view s) {
  std::wstring w;
  size_t pos = 0;
  while (pos < s.size()) w.push_back(static_cast<wchar_t>(decode_utf8(s, &pos)));
  return w;
}

bool oracle(const std::string& pattern, const std::string& text) {
  std::wregex re(widen(pattern), std::regex::ECMAScript);
  return std::regex_match(widen(text), re);
}

const std::vector<std::string> kChars = {"a", "b", "c", "é", "漢", "🙂", "1"};

std::string random_text(std::mt19937& rng, size_t max_len) {
  std::string s;
  size_t n = rng() % (max_len + 1);
  for (size_t i = 0; i < n; ++i) s += kChars[rng() % kChars.size()];
  return s;
}

std::string random_atom(std::mt19937& rng, int depth);

std::string random_regex(std::mt19937& rng, int depth) {
  std::string out;
  size_t n = 1 + rng() % 3;
  for (size_t i = 0; i < n; ++i) {
    out += random_atom(rng, depth);
    switch (rng() % 9) {
      case 0: out += "*"; break;
      case 1: out += "+"; break;
      case 2: out += "?"; break;
      case 3: out += "{" + std::to_string(rng() % 3) + "," + std::to_string(2 + rng() % 2) + "}"; break;
      case 4: out += "{2}"; break;
      default: break;
    }
  }
  if (depth < 2 && rng() % 4 == 0) out += "|" + random_regex(rng, depth + 1);
  return out;
}

std::string random_atom(std::mt19937& rng, int depth) {
  static const std::vector<std::string> kAtoms = {
      "a", "b", "é", "漢", "🙂", ".", "[ab]", "[^a]", "[a-c]", "[é-漢]", "[^é🙂]", "\\d", "\\w", "\\W",
      "[\\d漢]", "\\.", "1"};
  if (depth < 2 && rng() % 5 == 0) return "(" + random_regex(rng, depth + 1) + ")";
  return kAtoms[rng() % kAtoms.size()];
}

Status error_of(std::string_view pattern) { return regex_automaton(pattern).status(); }

}  // namespace

TEST_CASE("regex: matches std::wregex (ECMAScript full match) on random patterns") {
  std::mt19937 rng(2024);
  std::vector<std::string> texts;
  for (int i = 0; i < 300; ++i) texts.push_back(random_text(rng, 6));
  size_t compared = 0, matched = 0;
  for (int iter = 0; iter < 400; ++iter) {
    std::string pattern = random_regex(rng, 0);
    auto a = regex_automaton(pattern);
    REQUIRE_MESSAGE(a.is_ok(), pattern << ": " << a.status().to_string());
    for (const auto& t : texts) {
      bool want = oracle(pattern, t);
      if (a->matches(t) != want) FAIL_CHECK("pattern " << pattern << " text " << t << " want " << want);
      ++compared;
      matched += want;
    }
  }
  CHECK(compared == 400 * 300);
  CHECK(matched > 1000);  // the oracle run is not vacuous
}

TEST_CASE("regex: hand-picked constructs") {
  struct Case {
    const char* pattern;
    std::vector<const char*> yes, no;
  };
  const Case cases[] = {
      {"abc", {"abc"}, {"ab", "abcd", "", "xabc"}},
      {"a|", {"a", ""}, {"aa"}},
      {"()", {""}, {"a"}},
      {"(ab)*", {"", "ab", "abab"}, {"a", "aba"}},
      {"a{2,3}", {"aa", "aaa"}, {"a", "aaaa"}},
      {"a{0}b", {"b"}, {"ab"}},
      {"a{2,}", {"aa", "aaaaaa"}, {"a"}},
      {"[^a-z]", {"A", "漢", "🙂", "\n"}, {"a", "q", "", "AB"}},
      {"[-a]", {"-", "a"}, {"b"}},
      {"[a-]", {"-", "a"}, {"b"}},
      {"[\\]x]", {"]", "x"}, {"\\"}},
      {"\\d+\\s\\w", {"12 a", "0\t_"}, {"12a", "a b"}},
      {"\\D\\S\\W", {"aa-"}, {"1a-", "a a", "aaa"}},
      {"a.c", {"abc", "a漢c", "a\nc"}, {"ac", "abbc"}},
      {"x]y}", {"x]y}"}, {"xy"}},
      {"\\(\\)\\[\\{\\*\\+\\?\\|\\^\\$\\\\", {"()[{*+?|^$\\"}, {""}},
      {"🙂{3}", {"🙂🙂🙂"}, {"🙂🙂"}},
      {"\\t\\n", {"\t\n"}, {"tn"}},
  };
  for (const auto& c : cases) {
    auto a = regex_automaton(c.pattern);
    REQUIRE_MESSAGE(a.is_ok(), c.pattern << ": " << a.status().to_string());
    for (const char* y : c.yes) CHECK_MESSAGE(a->matches(y), c.pattern << " should match " << y);
    for (const char* n : c.no) CHECK_MESSAGE(!a->matches(n), c.pattern << " should not match " << n);
  }
}

TEST_CASE("regex: syntax errors name the code-point column") {
  struct Case {
    const char* pattern;
    int column;
    const char* what;
  };
  const Case cases[] = {
      {"ab(c", 3, "missing ')'"},
      {"a)", 2, "unmatched ')'"},
      {"*a", 1, "nothing to repeat"},
      {"a**", 3, "stacked"},
      {"a*?", 3, "lazy"},
      {"éé)", 3, "unmatched ')'"},
      {"[z-a]", 2, "out of order"},
      {"x{3,1}", 2, "m < n"},
      {"x{3", 2, "missing '}'"},
      {"x{a}", 3, "expected a number"},
      {"x{1001}", 7, "above 1000"},
      {"abc\\", 4, "dangling backslash"},
      {"ab\\q", 3, "unknown escape"},
      {"[abc", 1, "missing ']'"},
      {"a[]", 3, "empty character class"},
      {"^a", 1, "anchors"},
      {"a$", 2, "anchors"},
      {"[\\d-z]", 2, "cannot bound a range"},
      {"|(", 2, "missing ')'"},
  };
  for (const auto& c : cases) {
    Status st = error_of(c.pattern);
    CHECK_MESSAGE(st.code() == Status::Code::kInvalidArgument, c.pattern);
    std::string col = "column " + std::to_string(c.column) + ":";
    CHECK_MESSAGE(st.message().find(col) != std::string::npos, c.pattern << " -> " << st.message());
    CHECK_MESSAGE(st.message().find(c.what) != std::string::npos, c.pattern << " -> " << st.message());
  }
  CHECK(error_of("a\xC3").code() == Status::Code::kInvalidArgument);
}

TEST_CASE("regex: determinization beyond max_states is refused as too complex") {
  // (a|b)*a(a|b){n} needs 2^(n+1) DFA states.
  auto small = regex_automaton("(a|b)*a(a|b){4}");
  REQUIRE(small.is_ok());
  CHECK(small->matches("bbbabbbb"));
  CHECK_FALSE(small->matches("bbbbabbb"));
  auto big = regex_automaton("(a|b)*a(a|b){14}");
  CHECK(big.status().code() == Status::Code::kTooLarge);
  CHECK(big.status().message().find("regex too complex") != std::string::npos);
  RegexLimits lim;
  lim.max_states = 20;
  CHECK(regex_automaton("(a|b)*a(a|b){4}", lim).status().code() == Status::Code::kTooLarge);
  lim.max_states = 100;
  CHECK(regex_automaton("(a|b)*a(a|b){4}", lim).is_ok());
  // Repetition that would expand into millions of NFA states.
  auto nested = regex_automaton("((a{1000}){1000}){1000}");
  CHECK(nested.status().code() == Status::Code::kTooLarge);
  CHECK(nested.status().message().find("regex too complex") != std::string::npos);
}

TEST_CASE("regex: a pattern that matches nothing gives an automaton with a dead start") {
  auto a = regex_automaton("[^\\s\\S]");
  REQUIRE(a.is_ok());
  CHECK_FALSE(a->can_match(a->start()));
  CHECK_FALSE(a->matches(""));
}
