#include "meridian/geo/coverer.h"

#include <algorithm>
#include <cmath>

#include "morton.h"

namespace meridian::geo {

namespace {

constexpr int kStep = 5;             // bits between indexed levels: 32 children per cell
constexpr size_t kStartCells = 8;    // at most this many cells to start from
constexpr int kMaxFailures = 1;      // give up refining after this many budget misses
constexpr double kIndexPad = 1e-9;   // degrees; bounds are widened before indexing

struct IndexRange {
  uint64_t lo, hi;  // inclusive
};

// Indices of the cells of an axis [lo, lo + span) split into 2^k that touch [a, b].
IndexRange axis_range(double a, double b, double lo, double span, int k) {
  double n = static_cast<double>(uint64_t{1} << k);  // k <= 32
  auto index = [&](double v) {
    double i = std::floor((v - lo) / span * n);
    return static_cast<uint64_t>(std::clamp(i, 0.0, n - 1));
  };
  return {index(a - kIndexPad), index(b + kIndexPad)};
}

// The shape's bounding rectangles as cell index ranges at one level.
struct Bounds {
  std::vector<Rect> rects;
  static std::pair<IndexRange, IndexRange> range_of(const Rect& r, int bits) {
    return {axis_range(r.min_lon, r.max_lon, -180.0, 360.0, lon_bits(bits)),
            axis_range(r.min_lat, r.max_lat, -90.0, 180.0, lat_bits(bits))};
  }
  size_t count(int bits) const {  // without allocating: called once per level
    size_t n = 0;
    for (const Rect& r : rects) {
      auto [lon, lat] = range_of(r, bits);
      n += (lon.hi - lon.lo + 1) * (lat.hi - lat.lo + 1);
    }
    return n;
  }
};

// Cells at level `bits` inside `parent` (or anywhere if parent.bits == 0)
// that touch the bounds, sorted and unique.
void candidates(const Bounds& b, Cell parent, int bits, std::vector<uint64_t>* out) {
  out->clear();
  uint64_t p_lon = compact(parent.id >> 1) >> (32 - lon_bits(parent.bits));
  uint64_t p_lat = compact(parent.id) >> (32 - lat_bits(parent.bits));
  if (parent.bits == 0) p_lon = p_lat = 0;
  int d_lon = lon_bits(bits) - lon_bits(parent.bits), d_lat = lat_bits(bits) - lat_bits(parent.bits);
  IndexRange in_lon{p_lon << d_lon, ((p_lon + 1) << d_lon) - 1};
  IndexRange in_lat{p_lat << d_lat, ((p_lat + 1) << d_lat) - 1};
  for (const Rect& r : b.rects) {
    const auto [lon, lat] = Bounds::range_of(r, bits);
    for (uint64_t x = std::max(lon.lo, in_lon.lo); x <= std::min(lon.hi, in_lon.hi); ++x) {
      for (uint64_t y = std::max(lat.lo, in_lat.lo); y <= std::min(lat.hi, in_lat.hi); ++y) {
        out->push_back(cell_from_indices(x, y, bits));
      }
    }
  }
  // In id order (the loops above go by row and column, not in Morton order):
  // cells then come out in the term dictionary's order, as CellCounts needs.
  std::sort(out->begin(), out->end());
  if (b.rects.size() > 1) out->erase(std::unique(out->begin(), out->end()), out->end());
}

}  // namespace

Covering cover(const Shape& s, size_t max_cells) {
  CoverOptions o;
  o.max_cells = max_cells;
  return cover(s, o);
}

Covering cover(const Shape& s, const CoverOptions& o) {
  const size_t max_cells = o.max_cells;
  const std::vector<int>& levels = indexed_levels();
  const int finest = levels.back();
  Bounds bounds{s.bounding_rects()};

  // Start at the finest level whose cells touching the bounds are few.
  int start = levels.front();
  size_t limit = std::clamp<size_t>(max_cells, 1, kStartCells);
  for (int bits : levels) {
    if (bits != levels.front() && bounds.count(bits) > limit) break;
    start = bits;
  }

  Covering out;
  out.inner.reserve(16);  // a small shape's covering without regrowth
  out.border.reserve(16);
  // Partial cells to split, FIFO (cells come out coarsest first): a vector
  // read from `next` on, not a deque, whose blocks cost more than a small
  // covering's other work.
  std::vector<Cell> partial;
  size_t next = 0;
  std::vector<uint64_t> ids;
  ids.reserve(64);
  // Classifies the cells at `bits` inside `parent` that touch the bounds,
  // appending them to the covering as they are decided: inner cells to
  // out.inner, partial cells too small to split (with counts) to
  // out.border, the others to `partial`. Returns how many it appended.
  auto classify = [&](Cell parent, int bits) {
    candidates(bounds, parent, bits, &ids);
    size_t n = 0;
    for (uint64_t id : ids) {
      Shape::Relation rel = s.relate(cell_rect(id, bits));
      if (rel == Shape::Relation::kOutside) continue;
      uint64_t points = o.counts ? o.counts->count({id, bits}) : 1;
      if (points == 0) continue;  // no point there: nothing to read
      if (rel == Shape::Relation::kInside) {
        out.inner.push_back({id, bits});
      } else if (o.counts && points <= o.scan_at_most) {
        out.border.push_back({id, bits});
      } else {
        partial.push_back({id, bits});
      }
      ++n;
    }
    return n;
  };

  size_t count = classify({0, 0}, start);
  int failures = 0;
  while (next < partial.size()) {
    const Cell c = partial[next++];
    if (c.bits >= finest || failures >= kMaxFailures) {
      out.border.push_back(c);
      continue;
    }
    const size_t n_inner = out.inner.size(), n_border = out.border.size(), n_partial = partial.size();
    const size_t n = classify(c, c.bits + kStep);
    if (count - 1 + n > max_cells) {  // over budget: c stays whole, its children go
      out.inner.resize(n_inner);
      out.border.resize(n_border);
      partial.resize(n_partial);
      out.border.push_back(c);
      ++failures;
      continue;
    }
    count = count - 1 + n;
  }
  return out;
}

}  // namespace meridian::geo
