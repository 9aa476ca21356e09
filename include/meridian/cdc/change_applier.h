// ChangeApplier: applies RowChanges to one Index in order, exactly once per
// source position. For each change it compares the change's position with
// the position stored for its source (Index::source_position): a change at
// or before it is skipped (at: unless RowChange::apply_at_stored), so a
// replayed stream never duplicates a document nor resurrects a deleted one.
// Changes are written as index::WriteBatches (puts and deletes in order,
// one WAL write per run between truncates, no fsync); then the highest
// applied position of every source is recorded by a last write with the
// caller's WriteOptions, i.e. in the WAL after the documents it covers, and
// its fsync makes the whole call durable at once (one fsync per
// transaction, however many deletes it has). The manifest of the commit
// that holds the documents stores the positions.
//
// Not thread-safe: one applier per stream; different appliers on one index
// must use different sources.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "meridian/base/status.h"
#include "meridian/cdc/row_change.h"
#include "meridian/index/index.h"

namespace meridian::cdc {

struct ApplyStats {
  size_t upserts = 0;
  size_t deletes = 0;
  size_t truncates = 0;
  size_t skipped = 0;  // at or before the stored position
  // Highest position applied per source in this call.
  std::map<std::string, SourcePosition> positions;
};

// Per-change validation failure (the change's index in the input).
struct ChangeError {
  size_t index = 0;
  std::string message;
};

class ChangeApplier {
 public:
  explicit ChangeApplier(index::Index& ix) : ix_(ix) {}

  // Checks every upsert document against the index schema without writing
  // anything; returns the failures (empty: all would apply).
  std::vector<ChangeError> validate(const std::vector<RowChange>& changes) const;

  // Applies in order. A document the index rejects (or an I/O error) fails
  // the call with the change index in the message; changes before it stay
  // applied but no position is recorded, so a retry re-applies the batch
  // from its start (upserts and deletes replayed in order converge).
  Result<ApplyStats> apply(const std::vector<RowChange>& changes, const index::WriteOptions& w = {});

  // The stored position of `source` (empty if none).
  Result<SourcePosition> stored_position(const std::string& source) const;

 private:
  index::Index& ix_;
};

}  // namespace meridian::cdc
