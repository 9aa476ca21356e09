// WatchHub: live queries. Fans index change events out to the watchers of
// GET /v1/indexes/{index}/watch (Server-Sent Events), each watching one
// search request's query and filters.
//
// Per index, one channel: the hub installs itself as the index's change
// listener (attach()). The listener runs under the index's writer lock, so
// it only appends the event to a bounded ring (for Last-Event-ID resume) and
// to the channel's pending list. One matcher thread per channel (started by
// the first subscribe) takes the pending events in seq order, analyses each
// changed document ONCE into a query::MemoryIndex (a chunk of documents on
// several threads when there are many), and evaluates each
// DISTINCT watched query (a query::LiveQuery, compiled once when its first
// watcher subscribes and shared by every watcher with the same query and
// filters; recompiled when the index's schema changes) against it. Each
// watcher then receives only what concerns it: a match, a delete (a document
// it was told matched was deleted or no longer matches) or a truncate. A
// watcher whose bounded queue is full is marked dropped, never waited for;
// if the matcher itself falls WatchOptions::matcher_backlog events behind,
// every watcher of the index is dropped. Writers never wait.
//
// Ownership: the hub owns the channels (forgotten once their index is gone);
// a channel owns its matcher thread (joined when the channel goes) and its
// query groups; watchers are shared with the HTTP handler streaming them.
// Thread safety: all methods may be called concurrently.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "meridian/index/index.h"
#include "meridian/query/search_request.h"

namespace meridian::server {

struct WatchOptions {
  size_t ring_events = 10000;   // events kept per index for resume
  size_t client_queue = 10000;  // events buffered per watcher before it is dropped
  size_t tracked_ids = 100000;  // ids a watcher remembers as matched (for its delete events)
  // Events published but not matched yet, per index, past which every
  // watcher of the index is dropped (the matcher cannot keep up).
  size_t matcher_backlog = 100000;
  // Threads that evaluate a chunk of changed documents at once (the matcher
  // and helpers it starts per chunk); 0 = one per core.
  size_t match_threads = 0;
};

// What a watcher is told about one change.
struct WatchEvent {
  enum class Kind { kMatch, kDelete, kTruncate };
  Kind kind = Kind::kMatch;
  std::shared_ptr<const index::ChangeEvent> change;  // seq, id, source (kMatch)
};

struct QueryGroup;

class Watcher {
 public:
  enum class Wait { kEvent, kTimeout, kDropped, kClosed };
  // Waits up to timeout_ms for events, then appends up to `max` of them to
  // *out (kEvent), oldest first.
  Wait next(std::vector<WatchEvent>* out, size_t max, int timeout_ms);
  bool gap() const { return gap_; }  // the resume point was older than the ring
  // The ring this watcher reads: a random token per channel (per Index
  // object), so a resume point (ring, seq) names one sequence of events
  // (a cluster router resumes a shard's stream with it).
  uint64_t ring() const { return ring_; }
  // Every event after this seq reaches the watcher (unless gap()): the
  // resume point it was given, else the last seq published when it subscribed.
  uint64_t from_seq() const { return from_seq_; }

 private:
  friend class WatchHub;
  friend struct WatchChannel;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<WatchEvent> queue_;  // GUARDED_BY(mu_)
  bool dropped_ = false;          // GUARDED_BY(mu_)
  bool closed_ = false;           // GUARDED_BY(mu_)
  bool gap_ = false;              // set before the watcher is shared
  uint64_t ring_ = 0;             // set before the watcher is shared
  uint64_t from_seq_ = 0;         // set before the watcher is shared
  size_t limit_ = 0;
  size_t tracked_limit_ = 0;
  std::shared_ptr<QueryGroup> group_;  // set before the watcher is shared
  // Events with seq <= start_seq_ reach this watcher only through replay_
  // (the ring's events after its resume point), which the matcher matches
  // before any newer event. Both GUARDED_BY(the channel's mu).
  uint64_t start_seq_ = 0;
  std::vector<std::shared_ptr<const index::ChangeEvent>> replay_;
  // matched_ was given at subscribe: the matcher adds it to its group's
  // ids before this watcher's first event. GUARDED_BY(the channel's mu).
  bool seeded_ = false;
  // Ids last delivered as matches, and events not yet moved to queue_;
  // the matcher thread's alone.
  std::unordered_set<std::string> matched_;
  std::vector<WatchEvent> outbox_;
};

struct WatchChannel;

class WatchHub {
 public:
  explicit WatchHub(WatchOptions opt = {}) : opt_(opt) {}
  ~WatchHub();

  // Starts recording the events of `idx` (idempotent per Index object).
  void attach(const std::shared_ptr<index::Index>& idx);
  // A watcher of `req`'s query and filters over `idx`: it receives the
  // changes after now; with `after_seq`, first those of the ring with a
  // larger seq (gap() tells whether some were already gone). With `ring`,
  // after_seq is a position in that ring only: when the channel's ring is
  // another one (the index was reopened, the process restarted) the watcher
  // starts at now with gap() set; so does an after_seq beyond the last
  // event the channel published (no event of it has such a seq: another
  // process's, or a made-up one). `matched`: the ids a previous watcher of
  // the same query held as matched (at most WatchOptions::tracked_ids are
  // kept), so that a watcher resuming another's stream sends the deletes
  // that one would have. Errors: the query does not compile against the
  // index's schema (Status::invalid).
  Result<std::shared_ptr<Watcher>> subscribe(const std::shared_ptr<index::Index>& idx,
                                             const query::SearchRequest& req, std::optional<uint64_t> after_seq,
                                             std::optional<uint64_t> ring = std::nullopt,
                                             const std::unordered_set<std::string>* matched = nullptr);
  void unsubscribe(const std::shared_ptr<index::Index>& idx, const std::shared_ptr<Watcher>& w);
  // Wakes and closes every watcher (server shutdown).
  void close_all();
  size_t watchers() const;
  const WatchOptions& options() const { return opt_; }
  // Distinct queries being watched, over every index.
  size_t queries() const;

 private:
  std::shared_ptr<WatchChannel> channel(const std::shared_ptr<index::Index>& idx);

  const WatchOptions opt_;
  mutable std::mutex mu_;
  std::map<const index::Index*, std::pair<std::weak_ptr<index::Index>, std::shared_ptr<WatchChannel>>> channels_;
};

}  // namespace meridian::server
