// Cell ids: a point quantized to 32 bits per axis and bit-interleaved into a
// 64-bit id, longitude bit first (bit 63), then latitude (bit 62), and so on.
// This is exactly the geohash bit order, so the first k bits of an id name a
// quadtree cell at "bit level" k and a geohash of precision p is the cell of
// the first 5p bits: geohash input and output are the same cells.
//
// Cell rectangles are half-open [min, max) on both axes, except that the last
// cell of an axis also holds max (lat 90, lon 180). Cell borders are dyadic
// fractions of the axis range, exact in double precision, and encode() places a
// point by exact comparison with those borders, so encode(p) always lies in
// cell_rect(encode(p), k) for every k.
//
// The index stores, for each point, its cell at every level in
// indexed_levels() as a term (cell_term) mapping to a bitmap of documents.
//
// Pure functions on values; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "meridian/base/status.h"
#include "meridian/geo/point.h"

namespace meridian::geo {

// Degrees; a closed rectangle min <= max on both axes (never wraps).
struct Rect {
  double min_lat, min_lon, max_lat, max_lon;
  friend bool operator==(const Rect&, const Rect&) = default;
};

// A cell: the first `bits` bits of `id` (0..64); the remaining bits are zero.
struct Cell {
  uint64_t id;
  int bits;
  friend bool operator==(const Cell&, const Cell&) = default;
};

// The 64-bit interleaved id of a point (precondition: is_valid(p); NaN
// coordinates are treated as the axis minimum).
uint64_t encode(LatLon p);
// Keeps the first `bits` bits of id (0..64), zeroing the rest.
uint64_t cell_prefix(uint64_t id, int bits);
// The rectangle / centre of the cell of the first `bits` bits of id.
Rect cell_rect(uint64_t id, int bits);
LatLon decode_center(uint64_t id, int bits);
// True if the point's id starts with the cell's bits.
bool cell_contains(Cell c, LatLon p);

// Geohash of p, precision clamped to 1..12 characters.
std::string geohash(LatLon p, int precision);
// Parses a geohash (1..12 chars of "0123456789bcdefghjkmnpqrstuvwxyz", upper
// case accepted). *bits (if not null) receives 5 * length.
Result<uint64_t> geohash_to_cell(std::string_view hash, int* bits);
Result<Rect> geohash_rect(std::string_view hash);

// Bit levels the index stores, ascending: 5, 10, ..., 50 (geohash precision
// 1..10; the finest cell is about 1.2 m x 0.6 m). See docs/FORMAT.md "Geo cells".
const std::vector<int>& indexed_levels();
// The cells of one point at every indexed level, coarse to fine.
std::vector<Cell> index_cells(LatLon p);

// Term-dictionary key of a cell: one byte `bits`, then the first ceil(bits/8)
// bytes of id, big-endian. Within one level, byte order equals id order; each
// level is a contiguous key range (all keys of level k start with byte k).
std::string cell_term(uint64_t id, int bits);
// The same bytes appended to *out.
void append_cell_term(std::string* out, uint64_t id, int bits);
// Inverse of cell_term; InvalidArgument for malformed keys (wrong length,
// bits > 64, nonzero bits past the prefix).
Result<Cell> parse_cell_term(std::string_view term);

}  // namespace meridian::geo
