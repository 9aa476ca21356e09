// Internal to the index module: the deletes file of a segment generation
// (seg-N.G.del, magic "MDEL"; docs/FORMAT.md "Deletes").
#pragma once

#include <memory>
#include <string>

#include "meridian/base/file.h"
#include "meridian/base/file_frame.h"
#include "meridian/postings/bitmap.h"

namespace meridian::index {

inline constexpr uint32_t kDeletesMagic = fourcc("MDEL");
inline constexpr uint32_t kDeletesVersion = 1;

inline Result<std::shared_ptr<const postings::Bitmap>> read_deletes(const std::string& path) {
  MERIDIAN_ASSIGN_OR_RETURN(std::string bytes, fs::read_file(path));
  MERIDIAN_ASSIGN_OR_RETURN(FrameInfo fi, unframe_file(bytes, kDeletesMagic, 1, kDeletesVersion, path));
  MERIDIAN_ASSIGN_OR_RETURN(postings::Bitmap bm, postings::Bitmap::deserialize(fi.body, path));
  return std::make_shared<const postings::Bitmap>(std::move(bm));
}

inline Status write_deletes(const std::string& path, const postings::Bitmap& bm) {
  return fs::write_file_atomic(path, frame_file(kDeletesMagic, kDeletesVersion, bm.serialize()));
}

}  // namespace meridian::index
