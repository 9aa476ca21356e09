// Index: one searchable collection of documents in its own directory. It
// owns the writer (WAL, in-memory segment builders, pending deletes) and
// publishes immutable Snapshots for readers.
//
// Writes are ordered under one mutex (sequence number, WAL record, id
// resolution, a doc number reserved in an in-memory segment); the costly
// part, turning analysed documents into postings, then runs outside it.
// Concurrent writers fill separate in-memory segments ("writer slots", like
// Lucene's per-thread document writers), so bulk loads use every core.
//
// Durability: put/remove return only after their WAL record is fsynced
// (group commit shares one fsync among concurrent writers). Visibility: a
// background refresh turns the builder into a segment at least every
// `refresh_interval_ms`; WriteOptions::wait_visible waits for it. The
// refresh has a thread of its own; commits, merges and retries run on a
// second one, so neither a merge nor a commit's fsyncs delays visibility
// (nor the watch streams and refresh=wait_for writes that wait for it). commit()
// makes segments durable, publishes a manifest and trims the WAL. Recovery
// loads the manifest and replays the WAL.
//
// Background errors (LevelDB's bg_error_): when a commit, merge, refresh or
// WAL write fails, the index becomes degraded: writes fail with that error
// (an IO error naming "<file>: <errno text>") until a retried commit succeeds
// (background retry with backoff, or an explicit commit()). A failed fsync
// of a segment file is not retried (after EIO the kernel may have dropped
// the dirty pages): the index stays degraded until it is reopened, which
// replays the WAL. Each transition is one JSON line on stderr.
//
// No file I/O under the writer lock (mu_): a refresh takes the writer
// slots' documents under it, writes their segments without it (the
// documents stay readable by realtime gets meanwhile, deletes that arrive
// are recorded) and publishes under it again; a commit collects what its
// manifest covers under it, fsyncs and writes the manifest without it and
// publishes under it. So writers and realtime gets wait for bookkeeping,
// never for a segment write or an fsync. Locking: docs/ARCHITECTURE.md.
//
// Thread safety: every public method may be called from any thread. Writers
// serialize on an internal mutex; snapshot() never blocks on writers.
// Errors are values (Status/Result); nothing here throws.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "meridian/base/file.h"
#include "meridian/base/json.h"
#include "meridian/index/document.h"
#include "meridian/index/index_settings.h"
#include "meridian/index/manifest.h"
#include "meridian/index/schema.h"
#include "meridian/index/segment_builder.h"
#include "meridian/index/snapshot.h"
#include "meridian/index/wal.h"
#include "meridian/index/write_batch.h"

namespace meridian::index {

struct IndexOptions {
  uint32_t refresh_interval_ms = 500;      // near-real-time bound (≤ 1 s)
  // The refresh interval while change events are awaited (watch streams:
  // set_live_interest): events are published at refresh, so this bounds
  // their delay after the acknowledgment.
  uint32_t live_refresh_interval_ms = 100;
  uint32_t commit_interval_ms = 10000;     // background commit; 0 = only explicit commits
  size_t max_builder_bytes = 64u << 20;    // refresh early past this
  uint32_t merge_factor = 8;               // tiered merge: this many similar segments merge
  // In-memory segments filled in parallel by concurrent writers; 0 = one per
  // core (at most 8). A lone writer always fills the first one.
  uint32_t writer_slots = 0;
  bool background = true;                  // run refresh/commit/merge threads
  // While degraded, the background thread retries a commit after
  // retry_min_ms, doubling up to retry_max_ms.
  uint32_t retry_min_ms = 100;
  uint32_t retry_max_ms = 5000;
};

struct WriteOptions {
  bool wait_visible = false;  // return only once searchable (refresh=wait_for)
  // false: return once the record is in the WAL file without waiting for its
  // fsync; it becomes durable with the next durable write or commit. For bulk
  // loads that acknowledge only at their final commit (`meridian import`).
  bool durable = true;
};

struct PutResult {
  uint64_t seq = 0;
  bool replaced = false;  // a document with this id existed
};

// What Index::backup copied.
struct BackupInfo {
  uint64_t last_seq = 0;       // every write up to this sequence number is in the backup
  uint64_t committed_seq = 0;  // of them, this many are in segments; the rest in the WAL copy
  uint64_t generation = 0;     // manifest generation
  uint64_t files = 0;          // files linked or copied
  uint64_t bytes_copied = 0;   // bytes copied instead of linked (another file system)
  uint64_t wal_bytes = 0;      // WAL bytes copied
};

struct IndexStats {
  uint64_t docs = 0;      // live documents (as of the latest snapshot)
  uint64_t deleted = 0;   // deleted but not yet merged away
  uint64_t segments = 0;
  uint64_t bytes_on_disk = 0;
  uint64_t last_seq = 0;
  uint64_t visible_seq = 0;
  uint64_t committed_seq = 0;
  uint64_t generation = 0;
  uint64_t merges = 0;
  uint64_t wal_bytes = 0;
  std::string degraded;  // why writes are refused; empty when healthy
};

// A write that became visible, for live queries (seq order).
struct ChangeEvent {
  uint64_t seq;
  WalRecordType type;
  std::string id;
  std::string source;  // kPut only
};

class Index {
  struct WriterSlot;

 public:
  // Opens an existing index directory (recovering it) or creates a new one
  // when `create_schema` is given and the directory holds no index.
  static Result<std::unique_ptr<Index>> open(const std::string& dir, const std::string& name,
                                             const IndexOptions& opt, const Schema* create_schema = nullptr);
  ~Index();  // stops background work and commits (best effort)
  Index(const Index&) = delete;
  Index& operator=(const Index&) = delete;

  const std::string& name() const { return name_; }
  const std::string& dir() const { return dir_; }

  Result<PutResult> put(const Json& doc, const WriteOptions& w = {});

  // Parses and analyses documents against a schema snapshot without any
  // lock, so loaders call it from many threads and write the results in
  // input order (WriteBatch::put(PreparedDoc)).
  using Prepared = PreparedDoc;
  std::vector<Prepared> prepare(const std::vector<Json>& docs) const;

  // Writes a batch: its puts and deletes in order, then its positions, in
  // one WAL write and (when durable) one fsync. results[i] is the outcome of
  // the batch's i-th put or delete: its sequence number, and whether a
  // document with its id existed (`replaced`; for a delete: it was deleted).
  // A put the schema refuses fails alone; an I/O error fails them all (and
  // records no position).
  std::vector<Result<PutResult>> write(WriteBatch&& batch, const WriteOptions& w = {});

  // write() in two steps, for a loader that orders its batches without
  // serializing their indexing (meridian import): begin_write() admits the
  // batch under the index lock (sequence numbers, ids resolved, the WAL
  // write: the results are final unless a later step fails) and returns;
  // the loader may then begin the next batch while finish() turns this one
  // into postings in the calling thread's writer slot, without the lock.
  // finish() (or the destructor) must run in the thread that began it.
  class PendingWrite {
   public:
    PendingWrite(PendingWrite&& o) noexcept
        : ix_(o.ix_), w_(o.w_), finished_(std::exchange(o.finished_, true)), results_(std::move(o.results_)),
          docs_(std::move(o.docs_)), slot_lock_(std::move(o.slot_lock_)), slot_(o.slot_), wal_(std::move(o.wal_)),
          schema_(std::move(o.schema_)), max_seq_(o.max_seq_), failed_(std::move(o.failed_)) {}
    PendingWrite& operator=(PendingWrite&&) = delete;
    ~PendingWrite();
    // The outcome of each put and delete as admitted.
    const std::vector<Result<PutResult>>& admitted() const { return results_; }
    // OK unless the batch failed as a whole: the index is closed or
    // degraded, or the batch's WAL write failed; after finish(), also its
    // fsync or the wait for visibility (what a batch without documents,
    // only positions, reports its outcome by).
    const Status& status() const { return failed_; }
    // Indexes the batch, then syncs the WAL and waits as `w` asked.
    std::vector<Result<PutResult>> finish();

   private:
    friend class Index;
    PendingWrite(Index* ix, WriteOptions w) : ix_(ix), w_(w) {}
    Index* ix_;
    WriteOptions w_;
    bool finished_ = false;
    std::vector<Result<PutResult>> results_;
    std::vector<PreparedDoc> docs_;     // admitted puts, in doc-number order
    std::unique_lock<std::mutex> slot_lock_;
    WriterSlot* slot_ = nullptr;
    std::shared_ptr<WalWriter> wal_;
    std::shared_ptr<const Schema> schema_;
    uint64_t max_seq_ = 0;
    Status failed_;  // the WAL write failed: nothing to sync
  };
  PendingWrite begin_write(WriteBatch&& batch, const WriteOptions& w = {});

  // Many documents, one WAL sync: results[i] is the outcome of docs[i].
  std::vector<Result<PutResult>> put_many(const std::vector<Json>& docs, const WriteOptions& w = {});
  // Deletes by external id; the bool says whether it existed.
  Result<bool> remove(std::string_view id, const WriteOptions& w = {});
  // Removes every document (Debezium truncate).
  Status truncate(const WriteOptions& w = {});
  // Replaces every document with those of `staged` (a separate index built
  // meanwhile, e.g. a CDC snapshot; it is committed first) in one step:
  // searches see the old documents or the new ones, never a mix, and a crash
  // keeps one or the other. Records `source`'s position (when not empty)
  // with the new documents. Staged segments are hard-linked (copied across
  // file systems); `staged` may be dropped afterwards. Live queries see one
  // truncate event.
  Status replace_all(Index& staged, const std::string& source, const std::string& position);
  // Realtime get: sees every acknowledged write, refreshed or not.
  Result<std::optional<std::string>> get(std::string_view id) const;

  // Records a CDC source's position; durable with the writes before it and
  // stored in the manifest at the next commit.
  Status set_source_position(const std::string& source, const std::string& position, const WriteOptions& w = {});
  std::optional<std::string> source_position(const std::string& source) const;

  Status refresh();
  Status commit();
  // A consistent online snapshot into directory `dest` (created; must be
  // empty), openable with Index::open: immutable files hard-linked (copied
  // across file systems), the WAL tail copied. Writes never wait for more
  // than a directory listing and the links (index_backup.cpp).
  Result<BackupInfo> backup(const std::string& dest);
  Status add_fields(const Schema& fields);
  Status wait_visible(uint64_t seq);
  Status close();  // commit and stop background work; further writes fail
  // OK, or the background error that makes the index refuse writes. Never
  // waits for the writer lock.
  Status health() const;

  std::shared_ptr<const Snapshot> snapshot() const { return std::atomic_load(&snapshot_); }
  std::shared_ptr<const Schema> schema() const;
  IndexStats stats() const;
  // Runs one merge step if the policy finds one; returns whether it merged.
  Result<bool> maybe_merge();
  // Merges everything into one segment (dropping deletes).
  Status force_merge();

  void set_change_listener(std::function<void(const ChangeEvent&)> fn);
  // Whether someone waits for change events now (a watch stream is open):
  // refreshes then come every live_refresh_interval_ms.
  void set_live_interest(bool on);

  // Search settings (index_settings.h), loaded from the SETTINGS file at
  // open; never null. set_settings stores them durably, then makes them
  // current (a search that already took the old ones keeps them), and
  // applies refresh_interval to the background refresh at once.
  std::shared_ptr<const IndexSettings> settings() const;
  Status set_settings(IndexSettings s);
  // The refresh interval the index was opened with (settings may override it).
  uint32_t default_refresh_interval_ms() const { return opt_.refresh_interval_ms; }

 private:
  Index(std::string dir, std::string name, IndexOptions opt);
  Status recover(const Schema* create_schema);
  Status load_settings();  // index_settings.cpp
  Status apply_put_locked(uint64_t seq, const Json& doc, bool log, PutResult* out, uint64_t order = 0);

  struct IdHash {  // lookups by string_view, without a std::string
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using IdMap = std::unordered_map<std::string, uint32_t, IdHash, std::equal_to<>>;
  // Documents not yet in a segment: a builder, the ids of its live
  // documents and the ones replaced or deleted since they were added.
  struct MemSegment {
    std::unique_ptr<SegmentBuilder> builder = std::make_unique<SegmentBuilder>();
    IdMap ids;                 // GUARDED_BY(mu_) live docs by id
    postings::Bitmap deletes;  // GUARDED_BY(mu_) docs replaced or deleted
    uint32_t reserved = 0;     // GUARDED_BY(mu_) doc numbers handed out
    size_t bytes = 0;          // GUARDED_BY(mu_) builder size after the last add
  };
  // One in-memory segment being filled. Lock order: mu_, then a slot's
  // `mu`. Its builder is filled under `mu` only, so that adding documents
  // does not hold mu_; the bookkeeping is under mu_.
  struct WriterSlot {
    std::mutex mu;
    MemSegment mem;  // builder GUARDED_BY(mu); the rest GUARDED_BY(mu_)
    // Hands over the documents and starts empty (caller holds mu_ and `mu`).
    MemSegment take() { return std::exchange(mem, MemSegment()); }
  };
  // A MemSegment a refresh took from its slot and is writing as a segment
  // without mu_. Until the segment is published its documents stay
  // readable here (realtime get, id resolution); the builder is read-only
  // from now on, so get() reads it without the slot lock.
  struct Flushing {
    MemSegment mem;                 // mem.deletes: as of the capture
    postings::Bitmap later_deletes; // GUARDED_BY(mu_) replaced or deleted after the capture
    uint64_t id = 0;                // segment id of the current attempt (0: none yet)
    std::shared_ptr<Segment> seg;   // written and opened, not yet published
  };
  // Where a live document not yet in a published segment is.
  struct MemHit {
    MemSegment* mem;
    postings::Bitmap* deletes;  // where a delete of it goes
    WriterSlot* slot;           // null: a Flushing (its builder is read-only)
    IdMap::iterator entry;
  };

  // An idle writer slot, locked into `slot_lock`, or null when all are busy.
  WriterSlot* try_acquire_slot_locked(std::unique_lock<std::mutex>* slot_lock);
  // Recovery's: an idle slot, or waits for a busy one under mu_.
  WriterSlot& acquire_slot_locked(std::unique_lock<std::mutex>* slot_lock);
  // A writer's: an idle slot; when all are busy, waits for one with mu_
  // (held in `lock`) released, and looks again. Null when the index turned
  // unwritable meanwhile (mu_ held again either way).
  WriterSlot* acquire_slot(std::unique_lock<std::mutex>& lock, std::unique_lock<std::mutex>* slot_lock);
  Status reprepare_if_stale_locked(Prepared& p) const;
  // Checks a prepared document against the schema, logs it, deletes older
  // copies of its id and reserves its doc number in `slot`; the caller then
  // adds it to the slot's builder.
  Status admit_locked(uint64_t seq, Prepared& p, bool log, WriterSlot& slot, PutResult* out);
  Status apply_prepared_locked(uint64_t seq, Prepared& p, bool log, PutResult* out);
  // (const: get() uses it too; the hit points into state guarded by mu_.)
  std::optional<MemHit> find_in_memory_locked(std::string_view id) const;
  size_t slot_bytes_locked() const;
  bool slots_empty_locked() const;
  Status apply_delete_locked(uint64_t seq, std::string_view id, bool log, bool* existed);
  Status apply_truncate_locked(uint64_t seq, bool log);
  bool is_deleted_locked(uint64_t seg, uint32_t doc) const;
  // The live copy of `id` in a segment; a segment that cannot be read is an error.
  Result<std::optional<std::pair<uint64_t, uint32_t>>> find_live_locked(std::string_view id) const;

  // Refresh (index_refresh.cpp) in three steps: capture under mu_ (the
  // slots' documents become Flushing, pending deletes are set aside),
  // write the segments without mu_, publish under mu_. The caller holds
  // refresh_mu_ and `lock` (on mu_); with `unlock_for_io` false mu_ stays
  // held throughout (recovery, replace_all). `next_wal`, when set, becomes
  // the WAL at the capture (a commit's new log).
  Status flush(std::unique_lock<std::mutex>& lock, bool unlock_for_io,
               std::shared_ptr<WalWriter> next_wal = nullptr);
  // Commit (index_commit.cpp): a refresh that also starts a new WAL, then
  // the manifest of what it published, written and fsynced without mu_.
  // The caller holds commit_mu_, `refresh_lock` (on refresh_mu_; released
  // once the refresh is published, when `unlock_for_io`) and `lock`.
  Status commit_once(std::unique_lock<std::mutex>& refresh_lock, std::unique_lock<std::mutex>& lock,
                     bool unlock_for_io);
  // commit_once() with the background-error bookkeeping.
  Status commit_with(std::unique_lock<std::mutex>& refresh_lock, std::unique_lock<std::mutex>& lock,
                     bool unlock_for_io);
  // Takes commit_mu_ and mu_ and commits (not while closed unless `closing`).
  Status commit_now(bool closing = false);
  Status merge_segments(const std::vector<uint64_t>& ids);
  // The error writes get: closed, or degraded by a background error.
  Status writable_locked() const;
  // Records a background error (`during`: "commit", "merge", ...); the first
  // one wins until recovery. `retryable` false: only reopening recovers.
  void set_bg_error_locked(const Status& st, std::string_view during, bool retryable);
  void clear_bg_error_locked();
  // Background: a commit once the backoff has passed, when degraded.
  void retry_bg_error();
  void publish_locked();
  void background_loop();   // refreshes
  void maintenance_loop();  // commits, merges, retries after a background error
  Status sync(uint64_t seq, const std::shared_ptr<WalWriter>& wal);
  void notify(const ChangeEvent& ev);

  const std::string dir_;
  const std::string name_;
  const IndexOptions opt_;

  // Lock order: merge_mu_, commit_mu_, refresh_mu_, mu_, a slot's mu.
  std::mutex commit_mu_;   // one commit at a time
  std::mutex refresh_mu_;  // one refresh at a time; held while segments_ may change under a capture
  mutable std::mutex mu_;  // the writer lock: held only for bookkeeping, never for file I/O
  std::shared_ptr<const Schema> schema_;                       // GUARDED_BY(mu_)
  std::shared_ptr<WalWriter> wal_;                             // GUARDED_BY(mu_)
  std::vector<std::unique_ptr<WriterSlot>> slots_;             // fixed at construction
  size_t next_slot_ = 0;                                       // GUARDED_BY(mu_) when all are busy
  std::vector<std::unique_ptr<Flushing>> flushing_;            // GUARDED_BY(mu_) changed by the refresh_mu_ holder
  std::vector<std::shared_ptr<const Segment>> segments_;       // GUARDED_BY(mu_)
  std::map<uint64_t, std::shared_ptr<const postings::Bitmap>> deletes_;  // GUARDED_BY(mu_)
  std::map<uint64_t, postings::Bitmap> pending_deletes_;       // GUARDED_BY(mu_) not yet published
  std::map<uint64_t, uint64_t> del_gen_;                       // GUARDED_BY(mu_) committed gen per segment
  std::map<uint64_t, bool> del_dirty_;                         // GUARDED_BY(mu_) changed since commit
  std::vector<uint64_t> unsynced_segments_;                    // GUARDED_BY(mu_)
  std::vector<std::shared_ptr<const Segment>> retired_;        // GUARDED_BY(mu_) merged away, not yet committed
  std::map<std::string, std::string> sources_;                 // GUARDED_BY(mu_)
  std::map<std::string, std::string> flushed_sources_;         // GUARDED_BY(mu_) sources_ as of flushed_seq_
  std::vector<ChangeEvent> unpublished_events_;                // GUARDED_BY(mu_)
  uint64_t last_seq_ = 0;                                      // GUARDED_BY(mu_)
  uint64_t committed_seq_ = 0;                                 // GUARDED_BY(mu_)
  // Writes <= this are exactly what segments_ and deletes_ hold (the
  // published state; what a commit makes durable).
  uint64_t flushed_seq_ = 0;                                   // GUARDED_BY(mu_)
  uint64_t manifest_gen_ = 0;                                  // GUARDED_BY(mu_)
  uint64_t next_segment_id_ = 1;                               // GUARDED_BY(mu_)
  uint64_t generation_ = 0;                                    // GUARDED_BY(mu_)
  uint64_t merges_ = 0;                                        // GUARDED_BY(mu_)
  bool closed_ = false;                                        // GUARDED_BY(mu_)
  bool listener_active_ = false;                               // GUARDED_BY(mu_)
  Status bg_error_;                                            // GUARDED_BY(mu_)
  uint64_t bg_error_count_ = 0;                                // GUARDED_BY(mu_) times it became degraded
  bool bg_retryable_ = true;                                   // GUARDED_BY(mu_)
  bool segment_fsync_failed_ = false;                          // GUARDED_BY(mu_) sticks until reopen
  uint32_t bg_backoff_ms_ = 0;                                 // GUARDED_BY(mu_)
  std::chrono::steady_clock::time_point bg_retry_at_;          // GUARDED_BY(mu_)
  mutable std::mutex health_mu_;
  Status health_;  // GUARDED_BY(health_mu_) copy of bg_error_ for health()

  std::shared_ptr<const Snapshot> snapshot_;  // atomic_load/atomic_store only

  std::mutex merge_mu_;  // one merge at a time
  std::mutex visible_mu_;
  std::condition_variable visible_cv_;
  uint64_t visible_seq_ = 0;  // GUARDED_BY(visible_mu_)

  std::mutex listener_mu_;
  std::function<void(const ChangeEvent&)> listener_;  // GUARDED_BY(listener_mu_)

  std::mutex bg_mu_;
  std::condition_variable bg_cv_;
  bool stop_ = false;  // GUARDED_BY(bg_mu_)
  bool refresh_wanted_ = false;  // GUARDED_BY(bg_mu_)
  std::atomic<bool> live_interest_{false};
  bool maintenance_wanted_ = false;  // GUARDED_BY(bg_mu_) set after each refresh
  std::thread bg_;           // refresh
  std::thread maintenance_;  // commit and merge

  mutable std::mutex settings_mu_;  // also serializes writes of the SETTINGS file
  std::shared_ptr<const IndexSettings> settings_ = std::make_shared<const IndexSettings>();  // GUARDED_BY(settings_mu_)
  std::atomic<uint32_t> refresh_interval_ms_{500};  // the background refresh's period
};

}  // namespace meridian::index
