// WatchHub: fan-out of index change events to live-query watchers
// (GET /v1/indexes/{index}/watch, Server-Sent Events).
//
// The hub installs itself as each index's change listener (attach()). The
// listener runs under the index's writer lock, so it only appends the event
// to a bounded ring (for Last-Event-ID resume) and to each watcher's bounded
// queue; a watcher whose queue is full is marked dropped, never waited for.
// Matching a query against documents happens on the watcher's own thread.
//
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
#include <vector>

#include "meridian/index/index.h"

namespace meridian::server {

struct WatchOptions {
  size_t ring_events = 10000;   // events kept per index for resume
  size_t client_queue = 1000;   // events buffered per watcher before it is dropped
};

class Watcher {
 public:
  enum class Wait { kEvent, kTimeout, kDropped, kClosed };
  // Waits up to timeout_ms for the next event.
  Wait next(std::shared_ptr<const index::ChangeEvent>* out, int timeout_ms);
  bool gap() const { return gap_; }  // the resume point was older than the ring

 private:
  friend class WatchHub;
  friend struct WatchChannel;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<const index::ChangeEvent>> queue_;  // GUARDED_BY(mu_)
  bool dropped_ = false;  // GUARDED_BY(mu_)
  bool closed_ = false;   // GUARDED_BY(mu_)
  bool gap_ = false;
  size_t limit_ = 0;
};

struct WatchChannel;

class WatchHub {
 public:
  explicit WatchHub(WatchOptions opt = {}) : opt_(opt) {}
  ~WatchHub();

  // Starts recording the events of `idx` (idempotent per Index object).
  void attach(const std::shared_ptr<index::Index>& idx);
  // A watcher of `idx`; with `after_seq`, first replays the ring's events
  // with a larger seq (gap() tells whether some were already gone).
  std::shared_ptr<Watcher> subscribe(const std::shared_ptr<index::Index>& idx, std::optional<uint64_t> after_seq);
  void unsubscribe(const std::shared_ptr<index::Index>& idx, const std::shared_ptr<Watcher>& w);
  // Wakes and closes every watcher (server shutdown).
  void close_all();
  size_t watchers() const;

 private:
  std::shared_ptr<WatchChannel> channel(const std::shared_ptr<index::Index>& idx);

  const WatchOptions opt_;
  mutable std::mutex mu_;
  std::map<const index::Index*, std::pair<std::weak_ptr<index::Index>, std::shared_ptr<WatchChannel>>> channels_;
};

}  // namespace meridian::server
