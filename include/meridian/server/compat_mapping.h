// OpenSearch mappings <-> Meridian schemas (docs/COMPAT.md, "Mappings").
//
//   text                                   → text (analyzer: standard, keyword or a language analyzer)
//   keyword                                → keyword
//   integer, long, short, byte             → int
//   float, double, half_float, scaled_float → float
//   date                                   → date
//   boolean                                → bool
//   geo_point                              → geo_point
//   object (or "properties" without type)  → its fields, named parent.child
// Any other type, multi-fields ("fields") and "nested" are errors naming
// the field. Options without an effect here (index, doc_values, store,
// ignore_above, format, null_value, norms, coerce, scaling_factor) are
// accepted and ignored. Indexes made through this API keep the document id
// in the field "_id" (kCompatIdField), which _source hides.
//
// Stateless functions; safe from any thread.
#pragma once

#include <string>

#include "meridian/base/json.h"
#include "meridian/base/status.h"
#include "meridian/index/schema.h"

namespace meridian::server::compat {

inline constexpr const char* kCompatIdField = "_id";

// A mapping {"properties": {...}, "dynamic"?, "_source"?} into Meridian's
// schema body {"fields": {...}, "id_field": "_id"}. Errors are Status::invalid
// (mapper_parsing_exception) naming the field.
Result<Json> mapping_to_schema(const Json& mapping);

// The body of PUT /{index}: {"settings"?, "mappings"?, "aliases"?}; settings
// are accepted and ignored, aliases are returned in *aliases (names).
Result<Json> create_body_to_schema(const Json& body, std::vector<std::string>* aliases);

// The shard counts of PUT /{index} on a node in cluster mode (docs/CLUSTER.md,
// "The OpenSearch-compatible API"): settings "number_of_shards" (default 1,
// at most cluster::kMaxShards) and "number_of_replicas" (copies besides the
// first, default 0), flat, dotted ("index.number_of_shards") or under
// "index", as numbers or digit strings. Meridian's replicas count every copy,
// so replicas = number_of_replicas + 1. Other settings are ignored, as on
// one node. InvalidArgument naming the setting for a bad value.
struct ShardCounts {
  uint32_t shards = 1;
  uint32_t replicas = 1;
};
Result<ShardCounts> create_body_shard_counts(const Json& body);

// A schema as an OpenSearch mapping {"properties": {...}}; dotted names
// become nested "properties"; the id field is left out when it is "_id".
Json schema_to_mapping(const index::Schema& schema);

}  // namespace meridian::server::compat
