#include "meridian/geo/coverer.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <random>
#include <set>

using namespace meridian;
using namespace meridian::geo;

namespace {

const double kPi = std::acos(-1.0);

Shape must(Result<Shape> r) {
  REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  return std::move(r).value();
}

// The point at `dist` metres from `from` along initial bearing `bearing` (rad).
LatLon destination(LatLon from, double bearing, double dist) {
  double d = dist / kEarthRadiusM, p1 = from.lat * kPi / 180, l1 = from.lon * kPi / 180;
  double p2 = std::asin(std::sin(p1) * std::cos(d) + std::cos(p1) * std::sin(d) * std::cos(bearing));
  double l2 = l1 + std::atan2(std::sin(bearing) * std::sin(d) * std::cos(p1),
                              std::cos(d) - std::sin(p1) * std::sin(p2));
  double lon = std::remainder(l2 * 180 / kPi, 360.0);
  return {std::clamp(p2 * 180 / kPi, -90.0, 90.0), std::clamp(lon, -180.0, 180.0)};
}

// Random points everywhere, at the poles, on the antimeridian and on cell
// borders, plus `near` points around the given anchors (shape vertices,
// centres) at the given distance scale.
std::vector<LatLon> sample(std::mt19937_64& rng, const std::vector<LatLon>& anchors, double scale_m) {
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<LatLon> pts;
  for (int i = 0; i < 1500; ++i) pts.push_back({std::asin(2 * u(rng) - 1) * 180 / kPi, u(rng) * 360 - 180});
  for (int i = 0; i < 100; ++i) {
    pts.push_back({90, u(rng) * 360 - 180});
    pts.push_back({-90, u(rng) * 360 - 180});
    pts.push_back({u(rng) * 180 - 90, 180});
    pts.push_back({u(rng) * 180 - 90, -180});
  }
  for (LatLon a : anchors) {
    pts.push_back(a);
    for (int i = 0; i < 1500; ++i) {
      LatLon p = destination(a, u(rng) * 2 * kPi, u(rng) * 2 * scale_m);
      pts.push_back(p);
      // Snap to a cell border of a random level near the anchor.
      int k = 5 + static_cast<int>(u(rng) * 28);
      double lat_cell = 180 / std::ldexp(1.0, k), lon_cell = 360 / std::ldexp(1.0, k);
      pts.push_back({std::clamp(-90 + std::round((p.lat + 90) / lat_cell) * lat_cell, -90.0, 90.0),
                     std::clamp(-180 + std::round((p.lon + 180) / lon_cell) * lon_cell, -180.0, 180.0)});
    }
    // Exactly on the anchor's parallel and meridian.
    for (int i = 0; i < 200; ++i) {
      pts.push_back({a.lat, std::clamp(a.lon + (u(rng) - 0.5) * scale_m / 5e4, -180.0, 180.0)});
      pts.push_back({std::clamp(a.lat + (u(rng) - 0.5) * scale_m / 5e4, -90.0, 90.0), a.lon});
    }
  }
  return pts;
}

bool in_cells(const std::vector<Cell>& cells, uint64_t id) {
  for (const Cell& c : cells) {
    if (cell_prefix(id, c.bits) == c.id) return true;
  }
  return false;
}

// Point numbers per cell term: the index a covering is used with.
using CellIndex = std::map<std::string, std::vector<size_t>>;

CellIndex index_points(const std::vector<LatLon>& pts) {
  CellIndex index;
  for (size_t i = 0; i < pts.size(); ++i) {
    for (const Cell& c : index_cells(pts[i])) index[cell_term(c.id, c.bits)].push_back(i);
  }
  return index;
}

// The adaptive covering's view of CellIndex; checks that cells are asked in
// dictionary order (coarsest level first, ids increasing), the order a
// forward-only dictionary iterator needs.
class MapCellCounts final : public CellCounts {
 public:
  explicit MapCellCounts(const CellIndex& index) : index_(index) {}
  uint64_t count(Cell c) override {
    std::string term = cell_term(c.id, c.bits);
    if (asked_ > 0 && !(last_ < term)) out_of_order_ = true;
    last_ = term;
    ++asked_;
    auto it = index_.find(term);
    return it == index_.end() ? 0 : it->second.size();
  }
  size_t asked() const { return asked_; }
  bool out_of_order() const { return out_of_order_; }

 private:
  const CellIndex& index_;
  std::string last_;
  size_t asked_ = 0;
  bool out_of_order_ = false;
};

// Checks the covering contract over `pts` and simulates the index: cell term
// -> point numbers, queried with the covering, compared with a linear scan.
void check_cells(const Shape& s, const std::vector<LatLon>& pts, const CellIndex& index, const Covering& cov,
                 size_t max_cells) {
  CHECK(cov.inner.size() + cov.border.size() <= std::max<size_t>(max_cells, 32));
  const auto& levels = indexed_levels();
  std::vector<Cell> all = cov.inner;
  all.insert(all.end(), cov.border.begin(), cov.border.end());
  for (const Cell& c : all) {
    CHECK(std::find(levels.begin(), levels.end(), c.bits) != levels.end());
    CHECK(cell_prefix(c.id, c.bits) == c.id);
  }
  for (size_t i = 0; i < all.size(); ++i) {  // cells never overlap
    for (size_t j = i + 1; j < all.size(); ++j) {
      int b = std::min(all[i].bits, all[j].bits);
      REQUIRE(cell_prefix(all[i].id, b) != cell_prefix(all[j].id, b));
    }
  }
  std::set<size_t> found, expected;
  for (size_t i = 0; i < pts.size(); ++i) {
    const LatLon& p = pts[i];
    bool in = s.contains(p);
    uint64_t id = encode(p);
    if (in) {
      if (!in_cells(all, id)) FAIL("lost point " << p.lat << "," << p.lon);
      expected.insert(i);
    }
    if (!in && in_cells(cov.inner, id)) FAIL("inner cell holds outside point " << p.lat << "," << p.lon);
  }
  for (const Cell& c : cov.inner) {
    auto it = index.find(cell_term(c.id, c.bits));
    if (it != index.end()) found.insert(it->second.begin(), it->second.end());
  }
  for (const Cell& c : cov.border) {
    auto it = index.find(cell_term(c.id, c.bits));
    if (it == index.end()) continue;
    for (size_t i : it->second) {
      if (s.contains(pts[i])) found.insert(i);
    }
  }
  CHECK(found == expected);
}

// The shape-only covering and the adaptive one (counts from the simulated
// index; empty cells dropped, small partial cells not split) both keep the
// contract; the adaptive one never holds an empty cell.
void check_covering(const Shape& s, const std::vector<LatLon>& pts, size_t max_cells = 64) {
  INFO(s.describe());
  CellIndex index = index_points(pts);
  Covering cov = cover(s, max_cells);
  check_cells(s, pts, index, cov, max_cells);
  for (uint64_t scan_at_most : {uint64_t{0}, uint64_t{16}, uint64_t{200}}) {
    INFO("adaptive, scan_at_most " << scan_at_most);
    MapCellCounts counts(index);
    CoverOptions o;
    o.max_cells = max_cells;
    o.counts = &counts;
    o.scan_at_most = scan_at_most;
    Covering adaptive = cover(s, o);
    CHECK_FALSE(counts.out_of_order());
    check_cells(s, pts, index, adaptive, max_cells);
    for (const auto* cells : {&adaptive.inner, &adaptive.border}) {
      for (const Cell& c : *cells) CHECK(index.count(cell_term(c.id, c.bits)) == 1);
    }
  }
  size_t contained = 0;
  for (const LatLon& p : pts) contained += s.contains(p);
  MESSAGE(s.describe() << ": " << cov.inner.size() << " inner + " << cov.border.size() << " border cells, "
                       << contained << "/" << pts.size() << " points inside");
}

}  // namespace

TEST_CASE("coverer: circles of every size never lose a point and inner cells hold only matches") {
  std::mt19937_64 rng(11);
  std::vector<LatLon> centres = {{48.1, 11.5}, {90, 0},     {-90, 45},  {10, 180}, {-20, -179.9999},
                                 {0, 0},       {89.99, 60}, {-45, 179.5}, {60, -180}};
  std::uniform_real_distribution<double> u(0, 1);
  for (int i = 0; i < 3; ++i) centres.push_back({std::asin(2 * u(rng) - 1) * 180 / kPi, u(rng) * 360 - 180});
  for (double radius : {0.0, 1.0, 1000.0, 100e3, 15000e3, 20015e3, 25000e3}) {
    for (LatLon c : centres) {
      Shape s = must(Shape::circle(c, radius));
      std::vector<LatLon> pts = sample(rng, {c, destination(c, u(rng) * 2 * kPi, radius)}, std::max(radius, 1.0));
      // Points exactly at the radius (as far as rounding allows).
      for (int i = 0; i < 300; ++i) pts.push_back(destination(c, u(rng) * 2 * kPi, radius));
      for (const LatLon& p : pts) {
        if (s.contains(p) != (haversine_m(c, p) <= radius)) FAIL("contains != haversine at " << p.lat << "," << p.lon);
      }
      check_covering(s, pts);
    }
  }
}

TEST_CASE("coverer: a circle around a pole covers all longitudes") {
  Shape s = must(Shape::circle({90, 0}, 500e3));
  Covering cov = cover(s);
  for (double lon = -180; lon <= 180; lon += 7.5) {
    CHECK((in_cells(cov.inner, encode({89, lon})) || in_cells(cov.border, encode({89, lon}))));
    CHECK(s.contains({86, lon}));
  }
}

TEST_CASE("coverer: boxes, including antimeridian-crossing and degenerate ones") {
  std::mt19937_64 rng(12);
  struct B { double top, left, bottom, right; };
  for (B b : {B{10, -20, -10, 20}, B{60, 170, 40, -170}, B{90, -180, -90, 180}, B{5, 0, 5, 10},
              B{10, 30, -10, 30}, B{90, 100, 80, -100}, B{-85, -180, -90, 180}, B{1e-4, 1e-4, 0, 0},
              B{45.5, 179.999, 45.4, -179.999}, B{10, 170, -10, 180}}) {
    Shape s = must(Shape::box(b.top, b.left, b.bottom, b.right));
    std::vector<LatLon> anchors = {{b.top, b.left}, {b.bottom, b.right}, {b.top, b.right}, {b.bottom, b.left}};
    double span = std::max(haversine_m({b.top, b.left}, {b.bottom, b.right}), 20.0);
    check_covering(s, sample(rng, anchors, span));
  }
}

TEST_CASE("coverer: polygons with holes and concave polygons") {
  std::mt19937_64 rng(13);
  std::vector<std::vector<std::vector<LatLon>>> polys = {
      {{{0, 0}, {0, 10}, {10, 10}, {10, 0}}, {{4, 4}, {4, 6}, {6, 6}, {6, 4}}},
      {{{0, 0}, {10, 0}, {10, 3}, {2, 3}, {2, 7}, {10, 7}, {10, 10}, {0, 10}}},
      {{{48.1, 11.5}, {48.2, 11.6}, {48.15, 11.52}, {48.3, 11.45}, {48.12, 11.40}}},
      {{{-10, 170}, {10, 170}, {10, 180}, {0, 175}, {-10, 180}}},
      {{{85, -180}, {89.9, 0}, {85, 180}}},
      {{{40.000001, -74.000001}, {40.000001, -73.999999}, {39.999999, -73.999999}, {39.999999, -74.000001}},
       {{40.0000005, -74.0000005}, {40.0000005, -73.9999995}, {39.9999995, -74}}},
  };
  for (const auto& rings : polys) {
    Shape s = must(Shape::polygon(rings));
    std::vector<LatLon> anchors;
    for (const auto& ring : rings) {
      for (size_t i = 0; i < ring.size(); ++i) {
        anchors.push_back(ring[i]);
        const LatLon& n = ring[(i + 1) % ring.size()];
        anchors.push_back({(ring[i].lat + n.lat) / 2, (ring[i].lon + n.lon) / 2});  // on (or by) the edge
      }
    }
    double span = haversine_m(rings[0][0], rings[0][1]);
    check_covering(s, sample(rng, anchors, span / 4));
  }
}

TEST_CASE("coverer: geohash cells cover themselves with one indexed cell") {
  std::mt19937_64 rng(14);
  for (const char* h : {"u", "u4", "u4pru", "u4pruydqqv", "u4pruydqqvj", "zzzzzzzzzzzz", "0"}) {
    Shape s = must(Shape::geohash_cell(h));
    Covering cov = cover(s);
    size_t len = std::string(h).size();
    if (len <= 10) {
      REQUIRE(cov.inner.size() == 1);
      CHECK(cov.border.empty());
      CHECK(cov.inner[0].bits == static_cast<int>(5 * len));
    } else {
      CHECK(cov.inner.empty());
      REQUIRE(cov.border.size() == 1);
      CHECK(cov.border[0].bits == 50);
    }
    Rect r = *geohash_rect(h);
    LatLon c{(r.min_lat + r.max_lat) / 2, (r.min_lon + r.max_lon) / 2};
    check_covering(s, sample(rng, {c, {r.min_lat, r.min_lon}, {r.max_lat, r.max_lon}},
                             std::max(haversine_m({r.min_lat, r.min_lon}, {r.max_lat, r.max_lon}), 1.0)));
  }
}

TEST_CASE("coverer: the cell budget is respected and small budgets still cover") {
  std::mt19937_64 rng(15);
  Shape s = must(Shape::circle({48.1, 11.5}, 50e3));
  std::vector<LatLon> pts = sample(rng, {{48.1, 11.5}}, 50e3);
  for (size_t budget : {1u, 4u, 8u, 16u, 64u, 256u}) {
    Covering cov = cover(s, budget);
    CHECK(cov.inner.size() + cov.border.size() <= std::max<size_t>(budget, 32));
    check_covering(s, pts, budget);
  }
  // A larger budget gives a tighter covering (less area to check).
  auto border_area = [&](size_t budget) {
    double a = 0;
    for (const Cell& c : cover(s, budget).border) a += std::ldexp(1.0, -c.bits);
    return a;
  };
  CHECK(border_area(256) < border_area(16));
}

TEST_CASE("coverer: adaptive covering drops empty cells and does not split small ones") {
  Shape s = must(Shape::circle({48.1, 11.5}, 20e3));
  // Three points near the centre: every non-empty partial cell holds at most
  // three, so with scan_at_most 3 no cell is split below the starting level.
  std::vector<LatLon> pts = {{48.1, 11.5}, {48.101, 11.502}, {48.2, 11.6}, {10, 10}};
  CellIndex index = index_points(pts);
  MapCellCounts counts(index);
  CoverOptions o;
  o.counts = &counts;
  o.scan_at_most = 3;
  Covering adaptive = cover(s, o);
  Covering plain = cover(s, 64);
  CHECK(adaptive.inner.size() + adaptive.border.size() >= 1);
  CHECK(adaptive.inner.size() + adaptive.border.size() < plain.inner.size() + plain.border.size());
  int coarsest = 64;
  for (const Cell& c : plain.border) coarsest = std::min(coarsest, c.bits);
  for (const Cell& c : adaptive.border) CHECK(c.bits <= coarsest);  // not split further
  CHECK(counts.asked() <= 8);  // only the starting cells were asked about
  check_cells(s, pts, index, adaptive, 64);
  // No point at all: an empty covering, from the starting cells alone.
  CellIndex none;
  MapCellCounts zero(none);
  o.counts = &zero;
  Covering empty = cover(s, o);
  CHECK(empty.inner.empty());
  CHECK(empty.border.empty());
  CHECK(zero.asked() <= 8);
}

TEST_CASE("coverer: covering typical circles takes microseconds") {
  auto time_us = [](double radius) {
    Shape s = *Shape::circle({48.1, 11.5}, radius);
    auto t0 = std::chrono::steady_clock::now();
    size_t cells = 0;
    const int n = 200;
    for (int i = 0; i < n; ++i) cells += cover(s).border.size();
    auto t1 = std::chrono::steady_clock::now();
    CHECK(cells > 0);
    return std::chrono::duration<double, std::micro>(t1 - t0).count() / n;
  };
  for (double r : {1.0, 1000.0, 10e3, 100e3, 1000e3}) {
    MESSAGE("cover(circle r=" << r << " m): " << time_us(r) << " us per call (this build)");
  }
}
