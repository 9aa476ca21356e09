#include "meridian/geo/point.h"

#include <doctest/doctest.h>

#include <cmath>

#include "meridian/geo/cell_id.h"

using namespace meridian;
using namespace meridian::geo;

namespace {

Json js(std::string_view text) {
  auto r = parse_json(text);
  REQUIRE(r.is_ok());
  return *r;
}

LatLon point_of(std::string_view text) {
  auto r = parse_point(js(text), "loc");
  REQUIRE_MESSAGE(r.is_ok(), text << ": " << r.status().to_string());
  return *r;
}

std::string error_of(std::string_view text) {
  auto r = parse_points(js(text), "loc");
  REQUIRE_MESSAGE(!r.is_ok(), text);
  CHECK(r.status().code() == Status::Code::kInvalidArgument);
  return r.status().message();
}

}  // namespace

TEST_CASE("point: every accepted single-point format gives the same point") {
  LatLon want{41.12, -71.34};
  CHECK(point_of(R"({"lat": 41.12, "lon": -71.34})") == want);
  CHECK(point_of(R"({"lat": 41.12, "lng": -71.34})") == want);
  CHECK(point_of(R"({"lon": -71.34, "lat": 41.12})") == want);
  CHECK(point_of(R"({"lat": "41.12", "lon": "-71.34"})") == want);
  CHECK(point_of(R"([-71.34, 41.12])") == want);
  CHECK(point_of(R"([-71.34, 41.12, 15.5])") == want);
  CHECK(point_of(R"("41.12,-71.34")") == want);
  CHECK(point_of(R"(" 41.12 , -71.34 ")") == want);
  CHECK(point_of(R"x("POINT (-71.34 41.12)")x") == want);
  CHECK(point_of(R"({"type": "Point", "coordinates": [-71.34, 41.12]})") == want);
  CHECK(point_of(R"({"lat": 41, "lon": -71})") == LatLon{41, -71});
  CHECK(point_of(R"([180, -90])") == LatLon{-90, 180});
  // A geohash is the centre of its cell.
  LatLon g = point_of(R"("drm3btev3e86")");
  CHECK(std::fabs(g.lat - 41.12) < 1e-6);
  CHECK(std::fabs(g.lon + 71.34) < 1e-6);
  CHECK(geohash(g, 12) == "drm3btev3e86");
}

TEST_CASE("point: parse_points accepts one point or arrays of points in any format") {
  auto one = parse_points(js("[-71.34, 41.12]"), "loc");
  REQUIRE(one.is_ok());
  REQUIRE(one->size() == 1);  // [lon, lat] of two numbers is ONE point
  CHECK((*one)[0] == LatLon{41.12, -71.34});

  auto many = parse_points(
      js(R"([[-71.34, 41.12], {"lat": 1, "lon": 2}, "3,4", "s00", {"type":"Point","coordinates":[6,5]}])"),
      "loc");
  REQUIRE(many.is_ok());
  REQUIRE(many->size() == 5);
  CHECK((*many)[0] == LatLon{41.12, -71.34});
  CHECK((*many)[1] == LatLon{1, 2});
  CHECK((*many)[2] == LatLon{3, 4});
  CHECK((*many)[4] == LatLon{5, 6});

  auto multi = parse_points(js(R"({"type": "MultiPoint", "coordinates": [[1, 2], [3, 4]]})"), "loc");
  REQUIRE(multi.is_ok());
  REQUIRE(multi->size() == 2);
  CHECK((*multi)[1] == LatLon{4, 3});

  CHECK(parse_points(js("null"), "loc")->empty());
  CHECK(parse_points(js("[]"), "loc")->empty());
  auto single = parse_points(js(R"({"lat": 1, "lon": 2})"), "loc");
  REQUIRE(single.is_ok());
  CHECK(single->size() == 1);
  auto two_strings = parse_points(js(R"(["1,2", "3,4"])"), "loc");
  REQUIRE(two_strings.is_ok());
  CHECK(two_strings->size() == 2);
}

TEST_CASE("point: out-of-range, NaN and malformed values are errors naming field and value") {
  std::string m = error_of(R"({"lat": 91, "lon": 0})");
  CHECK(m.find("'loc'") != std::string::npos);
  CHECK(m.find("latitude 91") != std::string::npos);
  CHECK(m.find(R"({"lat":91,"lon":0})") != std::string::npos);
  CHECK(error_of(R"({"lat": 0, "lon": -180.5})").find("longitude -180.5") != std::string::npos);
  CHECK(error_of(R"([0, -90.0001])").find("latitude") != std::string::npos);
  CHECK(error_of(R"("95,10")").find("latitude 95") != std::string::npos);
  CHECK(error_of(R"({"lat": "NaN", "lon": 0})").find("latitude NaN") != std::string::npos);
  CHECK(error_of(R"({"lat": "abc", "lon": 0})").find("lat is not a number") != std::string::npos);
  error_of(R"({"lat": 1})");
  error_of(R"({"lon": 1})");
  error_of(R"({"lat": true, "lon": 1})");
  error_of(R"({"type": "Polygon", "coordinates": [1, 2]})");
  error_of(R"({"type": "Point"})");
  error_of(R"({"type": "Point", "coordinates": [1]})");
  error_of(R"([1, "2"])");
  error_of(R"([[1, 2], [1]])");
  error_of(R"("")");
  error_of(R"("1,")");
  error_of(R"("1,x")");
  error_of(R"("not a geohash")");
  error_of(R"("aaaa")");  // 'a' is not in the geohash alphabet
  error_of(R"x("POINT (1)")x");
  error_of(R"("POINT 1 2")");
  error_of(R"(42)");
  error_of(R"(true)");
  error_of(R"({"type": "MultiPoint", "coordinates": [[1, 2], [1, 200]]})");
  std::string elem = error_of(R"([[1, 2], {"lat": 100, "lon": 0}])");
  CHECK(elem.find("element 1") != std::string::npos);
  CHECK_FALSE(parse_point(js("null"), "loc").is_ok());
  CHECK_FALSE(parse_point(js("[[1, 2]]"), "loc").is_ok());
}

TEST_CASE("point: haversine distances match known values") {
  const double pi = std::acos(-1.0);
  CHECK(haversine_m({0, 0}, {0, 1}) == doctest::Approx(2 * pi * kEarthRadiusM / 360).epsilon(1e-12));
  CHECK(haversine_m({90, 0}, {-90, 0}) == doctest::Approx(pi * kEarthRadiusM).epsilon(1e-12));
  CHECK(haversine_m({10, 20}, {-10, -160}) == doctest::Approx(pi * kEarthRadiusM).epsilon(1e-7));
  CHECK(haversine_m({12, 34}, {12, 34}) == 0.0);
  CHECK(haversine_m({0, 179.5}, {0, -179.5}) == doctest::Approx(haversine_m({0, 0}, {0, 1})));
  CHECK(haversine_m({90, 0}, {90, 123}) < 1e-6);  // the pole is one place
  // Paris (48.8566, 2.3522) to London (51.5074, -0.1278): about 343.5 km.
  CHECK(haversine_m({48.8566, 2.3522}, {51.5074, -0.1278}) == doctest::Approx(343.5e3).epsilon(0.002));
  CHECK(haversine_m({1, 2}, {3, 4}) == haversine_m({3, 4}, {1, 2}));
  CHECK(haversine_m({0, 0}, {0, 180}) <= kHalfCircumferenceM);
}
