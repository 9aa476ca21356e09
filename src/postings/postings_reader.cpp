#include "meridian/postings/postings_reader.h"

#include <atomic>
#include <mutex>

#include "meridian/base/bytes.h"
#include "meridian/base/crc32c.h"
#include "meridian/base/file_frame.h"
#include "meridian/postings/postings_format.h"
#include "meridian/postings/term_bitmap_cache.h"

namespace meridian::postings {

namespace f = format;

struct PostingsReader::State {
  std::string name;
  std::string_view body;
  uint32_t version = 0;
  size_t record_header = 0;  // bytes before a record's payload (by version)
  uint64_t term_count = 0;
  uint64_t index_offset = 0;
  uint32_t index_crc = 0;
  // Filled once by check_index().
  mutable std::once_flag index_once;
  mutable Status index_status;
  mutable std::unique_ptr<std::atomic<uint64_t>[]> verified;  // one bit per term
  // This reader's entries in the TermBitmapCache.
  const uint64_t cache_owner = TermBitmapCache::new_owner();
  mutable std::atomic<bool> cached_any{false};

  ~State() {
    if (cached_any.load(std::memory_order_relaxed)) term_bitmap_cache().drop(cache_owner);
  }

  const char* index() const { return body.data() + index_offset; }
  uint64_t offset_at(uint64_t i) const { return f::load_u64(index() + 8 * i); }
  // The bytes of record i: from its offset to the next record's (or the index).
  std::string_view record(uint64_t i) const {
    const uint64_t begin = offset_at(i), end = i + 1 < term_count ? offset_at(i + 1) : index_offset;
    return body.substr(begin, end - begin);
  }
  // A record's kind (version 1 files hold full records only, without the byte).
  uint8_t kind_of(std::string_view rec) const { return version == 1 ? f::kKindFull : static_cast<uint8_t>(rec[4]); }
  bool is_verified(uint64_t i) const {
    return (verified[i / 64].load(std::memory_order_acquire) >> (i % 64)) & 1;
  }
  void mark_verified(uint64_t i) const {
    verified[i / 64].fetch_or(uint64_t{1} << (i % 64), std::memory_order_release);
  }
};

PostingsReader::PostingsReader(std::unique_ptr<State> s) : s_(std::move(s)) {}
PostingsReader::PostingsReader(PostingsReader&&) noexcept = default;
PostingsReader& PostingsReader::operator=(PostingsReader&&) noexcept = default;
PostingsReader::~PostingsReader() = default;

uint64_t PostingsReader::term_count() const { return s_->term_count; }
const std::string& PostingsReader::name() const { return s_->name; }

Result<PostingsReader> PostingsReader::open(std::string_view file, std::string name) {
  MERIDIAN_ASSIGN_OR_RETURN(FrameInfo frame,
                            unframe_file(file, f::kMagic, f::kMinVersion, f::kVersion, name, false));
  auto s = std::make_unique<State>();
  s->name = std::move(name);
  s->body = frame.body;
  s->version = frame.version;
  s->record_header = frame.version == 1 ? f::kRecordHeaderSizeV1 : f::kRecordHeaderSizeV2;
  if (s->body.size() < f::kTrailerSize)
    return Status::corruption(s->name + ": postings trailer missing (body of " +
                              std::to_string(s->body.size()) + " bytes)");
  size_t toff = s->body.size() - f::kTrailerSize;
  const char* t = s->body.data() + toff;
  if (crc32c::unmask(f::load_u32(t + 20)) != crc32c::value(t, 20))
    return Status::corruption(s->name + ": postings trailer at offset " +
                              std::to_string(kFrameHeaderSize + toff) + ": checksum mismatch");
  s->term_count = f::load_u64(t);
  s->index_offset = f::load_u64(t + 8);
  s->index_crc = crc32c::unmask(f::load_u32(t + 16));
  if (s->index_offset > toff || (toff - s->index_offset) / 8 != s->term_count ||
      (toff - s->index_offset) % 8 != 0)
    return Status::corruption(s->name + ": postings trailer describes an impossible term index");
  return PostingsReader(std::move(s));
}

Status PostingsReader::check_index() const {
  const State& s = *s_;
  std::call_once(s.index_once, [&s] {
    size_t len = s.term_count * 8;
    if (crc32c::value(s.index(), len) != s.index_crc) {
      s.index_status = Status::corruption(s.name + ": term index at offset " +
                                          std::to_string(s.index_offset) + ": checksum mismatch");
      return;
    }
    for (uint64_t i = 0; i < s.term_count; ++i) {
      uint64_t off = s.offset_at(i);
      // Entries before i are in range, so prev_end cannot wrap; `off` is
      // compared without adding to it (an entry near 2^64 would wrap).
      uint64_t prev_end = i == 0 ? 0 : s.offset_at(i - 1) + s.record_header;
      if (off < prev_end || off > s.index_offset || s.index_offset - off < s.record_header ||
          (i == 0 && off != 0)) {
        s.index_status = Status::corruption(s.name + ": term index entry " + std::to_string(i) +
                                            " is out of order or out of range");
        return;
      }
    }
    size_t words = (s.term_count + 63) / 64;
    s.verified.reset(new std::atomic<uint64_t>[words]);
    for (size_t i = 0; i < words; ++i) s.verified[i].store(0, std::memory_order_relaxed);
  });
  return s.index_status;
}

namespace {

// Fixed header fields of one term record payload.
struct TermHeader {
  uint32_t doc_freq, max_tf, min_len;
  uint8_t flags;
  uint32_t bitmap_len, tf_len;
  uint64_t pos_len;
};

// Deep check of a term whose CRC matched: the block table, tf and position
// streams must agree exactly with the bitmap. Returns an empty string if fine.
std::string check_term(const TermHeader& h, const Bitmap& docs, const TermLayout& t) {
  if (docs.cardinality() != h.doc_freq) return "bitmap holds a different number of documents";
  if (h.doc_freq > 0 && *docs.max() == UINT32_MAX) return "document id out of range";
  if (h.flags & ~(f::kFlagPositions | f::kFlagLengths | f::kFlagUnitTf)) return "unknown flags";
  const bool unit_tf = h.flags & f::kFlagUnitTf;
  if (unit_tf && (t.has_positions || t.tf_len != 0)) return "unit tf with a tf area or positions";
  Bitmap::Iterator it = docs.iterator();
  uint32_t buf[f::kBlockSize];
  uint64_t tf_at = 0, pos_at = 0;
  uint32_t max_tf = 0, min_len = h.doc_freq ? UINT32_MAX : 0;
  for (uint32_t b = 0; b < t.n_blocks; ++b) {
    f::BlockEntry e = t.block(b);
    uint32_t n = it.read(buf, static_cast<uint32_t>(std::min<uint64_t>(
                                  f::kBlockSize, uint64_t{h.doc_freq} - uint64_t{b} * f::kBlockSize)));
    if (n == 0 || buf[n - 1] != e.last_doc) return "block " + std::to_string(b) + ": wrong last doc";
    if (e.tf_off != tf_at || e.pos_off != pos_at) return "block " + std::to_string(b) + ": bad offsets";
    if (!(h.flags & f::kFlagLengths) && e.min_len != 0) return "block length bound without lengths";
    const char* p = t.tf + tf_at;
    const char* end = t.tf + t.tf_len;
    const char* pp = t.pos + pos_at;
    const char* pend = t.pos + t.pos_len;
    bool ok = true;
    uint32_t block_max = 0;
    for (uint32_t k = 0; k < n && ok; ++k) {
      uint32_t tf = unit_tf ? 1 : f::read_varint(p, end, &ok);
      if (tf == 0) ok = false;
      block_max = std::max(block_max, tf);
      uint64_t acc = 0;
      for (uint32_t j = 0; t.has_positions && j < tf && ok; ++j) {
        acc += f::read_varint(pp, pend, &ok);
        if (acc > UINT32_MAX) ok = false;
      }
    }
    if (!ok) return "block " + std::to_string(b) + ": damaged tf or position stream";
    if (block_max != e.max_tf) return "block " + std::to_string(b) + ": wrong max tf";
    tf_at = static_cast<uint64_t>(p - t.tf);
    pos_at = static_cast<uint64_t>(pp - t.pos);
    max_tf = std::max(max_tf, e.max_tf);
    min_len = std::min(min_len, e.min_len);
  }
  if (tf_at != t.tf_len || pos_at != t.pos_len) return "streams longer than their blocks";
  if (max_tf != h.max_tf || min_len != h.min_len) return "term bounds disagree with blocks";
  return {};
}

}  // namespace

// The ordinal of the record starting at `offset`: the hint when the offset
// table confirms it, else a binary search of the table (about 26 cache misses
// at 50M terms). term_count when no record starts there.
uint64_t PostingsReader::record_ordinal(uint64_t offset, uint64_t index_hint) const {
  const State& s = *s_;
  uint64_t lo = 0, hi = s.term_count;
  if (index_hint < s.term_count && s.offset_at(index_hint) == offset) lo = hi = index_hint;
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (s.offset_at(mid) < offset) lo = mid + 1; else hi = mid;
  }
  return lo < s.term_count && s.offset_at(lo) == offset ? lo : s.term_count;
}

Result<uint32_t> PostingsReader::doc_freq_hint(uint64_t offset, uint64_t index_hint) const {
  MERIDIAN_RETURN_IF_ERROR(check_index());
  const State& s = *s_;
  uint64_t lo = record_ordinal(offset, index_hint);
  if (lo == s.term_count) {
    return Status::corruption(s.name + ": term at offset " + std::to_string(offset) + ": no term record starts there");
  }
  std::string_view rec = s.record(lo);
  if (rec.size() <= s.record_header) return uint32_t{0};
  const uint8_t kind = s.kind_of(rec);
  std::string_view payload = rec.substr(s.record_header);
  if (kind == f::kKindFull) return payload.size() >= 4 ? f::load_u32(payload.data()) : uint32_t{0};
  if (kind == f::kKindShort) {
    const char* p = payload.data() + 1;  // after the flags byte
    bool ok = true;
    uint32_t n = f::read_varint(p, payload.data() + payload.size(), &ok);
    return ok ? n : uint32_t{0};
  }
  return uint32_t{0};
}

Result<uint32_t> PostingsReader::doc_freq(uint64_t offset, uint64_t index_hint) const {
  MERIDIAN_RETURN_IF_ERROR(check_index());
  const State& s = *s_;
  const uint64_t lo = record_ordinal(offset, index_hint);
  if (lo < s.term_count && s.version >= 2 && s.is_verified(lo)) return doc_freq_hint(offset, lo);
  MERIDIAN_ASSIGN_OR_RETURN(TermPostings tp, term(offset, index_hint));
  return tp.doc_freq();
}

Status PostingsReader::append_docs(uint64_t offset, uint64_t index_hint, std::vector<uint32_t>* ids) const {
  MERIDIAN_RETURN_IF_ERROR(check_index());
  const State& s = *s_;
  const uint64_t lo = record_ordinal(offset, index_hint);
  if (lo < s.term_count && s.version >= 2 && s.is_verified(lo)) {
    std::string_view rec = s.record(lo);
    if (rec.size() > s.record_header && s.kind_of(rec) == f::kKindShort) {
      // A verified short record: its ids straight from the varints (term()
      // checked this very record, so the decoding cannot fail here).
      std::string_view payload = rec.substr(s.record_header);
      const char* p = payload.data() + 1;  // after the flags byte
      const char* pend = payload.data() + payload.size();
      bool ok = true;
      uint32_t n = f::read_varint(p, pend, &ok);
      f::read_varint(p, pend, &ok);  // min_len
      uint64_t doc = 0;
      const size_t first = ids->size();
      for (uint32_t i = 0; i < n && ok; ++i) {
        uint32_t g = f::read_varint(p, pend, &ok);
        doc = i == 0 ? g : doc + g;
        ids->push_back(static_cast<uint32_t>(doc));
      }
      if (ok) return Status::ok();
      ids->resize(first);  // fall through to the checked path
    }
  }
  MERIDIAN_ASSIGN_OR_RETURN(TermPostings tp, term(offset, index_hint));
  tp.docs().for_each([&](uint32_t d) {
    ids->push_back(d);
    return true;
  });
  return Status::ok();
}

Result<TermPostings> PostingsReader::term(uint64_t offset, uint64_t index_hint) const {
  MERIDIAN_RETURN_IF_ERROR(check_index());
  const State& s = *s_;
  auto where = [&](const std::string& what) {
    return Status::corruption(s.name + ": term at offset " + std::to_string(offset) + ": " + what);
  };
  const uint64_t lo = record_ordinal(offset, index_hint);
  if (lo == s.term_count) return where("no term record starts there");
  std::string_view rec = s.record(lo);
  bool verified = s.is_verified(lo);
  if (s.version == 1 && f::load_u64(rec.data() + 4) != rec.size() - f::kRecordHeaderSizeV1)
    return where("bad record length");
  if (!verified && crc32c::unmask(f::load_u32(rec.data())) != crc32c::value(rec.data() + 4, rec.size() - 4))
    return where("checksum mismatch");
  const uint8_t kind = s.kind_of(rec);
  std::string_view payload = rec.substr(s.record_header);

  TermHeader h{};
  TermLayout layout;
  Result<Bitmap> docs = Status::corruption("unset");
  std::shared_ptr<const Bitmap> kept;  // instead of docs: decoded once, shared (TermBitmapCache)
  std::string_view full_bitmap;        // a full record's serialized bitmap
  if (kind == f::kKindFull) {
    ByteReader r(payload);
    h.doc_freq = r.u32();
    h.max_tf = r.u32();
    h.min_len = r.u32();
    h.flags = r.u8();
    r.skip(3);
    h.bitmap_len = r.u32();
    h.tf_len = r.u32();
    h.pos_len = r.u64();
    std::string_view bitmap_bytes = r.bytes(h.bitmap_len);
    uint64_t n_blocks = (uint64_t{h.doc_freq} + f::kBlockSize - 1) / f::kBlockSize;
    std::string_view table = r.bytes(n_blocks * f::kBlockEntrySize);
    std::string_view tf = r.bytes(h.tf_len);
    std::string_view pos = r.bytes(h.pos_len);
    if (r.failed() || !r.at_end()) return where("record sections do not add up");
    full_bitmap = bitmap_bytes;
    layout.n_blocks = static_cast<uint32_t>(n_blocks);
    layout.blocks = table.data();
    layout.tf = tf.data();
    layout.tf_len = h.tf_len;
    layout.pos = pos.data();
    layout.pos_len = h.pos_len;
    // A large bitmap of a verified record is decoded once and shared
    // (TermBitmapCache); the first read of a record verifies and decodes it
    // for itself.
    if (verified && h.bitmap_len >= TermBitmapCache::kMinBytes) {
      kept = term_bitmap_cache().get(s.cache_owner, lo);
      if (!kept) {
        Result<Bitmap> b = Bitmap::deserialize_verified(bitmap_bytes);
        if (!b.is_ok()) return where(b.status().message());
        kept = std::make_shared<const Bitmap>(std::move(*b));
        s.cached_any.store(true, std::memory_order_relaxed);
        term_bitmap_cache().put(s.cache_owner, lo, kept, h.bitmap_len);
      }
    } else {
      // A verified record's bitmap passed the structural check the first time.
      docs = verified ? Bitmap::deserialize_verified(bitmap_bytes)
                      : Bitmap::deserialize(bitmap_bytes, s.name + ": term at offset " + std::to_string(offset));
      if (!docs.is_ok()) return verified ? where(docs.status().message()) : docs.status();
    }
  } else if (kind == f::kKindShort) {
    // Rebuild what a full record stores: the bitmap, the one block entry and
    // the term bounds. The CRC covered the bytes; the decoding is bounded.
    const char* p = payload.data();
    const char* pend = p + payload.size();
    if (p == pend) return where("short record without flags");
    h.flags = static_cast<uint8_t>(*p++);
    bool ok = true;
    h.doc_freq = f::read_varint(p, pend, &ok);
    h.min_len = f::read_varint(p, pend, &ok);
    if (!ok || h.doc_freq == 0 || h.doc_freq > f::kBlockSize) return where("short record with a bad document count");
    uint32_t ids[f::kBlockSize];
    uint64_t doc = 0;
    for (uint32_t i = 0; i < h.doc_freq && ok; ++i) {
      uint32_t g = f::read_varint(p, pend, &ok);
      if (i > 0 && g == 0) ok = false;
      doc = i == 0 ? g : doc + g;
      if (doc >= UINT32_MAX) ok = false;
      ids[i] = static_cast<uint32_t>(doc);
    }
    const char* tf = p;
    if (h.flags & f::kFlagUnitTf) h.max_tf = 1;
    for (uint32_t i = 0; i < h.doc_freq && ok && !(h.flags & f::kFlagUnitTf); ++i) {
      uint32_t v = f::read_varint(p, pend, &ok);
      if (v == 0) ok = false;
      h.max_tf = std::max(h.max_tf, v);
    }
    if (!ok) return where("damaged short record");
    h.tf_len = static_cast<uint32_t>(p - tf);
    h.pos_len = static_cast<uint64_t>(pend - p);
    docs = Bitmap::from_sorted(std::span<const uint32_t>(ids, h.doc_freq));
    layout.n_blocks = 1;
    layout.single = f::BlockEntry{ids[h.doc_freq - 1], h.max_tf, h.min_len, 0, 0};
    layout.tf = tf;
    layout.tf_len = h.tf_len;
    layout.pos = p;
    layout.pos_len = h.pos_len;
  } else {
    return where("unknown record kind " + std::to_string(kind));
  }
  if ((h.flags & f::kFlagUnitTf) && s.version < 3) return where("unit tf flag in a version " + std::to_string(s.version) + " file");
  layout.doc_freq = h.doc_freq;
  layout.has_positions = h.flags & f::kFlagPositions;
  if (kept) return TermPostings(std::move(kept), full_bitmap, layout, h.max_tf, h.min_len);  // verified: checked before
  if (!verified) {
    std::string problem = check_term(h, *docs, layout);
    if (!problem.empty()) return where(problem);
    s.mark_verified(lo);
  }
  // full_bitmap was validated by deserialize above, or on the record's first read.
  return TermPostings(std::move(*docs), full_bitmap, layout, h.max_tf, h.min_len);
}

Status PostingsReader::verify_all() const {
  MERIDIAN_RETURN_IF_ERROR(check_index());
  for (uint64_t i = 0; i < s_->term_count; ++i) {
    auto t = term(s_->offset_at(i));
    if (!t.is_ok()) return t.status();
  }
  return Status::ok();
}

}  // namespace meridian::postings
