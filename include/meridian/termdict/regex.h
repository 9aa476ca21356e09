// Regular-expression automata for term expansion.
//
// The pattern must match the WHOLE term (no anchors needed or allowed), on
// Unicode code points. Supported subset (a strict subset of ECMAScript syntax,
// with the same meaning):
//   literal        any character except the special ones . [ ] ( ) { } | * + ? \ ^ $
//                  (a lone ] or } is also a literal)
//   .              any one code point (line breaks included)
//   [abc] [a-z]    character class; [^...] its complement; inside a class, \x
//                  escapes x, '-' first or last is literal, \d \w \s allowed
//   ( )            grouping;  a|b  alternation (empty branches allowed)
//   * + ?          zero or more, one or more, optional
//   {n} {n,} {n,m} repetition, 0 <= n <= m <= 1000
//   \d \D \w \W \s \S   [0-9], [0-9A-Za-z_], [ \t\n\v\f\r] and complements
//   \n \t \r \f \v      control characters;  \ + punctuation: that character
// Not supported (syntax error): anchors ^ $, backreferences, lazy or stacked
// quantifiers (a*?, a**), lookaround, empty classes [].
//
// Errors: invalid_argument "regex syntax error at column C: ..." (C is the
// 1-based code-point column of the offending character); too_large
// "regex too complex: ..." when determinization needs more than
// limits.max_states states (or the expanded NFA is too large).
//
// Thread-safety: free function without shared state.
#pragma once

#include <cstddef>
#include <string_view>

#include "meridian/base/status.h"
#include "meridian/termdict/automaton.h"

namespace meridian::termdict {

struct RegexLimits {
  size_t max_states = 10000;  // DFA states
};

Result<Automaton> regex_automaton(std::string_view pattern, const RegexLimits& lim = {});

}  // namespace meridian::termdict
