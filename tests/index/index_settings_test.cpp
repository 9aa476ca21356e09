// Index settings: parsing, validation (errors name the key), merge patches,
// the SETTINGS file and Index::set_settings across a reopen.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "../test_util.h"
#include "meridian/base/file.h"
#include "meridian/index/index.h"
#include "meridian/index/index_settings.h"

using namespace meridian;
using namespace meridian::index;

namespace {

Schema test_schema() {
  auto s = Schema::from_json(*parse_json(
      R"({"fields":{"title":"text","body":"text","brand":"keyword","price":"float","year":"int","loc":"geo_point"}})"));
  REQUIRE(s.is_ok());
  return *s;
}

Result<IndexSettings> parse(const char* json) {
  auto j = parse_json(json);
  REQUIRE(j.is_ok());
  Schema schema = test_schema();
  return parse_index_settings(*j, &schema);
}

std::string error_of(const char* json) {
  auto r = parse(json);
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().code() == Status::Code::kInvalidArgument);
  return r.status().message();
}

bool starts_with(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

}  // namespace

TEST_CASE("index settings: an empty object gives the defaults") {
  auto s = parse("{}");
  REQUIRE(s.is_ok());
  CHECK(*s == IndexSettings{});
  Json j = s->to_json(500);
  CHECK(j.find("refresh_interval")->as_string() == "500ms");
  CHECK(j.find("ranking_rules")->size() == 6);
  CHECK(j.find("distinct")->is_null());
  CHECK(j.find("typo_tolerance")->find("min_word_length_one_typo")->as_int() == 5);
  CHECK(j.find("typo_tolerance")->find("min_word_length_two_typos")->as_int() == 9);
  CHECK(j.find("typo_tolerance")->find("enabled")->as_bool());
  size_t i = 0;
  for (const auto& [k, v] : j.as_object()) CHECK(k == settings_keys()[i++]);
}

TEST_CASE("index settings: every key parses and round-trips through its JSON") {
  auto s = parse(R"({
    "synonyms": {"multi_way": [["TV", "television"]], "one_way": {"NYC": ["New  York"]}},
    "q_fields": ["title^2", "body"],
    "typo_tolerance": {"enabled": true, "min_word_length_one_typo": 4, "min_word_length_two_typos": 8,
                       "disable_on_words": ["Déjà"], "disable_on_fields": ["brand"]},
    "stop_words": ["The", "a"],
    "distinct": "brand",
    "refresh_interval": "2s",
    "ranking_rules": ["words", "typo", "price:desc"]})");
  REQUIRE(s.is_ok());
  CHECK(s->synonyms.multi_way == std::vector<std::vector<std::string>>{{"tv", "television"}});
  CHECK(s->synonyms.one_way.at("nyc") == std::vector<std::string>{"new york"});
  CHECK(s->synonyms.lookup.at("tv") == std::vector<std::string>{"television"});
  CHECK(s->synonyms.lookup.at("television") == std::vector<std::string>{"tv"});
  CHECK(s->synonyms.lookup.at("nyc") == std::vector<std::string>{"new york"});
  CHECK_FALSE(s->synonyms.lookup.count("new york"));  // one-way
  CHECK(s->synonyms.max_words == 1);
  REQUIRE(s->q_fields.size() == 2);
  CHECK(s->q_fields[0] == QFieldWeight{"title", 2});
  CHECK(s->q_fields[1] == QFieldWeight{"body", 1});
  CHECK(s->typo_tolerance.disable_on_words == std::vector<std::string>{"deja"});
  CHECK(s->stop_words == std::vector<std::string>{"the", "a"});
  CHECK(s->distinct == "brand");
  CHECK(s->refresh_interval_ms == 2000u);
  CHECK(s->ranking_rules == std::vector<std::string>{"words", "typo", "price:desc"});

  Json j = s->to_json(500);
  Schema schema = test_schema();
  auto again = parse_index_settings(j, &schema);
  REQUIRE(again.is_ok());
  CHECK(*again == *s);
  CHECK(j.find("q_fields")->dump() == R"({"title":2,"body":1})");
  CHECK(j.find("refresh_interval")->as_string() == "2s");
}

TEST_CASE("index settings: synonyms also come as a list of groups and one-way objects") {
  auto s = parse(R"({"synonyms": [["sofa", "couch", "settee"], {"big apple": ["new york", "nyc"]}]})");
  REQUIRE(s.is_ok());
  CHECK(s->synonyms.multi_way.size() == 1);
  CHECK(s->synonyms.lookup.at("couch") == std::vector<std::string>{"sofa", "settee"});
  CHECK(s->synonyms.lookup.at("big apple") == std::vector<std::string>{"new york", "nyc"});
  CHECK(s->synonyms.max_words == 2);
}

TEST_CASE("index settings: errors name the key that is wrong") {
  CHECK(starts_with(error_of(R"({"synonym": []})"), "synonym: unknown settings key"));
  CHECK(starts_with(error_of(R"({"synonyms": 3})"), "synonyms: expected"));
  CHECK(starts_with(error_of(R"({"synonyms": [["tv"]]})"), "synonyms[0]: expected a group of at least two"));
  CHECK(starts_with(error_of(R"({"synonyms": {"one_way": {"nyc": "new york"}}})"), "synonyms.one_way.nyc: expected"));
  CHECK(starts_with(error_of(R"({"synonyms": {"two_way": []}})"), "synonyms.two_way: unknown key"));
  CHECK(starts_with(error_of(R"({"q_fields": ["nope"]})"), "q_fields[0]: unknown field 'nope'"));
  CHECK(starts_with(error_of(R"({"q_fields": {"title": "x"}})"), "q_fields.title: expected a number"));
  CHECK(starts_with(error_of(R"({"q_fields": {"title": 0}})"), "q_fields.title: expected a weight > 0"));
  CHECK(starts_with(error_of(R"({"q_fields": ["loc"]})"), "q_fields[0]: field 'loc' is a geo_point"));
  CHECK(starts_with(error_of(R"({"typo_tolerance": {"enabled": "yes"}})"), "typo_tolerance.enabled: expected true or false"));
  CHECK(starts_with(error_of(R"({"typo_tolerance": {"min_word_length_one_typo": -1}})"),
                    "typo_tolerance.min_word_length_one_typo: expected an integer"));
  CHECK(starts_with(error_of(R"({"typo_tolerance": {"min_word_length_one_typo": 10}})"),
                    "typo_tolerance.min_word_length_one_typo: expected at most min_word_length_two_typos"));
  CHECK(starts_with(error_of(R"({"typo_tolerance": {"disable_on_fields": ["nope"]}})"),
                    "typo_tolerance.disable_on_fields[0]: unknown field 'nope'"));
  CHECK(starts_with(error_of(R"({"typo_tolerance": {"max": 1}})"), "typo_tolerance.max: unknown key"));
  CHECK(starts_with(error_of(R"({"stop_words": "the"})"), "stop_words: expected an array"));
  CHECK(starts_with(error_of(R"({"stop_words": [""]})"), "stop_words[0]: expected a non-blank string"));
  CHECK(starts_with(error_of(R"({"distinct": "nope"})"), "distinct: unknown field 'nope'"));
  CHECK(starts_with(error_of(R"({"distinct": "title"})"), "distinct: field 'title' (text) has no single value"));
  CHECK(starts_with(error_of(R"({"distinct": 1})"), "distinct: expected a field name"));
  CHECK(starts_with(error_of(R"({"refresh_interval": "soon"})"), "refresh_interval: expected a duration"));
  CHECK(starts_with(error_of(R"({"refresh_interval": 0})"), "refresh_interval: expected a duration"));
  CHECK(starts_with(error_of(R"({"refresh_interval": "2h"})"), "refresh_interval: expected a duration"));
  CHECK(starts_with(error_of(R"({"ranking_rules": ["words", "fame"]})"), "ranking_rules[1]: unknown rule 'fame'"));
  CHECK(starts_with(error_of(R"({"ranking_rules": ["title:desc"]})"), "ranking_rules[0]: field 'title' (text) is not sortable"));
  CHECK(starts_with(error_of(R"({"ranking_rules": ["nope:asc"]})"), "ranking_rules[0]: unknown field 'nope'"));
  CHECK(starts_with(error_of(R"({"ranking_rules": ["price:up"]})"), "ranking_rules[0]: unknown rule"));
  CHECK(starts_with(error_of(R"({"ranking_rules": ["words", "words"]})"), "ranking_rules[1]: rule 'words' given twice"));
  CHECK(starts_with(error_of(R"({"ranking_rules": ["price:asc", "price:desc"]})"), "ranking_rules[1]: field 'price' given twice"));
  CHECK(starts_with(error_of("[]"), "settings: expected an object"));
}

TEST_CASE("index settings: refresh_interval accepts durations and milliseconds") {
  auto ms = [](const char* j) { return parse_interval_ms(*parse_json(j), "r"); };
  CHECK(*ms(R"("500ms")") == 500u);
  CHECK(*ms(R"("1s")") == 1000u);
  CHECK(*ms(R"("1.5s")") == 1500u);
  CHECK(*ms(R"("2m")") == 120000u);
  CHECK(*ms("250") == 250u);
  CHECK_FALSE(ms("1.5").is_ok());
  CHECK_FALSE(ms(R"("s")").is_ok());
  CHECK_FALSE(ms(R"("1 s")").is_ok());
  CHECK(format_interval_ms(1500) == "1500ms");
  CHECK(format_interval_ms(2000) == "2s");
}

TEST_CASE("index settings: a merge patch changes only what it names, null restores a default") {
  Schema schema = test_schema();
  auto base = parse(R"({"stop_words": ["the"], "typo_tolerance": {"min_word_length_one_typo": 4},
                        "synonyms": {"one_way": {"nyc": ["new york"], "sf": ["san francisco"]}}, "refresh_interval": 100})");
  REQUIRE(base.is_ok());
  auto p = patch_index_settings(*base, *parse_json(R"({"typo_tolerance": {"disable_on_words": ["paris"]},
                                                       "synonyms": {"one_way": {"sf": null}}, "distinct": "brand"})"),
                                &schema);
  REQUIRE(p.is_ok());
  CHECK(p->stop_words == std::vector<std::string>{"the"});
  CHECK(p->typo_tolerance.min_word_length_one_typo == 4);
  CHECK(p->typo_tolerance.disable_on_words == std::vector<std::string>{"paris"});
  CHECK(p->synonyms.one_way.size() == 1);
  CHECK(p->synonyms.one_way.count("nyc"));
  CHECK(p->distinct == "brand");
  CHECK(p->refresh_interval_ms == 100u);

  auto reset = patch_index_settings(*p, *parse_json(R"({"stop_words": null, "refresh_interval": null, "typo_tolerance": null})"), &schema);
  REQUIRE(reset.is_ok());
  CHECK(reset->stop_words.empty());
  CHECK_FALSE(reset->refresh_interval_ms);
  CHECK(reset->typo_tolerance == TypoToleranceSettings{});
  CHECK(reset->distinct == "brand");

  // A bad patch fails as a whole, naming its key.
  auto bad = patch_index_settings(*p, *parse_json(R"({"distinct": "title"})"), &schema);
  REQUIRE_FALSE(bad.is_ok());
  CHECK(starts_with(bad.status().message(), "distinct:"));
  CHECK_FALSE(patch_index_settings(*p, *parse_json("[1]"), &schema).is_ok());
}

TEST_CASE("index settings: the SETTINGS file round-trips; a damaged one is reported by name") {
  TempDir dir;
  auto none = load_index_settings(dir.path());
  REQUIRE(none.is_ok());
  CHECK(*none == IndexSettings{});
  auto s = parse(R"({"stop_words": ["the"], "distinct": "brand", "synonyms": [["tv", "television"]], "refresh_interval": "1s"})");
  REQUIRE(s.is_ok());
  REQUIRE(store_index_settings(dir.path(), *s).is_ok());
  auto back = load_index_settings(dir.path());
  REQUIRE(back.is_ok());
  CHECK(*back == *s);

  std::string path = fs::join(dir.path(), "SETTINGS");
  auto bytes = fs::read_file(path);
  REQUIRE(bytes.is_ok());
  std::string flipped = *bytes;
  flipped[40] ^= 0x20;
  REQUIRE(fs::write_file_atomic(path, flipped).is_ok());
  auto bad = load_index_settings(dir.path());
  REQUIRE_FALSE(bad.is_ok());
  CHECK(bad.status().code() == Status::Code::kCorruption);
  CHECK(bad.status().message().find("SETTINGS") != std::string::npos);
}

TEST_CASE("index settings: Index::set_settings persists across a reopen and applies refresh_interval") {
  TempDir dir;
  Schema schema = test_schema();
  IndexOptions io;
  io.refresh_interval_ms = 500;
  {
    auto ix = Index::open(dir.path(), "t", io, &schema);
    REQUIRE(ix.is_ok());
    CHECK((*ix)->settings()->version == 0);
    auto next = patch_index_settings(*(*ix)->settings(), *parse_json(R"({"stop_words": ["the"], "refresh_interval": "20ms"})"),
                                     &schema);
    REQUIRE(next.is_ok());
    REQUIRE((*ix)->set_settings(*next).is_ok());
    CHECK((*ix)->settings()->version == 1);
    CHECK((*ix)->settings()->stop_words == std::vector<std::string>{"the"});
    // The 20 ms refresh makes a write visible without an explicit refresh.
    Json d = Json::object();
    d.set("id", "1");
    d.set("title", "hello");
    auto put = (*ix)->put(d);
    REQUIRE(put.is_ok());
    bool visible = false;
    for (int i = 0; i < 200 && !visible; ++i) {
      visible = (*ix)->snapshot()->total_docs() == 1;
      if (!visible) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    CHECK(visible);
  }
  auto ix = Index::open(dir.path(), "t", io);
  REQUIRE(ix.is_ok());
  auto s = (*ix)->settings();
  CHECK(s->stop_words == std::vector<std::string>{"the"});
  CHECK(s->refresh_interval_ms == 20u);
  CHECK(s->to_json((*ix)->default_refresh_interval_ms()).find("refresh_interval")->as_string() == "20ms");
}
