// Field-name checks of a search against an index's schema, and the "did you
// mean" suggestions shared by every "unknown ..." error.
//
// A search that names a field the index does not have is a mistake, not an
// empty result: check_request_fields() answers it with Status::invalid
// naming the path of the offending value and the closest field name
// ("filter[0]: unknown field 'colour' (did you mean 'color'?)"). It covers
// q_fields, query, filter, geo_field, sort, facets, highlight, fields and
// geo_decay. Exceptions: the id field (always known), `*` in q_fields,
// highlight and fields, `exists` queries (a field no document has yet is
// not an error for them), and for `fields` any object path whose leaves are
// fields ("address" when "address.city" is one).
//
// Stateless functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "meridian/base/status.h"
#include "meridian/index/schema.h"
#include "meridian/query/search_request.h"

namespace meridian::query {

// " (did you mean 'size'?)" naming the candidate closest to `name` (edit
// distance, case-insensitive, at most about a third of the name), or "" when
// none is close. `aliases` maps names from other engines to ours
// ({"limit", "size"}) and wins over the edit distance.
std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates,
                         const std::vector<std::pair<std::string, std::string>>& aliases = {});

// "unknown field 'colour' (did you mean 'color'?)" for a name not in `schema`.
std::string unknown_field_message(const index::Schema& schema, std::string_view name);

// OK when every field `req` names exists in `schema` (see the file comment).
Status check_request_fields(const index::Schema& schema, const SearchRequest& req);

}  // namespace meridian::query
