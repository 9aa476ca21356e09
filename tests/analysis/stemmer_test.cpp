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
