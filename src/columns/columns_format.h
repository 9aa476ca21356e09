// Private constants of the columns file format (docs/FORMAT.md, "Columns
// file"), shared by the writer and the reader.
#pragma once

#include <cstdint>

#include "meridian/base/file_frame.h"

namespace meridian::columns {

constexpr uint32_t kColumnsMagic = fourcc("MCOL");
constexpr uint32_t kColumnsVersion = 1;

// DocRanges layout byte.
constexpr uint8_t kLayoutDense = 0;
constexpr uint8_t kLayoutOffsets = 1;

}  // namespace meridian::columns
