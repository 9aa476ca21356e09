// Collectors of a search's matches (collectors.h).
#include "collectors.h"

#include <algorithm>
#include <cassert>
#include <iterator>
#include <cmath>
#include <unordered_set>

namespace meridian::query {

using postings::Bitmap;

namespace {

// Offers `e` to *heap, which keeps the k best (its front is the worst kept;
// `before(a, b)`: a ranks first), or everything with `keep_all`.
template <typename T, typename Before>
void push_bounded(std::vector<T>* heap, const T& e, size_t k, const Before& before, bool keep_all = false) {
  if (keep_all || heap->size() < k) {
    heap->push_back(e);
    std::push_heap(heap->begin(), heap->end(), before);
  } else if (k > 0 && before(e, heap->front())) {
    std::pop_heap(heap->begin(), heap->end(), before);
    heap->back() = e;
    std::push_heap(heap->begin(), heap->end(), before);
  }
}

}  // namespace

Result<std::optional<Cursor>> parse_cursor(const std::optional<Json>& search_after, const std::vector<SortSpec>& sort) {
  if (!search_after) return std::optional<Cursor>();
  if (!search_after->is_array() || search_after->size() != sort.size() + 1)
    return Status::invalid("search_after: expected the " + std::to_string(sort.size() + 1) +
                           " values of a hit's \"sort\" (the sort keys and the tiebreaker)");
  Cursor c;
  const auto& a = search_after->as_array();
  for (size_t i = 0; i < sort.size(); ++i) c.row.keys.push_back(from_json_value(a[i]));
  if (!a.back().is_int()) return Status::invalid("search_after: the last value must be the integer tiebreaker");
  if (a.back().as_int() < 0) {
    c.inclusive = true;  // before every hit with these sort values
  } else {
    // The hit's write order; the cursor's place is after every document of
    // that order (so the hit itself is not repeated).
    c.row.order = static_cast<uint64_t>(a.back().as_int());
    c.row.segment = c.row.doc = UINT32_MAX;
  }
  return std::optional<Cursor>(std::move(c));
}

void HitCount::finish(bool lazy, size_t req_track, size_t opt_track, SearchResponse* resp) const {
  resp->total = lazy ? 0 : total_;
  resp->total_is_lower_bound = lazy && some_;
  if (opt_track < resp->total && req_track < resp->total) {
    resp->total = std::min<uint64_t>(opt_track, req_track);
    resp->total_is_lower_bound = true;
  } else if (req_track < resp->total) {
    resp->total = req_track;
    resp->total_is_lower_bound = true;
  }
}

TopScoreCollector::TopScoreCollector(size_t k, const GeoDecay* decay, const std::vector<SortSpec>& sort,
                                     const Cursor* after)
    : k_(k), decay_(decay), sort_(sort), after_(after) {}

bool TopScoreCollector::before(const Entry& a, const Entry& b) const {
  if (a.score != b.score) return a.score > b.score;
  const uint64_t oa = order(a), ob = order(b);
  if (oa != ob) return oa < ob;
  if (a.segment != b.segment) return a.segment < b.segment;
  return a.doc < b.doc;
}

void TopScoreCollector::push(const Entry& e) {
  // Reserved on the first push, not in the constructor: a search that ranks
  // by write order (collect_constant) never pushes, and not k: a page of
  // 10,000 hits would allocate it for every search.
  if (heap_.capacity() == 0) heap_.reserve(std::min<size_t>(k_, 256));
  push_bounded(&heap_, e, k_, [this](const Entry& a, const Entry& b) { return before(a, b); });
}

std::function<void(uint32_t, double)> TopScoreCollector::offer(const index::Segment& seg, uint32_t si) {
  if (order_cols_.size() <= si) order_cols_.resize(si + 1, nullptr);
  order_cols_[si] = order_column(seg);
  return [this, &seg, si](uint32_t d, double s) {
    if (decay_) s *= decay_factor(seg, *decay_, d);
    if (after_) {  // a row only to compare with the cursor
      Row r{{s}, s, si, d, {}};
      r.order = order_of(order_cols_[si], d);
      if (!after_->admits(sort_, r)) return;
    }
    push({s, si, d});
  };
}

// The score a new document must reach (ties enter by their write order);
// -inf until k are kept. With a decay (<= 1) times weight, a query score
// must reach threshold / weight.
std::function<double()> TopScoreCollector::threshold() const {
  return [this] {
    const double t = k_ > 0 && heap_.size() >= k_ ? heap_.front().score : -INFINITY;
    return decay_ ? t / decay_->weight : t;
  };
}

uint64_t TopScoreCollector::collect(const index::Segment& seg, uint32_t si, plan::SegmentEval& ev, const Bitmap& match,
                                    bool match_is_query, bool exhaustive) {
  if (!exhaustive && !decay_ && !after_)
    if (const std::optional<double> c = ev.constant_score()) return collect_constant(seg, si, *c, match);
  return plan::collect_top_k(ev, match, match_is_query, exhaustive, threshold(), offer(seg, si));
}

uint64_t TopScoreCollector::collect_constant(const index::Segment& seg, uint32_t si, double score, const Bitmap& match) {
  assert(heap_.empty());  // one search takes one path in every segment
  constant_ = score;
  const uint64_t n = match.cardinality();
  if (k_ == 0 || n == 0) return n;
  const columns::IntColumn* col = order_column(seg);
  // Without a write-order column every order is 0 and documents rank by number.
  const bool doc_ordered = !col || col->strictly_increasing();
  const size_t first = ranked_.size();
  const uint64_t want = doc_ordered ? std::min<uint64_t>(k_, n) : n;
  ranked_.reserve(first + want);
  Bitmap::Iterator it = match.iterator();
  uint32_t buf[256];
  for (uint64_t got = 0; got < want;) {
    const uint32_t m = it.read(buf, static_cast<uint32_t>(std::min<uint64_t>(std::size(buf), want - got)));
    if (m == 0) break;
    for (uint32_t i = 0; i < m; ++i) ranked_.push_back({order_of(col, buf[i]), si, buf[i]});
    got += m;
  }
  if (!doc_ordered) {
    const auto begin = ranked_.begin() + static_cast<std::ptrdiff_t>(first);
    if (ranked_.size() - first > k_) {
      std::nth_element(begin, begin + static_cast<std::ptrdiff_t>(k_), ranked_.end());
      ranked_.resize(first + k_);
    }
    if (!std::is_sorted(ranked_.begin() + static_cast<std::ptrdiff_t>(first), ranked_.end()))
      sort_by_order(first);
  }
  return n;
}

// ranked_[first..] (one segment's matches) by write order: a stable radix
// sort on the
// bytes where the orders differ (an imported index interleaves its writer
// slots' orders, so the matches are rarely sorted; std::sort cost ~40
// instructions per match there), std::sort for a few. Equal orders keep
// their input order, which is document order unless nth_element ran first;
// take_sorted checks the merged order either way.
void TopScoreCollector::sort_by_order(size_t first) {
  const auto begin = ranked_.begin() + static_cast<std::ptrdiff_t>(first);
  const size_t n = ranked_.size() - first;
  if (n < 64) return std::sort(begin, ranked_.end());
  uint64_t differ = 0;
  for (size_t i = first + 1; i < ranked_.size(); ++i) differ |= ranked_[i].order ^ ranked_[first].order;
  scratch_.resize(n);
  Ranked* from = &ranked_[first];
  Ranked* to = scratch_.data();
  for (int shift = 0; shift < 64; shift += 8) {
    if (((differ >> shift) & 0xff) == 0) continue;
    size_t count[257] = {};
    for (size_t i = 0; i < n; ++i) ++count[((from[i].order >> shift) & 0xff) + 1];
    for (size_t b = 1; b < 257; ++b) count[b] += count[b - 1];
    for (size_t i = 0; i < n; ++i) to[count[(from[i].order >> shift) & 0xff]++] = from[i];
    std::swap(from, to);
  }
  if (from != &ranked_[first]) std::copy(from, from + n, begin);
}

Result<uint64_t> TopScoreCollector::collect_lazy(const index::Segment& seg, uint32_t si, plan::SegmentEval& ev,
                                                 const std::function<bool(uint32_t)>* admit) {
  auto dj = plan::LazyScorer::build(ev, true);
  if (!dj) return Status::internal("a lazy scorer could not be built");
  return plan::max_score(*dj, admit, threshold(), offer(seg, si));
}

std::vector<ScoredRow> TopScoreCollector::take_sorted() {
  std::vector<ScoredRow> rows;
  if (!ranked_.empty()) {  // collect_constant: each segment's best, in order
    if (!std::is_sorted(ranked_.begin(), ranked_.end())) std::sort(ranked_.begin(), ranked_.end());
    if (ranked_.size() > k_) ranked_.resize(k_);
    rows.reserve(ranked_.size());
    for (const Ranked& r : ranked_) rows.push_back({constant_, r.segment, r.doc, r.order});
    ranked_.clear();
    return rows;
  }
  std::sort(heap_.begin(), heap_.end(), [this](const Entry& a, const Entry& b) { return before(a, b); });
  rows.reserve(heap_.size());
  for (const Entry& e : heap_) rows.push_back({e.score, e.segment, e.doc, order(e)});
  heap_.clear();
  return rows;
}

TopFieldCollector::TopFieldCollector(const index::Snapshot& snap, const std::vector<SortSpec>& sort, Options o)
    : snap_(snap), sort_(sort), o_(o) {
  if (o_.distinct) group_spec_ = {SortSpec{SortSpec::Kind::kField, *o_.distinct, false}};
}

// Bounded heap of the k best rows, worst on top (every row with distinct).
void TopFieldCollector::push(const Row& r) {
  push_bounded(&rows_, r, o_.k, [this](const Row& a, const Row& b) { return before(a, b); }, o_.distinct != nullptr);
}

void TopFieldCollector::collect(uint32_t si, plan::SegmentEval& ev, const Bitmap& match) {
  if ((o_.k == 0 && !o_.distinct) || match.is_empty()) return;
  const index::Segment& seg = *snap_.segments()[si].segment;
  const Cursor* after = o_.distinct ? nullptr : o_.after;
  // One scratch row is refilled per document and copied in only when it qualifies.
  SegmentSortKeys keys(seg, snap_, sort_);
  std::optional<SegmentSortKeys> group_keys;
  if (o_.distinct) group_keys.emplace(seg, snap_, group_spec_);
  const columns::IntColumn* order_col = order_column(seg);
  Row group_row;
  Row r;
  auto offer = [&](uint32_t d) {
    r.segment = si;
    r.doc = d;
    r.order = order_of(order_col, d);
    r.distance_m.reset();
    r.score = o_.need_scores ? ev.score(d) * (o_.decay ? decay_factor(seg, *o_.decay, d) : 1.0) : NAN;
    if (o_.ranked) {
      // Proximity reads positions: first rank with its best value (0),
      // and read them only when the document could still enter.
      ev.rank(d, false, &r.rank);
      keys.fill(d, &r);
      if (o_.need_proximity) {
        if (!o_.distinct && rows_.size() >= o_.k && !before(r, rows_.front())) return true;
        ev.rank(d, true, &r.rank);
        keys.fill(d, &r);
      }
    } else {
      keys.fill(d, &r);
    }
    if (after && !after->admits(sort_, r)) return true;
    if (group_keys) {
      group_keys->fill(d, &group_row);
      r.group = group_row.keys[0];
    }
    push(r);
    return true;
  };
  if (o_.distinct) {
    match.for_each(offer);
  } else if (const int dir = after ? 0 : doc_order(seg, snap_, sort_)) {
    // The sort is document order (or its reverse) here: the segment's
    // best k are its first (last) k matches.
    const uint64_t n = match.cardinality();
    for (uint64_t j = 0; j < std::min<uint64_t>(o_.k, n); ++j)
      if (auto d = match.select(dir > 0 ? j : n - 1 - j)) offer(*d);
  } else if (const columns::IntColumn* col = after ? nullptr : single_valued_int(seg, snap_, sort_)) {
    // One int key with a value for every document: a heap of plain
    // (value, doc) pairs, then only the segment's best k become rows. Equal
    // values go by write order, read only for them.
    const bool desc = sort_[0].desc;
    auto better = [desc, order_col](const std::pair<int64_t, uint32_t>& a, const std::pair<int64_t, uint32_t>& b) {
      if (a.first != b.first) return desc ? a.first > b.first : a.first < b.first;
      const uint64_t oa = order_of(order_col, a.second), ob = order_of(order_col, b.second);
      return oa != ob ? oa < ob : a.second < b.second;
    };
    std::vector<std::pair<int64_t, uint32_t>> best;  // heap, the worst on top
    best.reserve(o_.k);
    match.for_each([&](uint32_t d) {
      push_bounded(&best, std::pair<int64_t, uint32_t>{col->value(d), d}, o_.k, better);
      return true;
    });
    for (const auto& e : best) offer(e.second);
  } else {
    match.for_each(offer);
  }
}

std::vector<Row> TopFieldCollector::take_sorted() {
  std::vector<Row> rows = std::move(rows_);
  rows_.clear();
  std::sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) { return before(a, b); });
  return rows;
}

void page_distinct(std::vector<Row>* rows, const std::vector<SortSpec>& sort, const Cursor* after, size_t k,
                   const SearchOptions& opt, HitCount* count, SearchResponse* resp) {
  collapse_distinct(rows, opt.distinct_groups ? &resp->groups : nullptr);
  count->set(rows->size());
  if (opt.distinct_groups) resp->ungrouped = rows->size() - resp->groups.size();
  if (opt.distinct_check && after) {
    // Rows are each group's best: a group is before the cursor when its best is.
    const std::unordered_set<std::string> asked(opt.distinct_check->begin(), opt.distinct_check->end());
    for (const Row& r : *rows)
      if (r.group.index() != 0 && !after->admits(sort, r))
        if (std::string key = group_key(r); asked.contains(key)) resp->groups_before.push_back(std::move(key));
  }
  if (after) std::erase_if(*rows, [&](const Row& r) { return !after->admits(sort, r); });
  if (rows->size() > k) rows->resize(k);
}

}  // namespace meridian::query
