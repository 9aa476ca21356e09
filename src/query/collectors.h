// Collectors: what a search keeps of each segment's matches. The search
// (searcher.cpp) finds each segment's match set and hands it to separate
// pieces, each doing one job:
//  - HitCount: the total (exact, capped by track_total_hits, or only
//    "some" when no count was asked and no bitmap of the query was built);
//  - FacetCollector (facets.h): the facets of the match set;
//  - TopScoreCollector: the k best by score, pruning with block-max bounds
//    through the threshold it exposes (bitmap evaluation, or lazily from the
//    terms' cursors with no bitmap of the query);
//  - TopFieldCollector: the k best rows by sort fields or ranking rules
//    (every row with `distinct`, which the page step collapses).
// Both top-k collectors honour the search_after cursor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "block_max.h"
#include "plan.h"
#include "sort_keys.h"
#include "meridian/base/status.h"
#include "meridian/index/snapshot.h"
#include "meridian/postings/bitmap.h"
#include "meridian/query/search_request.h"
#include "meridian/query/searcher.h"

namespace meridian::query {

// A search_after cursor: hits strictly after `row` in the sort order, or,
// `inclusive`, every hit with its sort values whatever its tiebreaker (a
// clustered index's router asks this of the shards after the cursor's).
struct Cursor {
  Row row;
  bool inclusive = false;
  bool admits(const std::vector<SortSpec>& sort, const Row& r) const {
    return compare_rows(sort, r, row) > (inclusive ? -1 : 0);
  }
};

// The cursor of req.search_after (the sort's values, then the tiebreaker),
// or nullopt without one; a 400-class error names what is wrong.
Result<std::optional<Cursor>> parse_cursor(const std::optional<Json>& search_after, const std::vector<SortSpec>& sort);

class HitCount {
 public:
  void add(uint64_t matches) { total_ += matches; }
  // The lazy path found a match (it counts nothing).
  void add_some() { some_ = true; }
  // Replaces the count (distinct: the groups, not the matches).
  void set(uint64_t total) { total_ = total; }
  // The response's total and whether it is a lower bound: the count capped
  // at the request's and the server's track_total_hits; with `lazy`, 0 and
  // a lower bound iff something matched.
  void finish(bool lazy, size_t req_track, size_t opt_track, SearchResponse* resp) const;

 private:
  uint64_t total_ = 0;
  bool some_ = false;
};

// A row of a search by score (TopScoreCollector): its sort values are the
// score, then the tiebreaker (the write order). Lighter than a Row (no key
// vector to allocate per hit).
struct ScoredRow {
  double score = 0;
  uint32_t segment = 0, doc = 0;
  uint64_t order = 0;
};

class TopScoreCollector {
 public:
  // `after` (may be null) must outlive the collector; so must `decay`.
  TopScoreCollector(size_t k, const GeoDecay* decay, const std::vector<SortSpec>& sort, const Cursor* after);
  // The segment's matches by bitmap evaluation: block-max MaxScore over a
  // LazyScorer's cursors when the query has one (checked against `match` unless
  // `match_is_query`), else every match scored. Returns documents scored.
  // A query of constant score (plan::SegmentEval::constant_score) with no
  // decay and no cursor, unless `exhaustive`, takes collect_constant().
  uint64_t collect(const index::Segment& seg, uint32_t si, plan::SegmentEval& ev, const postings::Bitmap& match,
                   bool match_is_query, bool exhaustive);
  // Lazily, with no bitmap of the query: ev opened with open_terms(), its
  // lazy scorer's documents admitted by `admit` (null: every document).
  Result<uint64_t> collect_lazy(const index::Segment& seg, uint32_t si, plan::SegmentEval& ev,
                                const std::function<bool(uint32_t)>* admit);
  // Best first; empties the collector.
  std::vector<ScoredRow> take_sorted();

 private:
  struct Entry {
    double score;
    uint32_t segment, doc;
  };
  // Every match scores `score`, so the order is the write order (then the
  // place in the snapshot) alone: no heap and no score per document. When
  // the segment's write order follows its document numbers (or it has none)
  // its best are its first k matches, read in bulk; else each match's order
  // is read once and the segment's k smallest kept. take_sorted() merges the
  // segments. The oracle is the heap path (collect with `exhaustive`).
  uint64_t collect_constant(const index::Segment& seg, uint32_t si, double score, const postings::Bitmap& match);
  struct Ranked {  // a match of a constant-score query
    uint64_t order;
    uint32_t segment, doc;
    bool operator<(const Ranked& o) const {
      if (order != o.order) return order < o.order;
      return segment != o.segment ? segment < o.segment : doc < o.doc;
    }
  };
  void sort_by_order(size_t first);
  std::function<void(uint32_t, double)> offer(const index::Segment& seg, uint32_t si);
  std::function<double()> threshold() const;
  uint64_t order(const Entry& e) const { return order_of(order_cols_[e.segment], e.doc); }
  // Whether a ranks before b: a higher score, then the write order (read
  // only for equal scores), then the place in the snapshot.
  bool before(const Entry& a, const Entry& b) const;
  void push(const Entry& e);

  size_t k_;
  const GeoDecay* decay_;
  const std::vector<SortSpec>& sort_;
  const Cursor* after_;
  std::vector<Entry> heap_;  // at most k_, the worst on top
  std::vector<Ranked> ranked_;  // collect_constant: at most k_ per segment, each segment's in order
  double constant_ = 0;         // collect_constant: the score of every match
  std::vector<Ranked> scratch_;  // sort_by_order's second buffer
  std::vector<const columns::IntColumn*> order_cols_;  // by segment position
};

class TopFieldCollector {
 public:
  struct Options {
    size_t k = 10;
    const Cursor* after = nullptr;           // ignored with distinct (the page step applies it)
    const std::string* distinct = nullptr;   // keep every row, with its group value
    bool need_scores = false;                // some key is the score
    bool ranked = false;                     // ranking rules (kRank keys)
    bool need_proximity = false;             // the proximity rule reads positions
    const GeoDecay* decay = nullptr;
  };
  TopFieldCollector(const index::Snapshot& snap, const std::vector<SortSpec>& sort, Options o);
  void collect(uint32_t si, plan::SegmentEval& ev, const postings::Bitmap& match);
  // Best first; empties the collector.
  std::vector<Row> take_sorted();

 private:
  // Whether a ranks before b (the sort order, then the tiebreaker).
  bool before(const Row& a, const Row& b) const { return compare_rows(sort_, a, b) < 0; }
  void push(const Row& r);

  const index::Snapshot& snap_;
  const std::vector<SortSpec>& sort_;
  Options o_;
  std::vector<SortSpec> group_spec_;
  std::vector<Row> rows_;  // a heap (worst on top) of at most k rows; every row with distinct
};

// The page of a distinct search from every matching row (sorted best
// first): each group's best, the cursor applied, at most k. The count
// becomes the number of groups; the groups asked of opt go into *resp.
void page_distinct(std::vector<Row>* rows, const std::vector<SortSpec>& sort, const Cursor* after, size_t k,
                   const SearchOptions& opt, HitCount* count, SearchResponse* resp);

}  // namespace meridian::query
