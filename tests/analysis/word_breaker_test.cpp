#include "meridian/analysis/word_breaker.h"

#include <doctest/doctest.h>

#include <iterator>
#include <random>
#include <string>
#include <vector>

using namespace meridian::analysis;

namespace {
std::vector<std::string> words(std::string_view text) {
  std::vector<WordSpan> spans;
  break_words(text, &spans);
  std::vector<std::string> out;
  uint32_t last_end = 0;
  for (const auto& s : spans) {
    CHECK(s.start >= last_end);  // ordered, non-overlapping, inside the text
    CHECK(s.start < s.end);
    CHECK(s.end <= text.size());
    last_end = s.end;
    out.emplace_back(text.substr(s.start, s.end - s.start));
  }
  return out;
}
using V = std::vector<std::string>;
}  // namespace

TEST_CASE("word_breaker: words and numbers are kept, spaces and punctuation dropped") {
  CHECK(words("Hello, world! It's 3.14 -- e.g. U.S.A.") ==
        V{"Hello", "world", "It's", "3.14", "e.g", "U.S.A"});
  CHECK(words("foo_bar 1,000,000 v2") == V{"foo_bar", "1,000,000", "v2"});
}

TEST_CASE("word_breaker: empty and whitespace-only text has no words") {
  CHECK(words("").empty());
  CHECK(words(" \t\n\r  ").empty());
  CHECK(words("... !!! ???").empty());
}

TEST_CASE("word_breaker: emoji and symbols are not words") {
  CHECK(words("I ❤️ 🍕 pizza 👍🏽!") == V{"I", "pizza"});
  CHECK(words("$5 + 3% = ©") == V{"5", "3"});
}

TEST_CASE("word_breaker: Chinese and Japanese are segmented with ICU dictionaries") {
  V zh = words("我们喜欢北京");
  CHECK(zh.size() >= 3);
  CHECK(zh.front() == "我们");
  CHECK(zh.back() == "北京");
  V ja = words("東京都に住んでいます");
  CHECK(ja.size() >= 3);
  CHECK(ja.front() == "東京");
}

TEST_CASE("word_breaker: Thai, Lao, Khmer and Burmese are segmented with ICU dictionaries") {
  V th = words("ภาษาไทยง่ายนิดเดียว");
  CHECK(th == V{"ภาษา", "ไทย", "ง่าย", "นิด", "เดียว"});
  CHECK(words("ພາສາລາວ") == V{"ພາສາ", "ລາວ"});
  CHECK(words("ខ្ញុំស្រឡាញ់ប្រទេសកម្ពុជា") == V{"ខ្ញុំ", "ស្រឡាញ់", "ប្រទេស", "កម្ពុជា"});
  CHECK(words("ကျွန်တော်မြန်မာစာဖတ်တယ်") == V{"ကျွန်တော်", "မြန်မာ", "စာ", "ဖတ်", "တယ်"});
}

TEST_CASE("word_breaker: mixed scripts split where the script changes") {
  CHECK(words("Москва London 東京 2024年") == V{"Москва", "London", "東京", "2024", "年"});
}

TEST_CASE("word_breaker: invalid UTF-8 never crashes and spans stay on byte boundaries") {
  std::string bad = "abc\xff" "def \xC3(ghi \xE2\x82 jkl\xF0\x9F";
  V w = words(bad);
  CHECK(w.front() == "abc");
  CHECK(w.size() >= 4);
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<char>(i));
  (void)words(all_bytes);
  (void)words(std::string(1000, '\x80'));
}

namespace {
bool same_spans(const std::vector<WordSpan>& a, const std::vector<WordSpan>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].start != b[i].start || a[i].end != b[i].end) return false;
  return true;
}
}  // namespace

TEST_CASE("word_breaker: the ASCII fast path equals ICU on every short string of tricky characters") {
  // Letters, a digit, every kind of ASCII separator UAX #29 distinguishes
  // (MidNumLet '.', MidNum ',' ';', MidLetter ':', Single_Quote, spaces,
  // newlines, Double_Quote, ExtendNumLet '_') and plain punctuation.
  const std::string alphabet = "aZ1.,;:' -\n\"_/";
  std::vector<WordSpan> fast, icu;
  size_t compared = 0, declined = 0;
  std::string s;
  // Every string of length 1..5 over the alphabet (15^5 = 759,375 of length 5).
  std::vector<size_t> idx;
  for (size_t len = 1; len <= 5; ++len) {
    idx.assign(len, 0);
    for (;;) {
      s.clear();
      for (size_t i : idx) s.push_back(alphabet[i]);
      detail::break_words_icu(s, &icu);
      if (detail::break_words_ascii(s, &fast)) {
        ++compared;
        if (!same_spans(fast, icu)) {
          FAIL_CHECK("fast path differs from ICU on \"" << s << "\"");
          break;
        }
      } else {
        ++declined;
      }
      size_t k = 0;
      while (k < len && ++idx[k] == alphabet.size()) idx[k++] = 0;
      if (k == len) break;
    }
  }
  CHECK(compared > 400000);  // '_' is the only character sent to ICU
  CHECK(declined > 0);
  CHECK_FALSE(detail::break_words_ascii("snake_case", &fast));
  CHECK_FALSE(detail::break_words_ascii("caf\xc3\xa9", &fast));  // not ASCII
}

TEST_CASE("word_breaker: the ASCII fast path equals ICU on long random texts") {
  std::mt19937 rng(29);
  const std::string pieces[] = {"the", "Debian", "x86", "64", "3.14", "e.g.", "U.S.A.", "can't", "rock'n'roll",
                                "1,000,000", "a:b", "12:30", "http://x.org/a?b=c", "--", " ", "  ", "\n", "\t",
                                ",", ".", ";", "'", "\"", "(", ")", "[v2.0]", "foo-bar", "C++", "#1", "50%",
                                "a.1", "1.a", "..", "''", "x'", "'x", "O'Neil's", "3'4", "2;3", "a;b"};
  std::vector<WordSpan> fast, icu;
  for (int round = 0; round < 3000; ++round) {
    std::string s;
    const size_t n = 1 + rng() % 80;
    for (size_t i = 0; i < n; ++i) s += pieces[rng() % std::size(pieces)];
    detail::break_words_icu(s, &icu);
    REQUIRE(detail::break_words_ascii(s, &fast));
    if (!same_spans(fast, icu)) {
      FAIL_CHECK("fast path differs from ICU on \"" << s << "\"");
      break;
    }
    // And break_words itself (which picks the path) agrees.
    std::vector<WordSpan> picked;
    break_words(s, &picked);
    CHECK(same_spans(picked, icu));
  }
}
