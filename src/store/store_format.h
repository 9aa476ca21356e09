// Private constants of the store file format (docs/FORMAT.md, "Store file").
#pragma once

#include <cstdint>

#include "meridian/base/file_frame.h"

namespace meridian::store {

constexpr uint32_t kStoreMagic = fourcc("MSTO");
constexpr uint32_t kStoreVersion = 1;

// Block index entry: first_doc u32, raw_len u32, offset u64, stored_len u32,
// crc u32 (masked CRC32C of the stored bytes).
constexpr size_t kIndexEntrySize = 24;
// Trailer: num_docs u32, num_blocks u32, index_offset u64, index crc u32
// (masked), reserved u32.
constexpr size_t kTrailerSize = 24;

// First byte of a stored block.
constexpr uint8_t kCodecRaw = 0;
constexpr uint8_t kCodecZstd = 1;

}  // namespace meridian::store
