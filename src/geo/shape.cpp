#include "meridian/geo/shape.h"

#include <cmath>

#include "shape_impl.h"

namespace meridian::geo {

namespace {

bool any_range_contains(const std::vector<LonRange>& ranges, double lon) {
  for (const LonRange& r : ranges) {
    if (lon >= r.lo && lon <= r.hi) return true;
  }
  return false;
}

class BoxImpl final : public Shape::Impl {
 public:
  BoxImpl(double top, double left, double bottom, double right)
      : top_(top), left_(left), bottom_(bottom), right_(right) {
    add_lon_ranges(left, left <= right ? right : right + 360.0, &lons_);
  }
  Shape::Kind kind() const override { return Shape::Kind::kBox; }
  bool contains(LatLon p) const override {
    return p.lat >= bottom_ && p.lat <= top_ && any_range_contains(lons_, p.lon);
  }
  Shape::Relation relate(const Rect& r) const override {
    if (r.max_lat < bottom_ || r.min_lat > top_) return Shape::Relation::kOutside;
    bool touches = false, within = false;
    for (const LonRange& l : lons_) {
      if (r.max_lon >= l.lo && r.min_lon <= l.hi) touches = true;
      if (r.min_lon >= l.lo && r.max_lon <= l.hi) within = true;
    }
    if (!touches) return Shape::Relation::kOutside;
    if (within && r.min_lat >= bottom_ && r.max_lat <= top_) return Shape::Relation::kInside;
    return Shape::Relation::kPartial;
  }
  std::vector<Rect> bounds() const override { return rects_of(bottom_, top_, lons_); }
  std::string describe() const override {
    return "box(top=" + format_degrees(top_) + " left=" + format_degrees(left_) +
           " bottom=" + format_degrees(bottom_) + " right=" + format_degrees(right_) + ")";
  }

 private:
  double top_, left_, bottom_, right_;
  std::vector<LonRange> lons_;
};

class GeohashImpl final : public Shape::Impl {
 public:
  GeohashImpl(std::string hash, uint64_t id, int bits)
      : hash_(std::move(hash)), cell_{id, bits}, rect_(cell_rect(id, bits)) {}
  Shape::Kind kind() const override { return Shape::Kind::kGeohash; }
  bool contains(LatLon p) const override { return cell_contains(cell_, p); }
  // Rects are cell rects: dyadic cells either nest or have disjoint interiors.
  Shape::Relation relate(const Rect& r) const override {
    bool overlap = r.min_lat < rect_.max_lat && rect_.min_lat < r.max_lat &&
                   r.min_lon < rect_.max_lon && rect_.min_lon < r.max_lon;
    if (!overlap) return Shape::Relation::kOutside;
    if (r.min_lat >= rect_.min_lat && r.max_lat <= rect_.max_lat && r.min_lon >= rect_.min_lon &&
        r.max_lon <= rect_.max_lon) {
      return Shape::Relation::kInside;
    }
    return Shape::Relation::kPartial;
  }
  std::string describe() const override { return "geohash(" + hash_ + ")"; }
  std::vector<Rect> bounds() const override { return {rect_}; }

 private:
  std::string hash_;
  Cell cell_;
  Rect rect_;
};

bool valid_lat(double v) { return v >= -90.0 && v <= 90.0; }
bool valid_lon(double v) { return v >= -180.0 && v <= 180.0; }

}  // namespace

void add_lon_ranges(double lo, double hi, std::vector<LonRange>* out) {
  if (hi - lo >= 360.0) {
    out->push_back({-180.0, 180.0});
    return;
  }
  if (lo < -180.0) {
    lo += 360.0;
    hi += 360.0;
  }
  if (hi > 180.0) {
    out->push_back({lo, 180.0});
    out->push_back({-180.0, hi - 360.0});
    return;
  }
  out->push_back({lo, hi});
  if (lo == -180.0) out->push_back({180.0, 180.0});
  if (hi == 180.0) out->push_back({-180.0, -180.0});
}

std::string format_degrees(double d) {
  std::string s;
  append_json_number(&s, d);
  return s;
}

Result<Shape> Shape::box(double top, double left, double bottom, double right) {
  if (!valid_lat(top) || !valid_lat(bottom)) {
    return Status::invalid("geo box: latitudes must be in [-90, 90], got top " + format_degrees(top) +
                           " bottom " + format_degrees(bottom));
  }
  if (!valid_lon(left) || !valid_lon(right)) {
    return Status::invalid("geo box: longitudes must be in [-180, 180], got left " +
                           format_degrees(left) + " right " + format_degrees(right));
  }
  if (top < bottom) {
    return Status::invalid("geo box: top " + format_degrees(top) + " is below bottom " +
                           format_degrees(bottom));
  }
  return Shape(std::make_shared<BoxImpl>(top, left, bottom, right));
}

Result<Shape> Shape::geohash_cell(std::string_view hash) {
  int bits = 0;
  auto id = geohash_to_cell(hash, &bits);
  if (!id.is_ok()) return id.status();
  return Shape(std::make_shared<GeohashImpl>(std::string(hash), *id, bits));
}

Shape::Kind Shape::kind() const { return impl_->kind(); }
bool Shape::contains(LatLon p) const { return impl_->contains(p); }
Shape::Relation Shape::relate(const Rect& r) const { return impl_->relate(r); }
std::string Shape::describe() const { return impl_->describe(); }
std::vector<Rect> Shape::bounding_rects() const { return impl_->bounds(); }

std::vector<Rect> rects_of(double min_lat, double max_lat, const std::vector<LonRange>& lons) {
  std::vector<Rect> out;
  for (const LonRange& l : lons) out.push_back({min_lat, l.lo, max_lat, l.hi});
  return out;
}

}  // namespace meridian::geo
