// CRC32C (Castagnoli), the checksum on every Meridian file and WAL record.
// Uses the SSE4.2 instruction when the CPU has it, a sliced table otherwise.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace meridian::crc32c {

// Extend `crc` (the CRC of some earlier bytes) with `n` more bytes.
uint32_t extend(uint32_t crc, const void* data, size_t n);
inline uint32_t value(const void* data, size_t n) { return extend(0, data, n); }
inline uint32_t value(std::string_view s) { return extend(0, s.data(), s.size()); }

// Masked form for CRCs stored next to the data they cover (as leveldb does):
// a CRC of a string that itself contains CRCs is then less likely to collide.
inline uint32_t mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }
inline uint32_t unmask(uint32_t m) {
  uint32_t rot = m - 0xa282ead8u;
  return (rot >> 17) | (rot << 15);
}

}  // namespace meridian::crc32c
