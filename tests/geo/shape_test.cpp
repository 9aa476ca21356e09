#include "meridian/geo/shape.h"

#include <doctest/doctest.h>

#include <cmath>

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
