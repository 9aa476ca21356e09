// SearchRequest: everything a search asks for (query, filters, sort, paging,
// facets, highlight, returned fields), parsed from a JSON request body or
// from GET URL parameters. docs/QUERY.md lists every key.
//
// Errors are Status::invalid naming the path of the offending value
// ("sort[0]: ...", "facets.by_country.terms.size: ..."). Nothing here knows
// about HTTP; the server passes in a Json body or the URL's parameters.
//
// Value types; stateless functions; safe from any thread.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "meridian/base/json.h"
#include "meridian/base/status.h"
#include "meridian/geo/distance.h"
#include "meridian/index/index_settings.h"
#include "meridian/index/schema.h"
#include "meridian/query/ast.h"

namespace meridian::query {

// One key of a sort, or of the ranking rules of a q search (kRank: `field`
// names the rule: words, typo, proximity, attribute or exactness; the bm25
// rule is kScore, a custom rule a kField).
struct SortSpec {
  enum class Kind : uint8_t { kScore, kField, kGeoDistance, kRank };
  Kind kind = Kind::kScore;
  std::string field;          // kField, kGeoDistance; kRank: the rule
  bool desc = true;           // _score defaults to desc, fields and distances to asc
  bool missing_first = false;  // where documents without a value go
  GeoPoint origin;            // kGeoDistance
  std::string unit = "m";     // kGeoDistance: unit of the reported sort value
  double unit_m = 1;          // meters per unit
  bool operator==(const SortSpec&) const = default;
};

struct FacetRange {
  std::optional<double> from;  // inclusive
  std::optional<double> to;    // exclusive
  std::string key;             // "" = derived by the executor from from/to
  bool operator==(const FacetRange&) const = default;
};

struct FacetSpec {
  enum class Kind : uint8_t { kTerms, kHistogram, kRange, kStats, kGeohashGrid, kGeoBounds };
  Kind kind = Kind::kTerms;
  std::string field;
  size_t size = 10;        // terms, geohash_grid: buckets returned
  double interval = 0;     // histogram: bucket width, > 0
  std::vector<FacetRange> ranges;  // range
  int precision = 5;       // geohash_grid: geohash length 1..12
  bool operator==(const FacetSpec&) const = default;
};

struct HighlightField {
  std::string name;
  std::optional<size_t> fragment_size;        // overrides the request's
  std::optional<size_t> number_of_fragments;  // overrides the request's
  bool operator==(const HighlightField&) const = default;
};

struct HighlightSpec {
  std::vector<HighlightField> fields;
  std::string pre_tag = "<em>";
  std::string post_tag = "</em>";
  size_t fragment_size = 150;
  size_t number_of_fragments = 3;
  bool operator==(const HighlightSpec&) const = default;
};

// Distance decay ranking, "best pizza near me" (Elasticsearch function_score
// with a gauss/exp/linear decay on a geo_point and boost_mode multiply):
//   score = query score * weight * geo::decay(function, distance, scale, offset, decay)
// where distance is the smallest haversine distance from `origin` to the
// document's points of `field`. A document without a point keeps factor
// `weight` (the decay of a missing value is 1, as in Elasticsearch).
struct GeoDecay {
  std::string field;
  GeoPoint origin;
  geo::DecayKind function = geo::DecayKind::kGauss;
  double scale_m = 0;   // > 0
  double offset_m = 0;  // >= 0
  double decay = 0.5;   // the factor at offset + scale, in (0, 1)
  double weight = 1;    // > 0
  bool operator==(const GeoDecay&) const = default;
};

// How a q search of several words treats documents missing some of them
// (Meilisearch's matchingStrategy). kAll: every word is required. kLast:
// when requiring every word finds fewer hits than from + size, words are
// dropped from the end (the first word stays required) and documents
// matching more words rank first (the `words` rule).
enum class MatchingStrategy : uint8_t { kLast, kAll };

inline constexpr uint64_t kTrackAllHits = std::numeric_limits<uint64_t>::max();

struct SearchRequest {
  std::optional<std::string> q;     // simple-search text (parse_simple)
  std::vector<FieldBoost> q_fields;  // fields `q` searches
  Query query;                      // from "query", or from q; MatchAll if neither
  std::vector<Query> filters;       // all must match; not scored
  std::vector<SortSpec> sort;       // empty = by score
  size_t from = 0;
  size_t size = 10;
  std::optional<Json> search_after;  // an array: the sort values of the last hit seen
  std::map<std::string, FacetSpec> facets;
  std::optional<HighlightSpec> highlight;
  std::vector<std::string> fields;  // source fields to return; empty = all
  bool source = true;               // false: hits carry no source (the stored document is not read)
  bool explain = false;
  uint64_t track_total_hits = 10000;  // count hits exactly up to this; kTrackAllHits = all, 0 = none
  std::optional<GeoDecay> geo_decay;  // multiplies every score; hits then carry distance_m
  std::string geo_field;  // the field near/radius/bbox/_geo_distance use; "" when none of them is given
  // One hit per value of this field, the best-ranked (the index's `distinct`
  // setting, docs/QUERY.md "Distinct"); "" = every hit.
  std::string distinct;
  // q searches: the ranking rules as sort keys (docs/QUERY.md "Ranking
  // rules"), used when `sort` is empty or spliced in by the `sort` rule;
  // empty = rank by `sort`, else by score. rank_fields: the fields q
  // searched with their weights (the `attribute` rule ranks by weight).
  std::vector<SortSpec> ranking;
  std::vector<FieldBoost> rank_fields;
  MatchingStrategy matching_strategy = MatchingStrategy::kLast;
  // Strategy kLast with several words: the query with words dropped from the
  // end, run when `query` finds fewer than from + size hits.
  std::optional<Query> relaxed_query;
};

struct SearchRequestOptions {
  size_t max_window = 10000;                // from + size must not exceed it
  std::vector<FieldBoost> default_q_fields;  // when q_fields is absent; empty = {"*"}
  std::string default_geo_field = "location";  // for near/radius/bbox without geo_field
  Operator q_operator = Operator::kAnd;
  // The index's settings (index_settings.h): q is built by build_q_query
  // (q_query.h) with them, their q_fields are the default when neither the
  // request nor default_q_fields names fields, and their `distinct` is the
  // request's. `schema` resolves "*" for multi-word synonyms and
  // disable_on_fields. Null: parse_simple with the built-in typo budget.
  std::shared_ptr<const index::IndexSettings> settings;
  const index::Schema* schema = nullptr;
};

// Keys: q, q_fields, query, filter, sort, from, size, search_after, facets,
// highlight, fields, source, explain, track_total_hits, near, radius, geo_field,
// bbox, geo_decay. "q" and "query" are mutually exclusive. near + radius
// (and bbox) become geo filters on geo_field. near without radius is the
// origin of a sort by distance ("_geo_distance", {"_geo_distance": "asc"} or
// {"_geo_distance": {"order": ..., "unit": ...}}: the nearest first, no
// radius) or of geo_decay; alone it is an error. geo_decay is
// {"field" (default geo_field), "origin": point, "function": "gauss"|"exp"|
// "linear" (gauss), "scale": distance (required), "offset": distance (0),
// "decay": 0.5, "weight": 1}.
Result<SearchRequest> parse_search_request(const Json& body, const SearchRequestOptions& opt = {});

// GET parameters: q, q_fields, filter (query-string syntax), near, radius,
// geo_field, bbox (top,left,bottom,right), sort (field:desc,other,_score,
// _geo_distance:asc — the latter needs near, not radius), size, from, fields (a,b),
// facets (terms facets, one per field: country,admin_code), highlight (a,b),
// explain, track_total_hits, decay (gauss|exp|linear: a geo_decay around
// near on geo_field; near then needs no radius), scale, offset, decay_value.
// Unknown parameters are errors (search_params.cpp).
Result<SearchRequest> parse_search_params(const std::map<std::string, std::string>& params,
                                          const SearchRequestOptions& opt = {});
// The same from (name, value) views, sorted by name (as a std::map orders
// them), each name once: a server's decoded URL parameters, not copied.
using ParamView = std::pair<std::string_view, std::string_view>;
Result<SearchRequest> parse_search_params(std::span<const ParamView> params, const SearchRequestOptions& opt = {});

// Names other engines use for our search keys and parameters, mapped to
// ours ({"limit", "size"}, {"_source", "source"}, ...): "did you mean" hints.
const std::vector<std::pair<std::string, std::string>>& search_key_aliases();

}  // namespace meridian::query
