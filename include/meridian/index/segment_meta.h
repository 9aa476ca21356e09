// SegmentMeta: the small summary file of a segment (seg-N.meta): document
// count and per-field statistics (documents with the field, total tokens)
// that BM25 aggregates across segments. Written last when a segment is
// built, so a segment without it is incomplete. Format: docs/FORMAT.md,
// "Segment meta".
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "meridian/base/status.h"
#include "meridian/index/schema.h"

namespace meridian::index {

constexpr uint32_t kSegmentMetaVersion = 1;

struct SegmentFieldMeta {
  FieldType type = FieldType::kText;
  uint64_t docs = 0;
  uint64_t sum_len = 0;
};

struct SegmentMeta {
  uint32_t num_docs = 0;
  std::map<std::string, SegmentFieldMeta, std::less<>> fields;

  std::string encode() const;  // whole framed file
  static Result<SegmentMeta> decode(std::string_view file, const std::string& name);
};

}  // namespace meridian::index
