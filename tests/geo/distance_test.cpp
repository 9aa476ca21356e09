#include "meridian/geo/distance.h"

#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "meridian/geo/point.h"

using namespace meridian;
using namespace meridian::geo;

namespace {

double metres(const Json& v) {
  auto r = parse_distance_m(v);
  REQUIRE_MESSAGE(r.is_ok(), v.dump() << ": " << r.status().to_string());
  return *r;
}

// Vincenty's inverse formula on WGS84 (metres); NaN if it does not converge
// (nearly antipodal points).
double vincenty_m(LatLon p1, LatLon p2) {
  const double a = 6378137.0, f = 1 / 298.257223563, b = a * (1 - f);
  const double d2r = std::acos(-1.0) / 180;
  double L = (p2.lon - p1.lon) * d2r;
  double U1 = std::atan((1 - f) * std::tan(p1.lat * d2r)), U2 = std::atan((1 - f) * std::tan(p2.lat * d2r));
  double sinU1 = std::sin(U1), cosU1 = std::cos(U1), sinU2 = std::sin(U2), cosU2 = std::cos(U2);
  double lambda = L, prev = 0, sin_sigma = 0, cos_sigma = 0, sigma = 0, cos2_alpha = 0, cos2sm = 0;
  for (int i = 0; i < 200; ++i) {
    double sl = std::sin(lambda), cl = std::cos(lambda);
    sin_sigma = std::sqrt((cosU2 * sl) * (cosU2 * sl) +
                          (cosU1 * sinU2 - sinU1 * cosU2 * cl) * (cosU1 * sinU2 - sinU1 * cosU2 * cl));
    if (sin_sigma == 0) return 0;
    cos_sigma = sinU1 * sinU2 + cosU1 * cosU2 * cl;
    sigma = std::atan2(sin_sigma, cos_sigma);
    double sin_alpha = cosU1 * cosU2 * sl / sin_sigma;
    cos2_alpha = 1 - sin_alpha * sin_alpha;
    cos2sm = cos2_alpha != 0 ? cos_sigma - 2 * sinU1 * sinU2 / cos2_alpha : 0;
    double C = f / 16 * cos2_alpha * (4 + f * (4 - 3 * cos2_alpha));
    prev = lambda;
    lambda = L + (1 - C) * f * sin_alpha *
                     (sigma + C * sin_sigma * (cos2sm + C * cos_sigma * (-1 + 2 * cos2sm * cos2sm)));
    if (std::fabs(lambda - prev) < 1e-12) {
      double u2 = cos2_alpha * (a * a - b * b) / (b * b);
      double A = 1 + u2 / 16384 * (4096 + u2 * (-768 + u2 * (320 - 175 * u2)));
      double B = u2 / 1024 * (256 + u2 * (-128 + u2 * (74 - 47 * u2)));
      double ds = B * sin_sigma * (cos2sm + B / 4 * (cos_sigma * (-1 + 2 * cos2sm * cos2sm) -
                                                     B / 6 * cos2sm * (-3 + 4 * sin_sigma * sin_sigma) *
                                                         (-3 + 4 * cos2sm * cos2sm)));
      return b * A * (sigma - ds);
    }
  }
  return NAN;
}

}  // namespace

TEST_CASE("distance: numbers are metres and strings take units") {
  CHECK(metres(10) == 10.0);
  CHECK(metres(2.5) == 2.5);
  CHECK(metres("10") == 10.0);
  CHECK(metres("5m") == 5.0);
  CHECK(metres("10km") == 10000.0);
  CHECK(metres("10 km") == 10000.0);
  CHECK(metres("2.5mi") == doctest::Approx(4023.36));
  CHECK(metres("300ft") == doctest::Approx(91.44));
  CHECK(metres("3yd") == doctest::Approx(2.7432));
  CHECK(metres("12in") == doctest::Approx(0.3048));
  CHECK(metres("1nmi") == 1852.0);
  CHECK(metres("1NM") == 1852.0);
  CHECK(metres("150cm") == doctest::Approx(1.5));
  CHECK(metres("7mm") == doctest::Approx(0.007));
  CHECK(metres("1e3m") == 1000.0);
  CHECK(metres("1.5kilometers") == 1500.0);
  CHECK(metres("2 miles") == doctest::Approx(3218.688));
  CHECK(metres("0") == 0.0);
  CHECK(metres(".5km") == 500.0);
}

TEST_CASE("distance: malformed, negative and non-finite distances are errors") {
  for (const Json& bad : {Json("km"), Json("10 parsecs"), Json("-5km"), Json(-1), Json(""),
                          Json("10km10"), Json("1e999"), Json(true), Json(nullptr), Json("ten")}) {
    auto r = parse_distance_m(bad);
    CHECK_MESSAGE(!r.is_ok(), bad.dump());
    if (!r.is_ok()) CHECK(r.status().message().find("distance") != std::string::npos);
  }
}

TEST_CASE("distance: decay is 1 within offset and `decay` at offset + scale") {
  for (DecayKind k : {DecayKind::kGauss, DecayKind::kExp, DecayKind::kLinear}) {
    CHECK(decay(k, 0, 1000, 0, 0.5) == 1.0);
    CHECK(decay(k, 0, 1000, 200, 0.5) == 1.0);
    CHECK(decay(k, 200, 1000, 200, 0.5) == 1.0);
    CHECK(decay(k, 1200, 1000, 200, 0.5) == doctest::Approx(0.5));
    CHECK(decay(k, 1000, 1000, 0, 0.3) == doctest::Approx(0.3));
    double prev = 1.0;
    for (double d = 0; d < 5000; d += 100) {  // never increases, stays in [0, 1]
      double s = decay(k, d, 1000, 100, 0.5);
      CHECK(s <= prev);
      CHECK(s >= 0.0);
      prev = s;
    }
  }
  // Shapes past the scale: gauss = decay^(t^2), exp = decay^t, linear hits 0.
  CHECK(decay(DecayKind::kGauss, 2000, 1000, 0, 0.5) == doctest::Approx(0.0625));
  CHECK(decay(DecayKind::kExp, 2000, 1000, 0, 0.5) == doctest::Approx(0.25));
  CHECK(decay(DecayKind::kLinear, 1500, 1000, 0, 0.5) == doctest::Approx(0.25));
  CHECK(decay(DecayKind::kLinear, 2000, 1000, 0, 0.5) == 0.0);
  CHECK(decay(DecayKind::kLinear, 9000, 1000, 0, 0.5) == 0.0);
  CHECK(decay(DecayKind::kGauss, 500, 0, 0, 0.5) == 0.0);  // invalid params stay in [0, 1]
}

TEST_CASE("distance: decay parameters are validated") {
  CHECK(check_decay_params(1000, 0, 0.5).is_ok());
  CHECK_FALSE(check_decay_params(0, 0, 0.5).is_ok());
  CHECK_FALSE(check_decay_params(-1, 0, 0.5).is_ok());
  CHECK_FALSE(check_decay_params(1000, -1, 0.5).is_ok());
  CHECK_FALSE(check_decay_params(1000, 0, 0).is_ok());
  CHECK_FALSE(check_decay_params(1000, 0, 1).is_ok());
  CHECK_FALSE(check_decay_params(NAN, 0, 0.5).is_ok());
}

TEST_CASE("distance: the spherical haversine is within 0.57% of WGS84 (Vincenty)") {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(-1, 1), lon(-180, 180);
  double worst = 0;
  int compared = 0;
  for (int i = 0; i < 20000; ++i) {
    LatLon a{std::asin(u(rng)) * 180 / std::acos(-1.0), lon(rng)};
    LatLon b{std::asin(u(rng)) * 180 / std::acos(-1.0), lon(rng)};
    if (i % 4 == 0) b = {a.lat + u(rng) * 0.1, a.lon};  // short meridional arcs: the worst case
    if (b.lat > 90 || b.lat < -90) continue;
    double v = vincenty_m(a, b);
    if (std::isnan(v) || v < 1.0) continue;
    ++compared;
    worst = std::max(worst, std::fabs(haversine_m(a, b) - v) / v);
  }
  MESSAGE("haversine vs WGS84 max relative error over " << compared << " pairs: " << worst * 100 << "%");
  CHECK(compared > 15000);
  CHECK(worst < 0.0057);
  CHECK(worst > 0.003);  // the sphere really is an approximation
}
