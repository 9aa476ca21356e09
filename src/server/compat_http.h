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
// Node-local indexes only: routes that also serve clustered ones use lookup_target.
std::shared_ptr<index::Index> lookup_index(ServerImpl& s, const std::string& name, httplib::Response& res);

// What an index name of a compat route stands for: a node-local index, or on
// a node in cluster mode a clustered index (docs/CLUSTER.md, "The
// OpenSearch-compatible API"), either through an alias. Exactly one of
// `local` and `clustered` is set; `schema` is that index's.
struct Target {
  std::shared_ptr<index::Index> local;
  std::optional<cluster::ShardMap> clustered;
  std::shared_ptr<const index::Schema> schema;
  const std::string& name() const { return local ? local->name() : clustered->index; }
  const std::string& id_field() const { return schema->id_field(); }
};

// The target of `name`: the node's index first, then the cluster's (with
// `cached`, from the node's routing view: the read routes, which must not
// wait on NATS). NotFound when neither has it.
Result<Target> find_target(ServerImpl& s, const std::string& name, bool cached = false);
// The same, or index_not_found (an error reading the cluster's schema) sent.
std::optional<Target> lookup_target(ServerImpl& s, const std::string& name, httplib::Response& res,
                                    bool cached = false);

// For a write: the target, on a single node created with dynamic mapping (id
// field "_id") when missing, as OpenSearch does, if the caller may create
// indexes (admin scope on it when auth is on). In cluster mode a missing
// index is not created (a clustered index's fields are fixed when it is
// created, so PUT /{index} with its mappings comes first): NotFound saying so.
Result<Target> target_for_write(ServerImpl& s, const std::string& name);

// An index_not_found_exception with the reason of a NotFound `st` (which
// says why, e.g. that creating the index needs the admin scope), or
// from_status for any other code.
OsError not_found_or(const Status& st, const std::string& name);

// ?refresh=true|wait_for|false; sends an illegal_argument_exception otherwise.
std::optional<index::WriteOptions> write_options(const httplib::Request& req, httplib::Response& res);

// A new document id: 20 URL-safe base64 characters, as OpenSearch makes them.
std::string new_id();

// The document stored for `id`: `doc` with the id field set. When the index's
// id field is a real field ("id" of a native index) that already holds
// another value, it is an error.
Result<Json> with_id(const std::string& id_field, const std::string& index, Json doc, const std::string& id);
inline Result<Json> with_id(const index::Index& idx, Json doc, const std::string& id) {
  return with_id(idx.schema()->id_field(), idx.name(), std::move(doc), id);
}

// An _update body: {"doc": partial, "doc_as_upsert": bool, "upsert": doc}
// (scripts refused, "detect_noop" and "_source" ignored).
struct UpdateSpec {
  Json doc;
  std::optional<Json> upsert;
  bool doc_as_upsert = false;
};
Result<UpdateSpec> parse_update(const Json& body);

// _update semantics on a node-local index. *result is "updated" or
// "created"; a missing document without an upsert is kNotFound ("document missing").
Result<index::PutResult> update_document(ServerImpl& s, index::Index& idx, const std::string& id, const Json& body,
                                         const index::WriteOptions& w, std::string* result);

// {"_index", "_id", "found", "_source"?} of one document (GET _doc, _mget).
Result<Json> get_document(const index::Index& idx, const std::string& id);
// The same from a stored source (nullopt: no such document).
Result<Json> document_json(const std::string& index, const std::string& id, const std::optional<std::string>& stored,
                           const std::string& id_field);
// The same for a target of either kind; `in` carries the caller's
// Authorization to the node holding a clustered document's shard.
Result<Json> get_target_document(ServerImpl& s, const Target& t, const std::string& id, const httplib::Request& in);

// Clustered writes (routes_compat_clustered.cpp). Each is one record in the
// shard's log, acknowledged by JetStream; IOError when no ack came, and
// InvalidArgument for a document every replica would refuse.
// A put of `doc` (its id field set); with `create`, refused with
// AlreadyExists when a caught-up replica holds `id`.
Result<cluster::WriteAck> clustered_put(ServerImpl& s, const Target& t, const Json& doc, const std::string& id, bool create,
                                        const httplib::Request& in);
// _update: checked against a caught-up replica's copy (as ServerImpl::patch_clustered),
// then a patch record, or the "upsert" document put when none is stored.
Result<cluster::WriteAck> clustered_update(ServerImpl& s, const Target& t, const std::string& id, const Json& body,
                                           const httplib::Request& in, std::string* result);
// refresh=wait_for|true of one acknowledged write: until every replica of its shard applied it.
Status wait_visible(ServerImpl& s, const Target& t, const cluster::WriteAck& ack, const index::WriteOptions& w);
// The clustered indexes the caller may `scope` (none on a single node), as
// targets without a schema.
std::vector<Target> clustered_targets(ServerImpl& s, Scope scope);
// The number of documents of clustered index `m`: the router's exact total
// of a match-all search, as GET /v1/indexes counts it; nullopt unless every
// shard answered (*failed: how many did not).
std::optional<int64_t> count_clustered(ServerImpl& s, const cluster::ShardMap& m, const httplib::Request& in,
                                       int64_t* failed);

// _refresh of a clustered index: the native clustered refresh
// (ServerImpl::refresh_replicas_clustered: every in-sync replica of every
// shard applies every write acknowledged before it and refreshes). Returns
// how many shards did not.
int64_t refresh_clustered(ServerImpl& s, const cluster::ShardMap& m, const httplib::Request& in);

// {"total": 1, "successful": 1, "failed": 0}
Json shards(int64_t n = 1);
// {"total": n, "successful": n - failed, "failed": failed}
Json shards(int64_t n, int64_t failed);

// The write response {"_index", "_id", "result", "_shards", "_seq_no"}.
Json write_result(const std::string& index, const std::string& id, const std::string& result, uint64_t seq);

}  // namespace meridian::server::compat
