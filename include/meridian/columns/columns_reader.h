// ColumnsReader: reads a segment's columns file ("MCOL", docs/FORMAT.md
// "Columns file") straight from its (mapped) bytes.
//
// Cost: open() checks the file frame (magic, version, lengths — not the
// whole-file CRC) and the column table with its own CRC32C: O(number of
// columns), independent of the data size. Each column is checked lazily, once,
// on its first access (std::call_once): CRC32C of its bytes, then a structural
// check of offsets/ordinals (O(column size), paid once).
//
// Error rule: an accessor returns nullptr when the column is absent OR
// damaged. A damaged column additionally records a Corruption Status
// ("<name>: column 'f' (int) at offset N: ...") retrievable with status()
// (the first one found) and column_status(). So callers that got nullptr and
// need to tell "absent" from "damaged" check status(). verify() checks
// everything eagerly (the whole-file CRC included) for `meridian check`.
//
// Ownership: `file` must outlive the reader (normally a MappedFile owned by
// the segment); views returned by accessors live as long as the reader.
// Thread safety: all const methods may be called concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "meridian/base/status.h"
#include "meridian/columns/column_views.h"

namespace meridian::columns {

// One entry of the column table (available without loading the column).
struct ColumnInfo {
  std::string field;
  ColumnKind kind = ColumnKind::kInt;
  uint64_t offset = 0;  // in the file
  uint64_t length = 0;
  uint32_t crc = 0;     // unmasked CRC32C of the column bytes
  ColumnStats stats;
};

std::string_view kind_name(ColumnKind kind);

class ColumnsReader {
 public:
  static Result<ColumnsReader> open(std::string_view file, std::string name);
  ColumnsReader(ColumnsReader&&) noexcept;
  ColumnsReader& operator=(ColumnsReader&&) noexcept;
  ~ColumnsReader();

  const IntColumn* int_column(std::string_view field) const;
  const DoubleColumn* double_column(std::string_view field) const;
  const KeywordColumn* keyword_column(std::string_view field) const;
  const GeoColumn* geo_column(std::string_view field) const;
  const NormColumn* norms(std::string_view field) const;

  uint32_t num_docs() const;
  // Table entries in file order (kind, then field name).
  const std::vector<ColumnInfo>& columns() const;
  // nullptr if there is no such column. Does not load the column.
  const ColumnInfo* info(ColumnKind kind, std::string_view field) const;

  // First corruption found by a lazy column check so far, or OK.
  Status status() const;
  // Loads (if needed) and reports the state of one column: OK, NotFound or
  // Corruption.
  Status column_status(ColumnKind kind, std::string_view field) const;
  // Whole-file CRC and every column's check; O(file size).
  Status verify() const;

 private:
  struct State;
  explicit ColumnsReader(std::unique_ptr<State> state);
  const void* load(ColumnKind kind, std::string_view field) const;

  std::unique_ptr<State> s_;
};

}  // namespace meridian::columns
