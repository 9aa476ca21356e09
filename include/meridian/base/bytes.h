// Byte encoding helpers for the on-disk formats: little-endian fixed-width
// integers, LEB128 varints, and a bounds-checked reader that never reads past
// its span (every decoder of untrusted bytes goes through ByteReader).
// Value types; not shared between threads.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace meridian {

// Appends encoded values to a std::string buffer.
class ByteWriter {
 public:
  explicit ByteWriter(std::string* out) : out_(out) {}
  void u8(uint8_t v) { out_->push_back(static_cast<char>(v)); }
  void u16(uint16_t v) { fixed(v); }
  void u32(uint32_t v) { fixed(v); }
  void u64(uint64_t v) { fixed(v); }
  void f64(double v) { uint64_t b; std::memcpy(&b, &v, 8); fixed(b); }
  void varint(uint64_t v) {
    while (v >= 0x80) { u8(static_cast<uint8_t>(v | 0x80)); v >>= 7; }
    u8(static_cast<uint8_t>(v));
  }
  // Zig-zag signed varint.
  void svarint(int64_t v) { varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  void bytes(std::string_view s) { out_->append(s); }
  // Length-prefixed (varint) bytes.
  void str(std::string_view s) { varint(s.size()); out_->append(s); }
  // Pad with zeros until size() is a multiple of `align`.
  void align(size_t a) { while (out_->size() % a) out_->push_back('\0'); }
  size_t size() const { return out_->size(); }
  std::string* buffer() { return out_; }

 private:
  template <typename T>
  void fixed(T v) {
    char b[sizeof(T)];
    for (size_t i = 0; i < sizeof(T); ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    out_->append(b, sizeof(T));
  }
  std::string* out_;
};

// Reads encoded values from a span. Any read past the end sets failed() and
// returns zero/empty; callers check failed() once after a group of reads.
class ByteReader {
 public:
  ByteReader() = default;
  explicit ByteReader(std::string_view data) : p_(data.data()), end_(data.data() + data.size()), begin_(data.data()) {}
  uint8_t u8() { if (!need(1)) return 0; return static_cast<uint8_t>(*p_++); }
  uint16_t u16() { return fixed<uint16_t>(); }
  uint32_t u32() { return fixed<uint32_t>(); }
  uint64_t u64() { return fixed<uint64_t>(); }
  double f64() { uint64_t b = u64(); double d; std::memcpy(&d, &b, 8); return d; }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift <= 63; shift += 7) {
      if (!need(1)) return 0;
      uint8_t b = static_cast<uint8_t>(*p_++);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    failed_ = true;
    return 0;
  }
  int64_t svarint() { uint64_t u = varint(); return static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1)); }
  std::string_view bytes(size_t n) {
    if (!need(n)) return {};
    std::string_view s(p_, n);
    p_ += n;
    return s;
  }
  std::string_view str() { uint64_t n = varint(); return bytes(n); }
  void skip(size_t n) { if (need(n)) p_ += n; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  size_t offset() const { return static_cast<size_t>(p_ - begin_); }
  bool failed() const { return failed_; }
  bool at_end() const { return p_ == end_; }

 private:
  bool need(size_t n) {
    if (failed_ || static_cast<size_t>(end_ - p_) < n) { failed_ = true; return false; }
    return true;
  }
  template <typename T>
  T fixed() {
    if (!need(sizeof(T))) return 0;
    T v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) v |= static_cast<T>(static_cast<uint8_t>(p_[i])) << (8 * i);
    p_ += sizeof(T);
    return v;
  }
  const char* p_ = nullptr;
  const char* end_ = nullptr;
  const char* begin_ = nullptr;
  bool failed_ = false;
};

}  // namespace meridian
