// Internal to the query module: the alternatives of one word of a match or
// fuzzy query over a snapshot (typo tolerance, docs/QUERY.md).
//
// On a text field, fuzzy and prefix expansion run over each segment's
// surface words (index/surface_words.h): the Levenshtein automaton of the
// word as typed (folded, not stemmed) and its prefix automaton walk the
// field's words; every word found stands for its stem, with the smallest
// edit distance of the words that map to that stem. On a segment without
// surface words (written before they existed) and on keyword fields, the
// walks run over the terms themselves (the stem and the unstemmed form).
//
// Stateless; safe from any thread; the snapshot must outlive the call.
#pragma once

#include <cstddef>
#include <map>
#include <string>

#include "meridian/base/status.h"
#include "meridian/index/snapshot.h"
#include "meridian/query/ast.h"
#include "meridian/termdict/automaton.h"
#include "plan.h"

namespace meridian::query::plan {

// found values: edits (>= 0), a prefix completion (kPrefix, ranked above
// typos), or a completion of a misspelt last word (kLatePrefix, ranked below
// typos: the whole words within the typo budget come first), or the token's
// own stem reached only through the stemmer (kStemOnly: the word as typed is
// no word of the field and no word of that stem is within the typo budget,
// as "durring" -> stem "dur"; ranked with kLatePrefix, after every typo).
inline constexpr int kPrefix = -1;
inline constexpr int kLatePrefix = -2;
inline constexpr int kStemOnly = -3;

struct WordToExpand {
  std::string field;
  bool text = true;        // a text field (else: no surface words, walk the terms)
  std::string token;       // the analysed word: its term (stem)
  std::string surface;     // the word as typed, folded, not stemmed ("" = token)
  Fuzziness fuzziness;
  int prefix_length = 0;
  bool transpositions = true;
  bool prefix = false;     // the last word of a search-as-you-type query
  size_t max_expansions = 50;
};

// Terms of w.field that the word reaches: term -> edits or kPrefix /
// kLatePrefix (see above). The token itself may be among them. With
// `words`, also the surface words that reached each term. On a snapshot
// with index-wide statistics (a clustered search, docs/CLUSTER.md) what the
// word reached in the whole index is merged in before ranking, so every
// shard ranks the same alternatives; a recording snapshot records what the
// word reached here and looks up the document frequency of every term found.
Status expand_word(const index::Snapshot& snap, const WordToExpand& w, std::map<std::string, int>* found,
                   FoundWords* words = nullptr);

// The automata of one word's expansion, built on first use; or all at once
// by prepare_all(), after which they are only read (a live query's word,
// expanded on many one-document segments from several threads).
class WordAutomata {
 public:
  explicit WordAutomata(const WordToExpand& w);  // w must outlive this
  Status prepare_all();
  // The Levenshtein automaton of `word` with `edits` (null when edits is 0).
  // Builds it unless prepared: not thread-safe before prepare_all().
  Result<const termdict::Automaton*> fuzzy(std::string_view word, int edits) const;
  Result<const termdict::Automaton*> prefix(std::string_view word) const;

 private:
  const WordToExpand& w_;
  bool frozen_ = false;
  mutable std::map<std::string, termdict::Automaton, std::less<>> fuzzy_, prefix_;
};

// A word compiled for expansion segment by segment (a live query).
struct PreparedWord {
  explicit PreparedWord(WordToExpand word) : w(std::move(word)), automata(w) {}
  WordToExpand w;
  WordAutomata automata;  // prepared: read only
};

// expand_word in steps: each segment adds to a WordExpansion, then
// finish_expansion() ranks the last word's completions (per segment: a live
// query's word expanded in the one segment it is evaluated on). `words` are
// the surface words behind fuzzy and completions (FoundWords).
using WordExpansion = index::WordExpansionStats;

// What identifies one word's expansion in a clustered search's statistics
// (index::CorpusStats::expansions): field, word and every parameter of the
// walk.
std::string expansion_key(const WordToExpand& w);
Status expand_in_segment(const index::Segment& seg, const WordToExpand& w, const WordAutomata& automata,
                         WordExpansion* x);
void finish_expansion(const WordToExpand& w, WordExpansion&& x, std::map<std::string, int>* found,
                      FoundWords* words = nullptr);

// The edits a fuzziness allows for `word` (code points; 0 for a number
// when fz.exact_numbers), at most termdict::kMaxLevenshteinEdits.
int allowed_edits(const Fuzziness& fz, std::string_view word);

}  // namespace meridian::query::plan
