#include "url_decode.h"

#include <array>
#include <cstdint>

namespace meridian::server {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The value of the n hex digits at s[i..], or -1 (too few, or not hex).
int hex_at(std::string_view s, size_t i, size_t n) {
  if (i + n > s.size()) return -1;
  int v = 0;
  for (size_t k = 0; k < n; ++k) {
    int d = hex_value(s[i + k]);
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

// httplib's to_utf8 for a code point below 0x10000.
void append_utf8(std::string* out, int code) {
  if (code < 0x80) {
    out->push_back(static_cast<char>(code));
  } else if (code < 0x800) {
    out->push_back(static_cast<char>(0xC0 | ((code >> 6) & 0x1F)));
    out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else if (code < 0xD800 || code >= 0xE000) {
    out->push_back(static_cast<char>(0xE0 | ((code >> 12) & 0xF)));
    out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
  }  // a surrogate: nothing
}

}  // namespace

// Per byte: 1 for '%', 2 for '+' (special when plus_is_space).
constexpr std::array<uint8_t, 256> kSpecial = [] {
  std::array<uint8_t, 256> t{};
  t['%'] = 1;
  t['+'] = 2;
  return t;
}();

std::string url_decode(std::string_view s, bool plus_is_space) {
  // A plain loop over a table (find_first_of calls memchr once per
  // character of s).
  const uint8_t mask = plus_is_space ? 3 : 1;
  size_t first = 0;
  while (first < s.size() && !(kSpecial[static_cast<uint8_t>(s[first])] & mask)) ++first;
  if (first == s.size()) return std::string(s);
  std::string out;
  out.reserve(s.size());
  out.append(s.substr(0, first));
  for (size_t i = first; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%' && i + 1 < s.size()) {
      if (s[i + 1] == 'u') {
        int v = hex_at(s, i + 2, 4);
        if (v >= 0) {
          append_utf8(&out, v);
          i += 5;
          continue;
        }
      } else {
        int v = hex_at(s, i + 1, 2);
        if (v >= 0) {
          out.push_back(static_cast<char>(v));
          i += 2;
          continue;
        }
      }
      out.push_back(c);
    } else if (plus_is_space && c == '+') {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace meridian::server
