#include "meridian/cluster/replica_applier.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <map>
#include <optional>

#include "meridian/base/json_merge_patch.h"
#include "meridian/cluster/log_record.h"
#include "meridian/index/document.h"
#include "meridian/index/schema.h"
#include "meridian/index/schema_change.h"

namespace meridian::cluster {
namespace {

// The documents the records of one batch wrote so far, by id (nullopt:
// deleted), so that a patch sees the writes before it in the same batch
// exactly as it would across two batches.
using BatchDocs = std::map<std::string, std::optional<Json>>;

// The document a patch record produces on `ix`, or nullopt when it changes
// nothing (a missing document without upsert) or would be refused by the
// schema (deterministic: every replica decides alike at this position).
Result<std::optional<Json>> patched_document(const index::Index& ix, const BatchDocs& pending, const LogRecord& rec) {
  Json doc = Json::object();
  bool exists = false;
  if (auto it = pending.find(rec.id); it != pending.end()) {
    exists = it->second.has_value();
    if (exists) doc = *it->second;
  } else {
    MERIDIAN_ASSIGN_OR_RETURN(auto cur, ix.get(rec.id));
    if (cur) {
      auto parsed = parse_json(*cur);
      if (!parsed) return Status::corruption("index '" + ix.name() + "': stored document '" + rec.id + "' is not JSON");
      doc = std::move(*parsed);
      exists = true;
    }
  }
  if (!exists && !rec.upsert) return std::optional<Json>();
  apply_merge_patch(&doc, rec.doc);
  auto schema = ix.schema();
  if (!doc.find(schema->id_field())) doc.set(schema->id_field(), Json(rec.id));
  std::vector<index::FieldDef> added;
  auto parsed = index::parse_document(doc, *schema, &added);
  if (!parsed || parsed->id != rec.id) return std::optional<Json>();
  return std::optional<Json>(std::move(doc));
}

// The records of a fetched batch between two truncates, as one WriteBatch.
struct Run {
  index::WriteBatch batch;
  std::vector<bool> is_put;  // per batch operation
  BatchDocs pending;
};

// Writes `run` with `seq` as its log position and counts its outcome. A put
// the index refuses for its content is counted rejected (deterministic:
// every replica refuses it); any other failure fails the whole run, whose
// position is then not recorded.
Status write_run(index::Index& ix, Run run, uint64_t seq, const index::WriteOptions& w, ReplicaApplyStats* stats) {
  run.batch.set_position(std::string(kLogSource), std::to_string(seq));
  auto pending = ix.begin_write(std::move(run.batch), w);
  const Status whole = pending.status();  // closed or degraded: no record is refused for its content
  auto results = pending.finish();
  if (!whole.is_ok()) return whole;
  if (!pending.status().is_ok()) return pending.status();  // its fsync (a run of only a position reports here)
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].is_ok()) {
      ++(run.is_put[i] ? stats->puts : stats->deletes);
    } else if (run.is_put[i] && results[i].status().code() == Status::Code::kInvalidArgument) {
      ++stats->rejected;
    } else {
      return results[i].status();
    }
  }
  return Status::ok();
}

// Adds the fields of a schema record that `ix` lacks. Index::add_fields
// commits them, so the schema is durable before the record's sequence is
// recorded (by the next run's write): a crash between the two applies the
// record again, which then adds nothing. A record that does not parse (no
// router publishes one) changes nothing, on every replica alike.
Status apply_schema(index::Index& ix, const Json& schema) {
  auto wanted = index::Schema::from_json(schema);
  if (!wanted) return Status::ok();
  index::Schema missing = index::missing_fields(*ix.schema(), *wanted, nullptr);
  if (missing.fields().empty()) return Status::ok();
  return ix.add_fields(missing);
}

}  // namespace

Result<uint64_t> stored_log_sequence(const index::Index& ix) {
  auto pos = ix.source_position(std::string(kLogSource));
  if (!pos || pos->empty()) return uint64_t{0};
  uint64_t v = 0;
  auto r = std::from_chars(pos->data(), pos->data() + pos->size(), v);
  if (r.ec != std::errc() || r.ptr != pos->data() + pos->size())
    return Status::corruption("index '" + ix.name() + "': stored log sequence '" + *pos + "' is not a number");
  return v;
}

Result<std::unique_ptr<ReplicaApplier>> ReplicaApplier::open(std::shared_ptr<index::Index> ix) {
  auto seq = stored_log_sequence(*ix);
  if (!seq) return seq.status();
  return std::unique_ptr<ReplicaApplier>(new ReplicaApplier(std::move(ix), *seq));
}

Result<ReplicaApplyStats> ReplicaApplier::apply(const std::vector<LogMessage>& msgs, const index::WriteOptions& w) {
  ReplicaApplyStats stats;
  // A put's write order (the tiebreaker of equal sort keys) is its log
  // sequence, so every replica of the shard orders ties alike.
  // The records between two truncates go into one WriteBatch (a run) with
  // the sequence of its last record as its position: one WAL write (and
  // fsync), documents and sequence together. A truncate first records the
  // run before it, at the sequence before it, then empties the replica; the
  // run after it (if only a position) records the truncate's sequence. A
  // crash between the two applies the truncate again, which then removes
  // nothing more: nothing was written after it.
  Run run;
  const std::string id_field = ix_->schema()->id_field();
  uint64_t last = applied_seq();  // the last sequence taken
  Status gap;
  auto record = [&](uint64_t seq) -> Status {
    MERIDIAN_RETURN_IF_ERROR(write_run(*ix_, std::move(run), seq, w, &stats));
    run = Run();
    applied_.store(seq, std::memory_order_release);
    return Status::ok();
  };
  for (const auto& m : msgs) {
    if (m.seq <= last) {
      ++stats.skipped;
      continue;
    }
    // A shard's stream has one subject, so its sequences are contiguous: a
    // hole means messages this replica never saw (a consumer that skipped
    // ahead, or a replica behind the stream's retention).
    if (m.seq != last + 1) {
      gap = Status::not_found("index '" + ix_->name() + "': log gap, expected sequence " + std::to_string(last + 1) +
                              ", got " + std::to_string(m.seq));
      break;
    }
    auto rec = LogRecord::decode(m.data);
    if (!rec) {
      last = m.seq;
      ++stats.rejected;  // its sequence is carried by the run's position
      continue;
    }
    if (rec->op == LogRecord::Op::kTruncate) {
      if (last > applied_seq()) MERIDIAN_RETURN_IF_ERROR(record(last));
      // Not synced here: the next run's write (its position at least)
      // follows it in the WAL, and its fsync covers both.
      index::WriteOptions lazy;
      lazy.durable = false;
      MERIDIAN_RETURN_IF_ERROR(ix_->truncate(lazy));
      run = Run();
      ++stats.truncates;
      last = m.seq;
      continue;
    }
    if (rec->op == LogRecord::Op::kSchema) {
      if (last > applied_seq()) MERIDIAN_RETURN_IF_ERROR(record(last));
      MERIDIAN_RETURN_IF_ERROR(apply_schema(*ix_, rec->doc));
      run = Run();
      ++stats.schema_changes;
      last = m.seq;
      continue;
    }
    last = m.seq;
    if (rec->op == LogRecord::Op::kPatch) {
      auto doc = patched_document(*ix_, run.pending, *rec);
      if (!doc) return doc.status();  // nothing of this run is recorded
      if (!*doc) {
        ++stats.rejected;  // no document to patch, or a patch the schema refuses
        continue;
      }
      run.pending[rec->id] = **doc;
      run.batch.put_ordered(std::move(**doc), m.seq);
      run.is_put.push_back(true);
    } else if (rec->op == LogRecord::Op::kPut) {
      // The id as parse_document spells it (strings as is, integers in
      // decimal); a put the index refuses was refused by the router first.
      if (const Json* id = rec->doc.find(id_field)) {
        if (id->is_string()) run.pending[id->as_string()] = rec->doc;
        else if (id->is_int()) run.pending[std::to_string(id->as_int())] = rec->doc;
      }
      run.batch.put_ordered(std::move(rec->doc), m.seq);
      run.is_put.push_back(true);
    } else {
      run.pending[rec->id] = std::nullopt;
      run.batch.remove(std::move(rec->id));
      run.is_put.push_back(false);
    }
  }
  if (last > applied_seq()) MERIDIAN_RETURN_IF_ERROR(record(last));
  if (!gap.is_ok()) return gap;
  return stats;
}

// ---- ReplicaRunner ----

ReplicaRunner::ReplicaRunner(NatsClient& client, std::unique_ptr<ReplicaApplier> applier, Options opt)
    : client_(client), applier_(std::move(applier)), opt_(std::move(opt)) {
  thread_ = std::thread([this] { run(); });
}

ReplicaRunner::~ReplicaRunner() { stop(); }

void ReplicaRunner::stop() {
  stop_.store(true);
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool ReplicaRunner::wait_applied(uint64_t seq, int timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                      [&] { return applied_seq() >= seq || stop_.load(); }) &&
         applied_seq() >= seq;
}

std::string ReplicaRunner::last_error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_error_;
}

void ReplicaRunner::set_error(const Status& st) {
  std::lock_guard<std::mutex> lock(mu_);
  last_error_ = st.is_ok() ? "" : st.to_string();
  if (!st.is_ok()) errors_.fetch_add(1);
}

bool ReplicaRunner::check_retention() {
  auto first = client_.first_sequence(opt_.stream);
  if (!first || *first <= applied_seq() + 1) return false;
  caught_up_.store(false);
  behind_.store(true);
  set_error(Status::not_found("stream " + opt_.stream + " starts at sequence " + std::to_string(*first) +
                              ", after this replica's " + std::to_string(applied_seq()) +
                              " + 1: behind retention, to be rebuilt from a peer"));
  cv_.notify_all();
  return true;
}

void ReplicaRunner::run() {
  std::unique_ptr<LogConsumer> consumer;
  auto back_off = [this] {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(200), [this] { return stop_.load(); });
  };
  while (!stop_.load()) {
    if (behind_.load()) {  // nothing to apply until a rebuild replaces this runner
      consumer.reset();
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(200), [this] { return stop_.load(); });
      continue;
    }
    if (!consumer) {
      // The consumer always restarts right after what this replica holds:
      // its stored sequence, not the consumer's server-side position, is the
      // truth (a consumer may have run ahead of a crashed replica).
      Status del = client_.delete_consumer(opt_.stream, opt_.durable);
      if (!del) {
        set_error(del);
        back_off();
        continue;
      }
      auto c = client_.consumer(opt_.stream, opt_.subject, opt_.durable, applied_seq() + 1);
      if (!c) {
        set_error(c.status());
        back_off();
        continue;
      }
      consumer = std::move(*c);
    }
    auto msgs = consumer->fetch(opt_.batch, opt_.fetch_timeout_ms);
    if (!msgs) {
      set_error(msgs.status());
      consumer.reset();  // re-bind (the consumer may be gone after a broker loss)
      back_off();
      continue;
    }
    if (msgs->empty()) {
      // Nothing to fetch from a stream whose every message after ours was
      // dropped is not being caught up: checked once, before the first claim.
      if (!caught_up_.load() && check_retention()) continue;
      caught_up_.store(true);
      continue;
    }
    // Applied means searchable: refresh=wait_for (ClusterNode::wait_for)
    // waits for the applied sequence, so a batch returns once it is visible.
    index::WriteOptions w;
    w.wait_visible = true;
    auto applied = applier_->apply(*msgs, w);
    if (!applied) {
      set_error(applied.status());
      // A log gap: behind retention when the stream starts past what we
      // hold, otherwise a consumer that ran ahead (re-bound below).
      if (applied.status().code() == Status::Code::kNotFound) check_retention();
      consumer.reset();  // recreated from the stored sequence on
      back_off();
      continue;
    }
    if (msgs->back().pending == 0) caught_up_.store(true);
    (void)consumer->ack_fetched();  // a lost ack only means a skipped redelivery
    set_error(Status::ok());
    cv_.notify_all();
  }
}

}  // namespace meridian::cluster
