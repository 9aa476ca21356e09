// ColumnLoader: turns the bytes of one column (already CRC-checked) into a
// view, after checking every length, offset and ordinal the view's O(1)
// accessors rely on. Errors are Corruption with a short reason; the caller
// adds the file and column name. Stateless; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "meridian/base/bytes.h"
#include "meridian/base/status.h"
#include "meridian/columns/column_views.h"

namespace meridian::columns {

class ColumnLoader {
 public:
  static Status load(std::string_view bytes, uint32_t num_docs, const ColumnStats& stats,
                     IntColumn* out);
  static Status load(std::string_view bytes, uint32_t num_docs, const ColumnStats& stats,
                     DoubleColumn* out);
  static Status load(std::string_view bytes, uint32_t num_docs, const ColumnStats& stats,
                     KeywordColumn* out);
  static Status load(std::string_view bytes, uint32_t num_docs, const ColumnStats& stats,
                     GeoColumn* out);
  static Status load(std::string_view bytes, uint32_t num_docs, const ColumnStats& stats,
                     NormColumn* out);

 private:
  static Status ranges(ByteReader* r, uint32_t num_docs, const ColumnStats& stats,
                       DocRanges* out);
  static Status packed(ByteReader* r, uint64_t n, uint8_t max_bits, PackedInts* out);
};

}  // namespace meridian::columns
