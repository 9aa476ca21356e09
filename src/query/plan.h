// Internal to the query module: a Query compiled against a Snapshot (words
// analyzed, fuzzy/prefix words expanded over every segment's dictionary, BM25
// weights with index-wide statistics), and its per-segment evaluation
// (bitmaps of matching documents, scores of matching documents).
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <span>
#include <vector>

#include "meridian/geo/shape.h"
#include "meridian/index/snapshot.h"
#include "meridian/postings/bitmap.h"
#include "meridian/postings/posting_cursor.h"
#include "meridian/query/ast.h"
#include "meridian/scoring/bm25.h"
#include "meridian/termdict/automaton.h"
#include "meridian/termdict/levenshtein.h"

namespace meridian::query::plan {

// One term of a word. A word with expansions (fuzzy, prefix) scores in tiers:
// every alternative shares one idf (Lucene's blended: the largest df among
// them) and alternative of tier r out of L tiers scores
//   tier_base + tier_scale * bm25(tf, len),  tier_base = B * (L-1-r) / L,
//   tier_scale = 1 / L,  B = boost * idf * (k1 + 1) (the supremum of bm25),
// so for the same word exact > prefix > 1 edit > 2 edits whatever tf or
// length. A word without expansions scores plain bm25 (base 0, scale 1).
struct WeightedTerm {
  std::string key;    // full term key
  int tier = 0;       // 0 exact, 1 prefix expansion, 1 + edits for fuzzy ones
  // For the ranking rules, when the term was reached through a typo or a
  // completion: the surface words that reached it, as (word-docs key, tier)
  // (index/surface_words.h, "Word postings"). A document of the term ranks
  // at the best tier of the words it holds, or after every typo when it
  // holds none of them (only other words of the stem). Empty: every
  // document at `tier`.
  std::vector<std::pair<std::string, int>> words;
  double tier_base = 0;
  double tier_scale = 1;
  // No segment of the snapshot the query was compiled against holds the
  // term (CompileOptions::skip_absent_terms): SegmentEval opens it as a term
  // of no document without looking it up.
  bool absent = false;
  // With skip_absent_terms too: each segment's dictionary lookup of the
  // term, made while counting its documents (Snapshot::local_doc_freq), so
  // that SegmentEval opens its postings without a second lookup. Empty, or
  // nullopt for a segment, when not known: it is then looked up by key.
  std::vector<std::optional<index::Segment::TermRef>> refs;
  scoring::Bm25 bm25;
  double score(uint32_t tf, uint32_t len) const { return tier_base + tier_scale * bm25.score(tf, len); }
  // Bound for any document with tf <= max_tf and len >= min_len (0 when max_tf is 0).
  double bound(uint32_t max_tf, uint32_t min_len) const {
    return max_tf == 0 ? 0 : std::max(0.0, tier_base + tier_scale * bm25.upper_bound(max_tf, min_len));
  }
};

// A word's fuzzy/prefix alternatives, found in each segment's dictionary
// when it is evaluated instead of across the snapshot at compile time
// (CompileOptions::per_segment_expansions): a query compiled once and
// evaluated against many one-document segments (live queries). The
// automata are built once, at compile time.
struct PreparedWord;  // word_expansion.h

struct DeferredWord {
  std::string token;                       // the analysed word (alternative 0)
  // Expanded in each segment as a search expands it across the snapshot
  // (surface words when the segment has them).
  std::shared_ptr<const PreparedWord> word;
  size_t max_expansions = 0;
  double boost = 1;
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
  // kLeaf: what compile() built once for it, so that no segment rebuilds
  // it: the automaton of a prefix/wildcard/regexp, the shape of a geo query
  // (null: built per segment).
  std::shared_ptr<const termdict::Automaton> leaf_automaton;
  std::shared_ptr<const geo::Shape> leaf_shape;
  std::shared_ptr<const DeferredWord> deferred;   // kWord: alternatives found per segment
  // kPhrase with a prefix last word, expansions found per segment: the
  // completion automaton of the last slot and how many completions to keep.
  std::shared_ptr<const termdict::Automaton> phrase_prefix;
  size_t phrase_prefix_limit = 0;
  std::vector<Node> must, should, must_not, filter;  // kBool
  int msm = 0;                                       // kBool: should clauses required
  std::vector<Node> children;                        // kDisMax, kConst (one child)
  // kWord, kPhrase of a q search: the q words [q_first, q_first + q_count)
  // it stands for (the ranking rules, SegmentEval::rank). -1: none.
  int q_first = -1;
  int q_count = 0;
  int q_extra_typos = 0;  // added to the typos of its matches (split, concatenation)
  // Scores 0 on every doc outside its bitmap, so a parent may skip the
  // membership test: a word (its cursors say so), a phrase (its kept
  // frequencies), a dis_max or a pure disjunction of such nodes. Set by compile.
  bool zero_outside = false;
};

struct Compiled {
  Node root;
  int num_nodes = 0;
  scoring::Bm25Params bm25;          // from CompileOptions, for per-segment expansions
  size_t max_pattern_terms = 10000;  // from CompileOptions, for eval_leaf
  // field -> normalized terms the query matched (for highlighting).
  std::vector<std::pair<std::string, std::string>> highlight_terms;
  // Ranking rules (SegmentEval::rank): the `attribute` rank of each field a
  // q search searched (0 the best); a field not listed ranks after them all.
  std::map<std::string, int> attribute_rank;
};

struct CompileOptions {
  scoring::Bm25Params bm25;
  size_t max_expansions = 50;        // fuzzy/prefix words: expansions kept (the rest dropped, as ES)
  size_t max_pattern_terms = 10000;  // prefix/wildcard/regexp queries: more terms in one segment is an error
  // Leave fuzzy/prefix expansions to each segment (Node::deferred,
  // Node::phrase_prefix): for a query compiled once against an empty
  // snapshot of the schema and evaluated against many segments that did
  // not exist at compile time (query/live_query.h).
  bool per_segment_expansions = false;
  // The query is evaluated only against the snapshot it is compiled against
  // (a search; not a live query): a term of a word, phrase or term query
  // that no segment holds (document frequency 0 in each, counted by the
  // snapshot itself: no index-wide statistics, nothing recorded) is marked
  // WeightedTerm::absent, so that no segment looks it up again.
  bool skip_absent_terms = false;
};

// The surface words through which a word reached each stem: stem -> word
// -> edits or kPrefix (the fewest edits, a completion before a typo).
using FoundWords = std::map<std::string, std::map<std::string, int>>;

// The tier of a term reached with `found` edits or kPrefix / kLatePrefix /
// kStemOnly (word_expansion.h): 0 exact, 1 a completion, 1 + edits, then
// kLateTier for a misspelt word's completions and a non-word's stem.
inline constexpr int kLateTier = 2 + termdict::kMaxLevenshteinEdits;
int tier_of(int found);

// The alternatives of a word (see WeightedTerm): `token` first, then the
// terms of `found` (term -> edits, -1 for a prefix completion) other than
// token, fewest edits first, at most max_exp of them, tiered with one shared
// idf over `snap`; `words` (optional) gives each the words that reached it.
// Appends every term to *highlight when given. With skip_absent, the terms
// no segment of snap holds are marked absent (CompileOptions::skip_absent_terms).
std::vector<WeightedTerm> word_terms(const index::Snapshot& snap, const scoring::Bm25Params& bm25,
                                     const std::string& field, const std::string& token,
                                     std::map<std::string, int> found, const FoundWords* words, size_t max_exp,
                                     double boost, std::vector<std::pair<std::string, std::string>>* highlight,
                                     bool skip_absent = false);

// snap.doc_freq(key); with skip_absent, *absent says whether no segment of
// snap holds the key, when snap counts with its own segments (no index-wide
// statistics, nothing recorded) and every segment answered (else false),
// and *refs (when given) gets each segment's lookup of it (WeightedTerm::refs).
uint64_t term_doc_freq(const index::Snapshot& snap, std::string_view key, bool skip_absent, bool* absent,
                       std::vector<std::optional<index::Segment::TermRef>>* refs = nullptr);

// Terms of `field` in one segment accepted by `a` (at most `limit` of them, in term order):
// term -> match value (the edits of a Levenshtein automaton), the smallest
// kept when *out already has the term.
Status expand_terms(const index::Segment& seg, const std::string& field, const termdict::Automaton& a, size_t limit,
                    std::map<std::string, int>* out);

Result<Compiled> compile(const index::Snapshot& snap, const Query& q, const CompileOptions& opt);
// The same into *out (a fresh Compiled), not moved through a Result: a
// Node is large to move.
Status compile(const index::Snapshot& snap, const Query& q, const CompileOptions& opt, Compiled* out);

// Evaluation of a compiled query over one segment.
class SegmentEval {
 public:
  SegmentEval(const index::Snapshot& snap, size_t seg_index, const Compiled& c);
  ~SegmentEval();
  // Bitmaps of every node (deletes NOT removed). Must be called first.
  // With materialize_all = false a match_all root is left unbuilt (docs()
  // is then empty): for a caller that intersects it with filters anyway.
  Status prepare(bool materialize_all = true);
  // Instead of prepare(), for a query that runs as a LazyScorer
  // (block_max.h) with no count asked: opens the words' and phrases' terms
  // without cursors (the LazyScorer opens its own) and builds no bitmap
  // (docs() stays empty; score(), explain() and rank() must not be asked).
  Status open_terms();
  const postings::Bitmap& docs() const { return bitmaps_[c_.root.id]; }
  bool matches_all() const { return c_.root.k == Node::K::kAll; }
  // The score every match gets when it does not depend on the document (a
  // match_all, a filter-like leaf or a constant_score root: its boost), else
  // nullopt. The same in every segment of a search.
  std::optional<double> constant_score() const {
    const Node& r = c_.root;
    if (r.k == Node::K::kAll || r.k == Node::K::kLeaf || r.k == Node::K::kConst) return r.boost;
    return std::nullopt;
  }
  // Moves the root's bitmap out (docs() is empty afterwards).
  postings::Bitmap take_docs() { return std::move(bitmaps_[c_.root.id]); }
  // A filter's documents in one segment (deletes NOT removed): what
  // prepare() then take_docs() give, without the per-node state when the
  // filter is one leaf (a geo shape, a range, a term...), which eval_leaf
  // answers alone.
  static Result<postings::Bitmap> filter_docs(const index::Snapshot& snap, size_t seg_index, const Compiled& c);
  // Score of a matching document; docs must be asked in increasing order.
  double score(uint32_t doc);
  Json explain(uint32_t doc);

  // The ranking-rule values of a matching document of a q search, from its
  // word and phrase nodes tagged with q words (docs/QUERY.md "Ranking
  // rules"). Proximity (the one that reads positions) only when asked.
  // Docs must be asked in increasing order (like score(); both may be asked
  // for the same doc, in either order).
  struct RankValues {
    int words = 0;      // q words matched
    int typo = 0;       // sum of the matched words' fewest typos
    int proximity = 0;  // sum of the distance costs of consecutive matched words
    int attribute = 0;  // sum of the matched words' best attribute ranks
    int exactness = 0;  // matched words matched exactly (as typed or by stem)
  };
  void rank(uint32_t doc, bool proximity, RankValues* out);

 private:
  friend class LazyScorer;  // block_max.h: reads the opened terms
  struct TermState {
    const WeightedTerm* w = nullptr;
    std::optional<postings::TermPostings> tp;
    // On the heap: a cursor holds a block of documents and tfs (~1.3 KB), and
    // the lazy path (open_terms()) opens none.
    std::unique_ptr<postings::PostingCursor> cur;
    // rank(): how this segment tells the words of the term's documents apart
    // (WeightedTerm::words), settled on first use: kStem (no word postings:
    // the term's tier), kOne (the stem's one word here: every document at
    // one_tier), kPostings (word_docs), or unset.
    enum class Words { kUnset, kStem, kOne, kPostings } words = Words::kUnset;
    int one_tier = 0;
    std::vector<std::pair<int, postings::TermPostings>> word_docs;  // (tier, documents)
  };
  // The tier of a matching document of ts's term (WeightedTerm::words).
  int doc_tier(TermState& ts, uint32_t doc);
  void open_words(TermState& ts);
  // rank()'s per-document state, reused across documents.
  struct RankScratch {
    struct Word {
      bool matched = false;
      int typo = 0, attribute = 0;
      bool exact = false;
      // (field, positions) of the word's matching terms, per field.
      std::vector<std::pair<const std::string*, std::vector<uint32_t>>> positions;
    };
    std::vector<Word> words;
    std::vector<uint32_t> pos;  // one word node's positions in the document
    std::vector<int> node_attribute;  // per node id: its field's attribute rank, -1 unknown yet
    // The documents whose words have postings (index/surface_words.h).
    bool marker_open = false;
    std::optional<postings::TermPostings> word_docs_marker;
  };
  std::unique_ptr<RankScratch> rank_;
  void rank_node(const Node& n, uint32_t doc, bool proximity);
  Status build(const Node& n);
  Result<std::unique_ptr<TermState>> open_term(const WeightedTerm& w);
  Status open_node(const Node& n);
  double score_node(const Node& n, uint32_t doc);
  Json explain_node(const Node& n, uint32_t doc);
  uint32_t phrase_freq(const Node& n, uint32_t doc);
  uint32_t norm(const std::string& field, uint32_t doc);

  const index::Snapshot& snap_;
  const size_t seg_index_;
  const index::SegmentView& sv_;
  const Compiled& c_;
  bool lazy_ = false;  // opened by open_terms(): TermStates without cursors
  std::vector<postings::Bitmap> bitmaps_;
  std::vector<std::vector<std::unique_ptr<TermState>>> terms_;              // per word node
  std::vector<std::vector<std::vector<std::unique_ptr<TermState>>>> slots_;  // per phrase node
  // phrase_freq scratch, reused across documents (no allocation per call).
  // Per phrase node: its matching docs (ascending) and phrase frequencies,
  // found once by prepare() and read back when scoring.
  std::vector<std::vector<uint32_t>> ph_docs_, ph_freqs_;
  std::vector<std::vector<uint32_t>> ph_pos_;
  std::vector<std::span<const uint32_t>> ph_span_;
  std::vector<uint32_t> ph_off_, ph_used_;
  std::vector<size_t> ph_at_;
  // Per node: the alternatives found in this segment for a deferred word
  // or phrase prefix (TermStates point into them; sized on first use, never
  // grown).
  std::vector<std::vector<WeightedTerm>> expanded_;
  Status expand_status_;  // the first failed per-segment expansion walk
  // n's alternatives in this segment (a deferred word; a phrase's prefix last slot), kept in expanded_.
  const std::vector<WeightedTerm>& expand_here(const Node& n);
};


// The frequency of an exact phrase (slop 0) in one document: the starts v
// where every slot i has a position v + off[i]. pos[i] is slot i's
// positions, ascending; offsets are distinct. *at is scratch.
uint32_t exact_phrase_freq(std::span<const std::span<const uint32_t>> pos, std::span<const uint32_t> off,
                           std::vector<size_t>* at);
// The frequency of a sloppy phrase (slop > 0), Lucene's: the configurations,
// one position per slot, met by a sweep that always advances the slot of the
// smallest position - offset, where max - min of those is at most `slop` and
// no two slots share a position. Every pos[i] non-empty. It is at most
// sum(|pos[i]|) - k + 1 (each step advances one slot; the sweep ends when
// one runs out). *at and *used are scratch.
uint32_t sloppy_phrase_freq(std::span<const std::span<const uint32_t>> pos, std::span<const uint32_t> off, int slop,
                            std::vector<size_t>* at, std::vector<uint32_t>* used);

// Bitmap of a leaf query (term-free filters: range, exists, ids, prefix,
// wildcard, regexp, geo) over one segment.
// Prefix/wildcard/regexp walks fail with Status::invalid past max_pattern_terms terms.
Result<postings::Bitmap> eval_leaf(const index::Snapshot& snap, const index::Segment& seg, const Query& q,
                                   size_t max_pattern_terms = 10000);
// The shape of a geo query (geo_distance, geo_bounding_box, geo_polygon,
// geohash_cell); errors name the query kind.
Result<geo::Shape> leaf_shape(const Query& q);
// The same for a kLeaf node, with the automaton or shape compile() built.
Result<postings::Bitmap> eval_leaf(const index::Snapshot& snap, const index::Segment& seg, const Node& n,
                                   size_t max_pattern_terms);

}  // namespace meridian::query::plan
