#include "meridian/termdict/automaton_nfa.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <string>

namespace meridian::termdict {

// ---------------------------------------------------------------- Nfa

Nfa::Id Nfa::add_state() {
  edges_.emplace_back();
  eps_.emplace_back();
  accept_.push_back(kNotAccepting);
  return static_cast<Id>(accept_.size() - 1);
}

void Nfa::set_accept(Id s, uint8_t value) {
  assert(value != kNotAccepting);
  accept_[s] = std::min(accept_[s], value);
}

void Nfa::add_epsilon(Id from, Id to) { eps_[from].push_back(to); }

void Nfa::add_byte_range(Id from, uint8_t lo, uint8_t hi, Id to) {
  assert(lo <= hi);
  edges_[from].push_back(Edge{lo, hi, to});
}

void Nfa::add_code_points(Id from, uint32_t lo, uint32_t hi, Id to) {
  assert(lo <= hi && hi <= kMaxCodePoint);
  if (lo <= 0xDFFF && hi >= 0xD800) {  // surrogates have no UTF-8 encoding
    if (lo < 0xD800) split_code_points(from, lo, 0xD7FF, to);
    if (hi > 0xDFFF) split_code_points(from, 0xE000, hi, to);
    return;
  }
  split_code_points(from, lo, hi, to);
}

namespace {
int utf8_length(uint32_t cp) { return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4; }

void encode(uint32_t cp, uint8_t* b) {
  switch (utf8_length(cp)) {
    case 1: b[0] = static_cast<uint8_t>(cp); break;
    case 2:
      b[0] = static_cast<uint8_t>(0xC0 | (cp >> 6));
      b[1] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
      break;
    case 3:
      b[0] = static_cast<uint8_t>(0xE0 | (cp >> 12));
      b[1] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F));
      b[2] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
      break;
    default:
      b[0] = static_cast<uint8_t>(0xF0 | (cp >> 18));
      b[1] = static_cast<uint8_t>(0x80 | ((cp >> 12) & 0x3F));
      b[2] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F));
      b[3] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
  }
}
}  // namespace

// Splits [lo, hi] until each piece is a product of byte ranges (the classic
// utf8-ranges algorithm), then adds each piece as one byte sequence.
void Nfa::split_code_points(Id from, uint32_t lo, uint32_t hi, Id to) {
  static constexpr uint32_t kLenMax[] = {0x7F, 0x7FF, 0xFFFF};
  for (uint32_t m : kLenMax) {
    if (lo <= m && hi > m) {
      split_code_points(from, lo, m, to);
      split_code_points(from, m + 1, hi, to);
      return;
    }
  }
  int n = utf8_length(lo);
  for (int i = 1; i < n; ++i) {
    uint32_t m = (1u << (6 * i)) - 1;
    if ((lo & ~m) != (hi & ~m)) {
      if ((lo & m) != 0) {
        split_code_points(from, lo, lo | m, to);
        split_code_points(from, (lo | m) + 1, hi, to);
        return;
      }
      if ((hi & m) != m) {
        split_code_points(from, lo, (hi & ~m) - 1, to);
        split_code_points(from, hi & ~m, hi, to);
        return;
      }
    }
  }
  uint8_t a[4], b[4];
  encode(lo, a);
  encode(hi, b);
  add_utf8_sequence(from, a, b, n, to);
}

void Nfa::add_utf8_sequence(Id from, const uint8_t* lo, const uint8_t* hi, int len, Id to) {
  Id next = to;
  for (int k = len - 1; k >= 1; --k) {
    uint64_t key = (static_cast<uint64_t>(next) << 16) | (static_cast<uint64_t>(hi[k]) << 8) | lo[k];
    auto it = suffix_cache_.find(key);
    if (it == suffix_cache_.end()) {
      Id s = add_state();
      add_byte_range(s, lo[k], hi[k], next);
      it = suffix_cache_.emplace(key, s).first;
    }
    next = it->second;
  }
  add_byte_range(from, lo[0], hi[0], next);
}

int32_t decode_utf8(std::string_view s, size_t* pos) {
  size_t i = *pos;
  uint8_t c = static_cast<uint8_t>(s[i]);
  *pos = i + 1;
  if (c < 0x80) return c;
  int n;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1F; }
  else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0F; }
  else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07; }
  else return -1;
  if (i + n >= s.size()) return -1;  // truncated sequence
  for (int k = 1; k <= n; ++k) {
    uint8_t d = static_cast<uint8_t>(s[i + k]);
    if ((d & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (d & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > Nfa::kMaxCodePoint || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  *pos = i + 1 + n;
  return static_cast<int32_t>(cp);
}

void append_utf8(uint32_t cp, std::string* out) {
  uint8_t b[4];
  encode(cp, b);
  out->append(reinterpret_cast<const char*>(b), utf8_length(cp));
}

}  // namespace meridian::termdict
