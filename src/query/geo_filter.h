// Internal to the query module: a geo shape (circle, box, polygon, geohash
// cell) evaluated over one segment as a bitmap of documents, using the cell
// terms the segment builder indexed for every geo_point value.
//
// The shape's covering (geo::cover, adaptive: it reads each cell's document
// count from the segment, drops empty cells and does not split small ones)
// splits into inner cells, whose postings
// bitmaps are taken whole, and border cells, whose documents are refined one
// by one against the geo column with Shape::contains. A document matches if
// any of its points is inside the shape; the result is exactly what a scan of
// the column with Shape::contains gives (the oracle in geo_search_test.cpp).
// Deleted documents are NOT removed (the caller does that).
//
// Stateless functions over immutable segments; safe from any thread.
#pragma once

#include <cstddef>
#include <string_view>

#include "meridian/base/status.h"
#include "meridian/geo/shape.h"
#include "meridian/index/segment.h"
#include "meridian/postings/bitmap.h"

namespace meridian::query {

// Cell budget handed to geo::cover for one filter evaluation.
inline constexpr size_t kGeoFilterMaxCells = 24;
// A partial cell with at most this many documents is not split: its documents
// are checked one by one (geo::CoverOptions::scan_at_most).
inline constexpr uint64_t kGeoScanAtMost = 64;

// Documents of `seg` with a point of `field` inside `shape`. Empty if the
// segment has no geo column for the field. Errors come from reading
// postings (a damaged segment file).
Result<postings::Bitmap> geo_filter(const index::Segment& seg, std::string_view field, const geo::Shape& shape,
                                    size_t max_cells = kGeoFilterMaxCells);

}  // namespace meridian::query
