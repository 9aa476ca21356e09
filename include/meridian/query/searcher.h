// Searcher: executes a SearchRequest against an index Snapshot and returns
// ranked, paged, faceted hits with their (filtered) source.
//
// Execution per segment: the query and the request's filters are evaluated as
// roaring bitmaps (filters cached per segment in a small LRU keyed by segment
// id + canonical filter string), intersected, deletes removed; the result is
// the exact matching set (total, facets). Scoring: BM25 with index-wide idf
// and average field length; top-k by block-max MaxScore over posting cursors
// when the query is a disjunction of (possibly fuzzy/prefix-expanded) words,
// otherwise by scoring every match. With no count and no facets asked
// (track_total_hits false), a disjunction of words and exact phrases builds
// no bitmap of the query: only the filters are bitmaps. Sort by fields uses
// the columns.
//
// Semantics worth knowing (docs/QUERY.md, "Execution and scoring"): sloppy
// phrases follow Lucene (reordering costs distance); prefix/wildcard/regexp/
// range/exists/ids and geo queries score a constant (their boost); a word
// with fuzzy/prefix expansions scores in tiers, so for the same word exact >
// prefix > 1 edit > 2 edits. Every hit's "sort" ends with a tiebreaker,
// the document's write order (the sequence number of the write that put
// it: unique, and the same after merges and recovery), so search_after
// pages exactly even while segments merge.
// Highlight fragments are raw stored text with the tags inserted: nothing is
// HTML-escaped.
//
// Thread safety: search() and matches() may be called from any number of
// threads on the same snapshot (the filter cache is internally locked).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meridian/base/json.h"
#include "meridian/base/status.h"
#include "meridian/index/snapshot.h"
#include "meridian/query/search_request.h"

namespace meridian::query {

struct SearchOptions {
  double k1 = 1.2;
  double b = 0.75;
  size_t max_window = 10000;
  size_t max_expansions = 50;      // fuzzy/prefix words keep at most this many expansions
  size_t max_pattern_terms = 10000;  // prefix/wildcard/regexp queries: more terms in a segment is an error
  size_t track_total_hits = 10000;
  bool exhaustive = false;  // score every match (no block-max pruning); for tests
  // Look up in every segment the terms the snapshot holds nowhere (they
  // match nothing: by default they are not looked up again); for tests.
  bool look_up_absent_terms = false;
  // The index's current schema, when the caller has it: a field added by a
  // write not yet refreshed into `snap` is known (it matches nothing yet)
  // rather than "unknown field". Unset: the snapshot's schema.
  const index::Schema* schema = nullptr;
  // For a clustered index's router (docs/CLUSTER.md, "distinct across
  // shards"), searches with `distinct` only: distinct_groups fills
  // SearchResponse::groups and ::ungrouped (every group of the matches,
  // whatever the page); distinct_check names group keys, and
  // ::groups_before answers those whose best hit is at or before
  // req.search_after (none without one).
  bool distinct_groups = false;
  const std::vector<std::string>* distinct_check = nullptr;
};

struct Hit {
  std::string id;
  double score = 0;
  std::optional<double> distance_m;
  Json sort;
  Json highlight;
  Json source;  // parsed, filtered by req.fields; null when req.source is false
  Json explanation;
  uint32_t segment = 0;
  uint32_t doc = 0;
  // With `distinct`: the key of the hit's group (the JSON text of its value
  // of the field, e.g. "\"red\"" or "42"); "" when it has none (a group of its own).
  std::string group;
};

struct SearchResponse {
  uint64_t total = 0;
  bool total_is_lower_bound = false;
  std::vector<Hit> hits;
  Json facets;
  double took_ms = 0;
  uint64_t docs_scored = 0;  // documents whose score was computed (test/debug statistic)
  // SearchOptions::distinct_groups: each group's key once, and the matches
  // without a value (each a group of its own). distinct_check: the keys
  // whose group's best hit is at or before the cursor.
  std::vector<std::string> groups;
  uint64_t ungrouped = 0;
  std::vector<std::string> groups_before;
  // "Did you mean" (add_suggestions, suggest.h); null when there is none.
  Json suggest;
};

Result<SearchResponse> search(const index::Snapshot& snap, const SearchRequest& req,
                              const SearchOptions& opt = {});

// {"total":{"value":n,"relation":"eq"|"gte"},"hits":[{"id","score","source","distance_m"?,
//   "highlight"?,"sort"?,"explanation"?}],"facets":{...},"took_ms":..}
Json to_json(const SearchResponse& r);
// Appends the same JSON text as to_json(r).dump(), written straight into
// *out (no tree of the hits is built: the HTTP search routes' response).
// "suggest", when r has one, follows "took_ms".
void write_json(const SearchResponse& r, std::string* out);

// Does one document (its JSON source) match req.query and req.filters? The
// document is parsed with the snapshot's schema and analysed into a
// one-document MemoryIndex, and the request compiled into a LiveQuery, so the
// answer agrees with search() on an index holding only that document. To
// match many documents against one request, or one document against many,
// use MemoryIndex and LiveQuery directly (each is built once then).
Result<bool> matches(const index::Snapshot& snap, const SearchRequest& req, std::string_view source_json);

}  // namespace meridian::query
