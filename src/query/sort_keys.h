// Sort keys: the values a search orders its hits by (sort fields, ranking
// rule values, the score, geo distances), read per segment from the columns,
// and the total order of two hits, which ends with the tiebreaker (the
// documents' write order). Shared by the collectors (collectors.h) and the
// search itself (searcher.cpp); internal to the query module.
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "plan.h"
#include "meridian/base/json.h"
#include "meridian/base/status.h"
#include "meridian/geo/geo.h"
#include "meridian/index/snapshot.h"
#include "meridian/index/term_key.h"
#include "meridian/query/search_request.h"

namespace meridian::query {

using SortValue = std::variant<std::monostate, int64_t, double, std::string>;

struct Row {
  std::vector<SortValue> keys;
  double score = 0;
  uint32_t segment = 0, doc = 0;
  std::optional<double> distance_m;
  SortValue group;  // the value of the request's `distinct` field (none: a group of its own)
  plan::SegmentEval::RankValues rank;  // ranking rules: the document's values (kRank keys read them)
  // The tiebreaker: the document's write order (order_of), the last value
  // of a hit's "sort"; 0 for a document of a segment written without it.
  uint64_t order = 0;
};

// Negative if a sorts before b: the sort's keys, then the tiebreaker (the
// write order; rows of equal order, only documents written without one, by
// their place in the snapshot).
int compare_rows(const std::vector<SortSpec>& sort, const Row& a, const Row& b);

// A segment's write-order column (index/term_key.h kOrderField), null in a
// segment written before it; order_of reads a document's (0 without).
inline const columns::IntColumn* order_column(const index::Segment& seg) {
  return seg.columns().int_column(index::kOrderField);
}
inline uint64_t order_of(const columns::IntColumn* col, uint32_t doc) {
  return col && col->has(doc) ? static_cast<uint64_t>(col->value(doc, 0)) : 0;
}
Json to_json_value(const SortValue& v);
SortValue from_json_value(const Json& j);
// Every sort field exists and has a type its kind can sort.
Status check_sort(const index::Snapshot& snap, const std::vector<SortSpec>& sort);

// Whether sorting one segment's documents by `sort` is their document order
// (+1), its reverse (-1) or neither (0): a single int/date field whose
// column strictly increases with the document number (ids or timestamps
// loaded in order). Then the top k of any match set are its first or last k.
int doc_order(const index::Segment& seg, const index::Snapshot& snap, const std::vector<SortSpec>& sort);
// The int column of a sort on one int/date field whose every document has
// exactly one value (so no missing or multi-valued keys), or null.
const columns::IntColumn* single_valued_int(const index::Segment& seg, const index::Snapshot& snap,
                                            const std::vector<SortSpec>& sort);

// The key of a row's group: the JSON text of its value; "" when it has none.
std::string group_key(const Row& r);
// Keeps the first row of each group (rows sorted best first); rows without
// a group value are groups of their own. With `keys`, each kept group's key.
void collapse_distinct(std::vector<Row>* rows, std::vector<std::string>* keys);

// Smallest distance from `origin` to the document's points of `field`.
std::optional<double> min_distance_m(const index::Segment& seg, const std::string& field, const GeoPoint& origin,
                                     uint32_t doc);
// weight * decay(distance); a document without a point keeps `weight`.
double decay_factor(const index::Segment& seg, const GeoDecay& g, uint32_t doc);

// The sort columns of one segment, resolved once (not per document): the
// per-document key is then a few column reads.
class SegmentSortKeys {
 public:
  SegmentSortKeys(const index::Segment& seg, const index::Snapshot& snap, const std::vector<SortSpec>& sort);

  // Fills r->keys (reusing its storage) and r->distance_m for doc.
  void fill(uint32_t doc, Row* r) const {
    r->keys.resize(cols_.size());
    for (size_t i = 0; i < cols_.size(); ++i) r->keys[i] = key(cols_[i], doc, r);
  }

 private:
  struct Col {
    enum Kind { kScore, kRank, kGeo, kDouble, kKeyword, kInt, kIdInt } kind = kInt;
    const SortSpec* spec = nullptr;
    int plan::SegmentEval::RankValues::*rule = nullptr;  // kRank
    const columns::GeoColumn* geo = nullptr;
    const columns::DoubleColumn* dbl = nullptr;
    const columns::KeywordColumn* kw = nullptr;
    const columns::IntColumn* i64 = nullptr;
  };

  static SortValue key(const Col& c, uint32_t doc, Row* r) {
    const SortSpec& s = *c.spec;
    switch (c.kind) {
      case Col::kScore:
        return r->score;
      case Col::kRank:
        return int64_t{r->rank.*c.rule};
      case Col::kGeo: {
        if (!c.geo || !c.geo->has(doc)) return std::monostate{};
        double best = INFINITY;
        for (size_t i = 0; i < c.geo->count(doc); ++i)
          best = std::min(best, geo::haversine_m({s.origin.lat, s.origin.lon}, {c.geo->lat(doc, i), c.geo->lon(doc, i)}));
        if (!r->distance_m) r->distance_m = best;
        return best / s.unit_m;
      }
      case Col::kDouble: {
        if (!c.dbl || !c.dbl->has(doc)) return std::monostate{};
        double v = c.dbl->value(doc, 0);
        for (size_t i = 1; i < c.dbl->count(doc); ++i)
          v = s.desc ? std::max(v, c.dbl->value(doc, i)) : std::min(v, c.dbl->value(doc, i));
        return v;
      }
      case Col::kKeyword: {
        if (!c.kw || !c.kw->has(doc)) return std::monostate{};
        uint32_t o = c.kw->ord(doc, 0);
        for (size_t i = 1; i < c.kw->count(doc); ++i)
          o = s.desc ? std::max(o, c.kw->ord(doc, i)) : std::min(o, c.kw->ord(doc, i));
        return std::string(c.kw->value_of(o));
      }
      case Col::kIdInt: {
        if (!c.kw || !c.kw->has(doc)) return std::monostate{};
        const std::string_view id = c.kw->value_of(c.kw->ord(doc, 0));
        int64_t v = 0;
        auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), v);
        if (ec != std::errc() || end != id.data() + id.size()) return std::string(id);
        return v;
      }
      case Col::kInt: {
        if (!c.i64 || !c.i64->has(doc)) return std::monostate{};
        int64_t v = c.i64->value(doc, 0);
        for (size_t i = 1; i < c.i64->count(doc); ++i)
          v = s.desc ? std::max(v, c.i64->value(doc, i)) : std::min(v, c.i64->value(doc, i));
        return v;
      }
    }
    return std::monostate{};
  }

  std::vector<Col> cols_;
};

}  // namespace meridian::query
