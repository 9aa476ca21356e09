// Internal to the query module: a Query compiled against a Snapshot (words
// analyzed, fuzzy/prefix words expanded over every segment's dictionary, BM25
// weights with index-wide statistics), and its per-segment evaluation
// (bitmaps of matching documents, scores of matching documents).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "meridian/index/snapshot.h"
#include "meridian/postings/bitmap.h"
#include "meridian/query/ast.h"
#include "meridian/scoring/bm25.h"

namespace meridian::query::plan {

struct WeightedTerm {
  std::string key;    // full term key
  double mult = 1;    // 1 exact, 1/(1+edits) fuzzy, 0.9 prefix
  scoring::Bm25 bm25;
};

struct Node {
  enum class K { kAll, kNone, kWord, kPhrase, kLeaf, kBool, kDisMax, kConst };
  K k = K::kNone;
  int id = 0;  // index into per-segment state
  double boost = 1;
  std::string field;                               // word, phrase: norms field
  std::vector<WeightedTerm> terms;                 // word: alternatives (score = max)
  std::vector<std::vector<WeightedTerm>> slots;    // phrase: alternatives per position
  double phrase_idf = 0;                           // phrase: summed idf weight
  scoring::Bm25 phrase_bm25;                       // phrase: weight over phrase frequency
  int slop = 0;
  std::shared_ptr<const Query> leaf;               // kLeaf: evaluated per segment
  std::vector<Node> must, should, must_not, filter;  // kBool
  int msm = 0;                                       // kBool: should clauses required
  std::vector<Node> children;                        // kDisMax, kConst (one child)
};

struct Compiled {
  Node root;
  int num_nodes = 0;
  // field -> normalized terms the query matched (for highlighting).
  std::vector<std::pair<std::string, std::string>> highlight_terms;
};

struct CompileOptions {
  scoring::Bm25Params bm25;
  size_t max_expansions = 50;
};

Result<Compiled> compile(const index::Snapshot& snap, const Query& q, const CompileOptions& opt);

// Evaluation of a compiled query over one segment.
class SegmentEval {
 public:
  SegmentEval(const index::Snapshot& snap, size_t seg_index, const Compiled& c);
  ~SegmentEval();
  // Bitmaps of every node (deletes NOT removed). Must be called first.
  Status prepare();
  const postings::Bitmap& docs() const { return bitmaps_[c_.root.id]; }
  // Score of a matching document; docs must be asked in increasing order.
  double score(uint32_t doc);
  Json explain(uint32_t doc);
  // MaxScore groups: for each word of a pure disjunction, its term cursors
  // and its score bound in this segment. Empty when the query is not one.
  struct Group {
    double bound = 0;
    std::vector<postings::PostingCursor> cursors;
  };
  std::vector<Group> groups();

 private:
  struct TermState;
  Status build(const Node& n);
  double score_node(const Node& n, uint32_t doc);
  Json explain_node(const Node& n, uint32_t doc);
  bool collect_groups(const Node& n, std::vector<Group>* out);
  uint32_t phrase_freq(const Node& n, uint32_t doc);
  uint32_t norm(const std::string& field, uint32_t doc);

  const index::Snapshot& snap_;
  const index::SegmentView& sv_;
  const Compiled& c_;
  std::vector<postings::Bitmap> bitmaps_;
  std::vector<std::vector<std::unique_ptr<TermState>>> terms_;              // per word node
  std::vector<std::vector<std::vector<std::unique_ptr<TermState>>>> slots_;  // per phrase node
};

// Bitmap of a leaf query (term-free filters: range, exists, ids, prefix,
// wildcard, regexp, geo) over one segment.
Result<postings::Bitmap> eval_leaf(const index::Snapshot& snap, const index::Segment& seg, const Query& q);

}  // namespace meridian::query::plan
