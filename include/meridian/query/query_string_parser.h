// The query-string front end: Lucene-style text (`title:"new york"~2 AND
// population:[1000 TO *] -status:closed`) into a Query, plus the forgiving
// `simple` mode used for the `q` parameter of the simple search.
// docs/QUERY.md specifies the syntax with examples.
//
// Mapping (F = the field, or each default field when none is written):
//   word          → Match(F, word)    (MultiMatch over several default fields)
//   word~ / ~1    → the same with fuzziness AUTO / 1
//   "a b"~N       → MatchPhrase(F, "a b", slop N)
//   pre*          → Prefix; w?ld*card → Wildcard; /re/ → Regexp
//   [a TO b] {..} → Range;  >=10 >10 <5 <=5 → Range
//   field:*, _exists_:field → Exists;  *, *:* → MatchAll
//   a AND b, a OR b, NOT a, +a, -a, (..), ^boost → Bool / boosts
// Precedence: NOT binds tightest, then AND, then OR; juxtaposition means the
// default operator. +x / -x put x into must / must_not of the enclosing
// list; NOT x is logical negation (in an OR list it becomes its own
// should-clause bool(must_not=[x])). Several default fields expand non-word
// leaves into bool(should=[leaf per field^boost]).
//
// Stateless functions; safe from any thread.
#pragma once

#include <string_view>
#include <vector>

#include "meridian/base/status.h"
#include "meridian/query/ast.h"

namespace meridian::query {

struct QueryStringOptions {
  // Fields searched by terms without "field:"; empty means {"*"} (the
  // index's default search fields).
  std::vector<FieldBoost> default_fields;
  Operator default_operator = Operator::kOr;
  int max_depth = 32;  // nested groups and NOTs
};

// Errors are Status::invalid("expected X at column N"), N being the 1-based
// column (in code points) of the offending character or of the end of input.
// Empty or blank text gives MatchAll.
Result<Query> parse_query_string(std::string_view text, const QueryStringOptions& opt = {});

// Never fails: operator and syntax characters become word separators (a
// hyphen, apostrophe or dot between two word characters is kept), invalid
// UTF-8 and control characters are dropped. Gives Match (one field) or
// MultiMatch (several) with the typo budget `typos` per word (by default
// AUTO:5,9, none on numbers), prefix_last and `op`;
// MatchAll when no word is left.
Query parse_simple(std::string_view text, const std::vector<FieldBoost>& fields,
                   Operator op = Operator::kAnd, const TypoBudget& typos = TypoBudget{});

// The text parse_simple would search for (exposed for tests and the shell).
std::string simple_clean(std::string_view text);

// Whether `text` is only ASCII letters and digits (true for ""): the usual q
// word, which simple_clean returns as it is.
bool plain_ascii_word(std::string_view text);

}  // namespace meridian::query
