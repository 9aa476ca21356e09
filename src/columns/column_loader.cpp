#include "column_loader.h"

#include <algorithm>

#include "columns_format.h"

namespace meridian::columns {

namespace {

constexpr uint64_t kMaxValues = 0xffffffffu;  // format limit per column

Status bad(std::string what) { return Status::corruption(std::move(what)); }

Status expect_end(const ByteReader& r) {
  if (r.failed()) return bad("column bytes end early");
  if (!r.at_end()) return bad("trailing bytes after column data");
  return Status::ok();
}

// Checks that a packed array of n entries starts at 0, never decreases and
// ends at `last`.
Status check_offsets(const PackedInts& p, uint64_t n, uint64_t last, const char* what) {
  // Zero bits: every entry is 0 in 8 bytes, whatever n claims (up to 2^32):
  // answer without the loop.
  if (p.bits() == 0 && n > 0) {
    if (last != 0) return bad(std::string(what) + " do not end at the value count");
    return Status::ok();
  }
  uint64_t prev = 0;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t v = p.get(i);
    if ((i == 0 && v != 0) || v < prev) return bad(std::string(what) + " are not monotonic");
    prev = v;
  }
  if (prev != last) return bad(std::string(what) + " do not end at the value count");
  return Status::ok();
}

}  // namespace

Status ColumnLoader::packed(ByteReader* r, uint64_t n, uint8_t max_bits, PackedInts* out) {
  uint8_t bits = r->u8();
  if (r->failed()) return bad("column bytes end early");
  if (bits > max_bits) return bad("bit width " + std::to_string(bits) + " out of range");
  std::string_view sv = r->bytes(packed_size(n, bits));  // n <= 2^32: no overflow
  if (r->failed()) return bad("packed array of " + std::to_string(n) + " values is truncated");
  *out = PackedInts(sv.data(), bits);
  return Status::ok();
}

Status ColumnLoader::ranges(ByteReader* r, uint32_t num_docs, const ColumnStats& stats,
                            DocRanges* out) {
  uint8_t layout = r->u8();
  uint64_t num_values = r->u64();
  if (r->failed()) return bad("column bytes end early");
  if (num_values != stats.num_values || num_values > kMaxValues)
    return bad("value count " + std::to_string(num_values) + " disagrees with the column table");
  out->num_docs_ = num_docs;
  if (layout == kLayoutDense) {
    if (num_values != num_docs) return bad("dense column without one value per document");
    out->dense_ = true;
    return Status::ok();
  }
  if (layout != kLayoutOffsets) return bad("unknown layout " + std::to_string(layout));
  out->dense_ = false;
  uint64_t n = uint64_t{num_docs} + 1;
  MERIDIAN_RETURN_IF_ERROR(packed(r, n, 64, &out->offsets_));
  return check_offsets(out->offsets_, n, num_values, "document offsets");
}

Status ColumnLoader::load(std::string_view bytes, uint32_t num_docs, const ColumnStats& stats,
                          IntColumn* out) {
  ByteReader r(bytes);
  MERIDIAN_RETURN_IF_ERROR(ranges(&r, num_docs, stats, &out->ranges_));
  out->base_ = r.u64();
  out->gcd_ = r.u64();
  MERIDIAN_RETURN_IF_ERROR(packed(&r, stats.num_values, 64, &out->values_));
  out->stats_ = stats;
  MERIDIAN_RETURN_IF_ERROR(expect_end(r));
  out->increasing_ = num_docs > 0 && stats.num_values == num_docs && stats.docs_with_value == num_docs;
  for (uint32_t d = 1; d < num_docs && out->increasing_; ++d)
    out->increasing_ = out->value(d - 1) < out->value(d);
  return Status::ok();
}

Status ColumnLoader::load(std::string_view bytes, uint32_t num_docs, const ColumnStats& stats,
                          DoubleColumn* out) {
  ByteReader r(bytes);
  MERIDIAN_RETURN_IF_ERROR(ranges(&r, num_docs, stats, &out->ranges_));
  out->values_ = r.bytes(8 * stats.num_values).data();
  out->stats_ = stats;
  return expect_end(r);
}

Status ColumnLoader::load(std::string_view bytes, uint32_t num_docs, const ColumnStats& stats,
                          GeoColumn* out) {
  ByteReader r(bytes);
  MERIDIAN_RETURN_IF_ERROR(ranges(&r, num_docs, stats, &out->ranges_));
  out->points_ = r.bytes(16 * stats.num_values).data();
  out->stats_ = stats;
  return expect_end(r);
}

Status ColumnLoader::load(std::string_view bytes, uint32_t num_docs, const ColumnStats& stats,
                          KeywordColumn* out) {
  ByteReader r(bytes);
  MERIDIAN_RETURN_IF_ERROR(ranges(&r, num_docs, stats, &out->ranges_));
  out->dict_size_ = r.u32();
  MERIDIAN_RETURN_IF_ERROR(packed(&r, uint64_t{out->dict_size_} + 1, 64, &out->dict_offsets_));
  uint64_t blob_len = r.u64();
  std::string_view blob = r.bytes(blob_len);
  if (r.failed()) return bad("keyword dictionary is truncated");
  out->blob_ = blob.data();
  MERIDIAN_RETURN_IF_ERROR(
      check_offsets(out->dict_offsets_, uint64_t{out->dict_size_} + 1, blob_len, "dictionary offsets"));
  for (uint32_t i = 1; i < out->dict_size_; ++i)
    if (!(out->value_of(i - 1) < out->value_of(i)))
      return bad("keyword dictionary not strictly sorted at ordinal " + std::to_string(i));
  MERIDIAN_RETURN_IF_ERROR(packed(&r, stats.num_values, 32, &out->ords_));
  // Zero bits: every ordinal is 0 (checked once, not num_values times).
  for (uint64_t i = 0; i < (out->ords_.bits() == 0 ? std::min<uint64_t>(stats.num_values, 1) : stats.num_values); ++i)
    if (out->ords_.get(i) >= out->dict_size_)
      return bad("keyword ordinal out of range at value " + std::to_string(i));
  out->stats_ = stats;
  return expect_end(r);
}

Status ColumnLoader::load(std::string_view bytes, uint32_t num_docs, const ColumnStats& stats,
                          NormColumn* out) {
  ByteReader r(bytes);
  out->num_docs_ = num_docs;
  MERIDIAN_RETURN_IF_ERROR(packed(&r, num_docs, 32, &out->lengths_));
  out->stats_ = stats;
  return expect_end(r);
}

}  // namespace meridian::columns
