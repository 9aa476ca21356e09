// The frame every Meridian file is wrapped in: a 32-byte header (magic,
// format version, body length) and a 16-byte footer (CRC32C of header+body,
// body length again, end magic). See docs/FORMAT.md, "File frame".
//
//   0      4        8            16           32                 32+n     48+n
//   | magic | version | body_len u64 | reserved 0 | body (n bytes) | footer |
//   footer: crc32c(header+body) u32 | 0 u32 | body_len u64 ... (16 bytes total:
//           crc u32, end magic u32 "MEND", body_len u64)
//
// The body starts at offset 32, so a body read through mmap (page aligned) is
// 32-byte aligned, as CRoaring's frozen bitmap views require.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "meridian/base/status.h"

namespace meridian {

constexpr size_t kFrameHeaderSize = 32;
constexpr size_t kFrameFooterSize = 16;
constexpr uint32_t kFrameEndMagic = 0x444e454du;  // "MEND"

// Four ASCII characters as a little-endian magic number: fourcc("MWAL").
constexpr uint32_t fourcc(const char (&s)[5]) {
  return static_cast<uint32_t>(static_cast<uint8_t>(s[0])) |
         static_cast<uint32_t>(static_cast<uint8_t>(s[1])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(s[2])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(s[3])) << 24;
}

// Returns header + body + footer.
std::string frame_file(uint32_t magic, uint32_t version, std::string_view body);

struct FrameInfo {
  uint32_t version = 0;
  std::string_view body;
};

// Checks size, magic, version range and (if verify_crc) the CRC; returns the
// body. Errors are Corruption naming `name` (the file's path).
Result<FrameInfo> unframe_file(std::string_view file, uint32_t magic, uint32_t min_version,
                               uint32_t max_version, const std::string& name,
                               bool verify_crc = true);

}  // namespace meridian
