#include "input_stream.h"

#include <sys/stat.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>

namespace meridian::cli {
namespace {

constexpr size_t kChunk = 1 << 18;

// Reads raw bytes from a FILE*, with a pushback of the sniffed prefix.
class RawFile {
 public:
  RawFile(FILE* f, bool owned) : f_(f), owned_(owned) {}
  ~RawFile() {
    if (owned_ && f_) std::fclose(f_);
  }
  size_t read(char* dst, size_t n, uint64_t* counter) {
    size_t got = 0;
    if (pb_pos_ < pushback_.size()) {
      got = std::min(n, pushback_.size() - pb_pos_);
      std::memcpy(dst, pushback_.data() + pb_pos_, got);
      pb_pos_ += got;
    }
    if (got < n) got += std::fread(dst + got, 1, n - got, f_);
    *counter += got;
    return got;
  }
  bool error() const { return std::ferror(f_) != 0; }
  std::string pushback_;
  size_t pb_pos_ = 0;

 private:
  FILE* f_;
  bool owned_;
};

class PlainStream : public InputStream {
 public:
  explicit PlainStream(std::unique_ptr<RawFile> raw) : raw_(std::move(raw)) {}
  bool fill() override {
    std::string chunk(kChunk, '\0');
    size_t n = raw_->read(chunk.data(), chunk.size(), &raw_read_);
    if (n == 0) {
      if (raw_->error()) status_ = Status::io_error("read error");
      return false;
    }
    buf_.append(chunk.data(), n);
    return true;
  }

 private:
  std::unique_ptr<RawFile> raw_;
};

class GzipStream : public InputStream {
 public:
  explicit GzipStream(std::unique_ptr<RawFile> raw) : raw_(std::move(raw)) {
    std::memset(&z_, 0, sizeof z_);
    inflateInit2(&z_, 15 + 32);  // gzip or zlib header, auto-detected
    compression_ = "gzip";
  }
  ~GzipStream() override { inflateEnd(&z_); }
  bool fill() override {
    std::string out(kChunk, '\0');
    for (;;) {
      if (z_.avail_in == 0) {
        in_.resize(kChunk);
        size_t n = raw_->read(in_.data(), in_.size(), &raw_read_);
        if (n == 0) {
          if (!ended_) status_ = Status::invalid("gzip input is truncated");
          return false;
        }
        z_.next_in = reinterpret_cast<Bytef*>(in_.data());
        z_.avail_in = static_cast<uInt>(n);
      }
      if (ended_) {  // concatenated gzip members
        inflateReset(&z_);
        ended_ = false;
      }
      z_.next_out = reinterpret_cast<Bytef*>(out.data());
      z_.avail_out = static_cast<uInt>(out.size());
      int rc = inflate(&z_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) ended_ = true;
      else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        status_ = Status::invalid(std::string("gzip input is damaged: ") + (z_.msg ? z_.msg : "inflate error"));
        return false;
      }
      size_t produced = out.size() - z_.avail_out;
      if (produced) {
        buf_.append(out.data(), produced);
        return true;
      }
      if (ended_ && z_.avail_in == 0) {
        in_.resize(kChunk);
        size_t n = raw_->read(in_.data(), in_.size(), &raw_read_);
        if (n == 0) return false;  // clean end
        z_.next_in = reinterpret_cast<Bytef*>(in_.data());
        z_.avail_in = static_cast<uInt>(n);
      }
    }
  }

 private:
  std::unique_ptr<RawFile> raw_;
  z_stream z_;
  std::string in_;
  bool ended_ = false;
};

class ZstdStream : public InputStream {
 public:
  explicit ZstdStream(std::unique_ptr<RawFile> raw) : raw_(std::move(raw)), d_(ZSTD_createDStream()) {
    ZSTD_initDStream(d_);
    compression_ = "zstd";
  }
  ~ZstdStream() override { ZSTD_freeDStream(d_); }
  bool fill() override {
    std::string out(ZSTD_DStreamOutSize() * 4, '\0');
    for (;;) {
      if (in_.pos == in_.size) {
        in_buf_.resize(kChunk);
        size_t n = raw_->read(in_buf_.data(), in_buf_.size(), &raw_read_);
        if (n == 0) {
          if (last_rc_ != 0) status_ = Status::invalid("zstd input is truncated");
          return false;
        }
        in_ = ZSTD_inBuffer{in_buf_.data(), n, 0};
      }
      ZSTD_outBuffer o{out.data(), out.size(), 0};
      size_t rc = ZSTD_decompressStream(d_, &o, &in_);
      if (ZSTD_isError(rc)) {
        status_ = Status::invalid(std::string("zstd input is damaged: ") + ZSTD_getErrorName(rc));
        return false;
      }
      last_rc_ = rc;
      if (o.pos) {
        buf_.append(out.data(), o.pos);
        return true;
      }
    }
  }

 private:
  std::unique_ptr<RawFile> raw_;
  ZSTD_DStream* d_;
  std::string in_buf_;
  ZSTD_inBuffer in_{nullptr, 0, 0};
  size_t last_rc_ = 0;
};

}  // namespace

Result<std::unique_ptr<InputStream>> InputStream::open(const std::string& path) {
  FILE* f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (!f) return Status::from_errno("cannot open " + path, errno);
  uint64_t size = 0;
  struct stat st{};
  if (path != "-" && ::fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode)) size = static_cast<uint64_t>(st.st_size);
  if (path != "-" && ::fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
    std::fclose(f);
    return Status::invalid(path + " is a directory");
  }
  auto raw = std::make_unique<RawFile>(f, path != "-");
  char magic[4] = {0, 0, 0, 0};
  size_t n = std::fread(magic, 1, 4, f);
  raw->pushback_.assign(magic, n);
  std::unique_ptr<InputStream> s;
  const auto* m = reinterpret_cast<const unsigned char*>(magic);
  if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
    s = std::make_unique<GzipStream>(std::move(raw));
  else if (n >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
    s = std::make_unique<ZstdStream>(std::move(raw));
  else
    s = std::make_unique<PlainStream>(std::move(raw));
  s->raw_size_ = size;
  return s;
}

bool InputStream::read_line(std::string* line) {
  line->clear();
  for (;;) {
    size_t nl = buf_.find('\n', pos_);
    if (nl != std::string::npos) {
      line->append(buf_, pos_, nl - pos_);
      out_read_ += nl - pos_ + 1;
      pos_ = nl + 1;
      if (!line->empty() && line->back() == '\r') line->pop_back();
      return true;
    }
    line->append(buf_, pos_, std::string::npos);
    out_read_ += buf_.size() - pos_;
    buf_.clear();
    pos_ = 0;
    if (!fill()) {
      if (!line->empty() && line->back() == '\r') line->pop_back();
      return !line->empty();
    }
  }
}

Status InputStream::read_all(std::string* out) {
  out->append(buf_, pos_, std::string::npos);
  buf_.clear();
  pos_ = 0;
  while (fill()) {
    out->append(buf_);
    buf_.clear();
  }
  out_read_ = out->size();
  return status_;
}

}  // namespace meridian::cli
