// InputStream: reads a file (or standard input for "-") as bytes, with gzip
// and zstd input detected by their magic numbers and decompressed on the
// fly. Tracks how many raw (compressed) bytes were consumed, for progress.
// Not thread-safe: one reader thread owns it.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "meridian/base/status.h"

namespace meridian::cli {

class InputStream {
 public:
  static Result<std::unique_ptr<InputStream>> open(const std::string& path);
  virtual ~InputStream() = default;
  // Reads one line without its '\n' (and '\r'); false at end of input.
  bool read_line(std::string* line);
  // Reads everything that is left.
  Status read_all(std::string* out);
  Status status() const { return status_; }
  uint64_t raw_bytes_read() const { return raw_read_; }
  uint64_t bytes_read() const { return out_read_; }
  // Size of the raw input, 0 when unknown (a pipe).
  uint64_t raw_size() const { return raw_size_; }
  const char* compression() const { return compression_; }

 protected:
  InputStream() = default;
  // Fills buf_ with more decompressed bytes; false at end or error.
  virtual bool fill() = 0;
  std::string buf_;
  size_t pos_ = 0;
  Status status_;
  uint64_t raw_read_ = 0;
  uint64_t out_read_ = 0;
  uint64_t raw_size_ = 0;
  const char* compression_ = "none";
};

}  // namespace meridian::cli
