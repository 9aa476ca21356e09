#include "meridian/base/file_frame.h"

#include "meridian/base/bytes.h"
#include "meridian/base/crc32c.h"

namespace meridian {

std::string frame_file(uint32_t magic, uint32_t version, std::string_view body) {
  std::string out;
  out.reserve(kFrameHeaderSize + body.size() + kFrameFooterSize);
  ByteWriter w(&out);
  w.u32(magic);
  w.u32(version);
  w.u64(body.size());
  w.u64(0);
  w.u64(0);
  w.bytes(body);
  uint32_t crc = crc32c::value(out.data(), out.size());
  w.u32(crc32c::mask(crc));
  w.u32(kFrameEndMagic);
  w.u64(body.size());
  return out;
}

Result<FrameInfo> unframe_file(std::string_view file, uint32_t magic, uint32_t min_version,
                               uint32_t max_version, const std::string& name, bool verify_crc) {
  if (file.size() < kFrameHeaderSize + kFrameFooterSize)
    return Status::corruption(name + ": file too short (" + std::to_string(file.size()) +
                              " bytes), truncated?");
  ByteReader h(file.substr(0, kFrameHeaderSize));
  uint32_t m = h.u32();
  uint32_t version = h.u32();
  uint64_t body_len = h.u64();
  if (m != magic) return Status::corruption(name + ": bad magic at offset 0, not a Meridian file of this kind");
  if (version < min_version || version > max_version)
    return Status::corruption(name + ": unsupported format version " + std::to_string(version) +
                              " (this build reads " + std::to_string(min_version) + ".." +
                              std::to_string(max_version) + ")");
  if (body_len != file.size() - kFrameHeaderSize - kFrameFooterSize)
    return Status::corruption(name + ": length mismatch: header says " + std::to_string(body_len) +
                              " body bytes, file holds " +
                              std::to_string(file.size() - kFrameHeaderSize - kFrameFooterSize) +
                              " (truncated or extended)");
  size_t foot_off = file.size() - kFrameFooterSize;
  ByteReader f(file.substr(foot_off));
  uint32_t crc = crc32c::unmask(f.u32());
  uint32_t end_magic = f.u32();
  uint64_t body_len2 = f.u64();
  if (end_magic != kFrameEndMagic || body_len2 != body_len)
    return Status::corruption(name + ": bad footer at offset " + std::to_string(foot_off));
  if (verify_crc && crc32c::value(file.data(), foot_off) != crc)
    return Status::corruption(name + ": checksum mismatch (file is damaged)");
  return FrameInfo{version, file.substr(kFrameHeaderSize, body_len)};
}

}  // namespace meridian
