// Fuzz target: geo shapes (geo/shape.h, geo/coverer.h) and the point formats
// of geo_point values (geo/point.h). Two input forms:
//  - JSON (first byte not 0): the value is parsed as geo_point value(s) and
//    as a DSL query; a geo query (geo_distance, geo_bounding_box,
//    geo_polygon, geohash_cell) becomes its Shape as the searcher builds it;
//  - binary (first byte 0): byte 1 picks the shape kind, then raw doubles
//    (any bits: NaN, infinities, huge radii) for Shape::circle / box /
//    polygon, or the text of a geohash; plus a cell term for parse_cell_term.
// Every shape that builds is covered (cover()) and checked against the
// documented invariants: every point of an inner cell is contained, every
// contained point (the input's points, the shape's vertices and cell
// centres) lies in a covering cell.
// Contract: a Shape or InvalidArgument; the invariants hold; never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "fuzz_util.h"
#include "meridian/geo/cell_id.h"
#include "meridian/geo/coverer.h"
#include "meridian/geo/shape.h"
#include "meridian/query/dsl_parser.h"

using namespace meridian;
using namespace meridian::geo;

namespace {

void fail(const char* what, const Shape& s, LatLon p) {
  std::fprintf(stderr, "geo_shape: %s: %s at %.17g,%.17g\n", what, s.describe().c_str(), p.lat, p.lon);
  std::abort();
}

void check_shape(const Shape& s, const std::vector<LatLon>& probes) {
  (void)s.describe();
  (void)s.bounding_rects();
  Covering c = cover(s, 64);
  auto covered = [&](LatLon p) {
    for (const auto* list : {&c.inner, &c.border})
      for (const Cell& cell : *list)
        if (cell_contains(cell, p)) return true;
    return false;
  };
  for (const Cell& cell : c.inner) {
    LatLon centre = decode_center(cell.id, cell.bits);
    if (!s.contains(centre)) fail("an inner cell's centre is not contained", s, centre);
    (void)s.relate(cell_rect(cell.id, cell.bits));
  }
  for (const Cell& cell : c.border) {
    LatLon centre = decode_center(cell.id, cell.bits);
    if (s.contains(centre) && !covered(centre)) fail("a contained point is not covered", s, centre);
  }
  for (LatLon p : probes)
    if (is_valid(p) && s.contains(p) && !covered(p)) fail("a contained point is not covered", s, p);
}

void from_query(const query::Query& q, std::vector<LatLon> probes) {
  using C = Status::Code;
  using K = query::Kind;
  Result<Shape> s = Status::invalid("not a geo query");
  switch (q.kind()) {
    case K::kGeoDistance: {
      const auto& g = *q.as<query::GeoDistance>();
      probes.push_back({g.lat, g.lon});
      s = Shape::circle({g.lat, g.lon}, g.distance_m);
      break;
    }
    case K::kGeoBoundingBox: {
      const auto& g = *q.as<query::GeoBoundingBox>();
      probes.push_back({g.top, g.left});
      probes.push_back({g.bottom, g.right});
      s = Shape::box(g.top, g.left, g.bottom, g.right);
      break;
    }
    case K::kGeoPolygon: {
      std::vector<std::vector<LatLon>> rings;
      for (const auto& r : q.as<query::GeoPolygon>()->rings) {
        rings.emplace_back();
        for (const auto& p : r) {
          rings.back().push_back({p.lat, p.lon});
          probes.push_back({p.lat, p.lon});
        }
      }
      s = Shape::polygon(std::move(rings));
      break;
    }
    case K::kGeohashCell: s = Shape::geohash_cell(q.as<query::GeohashCell>()->hash); break;
    default: return;
  }
  if (fuzz::check_result(s, {C::kInvalidArgument})) check_shape(*s, probes);
}

void from_binary(fuzz::InputReader in) {
  using C = Status::Code;
  uint8_t kind = in.u8();
  std::vector<LatLon> probes;
  Result<Shape> s = Status::invalid("none");
  switch (kind % 5) {
    case 0: {
      LatLon c{in.f64(), in.f64()};
      probes.push_back(c);
      s = Shape::circle(c, in.f64());
      break;
    }
    case 1: {
      double top = in.f64(), left = in.f64(), bottom = in.f64(), right = in.f64();
      probes = {{top, left}, {bottom, right}, {top, right}, {bottom, left}};
      s = Shape::box(top, left, bottom, right);
      break;
    }
    case 2: {
      std::vector<std::vector<LatLon>> rings(1 + in.u8() % 3);
      for (auto& r : rings) {
        size_t n = in.u8() % 24;
        for (size_t i = 0; i < n; ++i) {
          // Small integers as often as arbitrary bits: degenerate and
          // collinear rings need repeated coordinates.
          double lat = (in.u8() & 1) ? in.f64() : static_cast<int8_t>(in.u8()) * 0.5;
          double lon = (in.u8() & 1) ? in.f64() : static_cast<int8_t>(in.u8()) * 1.5;
          r.push_back({lat, lon});
          probes.push_back({lat, lon});
        }
      }
      s = Shape::polygon(std::move(rings));
      break;
    }
    case 3: s = Shape::geohash_cell(in.take(16)); break;
    case 4: (void)fuzz::check_result(parse_cell_term(in.take(16)), {C::kInvalidArgument}); return;
  }
  while (in.remaining() >= 16) probes.push_back({in.f64(), in.f64()});
  if (fuzz::check_result(s, {C::kInvalidArgument})) check_shape(*s, probes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using C = Status::Code;
  fuzz::InputReader in(data, size);
  if (size > 0 && data[0] == 0) {
    in.u8();
    from_binary(in);
    return 0;
  }
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto json = parse_json(text);
  if (!fuzz::check_result(json, {C::kInvalidArgument})) return 0;
  std::vector<LatLon> probes;
  auto points = parse_points(*json, "location");
  if (fuzz::check_result(points, {C::kInvalidArgument})) probes = *points;
  auto q = query::parse_dsl(*json);
  if (fuzz::check_result(q, {C::kInvalidArgument})) from_query(*q, probes);
  return 0;
}
