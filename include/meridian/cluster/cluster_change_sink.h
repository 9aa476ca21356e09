// Changes of a CDC stream published to a clustered index's shard logs:
//
// publish_changes() publishes RowChanges in order, as POST .../changes on a
// clustered index does: each run of upserts as one pipelined batch
// (ClusterNode::put_batch), each delete (and the removal of an upsert's old
// id) on its own, an upsert that lacks unchanged fields
// (RowChange::partial) as a merge patch with upsert, each truncate to every
// shard (ClusterNode::truncate), so a document's writes reach its shard in
// change order and a truncate lies, in every shard's log, after the changes
// before it and before those after it. It stops at the first change
// JetStream did not acknowledge (for a truncate: on some shard).
//
// ClusterChangeSink is the cdc::ChangeSink of a PostgreSQL source on a
// clustered index (docs/CLUSTER.md "The PostgreSQL source on a clustered
// index"): apply() returns once JetStream acknowledged every change of the
// transaction; flush() then stores the highest position applied in the
// SourceStore, and only after that does PgSource report the LSN flushed to
// PostgreSQL. A crash between the acks and the store replays those
// transactions from the stored position: upserts and deletes published
// again, in order, converge. The snapshot publishes the table's rows as
// upserts (it removes no document the index already held); a TRUNCATE of
// the table is published to every shard at its transaction's commit, in
// order with the transaction's other changes.
//
// Ownership: borrows the ClusterNode and SourceStore, which must outlive it.
// Thread safety: one thread (the source's worker), as every ChangeSink.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "meridian/cdc/change_sink.h"
#include "meridian/cdc/source_config.h"
#include "meridian/cluster/cluster_node.h"
#include "meridian/cluster/source_store.h"

namespace meridian::cluster {

struct PublishedChanges {
  cdc::ApplyStats stats;               // upserts/deletes acknowledged, positions of the acknowledged prefix
  std::map<uint32_t, uint64_t> last;   // shard -> highest acknowledged sequence
  std::optional<size_t> failed;        // index of the first unacknowledged change
  Status error;                        // its error
  std::vector<uint32_t> failed_shards;  // a truncate that failed: the shards that did not acknowledge it
};
PublishedChanges publish_changes(ClusterNode& node, const ShardMap& m, const std::vector<cdc::RowChange>& changes);

// Which changes of a POST .../changes request on a clustered index are still
// to publish, given each source's stored position (SourceStore::
// change_position; a source absent from `stored` has none): the single
// node's rule (cdc::ChangeApplier), in order. A change at or before its
// source's position is skipped (at it: unless RowChange::apply_at_stored),
// and each change kept moves its source's position to its own.
struct ChangesToPublish {
  std::vector<size_t> kept;  // indexes into `changes`, in order
  size_t skipped = 0;
};
ChangesToPublish changes_after(const std::vector<cdc::RowChange>& changes,
                               std::map<std::string, cdc::SourcePosition> stored);

class ClusterChangeSink : public cdc::ChangeSink {
 public:
  ClusterChangeSink(ClusterNode& node, SourceStore& store, cdc::SourceConfig cfg)
      : node_(node), store_(store), cfg_(std::move(cfg)) {}

  // Reads the index's shard map (NotFound once the index is gone).
  Result<std::shared_ptr<const index::Schema>> schema() override;
  Result<cdc::SourcePosition> stored_position() override;
  Result<std::unique_ptr<cdc::SnapshotLoad>> begin_snapshot() override;
  std::vector<cdc::ChangeError> validate(const std::vector<cdc::RowChange>& changes) override;
  // Marks the change partial: it is published as a merge patch with upsert,
  // which every replica applies to the document it holds.
  Status keep_unchanged(cdc::RowChange* c) override;
  Status apply(const std::vector<cdc::RowChange>& changes) override;
  Status flush() override;

 private:
  friend class ClusterSnapshotLoad;
  ClusterNode& node_;
  SourceStore& store_;
  const cdc::SourceConfig cfg_;
  std::optional<ShardMap> map_;     // read by schema()
  cdc::SourcePosition stored_;      // as stored in the SourceStore
  cdc::SourcePosition applied_;     // highest position acknowledged by JetStream
};

}  // namespace meridian::cluster
