#include "meridian/analysis/stopwords.h"

#include <doctest/doctest.h>

#include <algorithm>

#include "meridian/analysis/folding.h"

using namespace meridian::analysis;

TEST_CASE("stopwords: the required languages ship a list") {
  auto langs = stopword_languages();
  for (const char* l : {"en", "fr", "de", "es", "it", "pt", "nl", "ru", "sv", "no", "da", "fi"}) {
    CAPTURE(l);
    CHECK(std::find(langs.begin(), langs.end(), l) != langs.end());
    REQUIRE(stopwords_for(l) != nullptr);
    CHECK(stopwords_for(l)->size() > 40);
  }
  CHECK(stopwords_for("zh") == nullptr);
  CHECK(stopwords_for("") == nullptr);
}

TEST_CASE("stopwords: membership is exact on case-folded words") {
  const StopwordSet* en = stopwords_for("en");
  REQUIRE(en != nullptr);
  CHECK(en->contains("the"));
  CHECK(en->contains("and"));
  CHECK_FALSE(en->contains("The"));
  CHECK_FALSE(en->contains("th"));
  CHECK_FALSE(en->contains("search"));
  CHECK_FALSE(en->contains(""));
  CHECK(stopwords_for("fr")->contains("été"));
  CHECK(stopwords_for("de")->contains("über"));
  CHECK(stopwords_for("ru")->contains("и"));
}

TEST_CASE("stopwords: entries are stored case folded, so daß matches dass") {
  std::string f;
  for (const auto& l : stopword_languages()) {
    const StopwordSet* s = stopwords_for(l);
    REQUIRE(s != nullptr);
    for (const std::string& w : s->words()) {
      CAPTURE(l);
      CAPTURE(w);
      CHECK(!w.empty());
      case_fold(w, &f);
      CHECK(f == w);
    }
  }
  CHECK(stopwords_for("de")->contains("dass"));
  CHECK_FALSE(stopwords_for("de")->contains("daß"));
  case_fold("ÜBER", &f);
  CHECK(stopwords_for("de")->contains(f));
}
