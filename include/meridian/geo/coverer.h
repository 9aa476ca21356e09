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
// Pure function; thread-safe.
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

}  // namespace meridian::geo
