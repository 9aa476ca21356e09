// Internal to the query module: facet accumulation over matching bitmaps, and
// highlighting of stored text.
#pragma once

#include <cmath>
#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "meridian/index/snapshot.h"
#include "meridian/query/search_request.h"

namespace meridian::query {

Status check_facets(const index::Snapshot& snap, const std::map<std::string, FacetSpec>& facets);

// A number as it appears in a bucket key: integral values as integers
// ("100000", "-3", never "1e+05"), others in shortest round-trip form
// ("1.5", "0.1"); exponents only where plain digits would be absurdly long
// (beyond 1e21 or below 1e-6).
std::string facet_number_key(double v);

class FacetCollector {
 public:
  FacetCollector(const index::Snapshot& snap, const std::map<std::string, FacetSpec>& facets)
      : snap_(snap), specs_(facets) {}
  void add(size_t segment, const postings::Bitmap& match);
  Json finish() const;

 private:
  struct Acc {
    std::map<std::string, uint64_t> terms;
    std::map<int64_t, uint64_t> hist;  // bucket index
    std::vector<uint64_t> ranges;
    double min = INFINITY, max = -INFINITY, sum = 0;
    uint64_t count = 0;
    std::map<std::string, std::pair<uint64_t, std::pair<double, double>>> cells;  // geohash -> count, lat/lon sums
    double top = -INFINITY, bottom = INFINITY, left = INFINITY, right = -INFINITY;
  };
  const index::Snapshot& snap_;
  const std::map<std::string, FacetSpec>& specs_;
  std::map<std::string, Acc> acc_;
};

// {"field": ["fragment", ...]} for the fields of `spec` (every text field
// when it names none), marking tokens whose normalized form is in `terms`.
Json highlight(const index::Snapshot& snap, const std::vector<std::pair<std::string, std::string>>& terms,
               const HighlightSpec& spec, const Json& source);

}  // namespace meridian::query
