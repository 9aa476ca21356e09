// Circle (geo_distance): exact distance bounds from a point to a lat/lon
// rectangle on the sphere.
//
// For a fixed latitude phi, cos(distance) = sin(pc) sin(phi) +
// cos(pc) cos(phi) cos(dlon) grows with cos(dlon) (cos(pc) cos(phi) >= 0), so
// the nearest point of a rectangle lies on the meridian closest to the centre
// (in circular longitude) and the farthest on the meridian farthest from it,
// whatever the latitude. Along that meridian, cos(distance) = A cos(phi) +
// B sin(phi) = R cos(phi - theta), extreme at theta / theta + 180 or at the
// rectangle's latitude bounds. Evaluating the haversine value
// h = sin^2(d / 2R) (monotonic in d) at those few candidates gives the
// minimum and maximum distance, compared with thresholds for radius +- margin.
#include <algorithm>
#include <cmath>

#include "meridian/geo/shape.h"
#include "shape_impl.h"

namespace meridian::geo {

namespace {

// Allowed disagreement between the extremes computed here and haversine_m
// at a data point (rounding), in metres. Near the antipode
// haversine loses precision (asin near 1), hence the larger margin there.
constexpr double kMarginM = 1e-3;
constexpr double kAntipodeMarginM = 1.0;
// Bounding-box padding in degrees (only used to reject far rectangles fast).
constexpr double kPadDeg = 1e-6;

// |a - b| in circular longitude, in [0, 180].
double lon_gap(double a, double b) {
  double d = std::fmod(std::fabs(a - b), 360.0);
  return d > 180.0 ? 360.0 - d : d;
}

bool lon_in(double lon, double lo, double hi) {
  for (double v : {lon, lon - 360.0, lon + 360.0}) {
    if (v >= lo && v <= hi) return true;
  }
  return false;
}

class CircleImpl final : public Shape::Impl {
 public:
  CircleImpl(LatLon c, double r) : c_(c), r_(r) {
    whole_ = r >= kHalfCircumferenceM;
    margin_ = r > kHalfCircumferenceM - 100e3 ? kAntipodeMarginM : kMarginM;
    sin_c_ = std::sin(c.lat * kDegToRad);
    cos_c_ = std::cos(c.lat * kDegToRad);
    auto h_of = [](double d) {
      double s = std::sin(d / (2 * kEarthRadiusM));
      return s * s;
    };
    h_out_ = r + margin_ >= kHalfCircumferenceM ? 2.0 : h_of(r + margin_);
    h_in_ = r - margin_ > 0 ? h_of(r - margin_) : -1.0;
    // contains(): away from tiny radii (h near underflow) and the antipode
    // (asin near 1 loses precision), thresholds a relative 1e-9 off the radius.
    fast_ = r >= 1e-3 && r < kHalfCircumferenceM - 200e3;
    if (fast_) {
      h_sure_in_ = h_of(r * (1 - 1e-9));
      h_sure_out_ = h_of(r * (1 + 1e-9));
      lat_out_deg_ = r * (1 + 1e-9) / kEarthRadiusM * kRadToDeg + 1e-9;  // the distance is >= R |dlat|
    }
    double rho = (r + margin_) / kEarthRadiusM * kRadToDeg;  // angular radius, degrees
    min_lat_ = c.lat - rho - kPadDeg;
    max_lat_ = c.lat + rho + kPadDeg;
    if (whole_ || max_lat_ >= 90.0 || min_lat_ <= -90.0) {
      lons_.push_back({-180.0, 180.0});  // holds a pole: every longitude
    } else {
      double s = std::sin(rho * kDegToRad) / std::cos(c.lat * kDegToRad);
      double dlon = s >= 1.0 ? 180.0 : std::asin(s) * kRadToDeg + kPadDeg;
      add_lon_ranges(c.lon - dlon, c.lon + dlon, &lons_);
    }
  }

  Shape::Kind kind() const override { return Shape::Kind::kCircle; }
  // haversine_m(c_, p) <= r_, decided the same way for every point, cheaper:
  // a point farther in latitude alone than the radius (plus a relative
  // margin far above rounding) is out without trigonometry; the centre's
  // cosine is computed once (haversine_h, as haversine_m computes h, so h is
  // the same bits); and h well inside or outside the
  // threshold sin^2(r / 2R) decides without the asin and the square root.
  // Only h within a relative 1e-9 of the threshold takes haversine_m's
  // last step. Tested against haversine_m (shape_test.cpp).
  bool contains(LatLon p) const override {
    if (!fast_) return haversine_m(c_, p) <= r_;
    if (std::fabs(p.lat - c_.lat) > lat_out_deg_) return false;
    double h = haversine_h(c_, cos_c_, p);
    if (h < h_sure_in_) return true;
    if (h > h_sure_out_) return false;
    return 2 * kEarthRadiusM * std::asin(std::sqrt(h)) <= r_;
  }

  Shape::Relation relate(const Rect& r) const override {
    if (whole_) return Shape::Relation::kInside;
    if (!in_bbox(r)) return Shape::Relation::kOutside;
    // A cell holding the centre is not outside; taller than the diameter, it
    // is not inside either (see below): partial, without trigonometry (the
    // usual first cell of a small circle).
    const bool taller = kEarthRadiusM * kDegToRad * (r.max_lat - r.min_lat) > 2 * (r_ + margin_) * (1 + 1e-9) + 1e-6;
    if (taller && c_.lat >= r.min_lat && c_.lat <= r.max_lat && lon_in(c_.lon, r.min_lon, r.max_lon))
      return Shape::Relation::kPartial;
    // Fast path: distance to the rectangle's centre plus or minus a bound on
    // how far any point of the rectangle is from that centre (along the
    // centre parallel, then along a meridian; each arc >= the geodesic).
    double mid_lat = (r.min_lat + r.max_lat) / 2, mid_lon = (r.min_lon + r.max_lon) / 2;
    double cos_mid = std::cos(mid_lat * kDegToRad);
    double d = 2 * kEarthRadiusM * std::asin(std::sqrt(std::clamp(hav(mid_lat, cos_mid, sin2_dlon(mid_lon)), 0.0, 1.0)));
    double reach = kEarthRadiusM * kDegToRad *
                   (cos_mid * (r.max_lon - r.min_lon) + (r.max_lat - r.min_lat)) / 2;
    reach = reach * (1 + 1e-9) + 1e-6;
    if (d - reach > r_ + margin_) return Shape::Relation::kOutside;
    if (d + reach < r_ - margin_) return Shape::Relation::kInside;
    // Exact extremes, compared as haversine values h = sin^2(d / 2R).
    Edges e{r.min_lat, r.max_lat, std::cos(r.min_lat * kDegToRad), std::cos(r.max_lat * kDegToRad)};
    if (min_hav(r, e) > h_out_) return Shape::Relation::kOutside;
    // Two points of the rectangle on one meridian are R |dlat| apart: more
    // than the diameter (taller), and they cannot both be inside (a cell
    // larger than a small circle), so max_hav's trigonometry is not needed.
    if (taller) return Shape::Relation::kPartial;
    if (max_hav(r, e) < h_in_) return Shape::Relation::kInside;
    return Shape::Relation::kPartial;
  }

  std::vector<Rect> bounds() const override {
    return rects_of(std::max(min_lat_, -90.0), std::min(max_lat_, 90.0), lons_);
  }

  std::string describe() const override {
    return "circle(" + format_degrees(c_.lat) + "," + format_degrees(c_.lon) +
           " r=" + format_degrees(r_) + "m)";
  }

 private:
  bool in_bbox(const Rect& r) const {
    if (r.max_lat < min_lat_ || r.min_lat > max_lat_) return false;
    for (const LonRange& l : lons_) {
      if (r.max_lon >= l.lo && r.min_lon <= l.hi) return true;
    }
    return false;
  }

  struct Edges {
    double lat0, lat1, cos0, cos1;
  };

  // sin^2 of half the longitude difference to the centre.
  double sin2_dlon(double lon) const {
    double s = std::sin((lon - c_.lon) * kDegToRad / 2);
    return s * s;
  }
  // The haversine value h (same formula as haversine_m) of a point at `lat`
  // with sin^2(dlon / 2) = s2.
  double hav(double lat, double cos_lat, double s2) const {
    double s = std::sin((lat - c_.lat) * kDegToRad / 2);
    return s * s + cos_c_ * cos_lat * s2;
  }
  // Latitude (degrees) maximizing cos(distance) along the meridian whose
  // sin^2(dlon / 2) is s2 (cos(dlon) = 1 - 2 s2).
  double theta(double s2) const { return std::atan2(sin_c_, cos_c_ * (1 - 2 * s2)) * kRadToDeg; }

  double min_hav(const Rect& r, const Edges& e) const {
    double lon = c_.lon;
    if (!lon_in(c_.lon, r.min_lon, r.max_lon)) {
      lon = lon_gap(r.min_lon, c_.lon) <= lon_gap(r.max_lon, c_.lon) ? r.min_lon : r.max_lon;
    }
    double s2 = sin2_dlon(lon);
    double best = std::min(hav(e.lat0, e.cos0, s2), hav(e.lat1, e.cos1, s2));
    double t = theta(s2);
    if (t > r.min_lat && t < r.max_lat) best = std::min(best, hav(t, std::cos(t * kDegToRad), s2));
    return best;
  }

  double max_hav(const Rect& r, const Edges& e) const {
    double anti = c_.lon > 0 ? c_.lon - 180.0 : c_.lon + 180.0;
    double lon = anti;
    if (!lon_in(anti, r.min_lon, r.max_lon)) {
      lon = lon_gap(r.min_lon, c_.lon) >= lon_gap(r.max_lon, c_.lon) ? r.min_lon : r.max_lon;
    }
    double s2 = sin2_dlon(lon);
    double worst = std::max(hav(e.lat0, e.cos0, s2), hav(e.lat1, e.cos1, s2));
    double t = theta(s2);
    double far = t > 0 ? t - 180.0 : t + 180.0;  // minimum of cos(phi - theta)
    if (far > r.min_lat && far < r.max_lat) worst = std::max(worst, hav(far, std::cos(far * kDegToRad), s2));
    return worst;
  }

  LatLon c_;
  double r_;
  double sin_c_, cos_c_;
  double h_out_, h_in_;  // h beyond h_out_: outside; below h_in_: inside
  bool fast_ = false;  // contains() decides most points from h alone
  double h_sure_in_ = -1, h_sure_out_ = 2, lat_out_deg_ = 360;
  bool whole_;
  double margin_;
  double min_lat_, max_lat_;
  std::vector<LonRange> lons_;
};

}  // namespace

Result<Shape> Shape::circle(LatLon center, double radius_m) {
  if (!is_valid(center)) {
    return Status::invalid("geo circle: center " + format_degrees(center.lat) + "," +
                           format_degrees(center.lon) + " is out of range");
  }
  if (!(std::isfinite(radius_m) && radius_m >= 0)) {
    return Status::invalid("geo circle: radius must be a finite, non-negative distance, got " +
                           format_degrees(radius_m));
  }
  return Shape(std::make_shared<CircleImpl>(center, radius_m));
}

}  // namespace meridian::geo
