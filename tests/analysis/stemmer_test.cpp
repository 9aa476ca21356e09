#include "meridian/analysis/stemmer.h"

#include <doctest/doctest.h>

#include <algorithm>

using namespace meridian::analysis;

namespace {
std::string stem(std::string_view lang, std::string_view w) {
  std::string out;
  stem_word(stemmer_id(lang), w, &out);
  return out;
}
}  // namespace

TEST_CASE("stemmer: every advertised language has a working stemmer") {
  auto langs = stemmer_languages();
  CHECK(std::is_sorted(langs.begin(), langs.end()));
  for (const char* l : {"en", "fr", "de", "es", "it", "pt", "nl", "ru", "sv", "no", "da", "fi", "hu",
                        "ro", "tr", "ar", "el", "ga", "lt", "ca", "eu", "hy", "yi"}) {
    CAPTURE(l);
    CHECK(std::find(langs.begin(), langs.end(), l) != langs.end());
  }
  for (const auto& l : langs) {
    CAPTURE(l);
    int id = stemmer_id(l);
    REQUIRE(id >= 0);
    std::string out;
    stem_word(id, "x", &out);
    CHECK(!out.empty());
  }
}

TEST_CASE("stemmer: English examples") {
  CHECK(stem("en", "running") == "run");
  CHECK(stem("en", "connections") == "connect");
  CHECK(stem("en", "generously") == "generous");
  CHECK(stem("en", "ponies") == "poni");
  CHECK(stem("en", "don't") == "don't");
  CHECK(stem("en", "cat's") == "cat");
}

TEST_CASE("stemmer: French, German and Russian examples") {
  CHECK(stem("fr", "continuellement") == "continuel");
  CHECK(stem("fr", "majestueuses") == "majestu");
  CHECK(stem("de", "aufeinanderfolgenden") == "aufeinanderfolg");
  CHECK(stem("de", "häuser") == "haus");
  CHECK(stem("ru", "вавилонской") == "вавилонск");
  CHECK(stem("ru", "книги") == "книг");
}

TEST_CASE("stemmer: unknown languages and ISO aliases") {
  CHECK(stemmer_id("zh") == -1);
  CHECK(stemmer_id("english") == -1);
  CHECK(stemmer_id("") == -1);
  CHECK(stemmer_algorithm(stemmer_id("nb")) == "norwegian");
  CHECK(stemmer_algorithm(stemmer_id("en")) == "english");
  std::string out;
  stem_word(-1, "running", &out);
  CHECK(out == "running");
}

TEST_CASE("stemmer: the per-thread memo returns what a fresh stemmer returns") {
  // Many distinct words force slot collisions and evictions; each word is
  // stemmed twice (miss, then likely hit) and compared with the oracle.
  const char* suffixes[] = {"", "s", "ing", "ed", "ation", "ness", "ly", "er", "ies", "ement"};
  for (const char* lang : {"en", "fr", "de"}) {
    int id = stemmer_id(lang);
    std::string got, want;
    int mismatches = 0;
    for (int round = 0; round < 2; ++round) {
      for (int i = 0; i < 6000; ++i) {
        std::string w = "w" + std::to_string(i * 7919 % 10007) + "x" + suffixes[i % 10];
        if (i % 13 == 0) w = std::string(30, 'a') + suffixes[i % 10];  // longer than the memo keeps
        stem_word(id, w, &got);
        stem_word_uncached(id, w, &want);
        mismatches += got != want;
      }
    }
    CAPTURE(lang);
    CHECK(mismatches == 0);
  }
  std::string a, b;
  stem_word(stemmer_id("en"), "running", &a);
  stem_word(stemmer_id("fr"), "running", &b);  // same word, other language's memo
  CHECK(a == "run");
  CHECK(b == "running");
}
