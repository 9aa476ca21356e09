// Geo filters through the cell index: inner cells whole, border cells refined.
#include "geo_filter.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "meridian/geo/cell_id.h"
#include "meridian/geo/coverer.h"
#include "meridian/index/term_key.h"

namespace meridian::query {

using postings::Bitmap;

namespace {

// Unions the postings of the covering's cells into *inner and *border. The
// cell terms are looked up in key order with one forward-seeking dictionary
// iterator: neighbouring cells share long key prefixes and usually a block,
// so each lookup continues where the last stopped instead of binary-searching
// the block index and decoding its block from the start (64 independent
// lookups were ~80 % of a 1 km radius query).
Status union_cells(const index::Segment& seg, std::string_view field, const geo::Covering& cov, Bitmap* inner,
                   Bitmap* border) {
  // Within a field, cell keys sort by (bits, id): the level byte comes first
  // and ids of one level are big-endian bytes of equal length. Sorting cells
  // and writing each key into one buffer avoids two heap strings per cell.
  struct CellRef {
    uint64_t id;
    int bits;
    bool inner;
  };
  std::vector<CellRef> cells;
  cells.reserve(cov.inner.size() + cov.border.size());
  for (const geo::Cell& c : cov.inner) cells.push_back({c.id, c.bits, true});
  for (const geo::Cell& c : cov.border) cells.push_back({c.id, c.bits, false});
  if (cells.empty()) return Status::ok();
  std::sort(cells.begin(), cells.end(),
            [](const CellRef& a, const CellRef& b) { return a.bits != b.bits ? a.bits < b.bits : a.id < b.id; });
  std::string key = index::field_prefix(field);
  const size_t base = key.size();
  auto key_of = [&](const CellRef& c) -> std::string_view {
    key.resize(base);
    key += geo::cell_term(c.id, c.bits);  // at most 9 bytes: no allocation
    return key;
  };
  auto it = seg.terms().lower_bound(key_of(cells.front()));
  for (const CellRef& c : cells) {
    std::string_view k = key_of(c);
    // The iterator stands on the first term >= the previous key; if that term
    // is already past this key, the cell is empty. Seeking would not be free:
    // a backward seek binary-searches the whole block index again (many cells
    // of a small query's covering are empty; skipping them cut a small cities
    // radius / box query from ~163,000 to ~129,000 instructions).
    if (it.valid() && it.term() > k) continue;
    it.seek(k);
    MERIDIAN_RETURN_IF_ERROR(it.status());
    if (!it.valid()) break;  // past the last term: no later key exists either
    if (it.term() != k) continue;
    MERIDIAN_ASSIGN_OR_RETURN(postings::TermPostings tp, seg.postings().term(it.value(), it.ordinal()));
    (c.inner ? inner : border)->or_inplace(tp.docs());
  }
  return Status::ok();
}

bool any_point_inside(const columns::GeoColumn& gc, uint32_t doc, const geo::Shape& shape) {
  for (size_t i = 0; i < gc.count(doc); ++i)
    if (shape.contains({gc.lat(doc, i), gc.lon(doc, i)})) return true;
  return false;
}

}  // namespace

Result<Bitmap> geo_filter(const index::Segment& seg, std::string_view field, const geo::Shape& shape,
                          size_t max_cells) {
  Bitmap out;
  const auto* gc = seg.columns().geo_column(field);
  if (!gc) return out;
  const geo::Covering cov = geo::cover(shape, max_cells);
  Bitmap border;
  MERIDIAN_RETURN_IF_ERROR(union_cells(seg, field, cov, &out, &border));
  border.andnot_inplace(out);  // already accepted through an inner cell
  std::vector<uint32_t> keep;
  border.for_each([&](uint32_t d) {
    if (any_point_inside(*gc, d, shape)) keep.push_back(d);
    return true;
  });
  out.add_many(keep);
  return out;
}

}  // namespace meridian::query
