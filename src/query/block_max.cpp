// Top-k over one segment: block-max MaxScore (PISA's block_max_maxscore)
// over a LazyScorer.
//
// The scorer's additive groups are sorted by their segment-wide bound.
// The shortest prefix of groups whose bounds sum below the threshold is
// "non-essential": a document found only there cannot enter the top-k, so
// candidates come from the essential groups alone (a word's cursors; a
// phrase's or conjunction's intersection of its clauses' documents). Each candidate
// is then bounded by the block maxima of EVERY term at that document
// (shallow_advance, no decoding), combined as the query combines scores (sum
// for bool, max for dis_max); if that bound cannot beat the threshold, the
// candidate is not scored and the walk jumps past the end of the shortest of
// those blocks, since the same blocks, hence the same bound, cover every
// document up to it. Only candidates that survive are scored exactly, from
// the same cursors, so the scores are identical to exhaustive scoring.
#include "block_max.h"

#include "meridian/postings/bitmap_view.h"

#include <algorithm>
#include <cmath>

namespace meridian::query::plan {

namespace {

// Bounds are sums of doubles taken in another order than score()'s; a
// relative slack keeps a document whose exact score ties the bound.
constexpr double kSlack = 1 + 1e-9;

bool cannot_enter(double bound, double threshold) { return bound * kSlack < threshold; }

// A bound of a phrase's frequency from its k terms' frequencies: an exact
// phrase occurs at most min(tf) times, a sloppy one at most sum(tf) - k + 1
// times (sloppy_phrase_freq).
uint32_t phrase_freq_bound(uint32_t tf_sum, size_t k) {
  return tf_sum + 1 > k ? static_cast<uint32_t>(tf_sum + 1 - k) : 0;
}

}  // namespace

namespace {

// A phrase of one term per position (exact or sloppy), without a prefix last word.
bool single_term_phrase(const Node& n) {
  if (n.phrase_prefix) return false;
  for (const auto& slot : n.slots)
    if (slot.size() > 1) return false;
  return true;
}

}  // namespace

bool LazyScorer::supports(const Node& n) {
  switch (n.k) {
    case Node::K::kWord: case Node::K::kNone: return true;
    case Node::K::kPhrase: return single_term_phrase(n);
    case Node::K::kDisMax:
      return std::all_of(n.children.begin(), n.children.end(), supports);
    case Node::K::kBool:
      if (!n.filter.empty() || !n.must_not.empty()) return false;
      // A conjunction: must clauses only.
      if (!n.must.empty()) return n.should.empty() && n.msm == 0 && std::all_of(n.must.begin(), n.must.end(), supports);
      // A disjunction: msm must be exactly 1 (with 0, every document matches,
      // even outside the terms).
      return n.msm == 1 && std::all_of(n.should.begin(), n.should.end(), supports);
    default: return false;
  }
}

std::unique_ptr<LazyScorer> LazyScorer::build(SegmentEval& ev, bool phrases) {
  if (!supports(ev.c_.root)) return nullptr;
  auto d = std::make_unique<LazyScorer>();
  // Every term of the segment's TermStates at most: no Term (a cursor,
  // ~1.3 KB) is moved by the vector growing.
  size_t n = 0;
  for (const auto& ts : ev.terms_) n += ts.size();
  for (const auto& slots : ev.slots_)
    for (const auto& s : slots) n += s.size();
  d->terms_.reserve(n);
  uint32_t root = 0;
  if (!d->add(ev.c_.root, ev, phrases, &root)) return nullptr;
  d->node_value_.resize(d->nodes_.size());
  d->node_matched_.resize(d->nodes_.size());
  return d;
}

// Adds n's score node (its index in *node), its terms and its groups; false
// when n holds a phrase and phrases are not wanted.
bool LazyScorer::add(const Node& n, SegmentEval& ev, bool phrases, uint32_t* node, double scale) {
  ScoreNode sn;
  auto add_term = [&](const SegmentEval::TermState& ts, const columns::NormColumn* norms) {
    terms_.push_back(Term{ts.tp->cursor(), ts.w, norms, &*ts.tp});
    return static_cast<uint32_t>(terms_.size() - 1);
  };
  switch (n.k) {
    case Node::K::kWord: {
      sn.k = ScoreNode::K::kWord;
      const columns::NormColumn* norms = ev.sv_.segment->columns().norms(n.field);
      Group g;
      for (const auto& ts : ev.terms_[n.id]) {
        if (!ts->tp) continue;
        sn.items.push_back(add_term(*ts, norms));
        g.bound = std::max(g.bound, ts->w->bound(ts->tp->max_tf(), ts->tp->min_len()));
      }
      // A word's score is the largest of its terms': one group of one clause.
      g.bound *= scale;
      if (!sn.items.empty()) g.clauses.push_back(sn.items);
      if (!g.clauses.empty()) seal(std::move(g));
      break;
    }
    case Node::K::kPhrase: {
      if (!phrases) return false;
      sn.k = ScoreNode::K::kPhrase;
      sn.phrase = &n;
      const columns::NormColumn* norms = ev.sv_.segment->columns().norms(n.field);
      const auto& slots = ev.slots_[n.id];
      // A slot whose term is not in this segment: the phrase matches nothing here.
      if (std::any_of(slots.begin(), slots.end(), [](const auto& s) { return s.empty() || !s[0]->tp; })) break;
      uint32_t tf = UINT32_MAX, tf_sum = 0, len = 0;
      for (size_t i = 0, slot = 0; i < n.slots.size(); ++i) {
        if (n.slots[i].empty()) continue;  // stopword gap
        const auto& ts = *slots[slot++][0];
        sn.items.push_back(add_term(ts, norms));
        sn.offsets.push_back(static_cast<uint32_t>(i));
        // Every occurrence of the phrase takes a distinct position of each
        // term: its frequency is at most the smallest tf; its document's
        // length at least every term's smallest.
        tf = std::min(tf, ts.tp->max_tf());
        tf_sum += ts.tp->max_tf();
        len = std::max(len, ts.tp->min_len());
      }
      if (sn.items.empty()) break;
      has_phrase_ = true;
      if (n.slop > 0) tf = phrase_freq_bound(tf_sum, sn.items.size());
      // A match holds every term: one clause per term.
      Group g{n.phrase_bm25.upper_bound(tf, len) * scale, {}};
      for (uint32_t t : sn.items) g.clauses.push_back({t});
      seal(std::move(g));
      break;
    }
    case Node::K::kNone: sn.k = ScoreNode::K::kSum; break;  // scores 0, matches nothing
    default: {  // bool of must or of should clauses, dis_max (supports())
      const bool dis_max = n.k == Node::K::kDisMax;
      const bool all = !dis_max && !n.must.empty();
      sn.k = dis_max ? ScoreNode::K::kMax : all ? ScoreNode::K::kAnd : ScoreNode::K::kSum;
      sn.boost = n.boost;
      // A max of sums is at most their sum: every word is a group of its own
      // (merging a word's groups across a dis_max's fields would tighten
      // the sum of bounds but make the essential lists longer: measured slower).
      // A conjunction's children's groups become one group (conjoin).
      const size_t first = groups_.size();
      std::vector<size_t> ends;
      for (const auto& c : dis_max ? n.children : all ? n.must : n.should) {
        uint32_t child = 0;
        if (!add(c, ev, phrases, &child, scale * n.boost)) return false;
        sn.items.push_back(child);
        ends.push_back(groups_.size());
      }
      if (all) conjoin(first, ends);
      break;
    }
  }
  *node = static_cast<uint32_t>(nodes_.size());
  nodes_.push_back(std::move(sn));
  return true;
}

void LazyScorer::conjoin(size_t first, const std::vector<size_t>& child_ends) {
  Group g;
  size_t begin = first;
  for (size_t end : child_ends) {
    if (begin == end) {  // a child that matches nothing here: neither does the conjunction
      groups_.resize(first);
      return;
    }
    for (size_t i = begin; i < end; ++i) g.bound += groups_[i].bound;
    if (end - begin == 1) {
      // Every match of the child holds a term of each of its clauses.
      for (auto& c : groups_[begin].clauses) g.clauses.push_back(std::move(c));
    } else {
      // A match of the child is a match of one of its groups, so it holds a
      // term of one of their first clauses.
      std::vector<uint32_t> any;
      for (size_t i = begin; i < end; ++i) any.insert(any.end(), groups_[i].clauses[0].begin(), groups_[i].clauses[0].end());
      g.clauses.push_back(std::move(any));
    }
    begin = end;
  }
  groups_.resize(first);
  seal(std::move(g));
}

void LazyScorer::seal(Group g) {
  if (g.clauses.size() > 1) {
    // The intersection of the clauses' documents: roaring's AND beats
    // leapfrogging the cursors (measured when a cursor decoded every block it
    // entered). Two single terms (a two-word phrase, an AND of two words),
    // the common case, are intersected in place in their serialized bitmaps
    // (BitmapView: no containers built, SSE4.2 on two arrays).
    g.candidates = std::make_unique<Group::Candidates>();
    if (g.clauses.size() == 2 && g.clauses[0].size() == 1 && g.clauses[1].size() == 1) {
      const std::string_view a = terms_[g.clauses[0][0]].tp->serialized_docs();
      const std::string_view b = terms_[g.clauses[1][0]].tp->serialized_docs();
      postings::BitmapView va, vb;
      if (!a.empty() && !b.empty() && postings::BitmapView::parse(a, &va) && postings::BitmapView::parse(b, &vb)) {
        postings::BitmapView::intersect(va, vb, &g.candidates->docs);
        groups_.push_back(std::move(g));
        return;
      }
    }
    std::vector<postings::Bitmap> unions;  // of the clauses with several terms
    std::vector<const postings::Bitmap*> all;
    unions.reserve(g.clauses.size());
    for (const auto& c : g.clauses) {
      if (c.size() == 1) {
        all.push_back(&terms_[c[0]].tp->docs());
        continue;
      }
      std::vector<const postings::Bitmap*> parts;
      for (uint32_t t : c) parts.push_back(&terms_[t].tp->docs());
      unions.push_back(postings::Bitmap::or_many(parts));
      all.push_back(&unions.back());
    }
    g.candidates->docs = postings::Bitmap::and_many(all).to_vector();
  }
  groups_.push_back(std::move(g));
}

double LazyScorer::phrase_score(const ScoreNode& n, uint32_t doc, bool bound, bool* matched) {
  *matched = false;
  const size_t k = n.items.size();
  if (k == 0) return 0;
  pos_.resize(k);
  const int slop = n.phrase->slop;
  uint32_t freq = UINT32_MAX, freq_sum = 0;
  for (size_t i = 0; i < k; ++i) {
    Term& t = terms_[n.items[i]];
    if (t.cur.next_geq(doc) != doc) return 0;
    if (bound) {
      freq = std::min(freq, t.cur.freq());
      freq_sum += t.cur.freq();
      continue;
    }
    pos_[i] = t.cur.positions();  // valid while the cursor stays on doc
    if (pos_[i].empty()) return 0;
  }
  if (bound && slop > 0) freq = phrase_freq_bound(freq_sum, k);
  if (!bound)
    freq = slop == 0 ? exact_phrase_freq(std::span(pos_.data(), k), n.offsets, &at_)
                     : sloppy_phrase_freq(std::span(pos_.data(), k), n.offsets, slop, &at_, &used_);
  if (freq == 0) return 0;
  *matched = true;  // also when a boost of 0 makes it score 0
  const Term& t = terms_[n.items[0]];
  return n.phrase->phrase_bm25.score(freq, t.norms ? t.norms->length(doc) : 0);
}


// Nodes are stored children first (add() appends a node after its
// children), so one pass in order computes every node from its items; the
// root is the last node.
template <bool kBound>
double LazyScorer::evaluate(uint32_t doc, bool* matched) {
  // SegmentEval::score_node's arithmetic, in its order, on this scorer's cursors.
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const ScoreNode& n = nodes_[i];
    double s = 0;
    bool m = false;
    switch (n.k) {
      case ScoreNode::K::kWord: {
        uint32_t len = UINT32_MAX;
        for (uint32_t ti : n.items) {
          Term& t = terms_[ti];
          if (t.cur.next_geq(doc) != doc) continue;
          m = true;
          if (len == UINT32_MAX) len = t.norms ? t.norms->length(doc) : 0;
          s = std::max(s, t.w->score(t.cur.freq(), len));
        }
        break;
      }
      case ScoreNode::K::kPhrase:
        s = phrase_score(n, doc, kBound, &m);
        break;
      case ScoreNode::K::kSum:
        for (uint32_t c : n.items)
          if (node_matched_[c]) s += node_value_[c], m = true;
        break;
      case ScoreNode::K::kAnd:
        m = !n.items.empty();
        for (uint32_t c : n.items) {
          if (!node_matched_[c]) {
            m = false;
            break;
          }
          s += node_value_[c];
        }
        if (!m) s = 0;
        break;
      case ScoreNode::K::kMax:
        for (uint32_t c : n.items)
          if (node_matched_[c]) s = std::max(s, node_value_[c]), m = true;
        break;
    }
    if (n.boost != 1) s *= n.boost;
    node_value_[i] = s;
    node_matched_[i] = m;
  }
  *matched = node_matched_.back();
  return node_value_.back();
}

double LazyScorer::score(uint32_t doc, bool* matched) { return evaluate<false>(doc, matched); }

double LazyScorer::doc_bound(uint32_t doc) {
  bool matched = false;
  const double b = evaluate<true>(doc, &matched);
  return matched ? b : 0;
}

double LazyScorer::block_bound(uint32_t target, uint32_t* last) {
  for (Term& t : terms_) {
    t.cur.shallow_advance(target);
    const uint32_t block_last = t.cur.block_last_doc();
    *last = std::min(*last, block_last);
    if (block_last != t.block_last || block_last == postings::PostingCursor::kEnd) {
      t.block_last = block_last;
      t.block_tf = t.cur.block_max_tf();
      t.block_len = t.cur.block_min_len();
      t.bound_value = t.w->bound(t.block_tf, t.block_len);
    }
  }
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const ScoreNode& n = nodes_[i];
    double b = 0;
    switch (n.k) {
      case ScoreNode::K::kWord:
        for (uint32_t t : n.items) b = std::max(b, terms_[t].bound_value);
        break;
      case ScoreNode::K::kPhrase: {
        if (n.items.empty()) break;
        uint32_t tf = UINT32_MAX, tf_sum = 0, len = 0;
        for (uint32_t t : n.items) {
          tf = std::min(tf, terms_[t].block_tf);
          tf_sum += terms_[t].block_tf;
          len = std::max(len, terms_[t].block_len);
        }
        if (n.phrase->slop > 0 && tf > 0) tf = phrase_freq_bound(tf_sum, n.items.size());
        b = n.phrase->phrase_bm25.upper_bound(tf, len);
        break;
      }
      case ScoreNode::K::kSum: case ScoreNode::K::kAnd:
        for (uint32_t c : n.items) b += node_value_[c];
        break;
      case ScoreNode::K::kMax:
        for (uint32_t c : n.items) b = std::max(b, node_value_[c]);
        break;
    }
    if (n.boost != 1) b *= n.boost;
    node_value_[i] = b;
  }
  return node_value_.back();
}

uint64_t max_score(LazyScorer& dj, const std::function<bool(uint32_t)>* admit,
                   const std::function<double()>& threshold, const std::function<void(uint32_t, double)>& offer) {
  using postings::PostingCursor;
  uint64_t scored = 0;
  auto& groups = dj.groups();
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
    for (size_t g = essential; g < groups.size(); ++g) cand = std::min(cand, dj.next(groups[g], doc));
    if (cand == PostingCursor::kEnd) break;
    if (!have_bound || cand > last) {
      last = PostingCursor::kEnd;
      bound = dj.block_bound(cand, &last);
      have_bound = true;
    }
    if (cannot_enter(bound, th)) {
      // Nothing in [cand, last] can enter: the blocks (and bound) are the same there.
      if (last == PostingCursor::kEnd) break;
      doc = last + 1;
      continue;
    }
    // With a phrase, a bound from the terms' frequencies first: it spares
    // reading positions of a document that cannot enter (once there is a
    // threshold: until the top-k is full every match enters).
    if ((!admit || (*admit)(cand)) &&
        !(dj.has_phrase() && th != -INFINITY && cannot_enter(dj.doc_bound(cand), th))) {
      bool matched = false;
      const double s = dj.score(cand, &matched);
      if (matched) {
        offer(cand, s);
        ++scored;
      }
    }
    if (cand == PostingCursor::kEnd - 1) break;
    doc = cand + 1;
  }
  return scored;
}

uint64_t collect_top_k(SegmentEval& ev, const postings::Bitmap& match, bool match_is_query, bool exhaustive,
                       const std::function<double()>& threshold,
                       const std::function<void(uint32_t, double)>& offer) {
  std::unique_ptr<LazyScorer> dj = exhaustive ? nullptr : LazyScorer::build(ev, false);
  if (!dj) {
    uint64_t scored = 0;
    match.for_each([&](uint32_t d) {
      offer(d, ev.score(d));
      ++scored;
      return true;
    });
    return scored;
  }
  const std::function<bool(uint32_t)> in_match = [&](uint32_t d) { return match.contains(d); };
  return max_score(*dj, match_is_query ? nullptr : &in_match, threshold, offer);
}

}  // namespace meridian::query::plan
