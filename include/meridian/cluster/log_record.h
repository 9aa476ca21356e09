// LogRecord: one write as it travels through a shard's JetStream stream,
// and the names of the streams, subjects and consumers of a clustered index.
//
// Record body (JSON, one message per write):
//   {"op":"put","doc":{...}}       a document put (the whole source)
//   {"op":"delete","id":"..."}     a delete by external id
//   {"op":"patch","id":"...","patch":{...},"upsert":false}
//                                  a JSON merge patch (RFC 7396), applied by
//                                  each replica to the document it holds at
//                                  that stream position (a missing document
//                                  is created only with "upsert": true)
//   {"op":"truncate"}              every document of the shard removed: the
//                                  writes before it in the stream are gone,
//                                  those after it stay (published to every
//                                  shard of the index, ClusterNode::truncate)
//   {"op":"schema","schema":{...}}  the index schema from here on: each
//                                  replica adds the fields it lacks at that
//                                  stream position (published to every
//                                  shard, ClusterNode::patch_schema)
// The message's Nats-Msg-Id header (publisher node id + ':' + a counter)
// lets JetStream drop a retried publish inside its duplicate window.
//
// Pure functions and value types; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "meridian/base/json.h"
#include "meridian/base/status.h"

namespace meridian::cluster {

struct LogRecord {
  enum class Op { kPut, kDelete, kPatch, kTruncate, kSchema };
  Op op = Op::kPut;
  Json doc;             // kPut: the document; kPatch: the merge patch; kSchema: the schema
  std::string id;       // kDelete, kPatch
  bool upsert = false;  // kPatch

  std::string encode() const;
  // InvalidArgument naming what is wrong (a record no replica can apply).
  static Result<LogRecord> decode(std::string_view body);
};

// Index names may hold '.', which NATS uses as a token separator and forbids
// in stream names: '_' becomes "_5f" and '.' becomes "_2e", so the mapping
// is one to one.
std::string escape_name(std::string_view index);
// "MERIDIAN_<escaped index>_<shard>"
std::string stream_name(std::string_view index, uint32_t shard);
// "meridian.<escaped index>.<shard>"
std::string shard_subject(std::string_view index, uint32_t shard);
// Durable consumer of a replica: "replica_<escaped node id>".
std::string replica_consumer(std::string_view node_id);
// The source key under which a replica records the stream sequence it has
// applied (Index::set_source_position), beside any CDC source positions.
inline constexpr std::string_view kLogSource = "_cluster_log";

}  // namespace meridian::cluster
