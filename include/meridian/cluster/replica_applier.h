// ReplicaApplier: applies the log records of one shard's stream to one
// replica (a plain single-node Index), exactly once across restarts.
//
// The stream sequence applied last is recorded with the documents, through
// the mechanism CDC positions use: each apply() is one index::WriteBatch
// (puts and deletes in stream order) whose position (source kLogSource, the
// sequence as decimal text) goes into the same WAL write, and the next
// commit stores it in the manifest.
// After a crash the WAL replay restores documents and sequence together, and
// records at or before the stored sequence are skipped, so a redelivered
// message never applies twice. A record the index rejects (a document that
// does not fit the schema) is skipped on every replica alike and counted.
// A truncate record empties the replica at its stream position
// (Index::truncate): the records before it are written and recorded first,
// those after it in a write of their own. A schema record is applied the
// same way: the records before it written first, then the fields the
// replica lacks added (Index::add_fields); a field the replica already has
// with another type (mapped dynamically from a document before the change)
// keeps its type, on every replica alike.
//
// ReplicaRunner drives an applier from a durable JetStream consumer in a
// thread of its own: fetch, apply (durable), then ack; transport errors are
// retried with a short back-off forever, so a broker restart only pauses it.
// Whenever it (re)binds, it recreates its durable consumer to start right
// after the replica's stored sequence. When the stream no longer holds the
// message after the stored sequence (a log gap with the stream's first
// sequence above it: the replica fell behind retention, or is new on a
// stream that no longer starts at 1), the runner stops for good and says so
// (behind_retention()): only a rebuild from a peer can continue it
// (ClusterNode, replica_snapshot.h).
//
// Thread safety: ReplicaApplier is used by one thread; applied_seq() may be
// read from any thread. ReplicaRunner's accessors are thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "meridian/base/status.h"
#include "meridian/cluster/nats_client.h"
#include "meridian/index/index.h"

namespace meridian::cluster {

struct ReplicaApplyStats {
  size_t puts = 0;
  size_t deletes = 0;
  size_t truncates = 0;
  size_t schema_changes = 0;  // schema records applied (fields added or not)
  size_t skipped = 0;   // at or before the applied sequence (redelivered)
  size_t rejected = 0;  // undecodable record or a document the index refused
};

class ReplicaApplier {
 public:
  // Reads the applied sequence stored in `ix` (Corruption if unreadable).
  static Result<std::unique_ptr<ReplicaApplier>> open(std::shared_ptr<index::Index> ix);

  // Applies messages in stream order, in one index write per run between
  // truncates. On an I/O error the stored sequence stays at the last run
  // written (each write records its sequence with its documents, or
  // neither). A sequence hole (the next
  // message is not applied_seq()+1) is NotFound ("log gap") after applying
  // what precedes it.
  Result<ReplicaApplyStats> apply(const std::vector<LogMessage>& msgs, const index::WriteOptions& w = {});
  uint64_t applied_seq() const { return applied_.load(std::memory_order_acquire); }
  index::Index& index() { return *ix_; }
  const std::shared_ptr<index::Index>& index_ptr() const { return ix_; }

 private:
  explicit ReplicaApplier(std::shared_ptr<index::Index> ix, uint64_t applied) : ix_(std::move(ix)), applied_(applied) {}

  std::shared_ptr<index::Index> ix_;
  std::atomic<uint64_t> applied_;
};

// The stored applied sequence of an index (0 when it never applied any).
Result<uint64_t> stored_log_sequence(const index::Index& ix);

class ReplicaRunner {
 public:
  struct Options {
    std::string stream, subject, durable;
    int batch = 512;
    int fetch_timeout_ms = 200;
  };
  // Starts the thread. `client` must outlive the runner.
  ReplicaRunner(NatsClient& client, std::unique_ptr<ReplicaApplier> applier, Options opt);
  ~ReplicaRunner();  // stops and joins
  ReplicaRunner(const ReplicaRunner&) = delete;
  ReplicaRunner& operator=(const ReplicaRunner&) = delete;

  uint64_t applied_seq() const { return applier_->applied_seq(); }
  // Waits until applied_seq() >= seq or timeout; true when reached.
  bool wait_applied(uint64_t seq, int timeout_ms);
  // The last error of the loop ("" while healthy).
  std::string last_error() const;
  uint64_t errors() const { return errors_.load(); }
  // Whether the replica has reached the stream's head once since it started
  // (a fetch found nothing more, or its last message had nothing pending):
  // a new or rebuilt replica is not searched before (docs/CLUSTER.md).
  bool caught_up() const { return caught_up_.load(); }
  // The stream starts after applied_seq() + 1: the runner applies nothing
  // more and never counts as caught up (the replica must be rebuilt).
  bool behind_retention() const { return behind_.load(); }
  const std::shared_ptr<index::Index>& index_ptr() const { return applier_->index_ptr(); }
  void stop();

 private:
  void run();
  void set_error(const Status& st);
  // Sets behind_ when the stream's first sequence is past applied_seq() + 1.
  bool check_retention();

  NatsClient& client_;
  std::unique_ptr<ReplicaApplier> applier_;
  const Options opt_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> errors_{0};
  std::atomic<bool> caught_up_{false};
  std::atomic<bool> behind_{false};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string last_error_;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace meridian::cluster
