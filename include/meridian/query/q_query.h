// The query a `q` search runs under an index's settings (index_settings.h,
// docs/QUERY.md "Index settings and q"): stop words dropped, the typo
// budget of typo_tolerance (none on disable_on_words and on
// disable_on_fields), and synonyms (one-way, multi-way, multi-word as
// phrases) expanded at query time.
//
// With nothing to apply the result equals parse_simple's (one Match or
// MultiMatch: every word in one field). When a synonym or a word without
// typos applies, the query is built word by word instead: a Bool of one
// clause per word (or per multi-word synonym span), each a Match/MultiMatch
// over the fields, or-ed with its synonyms; each word may then match in a
// different field.
//
// Stateless; safe from any thread.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "meridian/index/index_settings.h"
#include "meridian/index/schema.h"
#include "meridian/query/ast.h"

namespace meridian::query {

// Text queries carry the q words they stand for (QWords) for the ranking
// rules. With `relaxed` given, the same pass also builds the query of the
// matching strategy `last` into it: the first word (or span) required and
// the others optional; it is left empty with fewer than two words (or
// spans), where that query is the strict one.
//
// `fields` empty = {"*"}. `schema` resolves "*" (every text field) where a
// phrase (multi-word synonym) or disable_on_fields needs the field list;
// without it "*" stays as written and multi-word synonyms are left out.
Query build_q_query(std::string_view text, const std::vector<FieldBoost>& fields, Operator op,
                    const index::IndexSettings& settings, const index::Schema* schema,
                    std::optional<Query>* relaxed = nullptr);

// The typo budget q words get under `settings` (typo_tolerance's word
// lengths; none when typo tolerance is off), before disable_on_words and
// disable_on_fields.
Fuzziness q_typo_fuzziness(const index::IndexSettings& settings);

// The words of `text` as simple mode cleans it (simple_clean), stop words
// included.
std::vector<std::string> simple_words(std::string_view text);

// The words of `text` a q search keeps: simple_clean's words without the
// stop words (all of them when every word is a stop word).
std::vector<std::string> q_words(std::string_view text, const index::IndexSettings& settings);

}  // namespace meridian::query
