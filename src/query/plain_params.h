// Internal to the query module: GET parameters straight into a
// SearchRequest, for requests whose every parameter is a plain value (near,
// radius, bbox, geo_field, size, from, track_total_hits, source, explain):
// no JSON body is built for them. parse_search_params (search_params.cpp)
// tries this first; any other parameter, or a value that does not parse,
// answers false and the request takes the body's way, which reports the
// error. For the requests it accepts, the result equals what the body's way
// gives (tested in search_request_test.cpp).
#pragma once

#include <span>

#include "meridian/query/search_request.h"

namespace meridian::query {

// True with *out filled in; false (and *out unspecified) otherwise.
bool parse_plain_params(std::span<const ParamView> params, const SearchRequestOptions& opt, SearchRequest* out);

}  // namespace meridian::query
