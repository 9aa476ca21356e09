// MemoryIndex: one document analysed into a single-document segment held in
// memory (Lucene's MemoryIndex), inside a Snapshot of its own, so that the
// same query evaluation as search() runs on it: live queries
// (query/live_query.h) ask it whether a changed document matches, without a
// directory, a WAL or a file.
//
// The document is parsed with the given schema exactly as Index::put parses
// it (fields the schema lacks are typed by dynamic mapping, into a copy of
// the schema extended with them), added to a SegmentBuilder and serialized
// into one arena whose parts the usual segment readers read (a segment
// image, byte for byte what the builder writes to disk, except that the
// stored source is left empty: matching never reads it). Building costs
// tens of microseconds for a document of a few hundred words; no file
// system call is made.
//
// Ownership: the MemoryIndex owns its arena, segment and snapshot; the
// snapshot reference it hands out lives as long as the MemoryIndex.
// Thread safety: immutable after build(); any number of threads may
// evaluate queries on one MemoryIndex at once.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "meridian/base/json.h"
#include "meridian/base/status.h"
#include "meridian/index/schema.h"
#include "meridian/index/snapshot.h"

namespace meridian::query {

class MemoryIndex {
 public:
  // Analyses `doc` (one JSON object with an id) against `schema`.
  static Result<MemoryIndex> build(std::shared_ptr<const index::Schema> schema, const Json& doc);
  // The same from JSON text (a stored source); a parse error is
  // Status::invalid("document: ...").
  static Result<MemoryIndex> from_source(std::shared_ptr<const index::Schema> schema, std::string_view source_json);

  // One segment (segment 0) holding one live document (doc 0).
  const index::Snapshot& snapshot() const { return *snap_; }
  // The document's external id.
  const std::string& id() const { return id_; }
  // The schema the document was indexed with: the one given to build(), or
  // (when the document brought fields it lacks) a copy extended with them.
  const index::Schema& schema() const { return snap_->schema(); }
  bool schema_extended() const { return extended_; }

 private:
  MemoryIndex() = default;
  std::shared_ptr<const index::Snapshot> snap_;
  std::string id_;
  bool extended_ = false;
};

}  // namespace meridian::query
