// Schema changes of an existing index (PATCH /v1/indexes/{index}): which
// requests are accepted and how they are refused. Fields may only be added;
// a field named again with its exact definition is unchanged (idempotent);
// changing a field's type or options, or the id field, needs a reindex.
// One function for the single node and the cluster router, so both accept
// and refuse the same requests with the same errors.
//
// Pure functions and value types; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "meridian/base/json.h"
#include "meridian/base/status.h"
#include "meridian/index/schema.h"

namespace meridian::index {

struct SchemaChange {
  Schema add;                      // the fields of the request, parsed
  std::vector<std::string> added;  // the names `current` does not have yet
};

// Checks the body of a schema change against `current`. Errors:
// InvalidArgument (HTTP 400) for a body that is no schema change, and
// AlreadyExists (409) for a change of an existing field or of the id field.
// `extra` (may be null) receives the error's members beside the reason:
// {"path": ...} naming the request member, and for a field conflict
// {"reindex": ...} pointing at the reindex recipe.
Result<SchemaChange> check_schema_change(const Schema& current, const Json& body, Json* extra);

// The fields of `wanted` that `have` lacks, as a schema with `have`'s id
// field (what a replica adds when it applies a schema record). A field
// `have` holds with another type is left out and named in *conflicts (may
// be null): a replica that mapped it dynamically before keeps its type.
Schema missing_fields(const Schema& have, const Schema& wanted, std::vector<std::string>* conflicts);

}  // namespace meridian::index
