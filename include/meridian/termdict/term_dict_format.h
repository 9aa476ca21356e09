// Layout constants of the term dictionary file, shared by TermDictWriter and
// TermDictReader. Internal to the termdict module; the prose spec with a byte
// diagram is docs/FORMAT.md, "Term dictionary". Constants only; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

#include "meridian/base/file_frame.h"

namespace meridian::termdict::format {

constexpr uint32_t kMagic = fourcc("MTRM");
constexpr uint32_t kVersion = 1;       // current format version
constexpr uint32_t kMinVersion = 1;    // oldest version this build reads
constexpr uint32_t kDefaultBlockSize = 16;  // terms per prefix-compressed block
constexpr uint32_t kMaxBlockSize = 65536;
constexpr size_t kMaxTermLength = 65535;

// Block: crc u32 (masked CRC32C of the payload) | payload_len u32 | payload.
constexpr size_t kBlockHeaderSize = 8;
// Index entry: block_off u64, key_off u64, key_len u32, block_len u32.
constexpr size_t kIndexEntrySize = 24;
// Trailer: n_terms u64, n_blocks u64, index_off u64, keys_off u64,
// block_size u32, index_crc u32, trailer_crc u32, reserved u32.
constexpr size_t kTrailerSize = 48;

}  // namespace meridian::termdict::format
