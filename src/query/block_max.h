// Internal to the query module: top-k by score over one segment, and the
// scorer it runs on for a pure disjunction (block-max MaxScore).
//
// A pure disjunction is a word, a bool of should clauses with
// minimum_should_match 1, a dis_max, or any nesting of them in which only
// the words carry a boost. For such a query `Disjunction` is the lazy
// scorer: one cursor per term (opened fresh, independent of the
// SegmentEval's own), the query's score computed from those cursors by a
// small tree mirroring the query (sum for bool, max for dis_max and for a
// word's alternatives), block bounds computed by the same tree, and the
// additive groups MaxScore partitions into essential and non-essential. No
// bitmap of the query is read: the documents come from the cursors.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "meridian/columns/column_views.h"
#include "meridian/postings/bitmap.h"
#include "meridian/postings/posting_cursor.h"
#include "plan.h"

namespace meridian::query::plan {

class Disjunction {
 public:
  // The disjunction of ev's query over its segment; null when the query is
  // not a pure disjunction. `ev` must be prepared (its terms opened).
  static std::unique_ptr<Disjunction> build(SegmentEval& ev);

  // The query's score of `doc` (0 when no term holds it), equal to
  // SegmentEval::score() for a matching document. Docs in increasing order.
  double score(uint32_t doc);
  // Bound of the score of every document in [target, *last] (*last lowered
  // to the end of the shortest block the cursors' shallow_advance(target)
  // reached).
  double block_bound(uint32_t target, uint32_t* last);

  // An additive group: the score of any document is at most the sum over
  // groups of the largest score one of the group's terms gives it.
  struct Group {
    double bound = 0;             // segment-wide bound of the group's terms
    std::vector<uint32_t> terms;  // indices into terms_
  };
  std::vector<Group>& groups() { return groups_; }
  postings::PostingCursor& cursor(uint32_t term) { return terms_[term].cur; }

 private:
  struct Term {
    postings::PostingCursor cur;
    const WeightedTerm* w = nullptr;
    const columns::NormColumn* norms = nullptr;  // null: length 0
    double bound = 0;                            // segment-wide
    uint32_t bound_last = postings::PostingCursor::kEnd;  // the block whose bound is cached
    double bound_value = 0;
  };
  struct ScoreNode {
    enum class K { kWord, kSum, kMax } k = K::kWord;
    std::vector<uint32_t> items;  // kWord: terms; kSum, kMax: child nodes
  };
  bool add(const Node& n, SegmentEval& ev, uint32_t* node);

  std::vector<Term> terms_;
  std::vector<ScoreNode> nodes_;  // children before parents; the root last
  std::vector<Group> groups_;
  std::vector<double> node_value_;  // score()'s and block_bound()'s per-node values
};

// Top-k over one segment. Offers to `offer` every document of `match` that
// could enter the top-k given `threshold()` (the score a new document must
// beat; ties never enter since documents come in increasing order), with its
// exact score(). Pure disjunctions use block-max MaxScore over a
// Disjunction: its documents come from the terms' cursors and are checked
// against `match` only when `match_is_query` is false (filters or deletes
// narrowed it). Anything else, or `exhaustive`, scores every document of
// `match`. Returns the number of documents scored.
uint64_t collect_top_k(SegmentEval& ev, const postings::Bitmap& match, bool match_is_query, bool exhaustive,
                       const std::function<double()>& threshold,
                       const std::function<void(uint32_t, double)>& offer);

}  // namespace meridian::query::plan
