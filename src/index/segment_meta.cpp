#include "meridian/index/segment_meta.h"

#include "meridian/base/bytes.h"
#include "meridian/base/file_frame.h"

namespace meridian::index {

namespace {
constexpr uint32_t kMagic = fourcc("MSEG");
}

std::string SegmentMeta::encode() const {
  std::string body;
  ByteWriter w(&body);
  w.u32(num_docs);
  w.varint(fields.size());
  for (const auto& [name, f] : fields) {
    w.str(name);
    w.u8(static_cast<uint8_t>(f.type));
    w.varint(f.docs);
    w.varint(f.sum_len);
  }
  return frame_file(kMagic, kSegmentMetaVersion, body);
}

Result<SegmentMeta> SegmentMeta::decode(std::string_view file, const std::string& name) {
  MERIDIAN_ASSIGN_OR_RETURN(FrameInfo fi, unframe_file(file, kMagic, 1, kSegmentMetaVersion, name));
  ByteReader r(fi.body);
  SegmentMeta m;
  m.num_docs = r.u32();
  uint64_t n = r.varint();
  if (n > fi.body.size()) return Status::corruption(name + ": bad field count");
  for (uint64_t i = 0; i < n && !r.failed(); ++i) {
    std::string fname(r.str());
    uint8_t t = r.u8();
    SegmentFieldMeta f;
    if (t > static_cast<uint8_t>(FieldType::kGeoPoint)) return Status::corruption(name + ": bad field type");
    f.type = static_cast<FieldType>(t);
    f.docs = r.varint();
    f.sum_len = r.varint();
    m.fields[fname] = f;
  }
  if (r.failed() || !r.at_end()) return Status::corruption(name + ": malformed segment meta body");
  return m;
}

}  // namespace meridian::index
