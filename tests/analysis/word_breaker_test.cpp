#include "meridian/analysis/word_breaker.h"

#include <doctest/doctest.h>

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
