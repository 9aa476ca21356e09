// Helpers shared by the fuzz targets of tests/fuzz (see README.md there).
//
// AlignedCopy: the input in a buffer aligned like an mmap'ed file and exactly
// as long as the input, so that AddressSanitizer reports any read past its
// end. fix_*_crcs(): recompute the checksums of a mutated file of one format
// (the frame CRC, per-block CRCs, table and trailer CRCs) so that mutations
// reach the structural checks behind the checksums instead of all failing at
// the first CRC. Each fixer only rewrites checksum (and frame length) fields
// it can locate with bounds-checked arithmetic; bytes it cannot interpret are
// left alone. Targets run every input twice: as given and with its CRCs fixed.
//
// Test code only; not thread-safe (one fuzzing thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "meridian/base/status.h"

namespace meridian::fuzz {

class AlignedCopy {
 public:
  explicit AlignedCopy(std::string_view data)
      : size_(data.size()), buf_(new (std::align_val_t(64)) char[data.size() ? data.size() : 1]) {
    if (size_) std::memcpy(buf_.get(), data.data(), size_);
  }
  std::string_view view() const { return {buf_.get(), size_}; }

 private:
  struct Free {
    void operator()(char* p) const { operator delete[](p, std::align_val_t(64)); }
  };
  size_t size_;
  std::unique_ptr<char[], Free> buf_;
};

// Makes the file frame consistent with the file's size (both body lengths,
// the end magic) and recomputes its CRC. Magic and version are kept.
void fix_frame(std::string* file);

// Per-format fixers; each ends with fix_frame().
void fix_termdict_crcs(std::string* file);
void fix_postings_crcs(std::string* file);
void fix_columns_crcs(std::string* file);
void fix_store_crcs(std::string* file);
// The WAL is not framed: header CRC and every record's CRC.
void fix_wal_crcs(std::string* file);

// Reads small numbers from the front of an input and hands out the rest
// (for targets that need a few parameters besides the bytes they parse).
class InputReader {
 public:
  InputReader(const uint8_t* data, size_t size) : p_(data), n_(size) {}
  uint8_t u8() {
    if (n_ == 0) return 0;
    --n_;
    return *p_++;
  }
  uint32_t u32() { return u8() | uint32_t{u8()} << 8 | uint32_t{u8()} << 16 | uint32_t{u8()} << 24; }
  double f64();
  std::string_view take(size_t n) {
    if (n > n_) n = n_;
    std::string_view s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    n_ -= n;
    return s;
  }
  std::string_view rest() { return take(n_); }
  size_t remaining() const { return n_; }

 private:
  const uint8_t* p_;
  size_t n_;
};

// The contract of every parser and reader under fuzzing: a failure is a
// Status of one of `allowed` codes with a message that is not empty and
// contains `must_name` (the file name of a reader), never kInternal. Anything
// else aborts the process, which the fuzzer reports as a finding.
void check_status(const Status& st, std::initializer_list<Status::Code> allowed, std::string_view must_name = "");
template <typename T>
bool check_result(const Result<T>& r, std::initializer_list<Status::Code> allowed, std::string_view must_name = "") {
  check_status(r.status(), allowed, must_name);
  return r.is_ok();
}

// Splits `text` at each line that is exactly `sep` (the separator lines are
// dropped). Used by targets whose input has several parts.
std::vector<std::string_view> split_parts(std::string_view text, std::string_view sep);

}  // namespace meridian::fuzz
