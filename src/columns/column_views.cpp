#include "meridian/columns/column_views.h"

#include <algorithm>

namespace meridian::columns {

namespace {
double load_f64(const char* p) {
  double d;
  std::memcpy(&d, p, 8);
  return d;
}
}  // namespace

std::optional<double> DoubleColumn::nth(uint32_t doc, size_t i) const {
  auto k = ranges_.index(doc, i);
  if (!k) return std::nullopt;
  return load_f64(values_ + 8 * *k);
}

double GeoColumn::coord(uint32_t doc, size_t i, int which) const {
  auto k = ranges_.index(doc, i);
  return k ? load_f64(points_ + 16 * *k + 8 * which) : 0;
}

std::optional<uint32_t> KeywordColumn::find(std::string_view value) const {
  uint32_t lo = 0, hi = dict_size_;  // first ordinal whose value is >= `value`
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (value_of(mid) < value) lo = mid + 1;
    else hi = mid;
  }
  if (lo < dict_size_ && value_of(lo) == value) return lo;
  return std::nullopt;
}

}  // namespace meridian::columns
