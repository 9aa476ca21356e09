// The OpenAPI 3 document served at GET /v1/openapi.json (docs/API.md is the
// prose version). Each operation has an operationId and, unless public, an
// "x-meridian-scope" naming the API-key scope it needs; tests check both
// against the route table (route_table.h) and docs/API.md.
#pragma once

#include <string>

namespace meridian::server {

// Compact JSON text, parsed and re-serialized once (so known to be valid).
const std::string& openapi_document();

// The paths of the OpenSearch-compatible routes (tag "compat"), a JSON object
// merged into openapi_document()'s "paths" (openapi_compat.cpp).
const char* compat_openapi_paths();

}  // namespace meridian::server
