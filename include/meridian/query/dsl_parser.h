// The JSON DSL front end: an Elasticsearch-shaped query object (a Json DOM
// from base/json.h) into a Query. docs/QUERY.md lists every query type and
// its keys.
//
// Errors are Status::invalid naming the JSON path of the offending value:
//   "query.bool.must[1].match: unknown key 'opertor'"
//   "query.match.operator: expected string, got number"
// Field-keyed queries ({"match": {"title": {...}}}) report their options
// under the query type's path: the field name is the subject, not a path
// step. Every query object must have exactly one key, the query type.
//
// The helpers in namespace dsl are the building blocks shared with
// search_request.h; they read one value and name `path` in their errors.
//
// Stateless functions; safe from any thread.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "meridian/base/json.h"
#include "meridian/base/status.h"
#include "meridian/query/ast.h"

namespace meridian::query {

// Parses a query object found at `path` ("query" for a request's query).
Result<Query> parse_dsl(const Json& json, const std::string& path = "query");

namespace dsl {

// "a.b" (or "b" when `path` is empty) and "a[3]".
std::string child(const std::string& path, std::string_view key);
std::string element(const std::string& path, size_t index);
// "path: msg" (or "msg" when `path` is empty).
Status error(const std::string& path, std::string_view msg);
// "path: expected string, got number". Integers and doubles are both "number".
Status type_error(const std::string& path, std::string_view expected, const Json& got);
Status unknown_key(const std::string& path, std::string_view key);

Result<std::string> get_string(const Json& v, const std::string& path);
Result<double> get_number(const Json& v, const std::string& path);
// An integer in [min, max]; doubles with no fraction are accepted.
Result<int64_t> get_int(const Json& v, const std::string& path, int64_t min, int64_t max);
Result<bool> get_bool(const Json& v, const std::string& path);
// A point as {"lat":..,"lon":..}, [lon, lat] or "lat,lon".
Result<GeoPoint> get_point(const Json& v, const std::string& path);
// "10km" / "500 m" or a number of meters.
Result<double> get_distance(const Json& v, const std::string& path);
Result<Fuzziness> get_fuzziness(const Json& v, const std::string& path);
Result<MinimumShouldMatch> get_msm(const Json& v, const std::string& path);
// A field list: ["title^2", "body"] or "title^2,body".
Result<std::vector<FieldBoost>> get_fields(const Json& v, const std::string& path);
// The pieces of "a, b,,c" between commas, trimmed of spaces, empty ones
// skipped: {"a", "b", "c"} (list values of GET parameters and of strings).
std::vector<std::string> split_commas(std::string_view s);

}  // namespace dsl
}  // namespace meridian::query
