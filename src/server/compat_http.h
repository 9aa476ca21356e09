// Internal: helpers shared by the OpenSearch-compatible routes
// (routes_compat.cpp, routes_compat_search.cpp, routes_compat_bulk.cpp).
// Every answer of these routes is OpenSearch-shaped, errors included
// (compat_error.h).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "meridian/server/compat_error.h"
#include "meridian/server/compat_mapping.h"
#include "server_impl.h"

namespace meridian::server::compat {

void send(httplib::Response& res, int status, const Json& body);
void reply_error(httplib::Response& res, const OsError& e);

// The JSON body (null when empty and allowed), or a parsing_exception sent.
std::optional<Json> body_json(const httplib::Request& req, httplib::Response& res, bool allow_empty);

// The index `name` stands for (through an alias), or index_not_found sent.
std::shared_ptr<index::Index> lookup_index(ServerImpl& s, const std::string& name, httplib::Response& res);

// For a write: the index, created with dynamic mapping (id field "_id") when
// missing, as OpenSearch does, if the caller may create indexes (admin
// scope on it when auth is on). Otherwise an error is returned.
Result<std::shared_ptr<index::Index>> index_for_write(ServerImpl& s, const std::string& name);

// ?refresh=true|wait_for|false; sends an illegal_argument_exception otherwise.
std::optional<index::WriteOptions> write_options(const httplib::Request& req, httplib::Response& res);

// A new document id: 20 URL-safe base64 characters, as OpenSearch makes them.
std::string new_id();

// The document stored for `id`: `doc` with the id field set. When the index's
// id field is a real field ("id" of a native index) that already holds
// another value, it is an error.
Result<Json> with_id(const index::Index& idx, Json doc, const std::string& id);

// _update semantics: {"doc": partial, "doc_as_upsert": bool, "upsert": doc}.
// *result is "updated", "created" or "noop"; a missing document without an
// upsert is kNotFound ("document missing").
Result<index::PutResult> update_document(ServerImpl& s, index::Index& idx, const std::string& id, const Json& body,
                                         const index::WriteOptions& w, std::string* result);

// {"_index", "_id", "found", "_source"?} of one document (GET _doc, _mget).
Result<Json> get_document(const index::Index& idx, const std::string& id);

// {"total": 1, "successful": 1, "failed": 0}
Json shards(int64_t n = 1);

// The write response {"_index", "_id", "result", "_shards", "_seq_no"}.
Json write_result(const std::string& index, const std::string& id, const std::string& result, uint64_t seq);

}  // namespace meridian::server::compat
