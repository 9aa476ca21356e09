#include "meridian/server/watch_hub.h"

#include <algorithm>
#include <chrono>

namespace meridian::server {

using EventPtr = std::shared_ptr<const index::ChangeEvent>;

struct WatchChannel {
  std::mutex mu;
  std::deque<EventPtr> ring;  // GUARDED_BY(mu)
  uint64_t dropped_through = 0;  // highest seq evicted from the ring; GUARDED_BY(mu)
  std::vector<std::shared_ptr<Watcher>> watchers;  // GUARDED_BY(mu)
  size_t ring_limit = 0;

  void publish(const index::ChangeEvent& ev) {
    auto p = std::make_shared<const index::ChangeEvent>(ev);
    std::lock_guard lock(mu);
    ring.push_back(p);
    while (ring.size() > ring_limit) {
      dropped_through = ring.front()->seq;
      ring.pop_front();
    }
    for (const auto& w : watchers) {
      std::lock_guard wl(w->mu_);
      if (w->dropped_ || w->closed_) continue;
      if (w->queue_.size() >= w->limit_) {
        w->dropped_ = true;  // slow client: dropped, indexing never waits
        w->queue_.clear();
      } else {
        w->queue_.push_back(p);
      }
      w->cv_.notify_one();
    }
  }
};

Watcher::Wait Watcher::next(EventPtr* out, int timeout_ms) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
               [&] { return !queue_.empty() || dropped_ || closed_; });
  if (dropped_) return Wait::kDropped;
  if (closed_) return Wait::kClosed;
  if (queue_.empty()) return Wait::kTimeout;
  *out = queue_.front();
  queue_.pop_front();
  return Wait::kEvent;
}

WatchHub::~WatchHub() { close_all(); }

std::shared_ptr<WatchChannel> WatchHub::channel(const std::shared_ptr<index::Index>& idx) {
  std::lock_guard lock(mu_);
  for (auto it = channels_.begin(); it != channels_.end();) {  // forget dropped indexes
    it = it->second.first.expired() ? channels_.erase(it) : std::next(it);
  }
  auto it = channels_.find(idx.get());
  if (it != channels_.end()) return it->second.second;
  auto ch = std::make_shared<WatchChannel>();
  ch->ring_limit = opt_.ring_events;
  channels_[idx.get()] = {idx, ch};
  std::weak_ptr<WatchChannel> weak = ch;
  idx->set_change_listener([weak](const index::ChangeEvent& ev) {
    if (auto c = weak.lock()) c->publish(ev);
  });
  return ch;
}

void WatchHub::attach(const std::shared_ptr<index::Index>& idx) { (void)channel(idx); }

std::shared_ptr<Watcher> WatchHub::subscribe(const std::shared_ptr<index::Index>& idx,
                                             std::optional<uint64_t> after_seq) {
  auto ch = channel(idx);
  auto w = std::make_shared<Watcher>();
  w->limit_ = opt_.client_queue;
  std::lock_guard lock(ch->mu);
  if (after_seq) {
    if (*after_seq < ch->dropped_through) w->gap_ = true;
    for (const auto& e : ch->ring) {
      if (e->seq > *after_seq) w->queue_.push_back(e);
    }
    if (w->queue_.size() > w->limit_) {  // more to replay than a queue holds: keep the newest
      w->gap_ = true;
      while (w->queue_.size() > w->limit_) w->queue_.pop_front();
    }
  }
  ch->watchers.push_back(w);
  return w;
}

void WatchHub::unsubscribe(const std::shared_ptr<index::Index>& idx, const std::shared_ptr<Watcher>& w) {
  auto ch = channel(idx);
  std::lock_guard lock(ch->mu);
  ch->watchers.erase(std::remove(ch->watchers.begin(), ch->watchers.end(), w), ch->watchers.end());
}

void WatchHub::close_all() {
  std::lock_guard lock(mu_);
  for (auto& [k, v] : channels_) {
    std::lock_guard cl(v.second->mu);
    for (const auto& w : v.second->watchers) {
      std::lock_guard wl(w->mu_);
      w->closed_ = true;
      w->cv_.notify_all();
    }
  }
}

size_t WatchHub::watchers() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [k, v] : channels_) {
    std::lock_guard cl(v.second->mu);
    n += v.second->watchers.size();
  }
  return n;
}

}  // namespace meridian::server
