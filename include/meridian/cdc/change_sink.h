// ChangeSink: where a PgSource writes what it reads from PostgreSQL, and
// where it keeps its position. PgSource decodes the stream and maps rows to
// documents; the sink decides what "applied" and "flushed" mean:
//
//   IndexSink (here)  one local Index: the snapshot is built in a staging
//                     index and swapped in by Index::replace_all; changes go
//                     through a ChangeApplier (positions in the same WAL
//                     writes, skipped when replayed); flush() is
//                     Index::commit(), which makes the positions durable.
//   cluster::ClusterChangeSink   a clustered index: changes are published to
//                     the shard logs (acknowledged by JetStream) and the
//                     position is stored in NATS key-value by flush()
//                     (docs/CLUSTER.md "The PostgreSQL source on a clustered
//                     index").
//
// The contract PgSource relies on: after apply() returns ok, the changes are
// as durable as the sink makes them without flush(); after flush() returns
// ok, the highest position applied is stored where stored_position() reads
// it, and only then does PgSource report that LSN flushed to PostgreSQL.
//
// Ownership: a PgSource owns its sink. Thread safety: one thread (the
// source's worker) calls a sink; sinks need not be thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "meridian/base/json.h"
#include "meridian/base/status.h"
#include "meridian/cdc/change_applier.h"
#include "meridian/cdc/row_change.h"
#include "meridian/index/index.h"

namespace meridian::cdc {

// One initial load of a table. Destroying an unfinished load discards it.
class SnapshotLoad {
 public:
  virtual ~SnapshotLoad() = default;
  // Loads documents; one status per document. An IOError aborts the
  // snapshot; any other error makes that row a dead letter.
  virtual std::vector<Status> put(const std::vector<Json>& docs) = 0;
  // Makes the load visible and stores `point` as the source's position.
  virtual Status finish(const SourcePosition& point) = 0;
};

class ChangeSink {
 public:
  virtual ~ChangeSink() = default;
  // The schema rows are mapped to (its id field) and checked against.
  virtual Result<std::shared_ptr<const index::Schema>> schema() = 0;
  // The stored position of the source (empty: none; the source snapshots).
  virtual Result<SourcePosition> stored_position() = 0;
  virtual Result<std::unique_ptr<SnapshotLoad>> begin_snapshot() = 0;
  // Changes that would be refused (ChangeApplier::validate's contract).
  virtual std::vector<ChangeError> validate(const std::vector<RowChange>& changes) = 0;
  // An update whose unchanged TOASTed columns PostgreSQL did not resend:
  // keeps the stored values of the fields the new row lacks.
  virtual Status keep_unchanged(RowChange* c) = 0;
  // Applies in order (see the contract above). An error fails the
  // transaction; the source reconnects and resumes from its stored position.
  virtual Status apply(const std::vector<RowChange>& changes) = 0;
  // Makes everything applied durable, the position included.
  virtual Status flush() = 0;
};

// The sink of a source on one local index.
class IndexSink : public ChangeSink {
 public:
  IndexSink(std::shared_ptr<index::Index> ix, std::string source_key, std::string source_name)
      : ix_(std::move(ix)), key_(std::move(source_key)), name_(std::move(source_name)), applier_(*ix_) {}

  Result<std::shared_ptr<const index::Schema>> schema() override { return ix_->schema(); }
  Result<SourcePosition> stored_position() override { return applier_.stored_position(key_); }
  Result<std::unique_ptr<SnapshotLoad>> begin_snapshot() override;
  std::vector<ChangeError> validate(const std::vector<RowChange>& changes) override {
    return applier_.validate(changes);
  }
  Status keep_unchanged(RowChange* c) override;
  Status apply(const std::vector<RowChange>& changes) override { return applier_.apply(changes).status(); }
  Status flush() override { return ix_->commit(); }

 private:
  std::shared_ptr<index::Index> ix_;
  const std::string key_;   // the position key (SourceConfig::position_key)
  const std::string name_;  // the source's name: its staging directory
  ChangeApplier applier_;
};

}  // namespace meridian::cdc
