// Private to src/geo: bit interleaving between a cell id and its per-axis
// cell indices. Pure inline functions.
#pragma once

#include <cstdint>

namespace meridian::geo {

// Spreads the low 32 bits of x to the even bit positions of a 64-bit word.
inline uint64_t spread(uint64_t x) {
  x &= 0xffffffffULL;
  x = (x | (x << 16)) & 0x0000ffff0000ffffULL;
  x = (x | (x << 8)) & 0x00ff00ff00ff00ffULL;
  x = (x | (x << 4)) & 0x0f0f0f0f0f0f0f0fULL;
  x = (x | (x << 2)) & 0x3333333333333333ULL;
  x = (x | (x << 1)) & 0x5555555555555555ULL;
  return x;
}

// Inverse of spread: gathers the even bits of x.
inline uint64_t compact(uint64_t x) {
  x &= 0x5555555555555555ULL;
  x = (x | (x >> 1)) & 0x3333333333333333ULL;
  x = (x | (x >> 2)) & 0x0f0f0f0f0f0f0f0fULL;
  x = (x | (x >> 4)) & 0x00ff00ff00ff00ffULL;
  x = (x | (x >> 8)) & 0x0000ffff0000ffffULL;
  x = (x | (x >> 16)) & 0x00000000ffffffffULL;
  return x;
}

// Bits of longitude and latitude in a cell of `bits` bits (lon comes first).
inline int lon_bits(int bits) { return (bits + 1) / 2; }
inline int lat_bits(int bits) { return bits / 2; }

// The id of the cell at level `bits` with the given axis indices
// (lon_index < 2^lon_bits(bits), lat_index < 2^lat_bits(bits)).
inline uint64_t cell_from_indices(uint64_t lon_index, uint64_t lat_index, int bits) {
  uint64_t lon = lon_index << (32 - lon_bits(bits));
  uint64_t lat = lat_index << (32 - lat_bits(bits));
  return (spread(lon) << 1) | spread(lat);
}

}  // namespace meridian::geo
