// Layout constants and small decoding helpers of the postings file, shared by
// PostingsWriter, PostingsReader and PostingCursor. Internal to the postings
// module; the prose spec with a byte diagram is docs/FORMAT.md, "Postings file".
// Pure functions and constants; thread-safe.
#pragma once

#include <cstdint>
#include <cstring>

#include "meridian/base/file_frame.h"

namespace meridian::postings::format {

constexpr uint32_t kMagic = fourcc("MPST");
constexpr uint32_t kVersion = 3;        // current format version (3: the unit tf flag)
constexpr uint32_t kMinVersion = 1;     // oldest version this build reads
constexpr uint32_t kBlockSize = 128;    // documents per tf/position block

// Version 1 record: crc u32 | len u64 | payload (len bytes); crc = masked
// CRC32C of the len field and the payload. Always a full payload.
constexpr size_t kRecordHeaderSizeV1 = 12;
// Version 2 and 3 record: crc u32 | kind u8 | payload, the payload running to the
// next record (the term index gives the boundaries); crc = masked CRC32C of
// kind and payload.
constexpr size_t kRecordHeaderSizeV2 = 5;
constexpr uint8_t kKindFull = 0;   // payload as in version 1
constexpr uint8_t kKindShort = 1;  // 1..kBlockSize documents, varint-coded, no bitmap
// Short payload: flags u8 | doc_freq varint | min_len varint | docs (first,
// then gaps, varints) | tf varints | position varints (to the end).
// Payload header: doc_freq u32, max_tf u32, min_len u32, flags u8, pad[3],
// bitmap_len u32, tf_len u32, pos_len u64.
constexpr size_t kTermHeaderSize = 32;
constexpr uint8_t kFlagPositions = 1;
constexpr uint8_t kFlagLengths = 2;
// Every tf is 1 and no positions are stored: no tf area (tf_len 0, every
// tf_off 0), each block's max_tf 1. Docs-only terms (_id, _exists, keyword
// and numeric values, word postings) take one byte less per document.
constexpr uint8_t kFlagUnitTf = 4;
// Block entry: last_doc u32, max_tf u32, min_len u32, tf_off u32, pos_off u64.
constexpr size_t kBlockEntrySize = 24;
// Trailer at the end of the body: term_count u64, index_offset u64,
// index_crc u32 (masked), trailer_crc u32 (masked, of the preceding 20 bytes).
constexpr size_t kTrailerSize = 24;

inline uint32_t load_u32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;  // little-endian hosts only (x86-64, aarch64)
}
inline uint64_t load_u64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

struct BlockEntry {
  uint32_t last_doc;
  uint32_t max_tf;
  uint32_t min_len;
  uint32_t tf_off;
  uint64_t pos_off;
};

inline BlockEntry load_block(const char* table, uint32_t b) {
  const char* p = table + size_t{b} * kBlockEntrySize;
  return {load_u32(p), load_u32(p + 4), load_u32(p + 8), load_u32(p + 12), load_u64(p + 16)};
}

// Bounded LEB128 read of a value < 2^32. On malformed or truncated input sets
// *ok = false and returns 0; never reads at or past `end`.
inline uint32_t read_varint(const char*& p, const char* end, bool* ok) {
  uint32_t v = 0;
  for (int shift = 0; shift <= 28; shift += 7) {
    if (p >= end) break;
    uint8_t b = static_cast<uint8_t>(*p++);
    v |= static_cast<uint32_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      if (shift == 28 && b > 0x0f) break;
      return v;
    }
  }
  *ok = false;
  return 0;
}

}  // namespace meridian::postings::format
