#include <doctest/doctest.h>

#include "shell_parse.h"

using namespace meridian;
using namespace meridian::cli::shell;

TEST_CASE("shell parse: a blank line is empty") {
  auto p = parse_line("   \t ");
  REQUIRE(p.is_ok());
  CHECK(p->kind == ParsedLine::Kind::kEmpty);
}

TEST_CASE("shell parse: a bare line is a search with its words") {
  auto p = parse_line("  new   york  ");
  REQUIRE(p.is_ok());
  CHECK(p->kind == ParsedLine::Kind::kSearch);
  CHECK(p->text == "new york");
  CHECK(!p->near);
  CHECK(!p->bbox);
}

TEST_CASE("shell parse: near LAT,LON within DISTANCE is a geo suffix") {
  auto p = parse_line("paris near 48.85,2.35 within 10km");
  REQUIRE(p.is_ok());
  CHECK(p->text == "paris");
  REQUIRE(p->near);
  CHECK(p->near->lat == doctest::Approx(48.85));
  CHECK(p->near->lon == doctest::Approx(2.35));
  CHECK(p->near->radius == "10km");
}

TEST_CASE("shell parse: spaces inside the point and between number and unit are accepted") {
  auto p = parse_line("near 48.85, -2.35 within 10 km");
  REQUIRE(p.is_ok());
  CHECK(p->text.empty());
  REQUIRE(p->near);
  CHECK(p->near->lon == doctest::Approx(-2.35));
  CHECK(p->near->radius == "10km");
}

TEST_CASE("shell parse: in BBOX is left,bottom,right,top and combines with near in any order") {
  auto p = parse_line("cafe in 2.2,48.8,2.5,48.9 near 48.85,2.35 within 500m");
  REQUIRE(p.is_ok());
  CHECK(p->text == "cafe");
  REQUIRE(p->bbox);
  CHECK(p->bbox->left == 2.2);
  CHECK(p->bbox->bottom == 48.8);
  CHECK(p->bbox->right == 2.5);
  CHECK(p->bbox->top == 48.9);
  REQUIRE(p->near);
  CHECK(p->near->radius == "500m");
}

TEST_CASE("shell parse: near and in followed by words are plain text") {
  auto p = parse_line("made in china near the sea");
  REQUIRE(p.is_ok());
  CHECK(p->text == "made in china near the sea");
  CHECK(!p->near);
  CHECK(!p->bbox);
}

TEST_CASE("shell parse: geo suffix errors name the problem") {
  CHECK(!parse_line("x near 1 within 5km").is_ok());                 // one coordinate
  CHECK(!parse_line("x near 91,2 within 5km").is_ok());              // latitude range
  CHECK(!parse_line("x near 1,200 within 5km").is_ok());             // longitude range
  CHECK(!parse_line("x near 1,2 within").is_ok());                   // no distance
  CHECK(!parse_line("x near 1,2 within far").is_ok());               // bad distance
  CHECK(!parse_line("x near 1,2 within 0km").is_ok());               // zero distance
  CHECK(!parse_line("x in 1,2,3").is_ok());                          // three numbers
  CHECK(!parse_line("x in 0,50,1,40").is_ok());                      // bottom > top
  CHECK(!parse_line("x in 1,2,3,4 in 1,2,3,4").is_ok());             // twice
  auto trailing = parse_line("x near 1,2 within 3km paris");
  REQUIRE(!trailing.is_ok());
  CHECK(trailing.status().message().find("paris") != std::string::npos);
}

TEST_CASE("shell parse: backslash commands split into name and argument") {
  auto p = parse_line("\\c   cities  ");
  REQUIRE(p.is_ok());
  CHECK(p->kind == ParsedLine::Kind::kCommand);
  CHECK(p->command == "c");
  CHECK(p->arg == "cities");
  auto a = parse_line("\\analyze Ünïcode  words here");
  REQUIRE(a.is_ok());
  CHECK(a->command == "analyze");
  CHECK(a->arg == "Ünïcode  words here");
  for (const char* c : {"\\l", "\\d", "\\timing", "\\format json", "\\limit 3", "\\facet country", "\\explain",
                        "\\import f.ndjson", "\\help", "\\q", "\\sources"}) {
    auto r = parse_line(c);
    REQUIRE_MESSAGE(r.is_ok(), c);
    CHECK(r->kind == ParsedLine::Kind::kCommand);
  }
  CHECK(parse_line("\\?")->command == "help");
}

TEST_CASE("shell parse: unknown backslash commands are errors") {
  auto p = parse_line("\\nope x");
  REQUIRE(!p.is_ok());
  CHECK(p.status().message().find("\\nope") != std::string::npos);
  CHECK(!parse_line("\\").is_ok());
}

TEST_CASE("shell parse: a line starting with { is a JSON request") {
  auto p = parse_line(R"( {"q": "x"} )");
  REQUIRE(p.is_ok());
  CHECK(p->kind == ParsedLine::Kind::kJson);
  Settings st;
  st.limit = 3;
  st.explain = true;
  auto b = build_request(*p, st);
  REQUIRE(b.is_ok());
  CHECK(b->find("q")->as_string() == "x");
  CHECK(b->find("size")->as_int() == 3);
  CHECK(b->find("explain")->as_bool());
  auto own = build_request(*parse_line(R"({"size": 1})"), st);
  CHECK(own->find("size")->as_int() == 1);
  CHECK(!build_request(*parse_line("{not json"), st).is_ok());
  CHECK(!build_request(*parse_line("{ [1] }"), st).is_ok());
  CHECK(!build_request(*parse_line("\\l"), st).is_ok());  // not a search
}

TEST_CASE("shell parse: a search builds q, size, geo filters, distance sort, facets and highlight") {
  Settings st;
  st.limit = 7;
  st.facets = {"country"};
  st.geo_field = "loc";
  auto b = build_request(*parse_line("paris near 48.85,2.35 within 10km in 2,48,3,49"), st);
  REQUIRE(b.is_ok());
  CHECK(b->find("q")->as_string() == "paris");
  CHECK(b->find("size")->as_int() == 7);
  CHECK(b->find("radius")->as_string() == "10km");
  CHECK(b->find("near")->find("lat")->as_double() == 48.85);
  CHECK(b->find("geo_field")->as_string() == "loc");
  CHECK(b->find("bbox")->dump() == "[2.0,48.0,3.0,49.0]");
  CHECK(b->find("sort")->dump() == R"(["_score",{"_geo_distance":{"loc":{"lat":48.85,"lon":2.35},"order":"asc"}}])");
  CHECK(b->find("facets")->dump() == R"({"country":{"terms":{"field":"country"}}})");
  CHECK(b->find("highlight") != nullptr);
  CHECK(b->find("explain") == nullptr);
  auto all = build_request(*parse_line("near 1,2 within 1km"), Settings{});
  REQUIRE(all.is_ok());
  CHECK(all->find("q") == nullptr);
  CHECK(all->find("highlight") == nullptr);
  CHECK(all->find("geo_field") == nullptr);
}

TEST_CASE("shell parse: counts are digits within a bound") {
  CHECK(*parse_count(" 42 ", "n", 100) == 42);
  CHECK(*parse_count("0", "n", 100) == 0);
  CHECK(!parse_count("", "n", 100).is_ok());
  CHECK(!parse_count("-1", "n", 100).is_ok());
  CHECK(!parse_count("4x", "n", 100).is_ok());
  CHECK(!parse_count("101", "n", 100).is_ok());
  CHECK(!parse_count("99999999999999999999999", "n", 100).is_ok());
}

TEST_CASE("shell parse: near without within sorts the nearest first and filters nothing") {
  auto p = parse_line("cafe near 48.85,2.35");
  REQUIRE(p.is_ok());
  REQUIRE(p->near);
  CHECK(p->near->radius.empty());
  CHECK(p->text == "cafe");
  auto b = build_request(*p, Settings{});
  REQUIRE(b.is_ok());
  CHECK(b->find("radius") == nullptr);
  CHECK(b->find("near")->dump() == R"({"lat":48.85,"lon":2.35})");
  CHECK(b->find("sort")->dump() == R"([{"_geo_distance":{"location":{"lat":48.85,"lon":2.35},"order":"asc"}}])");
  auto boxed = parse_line("near 1,2 in 0,0,3,3");
  REQUIRE(boxed.is_ok());
  CHECK(boxed->near->radius.empty());
  CHECK(boxed->bbox);
}

TEST_CASE("shell parse: field clauses filter, plain words stay typo tolerant q") {
  auto b = build_request(*parse_line("country:FR"), Settings{});
  REQUIRE(b.is_ok());
  CHECK(b->find("q") == nullptr);
  CHECK(b->find("filter")->as_string() == "country:FR");
  CHECK(b->find("highlight") == nullptr);  // nothing scored, nothing to highlight
  auto mixed = build_request(*parse_line("tokio population:>10000000 year:[1990 TO 2000]"), Settings{});
  REQUIRE(mixed.is_ok());
  CHECK(mixed->find("q")->as_string() == "tokio");
  CHECK(mixed->find("filter")->dump() == R"(["population:>10000000","year:[1990 TO 2000]"])");
  auto plain = build_request(*parse_line("new york 10:30 o'brien"), Settings{});
  CHECK(plain->find("q")->as_string() == "new york 10:30 o'brien");
  CHECK(plain->find("filter") == nullptr);
}

TEST_CASE("shell parse: operators, quotes, wildcards and fuzziness make a query_string query") {
  for (const char* text : {"paris OR lyon", "\"new york\"", "par*", "pariz~1", "(a b) AND c", "-country:FR x"}) {
    auto b = build_request(*parse_line(text), Settings{});
    REQUIRE_MESSAGE(b.is_ok(), text);
    const Json* q = b->find("query");
    REQUIRE_MESSAGE(q != nullptr, text);
    CHECK(q->find("query_string")->find("query")->as_string() == text);
    CHECK(q->find("query_string")->find("default_operator")->as_string() == "and");
    CHECK(b->find("q") == nullptr);
    CHECK(b->find("filter") == nullptr);
  }
  CHECK(split_clauses("a  title:\"new york\" year:[1 TO 2] (x y)") ==
        std::vector<std::string>{"a", "title:\"new york\"", "year:[1 TO 2]", "(x y)"});
}

TEST_CASE("shell parse: highlight tags are the markers or <em>, and only when asked") {
  Settings st;
  st.highlight_markers = false;
  auto b = build_request(*parse_line("paris"), st);
  CHECK(b->find("highlight")->find("pre_tag")->as_string() == "<em>");
  CHECK(b->find("highlight")->find("post_tag")->as_string() == "</em>");
  st.highlight = false;
  CHECK(build_request(*parse_line("paris"), st)->find("highlight") == nullptr);
}
