// Frame-of-reference bit packing for the columns file: n unsigned integers of
// `bits` bits each (0..64), packed little-endian, LSB first, followed by
// kPackedPad zero bytes so that any element is read with one unaligned 8-byte
// load plus at most one extra byte. Random access is O(1).
//
// PackedInts is a view over bytes owned by someone else (a mapped file or a
// test buffer); it must not outlive them. The reader validates the byte
// length (packed_size) before building a view, so get(i) for i < n never
// reads out of bounds. Read-only, so any number of threads may share a view.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

static_assert(std::endian::native == std::endian::little, "columns assume a little-endian host");

namespace meridian::columns {

constexpr uint64_t kPackedPad = 8;

// Bits needed to represent v: 0 for v == 0, 64 for v >= 2^63.
inline uint8_t bits_for(uint64_t v) { return static_cast<uint8_t>(64 - std::countl_zero(v)); }

// Bytes taken by n values of `bits` bits, padding included. The caller makes
// sure n * bits does not overflow (the reader checks n against the bytes left).
inline uint64_t packed_size(uint64_t n, uint8_t bits) { return (n * bits + 7) / 8 + kPackedPad; }

// Appends the packed form of `values` (each must fit in `bits`) to `out`.
void pack_ints(const std::vector<uint64_t>& values, uint8_t bits, std::string* out);

class PackedInts {
 public:
  PackedInts() = default;
  PackedInts(const char* data, uint8_t bits) : data_(data), bits_(bits) {}

  uint64_t get(uint64_t i) const {
    if (bits_ == 0) return 0;
    uint64_t pos = i * bits_;
    const char* p = data_ + (pos >> 3);
    unsigned shift = static_cast<unsigned>(pos & 7);
    uint64_t word;
    std::memcpy(&word, p, 8);
    uint64_t v = word >> shift;
    if (shift + bits_ > 64) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[8])) << (64 - shift);
    return bits_ == 64 ? v : v & ((uint64_t{1} << bits_) - 1);
  }
  uint8_t bits() const { return bits_; }

 private:
  const char* data_ = nullptr;
  uint8_t bits_ = 0;
};

}  // namespace meridian::columns
