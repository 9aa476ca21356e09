#include "meridian/postings/postings_writer.h"

#include <algorithm>
#include <cassert>

#include "meridian/base/bytes.h"
#include "meridian/base/crc32c.h"
#include "meridian/postings/bitmap.h"
#include "meridian/postings/postings_format.h"

namespace meridian::postings {

namespace f = format;

uint64_t PostingsWriter::add_term(std::span<const uint32_t> docs, std::span<const uint32_t> freqs,
                                  std::span<const uint32_t> positions, const uint32_t* doc_lengths) {
  assert(freqs.size() == docs.size());
  const bool has_pos = !positions.empty();
  const size_t n = docs.size();
  const uint32_t n_blocks = static_cast<uint32_t>((n + f::kBlockSize - 1) / f::kBlockSize);
  const bool unit_tf = !has_pos && n > 0 && std::all_of(freqs.begin(), freqs.end(), [](uint32_t t) { return t == 1; });
  const uint8_t flags = static_cast<uint8_t>((has_pos ? f::kFlagPositions : 0) | (doc_lengths ? f::kFlagLengths : 0) |
                                             (unit_tf ? f::kFlagUnitTf : 0));

  // tf and position streams and the block table, in reused buffers.
  tf_area_.clear();
  pos_area_.clear();
  table_.clear();
  ByteWriter tfw(&tf_area_), posw(&pos_area_), tw(&table_);
  uint32_t term_max_tf = 0, term_min_len = n ? UINT32_MAX : 0;
  size_t pi = 0;
  for (uint32_t b = 0; b < n_blocks; ++b) {
    size_t lo = size_t{b} * f::kBlockSize, hi = std::min(n, lo + f::kBlockSize);
    uint32_t max_tf = 0, min_len = UINT32_MAX;
    uint64_t pos_off = pos_area_.size();
    uint32_t tf_off = static_cast<uint32_t>(tf_area_.size());
    for (size_t i = lo; i < hi; ++i) {
      assert(docs[i] != UINT32_MAX && freqs[i] >= 1);
      assert(i == 0 || docs[i] > docs[i - 1]);
      if (!unit_tf) tfw.varint(freqs[i]);
      max_tf = std::max(max_tf, freqs[i]);
      min_len = std::min(min_len, doc_lengths ? doc_lengths[docs[i]] : 0u);
      if (has_pos) {
        assert(pi + freqs[i] <= positions.size());
        uint32_t prev = 0;
        for (uint32_t k = 0; k < freqs[i]; ++k, ++pi) {
          assert(k == 0 || positions[pi] >= prev);
          posw.varint(positions[pi] - prev);
          prev = positions[pi];
        }
      }
    }
    tw.u32(docs[hi - 1]);
    tw.u32(max_tf);
    tw.u32(min_len);
    tw.u32(tf_off);
    tw.u64(pos_off);
    term_max_tf = std::max(term_max_tf, max_tf);
    term_min_len = std::min(term_min_len, min_len);
  }
  assert(!has_pos || pi == positions.size());

  const uint64_t offset = body_.size();
  ByteWriter w(&body_);
  w.u32(0);  // crc, patched below
  if (n >= 1 && n <= f::kBlockSize) {
    // Short record: one block, documents as varint gaps; the reader rebuilds
    // the bitmap and the block entry (bounds recomputed from the streams).
    w.u8(f::kKindShort);
    w.u8(flags);
    w.varint(n);
    w.varint(term_min_len);
    uint32_t prev = 0;
    for (size_t i = 0; i < n; ++i) {
      w.varint(i == 0 ? docs[0] : docs[i] - prev);
      prev = docs[i];
    }
  } else {
    Bitmap bitmap = Bitmap::from_sorted(docs);
    bitmap.run_optimize();
    assert(bitmap.cardinality() == n && "docs must be strictly increasing");
    w.u8(f::kKindFull);
    w.u32(static_cast<uint32_t>(n));
    w.u32(term_max_tf);
    w.u32(term_min_len);
    w.u8(flags);
    w.u8(0);
    w.u8(0);
    w.u8(0);
    w.u32(static_cast<uint32_t>(bitmap.serialized_size()));
    w.u32(static_cast<uint32_t>(tf_area_.size()));
    w.u64(pos_area_.size());
    bitmap.serialize_to(&body_);
    body_ += table_;
  }
  body_ += tf_area_;
  body_ += pos_area_;
  uint32_t crc = crc32c::mask(crc32c::value(body_.data() + offset + 4, body_.size() - offset - 4));
  for (int i = 0; i < 4; ++i) body_[offset + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
  offsets_.push_back(offset);
  return offset;
}

std::string PostingsWriter::finish() {
  ByteWriter w(&body_);
  uint64_t index_offset = body_.size();
  for (uint64_t off : offsets_) w.u64(off);
  uint32_t index_crc = crc32c::value(body_.data() + index_offset, body_.size() - index_offset);
  size_t trailer = body_.size();
  w.u64(offsets_.size());
  w.u64(index_offset);
  w.u32(crc32c::mask(index_crc));
  w.u32(crc32c::mask(crc32c::value(body_.data() + trailer, 20)));
  std::string file = frame_file(f::kMagic, f::kVersion, body_);
  body_.clear();
  offsets_.clear();
  return file;
}

}  // namespace meridian::postings
