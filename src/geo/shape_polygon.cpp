// Polygon with holes, planar in lat/lon degrees (x = lon, y = lat).
//
// contains: a point on any ring's boundary is inside; otherwise inside the
// outer ring (crossing number) and outside every hole.
// relate: if no edge comes within kEps degrees of the rectangle, the whole
// rectangle is on one side of the boundary and its centre decides; otherwise
// it is partial. kEps is far above the rounding of the crossing test, so the
// answer agrees with contains() for every point of the rectangle.
#include <algorithm>
#include <cmath>

#include "meridian/geo/shape.h"
#include "shape_impl.h"

namespace meridian::geo {

namespace {

constexpr double kEps = 1e-9;

struct Pt {
  double x, y;
  bool operator==(const Pt&) const = default;
};
using Ring = std::vector<Pt>;  // closed: back() == front()

enum class Where { kOut, kIn, kOn };

double cross(Pt a, Pt b, Pt c) { return (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x); }
int sign(double v) { return (v > 0) - (v < 0); }

bool in_box(Pt a, Pt b, Pt p) {
  return p.x >= std::min(a.x, b.x) && p.x <= std::max(a.x, b.x) && p.y >= std::min(a.y, b.y) &&
         p.y <= std::max(a.y, b.y);
}

Where locate(const Ring& ring, Pt p) {
  bool in = false;
  for (size_t i = 0; i + 1 < ring.size(); ++i) {
    Pt a = ring[i], b = ring[i + 1];
    if (in_box(a, b, p) && cross(a, b, p) == 0) return Where::kOn;
    if ((a.y > p.y) != (b.y > p.y)) {
      double xi = a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y);
      if (p.x < xi) in = !in;
    }
  }
  return in ? Where::kIn : Where::kOut;
}

// Closed segments ab and cd share a point. `proper_only`: only a crossing
// through both interiors counts.
bool segments_meet(Pt a, Pt b, Pt c, Pt d, bool proper_only) {
  int o1 = sign(cross(a, b, c)), o2 = sign(cross(a, b, d));
  int o3 = sign(cross(c, d, a)), o4 = sign(cross(c, d, b));
  if (o1 * o2 < 0 && o3 * o4 < 0) return true;
  if (proper_only) return false;
  return (o1 == 0 && in_box(a, b, c)) || (o2 == 0 && in_box(a, b, d)) ||
         (o3 == 0 && in_box(c, d, a)) || (o4 == 0 && in_box(c, d, b));
}

// Segment ab meets the closed rectangle (separating axes: x, y, ab's normal).
bool segment_meets_rect(Pt a, Pt b, const Rect& r) {
  if (std::max(a.x, b.x) < r.min_lon || std::min(a.x, b.x) > r.max_lon ||
      std::max(a.y, b.y) < r.min_lat || std::min(a.y, b.y) > r.max_lat) {
    return false;
  }
  int s1 = sign(cross(a, b, {r.min_lon, r.min_lat})), s2 = sign(cross(a, b, {r.max_lon, r.min_lat}));
  int s3 = sign(cross(a, b, {r.min_lon, r.max_lat})), s4 = sign(cross(a, b, {r.max_lon, r.max_lat}));
  return !((s1 > 0 && s2 > 0 && s3 > 0 && s4 > 0) || (s1 < 0 && s2 < 0 && s3 < 0 && s4 < 0));
}

struct EdgeRef {
  size_t ring, index;
  double min_x, max_x;
};

// Checks rings for self-intersection and for holes crossing other rings with
// a sweep over edges sorted by min x.
Status check_crossings(const std::vector<Ring>& rings) {
  std::vector<EdgeRef> edges;
  for (size_t r = 0; r < rings.size(); ++r) {
    for (size_t i = 0; i + 1 < rings[r].size(); ++i) {
      Pt a = rings[r][i], b = rings[r][i + 1];
      edges.push_back({r, i, std::min(a.x, b.x), std::max(a.x, b.x)});
    }
  }
  std::sort(edges.begin(), edges.end(),
            [](const EdgeRef& a, const EdgeRef& b) { return a.min_x < b.min_x; });
  for (size_t i = 0; i < edges.size(); ++i) {
    const EdgeRef& e = edges[i];
    Pt a = rings[e.ring][e.index], b = rings[e.ring][e.index + 1];
    for (size_t j = i + 1; j < edges.size() && edges[j].min_x <= e.max_x; ++j) {
      const EdgeRef& f = edges[j];
      Pt c = rings[f.ring][f.index], d = rings[f.ring][f.index + 1];
      if (e.ring != f.ring) {
        if (segments_meet(a, b, c, d, true)) {
          return Status::invalid("geo polygon: ring " + std::to_string(std::max(e.ring, f.ring)) +
                                 " crosses ring " + std::to_string(std::min(e.ring, f.ring)));
        }
        continue;
      }
      size_t n = rings[e.ring].size() - 1;
      size_t lo = std::min(e.index, f.index), hi = std::max(e.index, f.index);
      bool adjacent = hi == lo + 1 || (lo == 0 && hi == n - 1);
      bool bad = false;
      if (adjacent) {
        // Sharing one vertex is fine; folding back along the same line is not.
        Pt shared = hi == lo + 1 ? rings[e.ring][hi] : rings[e.ring][0];
        Pt u = shared == a ? b : a, v = shared == c ? d : c;
        bad = cross(shared, u, v) == 0 &&
              (u.x - shared.x) * (v.x - shared.x) + (u.y - shared.y) * (v.y - shared.y) > 0;
      } else {
        bad = segments_meet(a, b, c, d, false);
      }
      if (bad) {
        return Status::invalid("geo polygon: ring " + std::to_string(e.ring) +
                               " is self-intersecting (edges " + std::to_string(lo) + " and " +
                               std::to_string(hi) + ")");
      }
    }
  }
  return Status::ok();
}

Result<Ring> make_ring(const std::vector<LatLon>& in, size_t index) {
  Ring ring;
  for (const LatLon& p : in) {
    if (!is_valid(p)) {
      return Status::invalid("geo polygon: ring " + std::to_string(index) + " has point " +
                             format_degrees(p.lat) + "," + format_degrees(p.lon) + " out of range");
    }
    Pt q{p.lon, p.lat};
    if (ring.empty() || !(ring.back() == q)) ring.push_back(q);
  }
  while (ring.size() > 1 && ring.back() == ring.front()) ring.pop_back();  // close it ourselves
  std::vector<Pt> distinct = ring;
  std::sort(distinct.begin(), distinct.end(),
            [](Pt a, Pt b) { return a.x < b.x || (a.x == b.x && a.y < b.y); });
  if (std::unique(distinct.begin(), distinct.end()) - distinct.begin() < 3) {
    return Status::invalid("geo polygon: ring " + std::to_string(index) +
                           " has fewer than 3 distinct points");
  }
  bool collinear = true;
  for (size_t i = 2; i < ring.size() && collinear; ++i) collinear = cross(ring[0], ring[1], ring[i]) == 0;
  if (collinear) {
    return Status::invalid("geo polygon: ring " + std::to_string(index) +
                           " has zero area (all points on one line)");
  }
  ring.push_back(ring.front());
  return ring;
}

class PolygonImpl final : public Shape::Impl {
 public:
  explicit PolygonImpl(std::vector<Ring> rings) : rings_(std::move(rings)) {
    bbox_ = {90, 180, -90, -180};
    for (Pt p : rings_[0]) {
      bbox_.min_lat = std::min(bbox_.min_lat, p.y);
      bbox_.max_lat = std::max(bbox_.max_lat, p.y);
      bbox_.min_lon = std::min(bbox_.min_lon, p.x);
      bbox_.max_lon = std::max(bbox_.max_lon, p.x);
    }
    for (const Ring& r : rings_) points_ += r.size() - 1;
  }
  Shape::Kind kind() const override { return Shape::Kind::kPolygon; }

  bool contains(LatLon p) const override { return where({p.lon, p.lat}) != Where::kOut; }

  Shape::Relation relate(const Rect& r) const override {
    Rect padded{r.min_lat - kEps, r.min_lon - kEps, r.max_lat + kEps, r.max_lon + kEps};
    if (padded.max_lat < bbox_.min_lat || padded.min_lat > bbox_.max_lat ||
        padded.max_lon < bbox_.min_lon || padded.min_lon > bbox_.max_lon) {
      return Shape::Relation::kOutside;
    }
    for (const Ring& ring : rings_) {
      for (size_t i = 0; i + 1 < ring.size(); ++i) {
        if (segment_meets_rect(ring[i], ring[i + 1], padded)) return Shape::Relation::kPartial;
      }
    }
    Where w = where({(r.min_lon + r.max_lon) / 2, (r.min_lat + r.max_lat) / 2});
    if (w == Where::kOn) return Shape::Relation::kPartial;
    return w == Where::kIn ? Shape::Relation::kInside : Shape::Relation::kOutside;
  }

  std::vector<Rect> bounds() const override {
    return {{std::max(bbox_.min_lat - kEps, -90.0), std::max(bbox_.min_lon - kEps, -180.0),
             std::min(bbox_.max_lat + kEps, 90.0), std::min(bbox_.max_lon + kEps, 180.0)}};
  }

  std::string describe() const override {
    return "polygon(" + std::to_string(rings_.size()) + " rings, " + std::to_string(points_) +
           " points)";
  }

 private:
  Where where(Pt p) const {
    if (p.y < bbox_.min_lat || p.y > bbox_.max_lat || p.x < bbox_.min_lon || p.x > bbox_.max_lon) {
      return Where::kOut;
    }
    Where outer = locate(rings_[0], p);
    if (outer != Where::kIn) return outer;
    for (size_t h = 1; h < rings_.size(); ++h) {
      Where w = locate(rings_[h], p);
      if (w == Where::kOn) return Where::kOn;
      if (w == Where::kIn) return Where::kOut;
    }
    return Where::kIn;
  }

  std::vector<Ring> rings_;
  Rect bbox_;
  size_t points_ = 0;
};

}  // namespace

Result<Shape> Shape::polygon(std::vector<std::vector<LatLon>> rings) {
  if (rings.empty()) return Status::invalid("geo polygon: no rings");
  std::vector<Ring> out;
  for (size_t i = 0; i < rings.size(); ++i) {
    MERIDIAN_ASSIGN_OR_RETURN(Ring r, make_ring(rings[i], i));
    out.push_back(std::move(r));
  }
  MERIDIAN_RETURN_IF_ERROR(check_crossings(out));
  for (size_t h = 1; h < out.size(); ++h) {
    for (size_t i = 0; i + 1 < out[h].size(); ++i) {
      Where w = locate(out[0], out[h][i]);
      if (w == Where::kOn) continue;
      if (w == Where::kOut) {
        return Status::invalid("geo polygon: hole " + std::to_string(h) + " is outside the outer ring");
      }
      break;
    }
  }
  return Shape(std::make_shared<PolygonImpl>(std::move(out)));
}

}  // namespace meridian::geo
