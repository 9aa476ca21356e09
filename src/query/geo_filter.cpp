// Geo filters through the cell index: inner cells whole, border cells refined.
#include "geo_filter.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "meridian/geo/cell_id.h"
#include "meridian/geo/coverer.h"
#include "meridian/index/term_key.h"

namespace meridian::query {

using postings::Bitmap;

namespace {

// The index side of an adaptive covering (geo::CoverOptions::counts): the
// number of documents of each cell the coverer asks about is its postings'
// document frequency, read from the record header alone; where the cell's
// postings are is kept, and gather() reads those of the cells the covering
// kept.
//
// The coverer asks coarsest level first and in increasing id order, which is
// the order of the cell terms in the dictionary (within a field, cell keys sort
// by (bits, id): the level byte first, then big-endian id bytes). So one
// iterator seeks forward from cell to cell: neighbouring cells share long key
// prefixes and usually a block, and a cell whose key the iterator has already
// passed is empty without a seek (a backward seek would binary-search the whole
// block index again).
class SegmentCellCounts final : public geo::CellCounts {
 public:
  SegmentCellCounts(const index::Segment& seg, std::string_view field)
      : seg_(seg), key_(index::field_prefix(field)), base_(key_.size()) {
    found_.reserve(32);  // a covering of up to kGeoFilterMaxCells cells: no regrowth
  }

  uint64_t count(geo::Cell c) override {
    if (!status_.is_ok()) return 1;  // keep the cell; gather() reports the error
    key_.resize(base_);
    geo::append_cell_term(&key_, c.id, c.bits);
    if (!started_) {
      it_ = seg_.terms().lower_bound(key_);
      started_ = true;
    } else if (it_.valid() && it_.term() < key_) {
      it_.seek(key_);  // forward only; a term already past the key means an empty cell
    }
    if (!it_.status().is_ok()) {
      status_ = it_.status();
      return 1;
    }
    if (!it_.valid() || it_.term() != key_) return 0;
    auto n = seg_.postings().doc_freq_hint(it_.value(), it_.ordinal());
    if (!n.is_ok()) {
      status_ = n.status();
      return 1;
    }
    found_.push_back({c, it_.value(), it_.ordinal(), *n});
    return *n;
  }

  // Gathers the documents of the covering's cells (only the cells kept are
  // read; every one of them was counted): the ids of small cells into
  // *inner_ids / *border_ids (no bitmap built and freed per cell, which cost
  // more than the rest of a small query), large cells' bitmaps into *big_inner
  // / *big_border (made when the first large cell is read).
  Status gather(const geo::Covering& cov, std::vector<uint32_t>* inner_ids, std::optional<Bitmap>* big_inner,
                std::vector<uint32_t>* border_ids, std::optional<Bitmap>* big_border) {
    MERIDIAN_RETURN_IF_ERROR(status_);
    auto add = [&](const std::vector<geo::Cell>& cells, std::vector<uint32_t>* ids, std::optional<Bitmap>* big) -> Status {
      for (const geo::Cell& c : cells) {
        auto it = std::lower_bound(found_.begin(), found_.end(), c,
                                   [](const Found& a, geo::Cell k) { return key_order(a.cell, k); });
        if (it == found_.end() || !(it->cell == c)) continue;
        if (it->count <= kIdsAtMost) {
          MERIDIAN_RETURN_IF_ERROR(seg_.postings().append_docs(it->value, it->ordinal, ids));
        } else {
          MERIDIAN_ASSIGN_OR_RETURN(postings::TermPostings tp, seg_.postings().term(it->value, it->ordinal));
          if (!*big) big->emplace();  // made only when a large cell is read
          (*big)->or_inplace(tp.docs());
        }
      }
      return Status::ok();
    };
    MERIDIAN_RETURN_IF_ERROR(add(cov.inner, inner_ids, big_inner));
    return add(cov.border, border_ids, big_border);
  }

 private:
  const index::Segment& seg_;
  std::string key_;
  const size_t base_;
  termdict::TermDictReader::Iterator it_;
  bool started_ = false;
  Status status_;
  // The cells found in the dictionary, in the order they were asked (the
  // dictionary's: key_order), with their postings offset and ordinal.
  struct Found {
    geo::Cell cell;
    uint64_t value;
    uint32_t ordinal;
    uint32_t count;  // the header's document count
  };
  // Cells with more documents are read as bitmaps and ORed.
  static constexpr uint32_t kIdsAtMost = 128;
  std::vector<Found> found_;
  static bool key_order(geo::Cell a, geo::Cell b) { return a.bits != b.bits ? a.bits < b.bits : a.id < b.id; }
};

bool any_point_inside(const columns::GeoColumn& gc, uint32_t doc, const geo::Shape& shape) {
  return gc.any_point(doc, [&](double lat, double lon) { return shape.contains({lat, lon}); });
}

}  // namespace

Result<Bitmap> geo_filter(const index::Segment& seg, std::string_view field, const geo::Shape& shape,
                          size_t max_cells) {
  const auto* gc = seg.columns().geo_column(field);
  if (!gc) return Bitmap();
  SegmentCellCounts counts(seg, field);
  geo::CoverOptions opts;
  opts.max_cells = max_cells;
  opts.counts = &counts;
  opts.scan_at_most = kGeoScanAtMost;
  const geo::Covering cov = geo::cover(shape, opts);
  std::vector<uint32_t> inner_ids, border_ids;
  inner_ids.reserve(128);  // a small shape's ids without regrowth
  border_ids.reserve(128);
  std::optional<Bitmap> big_inner, big_border;  // large cells only
  MERIDIAN_RETURN_IF_ERROR(counts.gather(cov, &inner_ids, &big_inner, &border_ids, &big_border));
  std::sort(inner_ids.begin(), inner_ids.end());
  // The border documents found inside are appended to inner_ids, after its
  // first n_inner (sorted) ids, the ones accepted through an inner cell.
  const auto n_inner = static_cast<std::ptrdiff_t>(inner_ids.size());
  auto accepted = [&](uint32_t d) {  // already in through an inner cell
    return std::binary_search(inner_ids.begin(), inner_ids.begin() + n_inner, d) ||
           (big_inner && big_inner->contains(d));
  };
  auto check = [&](uint32_t d) {
    if (!accepted(d) && any_point_inside(*gc, d, shape)) inner_ids.push_back(d);
    return true;
  };
  for (uint32_t d : border_ids) check(d);
  if (big_border) big_border->for_each(check);
  std::sort(inner_ids.begin(), inner_ids.end());
  if (!big_inner || big_inner->is_empty()) return Bitmap::from_sorted(inner_ids);
  big_inner->or_inplace(Bitmap::from_sorted(inner_ids));
  return std::move(*big_inner);
}

}  // namespace meridian::query
