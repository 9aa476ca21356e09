#include "meridian/cluster/cluster_change_sink.h"

#include "meridian/cdc/debezium_ingest.h"

namespace meridian::cluster {

PublishedChanges publish_changes(ClusterNode& node, const ShardMap& m, const std::vector<cdc::RowChange>& changes) {
  PublishedChanges p;
  auto acked = [&](const WriteAck& a) {
    uint64_t& s = p.last[a.shard];
    s = std::max(s, a.seq);
  };
  auto fail = [&](size_t i, const Status& st) {
    p.failed = i;
    p.error = st;
  };
  size_t i = 0;
  while (i < changes.size() && !p.failed) {
    const cdc::RowChange& c = changes[i];
    const bool key_changed = c.kind == cdc::ChangeKind::kUpsert && !c.old_id.empty() && c.old_id != c.id;
    if (c.kind == cdc::ChangeKind::kTruncate) {
      // On every shard; the changes after it wait for all of its acks.
      auto acks = node.truncate(m);
      Status first;
      std::string names;
      for (uint32_t s = 0; s < acks.size(); ++s) {
        if (acks[s]) {
          acked(*acks[s]);
          continue;
        }
        if (first.is_ok()) first = acks[s].status();
        p.failed_shards.push_back(s);
        names += (names.empty() ? "" : ", ") + std::to_string(s);
      }
      if (!p.failed_shards.empty()) {
        fail(i, Status::io_error("the truncate was not acknowledged on shard" +
                                 std::string(p.failed_shards.size() > 1 ? "s " : " ") + names + " (" +
                                 first.message() + "); the shards that acknowledged it are truncated"));
        break;
      }
      ++p.stats.truncates;
      p.stats.positions[c.source] = c.position;
      ++i;
      continue;
    }
    if (c.kind == cdc::ChangeKind::kDelete || key_changed) {
      // A delete, or an upsert whose key changed: the old id goes first.
      auto ack = node.remove(m, c.kind == cdc::ChangeKind::kDelete ? c.id : c.old_id);
      if (!ack) {
        fail(i, ack.status());
        break;
      }
      acked(*ack);
      if (c.kind == cdc::ChangeKind::kDelete) {
        ++p.stats.deletes;
        p.stats.positions[c.source] = c.position;
        ++i;
        continue;
      }
    }
    if (c.partial) {
      auto ack = node.patch(m, c.id, c.doc, true);
      if (!ack) {
        fail(i, ack.status());
        break;
      }
      acked(*ack);
      ++p.stats.upserts;
      p.stats.positions[c.source] = c.position;
      ++i;
      continue;
    }
    size_t end = i + 1;  // the run of whole upserts from i on (no key change after the first)
    while (end < changes.size() && changes[end].kind == cdc::ChangeKind::kUpsert && !changes[end].partial &&
           (changes[end].old_id.empty() || changes[end].old_id == changes[end].id))
      ++end;
    std::vector<Json> docs;
    for (size_t k = i; k < end; ++k) docs.push_back(changes[k].doc);
    auto acks = node.put_batch(m, docs);
    for (size_t k = 0; k < acks.size(); ++k) {
      if (!acks[k]) {
        if (!p.failed) fail(i + k, acks[k].status());
        continue;
      }
      acked(*acks[k]);
      ++p.stats.upserts;
      if (!p.failed) p.stats.positions[changes[i + k].source] = changes[i + k].position;
    }
    i = end;
  }
  return p;
}

ChangesToPublish changes_after(const std::vector<cdc::RowChange>& changes,
                               std::map<std::string, cdc::SourcePosition> stored) {
  ChangesToPublish out;
  for (size_t i = 0; i < changes.size(); ++i) {
    const cdc::RowChange& c = changes[i];
    cdc::SourcePosition& have = stored[c.source];
    if (!have.empty() && (c.position < have || (c.position == have && !c.apply_at_stored))) {
      ++out.skipped;
      continue;
    }
    have = c.position;
    out.kept.push_back(i);
  }
  return out;
}

// The snapshot's rows as upserts, published in pipelined batches; the
// position is stored once every row is acknowledged.
class ClusterSnapshotLoad : public cdc::SnapshotLoad {
 public:
  explicit ClusterSnapshotLoad(ClusterChangeSink& sink) : sink_(sink) {}

  std::vector<Status> put(const std::vector<Json>& docs) override {
    auto acks = sink_.node_.put_batch(*sink_.map_, docs);
    std::vector<Status> out;
    out.reserve(acks.size());
    for (auto& a : acks) out.push_back(a.status());
    return out;
  }

  Status finish(const cdc::SourcePosition& point) override {
    MERIDIAN_RETURN_IF_ERROR(sink_.store_.put_position(sink_.cfg_.index, sink_.cfg_.name, point));
    sink_.stored_ = sink_.applied_ = point;
    return Status::ok();
  }

 private:
  ClusterChangeSink& sink_;
};

Result<std::shared_ptr<const index::Schema>> ClusterChangeSink::schema() {
  MERIDIAN_ASSIGN_OR_RETURN(auto m, node_.shard_map(cfg_.index));
  if (!m) return Status::not_found("no clustered index '" + cfg_.index + "'");
  map_ = std::move(*m);
  return node_.schema(*map_);
}

Result<cdc::SourcePosition> ClusterChangeSink::stored_position() {
  MERIDIAN_ASSIGN_OR_RETURN(stored_, store_.position(cfg_.index, cfg_.name));
  applied_ = stored_;
  return stored_;
}

Result<std::unique_ptr<cdc::SnapshotLoad>> ClusterChangeSink::begin_snapshot() {
  if (!map_) return Status::internal("cluster sink: snapshot before schema()");
  return std::unique_ptr<cdc::SnapshotLoad>(new ClusterSnapshotLoad(*this));
}

std::vector<cdc::ChangeError> ClusterChangeSink::validate(const std::vector<cdc::RowChange>& changes) {
  std::vector<cdc::ChangeError> out;
  auto schema = map_ ? node_.schema(*map_) : Result<std::shared_ptr<const index::Schema>>(Status::internal("no schema"));
  if (!schema) {
    for (size_t i = 0; i < changes.size(); ++i) out.push_back({i, schema.status().message()});
    return out;
  }
  // The checks of POST .../changes on a clustered index (the mapping was
  // checked against the schema when the source was stored).
  cdc::DecodedBatch b;
  b.changes = changes;
  b.events = changes.size();
  for (size_t i = 0; i < changes.size(); ++i) b.change_event.push_back(i);
  b.event_line.assign(changes.size(), 0);
  cdc::check_fixed_schema(&b, cdc::ColumnMapping(), **schema);
  for (const auto& e : b.errors) out.push_back({e.event, e.message});
  return out;
}

Status ClusterChangeSink::keep_unchanged(cdc::RowChange* c) {
  c->partial = true;
  return Status::ok();
}

Status ClusterChangeSink::apply(const std::vector<cdc::RowChange>& changes) {
  if (!map_) return Status::internal("cluster sink: apply before schema()");
  // Changes at or before the stored position were published before.
  std::vector<cdc::RowChange> todo;
  for (const auto& c : changes)
    if (applied_.empty() || applied_ < c.position) todo.push_back(c);
  if (todo.empty()) return Status::ok();
  PublishedChanges p = publish_changes(node_, *map_, todo);
  if (p.failed) return p.error.with_context("change " + std::to_string(*p.failed));
  applied_ = todo.back().position;
  return Status::ok();
}

Status ClusterChangeSink::flush() {
  if (applied_.empty() || applied_ == stored_) return Status::ok();
  // A source deleted meanwhile (its runner flushes once more as it stops)
  // must not leave a position behind for a source re-created later.
  MERIDIAN_ASSIGN_OR_RETURN(auto still, store_.config(cfg_.index, cfg_.name));
  if (!still) return Status::ok();
  MERIDIAN_RETURN_IF_ERROR(store_.put_position(cfg_.index, cfg_.name, applied_));
  stored_ = applied_;
  return Status::ok();
}

}  // namespace meridian::cluster
