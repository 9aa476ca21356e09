// JSON Merge Patch (RFC 7396): the partial-update format of
// PATCH /v1/indexes/{index}/docs/{id}.
//
// An object patch merges member by member: a member set to null removes that
// member of the target, an object member merges recursively, anything else
// (string, number, bool, array) replaces the target's member. A patch that is
// not an object replaces the whole target.
#pragma once

#include "meridian/base/json.h"

namespace meridian {

// Applies `patch` to `target` in place.
void apply_merge_patch(Json* target, const Json& patch);

}  // namespace meridian
