// The NDJSON body of OpenSearch's _bulk and _msearch (docs/COMPAT.md):
//   {"index": {"_index": "a", "_id": "1"}}\n{...document...}\n
//   {"create": {...}}\n{...}\n  {"update": {...}}\n{"doc": {...}, "doc_as_upsert": true}\n
//   {"delete": {"_index": "a", "_id": "2"}}\n
// A malformed action line fails the whole request (as in OpenSearch: the
// following lines cannot be paired); a source line that is not a JSON object
// fails that item alone (BulkItem::error).
//
// Stateless functions; safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meridian/base/json.h"
#include "meridian/base/status.h"

namespace meridian::server::compat {

struct BulkItem {
  enum class Op : uint8_t { kIndex, kCreate, kUpdate, kDelete };
  Op op = Op::kIndex;
  std::string index;   // from the action, else the URL's index; "" = none given
  std::string id;      // "" = none given (index/create: the server picks one)
  Json source;         // index/create: the document; update: {"doc", "doc_as_upsert", "upsert"}
  size_t line = 0;     // 1-based line of the action
  std::string error;   // set when the source line was not a JSON object
};

std::string_view op_name(BulkItem::Op op);

// Errors are Status::invalid naming the line ("line 3: ...").
Result<std::vector<BulkItem>> parse_bulk(std::string_view body, const std::string& default_index);

// _msearch: header/body pairs; each header's "index" (a string or a
// one-element array) or `default_index`. Returns (index, body) pairs.
Result<std::vector<std::pair<std::string, Json>>> parse_msearch(std::string_view body, const std::string& default_index);

}  // namespace meridian::server::compat
