// Random inputs (bytes, and mixes of multi-script fragments) must keep the
// Token invariants: ordered positions, offsets inside the input on the words
// break_words found, valid UTF-8 text of 1..kMaxTokenBytes bytes.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "meridian/analysis/analyzer.h"
#include "meridian/analysis/word_breaker.h"

using namespace meridian::analysis;

namespace {

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += len;
  }
  return true;
}

// Returns the number of violated invariants for one input.
int violations(const Analyzer& a, const std::string& text) {
  std::vector<Token> toks;
  a.analyze(text, &toks, 5);
  std::vector<WordSpan> spans;
  break_words(text, &spans);
  int bad = 0;
  size_t span_i = 0;
  uint32_t last_pos = 4;
  for (const Token& t : toks) {
    bad += t.position <= last_pos;
    last_pos = t.position;
    bad += t.start >= t.end || t.end > text.size();
    bad += t.text.empty() || t.text.size() > kMaxTokenBytes || !valid_utf8(t.text);
    // The token's span is one of the word spans, and its position is the
    // span's index (no stopwords in this analyzer).
    while (span_i < spans.size() && spans[span_i].start < t.start) ++span_i;
    bad += span_i >= spans.size() || spans[span_i].end != t.end || t.position != 5 + span_i;
  }
  return bad;
}

}  // namespace

TEST_CASE("analyzer: random bytes and script mixes keep the token invariants") {
  AnalyzerConfig c;
  c.language = "en";
  auto a = *Analyzer::create(c);
  const std::vector<std::string> pieces = {
      "word", " ", "Ünïcödé", "東京都", "ภาษาไทย", "3.14", "don't", "Straße", "İ", "ΟΔΟΣ", "😀", "—",
      "\xff", "\xC3", "\xE2\x82", "\xF0\x9F\x98", "\x80", "\xCC\x81", "ﬁ", "\t\n", ".", "'", "_", "é"};
  std::mt19937 rng(42);
  int bad = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string text;
    size_t n = rng() % 40;
    for (size_t i = 0; i < n; ++i) {
      if (iter % 2 == 0) {
        text.push_back(static_cast<char>(rng() & 0xFF));
      } else {
        text += pieces[rng() % pieces.size()];
      }
    }
    int v = violations(*a, text);
    if (v != 0) {
      CAPTURE(text);
      CHECK(v == 0);
    }
    bad += v;
  }
  CHECK(bad == 0);
}
