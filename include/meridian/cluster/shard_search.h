// Distributed search over the shards of a clustered index (docs/CLUSTER.md,
// "The search router"). Pure functions over snapshots and JSON; no NATS, no
// HTTP: the server's router runs them in-process for local replicas and
// behind the internal shard-search route for remote ones.
//
// Scores do not depend on sharding. A search runs in two phases, like
// Elasticsearch's dfs_query_then_fetch:
//   1. every shard runs the query against a recording snapshot and reports
//      the statistics BM25 looked up (document count, per-field document
//      count and length sum, document frequency per term key) and what each
//      fuzzy or prefix word reached in its dictionaries — shard_stats;
//   2. the router sums them (add_stats; expansions merged as one index's)
//      and every shard runs the query with the sums in place of its own
//      (shard_search), so idf, average field length and each fuzzy or
//      prefix word's alternatives are those of the whole index.
// Each shard returns its top from+size hits (shard_request); merge_shard_results
// merges them by score or by the request's sort, pages, sums totals and
// facets, and reports {"total", "successful", "failed"} shards. With the
// index's `distinct` setting, merge_distinct_results keeps the best hit of
// each value across shards and counts each value once, asking shards for
// more rounds when one shard's list is not enough (docs/CLUSTER.md,
// "distinct across shards").
//
// Thread safety: stateless functions.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "meridian/base/json.h"
#include "meridian/base/status.h"
#include "meridian/index/snapshot.h"
#include "meridian/query/search_request.h"
#include "meridian/query/searcher.h"

namespace meridian::cluster {

// The tiebreaker (last "sort" value) of a clustered hit: the shard in the
// top bits, the shard's own tiebreaker (the hit's write order, its put's
// log sequence: the same on every replica) below, so hits
// with equal sort values order by shard, then by the shard's own order —
// the order merge_shard_results gives them.
inline constexpr int kShardTiebreakShift = 55;

// What a clustered request may not ask: a search_after that is not a
// clustered hit's "sort" (its length is the sort keys + 1, the last value a
// non-negative integer). InvalidArgument naming the key.
Status check_clustered_request(const query::SearchRequest& req);

// The request shard `shard` runs for `req`: from 0, size from+size, terms and
// geohash_grid facets oversampled (max(3 × size, size + 50) buckets), and a
// clustered search_after [values..., tiebreaker] turned into this shard's:
// the shard's own tiebreaker on the cursor's shard, "after every hit with
// these values" on a lower shard, "before every hit with these values" (-1)
// on a higher one.
query::SearchRequest shard_request(const query::SearchRequest& req, uint32_t shard = 0);

// Phase 1: the statistics `req` looks up on `snap` (its own, not overridden).
Result<index::CorpusStats> shard_stats(const index::Snapshot& snap, const query::SearchRequest& req,
                                       const query::SearchOptions& opt = {});
// Sums the statistics of one shard into *into (document counts, length sums
// and document frequencies add up; expansions merge, query::merge_word_expansion).
void add_stats(index::CorpusStats* into, const index::CorpusStats& shard);
// {"total_docs", "fields": {name: [docs, sum_len]}, "df": {hex(term key): n}}
// and, when a word expanded, "expansions": {hex(expansion key): {"fuzzy":
// {hex(term): edits}, "completions": {...}, "words": {hex(stem): {hex(word):
// edits}}, "typed_is_word", "surface_words"}}.
Json stats_to_json(const index::CorpusStats& s);
Result<index::CorpusStats> stats_from_json(const Json& j);

// A later round of a `distinct` search on one shard (the first is the
// request itself, shard_search without a round):
//   kMore:  the shard's next `size` hits (one per value) after `after`, the
//           "sort" of the last hit it returned (its own tiebreaker, not the
//           clustered one); no facets.
//   kCheck: which of `keys` (group keys, query::Hit::group) have their best
//           hit on this shard at or before the request's search_after (so
//           the client saw that value on an earlier page); no hits.
struct DistinctRound {
  enum class Kind { kMore, kCheck };
  Kind kind = Kind::kMore;
  Json after;
  size_t size = 0;
  std::vector<std::string> keys;
};
// {"more": {"after": [...], "size": n}} or {"check": [keys...]}.
Json distinct_round_to_json(const DistinctRound& r);
Result<DistinctRound> distinct_round_from_json(const Json& j);

// Phase 2: `shard_req` (from shard_request) on `snap` scored with `stats`
// (null: the shard's own); the answer in query::to_json form. With
// `distinct`, each hit also has "group" (its group's key, null when it has
// none) and the answer "distinct": without a round {"groups": [every group
// key of the matches], "ungrouped": n} (or {"over": true} when they are
// more than the request's track_total_hits), for kCheck {"before": [keys]}.
Result<Json> shard_search(const index::Snapshot& snap, const query::SearchRequest& shard_req,
                          std::shared_ptr<const index::CorpusStats> stats, const query::SearchOptions& opt = {},
                          const DistinctRound* round = nullptr);

// One shard's outcome: its query::to_json answer, or the reason it failed.
struct ShardOutcome {
  std::optional<Json> answer;
  std::string error;
};

// Merges the answers of every shard of `req` (the client's request): hits
// by score (desc) or by req.sort, ties by shard then the shard's own order
// (each hit's tiebreaker rewritten to the clustered one, kShardTiebreakShift);
// from/size applied; totals summed ("gte" if any shard's is); facets merged
// (terms and geohash_grid summed per key, histogram/range per bucket, stats
// and geo_bounds exactly); "shards": {"total", "successful", "failed"} and,
// when some failed, "failures": [{"shard", "reason"}].
Json merge_shard_results(const query::SearchRequest& req, const std::vector<ShardOutcome>& shards, double took_ms);

// Runs rounds on shards, one answer (shard_search's JSON) per (shard, round)
// in the same order; an error makes that shard failed. The router runs
// them in parallel, a test in-process.
using DistinctRounds =
    std::function<std::vector<Result<Json>>(const std::vector<std::pair<uint32_t, DistinctRound>>&)>;

// merge_shard_results for a request with `distinct` (the shards' first
// answers in `shards`): a k-way merge by the request's order that keeps the
// first hit of each group; with search_after, groups the client saw on an
// earlier page (a kCheck round on every shard) are skipped. A shard whose
// hits run out while it may hold more (its answer was full) gets a kMore
// round (twice the size, at most opt.max_window) before the merge goes past
// its last hit. The total counts each group key once (plus the ungrouped
// matches), capped by track_total_hits as on one node (opt.track_total_hits
// is the server's cap); facets merge as in merge_shard_results. A shard that
// fails a later round counts as failed; its hits, values and facets are left out.
Json merge_distinct_results(const query::SearchRequest& req, const std::vector<ShardOutcome>& shards,
                            const DistinctRounds& more, const query::SearchOptions& opt, double took_ms);

}  // namespace meridian::cluster
