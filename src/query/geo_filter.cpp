// Geo filters through the cell index: inner cells whole, border cells refined.
#include "geo_filter.h"

#include <string>

#include "meridian/geo/cell_id.h"
#include "meridian/geo/coverer.h"
#include "meridian/index/term_key.h"

namespace meridian::query {

using postings::Bitmap;

namespace {

// Union of the postings of the cells' terms.
Status union_cells(const index::Segment& seg, std::string_view field, const std::vector<geo::Cell>& cells,
                   Bitmap* out) {
  for (const geo::Cell& c : cells) {
    MERIDIAN_ASSIGN_OR_RETURN(auto tp, seg.postings_for(index::term_key(field, geo::cell_term(c.id, c.bits))));
    if (tp) out->or_inplace(tp->docs());
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
  MERIDIAN_RETURN_IF_ERROR(union_cells(seg, field, cov.inner, &out));
  Bitmap border;
  MERIDIAN_RETURN_IF_ERROR(union_cells(seg, field, cov.border, &border));
  border.andnot_inplace(out);  // already accepted through an inner cell
  std::vector<uint32_t> keep;
  border.for_each([&](uint32_t d) {
    if (any_point_inside(*gc, d, shape)) keep.push_back(d);
    return true;
  });
  out.add_many(keep);
  return out;
}

Bitmap geo_filter_scan(const index::Segment& seg, std::string_view field, const geo::Shape& shape) {
  Bitmap out;
  const auto* gc = seg.columns().geo_column(field);
  if (!gc) return out;
  for (uint32_t d = 0; d < seg.num_docs(); ++d)
    if (any_point_inside(*gc, d, shape)) out.add(d);
  return out;
}

}  // namespace meridian::query
