// The OpenAPI 3 document served at GET /v1/openapi.json (docs/API.md is the
// prose version). Each operation has an operationId and, unless public, an
// "x-meridian-scope" naming the API-key scope it needs; tests check both
// against the route table (route_table.h) and docs/API.md.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace meridian::server {

// Compact JSON text, parsed and re-serialized once (so known to be valid).
const std::string& openapi_document();

// The paths of the OpenSearch-compatible routes (tag "compat"), a JSON object
// merged into openapi_document()'s "paths" (openapi_compat.cpp).
const char* compat_openapi_paths();

// The query parameters the document lists for `method` ("GET", ...) on the
// path template `pattern` (path-level and operation-level, $refs resolved),
// in document order; empty for an unknown route. The server accepts exactly
// these on the /v1 routes (ServerImpl::route), so a route's parameters are
// declared once, here.
std::vector<std::string> openapi_query_params(std::string_view method, std::string_view pattern);

}  // namespace meridian::server
