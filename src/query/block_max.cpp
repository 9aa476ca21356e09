// Top-k over one segment: block-max MaxScore (PISA's block_max_maxscore)
// over a Disjunction.
//
// The disjunction's additive groups are sorted by their segment-wide bound.
// The shortest prefix of groups whose bounds sum below the threshold is
// "non-essential": a document found only there cannot enter the top-k, so
// candidates come from the essential groups' cursors alone. Each candidate
// is then bounded by the block maxima of EVERY term at that document
// (shallow_advance, no decoding), combined as the query combines scores (sum
// for bool, max for dis_max); if that bound cannot beat the threshold, the
// candidate is not scored and the walk jumps past the end of the shortest of
// those blocks, since the same blocks, hence the same bound, cover every
// document up to it. Only candidates that survive are scored exactly, from
// the same cursors, so the scores are identical to exhaustive scoring.
#include "block_max.h"

#include <algorithm>

namespace meridian::query::plan {

namespace {

// Bounds are sums of doubles taken in another order than score()'s; a
// relative slack keeps a document whose exact score ties the bound.
constexpr double kSlack = 1 + 1e-9;

bool cannot_enter(double bound, double threshold) { return bound * kSlack < threshold; }

}  // namespace

std::unique_ptr<Disjunction> Disjunction::build(SegmentEval& ev) {
  auto d = std::make_unique<Disjunction>();
  uint32_t root = 0;
  if (!d->add(ev.c_.root, ev, &root)) return nullptr;
  d->node_value_.resize(d->nodes_.size());
  return d;
}

// Adds n's score node (its index in *node), its terms and its groups; false
// when n is not part of a pure disjunction.
bool Disjunction::add(const Node& n, SegmentEval& ev, uint32_t* node) {
  ScoreNode sn;
  switch (n.k) {
    case Node::K::kWord: {
      sn.k = ScoreNode::K::kWord;
      const columns::NormColumn* norms = ev.sv_.segment->columns().norms(n.field);
      for (const auto& ts : ev.terms_[n.id]) {
        if (!ts->tp) continue;
        Term t{ts->tp->cursor(), ts->w, norms};
        t.bound = ts->w->bound(ts->tp->max_tf(), ts->tp->min_len());
        sn.items.push_back(static_cast<uint32_t>(terms_.size()));
        terms_.push_back(std::move(t));
      }
      // A word's score is the largest of its terms': one group.
      if (!sn.items.empty()) {
        Group g{0, sn.items};
        for (uint32_t t : g.terms) g.bound = std::max(g.bound, terms_[t].bound);
        groups_.push_back(std::move(g));
      }
      break;
    }
    case Node::K::kNone: sn.k = ScoreNode::K::kSum; break;  // scores 0, matches nothing
    case Node::K::kBool:
    case Node::K::kDisMax: {
      if (n.boost != 1) return false;
      const bool dis_max = n.k == Node::K::kDisMax;
      // msm must be exactly 1: with 0 (and no must/filter) every document
      // matches, even outside the terms.
      if (!dis_max && !(n.must.empty() && n.filter.empty() && n.must_not.empty() && n.msm == 1)) return false;
      sn.k = dis_max ? ScoreNode::K::kMax : ScoreNode::K::kSum;
      // A max of sums is at most their sum: every word is a group of its own
      // (merging a word's groups across a dis_max's fields would tighten
      // the sum of bounds but make the essential lists longer: measured slower).
      for (const auto& c : dis_max ? n.children : n.should) {
        uint32_t child = 0;
        if (!add(c, ev, &child)) return false;
        sn.items.push_back(child);
      }
      break;
    }
    default: return false;
  }
  *node = static_cast<uint32_t>(nodes_.size());
  nodes_.push_back(std::move(sn));
  return true;
}

// Nodes are stored children first (add() appends a node after its
// children), so one pass in order computes every node from its items; the
// root is the last node.
double Disjunction::score(uint32_t doc) {
  // SegmentEval::score_node's arithmetic, in its order, on this disjunction's cursors.
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const ScoreNode& n = nodes_[i];
    double s = 0;
    switch (n.k) {
      case ScoreNode::K::kWord: {
        uint32_t len = UINT32_MAX;
        for (uint32_t ti : n.items) {
          Term& t = terms_[ti];
          if (t.cur.next_geq(doc) != doc) continue;
          if (len == UINT32_MAX) len = t.norms ? t.norms->length(doc) : 0;
          s = std::max(s, t.w->score(t.cur.freq(), len));
        }
        break;
      }
      case ScoreNode::K::kSum:
        for (uint32_t c : n.items) s += node_value_[c];
        break;
      case ScoreNode::K::kMax:
        for (uint32_t c : n.items) s = std::max(s, node_value_[c]);
        break;
    }
    node_value_[i] = s;
  }
  return node_value_.back();
}

double Disjunction::block_bound(uint32_t target, uint32_t* last) {
  for (Term& t : terms_) {
    t.cur.shallow_advance(target);
    const uint32_t block_last = t.cur.block_last_doc();
    *last = std::min(*last, block_last);
    if (block_last != t.bound_last || block_last == postings::PostingCursor::kEnd) {
      t.bound_last = block_last;
      t.bound_value = t.w->bound(t.cur.block_max_tf(), t.cur.block_min_len());
    }
  }
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const ScoreNode& n = nodes_[i];
    double b = 0;
    switch (n.k) {
      case ScoreNode::K::kWord:
        for (uint32_t t : n.items) b = std::max(b, terms_[t].bound_value);
        break;
      case ScoreNode::K::kSum:
        for (uint32_t c : n.items) b += node_value_[c];
        break;
      case ScoreNode::K::kMax:
        for (uint32_t c : n.items) b = std::max(b, node_value_[c]);
        break;
    }
    node_value_[i] = b;
  }
  return node_value_.back();
}

uint64_t collect_top_k(SegmentEval& ev, const postings::Bitmap& match, bool match_is_query, bool exhaustive,
                       const std::function<double()>& threshold,
                       const std::function<void(uint32_t, double)>& offer) {
  uint64_t scored = 0;
  std::unique_ptr<Disjunction> dj = exhaustive ? nullptr : Disjunction::build(ev);
  if (!dj) {
    match.for_each([&](uint32_t d) {
      offer(d, ev.score(d));
      ++scored;
      return true;
    });
    return scored;
  }
  using postings::PostingCursor;
  auto& groups = dj->groups();
  std::sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) { return a.bound < b.bound; });
  std::vector<double> prefix(groups.size() + 1, 0);
  for (size_t i = 0; i < groups.size(); ++i) prefix[i + 1] = prefix[i] + groups[i].bound;
  size_t essential = 0;
  uint32_t doc = 0;
  // The last block bound and the documents it covers: a candidate before
  // `last` lies in the same blocks of every term, so the bound is reused.
  bool have_bound = false;
  uint32_t last = 0;
  double bound = 0;
  while (true) {
    const double th = threshold();
    while (essential < groups.size() && cannot_enter(prefix[essential + 1], th)) ++essential;
    if (essential >= groups.size()) break;
    uint32_t cand = PostingCursor::kEnd;
    for (size_t g = essential; g < groups.size(); ++g)
      for (uint32_t t : groups[g].terms) cand = std::min(cand, dj->cursor(t).next_geq(doc));
    if (cand == PostingCursor::kEnd) break;
    if (!have_bound || cand > last) {
      last = PostingCursor::kEnd;
      bound = dj->block_bound(cand, &last);
      have_bound = true;
    }
    if (cannot_enter(bound, th)) {
      // Nothing in [cand, last] can enter: the blocks (and bound) are the same there.
      if (last == PostingCursor::kEnd) break;
      doc = last + 1;
      continue;
    }
    if (match_is_query || match.contains(cand)) {
      offer(cand, dj->score(cand));
      ++scored;
    }
    if (cand == PostingCursor::kEnd - 1) break;
    doc = cand + 1;
  }
  return scored;
}

}  // namespace meridian::query::plan
