#include "meridian/cdc/change_applier.h"

namespace meridian::cdc {

Result<SourcePosition> ChangeApplier::stored_position(const std::string& source) const {
  auto s = ix_.source_position(source);
  if (!s) return SourcePosition{};
  auto p = SourcePosition::parse(*s);
  if (!p) return Status::corruption("index '" + ix_.name() + "': stored position of source '" + source + "' is '" + *s + "'");
  return *p;
}

std::vector<ChangeError> ChangeApplier::validate(const std::vector<RowChange>& changes) const {
  std::vector<Json> docs;
  std::vector<size_t> which;
  for (size_t i = 0; i < changes.size(); ++i)
    if (changes[i].kind == ChangeKind::kUpsert) {
      docs.push_back(changes[i].doc);
      which.push_back(i);
    }
  std::vector<ChangeError> errors;
  if (docs.empty()) return errors;
  auto prepared = ix_.prepare(docs);
  // Fields new to the schema are typed per document by prepare(); two
  // documents of one batch giving a new field two types would conflict at
  // apply time, so catch that here too.
  std::map<std::string, index::FieldType> added;
  for (size_t k = 0; k < prepared.size(); ++k) {
    if (!prepared[k].doc.is_ok()) {
      errors.push_back({which[k], prepared[k].doc.status().message()});
      continue;
    }
    for (const auto& f : prepared[k].new_fields) {
      auto [it, fresh] = added.emplace(f.name, f.type);
      if (!fresh && it->second != f.type) {
        errors.push_back({which[k], "field '" + f.name + "' is " + std::string(index::field_type_name(f.type)) +
                                        " here but " + std::string(index::field_type_name(it->second)) +
                                        " in an earlier change of the batch"});
        break;
      }
    }
  }
  return errors;
}

Result<ApplyStats> ChangeApplier::apply(const std::vector<RowChange>& changes, const index::WriteOptions& w) {
  ApplyStats st;
  std::map<std::string, SourcePosition> current;  // stored or applied so far
  // Changes go into WriteBatches (one WAL write each, no fsync); the
  // positions follow in a last write with `w`, whose fsync covers them all.
  index::WriteOptions lazy = w;
  lazy.durable = false;
  lazy.wait_visible = false;
  index::WriteBatch batch;
  enum class Counts { kNothing, kUpsert, kDelete };  // the removal of an old id counts nothing
  struct Op {
    size_t change;
    Counts counts;
  };
  std::vector<Op> ops;
  auto flush = [&]() -> Status {
    if (ops.empty()) return Status::ok();
    auto results = ix_.write(std::move(batch), lazy);
    batch = index::WriteBatch();
    Status failed;
    for (size_t k = 0; k < results.size(); ++k) {
      if (!results[k].is_ok()) {
        if (failed.is_ok()) failed = results[k].status().with_context("change " + std::to_string(ops[k].change));
        continue;
      }
      if (ops[k].counts == Counts::kUpsert) ++st.upserts;
      else if (ops[k].counts == Counts::kDelete) ++st.deletes;
    }
    ops.clear();
    return failed;
  };

  Status failure;
  for (size_t i = 0; i < changes.size() && failure.is_ok(); ++i) {
    const RowChange& c = changes[i];
    auto it = current.find(c.source);
    if (it == current.end()) {
      auto stored = stored_position(c.source);
      if (!stored) return stored.status();
      it = current.emplace(c.source, *stored).first;
    }
    const SourcePosition& have = it->second;
    if (!have.empty() && (c.position < have || (c.position == have && !c.apply_at_stored))) {
      ++st.skipped;
      continue;
    }
    switch (c.kind) {
      case ChangeKind::kUpsert:
        if (!c.old_id.empty() && c.old_id != c.id) {
          batch.remove(c.old_id);
          ops.push_back({i, Counts::kNothing});
        }
        batch.put(c.doc);
        ops.push_back({i, Counts::kUpsert});
        break;
      case ChangeKind::kDelete:
        batch.remove(c.id);
        ops.push_back({i, Counts::kDelete});
        break;
      case ChangeKind::kTruncate:
        failure = flush();
        if (failure.is_ok()) failure = ix_.truncate(lazy);
        if (failure.is_ok()) ++st.truncates;
        break;
    }
    it->second = c.position;
    st.positions[c.source] = c.position;
  }
  if (failure.is_ok()) failure = flush();
  if (!failure.is_ok()) {
    // Positions must not claim changes that were not applied: record only
    // when everything up to them is in. A partial batch is replayed whole.
    return failure;
  }
  index::WriteBatch positions;
  for (const auto& [src, pos] : st.positions) positions.set_position(src, pos.to_string());
  if (!positions.empty()) {
    auto pending = ix_.begin_write(std::move(positions), w);
    (void)pending.finish();  // no documents: the outcome is status()
    MERIDIAN_RETURN_IF_ERROR(pending.status());
  }
  return st;
}

}  // namespace meridian::cdc
