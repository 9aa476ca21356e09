// "Did you mean": spelling suggestions for the `q` of a search, built from
// the surface-word dictionary of the searched text fields (index/
// surface_words.h; docs/QUERY.md "Did you mean").
//
// A word of q is *known* when the search could match it without a typo: it
// is a surface word of a searched field (in any segment), or its stem is a
// term of one, or it is the last word and a prefix of a surface word, or a
// whole value of a searched keyword field; stop words (the index's and the
// analyzer's), disable_on_words, one-word synonym entries and words the
// analyzer splits or drops count as known too. Suggestions are computed
// only when some word is not known: the search then found nothing, or every
// hit matched that word through a typo (or not at all, when it was dropped).
//
// Each unknown word is replaced by a surface word within its typo budget
// (q's budget under the index's typo_tolerance; none on disable_on_fields):
// the most frequent of the closest, i.e. best first by fewer edits, then
// higher document frequency, then word order, one word per stem (as the
// `typo` ranking rule orders hits; frequency first picked the intended word
// less often, bench/README.md "suggest"). Known words are kept as typed.
// Alternatives combine the best replacements of every unknown word into
// whole re-spelled queries, ordered by total edits, then score (the product
// over replaced words of doc_freq / documents), then text; at most
// kMaxSuggestions.
//
// Stateless; safe from any thread; reads the snapshot only.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "meridian/base/json.h"
#include "meridian/base/status.h"
#include "meridian/index/index_settings.h"
#include "meridian/index/schema.h"
#include "meridian/index/snapshot.h"
#include "meridian/query/search_request.h"
#include "meridian/query/searcher.h"

namespace meridian::query {

inline constexpr size_t kMaxSuggestions = 3;

struct Suggestion {
  std::string text;  // the whole q re-spelled: words separated by one space
  double score = 0;  // in (0, 1]: product of doc_freq / documents of the replaced words
  int edits = 0;     // total edits of the replaced words
  bool operator==(const Suggestion&) const = default;
};

// The suggestions for req.q (none when req has no q, every word is known,
// or no unknown word has a replacement). `settings` null = the defaults;
// `schema` null = the snapshot's. The fields are req.q_fields, else the
// settings' q_fields, else every text field.
Result<std::vector<Suggestion>> suggest(const index::Snapshot& snap, const SearchRequest& req,
                                        const index::IndexSettings* settings, const index::Schema* schema);

// [{"text": ..., "score": ...}, ...]
Json to_json(const std::vector<Suggestion>& suggestions);

// Sets response->suggest when suggest() finds any (left null otherwise: its
// JSON then has no "suggest" key) and adds the time it took to its took_ms.
Status add_suggestions(const index::Snapshot& snap, const SearchRequest& req, const index::IndexSettings* settings,
                       const index::Schema* schema, SearchResponse* response);

}  // namespace meridian::query
