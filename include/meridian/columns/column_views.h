// Read-only views of the columns (doc values) of one segment: int64, double,
// keyword, geo point and norms. A view is created by ColumnsReader after the
// column's bytes passed their CRC32C and a structural check (offsets
// monotonic, ordinals in range, lengths exact), so every accessor below is
// O(1) (KeywordColumn::find is O(log values)) and never reads out of bounds.
//
// Ownership: views point into the mapped file held by the reader's owner and
// live inside the ColumnsReader; they must not outlive either.
// Thread safety: immutable after construction; any number of threads may read.
//
// Multi-valued columns keep each document's values in the order they were
// added (duplicates included). Accessor preconditions: `i < count(doc)`,
// `ord < num_values()`; out-of-range arguments return 0 / empty instead of
// reading memory they do not own (a doc >= num_docs has count 0).
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include "meridian/columns/packed_ints.h"

namespace meridian::columns {

class ColumnLoader;  // src/columns: builds views from validated bytes

enum class ColumnKind : uint8_t { kInt = 1, kDouble = 2, kKeyword = 3, kGeo = 4, kNorms = 5 };

// Per-column statistics, stored in the column table (readable without
// loading the column). For empty columns min = max = sum = 0.
// int: min/max exact, sum as double (computed exactly, then rounded).
// double: min/max/sum over all values (±inf included).
// keyword/geo: only the counts. norms: sum = total field length.
struct ColumnStats {
  uint32_t docs_with_value = 0;
  uint64_t num_values = 0;
  int64_t min_int = 0, max_int = 0;
  double min_double = 0, max_double = 0;
  double sum = 0;
  uint64_t total = 0;  // norms only: sum of lengths
};

// Where a document's values start and how many it has: either dense (doc i
// holds exactly value i) or an offsets array of num_docs + 1 entries.
class DocRanges {
 public:
  size_t count(uint32_t doc) const {
    if (doc >= num_docs_) return 0;
    if (dense_) return 1;
    return static_cast<size_t>(offsets_.get(uint64_t{doc} + 1) - offsets_.get(doc));
  }
  uint64_t start(uint32_t doc) const { return dense_ ? doc : offsets_.get(doc); }
  // Index of the doc's i-th value, or nullopt when i >= count(doc).
  std::optional<uint64_t> index(uint32_t doc, size_t i) const {
    if (doc >= num_docs_) return std::nullopt;
    if (dense_) return i == 0 ? std::optional<uint64_t>(doc) : std::nullopt;
    uint64_t b = offsets_.get(doc), e = offsets_.get(uint64_t{doc} + 1);
    return i < e - b ? std::optional<uint64_t>(b + i) : std::nullopt;
  }

 private:
  friend class ColumnLoader;
  bool dense_ = true;
  uint32_t num_docs_ = 0;
  PackedInts offsets_;
};

class IntColumn {
 public:
  bool has(uint32_t doc) const { return ranges_.count(doc) > 0; }
  size_t count(uint32_t doc) const { return ranges_.count(doc); }
  int64_t value(uint32_t doc, size_t i = 0) const { return nth(doc, i).value_or(0); }
  std::optional<int64_t> first(uint32_t doc) const { return nth(doc, 0); }
  int64_t min() const { return stats_.min_int; }
  int64_t max() const { return stats_.max_int; }
  double sum() const { return stats_.sum; }
  uint32_t docs_with_value() const { return stats_.docs_with_value; }
  uint64_t num_values() const { return stats_.num_values; }
  // Every document has exactly one value and each is larger than the
  // previous document's (ids or timestamps loaded in order): sorting by this
  // column is document order, so a sorted top-k can stop after k matches.
  // Found by one scan when the column is loaded.
  bool strictly_increasing() const { return increasing_; }

 private:
  friend class ColumnLoader;
  std::optional<int64_t> nth(uint32_t doc, size_t i) const {
    auto k = ranges_.index(doc, i);
    if (!k) return std::nullopt;
    return static_cast<int64_t>(base_ + gcd_ * values_.get(*k));
  }
  bool increasing_ = false;
  DocRanges ranges_;
  uint64_t base_ = 0, gcd_ = 1;  // value = base + gcd * packed (mod 2^64)
  PackedInts values_;
  ColumnStats stats_;
};

// NaN is never stored (ColumnsWriter::add_double drops it); ±inf are.
class DoubleColumn {
 public:
  bool has(uint32_t doc) const { return ranges_.count(doc) > 0; }
  size_t count(uint32_t doc) const { return ranges_.count(doc); }
  double value(uint32_t doc, size_t i = 0) const { return nth(doc, i).value_or(0); }
  std::optional<double> first(uint32_t doc) const { return nth(doc, 0); }
  double min() const { return stats_.min_double; }
  double max() const { return stats_.max_double; }
  double sum() const { return stats_.sum; }
  uint32_t docs_with_value() const { return stats_.docs_with_value; }
  uint64_t num_values() const { return stats_.num_values; }

 private:
  friend class ColumnLoader;
  std::optional<double> nth(uint32_t doc, size_t i) const;
  DocRanges ranges_;
  const char* values_ = nullptr;  // num_values little-endian f64
  ColumnStats stats_;
};

// Keywords: a sorted dictionary of unique values (byte order, so ordinal
// order is value order) plus per-document ordinals.
class KeywordColumn {
 public:
  bool has(uint32_t doc) const { return ranges_.count(doc) > 0; }
  size_t count(uint32_t doc) const { return ranges_.count(doc); }
  uint32_t ord(uint32_t doc, size_t i = 0) const {
    auto k = ranges_.index(doc, i);
    return k ? static_cast<uint32_t>(ords_.get(*k)) : 0;
  }
  uint32_t num_values() const { return dict_size_; }
  std::string_view value_of(uint32_t ord) const {
    if (ord >= dict_size_) return {};
    uint64_t b = dict_offsets_.get(ord), e = dict_offsets_.get(uint64_t{ord} + 1);
    return {blob_ + b, static_cast<size_t>(e - b)};
  }
  std::optional<uint32_t> find(std::string_view value) const;
  uint32_t docs_with_value() const { return stats_.docs_with_value; }

 private:
  friend class ColumnLoader;
  DocRanges ranges_;
  uint32_t dict_size_ = 0;
  PackedInts dict_offsets_;  // dict_size + 1 offsets into blob_
  const char* blob_ = nullptr;
  PackedInts ords_;
  ColumnStats stats_;
};

class GeoColumn {
 public:
  bool has(uint32_t doc) const { return ranges_.count(doc) > 0; }
  size_t count(uint32_t doc) const { return ranges_.count(doc); }
  double lat(uint32_t doc, size_t i = 0) const { return coord(doc, i, 0); }
  double lon(uint32_t doc, size_t i = 0) const { return coord(doc, i, 1); }
  // Whether pred(lat, lon) holds for one of the doc's points, asked in
  // order (stops at the first): the doc's range looked up once, not per
  // coordinate.
  template <typename Pred>
  bool any_point(uint32_t doc, Pred pred) const {
    const size_t n = ranges_.count(doc);
    if (n == 0) return false;
    const char* p = points_ + 16 * ranges_.start(doc);
    for (size_t i = 0; i < n; ++i, p += 16) {
      double lat, lon;
      std::memcpy(&lat, p, 8);
      std::memcpy(&lon, p + 8, 8);
      if (pred(lat, lon)) return true;
    }
    return false;
  }
  uint32_t docs_with_value() const { return stats_.docs_with_value; }

 private:
  friend class ColumnLoader;
  double coord(uint32_t doc, size_t i, int which) const;
  DocRanges ranges_;
  const char* points_ = nullptr;  // num_values × (f64 lat, f64 lon)
  ColumnStats stats_;
};

// One field length per document (0 when never set), for BM25.
class NormColumn {
 public:
  uint32_t length(uint32_t doc) const {
    return doc < num_docs_ ? static_cast<uint32_t>(lengths_.get(doc)) : 0;
  }
  uint64_t total() const { return stats_.total; }
  uint32_t docs_with_value() const { return stats_.docs_with_value; }

 private:
  friend class ColumnLoader;
  uint32_t num_docs_ = 0;
  PackedInts lengths_;
  ColumnStats stats_;
};

}  // namespace meridian::columns
