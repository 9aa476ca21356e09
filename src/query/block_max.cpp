// Top-k over one segment: block-max MaxScore (PISA's block_max_maxscore).
//
// Groups (one per word of a pure disjunction; a word's score is the max over
// its alternative terms) are sorted by their segment-wide bound. The shortest
// prefix of groups whose bounds sum below the threshold is "non-essential": a
// document found only there cannot enter the top-k, so candidates come from
// the essential groups' cursors alone. Each candidate is then bounded by the
// block maxima of EVERY group at that document (shallow_advance, no
// decoding); if that bound cannot beat the threshold, the candidate is not
// scored and the walk jumps past the end of the shortest of those blocks,
// since the same blocks, hence the same bound, cover every document up to it.
// Only candidates that survive are scored exactly (SegmentEval::score), so
// the scores are identical to exhaustive scoring.
#include <algorithm>

#include "plan.h"

namespace meridian::query::plan {

namespace {

// Bounds are sums of doubles taken in another order than score()'s; a
// relative slack keeps a document whose exact score ties the bound.
constexpr double kSlack = 1 + 1e-9;

bool cannot_enter(double bound, double threshold) { return bound * kSlack < threshold; }

}  // namespace

uint64_t collect_top_k(SegmentEval& ev, const postings::Bitmap& match, bool exhaustive,
                       const std::function<double()>& threshold,
                       const std::function<void(uint32_t, double)>& offer) {
  uint64_t scored = 0;
  auto groups = exhaustive ? std::vector<SegmentEval::Group>{} : ev.groups();
  if (groups.empty()) {
    match.for_each([&](uint32_t d) {
      offer(d, ev.score(d));
      ++scored;
      return true;
    });
    return scored;
  }
  using postings::PostingCursor;
  std::sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) { return a.bound < b.bound; });
  std::vector<double> prefix(groups.size() + 1, 0);
  for (size_t i = 0; i < groups.size(); ++i) prefix[i + 1] = prefix[i] + groups[i].bound;
  size_t essential = 0;
  uint32_t doc = 0;
  while (true) {
    const double th = threshold();
    while (essential < groups.size() && cannot_enter(prefix[essential + 1], th)) ++essential;
    if (essential >= groups.size()) break;
    uint32_t cand = PostingCursor::kEnd;
    for (size_t g = essential; g < groups.size(); ++g)
      for (auto& c : groups[g].cursors) cand = std::min(cand, c.next_geq(doc));
    if (cand == PostingCursor::kEnd) break;
    uint32_t last = PostingCursor::kEnd;
    double bound = 0;
    for (auto& g : groups) bound += g.block_bound(cand, &last);
    if (cannot_enter(bound, th)) {
      // Nothing in [cand, last] can enter: the blocks (and bound) are the same there.
      if (last == PostingCursor::kEnd) break;
      doc = last + 1;
      continue;
    }
    if (match.contains(cand)) {
      offer(cand, ev.score(cand));
      ++scored;
    }
    if (cand == PostingCursor::kEnd - 1) break;
    doc = cand + 1;
  }
  return scored;
}

}  // namespace meridian::query::plan
