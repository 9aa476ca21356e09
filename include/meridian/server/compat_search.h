// OpenSearch search bodies and responses <-> Meridian's (docs/COMPAT.md,
// "Search"). Meridian's query DSL already has OpenSearch's shape, so a query
// passes through parse_dsl (src/query/dsl_parser.cpp) after small rewrites:
// term/terms on "_id" become "ids", "_name" is dropped. Aggregations map onto
// facets one to one (terms, histogram, range, stats, geohash_grid,
// geo_bounds; no sub-aggregations) and their results are rendered back in
// OpenSearch's shape.
//
// Stateless functions; safe from any thread.
#pragma once

#include <map>
#include <string>

#include "meridian/base/json.h"
#include "meridian/base/status.h"
#include "meridian/query/searcher.h"

namespace meridian::server::compat {

// What a translated request needs to render its response.
struct SearchPlan {
  std::map<std::string, std::string> aggs;  // aggregation name → OpenSearch type
  bool sorted = false;                      // the request had a sort: hits carry "sort"
  bool count_only = false;                  // _count
};

// An OpenSearch search body (null = match_all) into a Meridian search body
// for parse_search_request. `id_field` is the index's (sorts on "_id" use it).
// Errors are Status::invalid (parsing_exception) naming the key.
Result<Json> search_body_to_native(const Json& body, const std::string& id_field, SearchPlan* plan);

// GET /{index}/_search parameters q, size, from, sort (field:order,...),
// _source (false or a,b), track_total_hits folded into an OpenSearch body.
Result<Json> search_params_to_body(const std::map<std::string, std::string>& params);

// The "aggregations" object from Meridian's "facets" object.
Json facets_to_aggregations(const Json& facets, const SearchPlan& plan);

// The whole response: took, timed_out, _shards, hits {total, max_score,
// hits [{_index, _id, _score, _source, sort?, highlight?}]}, aggregations?.
// The id field is removed from _source when it is "_id".
Json search_response(const std::string& index, const query::SearchResponse& r, const SearchPlan& plan,
                     const std::string& id_field, int64_t took_ms);

// The hits, total and facets of the search router's merged answer
// (cluster::merge_shard_results JSON, below) as a SearchResponse.
query::SearchResponse merged_to_response(const Json& merged);

// The search router's merged answer on a clustered index (docs/CLUSTER.md,
// cluster::merge_shard_results: {"total", "hits": [{"id", "score", "source"?,
// "sort"?, "highlight"?, "explanation"?}], "facets", "shards": {"total",
// "successful", "failed"}, "failures"?: [{"shard", "reason"}]}) as
// search_response renders it, with "_shards" from the router's counts and,
// when shards failed, "_shards.failures": [{"shard", "index", "reason":
// {"type": "no_shard_available_action_exception", "reason"}}]. With
// plan.count_only, _count's {"count", "_shards"} (without "skipped").
Json clustered_search_response(const std::string& index, const Json& merged, const SearchPlan& plan,
                               const std::string& id_field, int64_t took_ms);

// A hit's _source: the stored document without the "_id" field.
Json public_source(Json source, const std::string& id_field);

}  // namespace meridian::server::compat
