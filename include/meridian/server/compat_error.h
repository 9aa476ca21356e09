// OpenSearch-shaped errors for the compatibility routes (docs/COMPAT.md):
//   {"error": {"root_cause": [{"type", "reason"}], "type", "reason", ...}, "status": N}
// The type names are OpenSearch's (index_not_found_exception,
// resource_already_exists_exception, mapper_parsing_exception,
// parsing_exception, ...) so clients that switch on them keep working.
//
// Value types and stateless functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "meridian/base/json.h"
#include "meridian/base/status.h"

namespace meridian::server::compat {

struct OsError {
  int status = 500;
  std::string type;    // "index_not_found_exception"
  std::string reason;  // human text
  std::string index;   // set on index errors: "index" and "index_uuid"-less extra key
};

// The "error" object (with root_cause); used whole and per bulk item.
Json error_object(const OsError& e);
// The response body {"error": {...}, "status": N}.
std::string error_body(const OsError& e);

// A Meridian Status as an OpenSearch error. `invalid_type` names the type of
// a kInvalidArgument ("parsing_exception" for a query, "mapper_parsing_exception"
// for a document or mapping); the other codes have fixed types.
OsError from_status(const Status& st, std::string_view invalid_type = "illegal_argument_exception");

OsError index_not_found(std::string_view index);

// A native route's error answer ({"error": {"type", "reason", ...}}, as
// ServerImpl::send_error writes it) as an OpenSearch error with the same
// status: 400 is `invalid_type`, 404 resource_not_found_exception, 409
// resource_already_exists_exception, 503 unavailable_shards_exception, any
// other exception. A body without a reason keeps the status and says so.
OsError from_native_error(int status, std::string_view body, std::string_view invalid_type = "illegal_argument_exception");

}  // namespace meridian::server::compat
