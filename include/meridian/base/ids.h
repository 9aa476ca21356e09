// Strong id types, so that a segment-local document number cannot be passed
// where a term number or a segment number is expected. Each wraps an integer
// and compares like it; `.v` is the raw value for arithmetic and storage.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace meridian {

template <typename Tag, typename Rep>
struct StrongId {
  Rep v{};
  constexpr StrongId() = default;
  constexpr explicit StrongId(Rep value) : v(value) {}
  friend constexpr auto operator<=>(StrongId, StrongId) = default;
};

struct DocIdTag {};
struct TermIdTag {};
struct SegmentIdTag {};
struct CellIdTag {};

using DocId = StrongId<DocIdTag, uint32_t>;          // segment-local document number
using TermId = StrongId<TermIdTag, uint32_t>;        // ordinal of a term in one segment's dictionary
using SegmentId = StrongId<SegmentIdTag, uint64_t>;  // index-wide, increasing
using CellId = StrongId<CellIdTag, uint64_t>;        // geo quadtree cell (see geo/cell_id.h)

}  // namespace meridian

template <typename Tag, typename Rep>
struct std::hash<meridian::StrongId<Tag, Rep>> {
  size_t operator()(meridian::StrongId<Tag, Rep> id) const noexcept { return std::hash<Rep>()(id.v); }
};
