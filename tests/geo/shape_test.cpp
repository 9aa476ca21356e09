#include "meridian/geo/shape.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>

using namespace meridian;
using namespace meridian::geo;

using Rel = Shape::Relation;

namespace {

Shape must(Result<Shape> r) {
  REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  return std::move(r).value();
}

std::string poly_error(std::vector<std::vector<LatLon>> rings) {
  auto r = Shape::polygon(std::move(rings));
  REQUIRE(!r.is_ok());
  CHECK(r.status().code() == Status::Code::kInvalidArgument);
  return r.status().message();
}

}  // namespace

TEST_CASE("shape: a box includes its borders and wraps across the antimeridian when left > right") {
  Shape b = must(Shape::box(10, -20, -10, 20));
  CHECK(b.kind() == Shape::Kind::kBox);
  CHECK(b.contains({0, 0}));
  CHECK(b.contains({10, 20}));
  CHECK(b.contains({-10, -20}));
  CHECK_FALSE(b.contains({10.000001, 0}));
  CHECK_FALSE(b.contains({0, 170}));

  Shape w = must(Shape::box(10, 170, -10, -170));
  CHECK(w.contains({0, 175}));
  CHECK(w.contains({0, -175}));
  CHECK(w.contains({0, 180}));
  CHECK(w.contains({0, -180}));
  CHECK(w.contains({0, 170}));
  CHECK_FALSE(w.contains({0, 0}));
  CHECK_FALSE(w.contains({0, 169.9}));
  CHECK(w.relate({-5, 172, 5, 178}) == Rel::kInside);
  CHECK(w.relate({-5, -178, 5, -172}) == Rel::kInside);
  CHECK(w.relate({-5, 0, 5, 10}) == Rel::kOutside);
  CHECK(w.relate({-5, 160, 5, 175}) == Rel::kPartial);
  CHECK(w.relate({5, 172, 15, 178}) == Rel::kPartial);

  // -180 and 180 are the same meridian.
  Shape east = must(Shape::box(10, 170, -10, 180));
  CHECK(east.contains({0, -180}));
  CHECK(east.relate({-5, -180, 5, -179}) == Rel::kPartial);
  Shape world = must(Shape::box(90, -180, -90, 180));
  CHECK(world.relate({-90, -180, 90, 180}) == Rel::kInside);
}

TEST_CASE("shape: invalid boxes and circles are errors") {
  CHECK_FALSE(Shape::box(-10, 0, 10, 5).is_ok());  // top below bottom
  CHECK_FALSE(Shape::box(91, 0, 10, 5).is_ok());
  CHECK_FALSE(Shape::box(10, -181, 0, 5).is_ok());
  CHECK_FALSE(Shape::box(NAN, 0, 0, 5).is_ok());
  CHECK_FALSE(Shape::circle({0, 0}, -1).is_ok());
  CHECK_FALSE(Shape::circle({0, 0}, NAN).is_ok());
  CHECK_FALSE(Shape::circle({0, 0}, INFINITY).is_ok());
  CHECK_FALSE(Shape::circle({100, 0}, 10).is_ok());
  CHECK_FALSE(Shape::geohash_cell("abc").is_ok());
}

TEST_CASE("shape: a circle contains exactly the points within its haversine radius") {
  Shape c = must(Shape::circle({48.1, 11.5}, 1000));
  CHECK(c.contains({48.1, 11.5}));
  CHECK(c.contains({48.1 + 0.0089, 11.5}));   // ~990 m north
  CHECK_FALSE(c.contains({48.1 + 0.0091, 11.5}));
  Shape zero = must(Shape::circle({1, 2}, 0));
  CHECK(zero.contains({1, 2}));
  CHECK_FALSE(zero.contains({1, 2.0000001}));
  Shape pole = must(Shape::circle({90, 0}, 100e3));
  CHECK(pole.contains({89.5, -179}));
  CHECK(pole.contains({89.5, 45}));
  CHECK(pole.relate({89.5, -180, 90, 180}) == Rel::kInside);
  CHECK(pole.relate({88, 170, 90, 180}) == Rel::kPartial);
  CHECK(pole.relate({80, 0, 88, 10}) == Rel::kOutside);
  Shape am = must(Shape::circle({0, 179.99}, 10e3));
  CHECK(am.contains({0, -179.99}));
  CHECK(am.relate({-0.01, -180, 0.01, -179.995}) == Rel::kInside);
  Shape big = must(Shape::circle({0, 0}, 25000e3));
  CHECK(big.contains({0, 180}));
  CHECK(big.relate({-90, -180, 90, 180}) == Rel::kInside);
  Shape half = must(Shape::circle({0, 0}, 15000e3));
  CHECK(half.relate({-1, 179, 1, 180}) == Rel::kOutside);
  CHECK(half.relate({-90, -180, 90, 180}) == Rel::kPartial);
  CHECK(half.relate({-10, -10, 10, 10}) == Rel::kInside);
}

TEST_CASE("shape: a circle's contains decides every point as haversine_m <= radius, on and next to the border") {
  // contains() skips haversine_m's last steps where h alone decides; points
  // found by bisection on the border, their neighbouring doubles and a thin
  // band around it must be decided exactly as haversine_m decides them.
  std::mt19937 rng(5);
  auto uni = [&](double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); };
  const double radii[] = {0, 1e-4, 0.5, 1, 999.9, 1000, 12345.678, 100e3, 2500e3, 9000e3, kHalfCircumferenceM - 150e3,
                          kHalfCircumferenceM - 10};
  const LatLon centres[] = {{48.1, 11.5}, {0, 179.99}, {-33.9, 151.2}, {89.9, 10}, {-89.99, -170}, {0, 0}};
  size_t checked = 0;
  for (double r : radii) {
    for (LatLon c : centres) {
      Shape s = must(Shape::circle(c, r));
      auto check = [&](LatLon p) {
        if (p.lat > 90 || p.lat < -90) return;
        if (p.lon > 180) p.lon -= 360;
        if (p.lon < -180) p.lon += 360;
        CHECK_MESSAGE(s.contains(p) == (haversine_m(c, p) <= r), "centre ", c.lat, ",", c.lon, " r ", r, " p ", p.lat,
                      ",", p.lon);
        ++checked;
      };
      for (int dir = 0; dir < 40; ++dir) {
        const double a = uni(-1, 1), b = uni(-1, 1);
        auto at = [&](double t) { return LatLon{c.lat + a * t, c.lon + b * t}; };
        auto valid = [&](double t) { return std::fabs(c.lat + a * t) <= 90; };
        double lo = 0, hi = 1e-12;
        while (valid(hi * 2) && haversine_m(c, at(hi)) <= r && hi < 400) hi *= 2;
        for (int i = 0; i < 200; ++i) {
          double mid = (lo + hi) / 2;
          (haversine_m(c, at(mid)) <= r ? lo : hi) = mid;
        }
        for (double t : {lo, hi}) {
          LatLon p = at(t);
          check(p);
          for (int k = 0; k < 4; ++k) {
            check({std::nextafter(p.lat, 100.0), p.lon});
            check({std::nextafter(p.lat, -100.0), p.lon});
            check({p.lat, std::nextafter(p.lon, 400.0)});
            check({p.lat, std::nextafter(p.lon, -400.0)});
            p = {std::nextafter(p.lat, k % 2 ? 100.0 : -100.0), std::nextafter(p.lon, k < 2 ? 400.0 : -400.0)};
          }
          for (int k = 0; k < 20; ++k) check(at(t * (1 + uni(-1e-8, 1e-8))));
        }
        for (int k = 0; k < 20; ++k) check(at(hi * uni(0, 3)));
      }
      for (int k = 0; k < 200; ++k) check({uni(-90, 90), uni(-180, 180)});
    }
  }
  CHECK(checked > 50000);
}

TEST_CASE("shape: polygons with holes include ring borders and exclude hole interiors") {
  // Square 0..10 with a hole 4..6 (rings unclosed on purpose).
  Shape p = must(Shape::polygon({{{0, 0}, {0, 10}, {10, 10}, {10, 0}},
                                 {{4, 4}, {4, 6}, {6, 6}, {6, 4}, {4, 4}}}));
  CHECK(p.kind() == Shape::Kind::kPolygon);
  CHECK(p.contains({1, 1}));
  CHECK(p.contains({0, 5}));    // outer edge
  CHECK(p.contains({10, 10}));  // outer vertex
  CHECK(p.contains({4, 5}));    // hole edge
  CHECK_FALSE(p.contains({5, 5}));
  CHECK_FALSE(p.contains({11, 5}));
  CHECK(p.relate({1, 1, 2, 2}) == Rel::kInside);
  CHECK(p.relate({4.5, 4.5, 5.5, 5.5}) == Rel::kOutside);
  CHECK(p.relate({3, 3, 5, 5}) == Rel::kPartial);
  CHECK(p.relate({20, 20, 30, 30}) == Rel::kOutside);
  CHECK(p.relate({-1, -1, 11, 11}) == Rel::kPartial);

  // Concave "U": the notch is outside.
  Shape u = must(Shape::polygon({{{0, 0}, {10, 0}, {10, 3}, {2, 3}, {2, 7}, {10, 7}, {10, 10}, {0, 10}}}));
  CHECK(u.contains({5, 1}));
  CHECK_FALSE(u.contains({5, 5}));
  CHECK(u.relate({4, 4, 6, 6}) == Rel::kOutside);
}

TEST_CASE("shape: degenerate and self-intersecting polygons are clear errors") {
  CHECK(poly_error({}).find("no rings") != std::string::npos);
  CHECK(poly_error({{{0, 0}, {1, 1}}}).find("fewer than 3 distinct") != std::string::npos);
  CHECK(poly_error({{{0, 0}, {1, 1}, {0, 0}, {1, 1}}}).find("fewer than 3") != std::string::npos);
  CHECK(poly_error({{{0, 0}, {1, 1}, {2, 2}}}).find("zero area") != std::string::npos);
  // Bow tie.
  CHECK(poly_error({{{0, 0}, {10, 10}, {10, 0}, {0, 10}}}).find("self-intersecting") != std::string::npos);
  // Figure eight touching at a vertex.
  CHECK(poly_error({{{0, 0}, {5, 5}, {10, 0}, {10, 10}, {5, 5}, {0, 10}}}).find("self-intersecting") !=
        std::string::npos);
  // A spike folding back along an edge.
  CHECK(poly_error({{{0, 0}, {0, 10}, {0, 5}, {10, 0}}}).find("self-intersecting") != std::string::npos);
  CHECK(poly_error({{{0, 0}, {0, 10}, {10, 0}}, {{2, 2}, {2, 20}, {3, 20}}}).find("crosses") !=
        std::string::npos);
  CHECK(poly_error({{{0, 0}, {0, 10}, {10, 10}, {10, 0}}, {{20, 20}, {20, 21}, {21, 21}}}).find("outside") !=
        std::string::npos);
  CHECK(poly_error({{{0, 0}, {0, 200}, {10, 10}}}).find("out of range") != std::string::npos);
  // Closed and unclosed rings are the same polygon.
  Shape a = must(Shape::polygon({{{0, 0}, {0, 10}, {10, 10}}}));
  Shape b = must(Shape::polygon({{{0, 0}, {0, 10}, {10, 10}, {0, 0}}}));
  CHECK(a.contains({1, 5}) == b.contains({1, 5}));
  CHECK(a.describe() == b.describe());
}

TEST_CASE("shape: a geohash cell matches the points whose geohash starts with it") {
  Shape g = must(Shape::geohash_cell("u4pru"));
  CHECK(g.kind() == Shape::Kind::kGeohash);
  CHECK(g.contains({57.64911, 10.40744}));
  Rect r = *geohash_rect("u4pru");
  CHECK(g.contains({r.min_lat, r.min_lon}));
  CHECK_FALSE(g.contains({r.max_lat, r.min_lon}));  // belongs to the northern neighbour
  CHECK(g.relate(r) == Rel::kInside);
  CHECK(g.relate(*geohash_rect("u4prud")) == Rel::kInside);
  CHECK(g.relate(*geohash_rect("u4p")) == Rel::kPartial);
  CHECK(g.relate(*geohash_rect("u4prv")) == Rel::kOutside);
  CHECK(g.describe() == "geohash(u4pru)");
}

namespace {

// Points of a rectangle: corners, edge points and random interior points.
std::vector<LatLon> points_of(const Rect& r, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<LatLon> pts = {{r.min_lat, r.min_lon}, {r.min_lat, r.max_lon}, {r.max_lat, r.min_lon},
                             {r.max_lat, r.max_lon}};
  for (int i = 0; i < 60; ++i) {
    double a = r.min_lat + u(rng) * (r.max_lat - r.min_lat), b = r.min_lon + u(rng) * (r.max_lon - r.min_lon);
    pts.push_back({a, b});
    pts.push_back({a, r.min_lon});
    pts.push_back({a, r.max_lon});
    pts.push_back({r.min_lat, b});
    pts.push_back({r.max_lat, b});
  }
  return pts;
}

// relate() against brute force on cells around `anchor` at every level.
void check_relate(const Shape& s, LatLon anchor, std::mt19937_64& rng, int* decided) {
  uint64_t id = encode(anchor);
  for (int bits = 2; bits <= 56; bits += 3) {
    Rect r = cell_rect(id, bits);
    Rel rel = s.relate(r);
    if (rel == Rel::kPartial) continue;
    ++*decided;
    for (LatLon p : points_of(r, rng)) {
      if (s.contains(p) != (rel == Rel::kInside)) {
        FAIL(s.describe() << " cell bits " << bits << " point " << p.lat << "," << p.lon);
      }
    }
  }
}

}  // namespace

TEST_CASE("shape: relate agrees with contains on every sampled point of decided cells") {
  std::mt19937_64 rng(31);
  std::uniform_real_distribution<double> u(0, 1);
  const double pi = std::acos(-1.0);
  int decided = 0;
  for (int i = 0; i < 400; ++i) {
    LatLon c{std::asin(2 * u(rng) - 1) * 180 / pi, u(rng) * 360 - 180};
    if (i % 10 == 0) c.lat = i % 20 ? 90 : -90;
    if (i % 7 == 0) c.lon = 180;
    double radius = std::pow(10.0, u(rng) * 7.4);  // 1 m .. 25,000 km
    Shape s = *Shape::circle(c, radius);
    for (int k = 0; k < 10; ++k) {
      // An anchor near the circle's border.
      double d = radius * (0.9 + 0.2 * u(rng)) / kEarthRadiusM, b = u(rng) * 2 * pi;
      double p1 = c.lat * pi / 180;
      double p2 = std::asin(std::sin(p1) * std::cos(d) + std::cos(p1) * std::sin(d) * std::cos(b));
      double l2 = c.lon * pi / 180 + std::atan2(std::sin(b) * std::sin(d) * std::cos(p1),
                                                std::cos(d) - std::sin(p1) * std::sin(p2));
      LatLon a{std::clamp(p2 * 180 / pi, -90.0, 90.0), std::clamp(std::remainder(l2 * 180 / pi, 360.0), -180.0, 180.0)};
      check_relate(s, a, rng, &decided);
    }
  }
  for (int i = 0; i < 200; ++i) {
    double top = u(rng) * 180 - 90, bottom = u(rng) * 180 - 90;
    if (top < bottom) std::swap(top, bottom);
    Shape s = *Shape::box(top, u(rng) * 360 - 180, bottom, u(rng) * 360 - 180);
    for (int k = 0; k < 10; ++k) check_relate(s, {u(rng) * 180 - 90, u(rng) * 360 - 180}, rng, &decided);
  }
  Shape poly = *Shape::polygon({{{0, 0}, {10, 0}, {10, 3}, {2, 3}, {2, 7}, {10, 7}, {10, 10}, {0, 10}},
                                {{0.5, 0.5}, {1.5, 0.5}, {1, 1.5}}});
  for (int k = 0; k < 500; ++k) check_relate(poly, {u(rng) * 12 - 1, u(rng) * 12 - 1}, rng, &decided);
  CHECK(decided > 5000);
}

TEST_CASE("shape: a small circle's own cell, taller than its diameter, is partial: it holds the centre and a point outside") {
  std::mt19937_64 rng(77);
  std::uniform_real_distribution<double> u(0, 1);
  int tall = 0;
  for (int i = 0; i < 2000; ++i) {
    LatLon c{u(rng) * 170 - 85, u(rng) * 360 - 180};
    const double radius = std::pow(10.0, u(rng) * 4.5);  // 1 m .. 30 km
    Shape s = *Shape::circle(c, radius);
    const uint64_t id = encode(c);
    for (int bits = 5; bits <= 50; bits += 5) {
      const Rect r = cell_rect(id, bits);
      const Shape::Relation rel = s.relate(r);
      CHECK(rel != Shape::Relation::kOutside);  // it holds the centre
      const bool taller = kEarthRadiusM * (r.max_lat - r.min_lat) * std::acos(-1.0) / 180 > 2.001 * radius + 1e-3;
      if (!taller) continue;
      ++tall;
      CHECK(rel == Shape::Relation::kPartial);
      // Not inside: one end of the centre's meridian within the cell is out.
      const double far = std::max(haversine_m(c, {r.min_lat, c.lon}), haversine_m(c, {r.max_lat, c.lon}));
      CHECK(far > radius);
    }
  }
  CHECK(tall > 5000);
}
