// Internal to the query module: GET parameters straight into a
// SearchRequest, for requests whose every parameter is a plain value (near,
// radius, bbox, geo_field, size, from, track_total_hits, source, explain):
// no JSON body is built for them. parse_search_params (search_params.cpp)
// tries this first; any other parameter, or a value that does not parse,
// answers false and the request takes the body's way, which reports the
// error. For the requests it accepts, the result equals what the body's way
// gives (tested in search_request_test.cpp).
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "meridian/query/search_request.h"

namespace meridian::query {

// A GET parameter's whole number in [0, max] (digits only), or nullopt.
inline std::optional<uint64_t> param_whole_number(std::string_view v, uint64_t max) {
  uint64_t n = 0;
  auto r = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || r.ec != std::errc() || r.ptr != v.data() + v.size() || n > max) return std::nullopt;
  return n;
}

// A GET parameter's boolean: "true", "1" or empty (a bare `explain`);
// "false" or "0"; else nullopt.
inline std::optional<bool> param_boolean(std::string_view v) {
  if (v == "true" || v == "1" || v.empty()) return true;
  if (v == "false" || v == "0") return false;
  return std::nullopt;
}

// True with *out filled in; false (and *out unspecified) otherwise.
bool parse_plain_params(std::span<const ParamView> params, const SearchRequestOptions& opt, SearchRequest* out);

}  // namespace meridian::query
