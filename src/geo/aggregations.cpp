#include "meridian/geo/aggregations.h"

#include <algorithm>

#include "meridian/geo/cell_id.h"

namespace meridian::geo {

GridAccumulator::GridAccumulator(int precision) : precision_(std::clamp(precision, 1, 12)) {}

void GridAccumulator::add(LatLon p) {
  Sum& s = cells_[cell_prefix(encode(p), 5 * precision_)];
  ++s.count;
  s.lat += p.lat;
  s.lon += p.lon;
}

void GridAccumulator::merge(const GridAccumulator& other) {
  for (const auto& [id, o] : other.cells_) {
    Sum& s = cells_[id];
    s.count += o.count;
    s.lat += o.lat;
    s.lon += o.lon;
  }
}

std::vector<GridAccumulator::Bucket> GridAccumulator::buckets() const {
  std::vector<Bucket> out;
  out.reserve(cells_.size());
  for (const auto& [id, s] : cells_) {
    double n = static_cast<double>(s.count);
    out.push_back({geohash(decode_center(id, 5 * precision_), precision_), s.count,
                   {s.lat / n, s.lon / n}});
  }
  std::sort(out.begin(), out.end(), [](const Bucket& a, const Bucket& b) {
    return a.count != b.count ? a.count > b.count : a.key < b.key;
  });
  return out;
}

void BoundsAccumulator::add(LatLon p) {
  ++count_;
  top_ = std::max(top_, p.lat);
  bottom_ = std::min(bottom_, p.lat);
  if (p.lon >= 0) {
    pos_left_ = std::min(pos_left_, p.lon);
    pos_right_ = std::max(pos_right_, p.lon);
  } else {
    neg_left_ = std::min(neg_left_, p.lon);
    neg_right_ = std::max(neg_right_, p.lon);
  }
}

void BoundsAccumulator::merge(const BoundsAccumulator& o) {
  count_ += o.count_;
  top_ = std::max(top_, o.top_);
  bottom_ = std::min(bottom_, o.bottom_);
  pos_left_ = std::min(pos_left_, o.pos_left_);
  pos_right_ = std::max(pos_right_, o.pos_right_);
  neg_left_ = std::min(neg_left_, o.neg_left_);
  neg_right_ = std::max(neg_right_, o.neg_right_);
}

// Elasticsearch's choice: the plain box [neg_left, pos_right] unless the box
// wrapping across the antimeridian [pos_left, neg_right] is narrower.
void BoundsAccumulator::bounds(double* left, double* right) const {
  if (pos_left_ == kInf) {
    *left = neg_left_;
    *right = neg_right_;
  } else if (neg_left_ == kInf) {
    *left = pos_left_;
    *right = pos_right_;
  } else {
    double unwrapped = pos_right_ - neg_left_;
    double wrapped = (180.0 - pos_left_) + (neg_right_ + 180.0);
    if (unwrapped <= wrapped) {
      *left = neg_left_;
      *right = pos_right_;
    } else {
      *left = pos_left_;
      *right = neg_right_;
    }
  }
}

LatLon BoundsAccumulator::top_left() const {
  double l = 0, r = 0;
  bounds(&l, &r);
  return {top_, l};
}

LatLon BoundsAccumulator::bottom_right() const {
  double l = 0, r = 0;
  bounds(&l, &r);
  return {bottom_, r};
}

}  // namespace meridian::geo
