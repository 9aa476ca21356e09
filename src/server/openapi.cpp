// The OpenAPI 3 document of the v1 API (docs/API.md is the prose version).
#include "server_impl.h"

#include <cctype>

namespace meridian::server {
namespace {

constexpr const char* kOpenApi = R"JSON({
"openapi": "3.0.3",
"info": {"title": "Meridian HTTP API", "version": "1.0.0",
  "description": "Full-text and geospatial search. Errors are always {\"error\": {\"type\", \"reason\", ...}}. Each operation's x-meridian-scope is the API-key scope it needs when auth is on (none: public). A path not listed here is 404 and a listed path with another method 405, both after authentication."},
"servers": [{"url": "http://127.0.0.1:7700"}],
"components": {
  "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
  "parameters": {
    "index": {"name": "index", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_.-]{0,127}$"}},
    "id": {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
    "refresh": {"name": "refresh", "in": "query", "required": false, "schema": {"type": "string", "enum": ["wait_for", "true", "false"]}}
  },
  "schemas": {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["type", "reason"],
      "properties": {"type": {"type": "string"}, "reason": {"type": "string"}, "path": {"type": "string"}, "line": {"type": "integer"}, "column": {"type": "integer"}}}}},
    "Schema": {"type": "object", "properties": {"fields": {"type": "object", "additionalProperties": true}, "id_field": {"type": "string", "default": "id"},
      "shards": {"type": "integer", "minimum": 1, "maximum": 256, "default": 1, "description": "index creation in cluster mode: the fixed shard count (above 1 without --cluster is 400)"},
      "replicas": {"type": "integer", "minimum": 1, "maximum": 16, "default": 1, "description": "index creation in cluster mode: copies of each shard (above 1 without --cluster is 400)"},
      "settings": {"$ref": "#/components/schemas/IndexSettings", "description": "index creation: initial search settings"}}},
    "IndexSettings": {"type": "object", "additionalProperties": false, "description": "docs/API.md, Index settings; an unknown key is 400", "properties": {
      "synonyms": {"oneOf": [{"type": "object", "properties": {"multi_way": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}}, "one_way": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}}},
        {"type": "array", "items": {"oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}]}}]},
      "q_fields": {"oneOf": [{"type": "object", "additionalProperties": {"type": "number"}}, {"type": "array", "items": {"type": "string"}}]},
      "typo_tolerance": {"type": "object", "properties": {"enabled": {"type": "boolean", "default": true}, "min_word_length_one_typo": {"type": "integer", "default": 5},
        "min_word_length_two_typos": {"type": "integer", "default": 9}, "disable_on_words": {"type": "array", "items": {"type": "string"}}, "disable_on_fields": {"type": "array", "items": {"type": "string"}}}},
      "stop_words": {"type": "array", "items": {"type": "string"}},
      "distinct": {"type": "string", "nullable": true},
      "refresh_interval": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
      "ranking_rules": {"type": "array", "items": {"type": "string"}}}},
    "SearchRequest": {"type": "object", "additionalProperties": false, "description": "docs/QUERY.md, Search request; an unknown key is 400", "properties": {
      "q": {"type": "string"}, "q_fields": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
      "matching_strategy": {"type": "string", "enum": ["last", "all"], "default": "last", "description": "q of several words: last drops words from the end when the page is short"},
      "query": {"type": "object"}, "filter": {}, "sort": {}, "from": {"type": "integer", "minimum": 0}, "size": {"type": "integer", "minimum": 0},
      "search_after": {"type": "array", "items": {}}, "facets": {"type": "object"}, "highlight": {"type": "object"},
      "fields": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
      "source": {"type": "boolean", "default": true, "description": "false: hits carry no source"}, "explain": {"type": "boolean", "default": false},
      "track_total_hits": {"oneOf": [{"type": "boolean"}, {"type": "integer", "minimum": 0}], "default": 10000},
      "near": {}, "radius": {"type": "string"}, "geo_field": {"type": "string", "default": "location"}, "bbox": {},
      "geo_decay": {"type": "object", "properties": {"field": {"type": "string"}, "origin": {}, "function": {"type": "string", "enum": ["gauss", "exp", "linear"]},
        "scale": {"type": "string"}, "offset": {"type": "string"}, "decay": {"type": "number"}, "weight": {"type": "number"}}}}},
    "SearchResponse": {"type": "object", "required": ["total", "hits", "took_ms"], "properties": {
      "total": {"type": "object", "properties": {"value": {"type": "integer"}, "relation": {"type": "string", "enum": ["eq", "gte"]}}},
      "hits": {"type": "array", "items": {"type": "object", "required": ["id", "score"], "properties": {
        "id": {"type": "string"}, "score": {"type": "number", "nullable": true, "description": "null when the hits are sorted by something other than relevance"}, "source": {"type": "object"}, "distance_m": {"type": "number"},
        "highlight": {"type": "object"}, "sort": {"type": "array", "items": {}}}}},
      "facets": {"type": "object"}, "took_ms": {"type": "number"},
      "suggest": {"type": "array", "description": "did you mean: q re-spelled, when a word of q is not a word of the searched fields (absent otherwise)", "items": {"type": "object", "required": ["text", "score"], "properties": {"text": {"type": "string"}, "score": {"type": "number"}}}},
      "shards": {"type": "object", "description": "clustered index only", "properties": {"total": {"type": "integer"}, "successful": {"type": "integer"}, "failed": {"type": "integer"}}},
      "failures": {"type": "array", "description": "clustered index, when a shard failed", "items": {"type": "object", "properties": {"shard": {"type": "integer"}, "reason": {"type": "string"}}}}}},
    "BulkResponse": {"type": "object", "properties": {"indexed": {"type": "integer"}, "failed": {"type": "integer"},
      "errors": {"type": "array", "items": {"type": "object", "properties": {"line": {"type": "integer"}, "id": {}, "error": {"type": "string"}}}},
      "took_ms": {"type": "number"}}},
    "ApiKey": {"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"},
      "scopes": {"type": "array", "items": {"type": "string", "enum": ["admin", "write", "search"]}},
      "indexes": {"type": "array", "items": {"type": "string"}}, "created_ms": {"type": "integer"}, "key": {"type": "string"}}}
  },
  "responses": {
    "Error": {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
  }
},
"security": [{"bearer": []}],
"paths": {
  "/health": {"get": {"operationId": "health", "summary": "liveness; status degraded (with reason) while an index refuses writes after an I/O error", "security": [], "responses": {"200": {"description": "{\"status\":\"ok\"} or {\"status\":\"degraded\",\"reason\":\"<file>: <errno text>\",\"indexes\":{...}}"}}}},
  "/metrics": {"get": {"operationId": "metrics", "x-meridian-scope": "admin", "summary": "Prometheus metrics (admin)", "responses": {"200": {"description": "text/plain; version=0.0.4"}, "401": {"$ref": "#/components/responses/Error"}}}},
  "/v1/cluster": {"get": {"operationId": "clusterState", "x-meridian-scope": "admin", "summary": "Cluster state (admin): nodes, clustered indexes, shards, replicas with applied sequence, lag and state; {\"enabled\": false} on a single node", "responses": {"200": {"description": "cluster state"}, "401": {"$ref": "#/components/responses/Error"}, "503": {"$ref": "#/components/responses/Error"}}}},
  "/_console/{file}": {"get": {"operationId": "consoleFile", "summary": "a file of the web console (compiled into the binary); ETag, 304 on If-None-Match", "security": [],
    "parameters": [{"name": "file", "in": "path", "required": true, "schema": {"type": "string"}}],
    "responses": {"200": {"description": "the file, with its content type"}, "304": {"description": "not modified"}, "404": {"$ref": "#/components/responses/Error"}}}},
  "/_console/third_party/{package}/{file}": {"get": {"operationId": "consoleThirdPartyFile", "summary": "a vendored file of the web console (Leaflet, topojson-client, world-atlas) or its LICENSE", "security": [],
    "parameters": [{"name": "package", "in": "path", "required": true, "schema": {"type": "string"}}, {"name": "file", "in": "path", "required": true, "schema": {"type": "string"}}],
    "responses": {"200": {"description": "the file, with its content type"}, "304": {"description": "not modified"}, "404": {"$ref": "#/components/responses/Error"}}}},
  "/_console/third_party/{package}/images/{file}": {"get": {"operationId": "consoleThirdPartyImage", "summary": "an image of a vendored package (Leaflet's)", "security": [],
    "parameters": [{"name": "package", "in": "path", "required": true, "schema": {"type": "string"}}, {"name": "file", "in": "path", "required": true, "schema": {"type": "string"}}],
    "responses": {"200": {"description": "image/png"}, "304": {"description": "not modified"}, "404": {"$ref": "#/components/responses/Error"}}}},
  "/v1/openapi.json": {"get": {"operationId": "openapi", "summary": "this document", "security": [], "responses": {"200": {"description": "OpenAPI 3"}}}},
  "/v1/indexes": {"get": {"operationId": "listIndexes", "x-meridian-scope": "search", "summary": "list indexes", "responses": {"200": {"description": "{\"indexes\": [{\"name\", \"docs\"}]}"}}}},
  "/v1/indexes/{index}": {
    "parameters": [{"$ref": "#/components/parameters/index"}],
    "put": {"operationId": "createIndex", "x-meridian-scope": "admin", "summary": "create an index", "requestBody": {"required": false, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Schema"}}}},
      "responses": {"201": {"description": "created"}, "400": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}},
    "get": {"operationId": "getIndex", "x-meridian-scope": "search", "summary": "schema and stats", "responses": {"200": {"description": "{\"name\", \"schema\", \"stats\"}"}, "404": {"$ref": "#/components/responses/Error"}}},
    "patch": {"operationId": "updateIndexSchema", "x-meridian-scope": "admin", "summary": "schema evolution: add fields (with their analyzers) without a reindex; changing an existing field is 409 naming it, with a pointer to the reindex recipe. On a clustered index through any node: stored cluster-wide and applied by every replica at its log position (docs/CLUSTER.md)",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Schema"}}}},
      "responses": {"200": {"description": "{\"index\", \"result\": \"updated\"|\"unchanged\", \"added\": [names], \"schema\"}"}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}, "503": {"$ref": "#/components/responses/Error"}}},
    "delete": {"operationId": "deleteIndex", "x-meridian-scope": "admin", "summary": "drop an index", "responses": {"200": {"description": "deleted"}, "404": {"$ref": "#/components/responses/Error"}}}},
  "/v1/indexes/{index}/docs": {
    "parameters": [{"$ref": "#/components/parameters/index"}, {"$ref": "#/components/parameters/refresh"}],
    "get": {"operationId": "listDocuments", "x-meridian-scope": "search", "summary": "documents in id order, a page at a time (as of the latest refresh)",
      "parameters": [{"name": "after", "in": "query", "schema": {"type": "string"}, "description": "the cursor: the last id of the previous page (its next)"},
        {"name": "size", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
        {"name": "source", "in": "query", "schema": {"type": "boolean", "default": true}}],
      "responses": {"200": {"description": "{\"docs\": [{\"id\", \"source\"}], \"next\": the cursor of the next page or null}"}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}},
    "post": {"operationId": "bulkWrite", "x-meridian-scope": "write", "summary": "bulk write: NDJSON or a JSON array; answered once the stored documents are durable",
      "requestBody": {"required": true, "content": {"application/x-ndjson": {"schema": {"type": "string"}}, "application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}},
      "responses": {"200": {"description": "per-line results", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BulkResponse"}}}},
        "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"}, "415": {"$ref": "#/components/responses/Error"}}}},
  "/v1/indexes/{index}/docs/{id}": {
    "parameters": [{"$ref": "#/components/parameters/index"}, {"$ref": "#/components/parameters/id"}],
    "put": {"operationId": "putDocument", "x-meridian-scope": "write", "summary": "create or replace a document", "parameters": [{"$ref": "#/components/parameters/refresh"}],
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object"}}}},
      "responses": {"200": {"description": "updated"}, "201": {"description": "created"}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}},
    "patch": {"operationId": "patchDocument", "x-meridian-scope": "write", "summary": "partial update: a JSON merge patch (RFC 7396; null removes a member)",
      "parameters": [{"$ref": "#/components/parameters/refresh"}, {"name": "upsert", "in": "query", "schema": {"type": "boolean", "default": false}, "description": "create the document from the patch when it does not exist (else 404)"}],
      "requestBody": {"required": true, "content": {"application/merge-patch+json": {"schema": {"type": "object"}}, "application/json": {"schema": {"type": "object"}}}},
      "responses": {"200": {"description": "{\"id\", \"result\": \"updated\", \"seq\"}"}, "201": {"description": "created (upsert)"}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}},
    "get": {"operationId": "getDocument", "x-meridian-scope": "search", "summary": "realtime get", "responses": {"200": {"description": "{\"id\", \"found\", \"source\"}"}, "404": {"$ref": "#/components/responses/Error"}}},
    "delete": {"operationId": "deleteDocument", "x-meridian-scope": "write", "summary": "delete a document", "parameters": [{"$ref": "#/components/parameters/refresh"}], "responses": {"200": {"description": "deleted"}, "404": {"$ref": "#/components/responses/Error"}}}},
  "/v1/indexes/{index}/delete-by-query": {
    "parameters": [{"$ref": "#/components/parameters/index"}, {"$ref": "#/components/parameters/refresh"}],
    "post": {"operationId": "deleteByQuery", "x-meridian-scope": "write", "summary": "delete every document a query selects (the search body's q, q_fields, query, filter, near, radius, bbox, geo_field); sees every acknowledged write",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchRequest"}}}},
      "responses": {"200": {"description": "{\"deleted\": n, \"took_ms\"}"}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}},
  "/v1/indexes/{index}/refresh": {
    "parameters": [{"$ref": "#/components/parameters/index"}],
    "post": {"operationId": "refreshIndex", "x-meridian-scope": "write", "summary": "make every acknowledged write searchable now; on a clustered index every in-sync replica of every shard refreshes",
      "responses": {"200": {"description": "{\"index\", \"result\": \"refreshed\", \"visible_seq\"}; on a clustered index {\"index\", \"result\": \"refreshed\", \"shards\": {\"total\", \"successful\", \"failed\"}} and \"failures\": [{\"shard\", \"reason\"}] when a shard failed"}, "404": {"$ref": "#/components/responses/Error"}, "503": {"$ref": "#/components/responses/Error"}}}},
  "/v1/indexes/{index}/settings": {
    "parameters": [{"$ref": "#/components/parameters/index"}],
    "get": {"operationId": "getSettings", "x-meridian-scope": "search", "summary": "the index's search settings, every key with its effective value",
      "responses": {"200": {"description": "{\"index\", \"settings\"}", "content": {"application/json": {"schema": {"type": "object", "properties": {"index": {"type": "string"}, "settings": {"$ref": "#/components/schemas/IndexSettings"}}}}}},
        "404": {"$ref": "#/components/responses/Error"}}},
    "patch": {"operationId": "updateSettings", "x-meridian-scope": "admin", "summary": "change settings: a JSON merge patch (RFC 7396; null restores a key's default); applies at once, no reindex (a clustered index: stored in its shard map)",
      "requestBody": {"required": true, "content": {"application/merge-patch+json": {"schema": {"$ref": "#/components/schemas/IndexSettings"}}, "application/json": {"schema": {"$ref": "#/components/schemas/IndexSettings"}}}},
      "responses": {"200": {"description": "{\"index\", \"settings\"}: the settings now in force"}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "501": {"$ref": "#/components/responses/Error"}}}},
  "/v1/indexes/{index}/search": {
    "parameters": [{"$ref": "#/components/parameters/index"}],
    "post": {"operationId": "search", "x-meridian-scope": "search", "summary": "search with a JSON body", "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchRequest"}}}},
      "responses": {"200": {"description": "hits", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchResponse"}}}}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}},
    "get": {"operationId": "searchGet", "x-meridian-scope": "search", "summary": "search with URL parameters",
      "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}},
        {"name": "q_fields", "in": "query", "schema": {"type": "string"}, "description": "name^2,alt"},
        {"name": "filter", "in": "query", "schema": {"type": "string"}, "description": "query-string syntax"},
        {"name": "near", "in": "query", "schema": {"type": "string"}, "description": "lat,lon"},
        {"name": "radius", "in": "query", "schema": {"type": "string"}, "description": "e.g. 5km"},
        {"name": "geo_field", "in": "query", "schema": {"type": "string"}, "description": "default location"},
        {"name": "bbox", "in": "query", "schema": {"type": "string"}, "description": "top,left,bottom,right"},
        {"name": "decay", "in": "query", "schema": {"type": "string"}, "description": "gauss, exp or linear: a geo_decay around near"},
        {"name": "scale", "in": "query", "schema": {"type": "string"}},
        {"name": "offset", "in": "query", "schema": {"type": "string"}},
        {"name": "decay_value", "in": "query", "schema": {"type": "number"}},
        {"name": "sort", "in": "query", "schema": {"type": "string"}, "description": "field:desc,other,_score,_geo_distance:asc"},
        {"name": "size", "in": "query", "schema": {"type": "integer"}},
        {"name": "from", "in": "query", "schema": {"type": "integer"}},
        {"name": "fields", "in": "query", "schema": {"type": "string"}, "description": "a,b"},
        {"name": "source", "in": "query", "schema": {"type": "boolean"}},
        {"name": "facets", "in": "query", "schema": {"type": "string"}, "description": "terms facets, one per field: a,b"},
        {"name": "highlight", "in": "query", "schema": {"type": "string"}, "description": "fields a,b"},
        {"name": "explain", "in": "query", "schema": {"type": "boolean"}},
        {"name": "track_total_hits", "in": "query", "schema": {"type": "string"}, "description": "true, false or a number"},
        {"name": "matching_strategy", "in": "query", "schema": {"type": "string", "enum": ["last", "all"]}, "description": "q of several words: last (default) or all"}],
      "responses": {"200": {"description": "hits", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchResponse"}}}}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}},
  "/v1/indexes/{index}/watch": {
    "parameters": [{"$ref": "#/components/parameters/index"}],
    "get": {"operationId": "watch", "x-meridian-scope": "search", "summary": "live query: Server-Sent Events (event: match, delete, truncate, reset, dropped, closed; heartbeats)",
      "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}}, {"name": "q_fields", "in": "query", "schema": {"type": "string"}},
        {"name": "filter", "in": "query", "schema": {"type": "string"}}, {"name": "near", "in": "query", "schema": {"type": "string"}},
        {"name": "radius", "in": "query", "schema": {"type": "string"}}, {"name": "geo_field", "in": "query", "schema": {"type": "string"}},
        {"name": "bbox", "in": "query", "schema": {"type": "string"}},
        {"name": "heartbeat_ms", "in": "query", "schema": {"type": "integer"}}, {"name": "Last-Event-ID", "in": "header", "schema": {"type": "string"}},
        {"name": "last_event_id", "in": "query", "schema": {"type": "string"}, "description": "instead of the Last-Event-ID header"}],
      "responses": {"200": {"description": "text/event-stream"}, "404": {"$ref": "#/components/responses/Error"}}}},
  "/v1/cluster/snapshots": {
    "post": {"operationId": "createReplicaSnapshot", "x-meridian-scope": "admin", "summary": "cluster-internal: a consistent snapshot of this node's replica of one shard, for a node rebuilding its own replica (docs/CLUSTER.md); its files with sizes and CRC32C",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["index", "shard", "uid"], "properties": {
        "index": {"type": "string"}, "shard": {"type": "integer", "minimum": 0}, "uid": {"type": "string", "description": "the index creation's uid (its shard map)"}}}}}},
      "responses": {"201": {"description": "{\"id\", \"index\", \"shard\", \"files\": [{\"name\", \"size\", \"crc32c\"}], \"bytes\"}"},
        "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "503": {"$ref": "#/components/responses/Error"}}}},
  "/v1/cluster/snapshots/{id}/files/{name}": {
    "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}, {"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}],
    "get": {"operationId": "getReplicaSnapshotFile", "x-meridian-scope": "admin", "summary": "cluster-internal: one file of a replica snapshot, streamed (application/octet-stream)",
      "responses": {"200": {"description": "the file's bytes"}, "404": {"$ref": "#/components/responses/Error"}}}},
  "/v1/cluster/snapshots/{id}": {
    "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
    "delete": {"operationId": "deleteReplicaSnapshot", "x-meridian-scope": "admin", "summary": "cluster-internal: removes a replica snapshot",
      "responses": {"200": {"description": "{\"deleted\": id}"}, "404": {"$ref": "#/components/responses/Error"}}}},
  "/v1/indexes/{index}/shards/{shard}/select": {
    "parameters": [{"$ref": "#/components/parameters/index"}, {"name": "shard", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 0}}],
    "post": {"operationId": "shardSelect", "x-meridian-scope": "write", "summary": "cluster-internal: the ids of the documents this node's replica of one shard of a clustered index selects for a delete-by-query (the router calls it; docs/CLUSTER.md)",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["query"], "properties": {
        "query": {"type": "object", "description": "the delete-by-query body (q, q_fields, query, filter, near, radius, bbox, geo_field)"}}}}}},
      "responses": {"200": {"description": "{\"ids\": [...]} in id order"},
        "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}},
  "/v1/indexes/{index}/shards/{shard}/refresh": {
    "parameters": [{"$ref": "#/components/parameters/index"}, {"name": "shard", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 0}}],
    "post": {"operationId": "shardRefresh", "x-meridian-scope": "write", "summary": "cluster-internal: this node's replica of one shard of a clustered index refreshes once it has applied stream sequence seq (the refresh router calls it; docs/CLUSTER.md)",
      "requestBody": {"required": false, "content": {"application/json": {"schema": {"type": "object", "properties": {
        "seq": {"type": "integer", "minimum": 0, "description": "the stream sequence to apply first (waited for up to 5 s)"}}}}}},
      "responses": {"200": {"description": "{\"index\", \"shard\", \"node\", \"result\": \"refreshed\", \"applied_seq\"}"},
        "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "503": {"$ref": "#/components/responses/Error"}}}},
  "/v1/indexes/{index}/shards/{shard}/watch": {
    "parameters": [{"$ref": "#/components/parameters/index"}, {"name": "shard", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 0}}],
    "get": {"operationId": "shardWatch", "x-meridian-scope": "search", "summary": "cluster-internal: the live query of this node's replica of one shard of a clustered index, as Server-Sent Events (the watch router calls it; docs/CLUSTER.md): first event replica {\"node\", \"shard\", \"ring\", \"from\", \"gap\"}, then the single-node watch's events with \"shard\" in their data",
      "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}}, {"name": "q_fields", "in": "query", "schema": {"type": "string"}},
        {"name": "filter", "in": "query", "schema": {"type": "string"}}, {"name": "near", "in": "query", "schema": {"type": "string"}},
        {"name": "radius", "in": "query", "schema": {"type": "string"}}, {"name": "geo_field", "in": "query", "schema": {"type": "string"}},
        {"name": "bbox", "in": "query", "schema": {"type": "string"}},
        {"name": "heartbeat_ms", "in": "query", "schema": {"type": "integer"}},
        {"name": "last_event_id", "in": "query", "schema": {"type": "string"}, "description": "resume after this sequence of the replica's ring (with ring)"},
        {"name": "ring", "in": "query", "schema": {"type": "string"}, "description": "the hexadecimal ring last_event_id belongs to; another ring starts now with gap true"}],
      "responses": {"200": {"description": "text/event-stream"}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}},
  "/v1/indexes/{index}/shards/{shard}/search": {
    "parameters": [{"$ref": "#/components/parameters/index"}, {"name": "shard", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 0}}],
    "post": {"operationId": "shardSearch", "x-meridian-scope": "search", "summary": "cluster-internal: one phase of a search on this node's replica of one shard of a clustered index (the search router calls it; docs/CLUSTER.md)",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["phase"], "properties": {
        "phase": {"type": "string", "enum": ["stats", "search"]}, "search": {"$ref": "#/components/schemas/SearchRequest"},
        "params": {"type": "object", "additionalProperties": {"type": "string"}, "description": "GET search parameters, instead of search"},
        "stats": {"type": "object", "description": "phase search: the index-wide statistics {\"total_docs\", \"fields\", \"df\"} the shard scores with"}}}}}},
      "responses": {"200": {"description": "phase stats: {\"stats\": {\"total_docs\", \"fields\": {name: [docs, sum_len]}, \"df\": {hex term key: n}}}; phase search: the shard's top from+size hits as a search response"},
        "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}},
  "/v1/indexes/{index}/changes": {
    "parameters": [{"$ref": "#/components/parameters/index"}, {"$ref": "#/components/parameters/refresh"},
      {"name": "source", "in": "query", "schema": {"type": "string"}, "description": "a debezium source whose mapping and id column apply"},
      {"name": "id_column", "in": "query", "schema": {"type": "string"}}],
    "post": {"operationId": "postChanges", "x-meridian-scope": "write", "summary": "Debezium change events (op c, u, d, r, t; with or without the schema/payload envelope): one event, an array or NDJSON",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {}}, "application/x-ndjson": {"schema": {"type": "string"}}}},
      "responses": {"200": {"description": "{\"events\", \"applied\", \"upserts\", \"deletes\", \"truncates\", \"skipped\", \"tombstones\", \"positions\", \"took_ms\"}, plus \"acks\": [{\"shard\", \"seq\"}] on a clustered index; 400 names the malformed event and line, nothing applied"},
        "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"}, "500": {"$ref": "#/components/responses/Error"}}}},
  "/v1/indexes/{index}/sources": {
    "parameters": [{"$ref": "#/components/parameters/index"}],
    "get": {"operationId": "listSources", "x-meridian-scope": "admin", "summary": "CDC sources of the index with their state (admin)", "responses": {"200": {"description": "{\"sources\": [...]}"}, "404": {"$ref": "#/components/responses/Error"}}}},
  "/v1/indexes/{index}/sources/{name}": {
    "parameters": [{"$ref": "#/components/parameters/index"}, {"name": "name", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[a-z0-9_]{1,63}$"}}],
    "put": {"operationId": "putSource", "x-meridian-scope": "admin", "summary": "define a CDC source (admin): postgres (logical replication, pgoutput) or debezium",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["type"], "properties": {
        "type": {"type": "string", "enum": ["postgres", "debezium"]}, "dsn": {"type": "string"}, "table": {"type": "string"},
        "publication": {"type": "string"}, "slot": {"type": "string"}, "id_column": {"type": "string"}, "mapping": {"type": "object"}}}}}},
      "responses": {"200": {"description": "replaced"}, "201": {"description": "created"}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}},
    "get": {"operationId": "getSource", "x-meridian-scope": "admin", "summary": "a source's config and state: state, last_error, applied_lsn, flushed_lsn, server_lsn, lag_bytes, lag_seconds, snapshot_rows, changes, reconnects (a clustered index: also node, position)",
      "responses": {"200": {"description": "source"}, "404": {"$ref": "#/components/responses/Error"}}},
    "delete": {"operationId": "deleteSource", "x-meridian-scope": "admin", "summary": "stop and forget a source", "parameters": [{"name": "drop_slot", "in": "query", "schema": {"type": "boolean"}}],
      "responses": {"200": {"description": "{\"source\", \"result\": \"deleted\", \"slot_dropped\"}"}, "404": {"$ref": "#/components/responses/Error"}}}},
  "/v1/multi-search": {"post": {"operationId": "multiSearch", "x-meridian-scope": "search", "summary": "several searches in one request; each needs the search scope on its index",
    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["searches"], "properties": {
      "searches": {"type": "array", "maxItems": 100, "items": {"allOf": [{"$ref": "#/components/schemas/SearchRequest"}, {"type": "object", "required": ["index"], "properties": {"index": {"type": "string"}}}]}}}}}}},
    "responses": {"200": {"description": "{\"responses\": [search response + \"index\" + \"status\": 200, or {\"error\", \"status\"}], \"took_ms\"}"}, "400": {"$ref": "#/components/responses/Error"}}}},
  "/v1/backup": {"post": {"operationId": "backup", "x-meridian-scope": "admin", "summary": "consistent online snapshot of indexes into a new directory on the server (hard links of immutable segment files + manifest + WAL tail; writes never stop); restore with meridian restore",
    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["path"], "properties": {
      "path": {"type": "string", "description": "absolute path of a new or empty directory"}, "indexes": {"type": "array", "items": {"type": "string"}, "description": "default: every index"}}}}}},
    "responses": {"200": {"description": "{\"path\", \"indexes\": [{\"name\", \"last_seq\", \"generation\", \"files\", \"wal_bytes\", \"bytes_copied\"}], \"aliases\", \"took_ms\"}"}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}},
  "/v1/aliases": {
    "get": {"operationId": "listAliases", "x-meridian-scope": "search", "summary": "aliases whose index the key may search", "responses": {"200": {"description": "{\"aliases\": {\"alias\": \"index\"}}"}}},
    "post": {"operationId": "updateAliases", "x-meridian-scope": "admin", "summary": "apply alias actions atomically (all or none): swap aliases between indexes in one request",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["actions"], "properties": {
        "actions": {"type": "array", "items": {"type": "object", "properties": {
          "add": {"type": "object", "required": ["alias", "index"], "properties": {"alias": {"type": "string"}, "index": {"type": "string"}}},
          "remove": {"type": "object", "required": ["alias"], "properties": {"alias": {"type": "string"}, "index": {"type": "string"}}}}}}}}}}},
      "responses": {"200": {"description": "{\"acknowledged\": true, \"actions\": n}"}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}},
  "/v1/aliases/{alias}": {
    "parameters": [{"name": "alias", "in": "path", "required": true, "schema": {"type": "string"}}],
    "put": {"operationId": "putAlias", "x-meridian-scope": "admin", "summary": "point an alias at an index (create or move it)",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["index"], "properties": {"index": {"type": "string"}}}}}},
      "responses": {"200": {"description": "moved"}, "201": {"description": "created"}, "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}},
    "get": {"operationId": "getAlias", "x-meridian-scope": "search", "summary": "the index an alias points to", "responses": {"200": {"description": "{\"alias\", \"index\"}"}, "404": {"$ref": "#/components/responses/Error"}}},
    "delete": {"operationId": "deleteAlias", "x-meridian-scope": "admin", "summary": "remove an alias (the index stays)", "responses": {"200": {"description": "deleted"}, "404": {"$ref": "#/components/responses/Error"}}}},
  "/v1/analyze": {"post": {"operationId": "analyze", "x-meridian-scope": "search", "summary": "tokens of a text",
    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["text"], "properties": {
      "text": {"type": "string"}, "language": {"type": "string"}, "stem": {"type": "boolean"}, "stopwords": {"type": "boolean"}, "fold_accents": {"type": "boolean"}, "keyword": {"type": "boolean"}}}}}},
    "responses": {"200": {"description": "{\"tokens\": [{\"token\", \"position\", \"start\", \"end\"}]}"}, "400": {"$ref": "#/components/responses/Error"}}}},
  "/v1/keys": {
    "post": {"operationId": "createKey", "x-meridian-scope": "admin", "summary": "create an API key (admin); the secret is returned once",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApiKey"}}}},
      "responses": {"201": {"description": "created", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApiKey"}}}}, "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"}}},
    "get": {"operationId": "listKeys", "x-meridian-scope": "admin", "summary": "list API keys (no secrets)", "responses": {"200": {"description": "{\"keys\": [...]}"}}}},
  "/v1/keys/{id}": {
    "parameters": [{"$ref": "#/components/parameters/id"}],
    "get": {"operationId": "getKey", "x-meridian-scope": "admin", "summary": "one API key", "responses": {"200": {"description": "key"}, "404": {"$ref": "#/components/responses/Error"}}},
    "delete": {"operationId": "deleteKey", "x-meridian-scope": "admin", "summary": "revoke an API key", "responses": {"200": {"description": "deleted"}, "404": {"$ref": "#/components/responses/Error"}}}}
}
})JSON";

}  // namespace

const std::string& openapi_document() {
  // Re-serialized once so the served text is compact and known to be valid JSON.
  static const std::string doc = [] {
    auto j = parse_json(kOpenApi);
    if (!j) return std::string(kOpenApi);
    auto compat = parse_json(compat_openapi_paths());
    if (compat && j->find("paths"))
      for (auto& [path, item] : compat->as_object()) j->find("paths")->set(path, item);
    return j->dump();
  }();
  return doc;
}

std::vector<std::string> openapi_query_params(std::string_view method, std::string_view pattern) {
  static const Json doc = [] {
    auto j = parse_json(openapi_document());
    return j ? std::move(*j) : Json::object();
  }();
  std::vector<std::string> out;
  const Json* paths = doc.find("paths");
  const Json* path = paths ? paths->find(pattern) : nullptr;
  if (!path) return out;
  std::string op(method);
  for (char& c : op) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const Json* params_of_path = path->find("parameters");
  const Json* operation = path->find(op);
  const Json* params_of_op = operation ? operation->find("parameters") : nullptr;
  const Json* components = doc.find("components");
  const Json* shared = components ? components->find("parameters") : nullptr;
  for (const Json* list : {params_of_path, params_of_op}) {
    if (!list || !list->is_array()) continue;
    for (const Json& p : list->as_array()) {
      const Json* def = &p;
      if (const Json* ref = p.find("$ref"); ref && ref->is_string()) {
        const std::string& r = ref->as_string();
        def = shared ? shared->find(r.substr(r.rfind('/') + 1)) : nullptr;
      }
      if (!def) continue;
      const Json* in = def->find("in");
      const Json* name = def->find("name");
      if (in && name && in->is_string() && name->is_string() && in->as_string() == "query")
        out.push_back(name->as_string());
    }
  }
  return out;
}

}  // namespace meridian::server
