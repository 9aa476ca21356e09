#include "meridian/geo/aggregations.h"

#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <random>

#include "meridian/geo/cell_id.h"

using namespace meridian;
using namespace meridian::geo;

TEST_CASE("aggregations: geohash grid counts and centroids equal a brute-force grouping") {
  std::mt19937_64 rng(21);
  std::uniform_real_distribution<double> lat(47, 49), lon(10, 13);
  std::vector<LatLon> pts;
  for (int i = 0; i < 5000; ++i) pts.push_back({lat(rng), lon(rng)});
  pts.push_back({90, 180});
  pts.push_back({-90, -180});
  for (int precision : {1, 2, 3, 4, 5, 12}) {
    GridAccumulator a(precision), b(precision);
    std::map<std::string, std::vector<LatLon>> oracle;
    for (size_t i = 0; i < pts.size(); ++i) {
      (i % 2 ? a : b).add(pts[i]);
      oracle[geohash(pts[i], precision)].push_back(pts[i]);
    }
    a.merge(b);
    auto buckets = a.buckets();
    REQUIRE(buckets.size() == oracle.size());
    for (size_t i = 0; i < buckets.size(); ++i) {
      const auto& bk = buckets[i];
      CHECK(bk.key.size() == static_cast<size_t>(precision));
      const auto& members = oracle.at(bk.key);
      CHECK(bk.count == members.size());
      double slat = 0, slon = 0;
      for (LatLon p : members) { slat += p.lat; slon += p.lon; }
      CHECK(bk.centroid.lat == doctest::Approx(slat / members.size()).epsilon(1e-12));
      CHECK(bk.centroid.lon == doctest::Approx(slon / members.size()).epsilon(1e-12));
      Rect r = *geohash_rect(bk.key);  // the centroid lies in its cell
      CHECK(bk.centroid.lat >= r.min_lat);
      CHECK(bk.centroid.lat <= r.max_lat);
      if (i > 0) {
        const auto& prev = buckets[i - 1];
        CHECK((prev.count > bk.count || (prev.count == bk.count && prev.key < bk.key)));
      }
    }
  }
  CHECK(GridAccumulator(0).precision() == 1);
  CHECK(GridAccumulator(40).precision() == 12);
  CHECK(GridAccumulator(5).buckets().empty());
}

TEST_CASE("aggregations: bounds hold all points and cross the antimeridian when narrower") {
  BoundsAccumulator empty;
  CHECK(empty.empty());

  std::mt19937_64 rng(22);
  std::uniform_real_distribution<double> lat(-60, 70), lon(-30, 40);
  BoundsAccumulator plain;
  double top = -90, bottom = 90, left = 180, right = -180;
  for (int i = 0; i < 1000; ++i) {
    LatLon p{lat(rng), lon(rng)};
    plain.add(p);
    top = std::max(top, p.lat);
    bottom = std::min(bottom, p.lat);
    left = std::min(left, p.lon);
    right = std::max(right, p.lon);
  }
  CHECK_FALSE(plain.empty());
  CHECK(plain.top_left() == LatLon{top, left});
  CHECK(plain.bottom_right() == LatLon{bottom, right});

  // Fiji-like points on both sides of 180: the wrapped box is narrower.
  BoundsAccumulator fiji, other;
  fiji.add({-16, 177.5});
  fiji.add({-18, 179.9});
  other.add({-17, -179.5});
  other.add({-19, -178});
  fiji.merge(other);
  CHECK(fiji.top_left() == LatLon{-16, 177.5});
  CHECK(fiji.bottom_right() == LatLon{-19, -178});

  // Points far apart on both sides of Greenwich: no wrap.
  BoundsAccumulator wide;
  wide.add({0, -100});
  wide.add({0, 10});
  CHECK(wide.top_left() == LatLon{0, -100});
  CHECK(wide.bottom_right() == LatLon{0, 10});
  BoundsAccumulator west;
  west.add({1, -5});
  west.add({2, -7});
  CHECK(west.top_left() == LatLon{2, -7});
  CHECK(west.bottom_right() == LatLon{1, -5});
}
