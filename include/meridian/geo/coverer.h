// Region covering: the set of index cells a query shape must read.
//
// cover() returns cells at indexed_levels() only, in two lists:
//   inner   cells entirely inside the shape: their documents match without a
//           check;
//   border  cells partly inside: their documents are candidates, refined with
//           Shape::contains on the stored coordinates.
// Every point p with s.contains(p) lies in some returned cell (inner or
// border), and every point in an inner cell satisfies s.contains(p). Cells do
// not overlap. The total number of cells is at most max(max_cells, 32) (the 32
// level-5 cells are the coarsest available).
//
// Algorithm: start from the level-5 cells that touch the shape; repeatedly
// split the coarsest partial cell into its 32 children at the next indexed
// level while the budget allows; partial cells that cannot be split any
// further become border cells. Cheap bounding-box rejection keeps this in the
// microseconds for circles and boxes.
//
// With CoverOptions::counts (the index's point count per cell), the covering
// adapts to the data: a cell that holds no point is dropped (it costs neither
// budget nor a postings read), and a partial cell holding at most
// `scan_at_most` points becomes a border cell at once: checking a few points
// exactly is cheaper than relating its 32 children and reading their
// postings. The guarantees above still hold for every indexed point.
//
// Pure function of the shape (and of the counts); thread-safe.
#pragma once

#include <cstddef>
#include <vector>

#include "meridian/geo/cell_id.h"
#include "meridian/geo/shape.h"

namespace meridian::geo {

struct Covering {
  std::vector<Cell> inner;
  std::vector<Cell> border;
};

Covering cover(const Shape& s, size_t max_cells = 64);

// How many indexed points a cell holds (for the adaptive covering). Cells are
// asked coarsest level first and, within a level, in increasing id order.
class CellCounts {
 public:
  virtual ~CellCounts() = default;
  virtual uint64_t count(Cell c) = 0;
};

struct CoverOptions {
  size_t max_cells = 64;
  CellCounts* counts = nullptr;  // null: the shape alone decides
  uint64_t scan_at_most = 64;    // with counts: a partial cell this small is not split
};

Covering cover(const Shape& s, const CoverOptions& o);

}  // namespace meridian::geo
