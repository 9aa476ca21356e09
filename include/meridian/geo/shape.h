// Query shapes: circle (geo_distance), bounding box, polygon with holes and
// geohash cell. A Shape answers two questions exactly and conservatively:
//   contains(p)  is this point matched by the query? (the exact check that
//                 border cells are refined with)
//   relate(rect) is a cell rectangle entirely outside, entirely inside, or
//                 partly inside? kInside and kOutside are only returned when
//                 they hold for every point p that encode()s into the
//                 rectangle's cell, as judged by contains(p) itself.
//
// Semantics (see docs/GEO.md):
//   circle   haversine_m(center, p) <= radius (the border is inside). A radius
//            of at least half the Earth's circumference is the whole sphere.
//   box      closed lat/lon rectangle; left > right crosses the antimeridian;
//            longitudes -180 and 180 are the same meridian.
//   polygon  planar in lat/lon degrees (edges are straight in degrees, as in
//            Elasticsearch); borders of the outer ring and of holes are inside.
//            Rings may be unclosed; self-intersecting rings, rings with fewer
//            than 3 distinct points or zero area, holes crossing the outer
//            ring or lying outside it are errors. Edges never wrap across the
//            antimeridian.
//   geohash  the points whose geohash starts with the hash (the same points a
//            geohash_grid bucket of that key counts); half-open like cells.
//
// Shape is an immutable value holding a shared pointer to its geometry: cheap
// to copy, safe to use from many threads at once.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "meridian/base/status.h"
#include "meridian/geo/cell_id.h"
#include "meridian/geo/point.h"

namespace meridian::geo {

class Shape {
 public:
  enum class Kind { kCircle, kBox, kPolygon, kGeohash };
  enum class Relation { kOutside, kInside, kPartial };

  // radius_m must be finite and >= 0; center valid.
  static Result<Shape> circle(LatLon center, double radius_m);
  // top >= bottom; all coordinates in range. left > right wraps.
  static Result<Shape> box(double top, double left, double bottom, double right);
  // rings[0] is the outer ring, the rest are holes.
  static Result<Shape> polygon(std::vector<std::vector<LatLon>> rings);
  static Result<Shape> geohash_cell(std::string_view hash);

  Kind kind() const;
  bool contains(LatLon p) const;
  Relation relate(const Rect& r) const;
  // Closed rectangles (one, or two for shapes crossing the antimeridian)
  // that together hold every point the shape contains; may be loose.
  std::vector<Rect> bounding_rects() const;
  // A short human-readable description, e.g. "circle(48.1,11.5 r=1000m)".
  std::string describe() const;

  // Geometry implementation (one subclass per kind, in src/geo/).
  class Impl;

 private:
  explicit Shape(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace meridian::geo
