#include "meridian/cdc/position.h"

#include <charconv>
#include <cstdio>

namespace meridian::cdc {

std::string SourcePosition::to_string() const {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out.push_back(',');
    out += std::to_string(parts[i]);
  }
  return out;
}

Result<SourcePosition> SourcePosition::parse(std::string_view text) {
  SourcePosition p;
  if (text.empty()) return p;
  size_t i = 0;
  while (true) {
    size_t j = text.find(',', i);
    if (j == std::string_view::npos) j = text.size();
    uint64_t v = 0;
    auto r = std::from_chars(text.data() + i, text.data() + j, v);
    if (r.ec != std::errc() || r.ptr != text.data() + j || j == i)
      return Status::invalid("source position: expected comma-separated integers, got '" + std::string(text) + "'");
    p.parts.push_back(v);
    if (j == text.size()) break;
    i = j + 1;
  }
  return p;
}

Result<uint64_t> parse_pg_lsn(std::string_view text) {
  size_t slash = text.find('/');
  auto bad = [&] { return Status::invalid("LSN: expected XXXXXXXX/XXXXXXXX, got '" + std::string(text) + "'"); };
  if (slash == std::string_view::npos || slash == 0 || slash > 8 || text.size() - slash - 1 == 0 ||
      text.size() - slash - 1 > 8)
    return bad();
  uint64_t hi = 0, lo = 0;
  auto r1 = std::from_chars(text.data(), text.data() + slash, hi, 16);
  auto r2 = std::from_chars(text.data() + slash + 1, text.data() + text.size(), lo, 16);
  if (r1.ec != std::errc() || r1.ptr != text.data() + slash || r2.ec != std::errc() ||
      r2.ptr != text.data() + text.size())
    return bad();
  return (hi << 32) | lo;
}

std::string format_pg_lsn(uint64_t lsn) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%X/%X", static_cast<unsigned>(lsn >> 32), static_cast<unsigned>(lsn & 0xffffffffu));
  return buf;
}

}  // namespace meridian::cdc
