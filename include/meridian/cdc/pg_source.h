// PgSource: follows one PostgreSQL table into one index over logical
// replication (libpq, built-in pgoutput plugin). On first start (no stored
// position) it creates the publication and the slot (dropping a stale slot),
// copies the table from the slot's exported snapshot into a new generation
// (a staging index beside the live one) and swaps it in with
// Index::replace_all together with the slot's consistent point, so searches
// see the old rows or the new ones, never a half-loaded index; then it
// streams from the stored LSN,
// decoding Begin/Relation/Insert/Update/Delete/Truncate/Commit. Each
// PostgreSQL transaction is applied at its Commit through a ChangeApplier,
// positions being [commit end LSN, change number]. Every second (when
// something was applied) it calls Index::commit() and only then sends the
// Standby Status Update whose flush LSN is the last applied commit, so the
// slot never forgets changes the index could still lose. Errors (a dropped
// connection, a restarted server) reconnect with exponential backoff
// (0.2 s doubling to 10 s) and resume from the index's own stored LSN.
// A row that cannot be mapped (a value of the wrong type, no id) or that the
// index rejects becomes a DeadLetter and is skipped: streaming goes on.
//
// What "applied", "committed" and "the stored position" are is the sink's
// (change_sink.h): the above describes IndexSink, the sink of a source on a
// local index; a clustered index's source publishes to the shard logs and
// keeps its position in NATS (cluster::ClusterChangeSink).
//
// Ownership: owns its sink (which holds the index) and one worker thread.
// Thread safety: start/stop/status may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "meridian/base/json.h"
#include "meridian/cdc/change_sink.h"
#include "meridian/cdc/source_config.h"
#include "meridian/index/index.h"

namespace meridian::cdc {

// A row that could not be mapped to a document (or that the index rejected
// as invalid): recorded, counted, and skipped; streaming goes on.
struct DeadLetter {
  std::string table;
  std::string key;     // the row's id, empty when it could not be read
  uint64_t lsn = 0;    // its transaction's commit end LSN (the snapshot's consistent point for snapshot rows)
  std::string reason;
  Json to_json() const;
};

struct PgSourceStatus {
  std::string state = "starting";  // starting, snapshotting, streaming, error, stopped
  std::string last_error;
  uint64_t applied_lsn = 0;    // last PostgreSQL commit applied to the index
  uint64_t flushed_lsn = 0;    // last commit reported flushed to PostgreSQL (index committed)
  uint64_t server_lsn = 0;     // the server's end of WAL, as last reported
  uint64_t lag_bytes = 0;
  double lag_seconds = 0;      // now - commit time of the oldest unapplied change (0 when caught up)
  uint64_t snapshot_rows = 0;
  uint64_t changes = 0;        // changes applied while streaming
  uint64_t reconnects = 0;
  uint64_t dead_letters = 0;            // rows skipped since the source started
  std::vector<DeadLetter> last_dead_letters;  // the newest kMaxDeadLetters, oldest first
  static constexpr size_t kMaxDeadLetters = 20;
  Json to_json() const;
};

class PgSource {
 public:
  // A source on a local index (IndexSink).
  PgSource(SourceConfig cfg, std::shared_ptr<index::Index> ix);
  PgSource(SourceConfig cfg, std::unique_ptr<ChangeSink> sink);
  ~PgSource();
  PgSource(const PgSource&) = delete;
  PgSource& operator=(const PgSource&) = delete;

  void start();
  // Stops the worker and waits for it (the connection is closed; the slot stays).
  void stop();
  PgSourceStatus status() const;
  const SourceConfig& config() const { return cfg_; }

  // Drops the replication slot (and the publication if Meridian named it),
  // waiting up to `wait` while the slot is still active (a walsender exiting,
  // or a runner on another node not stopped yet).
  static Status drop_slot(const SourceConfig& cfg, std::chrono::milliseconds wait = std::chrono::seconds(5));

 private:
  friend class PgSession;
  void run();
  void set_state(const std::string& s);
  void set_error(const std::string& e);
  void add_dead_letter(DeadLetter d);
  bool stopping() const { return stop_.load(); }

  const SourceConfig cfg_;
  std::unique_ptr<ChangeSink> sink_;
  std::thread worker_;
  std::atomic<bool> stop_{false};
  std::mutex wait_mu_;
  std::condition_variable wait_cv_;
  mutable std::mutex mu_;
  PgSourceStatus status_;  // GUARDED_BY(mu_)
};

}  // namespace meridian::cdc
