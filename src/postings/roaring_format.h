// The portable serialization of roaring bitmaps (RoaringFormatSpec): its
// constants, as Bitmap::validate_portable checks the bytes and BitmapView
// reads them in place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace meridian::postings::roaring_format {

constexpr uint32_t kCookieNoRun = 12346;     // then a u32 container count, no run containers
constexpr uint32_t kCookieRun = 12347;       // in the low 16 bits; the count - 1 in the high 16
constexpr uint32_t kNoOffsetThreshold = 4;   // a run bitmap stores offsets from 4 containers on
constexpr uint32_t kMaxArrayCard = 4096;     // above: a bitset container
constexpr size_t kBitsetBytes = 8192;

inline uint16_t load16(const char* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;  // little-endian, as the format (hosts: x86-64, aarch64)
}

}  // namespace meridian::postings::roaring_format
