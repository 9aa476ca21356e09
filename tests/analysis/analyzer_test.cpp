#include "meridian/analysis/analyzer.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace meridian;
using namespace meridian::analysis;

namespace {
std::shared_ptr<const Analyzer> make(AnalyzerConfig c) {
  auto r = Analyzer::create(c);
  REQUIRE(r.is_ok());
  return *r;
}
AnalyzerConfig cfg(std::string lang, bool stem, bool stop, bool fold = true) {
  AnalyzerConfig c;
  c.language = std::move(lang);
  c.stem = stem;
  c.stopwords = stop;
  c.fold_accents = fold;
  return c;
}
std::vector<std::string> texts(const Analyzer& a, std::string_view s) {
  std::vector<Token> toks;
  a.analyze(s, &toks);
  std::vector<std::string> out;
  for (auto& t : toks) out.push_back(t.text);
  return out;
}
using V = std::vector<std::string>;
}  // namespace

TEST_CASE("analyzer: English with stemming and stopwords keeps position gaps") {
  auto a = make(cfg("en", true, true));
  std::vector<Token> t;
  a->analyze("The Quick foxes are running over the lazy dogs", &t);
  // "the", "are", "over" and "the" are stopwords: positions 0, 3, 5, 6 stay empty.
  REQUIRE(t.size() == 5);
  CHECK(t[0] == Token{"quick", 1, 4, 9});
  CHECK(t[1] == Token{"fox", 2, 10, 15});
  CHECK(t[2] == Token{"run", 4, 20, 27});
  CHECK(t[3] == Token{"lazi", 7, 37, 41});
  CHECK(t[4] == Token{"dog", 8, 42, 46});
}

TEST_CASE("analyzer: offsets slice back to the original words, also after non-ASCII text") {
  auto a = make(cfg("none", false, false, false));
  std::string s = "  Ünïcödé wörds — 東京, Ελλάδα & ＡＢＣ! ";
  std::vector<Token> t;
  a->analyze(s, &t);
  V original;
  for (auto& tok : t) original.emplace_back(s.substr(tok.start, tok.end - tok.start));
  CHECK(original == V{"Ünïcödé", "wörds", "東京", "Ελλάδα", "ＡＢＣ"});
  CHECK(texts(*a, s) == V{"ünïcödé", "wörds", "東京", "ελλάδα", "abc"});
  for (size_t i = 0; i < t.size(); ++i) CHECK(t[i].position == i);
}

TEST_CASE("analyzer: first_position shifts positions, the output vector is replaced") {
  auto a = make(cfg("en", false, false));
  std::vector<Token> t{{"stale", 9, 9, 9}, {"x", 1, 1, 1}, {"y", 1, 1, 1}};
  a->analyze("alpha beta", &t, 100);
  REQUIRE(t.size() == 2);
  CHECK(t[0] == Token{"alpha", 100, 0, 5});
  CHECK(t[1] == Token{"beta", 101, 6, 10});
  a->analyze("", &t);
  CHECK(t.empty());
  a->analyze(" \t\n ", &t);
  CHECK(t.empty());
}

TEST_CASE("analyzer: French and German stemming, accents folded after stemming") {
  auto fr = make(cfg("fr", true, true));
  CHECK(texts(*fr, "Des élèves continuellement majestueuses") == V{"elev", "continuel", "majestu"});
  auto de = make(cfg("de", true, false));
  CHECK(texts(*de, "Die Häuser") == V{"die", "haus"});
  auto de_accents = make(cfg("de", false, false, false));
  CHECK(texts(*de_accents, "Die Häuser ÜBER") == V{"die", "häuser", "über"});
}

TEST_CASE("analyzer: English folds accents before stemming, so accented and plain spellings agree") {
  auto en = make(cfg("en", true, false));
  CHECK(texts(*en, "Ünïcödé unicode UNICODES naïve naive café") ==
        V{"unicod", "unicod", "unicod", "naiv", "naiv", "cafe"});
  CHECK(en->normalize_term("Ünïcödé") == en->normalize_term("unicode"));
  auto fr = make(cfg("fr", true, false));  // French still stems the accented spelling first
  CHECK(texts(*fr, "élèves") == V{"elev"});
}

TEST_CASE("analyzer: French and Italian elisions are stripped, English apostrophes are not") {
  auto fr = make(cfg("fr", true, true));
  CHECK(texts(*fr, "L’université d'Avignon qu'il aujourd'hui") == V{"univers", "avignon", "aujourd'hui"});
  CHECK(fr->normalize_term("l'Université") == "univers");
  auto it = make(cfg("it", false, false));
  CHECK(texts(*it, "dell'arte all'uomo") == V{"arte", "uomo"});
  auto en = make(cfg("en", false, false));
  CHECK(texts(*en, "l'amour rock'n'roll") == V{"l'amour", "rock'n'roll"});
}

TEST_CASE("analyzer: Russian stemming keeps Cyrillic letters") {
  auto ru = make(cfg("ru", true, true));
  CHECK(texts(*ru, "Книги и вавилонской башни") == V{"книг", "вавилонск", "башн"});
}

TEST_CASE("analyzer: accent folding switched off keeps accents, case folding stays") {
  auto on = make(cfg("none", false, false, true));
  auto off = make(cfg("none", false, false, false));
  CHECK(texts(*on, "Ångström Ærø") == V{"angstrom", "aero"});
  CHECK(texts(*off, "Ångström Ærø") == V{"ångström", "ærø"});
  CHECK(texts(*off, "STRASSE Straße ΟΔΟΣ") == V{"strasse", "strasse", "οδοσ"});
}

TEST_CASE("analyzer: CJK and Thai text yields dictionary words") {
  auto a = make(cfg("zh", false, false));
  CHECK(texts(*a, "我们喜欢北京。").back() == "北京");
  auto th = make(cfg("th", false, false));
  CHECK(texts(*th, "ภาษาไทยง่ายนิดเดียว") == V{"ภาษา", "ไทย", "ง่าย", "นิด", "เดียว"});
}

TEST_CASE("analyzer: numbers, mixed scripts, emoji and punctuation") {
  auto a = make(cfg("en", true, false));
  CHECK(texts(*a, "In 2024, 3.5% of Paris-based café owners 😀 said: «bonjour»!") ==
        V{"in", "2024", "3.5", "of", "pari", "base", "cafe", "owner", "said", "bonjour"});
}

TEST_CASE("analyzer: invalid UTF-8 never crashes and tokens are valid UTF-8") {
  auto a = make(cfg("en", true, true));
  std::string bad = "caf\xC3 \xff\xfe r\xE9sum\xE9 ok\xF0\x9F\x98";
  std::vector<Token> t;
  a->analyze(bad, &t);
  bool has_ok = false;
  for (auto& tok : t) {
    CHECK(tok.end <= bad.size());
    CHECK(tok.text.find('\xff') == std::string::npos);
    has_ok |= tok.text == "ok";
  }
  CHECK(has_ok);
  CHECK(a->normalize_term("\xff") == "\xEF\xBF\xBD");
}

TEST_CASE("analyzer: very long words are cut at 255 bytes on a UTF-8 boundary") {
  auto a = make(cfg("none", false, false));
  std::string word;
  for (int i = 0; i < 600; ++i) word += "é";  // 1200 bytes
  std::string s = "x " + word + " y";
  std::vector<Token> t;
  auto raw = make(cfg("none", false, false, false));
  raw->analyze(s, &t);
  REQUIRE(t.size() == 3);
  CHECK(t[1].text.size() == 254);  // 127 two-byte letters
  CHECK(t[1].start == 2);
  CHECK(t[1].end == 1202);
  CHECK(t[2] == Token{"y", 2, 1203, 1204});
  a->analyze(s, &t);
  CHECK(t[1].text == std::string(255, 'e'));
  std::string huge(100000, 'a');
  a->analyze(huge, &t);
  REQUIRE(t.size() == 1);
  CHECK(t[0].text.size() == kMaxTokenBytes);
  CHECK(t[0].end == huge.size());
}

TEST_CASE("analyzer: keyword analyzer keeps the whole value as one folded token") {
  AnalyzerConfig c;
  c.keyword = true;
  auto k = make(c);
  std::vector<Token> t;
  k->analyze("  New York—Café ", &t, 7);
  REQUIRE(t.size() == 1);
  CHECK(t[0] == Token{"  new york—cafe ", 7, 0, 19});
  k->analyze("", &t);
  CHECK(t.empty());
  c.fold_accents = false;
  CHECK(make(c)->normalize_term("Café") == "café");
  CHECK(k->normalize_term("Running Café") == "running cafe");  // no stemming
}

TEST_CASE("analyzer: normalize_term matches analyze for single words") {
  auto a = make(cfg("en", true, true));
  for (const char* w : {"Running", "Connections", "Café", "naïve", "İstanbul", "Don’t"}) {
    std::vector<Token> t;
    a->analyze(w, &t);
    REQUIRE(t.size() == 1);
    CHECK(a->normalize_term(w) == t[0].text);
  }
  CHECK(a->normalize_term("Running", /*stem=*/false) == "running");
  CHECK(a->is_stopword("the"));
  CHECK_FALSE(a->is_stopword("fox"));
  CHECK_FALSE(make(cfg("en", true, false))->is_stopword("the"));
}

TEST_CASE("analyzer: config JSON round-trips and errors name the bad key") {
  auto r = AnalyzerConfig::from_json(
      *parse_json(R"({"language":"fr","stem":false,"stopwords":true,"fold_accents":false})"));
  REQUIRE(r.is_ok());
  CHECK(r->language == "fr");
  CHECK(!r->stem);
  CHECK(r->stopwords);
  CHECK(!r->fold_accents);
  CHECK(!r->keyword);
  auto back = AnalyzerConfig::from_json(r->to_json());
  REQUIRE(back.is_ok());
  CHECK(*back == *r);
  CHECK(AnalyzerConfig::from_json(Json::object())->language == "en");

  auto bad_key = AnalyzerConfig::from_json(*parse_json(R"({"lang":"en"})"));
  REQUIRE_FALSE(bad_key.is_ok());
  CHECK(bad_key.status().message().find("\"lang\"") != std::string::npos);
  auto bad_type = AnalyzerConfig::from_json(*parse_json(R"({"stem":"yes"})"));
  REQUIRE_FALSE(bad_type.is_ok());
  CHECK(bad_type.status().message().find("\"stem\"") != std::string::npos);
  auto bad_lang = AnalyzerConfig::from_json(*parse_json(R"({"language":"English"})"));
  REQUIRE_FALSE(bad_lang.is_ok());
  CHECK(bad_lang.status().message().find("\"language\"") != std::string::npos);
  CHECK_FALSE(AnalyzerConfig::from_json(Json(3)).is_ok());
}

TEST_CASE("analyzer: create refuses stopwords a language does not have and malformed languages") {
  auto s = Analyzer::create(cfg("ro", true, true));
  REQUIRE_FALSE(s.is_ok());
  CHECK(s.status().message().find("\"stopwords\"") != std::string::npos);
  CHECK(Analyzer::create(cfg("none", true, true)).is_ok());
  CHECK(Analyzer::create(cfg("zh", false, false)).is_ok());
  AnalyzerConfig bad;
  bad.language = "EN";
  CHECK_FALSE(Analyzer::create(bad).is_ok());
  for (const auto& l : stemmer_languages()) CHECK(Analyzer::create(cfg(l, true, false)).is_ok());
}

TEST_CASE("analyzer: a language without a Snowball stemmer is not stemmed, not an error") {
  for (const char* lang : {"ja", "zh", "th", "ko", "lo", "km", "my"}) {
    auto a = Analyzer::create(cfg(lang, true, false));
    REQUIRE_MESSAGE(a.is_ok(), lang);
    auto b = Analyzer::create(cfg(lang, false, false));
    REQUIRE(b.is_ok());
    std::vector<Token> x, y;
    (*a)->analyze("running Tokyo 東京 ภาษาไทย", &x);
    (*b)->analyze("running Tokyo 東京 ภาษาไทย", &y);
    CHECK_MESSAGE(x == y, lang);  // identical to stem: false
    CHECK((*a)->normalize_term("running") == "running");
  }
}
