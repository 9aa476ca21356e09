#include "fuzz_util.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "meridian/base/crc32c.h"
#include "meridian/base/file_frame.h"

namespace meridian::fuzz {

namespace {

uint32_t get32(const std::string& s, size_t off) {
  uint32_t v;
  std::memcpy(&v, s.data() + off, 4);
  return v;
}
uint64_t get64(const std::string& s, size_t off) {
  uint64_t v;
  std::memcpy(&v, s.data() + off, 8);
  return v;
}
void put32(std::string* s, size_t off, uint32_t v) { std::memcpy(s->data() + off, &v, 4); }
void put64(std::string* s, size_t off, uint64_t v) { std::memcpy(s->data() + off, &v, 8); }
uint32_t masked_crc(const std::string& s, size_t off, size_t len) {
  return crc32c::mask(crc32c::value(s.data() + off, len));
}
// True if [off, off + len) lies within [lo, hi).
bool within(uint64_t off, uint64_t len, uint64_t lo, uint64_t hi) {
  return off >= lo && off <= hi && len <= hi - off;
}

}  // namespace

void fix_frame(std::string* f) {
  if (f->size() < kFrameHeaderSize + kFrameFooterSize) return;
  uint64_t n = f->size() - kFrameHeaderSize - kFrameFooterSize;
  put64(f, 8, n);
  size_t foot = kFrameHeaderSize + n;
  put32(f, foot, masked_crc(*f, 0, foot));
  put32(f, foot + 4, kFrameEndMagic);
  put64(f, foot + 8, n);
}

// Body offsets are relative to kFrameHeaderSize; `end` is the body's end.
void fix_termdict_crcs(std::string* f) {
  constexpr size_t kTrailer = 48, kEntry = 24;
  if (f->size() < kFrameHeaderSize + kFrameFooterSize + kTrailer) return fix_frame(f);
  const uint64_t base = kFrameHeaderSize, end = f->size() - kFrameFooterSize, t = end - kTrailer;
  uint64_t n_blocks = get64(*f, t + 8), index_off = get64(*f, t + 16);
  if (within(base + index_off, 0, base, t)) {
    for (uint64_t b = 0; b < n_blocks && within(base + index_off + b * kEntry, kEntry, base, t); ++b) {
      uint64_t e = base + index_off + b * kEntry;
      uint64_t off = get64(*f, e);
      uint32_t len = get32(*f, e + 20);
      if (len < 8 || !within(base + off, len, base, t)) continue;
      put32(f, base + off + 4, len - 8);
      put32(f, base + off, masked_crc(*f, base + off + 8, len - 8));
    }
    put32(f, t + 36, masked_crc(*f, base + index_off, t - base - index_off));
  }
  put32(f, t + 40, masked_crc(*f, t, 40));
  fix_frame(f);
}

void fix_postings_crcs(std::string* f) {
  constexpr size_t kTrailer = 24;
  if (f->size() < kFrameHeaderSize + kFrameFooterSize + kTrailer) return fix_frame(f);
  const uint64_t base = kFrameHeaderSize, end = f->size() - kFrameFooterSize, t = end - kTrailer;
  const uint32_t version = get32(*f, 4);
  uint64_t count = get64(*f, t), index_off = get64(*f, t + 8);
  if (within(base + index_off, 0, base, t)) {
    const uint64_t idx = base + index_off;
    uint64_t n = std::min<uint64_t>(count, (t - idx) / 8);
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t off = get64(*f, idx + 8 * i);
      uint64_t next = i + 1 < n ? get64(*f, idx + 8 * (i + 1)) : index_off;
      if (version == 1) {
        if (!within(base + off, 12, base, idx)) continue;
        uint64_t len = get64(*f, base + off + 4);
        if (!within(base + off + 12, len, base, idx)) continue;
        put32(f, base + off, masked_crc(*f, base + off + 4, 8 + len));
      } else {
        if (next < off || !within(base + off, next - off, base, idx) || next - off < 5) continue;
        put32(f, base + off, masked_crc(*f, base + off + 4, next - off - 4));
      }
    }
    put32(f, t + 16, masked_crc(*f, idx, t - idx));
  }
  put32(f, t + 20, masked_crc(*f, t, 20));
  fix_frame(f);
}

void fix_columns_crcs(std::string* f) {
  if (f->size() < kFrameHeaderSize + kFrameFooterSize + 8) return fix_frame(f);
  const uint64_t base = kFrameHeaderSize, end = f->size() - kFrameFooterSize;
  uint32_t num_columns = get32(*f, base + 4);
  struct Col { size_t crc_at; uint64_t off, len; };
  std::vector<Col> cols;
  uint64_t p = base + 8;
  bool ok = true;
  for (uint32_t i = 0; i < num_columns && ok; ++i) {
    // field str: varint length + bytes
    uint64_t len = 0;
    int shift = 0;
    for (;;) {
      if (p >= end || shift > 63) { ok = false; break; }
      uint8_t b = static_cast<uint8_t>((*f)[p++]);
      len |= uint64_t{b & 0x7fu} << shift;
      shift += 7;
      if (!(b & 0x80)) break;
    }
    constexpr uint64_t kRest = 1 + 8 + 8 + 4 + 4 + 8 + 8 + 8 + 8 + 8;
    if (!ok || !within(p, len, base, end) || !within(p + len, kRest, base, end)) { ok = false; break; }
    p += len;
    uint64_t e = p + 1;
    cols.push_back({static_cast<size_t>(e + 16), get64(*f, e), get64(*f, e + 8)});
    p += kRest;
  }
  if (!ok || !within(p, 4, base, end)) return fix_frame(f);
  const uint64_t data = p + 4;
  for (const Col& c : cols)
    if (within(data + c.off, c.len, data, end)) put32(f, c.crc_at, masked_crc(*f, data + c.off, c.len));
  put32(f, p, masked_crc(*f, base, p - base));
  fix_frame(f);
}

void fix_store_crcs(std::string* f) {
  constexpr size_t kTrailer = 24, kEntry = 24;
  if (f->size() < kFrameHeaderSize + kFrameFooterSize + kTrailer) return fix_frame(f);
  const uint64_t base = kFrameHeaderSize, end = f->size() - kFrameFooterSize, t = end - kTrailer;
  uint32_t num_blocks = get32(*f, t + 4);
  uint64_t index_off = get64(*f, t + 8);
  if (within(base + index_off, 0, base, t)) {
    const uint64_t idx = base + index_off;
    for (uint64_t i = 0; i < num_blocks && within(idx + i * kEntry, kEntry, idx, t); ++i) {
      uint64_t e = idx + i * kEntry;
      uint64_t off = get64(*f, e + 8);
      uint32_t len = get32(*f, e + 16);
      if (within(base + off, len, base, idx)) put32(f, e + 20, masked_crc(*f, base + off, len));
    }
    put32(f, t + 16, masked_crc(*f, idx, t - idx + 16));
  }
  fix_frame(f);
}

void fix_wal_crcs(std::string* f) {
  constexpr size_t kHeader = 32, kRecord = 17;
  if (f->size() < kHeader) return;
  put32(f, 16, masked_crc(*f, 0, 16));
  uint64_t off = kHeader;
  while (off + kRecord <= f->size()) {
    uint32_t len = get32(*f, off + 4);
    if (len > f->size() - off - kRecord) break;
    put32(f, off, masked_crc(*f, off + 4, kRecord - 4 + len));
    off += kRecord + len;
  }
}

void check_status(const Status& st, std::initializer_list<Status::Code> allowed, std::string_view must_name) {
  if (st.is_ok()) return;
  bool code_ok = false;
  for (Status::Code c : allowed) code_ok |= st.code() == c;
  if (code_ok && !st.message().empty() && st.message().find(must_name) != std::string::npos) return;
  std::fprintf(stderr, "fuzz: unexpected error status %s: '%s' (expected one of the allowed codes%s%s)\n",
               std::string(Status::code_name(st.code())).c_str(), st.message().c_str(),
               must_name.empty() ? "" : " naming ", std::string(must_name).c_str());
  std::abort();
}

double InputReader::f64() {
  uint64_t b = u32() | uint64_t{u32()} << 32;
  double d;
  std::memcpy(&d, &b, 8);
  return d;
}

std::vector<std::string_view> split_parts(std::string_view text, std::string_view sep) {
  std::vector<std::string_view> parts;
  size_t start = 0, line = 0;
  while (line <= text.size()) {
    size_t nl = text.find('\n', line);
    size_t line_end = nl == std::string_view::npos ? text.size() : nl;
    if (text.substr(line, line_end - line) == sep) {
      parts.push_back(text.substr(start, line > start ? line - 1 - start : 0));
      start = nl == std::string_view::npos ? text.size() : nl + 1;
    }
    if (nl == std::string_view::npos) break;
    line = nl + 1;
  }
  parts.push_back(text.substr(start));
  return parts;
}

}  // namespace meridian::fuzz
