// Dates as int64 milliseconds since the Unix epoch (UTC): parsing RFC 3339
// ("2024-05-01", "2024-05-01T12:30:00Z", "...T12:30:00.250+02:00") and
// formatting back. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "meridian/base/status.h"

namespace meridian {

Result<int64_t> parse_rfc3339_millis(std::string_view s);
std::string format_rfc3339_millis(int64_t millis);  // "2024-05-01T12:30:00.250Z"
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);

}  // namespace meridian
