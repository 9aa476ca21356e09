#include "meridian/query/ast.h"

#include <doctest/doctest.h>

#include <cmath>

using namespace meridian;
using namespace meridian::query;

TEST_CASE("ast: AUTO fuzziness gives 0 edits up to 2 chars, 1 up to 5, 2 beyond") {
  Fuzziness a = Fuzziness::automatic();
  CHECK(a.edits_for(0) == 0);
  CHECK(a.edits_for(2) == 0);
  CHECK(a.edits_for(3) == 1);
  CHECK(a.edits_for(5) == 1);
  CHECK(a.edits_for(6) == 2);
  CHECK(a.edits_for(40) == 2);
  auto b = Fuzziness::parse("AUTO:4,7");
  REQUIRE(b.is_ok());
  CHECK(b->edits_for(3) == 0);
  CHECK(b->edits_for(4) == 1);
  CHECK(b->edits_for(7) == 2);
  CHECK(b->to_string() == "AUTO:4,7");
  CHECK(Fuzziness::parse("auto")->to_string() == "AUTO");
  CHECK(Fuzziness::parse("AUTO:3,6")->to_string() == "AUTO");
  CHECK(Fuzziness::parse("2")->edits_for(1) == 2);
  CHECK(Fuzziness::parse("0")->is_none());
}

TEST_CASE("ast: malformed fuzziness is an error starting with 'expected'") {
  for (const char* bad : {"3", "-1", "AUTO:", "AUTO:6,3", "AUTO:a,b", "fuzzy", "", "1.5"}) {
    auto r = Fuzziness::parse(bad);
    CHECK_FALSE(r.is_ok());
    if (!r.is_ok()) CHECK(r.status().message().rfind("expected", 0) == 0);
  }
}

TEST_CASE("ast: minimum_should_match resolves counts and percentages like Elasticsearch") {
  auto m = [](const char* s) { return MinimumShouldMatch::parse(s).value(); };
  CHECK(m("2").resolve(5, 1) == 2);
  CHECK(m("7").resolve(5, 1) == 5);   // clamped
  CHECK(m("-1").resolve(5, 1) == 4);  // all but one
  CHECK(m("-9").resolve(5, 1) == 0);
  CHECK(m("75%").resolve(4, 1) == 3);
  CHECK(m("75%").resolve(3, 1) == 2);  // rounded down
  CHECK(m("-25%").resolve(4, 1) == 3);
  CHECK(m("-25%").resolve(3, 1) == 3);  // 25% of 3 rounds down to 0 missing
  CHECK(MinimumShouldMatch{}.resolve(4, 1) == 1);
  CHECK(m("75%").to_string() == "75%");
  CHECK(m("-1").to_string() == "-1");
  CHECK_FALSE(MinimumShouldMatch::parse("abc").is_ok());
  CHECK_FALSE(MinimumShouldMatch::parse("150%").is_ok());
  CHECK_FALSE(MinimumShouldMatch::parse("").is_ok());
}

TEST_CASE("ast: minimum_should_match percentage agrees with a brute-force count") {
  for (int n = 0; n <= 12; ++n)
    for (int p = -100; p <= 100; p += 5) {
      MinimumShouldMatch m{MinimumShouldMatch::Kind::kPercent, p};
      // brute force: the largest k with k/n <= p% (positive), or n minus that for |p| (negative)
      int k = 0;
      while (k < n && (k + 1) * 100 <= n * std::abs(p)) ++k;
      int want = p >= 0 ? k : n - k;
      CHECK(m.resolve(n, 1) == want);
    }
}

TEST_CASE("ast: field boosts parse and print") {
  CHECK(FieldBoost::parse("title^2").value() == FieldBoost{"title", 2});
  CHECK(FieldBoost::parse(" body ").value() == FieldBoost{"body", 1});
  CHECK(FieldBoost::parse("a^0.5").value().boost == 0.5);
  CHECK_FALSE(FieldBoost::parse("^2").is_ok());
  CHECK_FALSE(FieldBoost::parse("title^x").is_ok());
  CHECK_FALSE(FieldBoost::parse("title^-1").is_ok());
  CHECK(to_string(std::vector<FieldBoost>{{"title", 2}, {"body", 1}}) == "[title^2,body]");
}

TEST_CASE("ast: distances convert to meters for every unit") {
  CHECK(parse_distance_m("10km").value() == 10000);
  CHECK(parse_distance_m("500m").value() == 500);
  CHECK(parse_distance_m("500").value() == 500);
  CHECK(parse_distance_m(" 20 m ").value() == 20);
  CHECK(parse_distance_m("1mi").value() == doctest::Approx(1609.344));
  CHECK(parse_distance_m("2nmi").value() == 3704);
  CHECK(parse_distance_m("1NM").value() == 1852);
  CHECK(parse_distance_m("3ft").value() == doctest::Approx(0.9144));
  CHECK(parse_distance_m("1yd").value() == doctest::Approx(0.9144));
  CHECK(parse_distance_m("10cm").value() == doctest::Approx(0.1));
  CHECK(parse_distance_m("5mm").value() == doctest::Approx(0.005));
  CHECK(parse_distance_m("2in").value() == doctest::Approx(0.0508));
  CHECK(parse_distance_m("1.5km").value() == 1500);
  for (const char* bad : {"", "km", "-5km", "10 parsecs", "1e999m", "nan"}) CHECK_FALSE(parse_distance_m(bad).is_ok());
}

TEST_CASE("ast: lat,lon strings are parsed and range checked") {
  CHECK(parse_lat_lon("48.85,2.35").value() == GeoPoint{48.85, 2.35});
  CHECK(parse_lat_lon(" -33.9 , 151.2 ").value() == GeoPoint{-33.9, 151.2});
  CHECK_FALSE(parse_lat_lon("91,0").is_ok());
  CHECK_FALSE(parse_lat_lon("0,181").is_ok());
  CHECK_FALSE(parse_lat_lon("0;1").is_ok());
  CHECK_FALSE(parse_lat_lon("a,b").is_ok());
  CHECK(parse_lat_lon("91,0").status().message().find("latitude") != std::string::npos);
}

TEST_CASE("ast: to_string prints every node kind canonically") {
  Match m;
  m.field = "title";
  m.text = "new york";
  m.op = Operator::kAnd;
  m.fuzziness = Fuzziness::automatic();
  m.prefix_length = 1;
  m.minimum_should_match = MinimumShouldMatch{MinimumShouldMatch::Kind::kPercent, 75};
  m.prefix_last = true;
  m.transpositions = false;
  m.boost = 2;
  CHECK(to_string(m) ==
        R"(match(title,"new york",op=and,fuzziness=AUTO,prefix_length=1,msm=75%,prefix_last,no_transpositions)^2)");
  CHECK(to_string(MatchAll{}) == "match_all");
  CHECK(to_string(MatchAll{1.5}) == "match_all^1.5");
  CHECK(to_string(MatchNone{}) == "match_none");
  CHECK(to_string(Term{"year", Json(1990)}) == "term(year,1990)");
  CHECK(to_string(Term{"city", Json("Paris")}) == R"(term(city,"Paris"))");
  CHECK(to_string(Terms{"tag", {Json("a"), Json(2)}}) == R"(terms(tag,["a",2]))");
  CHECK(to_string(MatchPhrase{"body", "a b", 2}) == R"(match_phrase(body,"a b",slop=2))");
  CHECK(to_string(MatchPhrase{"body", "a b", 0, true, 10}) == R"(match_phrase_prefix(body,"a b",max_expansions=10))");
  MultiMatch mm;
  mm.fields = {{"title", 2}, {"body", 1}};
  mm.text = "x";
  mm.type = MultiMatchType::kMostFields;
  CHECK(to_string(mm) == R"(multi_match([title^2,body],"x",type=most_fields))");
  CHECK(to_string(Prefix{"t", "pre"}) == R"(prefix(t,"pre"))");
  CHECK(to_string(Wildcard{"t", "w?ld*"}) == R"(wildcard(t,"w?ld*"))");
  CHECK(to_string(Regexp{"t", "ab.*"}) == R"(regexp(t,"ab.*"))");
  CHECK(to_string(Fuzzy{"t", "quikc"}) == R"(fuzzy(t,"quikc",fuzziness=AUTO))");
  Range r;
  r.field = "year";
  r.gte = Json(1990);
  r.lt = Json("2000-01-01");
  r.format = "yyyy-MM-dd";
  CHECK(to_string(r) == R"(range(year,gte=1990,lt="2000-01-01",format="yyyy-MM-dd"))");
  CHECK(to_string(Exists{"title"}) == "exists(title)");
  CHECK(to_string(Ids{{"1", "a"}}) == R"(ids("1","a"))");
  Bool b;
  b.must.push_back(Term{"a", Json(1)});
  b.must_not.push_back(Exists{"x"});
  b.minimum_should_match = MinimumShouldMatch{MinimumShouldMatch::Kind::kCount, 1};
  CHECK(to_string(b) == "bool(must=[term(a,1)],must_not=[exists(x)],msm=1)");
  CHECK(to_string(ConstantScore{Box<Query>(Query(Exists{"x"})), 3}) == "constant_score(exists(x))^3");
  CHECK(to_string(GeoDistance{"loc", 48.85, 2.35, 10000}) == "geo_distance(loc,48.85,2.35,10000m)");
  CHECK(to_string(GeoBoundingBox{"loc", 50, 1, 40, 3}) == "geo_bounding_box(loc,top=50,left=1,bottom=40,right=3)");
  CHECK(to_string(GeoPolygon{"loc", {{{0, 0}, {0, 1}, {1, 1}}, {{0.2, 0.2}, {0.2, 0.3}, {0.3, 0.3}}}}) ==
        "geo_polygon(loc,[0,0 0,1 1,1],[0.2,0.2 0.2,0.3 0.3,0.3])");
  CHECK(to_string(GeohashCell{"loc", "u4pru"}) == R"(geohash_cell(loc,"u4pru"))");
  CHECK(to_string(Exists{"odd field,name"}) == R"(exists("odd field,name"))");
}

TEST_CASE("ast: queries are deep-copied values; copies compare equal until changed") {
  Bool inner;
  inner.should.push_back(Match{"t", "a"});
  Query q = ConstantScore{Box<Query>(Query(inner)), 2};
  Query copy = q;
  CHECK(copy == q);
  auto* cs = copy.as<ConstantScore>();
  REQUIRE(cs != nullptr);
  cs->filter->as<Bool>()->should.push_back(Match{"t", "b"});
  CHECK_FALSE(copy == q);
  CHECK(to_string(q) == R"(constant_score(bool(should=[match(t,"a")]))^2)");
  CHECK(to_string(copy) == R"(constant_score(bool(should=[match(t,"a"),match(t,"b")]))^2)");
  CHECK(q.kind() == Kind::kConstantScore);
  CHECK(kind_name(q.kind()) == "constant_score");
  CHECK(q.as<Bool>() == nullptr);
}

TEST_CASE("ast: boost is readable and settable on every kind; default Query is match_all") {
  Query q;
  CHECK(q.kind() == Kind::kMatchAll);
  std::vector<Query> all = {MatchAll{}, MatchNone{}, Term{}, Terms{}, Match{}, MatchPhrase{}, MultiMatch{},
                            Prefix{}, Wildcard{}, Regexp{}, Fuzzy{}, Range{}, Exists{}, Ids{}, Bool{},
                            ConstantScore{}, GeoDistance{}, GeoBoundingBox{}, GeoPolygon{}, GeohashCell{}};
  for (size_t i = 0; i < all.size(); ++i) {
    CHECK(static_cast<size_t>(all[i].kind()) == i);
    CHECK(all[i].boost() == 1);
    all[i].set_boost(2.5);
    CHECK(all[i].boost() == 2.5);
    CHECK(to_string(all[i]).find("^2.5") != std::string::npos);
  }
}

TEST_CASE("ast: format_number prints the shortest exact form") {
  CHECK(format_number(2) == "2");
  CHECK(format_number(1.5) == "1.5");
  CHECK(format_number(-0.0) == "0");
  CHECK(format_number(0.1) == "0.1");
  CHECK(format_number(1e21) == "1e+21");
}
