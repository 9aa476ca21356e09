#include "meridian/analysis/folding.h"

#include <doctest/doctest.h>

#include <string>

using namespace meridian::analysis;

namespace {
std::string cf(std::string_view s) {
  std::string out;
  case_fold(s, &out);
  return out;
}
std::string af(std::string_view s) {
  std::string out;
  fold_accents(s, &out);
  return out;
}
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
}  // namespace

TEST_CASE("folding: ASCII case folding lowercases letters only") {
  CHECK(cf("Hello WORLD 42_x-Y") == "hello world 42_x-y");
  CHECK(cf("") == "");
}

TEST_CASE("folding: German sharp s folds to ss, capital sharp s too") {
  CHECK(cf("Straße") == "strasse");
  CHECK(cf("STRAẞE") == "strasse");
}

TEST_CASE("folding: Greek final sigma and capital sigma fold to the same sigma") {
  CHECK(cf("ΟΔΟΣ") == "οδοσ");
  CHECK(cf("οδος") == "οδοσ");
  CHECK(cf("Σίσυφος") == "σίσυφοσ");
}

TEST_CASE("folding: Turkish dotted capital I folds to i plus combining dot, accent folding drops the dot") {
  CHECK(cf("İstanbul") == "i\xCC\x87stanbul");
  CHECK(af(cf("İstanbul")) == "istanbul");
  CHECK(af(cf("ıIi")) == "iii");
}

TEST_CASE("folding: NFKC maps full-width letters, ligatures and typographic apostrophes") {
  CHECK(cf("ＡＢＣ１２") == "abc12");
  CHECK(cf("ﬁne") == "fine");
  CHECK(cf("Don’t") == "don't");
}

TEST_CASE("folding: accents are removed from Latin and Greek letters") {
  CHECK(af(cf("Ångström")) == "angstrom");
  CHECK(af(cf("Ærø")) == "aero");
  CHECK(af("crème brûlée") == "creme brulee");
  CHECK(af("łódź") == "lodz");
  CHECK(af("þór") == "thor");
  CHECK(af("œuvre") == "oeuvre");
  CHECK(af("tiếng việt đẹp") == "tieng viet dep");
  CHECK(af("άέήίόύώ") == "αεηιουω");
}

TEST_CASE("folding: marks of other scripts are part of the spelling and stay") {
  CHECK(af("йошкар") == "йошкар");
  CHECK(af("हिन्दी") == "हिन्दी");
  CHECK(af("ภาษาไทย") == "ภาษาไทย");
  // Hangul decomposes under NFD and must come back composed.
  CHECK(af("한국어") == "한국어");
}

TEST_CASE("folding: invalid UTF-8 becomes U+FFFD, output is valid UTF-8") {
  std::string bad = "a\xff" "b\xC3" "c\xE2\x82" "\xF0\x9F";
  std::string out = cf(bad);
  CHECK(valid_utf8(out));
  CHECK(out.find("\xEF\xBF\xBD") != std::string::npos);
  CHECK(out.substr(0, 1) == "a");
  CHECK(valid_utf8(af(bad)));
  CHECK(valid_utf8(af("\xC3\xA9\x80")));
}

TEST_CASE("folding: utf8_prefix never ends inside a code point") {
  std::string s = "aé€😀";  // 1 + 2 + 3 + 4 bytes
  CHECK(utf8_prefix(s, 100) == s.size());
  CHECK(utf8_prefix(s, 1) == 1);
  CHECK(utf8_prefix(s, 2) == 1);
  CHECK(utf8_prefix(s, 3) == 3);
  CHECK(utf8_prefix(s, 4) == 3);
  CHECK(utf8_prefix(s, 5) == 3);
  CHECK(utf8_prefix(s, 6) == 6);
  for (size_t k = 7; k <= 9; ++k) CHECK(utf8_prefix(s, k) == 6);
  CHECK(utf8_prefix(s, 10) == 10);
  CHECK(utf8_prefix(s, 0) == 0);
}
