// Prefix and wildcard automata for term expansion.
//
// prefix_automaton(p): accepts every term whose bytes start with p (p itself
// included). Byte-wise: p need not be valid UTF-8 or end on a character
// boundary.
//
// wildcard_automaton(pattern): the whole term must match the pattern, where
//   ?   matches exactly one code point (one é, one 漢, one emoji),
//   *   matches any run of code points, the empty run included,
//   \c  matches c literally (\*, \?, \\), any other character matches itself.
// Errors: invalid_argument when the pattern is not valid UTF-8 or ends in a
// lone backslash (the message names the 1-based column).
//
// Thread-safety: free functions without shared state.
#pragma once

#include <string_view>

#include "meridian/base/status.h"
#include "meridian/termdict/automaton.h"

namespace meridian::termdict {

Result<Automaton> prefix_automaton(std::string_view prefix);
// The same automaton through the generic Nfa + determinize() route: the
// oracle of prefix_automaton()'s direct construction in tests.
Result<Automaton> prefix_automaton_by_subsets(std::string_view prefix);
Result<Automaton> wildcard_automaton(std::string_view pattern);

}  // namespace meridian::termdict
