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
// facets, and reports {"total", "successful", "failed"} shards.
//
// Thread safety: stateless functions.
#pragma once

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
// top bits, the shard's own tiebreaker (segment << 32 | doc) below, so hits
// with equal sort values order by shard, then by the shard's own order —
// the order merge_shard_results gives them.
inline constexpr int kShardTiebreakShift = 55;

// What a clustered request may not ask: a search_after that is not a
// clustered hit's "sort" (its length is the sort keys + 1, the last value a
// non-negative integer). InvalidArgument naming the key.
Status check_clustered_request(const query::SearchRequest& req);

// What the settings of a clustered index may not hold: `distinct` (one hit
// per value is not merged across shards). Unsupported naming the key.
Status check_clustered_settings(const index::IndexSettings& s);

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

// Phase 2: `shard_req` (from shard_request) on `snap` scored with `stats`
// (null: the shard's own); the answer in query::to_json form.
Result<Json> shard_search(const index::Snapshot& snap, const query::SearchRequest& shard_req,
                          std::shared_ptr<const index::CorpusStats> stats, const query::SearchOptions& opt = {});

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

}  // namespace meridian::cluster
