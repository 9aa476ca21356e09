// parse_search_params (search_params.cpp) against the implementation it
// replaced (kept here as the oracle): a std::map of the parameters copied
// into a Json body with Json::set, then parse_search_request. The two must
// give the same request or the same first error for every parameter set.
#include <doctest/doctest.h>

#include <charconv>
#include <map>
#include <string>
#include <vector>

#include "meridian/query/dsl_parser.h"
#include "meridian/query/field_check.h"
#include "meridian/query/search_request.h"
#include "../../src/query/plain_params.h"

using namespace meridian;
using namespace meridian::query;
using namespace meridian::query::dsl;

namespace {

Result<Json> param_size(const std::string& name, const std::string& v, uint64_t max) {
  uint64_t n = 0;
  auto res = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || res.ec != std::errc() || res.ptr != v.data() + v.size() || n > max)
    return error(name, "expected an integer in [0, " + std::to_string(max) + "], got '" + v + "'");
  return Json(n);
}

const std::vector<std::string> kParams = {
    "q", "q_fields", "filter", "near", "radius", "geo_field", "bbox", "sort", "size", "from", "fields", "facets",
    "highlight", "explain", "source", "track_total_hits", "decay", "scale", "offset", "decay_value",
    "matching_strategy"};

Result<Json> param_bool(const std::string& name, const std::string& v) {
  if (v == "true" || v == "1" || v.empty()) return Json(true);
  if (v == "false" || v == "0") return Json(false);
  return error(name, "expected true or false, got '" + v + "'");
}

// "price:desc,_score,name,_geo_distance:asc" → sort array.
Result<Json> param_sort(const std::string& v, const std::map<std::string, std::string>& params,
                        const SearchRequestOptions& opt) {
  Json arr = Json::array();
  for (const std::string& item : split_commas(v)) {
    size_t colon = item.rfind(':');
    std::string field = colon == std::string::npos ? item : item.substr(0, colon);
    std::string order = colon == std::string::npos ? "" : item.substr(colon + 1);
    if (field == "_geo_distance") {
      auto near = params.find("near");
      if (near == params.end()) return error("sort", "expected 'near' with _geo_distance");
      auto gf = params.find("geo_field");
      Json spec = Json::object();
      spec.set(gf == params.end() ? opt.default_geo_field : gf->second, near->second);
      if (!order.empty()) spec.set("order", order);
      Json o = Json::object();
      o.set(field, std::move(spec));
      arr.push(std::move(o));
    } else if (order.empty()) {
      arr.push(Json(field));
    } else {
      Json o = Json::object();
      o.set(field, order);
      arr.push(std::move(o));
    }
  }
  return arr;
}

// decay=gauss&scale=10km[&offset=..][&decay_value=..] around near → a geo_decay object.
Result<std::optional<Json>> param_decay(const std::map<std::string, std::string>& params) {
  auto get = [&](const char* k) -> const std::string* {
    auto it = params.find(k);
    return it == params.end() ? nullptr : &it->second;
  };
  const std::string* fn = get("decay");
  if (!fn) {
    for (const char* k : {"scale", "offset", "decay_value"})
      if (get(k)) return error(k, "expected 'decay' (gauss, exp or linear) with '" + std::string(k) + "'");
    return std::optional<Json>();
  }
  if (!get("near")) return error("decay", "expected 'near' (the origin) with 'decay'");
  if (!get("scale")) return error("decay", "expected 'scale' with 'decay'");
  Json g = Json::object();
  if (const std::string* f = get("geo_field")) g.set("field", *f);
  g.set("origin", *get("near"));
  g.set("function", *fn);
  g.set("scale", *get("scale"));
  if (const std::string* o = get("offset")) g.set("offset", *o);
  if (const std::string* d = get("decay_value")) {
    double x = 0;
    auto res = std::from_chars(d->data(), d->data() + d->size(), x);
    if (d->empty() || res.ec != std::errc() || res.ptr != d->data() + d->size())
      return error("decay_value", "expected a number, got '" + *d + "'");
    g.set("decay", x);
  }
  return std::optional<Json>(std::move(g));
}

Result<SearchRequest> old_parse_search_params(const std::map<std::string, std::string>& params,
                                              const SearchRequestOptions& opt = {}) {
  Json body = Json::object();
  MERIDIAN_ASSIGN_OR_RETURN(std::optional<Json> decay, param_decay(params));
  if (decay) body.set("geo_decay", std::move(*decay));
  for (const auto& [k, v] : params) {
    if (k == "decay" || k == "scale" || k == "offset" || k == "decay_value") continue;  // param_decay
    if (k == "near" && decay && !params.count("radius")) continue;  // only the decay's origin
    if (k == "q" || k == "q_fields" || k == "matching_strategy" || k == "filter" || k == "near" || k == "radius" || k == "geo_field" ||
        k == "bbox" || k == "fields") {
      body.set(k, v);
    } else if (k == "size" || k == "from" || k == "track_total_hits") {
      if (k == "track_total_hits" && (v == "true" || v == "false")) { body.set(k, v == "true"); continue; }
      MERIDIAN_ASSIGN_OR_RETURN(Json n, param_size(k, v, k == "track_total_hits" ? INT64_MAX : opt.max_window));
      body.set(k, std::move(n));
    } else if (k == "explain" || k == "source") {
      MERIDIAN_ASSIGN_OR_RETURN(Json b, param_bool(k, v));
      body.set(k, std::move(b));
    } else if (k == "sort") {
      MERIDIAN_ASSIGN_OR_RETURN(Json s, param_sort(v, params, opt));
      body.set(k, std::move(s));
    } else if (k == "facets") {
      Json facets = Json::object();
      for (const std::string& f : split_commas(v)) {
        Json terms = Json::object();
        terms.set("field", f);
        Json spec = Json::object();
        spec.set("terms", std::move(terms));
        facets.set(f, std::move(spec));
      }
      body.set(k, std::move(facets));
    } else if (k == "highlight") {
      Json h = Json::object();
      h.set("fields", v);
      body.set(k, std::move(h));
    } else {
      return error(k, "unknown parameter '" + k + "'" + did_you_mean(k, kParams, search_key_aliases()));
    }
  }
  return parse_search_request(body, opt);
}


using Params = std::map<std::string, std::string>;

void check_same(const Params& p, const SearchRequestOptions& opt = {}) {
  std::string what;
  for (const auto& [k, v] : p) what += k + "=" + v + "&";
  CAPTURE(what);
  auto want = old_parse_search_params(p, opt);
  std::vector<ParamView> views(p.begin(), p.end());
  auto got = parse_search_params(std::span<const ParamView>(views), opt);
  REQUIRE(want.is_ok() == got.is_ok());
  if (!want.is_ok()) {
    CHECK(got.status().code() == want.status().code());
    CHECK(got.status().message() == want.status().message());
    return;
  }
  const SearchRequest& a = *want;
  const SearchRequest& b = *got;
  CHECK(a.q == b.q);
  CHECK(a.q_fields == b.q_fields);
  CHECK(a.query == b.query);
  CHECK(a.filters == b.filters);
  CHECK(a.sort == b.sort);
  CHECK(a.from == b.from);
  CHECK(a.size == b.size);
  CHECK(a.facets == b.facets);
  CHECK(a.highlight == b.highlight);
  CHECK(a.fields == b.fields);
  CHECK(a.source == b.source);
  CHECK(a.explain == b.explain);
  CHECK(a.track_total_hits == b.track_total_hits);
  CHECK(a.geo_decay == b.geo_decay);
  CHECK(a.geo_field == b.geo_field);
  CHECK(a.distinct == b.distinct);
  CHECK(a.ranking == b.ranking);
  CHECK(a.rank_fields == b.rank_fields);
  CHECK((a.matching_strategy == b.matching_strategy));
  CHECK(a.relaxed_query == b.relaxed_query);
}

}  // namespace

TEST_CASE("search params: the same requests as the Json-body path it replaced") {
  const std::vector<Params> cases = {
      {},
      {{"q", "zq"}},
      {{"q", "paris france"}, {"q_fields", "name^2,alt"}, {"matching_strategy", "all"}},
      {{"q", "paris"}, {"filter", "country:FR"}, {"sort", "population:desc,_score,name"}, {"size", "5"}, {"from", "10"}},
      {{"geo_field", "location"}, {"near", "48.85,2.35"}, {"radius", "1000m"}, {"size", "10000"}, {"source", "false"},
       {"track_total_hits", "true"}},
      {{"geo_field", "location"}, {"bbox", "50.5,1.5,49.5,2.5"}, {"size", "10000"}, {"source", "false"},
       {"track_total_hits", "true"}},
      {{"bbox", "10,170,-20,-170"}, {"track_total_hits", "false"}},
      {{"track_total_hits", "42"}, {"explain", ""}, {"source", "1"}},
      {{"near", "48.85,2.35"}, {"sort", "_geo_distance:desc"}},
      {{"near", "48.85,2.35"}, {"sort", "_geo_distance"}, {"geo_field", "pin"}},
      {{"q", "pizza"}, {"near", "48.85,2.35"}, {"decay", "gauss"}, {"scale", "10km"}},
      {{"near", "1,2"}, {"radius", "5km"}, {"decay", "linear"}, {"scale", "1km"}, {"offset", "100m"},
       {"decay_value", "0.3"}, {"geo_field", "pin"}},
      {{"facets", "country, admin_code,,"}, {"highlight", "name,alt"}, {"fields", "name,population"}},
      // Plain values only (parse_plain_params), edge cases of each.
      {{"bbox", " 50.5 , 1.5,,49.5,2.5 "}, {"geo_field", "pin"}},
      {{"size", "0"}, {"from", "3"}, {"track_total_hits", "9223372036854775807"}},
      {{"source", "0"}, {"explain", "true"}, {"near", " 48.85 , 2.35 "}, {"radius", "1.5km"}},
      {{"source", ""}, {"explain", "1"}, {"near", "-90,180"}, {"radius", "0"}},
      {{"bbox", "10,170,-20,-170"}, {"near", "1,2"}, {"radius", "3mi"}, {"size", "10000"}},
      {{"bbox", "1,2,3,4,5"}},
      {{"bbox", "1,2,x,4"}},
      {{"bbox", "1,2,,3"}},
      {{"track_total_hits", "9223372036854775808"}},
      {{"track_total_hits", "True"}},
      {{"size", "+5"}},
      {{"size", ""}},
      {{"from", "10001"}},
      {{"near", "48.85,2.35"}, {"radius", "-1km"}},
      {{"near", "48.85,2.35,1"}, {"radius", "1km"}},
      {{"source", "yes"}},
      {{"near", "48.85,2.35"}, {"radius", "1km"}, {"size", "5"}, {"sort", "_geo_distance"}},
      // Errors: the first one the old path met, in the same order.
      {{"size", "abc"}},
      {{"size", "20000"}},
      {{"from", "9995"}, {"size", "10"}},
      {{"sizee", "1"}},
      {{"limit", "1"}},
      {{"near", "bad"}, {"size", "x"}},
      {{"near", "100,0"}, {"radius", "1km"}},
      {{"radius", "1km"}},
      {{"near", "1,2"}},
      {{"radius", "wide"}, {"near", "1,2"}},
      {{"bbox", "1,2,3"}},
      {{"bbox", "10,0,20,1"}},
      {{"explain", "maybe"}, {"zzz", "1"}},
      {{"sort", "_geo_distance"}},
      {{"scale", "1km"}},
      {{"decay", "gauss"}},
      {{"decay", "gauss"}, {"near", "1,2"}},
      {{"decay", "cubic"}, {"near", "1,2"}, {"scale", "1km"}},
      {{"decay", "gauss"}, {"near", "1,2"}, {"scale", "1km"}, {"decay_value", "x"}},
      {{"matching_strategy", "most"}},
      {{"q", "a"}, {"filter", "country:("}},
      {{"track_total_hits", "-1"}},
      {{"sort", "name:up"}},
  };
  for (const auto& p : cases) check_same(p);
  SearchRequestOptions opt;
  opt.max_window = 100;
  opt.default_geo_field = "pin";
  opt.default_q_fields = {{"name", 2}};
  for (const auto& p : cases) check_same(p, opt);
}

TEST_CASE("search params: the std::map overload is the sorted views' answer") {
  auto a = parse_search_params(Params{{"q", "x"}, {"size", "3"}, {"near", "1,2"}, {"radius", "1km"}});
  REQUIRE(a.is_ok());
  CHECK(a->size == 3);
  REQUIRE(a->filters.size() == 1);
  CHECK(std::holds_alternative<GeoDistance>(a->filters[0].node));
}

TEST_CASE("search params: plain values take the direct path, anything else the body's") {
  auto plain = [](const Params& p) {
    std::vector<ParamView> views(p.begin(), p.end());
    SearchRequest r;
    return parse_plain_params(std::span<const ParamView>(views), {}, &r);
  };
  CHECK(plain({{"geo_field", "location"}, {"near", "48.85,2.35"}, {"radius", "1000m"}, {"size", "10000"},
               {"source", "false"}, {"track_total_hits", "true"}}));
  CHECK(plain({{"bbox", "50.5,1.5,49.5,2.5"}, {"explain", "0"}, {"from", "2"}, {"track_total_hits", "17"}}));
  CHECK(plain({}));
  CHECK_FALSE(plain({{"q", "paris"}}));                           // a parameter with more to it
  CHECK_FALSE(plain({{"near", "1,2"}, {"sort", "_geo_distance"}}));
  CHECK_FALSE(plain({{"size", "x"}}));                            // errors are the body's to report
  CHECK_FALSE(plain({{"radius", "1km"}}));                        // finish_request's too
  CHECK_FALSE(plain({{"bbox", "10,0,20,1"}}));
}
