// HTTP error mapping: the one place where a meridian::Status becomes an HTTP
// status and the JSON error body every route returns:
//
//   {"error": {"type": "invalid_argument", "reason": "...", <extra fields>}}
//
// Stateless functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "meridian/base/json.h"
#include "meridian/base/status.h"

namespace meridian::server {

// kInvalidArgument 400, kNotFound 404, kAlreadyExists 409, kTooLarge 413,
// kBusy 503, kUnsupported 501, kCorruption/kIOError/kInternal 500.
int http_status(Status::Code code);
// The "type" string of the error body: "invalid_argument", "not_found", ...
std::string_view error_type(Status::Code code);

// {"error": {"type": type, "reason": reason, ...extra members}}; `extra`
// must be an object or null.
std::string error_body(std::string_view type, std::string_view reason, const Json& extra = Json());
std::string error_body(const Status& st, const Json& extra = Json());

// The member a request error names, as the error body's extra fields: a
// message "sort[0].order: expected ..." gives {"path": "sort[0].order"};
// null when the message does not start with a path and ": ".
Json error_path(const std::string& message);
inline Json error_path(const Status& st) { return error_path(st.message()); }

// The type used for an HTTP status without a Status (401, 403, 405, 415, 429...).
std::string_view error_type_for_http(int http);

// Where a JSON parse error happened, when the message names it. simdjson's
// errors do not carry an offset, so this scans `text` for the first byte that
// makes it invalid UTF-8 ("column" of that byte, 1-based), or returns 0.
size_t invalid_utf8_offset(std::string_view text);

}  // namespace meridian::server
