// How field values become keys in a segment's term dictionary:
//   "<field>\0<term bytes>"
// Text tokens and keyword values are their UTF-8 bytes; numbers (int, date,
// bool, float) are 8-byte big-endian order-preserving encodings, so a range
// over a numeric field is a range of keys; geo cells use geo::cell_term.
// Reserved fields: "_id" (external ids) and "_exists" (one term per field
// name, listing the documents that have a value for it). The int column
// "_order" holds each document's write order (kOrderField).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace meridian::index {

inline constexpr std::string_view kIdField = "_id";
inline constexpr std::string_view kExistsField = "_exists";
// Int column: the document's write order, the sequence number of the write
// that put this version (unique in the index, the same after merges and
// recovery). Searches break ties of equal sort keys by it.
inline constexpr std::string_view kOrderField = "_order";

inline std::string term_key(std::string_view field, std::string_view term) {
  std::string k;
  k.reserve(field.size() + 1 + term.size());
  k.append(field);
  k.push_back('\0');
  k.append(term);
  return k;
}

inline std::string field_prefix(std::string_view field) { return term_key(field, {}); }

inline std::string encode_sortable_u64(uint64_t u) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((u >> (56 - 8 * i)) & 0xff);
  return s;
}

inline uint64_t decode_sortable_u64(std::string_view s) {
  uint64_t u = 0;
  for (size_t i = 0; i < 8 && i < s.size(); ++i) u = (u << 8) | static_cast<uint8_t>(s[i]);
  return u;
}

// int64 → bytes whose unsigned order equals the signed order.
inline std::string encode_int(int64_t v) { return encode_sortable_u64(static_cast<uint64_t>(v) ^ (1ull << 63)); }
inline int64_t decode_int(std::string_view s) {
  return static_cast<int64_t>(decode_sortable_u64(s) ^ (1ull << 63));
}

// double → bytes whose order equals numeric order (-0 == +0 folded to +0).
inline std::string encode_double(double d) {
  if (d == 0) d = 0;  // fold -0
  uint64_t b;
  std::memcpy(&b, &d, 8);
  b = (b & (1ull << 63)) ? ~b : b | (1ull << 63);
  return encode_sortable_u64(b);
}
inline double decode_double(std::string_view s) {
  uint64_t b = decode_sortable_u64(s);
  b = (b & (1ull << 63)) ? b & ~(1ull << 63) : ~b;
  double d;
  std::memcpy(&d, &b, 8);
  return d;
}

}  // namespace meridian::index
