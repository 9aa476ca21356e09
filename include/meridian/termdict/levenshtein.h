// Levenshtein automata for fuzzy term expansion, and the matching distance.
//
// levenshtein_automaton(term, k, transpositions, p) accepts exactly the terms
// whose distance to `term` is at most k, counted on Unicode code points (é, ß,
// 漢 or 🙂 are one character each, so replacing one is one edit):
//   - transpositions == false: Levenshtein distance (insert, delete, substitute);
//   - transpositions == true: optimal string alignment distance, which also
//     counts swapping two adjacent characters as one edit ("ab" <-> "ba"),
//     each character taking part in at most one edit;
//   - the first p code points (clamped to the term's length) must match exactly,
//     the distance is then measured on the rest.
// match_value() of an accepting state is the distance of the term read so far
// (0 = exact), which the query layer uses to rank exact above 1 above 2 edits.
//
// Built from an NFA over (position, edits) states with transposition states,
// determinized over UTF-8 bytes (automaton_nfa.h). A 30-character term with
// k = 2 and transpositions builds ~1300 states in about 1.5 ms at -O2 (see the test
// "levenshtein: construction is fast for long terms").
//
// Thread-safety: free functions without shared state.
#pragma once

#include <cstddef>
#include <string_view>

#include "meridian/base/status.h"
#include "meridian/termdict/automaton.h"

namespace meridian::termdict {

inline constexpr int kMaxLevenshteinEdits = 2;
// Longest term accepted by levenshtein_automaton, in code points.
inline constexpr size_t kMaxLevenshteinTermLength = 256;

// Errors: invalid_argument for max_edits outside 0..2, a term that is not
// valid UTF-8 or longer than kMaxLevenshteinTermLength code points.
Result<Automaton> levenshtein_automaton(std::string_view term, int max_edits, bool transpositions,
                                        size_t prefix_length = 0);

// Distance between a and b on code points (Levenshtein, or optimal string
// alignment when transpositions is true). Bytes that are not valid UTF-8
// count as one character each. O(|a| * |b|) time.
int edit_distance(std::string_view a, std::string_view b, bool transpositions);

}  // namespace meridian::termdict
