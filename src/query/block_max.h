// Internal to the query module: top-k by score over one segment, and the
// lazy scorer it runs on (block-max MaxScore).
//
// A query runs lazily when it is built from words and phrases (one term
// per position) by disjunctions (a bool of should clauses with
// minimum_should_match 1, a dis_max) and conjunctions (a bool of must
// clauses only), nested in any way, with boosts only on the words. For such a query `LazyScorer` has one
// cursor per term (opened fresh, independent of the SegmentEval's own), the
// query's score computed from those cursors by a small tree mirroring the
// query (sum for bool, max for dis_max and for a word's alternatives), block
// bounds computed by the same tree, and the additive groups MaxScore
// partitions into essential and non-essential. A phrase or a conjunction is
// one group whose candidates are the roaring AND of its clauses' document
// bitmaps (the terms' own, read with their postings). No bitmap of the
// query is built from its nodes: the documents come from the cursors and
// those intersections.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "meridian/columns/column_views.h"
#include "meridian/postings/bitmap.h"
#include "meridian/postings/posting_cursor.h"
#include "plan.h"

namespace meridian::query::plan {

class LazyScorer {
 public:
  // Whether a compiled query runs as a LazyScorer: a word; a phrase (exact
  // or sloppy) of one term per position; a bool of should clauses with
  // minimum_should_match 1, a bool of must clauses only, or a dis_max,
  // boost 1, of such nodes.
  static bool supports(const Node& root);
  // The scorer of ev's query over its segment; null when supports() is
  // false, or the query holds a phrase and `phrases` is false. `ev` must
  // have its terms opened (prepare() or open_terms()).
  static std::unique_ptr<LazyScorer> build(SegmentEval& ev, bool phrases);

  // The query's score of `doc`, equal to SegmentEval::score() for a matching
  // document; *matched says whether it matches (a document of a phrase's
  // first term may not hold the phrase). Docs in increasing order.
  double score(uint32_t doc, bool* matched);
  // Bound of the score of every document in [target, *last] (*last lowered
  // to the end of the shortest block the cursors' shallow_advance(target)
  // reached).
  double block_bound(uint32_t target, uint32_t* last);

  // An additive group: the score of any document is at most the sum over
  // groups of their bounds' values at it. Every match of the group holds a
  // term of each of its clauses (a word: one clause, all its terms; a phrase:
  // one clause per term; a conjunction: its children's clauses).
  struct Group {
    double bound = 0;                            // segment-wide
    std::vector<std::vector<uint32_t>> clauses;  // indices of terms
    // With several clauses (set by seal()): the intersection of their
    // documents, walked in order.
    struct Candidates {
      std::vector<uint32_t> docs;
      size_t at = 0;  // the first not below the last next()
    };
    std::unique_ptr<Candidates> candidates;
  };
  std::vector<Group>& groups() { return groups_; }
  // The group's first possible match >= doc (kEnd: none).
  uint32_t next(const Group& g, uint32_t doc) {
    if (g.candidates) {
      // Mostly called with the last candidate + 1: one step, not a search.
      auto& c = *g.candidates;
      const size_t n = c.docs.size();
      if (c.at < n && c.docs[c.at] < doc && ++c.at < n && c.docs[c.at] < doc)
        c.at = static_cast<size_t>(std::lower_bound(c.docs.begin() + static_cast<std::ptrdiff_t>(c.at), c.docs.end(), doc) -
                                   c.docs.begin());
      return c.at < n ? c.docs[c.at] : postings::PostingCursor::kEnd;
    }
    return next_in(g.clauses[0], doc);
  }
  // Whether any node is a phrase: doc_bound() is then worth asking before score().
  bool has_phrase() const { return has_phrase_; }
  // A bound of score(doc) read without positions: a phrase counts as if it
  // occurred min(tf of its terms) times. 0 when doc cannot match.
  double doc_bound(uint32_t doc);

 private:
  struct Term {
    postings::PostingCursor cur;
    const WeightedTerm* w = nullptr;
    const columns::NormColumn* norms = nullptr;  // null: length 0
    const postings::TermPostings* tp = nullptr;  // the term's postings in the segment (its documents)
    // The block whose bounds are cached (by its last document), its max tf
    // and min length, and w's bound there.
    uint32_t block_last = postings::PostingCursor::kEnd;
    uint32_t block_tf = 0, block_len = 0;
    double bound_value = 0;
  };
  struct ScoreNode {
    enum class K { kWord, kPhrase, kSum, kAnd, kMax } k = K::kWord;
    // kWord: terms; kPhrase: one term per slot; kSum, kAnd, kMax: child nodes
    std::vector<uint32_t> items;
    const Node* phrase = nullptr;  // kPhrase: its weight
    std::vector<uint32_t> offsets;  // kPhrase: each item's position in the phrase
    double boost = 1;               // kSum, kAnd, kMax: the bool's or dis_max's, times the combined score
  };
  // `scale`: the product of n's ancestors' boosts, which scale the bounds of
  // n's groups (a group's bound is what it can add to the root's score).
  bool add(const Node& n, SegmentEval& ev, bool phrases, uint32_t* node, double scale = 1);
  // A phrase node's score of doc, and whether it occurs there (*matched);
  // with `bound`, its bound from the terms' tf (and whether they all hold doc).
  double phrase_score(const ScoreNode& n, uint32_t doc, bool bound, bool* matched);
  // The first document >= doc of any of the clause's terms.
  uint32_t next_in(const std::vector<uint32_t>& clause, uint32_t doc) {
    if (clause.size() == 1) return terms_[clause[0]].cur.next_geq(doc);
    uint32_t c = postings::PostingCursor::kEnd;
    for (uint32_t t : clause) c = std::min(c, terms_[t].cur.next_geq(doc));
    return c;
  }
  // Adds g to the groups, with its candidates when it has several clauses.
  void seal(Group g);
  // A conjunction's group from the groups its children added (from `first` on).
  void conjoin(size_t first, const std::vector<size_t>& child_ends);
  // score() and doc_bound(): one pass over the nodes.
  template <bool kBound>
  double evaluate(uint32_t doc, bool* matched);
  bool has_phrase_ = false;

  std::vector<Term> terms_;
  std::vector<ScoreNode> nodes_;  // children before parents; the root last
  std::vector<Group> groups_;
  std::vector<double> node_value_;  // score()'s and block_bound()'s per-node values
  std::vector<char> node_matched_;  // score()'s per-node match
  std::vector<std::span<const uint32_t>> pos_;  // phrase_score scratch
  std::vector<size_t> at_;
  std::vector<uint32_t> used_;
};

// Block-max MaxScore over a LazyScorer: offers every document that could
// enter the top-k given threshold() (see collect_top_k) and that `admit`
// accepts (null: every match), with its exact score. Returns the number of
// documents scored and offered.
uint64_t max_score(LazyScorer& dj, const std::function<bool(uint32_t)>* admit,
                   const std::function<double()>& threshold, const std::function<void(uint32_t, double)>& offer);

// Top-k over one segment. Offers to `offer` every document of `match` that
// could enter the top-k given `threshold()` (the score a new document must
// beat; ties never enter since documents come in increasing order), with its
// exact score(). A query with a LazyScorer (supports()) runs block-max
// MaxScore over it: its documents come from the terms' cursors and are checked
// against `match` only when `match_is_query` is false (filters or deletes
// narrowed it). Anything else, or `exhaustive`, scores every document of
// `match`. Returns the number of documents scored.
uint64_t collect_top_k(SegmentEval& ev, const postings::Bitmap& match, bool match_is_query, bool exhaustive,
                       const std::function<double()>& threshold,
                       const std::function<void(uint32_t, double)>& offer);

}  // namespace meridian::query::plan
