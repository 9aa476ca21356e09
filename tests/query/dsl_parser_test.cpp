#include "meridian/query/dsl_parser.h"

#include <doctest/doctest.h>

#include <functional>
#include <random>

using namespace meridian;
using namespace meridian::query;

namespace {

// Parses a JSON query and returns to_string, or "ERROR: message".
std::string D(std::string_view json) {
  auto j = parse_json(json);
  REQUIRE_MESSAGE(j.is_ok(), json);
  auto r = parse_dsl(*j);
  if (!r) return "ERROR: " + r.status().message();
  return to_string(*r);
}

}  // namespace

TEST_CASE("dsl: match in short and long form") {
  CHECK(D(R"({"match":{"title":"new york"}})") == R"(match(title,"new york"))");
  CHECK(D(R"({"match":{"year":1990}})") == R"(match(year,"1990"))");
  CHECK(D(R"({"match":{"title":{"query":"new york","operator":"and","fuzziness":"AUTO","prefix_length":1,
      "max_expansions":10,"minimum_should_match":"75%","boost":2,"prefix_last":true,"transpositions":false}}})") ==
        R"(match(title,"new york",op=and,fuzziness=AUTO,prefix_length=1,max_expansions=10,msm=75%,prefix_last,no_transpositions)^2)");
  CHECK(D(R"({"match":{"t":{"query":"x","fuzziness":1,"minimum_should_match":-1}}})") ==
        R"(match(t,"x",fuzziness=1,msm=-1))");
  CHECK(D(R"({"match":{"t":{"query":"x","fuzziness":"AUTO:2,5","operator":"OR"}}})") ==
        R"(match(t,"x",fuzziness=AUTO:2,5))");
}

TEST_CASE("dsl: match_phrase, match_phrase_prefix and multi_match") {
  CHECK(D(R"({"match_phrase":{"body":"a b"}})") == R"(match_phrase(body,"a b"))");
  CHECK(D(R"({"match_phrase":{"body":{"query":"a b","slop":2,"boost":1.5}}})") ==
        R"(match_phrase(body,"a b",slop=2)^1.5)");
  CHECK(D(R"({"match_phrase_prefix":{"body":{"query":"new yo","max_expansions":20}}})") ==
        R"(match_phrase_prefix(body,"new yo",max_expansions=20))");
  CHECK(D(R"({"multi_match":{"query":"paris","fields":["title^2","body"],"type":"most_fields","operator":"and"}})") ==
        R"(multi_match([title^2,body],"paris",type=most_fields,op=and))");
  CHECK(D(R"({"multi_match":{"query":"paris"}})") == R"(multi_match([*],"paris"))");
  CHECK(D(R"({"multi_match":{"query":"x","fields":"a^3,b","fuzziness":"AUTO"}})") ==
        R"(multi_match([a^3,b],"x",fuzziness=AUTO))");
}

TEST_CASE("dsl: term-level queries in short and long form") {
  CHECK(D(R"({"term":{"status":"open"}})") == R"(term(status,"open"))");
  CHECK(D(R"({"term":{"year":{"value":1990,"boost":2}}})") == "term(year,1990)^2");
  CHECK(D(R"({"term":{"flag":true}})") == "term(flag,true)");
  CHECK(D(R"({"terms":{"tag":["a","b",3],"boost":2}})") == R"(terms(tag,["a","b",3])^2)");
  CHECK(D(R"({"prefix":{"name":"par"}})") == R"(prefix(name,"par"))");
  CHECK(D(R"({"prefix":{"name":{"value":"par","boost":3}}})") == R"(prefix(name,"par")^3)");
  CHECK(D(R"({"wildcard":{"name":"p?r*"}})") == R"(wildcard(name,"p?r*"))");
  CHECK(D(R"({"wildcard":{"name":{"wildcard":"p*"}}})") == R"(wildcard(name,"p*"))");
  CHECK(D(R"({"regexp":{"name":{"value":"pa.*s"}}})") == R"(regexp(name,"pa.*s"))");
  CHECK(D(R"({"fuzzy":{"name":"pariz"}})") == R"(fuzzy(name,"pariz",fuzziness=AUTO))");
  CHECK(D(R"({"fuzzy":{"name":{"value":"pariz","fuzziness":2,"prefix_length":1,"max_expansions":5,
      "transpositions":false,"boost":2}}})") ==
        R"(fuzzy(name,"pariz",fuzziness=2,prefix_length=1,max_expansions=5,no_transpositions)^2)");
  CHECK(D(R"({"exists":{"field":"title"}})") == "exists(title)");
  CHECK(D(R"({"ids":{"values":["a",7]}})") == R"(ids("a","7"))");
}

TEST_CASE("dsl: range with numbers, dates, format, boost and null bounds") {
  CHECK(D(R"({"range":{"year":{"gte":1990,"lt":2000}}})") == "range(year,gte=1990,lt=2000)");
  CHECK(D(R"({"range":{"d":{"gt":"2020-01-01","lte":"now","format":"yyyy-MM-dd","boost":2}}})") ==
        R"(range(d,gt="2020-01-01",lte="now",format="yyyy-MM-dd")^2)");
  CHECK(D(R"({"range":{"p":{"gte":null,"lt":9.5}}})") == "range(p,lt=9.5)");
}

TEST_CASE("dsl: bool clauses as object or array, minimum_should_match, constant_score") {
  CHECK(D(R"({"bool":{"must":{"match":{"t":"a"}},"should":[{"term":{"x":1}},{"term":{"x":2}}],
      "must_not":[{"exists":{"field":"d"}}],"filter":{"range":{"y":{"gte":1}}},"minimum_should_match":1,"boost":2}})") ==
        R"(bool(must=[match(t,"a")],should=[term(x,1),term(x,2)],must_not=[exists(d)],filter=[range(y,gte=1)],msm=1)^2)");
  CHECK(D(R"({"bool":{}})") == "bool()");
  CHECK(D(R"({"constant_score":{"filter":{"term":{"x":1}},"boost":1.5}})") == "constant_score(term(x,1))^1.5");
  CHECK(D(R"({"match_all":{}})") == "match_all");
  CHECK(D(R"({"match_all":{"boost":2}})") == "match_all^2");
  CHECK(D(R"({"match_none":{}})") == "match_none");
}

TEST_CASE("dsl: query_string and simple_query_string embed the text parsers") {
  CHECK(D(R"({"query_string":{"query":"a AND b","default_field":"title"}})") ==
        R"(bool(must=[match(title,"a"),match(title,"b")]))");
  CHECK(D(R"({"query_string":{"query":"a b","fields":["t^2","u"],"default_operator":"and"}})") ==
        R"(bool(must=[multi_match([t^2,u],"a"),multi_match([t^2,u],"b")]))");
  CHECK(D(R"({"query_string":{"query":"x","boost":3}})") == R"(match(*,"x")^3)");
  CHECK(D(R"({"simple_query_string":{"query":"new (york","fields":["name"]}})") ==
        R"(match(name,"new york",fuzziness=AUTO:5,9,prefix_last))");
  CHECK(D(R"({"bool":{"must":[{"query_string":{"query":"(a"}}]}})") ==
        "ERROR: query.bool.must[0].query_string.query: expected ')' at column 3");
}

TEST_CASE("dsl: geo queries accept every point form") {
  CHECK(D(R"({"geo_distance":{"distance":"10km","location":{"lat":48.85,"lon":2.35}}})") ==
        "geo_distance(location,48.85,2.35,10000m)");
  CHECK(D(R"({"geo_distance":{"distance":500,"loc":[2.35,48.85]}})") == "geo_distance(loc,48.85,2.35,500m)");
  CHECK(D(R"({"geo_distance":{"loc":"48.85,2.35","distance":"1mi","boost":2}})") ==
        "geo_distance(loc,48.85,2.35,1609.344m)^2");
  CHECK(D(R"({"geo_bounding_box":{"loc":{"top_left":{"lat":50,"lon":1},"bottom_right":[3,40]}}})") ==
        "geo_bounding_box(loc,top=50,left=1,bottom=40,right=3)");
  CHECK(D(R"({"geo_bounding_box":{"loc":{"top":50,"left":1,"bottom":40,"right":3}}})") ==
        "geo_bounding_box(loc,top=50,left=1,bottom=40,right=3)");
  CHECK(D(R"({"geo_bounding_box":{"loc":{"top_right":"50,3","bottom_left":"40,1"}}})") ==
        "geo_bounding_box(loc,top=50,left=1,bottom=40,right=3)");
  CHECK(D(R"({"geo_polygon":{"loc":{"points":[[0,0],[1,0],[1,1],[0,0]],"holes":[["0.2,0.2","0.2,0.3","0.3,0.3"]]}}})") ==
        "geo_polygon(loc,[0,0 0,1 1,1],[0.2,0.2 0.2,0.3 0.3,0.3])");
  CHECK(D(R"({"geohash_cell":{"loc":"u4pru"}})") == R"(geohash_cell(loc,"u4pru"))");
}

TEST_CASE("dsl: errors name the JSON path") {
  CHECK(D(R"({"bool":{"must":[{"match":{"t":"a"}},{"match":{"title":{"query":"x","opertor":"and"}}}]}})") ==
        "ERROR: query.bool.must[1].match: unknown key 'opertor'");
  CHECK(D(R"({"match":{"t":{"query":"x","operator":1}}})") == "ERROR: query.match.operator: expected string, got number");
  CHECK(D(R"({"match":{"t":{"query":"x","operator":"xor"}}})") ==
        "ERROR: query.match.operator: expected 'and' or 'or', got 'xor'");
  CHECK(D(R"({"match":{"t":{"operator":"and"}}})") == "ERROR: query.match: expected key 'query'");
  CHECK(D(R"({"match":{"t":"a","u":"b"}})") == "ERROR: query.match: expected exactly one field, got 't' and 'u'");
  CHECK(D(R"({"match":{}})") == "ERROR: query.match: expected a field");
  CHECK(D(R"({"match":{"t":[1]}})") == "ERROR: query.match: expected string, got array");
  CHECK(D(R"({"match":"x"})") == "ERROR: query.match: expected object, got string");
  CHECK(D(R"({"mach":{}})") == "ERROR: query: unknown query type 'mach'");
  CHECK(D(R"({"match":{"t":"a"},"term":{"x":1}})") == "ERROR: query: expected exactly one query type, got 2 keys");
  CHECK(D(R"({})") == "ERROR: query: expected exactly one query type, got 0 keys");
  CHECK(D(R"([1])") == "ERROR: query: expected query object, got array");
  CHECK(D(R"({"bool":{"must":[{"term":{"x":1}},"oops"]}})") ==
        "ERROR: query.bool.must[1]: expected query object, got string");
  CHECK(D(R"({"bool":{"must":5}})") == "ERROR: query.bool.must: expected query object or array, got number");
  CHECK(D(R"({"bool":{"shuold":[]}})") == "ERROR: query.bool: unknown key 'shuold'");
  CHECK(D(R"({"bool":{"filter":{"bool":{"must_not":{"range":{"y":{"gte":true}}}}}}})") ==
        "ERROR: query.bool.filter.bool.must_not.range.gte: expected number or string, got boolean");
  CHECK(D(R"({"term":{"x":{"boost":2}}})") == "ERROR: query.term: expected key 'value'");
  CHECK(D(R"({"term":{"x":{"value":[1]}}})") == "ERROR: query.term.value: expected string, number or boolean, got array");
  CHECK(D(R"({"terms":{"x":[1,{}]}})") == "ERROR: query.terms[1]: expected string, number or boolean, got object");
  CHECK(D(R"({"terms":{"x":"a"}})") == "ERROR: query.terms: expected array, got string");
  CHECK(D(R"({"match":{"t":{"query":"x","fuzziness":3}}})") ==
        "ERROR: query.match.fuzziness: expected an integer in [0, 2], got 3");
  CHECK(D(R"({"match":{"t":{"query":"x","fuzziness":"lots"}}})") ==
        "ERROR: query.match.fuzziness: expected fuzziness 0, 1, 2, AUTO or AUTO:low,high, got 'lots'");
  CHECK(D(R"({"match":{"t":{"query":"x","boost":-1}}})") == "ERROR: query.match.boost: expected a non-negative boost");
  CHECK(D(R"({"match_phrase":{"t":{"query":"x","slop":-1}}})") ==
        "ERROR: query.match_phrase.slop: expected an integer in [0, 10000], got -1");
  CHECK(D(R"({"match_phrase":{"t":{"query":"x","max_expansions":3}}})") ==
        "ERROR: query.match_phrase: unknown key 'max_expansions'");
  CHECK(D(R"({"multi_match":{"query":"x","type":"phrase"}})") ==
        "ERROR: query.multi_match.type: expected 'best_fields' or 'most_fields', got 'phrase'");
  CHECK(D(R"({"multi_match":{"query":"x","fields":[]}})") == "ERROR: query.multi_match.fields: expected at least one field");
  CHECK(D(R"({"multi_match":{"query":"x","fields":["a",2]}})") ==
        "ERROR: query.multi_match.fields[1]: expected string, got number");
  CHECK(D(R"({"exists":{}})") == "ERROR: query.exists: expected key 'field'");
  CHECK(D(R"({"ids":{"values":[1.5]}})") == "ERROR: query.ids.values[0]: expected string, got number");
  CHECK(D(R"({"constant_score":{"boost":2}})") == "ERROR: query.constant_score: expected key 'filter'");
  CHECK(D(R"({"query_string":{"default_field":"x"}})") == "ERROR: query.query_string: expected key 'query'");
  CHECK(D(R"({"match_none":{"x":1}})") == "ERROR: query.match_none: unknown key 'x'");
}

TEST_CASE("dsl: geo errors name the path and the problem") {
  CHECK(D(R"({"geo_distance":{"loc":"48,2"}})") == "ERROR: query.geo_distance: expected key 'distance'");
  CHECK(D(R"({"geo_distance":{"distance":"far","loc":"48,2"}})") ==
        "ERROR: query.geo_distance.distance: expected a distance like 10km, 500m or 1.5mi, got 'far'");
  CHECK(D(R"({"geo_distance":{"distance":"1km","loc":{"lat":95,"lon":2}}})") ==
        "ERROR: query.geo_distance: expected latitude in [-90, 90], got 95");
  CHECK(D(R"({"geo_distance":{"distance":"1km","loc":[1,2,3]}})") ==
        "ERROR: query.geo_distance: expected [lon, lat], got 3 elements");
  CHECK(D(R"({"geo_distance":{"distance":"1km","loc":{"lat":1}}})") ==
        "ERROR: query.geo_distance: expected keys 'lat' and 'lon'");
  CHECK(D(R"({"geo_distance":{"distance":"1km","loc":{"lat":1,"lng":2}}})") ==
        "ERROR: query.geo_distance: unknown key 'lng'");
  CHECK(D(R"({"geo_distance":{"distance":"1km","a":"1,2","b":"1,2"}})") ==
        "ERROR: query.geo_distance: expected exactly one field, got 'a' and 'b'");
  CHECK(D(R"({"geo_bounding_box":{"loc":{"top_left":"40,1","bottom_right":"50,3"}}})") ==
        "ERROR: query.geo_bounding_box: expected top >= bottom");
  CHECK(D(R"({"geo_bounding_box":{"loc":{"top_left":"50,1"}}})") ==
        "ERROR: query.geo_bounding_box: expected top_left and bottom_right (or top, left, bottom and right)");
  CHECK(D(R"({"geo_bounding_box":{"loc":{"top":50,"left":1,"bottom":40,"right":300}}})") ==
        "ERROR: query.geo_bounding_box: expected longitude in [-180, 180], got 300");
  CHECK(D(R"({"geo_polygon":{"loc":{"points":[[0,0],[1,1]]}}})") ==
        "ERROR: query.geo_polygon.points: expected at least 3 points, got 2");
  CHECK(D(R"({"geo_polygon":{"loc":{"points":[[0,0],[1,1],"x"]}}})") ==
        "ERROR: query.geo_polygon.points[2]: expected a point as \"lat,lon\", got 'x'");
  CHECK(D(R"({"geo_polygon":{"loc":{"points":[[0,0],[0,1],[1,1]],"holes":[[[0,0]]]}}})") ==
        "ERROR: query.geo_polygon.holes[0]: expected at least 3 points, got 1");
  CHECK(D(R"({"geo_polygon":{"loc":{"pts":[]}}})") == "ERROR: query.geo_polygon: expected key 'points'");
  CHECK(D(R"({"geohash_cell":{"loc":"u4pra"}})") ==
        "ERROR: query.geohash_cell: expected a geohash of 1 to 12 base32 characters, got 'u4pra'");
  CHECK(D(R"({"geohash_cell":{"loc":""}})") ==
        "ERROR: query.geohash_cell: expected a geohash of 1 to 12 base32 characters, got ''");
}

TEST_CASE("dsl: unicode text and field names survive parsing") {
  CHECK(D(R"({"match":{"名前":"東京 タワー"}})") == R"(match(名前,"東京 タワー"))");
  CHECK(D(R"({"term":{"city":"Zürich"}})") == R"(term(city,"Zürich"))");
}

TEST_CASE("dsl: parse, print and reparse of equivalent spellings give equal trees") {
  auto a = parse_dsl(*parse_json(R"({"bool":{"must":{"match":{"t":"a"}}}})"));
  auto b = parse_dsl(*parse_json(R"({"bool":{"must":[{"match":{"t":{"query":"a"}}}]}})"));
  REQUIRE(a.is_ok());
  REQUIRE(b.is_ok());
  CHECK(*a == *b);
}

TEST_CASE("dsl: random JSON-shaped input never crashes and always has a path in its errors") {
  std::mt19937 rng(3);
  const char* keys[] = {"match", "bool", "must", "should", "term", "range", "gte", "query", "geo_distance",
                        "distance", "loc", "points", "fields", "x", "filter", "constant_score", "boost"};
  std::function<Json(int)> gen = [&](int depth) -> Json {
    int t = static_cast<int>(rng() % (depth > 3 ? 4 : 7));
    switch (t) {
      case 0: return Json(static_cast<int64_t>(rng() % 5) - 1);
      case 1: return Json(std::string(keys[rng() % std::size(keys)]));
      case 2: return Json(rng() % 2 == 0);
      case 3: return Json();
      case 4: case 5: {
        Json o = Json::object();
        int n = static_cast<int>(rng() % 3);
        for (int i = 0; i < n; ++i) o.set(keys[rng() % std::size(keys)], gen(depth + 1));
        return o;
      }
      default: {
        Json a = Json::array();
        int n = static_cast<int>(rng() % 3);
        for (int i = 0; i < n; ++i) a.push(gen(depth + 1));
        return a;
      }
    }
  };
  int ok = 0;
  for (int i = 0; i < 3000; ++i) {
    Json j = Json::object();
    j.set(keys[rng() % 2 == 0 ? 0 : rng() % std::size(keys)], gen(1));
    auto r = parse_dsl(j);
    if (r.is_ok()) { ++ok; continue; }
    CHECK(r.status().message().rfind("query", 0) == 0);
    CHECK(r.status().code() == Status::Code::kInvalidArgument);
  }
  CHECK(ok > 0);
}
