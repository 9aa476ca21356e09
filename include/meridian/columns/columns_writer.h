// ColumnsWriter: builds the columns file ("MCOL", docs/FORMAT.md "Columns
// file") of one segment from per-document values of every field.
//
// Documents may be added in any order, but the values of one document for one
// field are kept in the order they are added. A field may have columns of
// several kinds (e.g. norms and keyword); each (kind, field) pair is its own
// column. NaN doubles are dropped (JSON cannot carry them; a NaN would break
// ordering and stats); ±inf are stored. set_norm for the same doc twice keeps
// the last length. Values for doc >= num_docs passed to finish() are a caller
// bug: they are asserted in debug builds and dropped.
//
// Limits: fewer than 2^32 values per column and 2^32 keyword bytes per column.
// Ownership: copies every value it is given. Not thread-safe (one builder per
// segment flush, used by one thread).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace meridian::columns {

class ColumnsWriter {
 public:
  void add_int(std::string_view field, uint32_t doc, int64_t v);
  void add_double(std::string_view field, uint32_t doc, double v);
  void add_keyword(std::string_view field, uint32_t doc, std::string_view v);
  void add_geo(std::string_view field, uint32_t doc, double lat, double lon);
  void set_norm(std::string_view field, uint32_t doc, uint32_t length);

  // The whole framed file. The writer is left empty and may be reused.
  std::string finish(uint32_t num_docs);

 private:
  template <typename T>
  using Pending = std::map<std::string, std::vector<std::pair<uint32_t, T>>, std::less<>>;
  template <typename T>
  static std::vector<std::pair<uint32_t, T>>& slot(Pending<T>& m, std::string_view field);

  Pending<int64_t> ints_;
  Pending<double> doubles_;
  Pending<std::string> keywords_;
  Pending<std::pair<double, double>> geos_;
  Pending<uint32_t> norms_;
};

}  // namespace meridian::columns
