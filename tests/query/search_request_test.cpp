#include "meridian/query/search_request.h"

#include <doctest/doctest.h>

using namespace meridian;
using namespace meridian::query;

namespace {

Result<SearchRequest> R(std::string_view json, const SearchRequestOptions& opt = {}) {
  auto j = parse_json(json);
  REQUIRE_MESSAGE(j.is_ok(), json);
  return parse_search_request(*j, opt);
}

std::string E(std::string_view json, const SearchRequestOptions& opt = {}) {
  auto r = R(json, opt);
  return r.is_ok() ? "OK" : r.status().message();
}

std::string EP(const std::map<std::string, std::string>& p) {
  auto r = parse_search_params(p);
  return r.is_ok() ? "OK" : r.status().message();
}

}  // namespace

TEST_CASE("search request: an empty body is match_all, page 0..10, no sort, default total tracking") {
  auto r = R("{}");
  REQUIRE(r.is_ok());
  CHECK(to_string(r->query) == "match_all");
  CHECK(r->from == 0);
  CHECK(r->size == 10);
  CHECK(r->sort.empty());
  CHECK(r->filters.empty());
  CHECK(r->track_total_hits == 10000);
  CHECK_FALSE(r->explain);
  CHECK_FALSE(r->highlight.has_value());
  CHECK_FALSE(r->q.has_value());
}

TEST_CASE("search request: q becomes the simple query over q_fields; query is the DSL") {
  auto r = R(R"({"q":"new yor","q_fields":["name^2","alt"]})");
  REQUIRE(r.is_ok());
  CHECK(*r->q == "new yor");
  CHECK(r->q_fields.size() == 2);
  // Word by word, each word in any of the fields (or joined to its
  // neighbour); the last also a prefix.
  CHECK(to_string(r->query) ==
        R"(bool(must=[bool(should=[multi_match([name^2,alt],"new",op=and,fuzziness=AUTO:5,9),multi_match([name^2,alt],"newyor",op=and)]),)"
        R"(bool(should=[multi_match([name^2,alt],"yor",op=and,fuzziness=AUTO:5,9,prefix_last),multi_match([name^2,alt],"newyor",op=and)])]))");
  // Matching strategy last (the default): the relaxed query, first word required.
  REQUIRE(r->relaxed_query);
  CHECK(!R(R"({"q":"new yor","matching_strategy":"all"})")->relaxed_query);
  CHECK(R(R"({"q":"new yor"})")->ranking.size() == 6);
  CHECK(R(R"({"query":{"match":{"a":"new yor"}}})")->ranking.empty());
  SearchRequestOptions opt;
  opt.default_q_fields = {{"name", 1}};
  CHECK(to_string(R(R"({"q":"x"})", opt)->query) == R"(match(name,"x",op=and,fuzziness=AUTO:5,9,prefix_last))");
  auto d = R(R"({"query":{"term":{"a":1}}})");
  REQUIRE(d.is_ok());
  CHECK(to_string(d->query) == "term(a,1)");
  CHECK(E(R"({"q":"x","query":{"match_all":{}}})") == "q: expected either 'q' or 'query', not both");
}

TEST_CASE("search request: filters as one query, an array, or query-string text") {
  auto r = R(R"({"filter":[{"term":{"a":1}},"year:[2000 TO *]"]})");
  REQUIRE(r.is_ok());
  REQUIRE(r->filters.size() == 2);
  CHECK(to_string(r->filters[0]) == "term(a,1)");
  CHECK(to_string(r->filters[1]) == "range(year,gte=2000)");
  CHECK(R(R"({"filter":{"exists":{"field":"x"}}})")->filters.size() == 1);
  CHECK(E(R"({"filter":[{"term":{"a":1}},"(x"]})") == "filter[1]: expected ')' at column 3");
  CHECK(E(R"({"filter":[{"trem":{"a":1}}]})") == "filter[0]: unknown query type 'trem'");
}

TEST_CASE("search request: every sort form") {
  auto r = R(R"({"sort":["name",{"price":"desc"},{"date":{"order":"asc","missing":"_first"}},"_score",
      {"_score":"asc"},{"_geo_distance":{"location":[2.35,48.85],"order":"desc","unit":"km"}},
      {"_geo_distance":{"pin":"48.85,2.35"}}]})");
  REQUIRE(r.is_ok());
  REQUIRE(r->sort.size() == 7);
  using K = SortSpec::Kind;
  CHECK(r->sort[0] == SortSpec{K::kField, "name", false, false, {}, "m", 1});
  CHECK(r->sort[1] == SortSpec{K::kField, "price", true, false, {}, "m", 1});
  CHECK(r->sort[2] == SortSpec{K::kField, "date", false, true, {}, "m", 1});
  CHECK(r->sort[3] == SortSpec{K::kScore, "", true, false, {}, "m", 1});
  CHECK(r->sort[4] == SortSpec{K::kScore, "", false, false, {}, "m", 1});
  CHECK(r->sort[5] == SortSpec{K::kGeoDistance, "location", true, false, {48.85, 2.35}, "km", 1000});
  CHECK(r->sort[6] == SortSpec{K::kGeoDistance, "pin", false, false, {48.85, 2.35}, "m", 1});
  CHECK(R(R"({"sort":"name"})")->sort.size() == 1);
  CHECK(R(R"({"sort":{"name":"desc"}})")->sort[0].desc);
}

TEST_CASE("search request: sort errors name the element") {
  CHECK(E(R"({"sort":["a",{"price":"up"}]})") == "sort[1].price: expected 'asc' or 'desc', got 'up'");
  CHECK(E(R"({"sort":[5]})") == "sort[0]: expected string or object, got number");
  CHECK(E(R"({"sort":[{"a":"asc","b":"asc"}]})") == "sort[0]: expected exactly one sort field, got 2 keys");
  CHECK(E(R"({"sort":[{"a":{"missing":"_middle"}}]})") == "sort[0].a.missing: expected '_first' or '_last', got '_middle'");
  CHECK(E(R"({"sort":[{"a":{"mode":"min"}}]})") == "sort[0].a: unknown key 'mode'");
  CHECK(E(R"({"sort":[{"_geo_distance":{"order":"asc"}}]})") == "sort[0]: expected an origin: {\"_geo_distance\": {\"<field>\": point}} or 'near'");
  CHECK(E(R"({"sort":[{"_geo_distance":{"loc":"1,2","unit":"parsec"}}]})") ==
        "sort[0]._geo_distance.unit: expected a distance unit (m, km, mi, ...), got 'parsec'");
  CHECK(E(R"({"sort":[{"_geo_distance":{"loc":"100,2"}}]})") ==
        "sort[0]._geo_distance.loc: expected latitude in [-90, 90], got 100");
}

TEST_CASE("search request: from + size is limited by max_window") {
  CHECK(E(R"({"from":9990,"size":10})") == "OK");
  CHECK(E(R"({"from":9991,"size":10})") == "size: expected from + size <= 10000, got 9991 + 10; use search_after to page deeper");
  CHECK(E(R"({"size":10001})") == "size: expected an integer in [0, 10000], got 10001");
  CHECK(E(R"({"from":18446744073709551615})") != "OK");
  SearchRequestOptions small;
  small.max_window = 50;
  CHECK(E(R"({"from":40,"size":11})", small) == "size: expected from + size <= 50, got 40 + 11; use search_after to page deeper");
  CHECK(E(R"({"size":-1})") == "size: expected an integer in [0, 10000], got -1");
  CHECK(E(R"({"size":"10"})") == "size: expected integer, got string");
  CHECK(E(R"({"size":2.5})") == "size: expected integer, got number");
  auto r = R(R"({"from":20,"size":5})");
  CHECK(r->from == 20);
  CHECK(r->size == 5);
}

TEST_CASE("search request: search_after must be an array and cannot be mixed with from") {
  auto r = R(R"({"sort":["a"],"search_after":[10,"x"]})");
  REQUIRE(r.is_ok());
  CHECK(r->search_after->dump() == R"([10,"x"])");
  CHECK(E(R"({"search_after":5})") == "search_after: expected array, got number");
  CHECK(E(R"({"search_after":[1],"from":5})") == "search_after: expected from = 0 with search_after");
}

TEST_CASE("search request: facets of every kind") {
  auto r = R(R"({"facets":{
      "by_country":{"terms":{"field":"country","size":5}},
      "pop":{"histogram":{"field":"population","interval":1000}},
      "bands":{"range":{"field":"price","ranges":[{"to":10},{"from":10,"to":20,"key":"mid"},{"from":20}]}},
      "st":{"stats":{"field":"price"}},
      "grid":{"geohash_grid":{"field":"location","precision":3}},
      "bounds":{"geo_bounds":{"field":"location"}}}})");
  REQUIRE(r.is_ok());
  REQUIRE(r->facets.size() == 6);
  using K = FacetSpec::Kind;
  CHECK(r->facets["by_country"] == FacetSpec{K::kTerms, "country", 5, 0, {}, 5});
  CHECK(r->facets["pop"].kind == K::kHistogram);
  CHECK(r->facets["pop"].interval == 1000);
  REQUIRE(r->facets["bands"].ranges.size() == 3);
  CHECK(r->facets["bands"].ranges[0] == FacetRange{std::nullopt, 10.0, ""});
  CHECK(r->facets["bands"].ranges[1] == FacetRange{10.0, 20.0, "mid"});
  CHECK(r->facets["bands"].ranges[2] == FacetRange{20.0, std::nullopt, ""});
  CHECK(r->facets["st"].kind == K::kStats);
  CHECK(r->facets["grid"].precision == 3);
  CHECK(r->facets["bounds"].kind == K::kGeoBounds);
}

TEST_CASE("search request: facet errors name the path") {
  CHECK(E(R"({"facets":{"by_country":{"terms":{"field":"c","size":"ten"}}}})") ==
        "facets.by_country.terms.size: expected integer, got string");
  CHECK(E(R"({"facets":{"x":{"terms":{"size":3}}}})") == "facets.x.terms: expected key 'field'");
  CHECK(E(R"({"facets":{"x":{"terms":{"field":"c","interval":3}}}})") == "facets.x.terms: unknown key 'interval'");
  CHECK(E(R"({"facets":{"x":{"histogram":{"field":"c"}}}})") == "facets.x.histogram: expected key 'interval'");
  CHECK(E(R"({"facets":{"x":{"histogram":{"field":"c","interval":0}}}})") ==
        "facets.x.histogram.interval: expected a positive interval");
  CHECK(E(R"({"facets":{"x":{"range":{"field":"c","ranges":[{"from":5,"to":1}]}}}})") ==
        "facets.x.range.ranges[0]: expected from <= to");
  CHECK(E(R"({"facets":{"x":{"range":{"field":"c"}}}})") == "facets.x.range: expected key 'ranges' with at least one range");
  CHECK(E(R"({"facets":{"x":{"geohash_grid":{"field":"l","precision":13}}}})") ==
        "facets.x.geohash_grid.precision: expected an integer in [1, 12], got 13");
  CHECK(E(R"({"facets":{"x":{"pie":{"field":"c"}}}})") == "facets.x: unknown facet type 'pie'");
  CHECK(E(R"({"facets":{"x":{"terms":{"field":"c"},"stats":{"field":"c"}}}})") ==
        "facets.x: expected exactly one facet type, got 2 keys");
  CHECK(E(R"({"facets":[]})") == "facets: expected object, got array");
}

TEST_CASE("search request: highlight, fields, explain and track_total_hits") {
  auto r = R(R"({"highlight":{"fields":["title","body"],"pre_tags":["<b>"],"post_tag":"</b>","fragment_size":80,
      "number_of_fragments":2},"fields":["name","country"],"explain":true,"track_total_hits":true})");
  REQUIRE(r.is_ok());
  REQUIRE(r->highlight.has_value());
  CHECK(r->highlight->fields.size() == 2);
  CHECK(r->highlight->pre_tag == "<b>");
  CHECK(r->highlight->post_tag == "</b>");
  CHECK(r->highlight->fragment_size == 80);
  CHECK(r->highlight->number_of_fragments == 2);
  CHECK(r->fields == std::vector<std::string>{"name", "country"});
  CHECK(r->explain);
  CHECK(r->track_total_hits == kTrackAllHits);
  auto h = R(R"({"highlight":{"fields":{"title":{},"body":{"fragment_size":40}}},"track_total_hits":false})");
  REQUIRE(h.is_ok());
  CHECK(h->highlight->pre_tag == "<em>");
  CHECK(h->highlight->fragment_size == 150);
  CHECK(h->highlight->number_of_fragments == 3);
  CHECK(h->highlight->fields[1] == HighlightField{"body", 40, std::nullopt});
  CHECK(h->track_total_hits == 0);
  CHECK(R(R"({"track_total_hits":500})")->track_total_hits == 500);
  CHECK(E(R"({"highlight":{"fields":{"t":{"frag":1}}}})") == "highlight.fields.t: unknown key 'frag'");
  CHECK(E(R"({"fields":[1]})") == "fields[0]: expected string, got number");
  CHECK(E(R"({"explain":"yes"})") == "explain: expected boolean, got string");
  CHECK(E(R"({"track_total_hits":"all"})") == "track_total_hits: expected boolean or integer, got string");
  CHECK(E(R"({"sise":10})") == "sise: unknown key 'sise' (did you mean 'size'?)");
  CHECK(E(R"([1])") == "request: expected object, got array");
}

TEST_CASE("search request: near, radius, geo_field and bbox become geo filters") {
  auto r = R(R"({"near":"48.85,2.35","radius":"10km"})");
  REQUIRE(r.is_ok());
  REQUIRE(r->filters.size() == 1);
  CHECK(to_string(r->filters[0]) == "geo_distance(location,48.85,2.35,10000m)");
  auto g = R(R"({"near":{"lat":1,"lon":2},"radius":500,"geo_field":"pin","bbox":[1,2,3,4]})");
  REQUIRE(g.is_ok());
  REQUIRE(g->filters.size() == 2);
  CHECK(to_string(g->filters[0]) == "geo_distance(pin,1,2,500m)");
  CHECK(to_string(g->filters[1]) == "geo_bounding_box(pin,top=4,left=1,bottom=2,right=3)");
  CHECK(to_string(R(R"({"bbox":"50,1,40,3"})")->filters[0]) == "geo_bounding_box(location,top=50,left=1,bottom=40,right=3)");
  CHECK(E(R"({"near":"48.85,2.35"})") == "near: expected 'radius' with 'near' (or a sort by _geo_distance: the nearest first)");
  CHECK(E(R"({"radius":"1km"})") == "radius: expected 'near' with 'radius'");
  CHECK(E(R"({"near":"x","radius":"1km"})") == "near: expected a point as \"lat,lon\", got 'x'");
  CHECK(E(R"({"bbox":[1,2,3]})") == "bbox: expected [left, bottom, right, top], got 3 elements");
  CHECK(E(R"({"bbox":"40,1,50,3"})") == "bbox: expected top >= bottom");
  CHECK(E(R"({"bbox":"a,b,c,d"})") == "bbox: expected \"top,left,bottom,right\", got 'a,b,c,d'");
}

TEST_CASE("search params: URL parameters map onto the same request") {
  auto r = parse_search_params({{"q", "paris"}, {"filter", "country:FR"}, {"near", "48.85,2.35"}, {"radius", "5km"},
                                {"sort", "population:desc,name,_score,_geo_distance:asc"}, {"size", "20"},
                                {"from", "40"}, {"fields", "name, country"}, {"facets", "country,admin_code"},
                                {"highlight", "name"}, {"explain", "true"}, {"track_total_hits", "false"}});
  REQUIRE(r.is_ok());
  CHECK(to_string(r->query) == R"(match(*,"paris",op=and,fuzziness=AUTO:5,9,prefix_last))");
  REQUIRE(r->filters.size() == 2);
  CHECK(to_string(r->filters[0]) == R"(match(country,"FR"))");
  CHECK(to_string(r->filters[1]) == "geo_distance(location,48.85,2.35,5000m)");
  REQUIRE(r->sort.size() == 4);
  CHECK(r->sort[0].field == "population");
  CHECK(r->sort[0].desc);
  CHECK_FALSE(r->sort[1].desc);
  CHECK(r->sort[2].kind == SortSpec::Kind::kScore);
  CHECK(r->sort[3].kind == SortSpec::Kind::kGeoDistance);
  CHECK(r->sort[3].origin == GeoPoint{48.85, 2.35});
  CHECK(r->size == 20);
  CHECK(r->from == 40);
  CHECK(r->fields == std::vector<std::string>{"name", "country"});
  CHECK(r->facets.size() == 2);
  CHECK(r->facets["admin_code"].field == "admin_code");
  CHECK(r->highlight->fields.size() == 1);
  CHECK(r->explain);
  CHECK(r->track_total_hits == 0);
  auto q = parse_search_params({{"q", "x"}, {"q_fields", "name^2,alt"}, {"bbox", "50,1,40,3"}, {"geo_field", "pin"}});
  REQUIRE(q.is_ok());
  CHECK(to_string(q->query) == R"(multi_match([name^2,alt],"x",op=and,fuzziness=AUTO:5,9,prefix_last))");
  CHECK(to_string(q->filters[0]) == "geo_bounding_box(pin,top=50,left=1,bottom=40,right=3)");
}

TEST_CASE("search params: bad values and unknown parameters are errors naming the parameter") {
  CHECK(EP({{"size", "abc"}}) == "size: expected an integer in [0, 10000], got 'abc'");
  CHECK(EP({{"size", "-1"}}) == "size: expected an integer in [0, 10000], got '-1'");
  CHECK(EP({{"size", "20000"}}) == "size: expected an integer in [0, 10000], got '20000'");
  CHECK(EP({{"explain", "maybe"}}) == "explain: expected true or false, got 'maybe'");
  CHECK(EP({{"sort", "_geo_distance"}}) == "sort: expected 'near' with _geo_distance");
  CHECK(EP({{"sort", "a:sideways"}}) == "sort[0].a: expected 'asc' or 'desc', got 'sideways'");
  CHECK(EP({{"filter", "a AND"}}) == "filter: expected a term after 'AND' at column 6");
  CHECK(EP({{"qq", "x"}}) == "qq: unknown parameter 'qq' (did you mean 'q'?)");
  CHECK(EP({}) == "OK");
}

TEST_CASE("search request: geo_decay with every origin form, defaults and the geo_field default") {
  SearchRequestOptions opt;
  opt.default_geo_field = "where";
  auto r = R(R"({"q":"pizza","geo_decay":{"origin":"48.85,2.35","scale":"10km"}})", opt);
  REQUIRE(r.is_ok());
  REQUIRE(r->geo_decay.has_value());
  const GeoDecay& g = *r->geo_decay;
  CHECK(g.field == "where");
  CHECK(g.origin == GeoPoint{48.85, 2.35});
  CHECK(g.function == geo::DecayKind::kGauss);
  CHECK(g.scale_m == 10000);
  CHECK(g.offset_m == 0);
  CHECK(g.decay == 0.5);
  CHECK(g.weight == 1);
  CHECK(r->filters.empty());  // a decay ranks, it does not filter

  auto full = R(R"({"geo_decay":{"field":"location","origin":{"lat":-33.9,"lon":151.2},"function":"exp",
                   "scale":"2mi","offset":"500m","decay":0.25,"weight":3}})");
  REQUIRE(full.is_ok());
  CHECK(full->geo_decay->field == "location");
  CHECK(full->geo_decay->origin == GeoPoint{-33.9, 151.2});
  CHECK(full->geo_decay->function == geo::DecayKind::kExp);
  CHECK(full->geo_decay->scale_m == doctest::Approx(3218.688));
  CHECK(full->geo_decay->offset_m == 500);
  CHECK(full->geo_decay->decay == 0.25);
  CHECK(full->geo_decay->weight == 3);

  auto lonlat = R(R"({"geo_decay":{"origin":[151.2,-33.9],"function":"linear","scale":1000,"geo":1}})");
  CHECK(lonlat.status().message() == "geo_decay: unknown key 'geo'");
  auto lin = R(R"({"geo_decay":{"origin":[151.2,-33.9],"function":"linear","scale":1000}})");
  REQUIRE(lin.is_ok());
  CHECK(lin->geo_decay->origin == GeoPoint{-33.9, 151.2});  // GeoJSON order
  CHECK(lin->geo_decay->function == geo::DecayKind::kLinear);
  CHECK(lin->geo_decay->scale_m == 1000);
}

TEST_CASE("search request: geo_decay errors name the key") {
  CHECK(E(R"({"geo_decay":{"scale":"1km"}})") == "geo_decay: expected key 'origin'");
  CHECK(E(R"({"geo_decay":{"origin":"1,2"}})") == "geo_decay: expected key 'scale'");
  CHECK(E(R"({"geo_decay":{"origin":"1,2","scale":"1km","function":"cubic"}})") ==
        "geo_decay.function: expected 'gauss', 'exp' or 'linear', got 'cubic'");
  CHECK(E(R"({"geo_decay":{"origin":"91,2","scale":"1km"}})").starts_with("geo_decay.origin"));
  CHECK(E(R"({"geo_decay":{"origin":"1,2","scale":"-1km"}})").starts_with("geo_decay.scale"));
  CHECK(E(R"({"geo_decay":{"origin":"1,2","scale":0}})").starts_with("geo_decay: "));
  CHECK(E(R"({"geo_decay":{"origin":"1,2","scale":"1km","decay":1}})").starts_with("geo_decay: "));
  CHECK(E(R"({"geo_decay":{"origin":"1,2","scale":"1km","decay":0}})").starts_with("geo_decay: "));
  CHECK(E(R"({"geo_decay":{"origin":"1,2","scale":"1km","weight":0}})") ==
        "geo_decay.weight: expected a positive number");
  CHECK(E(R"({"geo_decay":[1]})") == "geo_decay: expected object, got array");
}

TEST_CASE("search params: decay=gauss&scale=10km ranks around near, with or without a radius filter") {
  auto r = parse_search_params({{"q", "pizza"}, {"near", "48.85,2.35"}, {"decay", "gauss"}, {"scale", "10km"}});
  REQUIRE(r.is_ok());
  REQUIRE(r->geo_decay.has_value());
  CHECK(r->geo_decay->origin == GeoPoint{48.85, 2.35});
  CHECK(r->geo_decay->field == "location");
  CHECK(r->geo_decay->scale_m == 10000);
  CHECK(r->filters.empty());  // near without radius: only the decay's origin

  auto f = parse_search_params({{"near", "1,2"}, {"radius", "5km"}, {"decay", "linear"}, {"scale", "1km"},
                                {"offset", "100m"}, {"decay_value", "0.3"}, {"geo_field", "loc"}});
  REQUIRE(f.is_ok());
  CHECK(f->geo_decay->function == geo::DecayKind::kLinear);
  CHECK(f->geo_decay->offset_m == 100);
  CHECK(f->geo_decay->decay == 0.3);
  CHECK(f->geo_decay->field == "loc");
  REQUIRE(f->filters.size() == 1);
  CHECK(to_string(f->filters[0]) == "geo_distance(loc,1,2,5000m)");

  CHECK(EP({{"decay", "gauss"}, {"scale", "1km"}}) == "decay: expected 'near' (the origin) with 'decay'");
  CHECK(EP({{"near", "1,2"}, {"decay", "gauss"}}) == "decay: expected 'scale' with 'decay'");
  CHECK(EP({{"near", "1,2"}, {"radius", "1km"}, {"scale", "1km"}}) ==
        "scale: expected 'decay' (gauss, exp or linear) with 'scale'");
  CHECK(EP({{"near", "1,2"}, {"decay", "gauss"}, {"scale", "1km"}, {"decay_value", "x"}}) ==
        "decay_value: expected a number, got 'x'");
  CHECK(EP({{"near", "1,2"}, {"decay", "cubic"}, {"scale", "1km"}}) ==
        "geo_decay.function: expected 'gauss', 'exp' or 'linear', got 'cubic'");
  CHECK(EP({{"near", "1,2"}}) == "near: expected 'radius' with 'near' (or a sort by _geo_distance: the nearest first)");
}

TEST_CASE("search request: source is a boolean, true by default, in the body and as a URL parameter") {
  CHECK(R("{}")->source);
  CHECK_FALSE(R(R"({"source":false})")->source);
  CHECK(R(R"({"source":true})")->source);
  CHECK(E(R"({"source":"no"})") == "source: expected boolean, got string");
  auto p = parse_search_params({{"q", "x"}, {"source", "false"}});
  REQUIRE(p.is_ok());
  CHECK_FALSE(p->source);
  CHECK(EP({{"source", "maybe"}}).find("source") != std::string::npos);
}

TEST_CASE("search request: near without radius is the origin of a sort by distance, nearest first") {
  for (const char* body : {R"({"near":"48.85,2.35","sort":["_geo_distance"]})",
                           R"({"near":"48.85,2.35","sort":[{"_geo_distance":"asc"}]})",
                           R"({"near":"48.85,2.35","geo_field":"pin","sort":[{"_geo_distance":{"unit":"km"}}]})"}) {
    auto r = R(body);
    REQUIRE_MESSAGE(r.is_ok(), body);
    CHECK(r->filters.empty());  // no radius: no filter
    REQUIRE(r->sort.size() == 1);
    CHECK(r->sort[0].kind == SortSpec::Kind::kGeoDistance);
    CHECK_FALSE(r->sort[0].desc);
    CHECK(r->sort[0].origin == GeoPoint{48.85, 2.35});
    CHECK(r->geo_field == r->sort[0].field);
  }
  CHECK(R(R"({"near":"1,2","sort":[{"_geo_distance":"desc"}]})")->sort[0].desc);
  CHECK(R(R"({"near":"1,2","geo_field":"pin","sort":["_geo_distance"]})")->sort[0].field == "pin");
  auto p = parse_search_params({{"near", "48.85,2.35"}, {"sort", "_geo_distance"}});
  REQUIRE(p.is_ok());
  CHECK(p->filters.empty());
  CHECK(p->sort[0].field == "location");
  CHECK(E(R"({"sort":["_geo_distance"]})") == "sort[0]: expected an origin: {\"_geo_distance\": {\"<field>\": point}} or 'near'");
}

TEST_CASE("search request: size and from name the real window, a huge from is reported at from") {
  CHECK(E(R"({"size":-1})") == "size: expected an integer in [0, 10000], got -1");
  CHECK(E(R"({"from":99999999})") == "from: expected an integer in [0, 10000], got 99999999");
  CHECK(EP({{"from", "99999999"}}) == "from: expected an integer in [0, 10000], got '99999999'");
  CHECK(E(R"({"from":10000,"size":1})") == "size: expected from + size <= 10000, got 10000 + 1; use search_after to page deeper");
}

TEST_CASE("search request: unknown keys suggest the key other engines call it") {
  CHECK(E(R"({"limit":5})") == "limit: unknown key 'limit' (did you mean 'size'?)");
  CHECK(E(R"({"_source":false})") == "_source: unknown key '_source' (did you mean 'source'?)");
  CHECK(E(R"({"aggs":{}})") == "aggs: unknown key 'aggs' (did you mean 'facets'?)");
  CHECK(E(R"({"zzzzzz":1})") == "zzzzzz: unknown key 'zzzzzz'");
  CHECK(EP({{"limit", "5"}}) == "limit: unknown parameter 'limit' (did you mean 'size'?)");
}
