#include "meridian/cdc/change_sink.h"

#include "meridian/base/file.h"

namespace meridian::cdc {
namespace {

// The new generation is built in a staging index beside the live one and
// swapped in at the end: the live index keeps serving the old rows meanwhile.
class IndexSnapshotLoad : public SnapshotLoad {
 public:
  IndexSnapshotLoad(index::Index& ix, std::string key, std::string staging)
      : ix_(ix), key_(std::move(key)), staging_(std::move(staging)) {}
  ~IndexSnapshotLoad() override {
    staged_.reset();
    if (!fs::remove_all(staging_).is_ok()) {}  // best effort: the next snapshot starts by removing it
  }

  Status open() {
    MERIDIAN_RETURN_IF_ERROR(fs::remove_all(staging_));
    index::IndexOptions so;
    so.background = false;
    auto schema = ix_.schema();
    MERIDIAN_ASSIGN_OR_RETURN(staged_, index::Index::open(staging_, ix_.name(), so, schema.get()));
    return Status::ok();
  }

  std::vector<Status> put(const std::vector<Json>& docs) override {
    index::WriteOptions lazy;  // durable at the staged commit
    lazy.durable = false;
    auto results = staged_->put_many(docs, lazy);
    std::vector<Status> out;
    out.reserve(results.size());
    for (auto& r : results) out.push_back(r.status());
    return out;
  }

  Status finish(const SourcePosition& point) override { return ix_.replace_all(*staged_, key_, point.to_string()); }

 private:
  index::Index& ix_;
  const std::string key_;
  const std::string staging_;
  std::unique_ptr<index::Index> staged_;
};

}  // namespace

Result<std::unique_ptr<SnapshotLoad>> IndexSink::begin_snapshot() {
  auto load = std::make_unique<IndexSnapshotLoad>(*ix_, key_, fs::join(ix_->dir(), ".snapshot-" + name_));
  MERIDIAN_RETURN_IF_ERROR(load->open());
  return std::unique_ptr<SnapshotLoad>(std::move(load));
}

Status IndexSink::keep_unchanged(RowChange* c) {
  auto prev = ix_->get(c->old_id.empty() ? c->id : c->old_id);
  if (!prev) return prev.status();
  if (!prev->has_value()) return Status::ok();
  auto old = parse_json(**prev);
  if (!old || !old->is_object()) return Status::ok();
  for (const auto& [k, v] : old->as_object())
    if (!c->doc.find(k)) c->doc.set(k, v);
  return Status::ok();
}

}  // namespace meridian::cdc
