// WriteBatch: writes to one index, in order, and the positions in source
// streams they stand for (LevelDB's WriteBatch). Index::write() records all
// of it in one WAL write, framed as one batch: after a crash the batch's
// documents, deletes and positions are there together or not at all, so a
// position never claims writes that were lost, nor writes lose their
// position (docs/FORMAT.md, "Write-ahead log").
//
// A value type: build it in any thread, then move it into Index::write().
// Documents may be added as JSON (Index::write() parses and analyses them
// before it takes the index lock) or prepared with Index::prepare() (so
// that a loader can analyse batches on many threads).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "meridian/base/json.h"
#include "meridian/base/status.h"
#include "meridian/index/document.h"
#include "meridian/index/schema.h"

namespace meridian::index {

// A document parsed and analysed against a schema snapshot, ready to be
// written (Index::prepare).
struct PreparedDoc {
  Result<ParsedDoc> doc = Status::invalid("not prepared");
  std::vector<FieldDef> new_fields;  // fields the document adds to the schema
  // The document's write order (ParsedDoc::order) when the writer gives it
  // (WriteBatch::put_ordered); 0: the write's sequence number.
  uint64_t order = 0;
};

class WriteBatch {
 public:
  WriteBatch() = default;
  WriteBatch(WriteBatch&&) = default;
  WriteBatch& operator=(WriteBatch&&) = default;

  // Puts a document (replacing any with its id).
  void put(Json doc) { ops_.push_back(Op{Op::kPut, {}, std::move(doc), {}, false}); }
  void put(PreparedDoc doc) { ops_.push_back(Op{Op::kPut, {}, Json(), std::move(doc), true}); }
  // Puts a document with its write order given (> 0) instead of the write's
  // sequence number: a cluster replica gives its log's sequence, so every
  // replica of a shard orders ties the same way. Logged with the document.
  void put_ordered(Json doc, uint64_t order) {
    ops_.push_back(Op{Op::kPut, {}, std::move(doc), {}, false});
    ops_.back().prepared.order = order;
  }
  // Deletes the document with this external id, if there is one.
  void remove(std::string id) { ops_.push_back(Op{Op::kDelete, std::move(id), Json(), {}, false}); }
  // Records `position` as the position of `source` (Index::source_position)
  // after the batch's writes; the last call per source wins.
  void set_position(std::string source, std::string position) { positions_[std::move(source)] = std::move(position); }

  size_t size() const { return ops_.size(); }  // puts and deletes
  bool empty() const { return ops_.empty() && positions_.empty(); }
  const std::map<std::string, std::string>& positions() const { return positions_; }

 private:
  friend class Index;
  struct Op {
    enum Kind { kPut, kDelete } kind;
    std::string id;      // kDelete
    Json json;           // kPut, not yet prepared
    PreparedDoc prepared;  // kPut, prepared
    bool is_prepared;
  };
  std::vector<Op> ops_;
  std::map<std::string, std::string> positions_;
};

}  // namespace meridian::index
