#include "meridian/cdc/geometry.h"

#include <cstdint>
#include <cstring>

namespace meridian::cdc {
namespace {

constexpr uint32_t kWkbPoint = 1;
constexpr uint32_t kEwkbZ = 0x80000000u;
constexpr uint32_t kEwkbM = 0x40000000u;
constexpr uint32_t kEwkbSrid = 0x20000000u;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

struct Cursor {
  std::string_view b;
  size_t pos = 0;
  bool little = true;
  bool u32(uint32_t* out) {
    if (b.size() - pos < 4) return false;
    uint8_t x[4];
    std::memcpy(x, b.data() + pos, 4);
    pos += 4;
    *out = little ? (uint32_t(x[0]) | uint32_t(x[1]) << 8 | uint32_t(x[2]) << 16 | uint32_t(x[3]) << 24)
                  : (uint32_t(x[3]) | uint32_t(x[2]) << 8 | uint32_t(x[1]) << 16 | uint32_t(x[0]) << 24);
    return true;
  }
  bool f64(double* out) {
    if (b.size() - pos < 8) return false;
    uint8_t x[8];
    std::memcpy(x, b.data() + pos, 8);
    pos += 8;
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= uint64_t(x[little ? i : 7 - i]) << (8 * i);
    std::memcpy(out, &v, 8);
    return true;
  }
};

}  // namespace

Result<geo::LatLon> decode_wkb_point(std::string_view bytes) {
  auto bad = [](const std::string& why) { return Status::invalid("WKB point: " + why); };
  if (bytes.empty()) return bad("empty");
  Cursor c{bytes, 1, bytes[0] == 1};
  if (bytes[0] != 0 && bytes[0] != 1) return bad("bad byte order marker");
  uint32_t type = 0;
  if (!c.u32(&type)) return bad("truncated type");
  bool z = type & kEwkbZ, m = type & kEwkbM;
  if (type & kEwkbSrid) {
    uint32_t srid;
    if (!c.u32(&srid)) return bad("truncated SRID");
  }
  uint32_t base = type & 0x0fffffffu;
  // ISO WKB encodes Z/M as 1000/2000/3000 + type.
  if (base >= 1000 && base < 4000) {
    uint32_t dims = base / 1000;
    z = z || dims == 1 || dims == 3;
    m = m || dims == 2 || dims == 3;
    base %= 1000;
  }
  if (base != kWkbPoint) return bad("geometry type " + std::to_string(base) + " is not a Point");
  double x, y, skip;
  if (!c.f64(&x) || !c.f64(&y)) return bad("truncated coordinates");
  if (z && !c.f64(&skip)) return bad("truncated Z");
  if (m && !c.f64(&skip)) return bad("truncated M");
  if (c.pos != bytes.size()) return bad("trailing bytes");
  geo::LatLon p{y, x};
  if (!geo::is_valid(p)) return bad("coordinates out of range (POINT EMPTY or not WGS 84?)");
  return p;
}

Result<geo::LatLon> decode_wkb_hex_point(std::string_view hex) {
  if (hex.size() % 2) return Status::invalid("WKB hex: odd number of digits");
  std::string bytes(hex.size() / 2, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return Status::invalid("WKB hex: not a hex digit");
    bytes[i] = static_cast<char>(hi << 4 | lo);
  }
  return decode_wkb_point(bytes);
}

Result<std::string> decode_base64(std::string_view text) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return Status::invalid("base64: bad length");
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = val(c);
    if (v < 0) return Status::invalid("base64: bad character");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

Result<geo::LatLon> decode_point_value(const Json& v, std::string_view column) {
  auto ctx = [&](const Status& st) { return st.with_context(std::string(column)); };
  if (v.is_string()) {
    const std::string& s = v.as_string();
    bool hex = s.size() >= 42 && s.size() % 2 == 0 && (s.rfind("01", 0) == 0 || s.rfind("00", 0) == 0);
    for (size_t i = 0; hex && i < s.size(); ++i) hex = hex_value(s[i]) >= 0;
    if (hex) {
      auto p = decode_wkb_hex_point(s);
      if (!p) return ctx(p.status());
      return *p;
    }
  }
  if (v.is_object()) {
    if (const Json* wkb = v.find("wkb"); wkb && wkb->is_string()) {
      auto bytes = decode_base64(wkb->as_string());
      if (!bytes) return ctx(bytes.status());
      auto p = decode_wkb_point(*bytes);
      if (!p) return ctx(p.status());
      return *p;
    }
    const Json* x = v.find("x");
    const Json* y = v.find("y");
    if (x && y && x->is_number() && y->is_number()) {
      geo::LatLon p{y->as_double(), x->as_double()};
      if (!geo::is_valid(p)) return Status::invalid(std::string(column) + ": point out of range");
      return p;
    }
  }
  return geo::parse_point(v, column);
}

}  // namespace meridian::cdc
