// Geo aggregation helpers used by the query layer's collectors:
//   GridAccumulator    geohash_grid: points per geohash cell at precision
//                      1..12, with count and centroid (mean lat, mean lon of
//                      the points in the cell; a cell never spans the
//                      antimeridian, so the plain mean is right).
//   BoundsAccumulator  geo_bounds: the smallest lat/lon box holding all points.
//                      Like Elasticsearch (wrap_longitude = true), it keeps the
//                      longitude ranges of points east and west of Greenwich
//                      apart and reports a box crossing the antimeridian
//                      (top_left.lon > bottom_right.lon) when that is narrower.
// Both can be merged (per-segment collectors merged at the end).
//
// Mutable accumulators: one per thread, no internal locking.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "meridian/geo/point.h"

namespace meridian::geo {

class GridAccumulator {
 public:
  // precision is clamped to 1..12.
  explicit GridAccumulator(int precision);
  void add(LatLon p);
  void merge(const GridAccumulator& other);  // same precision required
  int precision() const { return precision_; }

  struct Bucket {
    std::string key;  // geohash of `precision` characters
    uint64_t count;
    LatLon centroid;
  };
  // Sorted by count descending, then key ascending.
  std::vector<Bucket> buckets() const;

 private:
  struct Sum {
    uint64_t count = 0;
    double lat = 0, lon = 0;
  };
  int precision_;
  std::map<uint64_t, Sum> cells_;  // key: cell prefix of 5 * precision bits
};

class BoundsAccumulator {
 public:
  void add(LatLon p);
  void merge(const BoundsAccumulator& other);
  bool empty() const { return count_ == 0; }
  // Meaningful only when !empty(). top_left.lon > bottom_right.lon means the
  // box crosses the antimeridian.
  LatLon top_left() const;
  LatLon bottom_right() const;

 private:
  static constexpr double kInf = std::numeric_limits<double>::infinity();
  uint64_t count_ = 0;
  double top_ = -kInf, bottom_ = kInf;
  double pos_left_ = kInf, pos_right_ = -kInf;  // over lon >= 0
  double neg_left_ = kInf, neg_right_ = -kInf;  // over lon < 0
  void bounds(double* left, double* right) const;
};

}  // namespace meridian::geo
