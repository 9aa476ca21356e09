#include "meridian/server/watch_hub.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "meridian/query/live_query.h"
#include "meridian/query/memory_index.h"

namespace meridian::server {

using EventPtr = std::shared_ptr<const index::ChangeEvent>;

// The watchers of one distinct query (LiveQuery::key_of) over one index.
struct QueryGroup {
  std::string key;
  query::SearchRequest request;                  // query and filters, for recompiling
  std::shared_ptr<const query::LiveQuery> live;  // GUARDED_BY(channel mu)
  std::vector<std::shared_ptr<Watcher>> watchers;  // GUARDED_BY(channel mu)
  // The matcher thread's alone: ids some watcher of the group holds as
  // matched (a superset of every watcher's matched_), so that a put that
  // does not match, or a delete, costs one lookup per group rather than one
  // per watcher. `complete` turns false once the set hit its bound: then
  // every watcher is asked.
  std::unordered_set<std::string> matched;
  bool complete = true;
};

struct WatchChannel {
  std::weak_ptr<index::Index> index;
  uint64_t ring_id = 0;  // random, never 0: names this channel's ring (Watcher::ring)
  size_t ring_limit = 0;
  size_t backlog_limit = 0;
  size_t match_threads = 1;
  static constexpr size_t kChunk = 128;  // events evaluated together, then delivered

  std::mutex mu;
  std::condition_variable wake;  // the matcher: pending events, replays or stop
  std::deque<EventPtr> ring;     // GUARDED_BY(mu)
  uint64_t dropped_through = 0;  // highest seq evicted from the ring; GUARDED_BY(mu)
  uint64_t last_seq = 0;         // highest seq published; GUARDED_BY(mu)
  std::deque<EventPtr> pending;  // published, not matched yet; GUARDED_BY(mu)
  std::map<std::string, std::shared_ptr<QueryGroup>> groups;  // GUARDED_BY(mu)
  size_t num_watchers = 0;       // GUARDED_BY(mu)
  bool replays = false;          // some watcher has replay_ events; GUARDED_BY(mu)
  bool seeds = false;            // some watcher is seeded_; GUARDED_BY(mu)
  bool stop = false;             // GUARDED_BY(mu)
  std::thread matcher;           // started by the first subscribe; GUARDED_BY(mu)

  ~WatchChannel() {
    {
      std::lock_guard lock(mu);
      stop = true;
    }
    wake.notify_all();
    if (matcher.joinable()) matcher.join();
    // A watcher holds its group (group_) and the group its watchers: break
    // the cycle for the watchers never unsubscribed (an HTTP handler still
    // streaming one keeps it, and its group, alive on its own).
    for (auto& [key, g] : groups) g->watchers.clear();
  }

  // Under the index's writer lock: append only.
  void publish(const index::ChangeEvent& ev) {
    auto p = std::make_shared<const index::ChangeEvent>(ev);
    std::lock_guard lock(mu);
    ring.push_back(p);
    last_seq = std::max(last_seq, p->seq);
    while (ring.size() > ring_limit) {
      dropped_through = ring.front()->seq;
      ring.pop_front();
    }
    if (num_watchers == 0) return;  // nobody to match for (a later resume reads the ring)
    if (pending.size() >= backlog_limit) {
      // The matcher fell this far behind: rather than hold events without
      // bound, drop every watcher (each may resume from the ring).
      pending.clear();
      for (auto& [key, g] : groups)
        for (auto& w : g->watchers) {
          std::lock_guard wl(w->mu_);
          w->dropped_ = true;
          w->queue_.clear();
          w->cv_.notify_one();
        }
      return;
    }
    pending.push_back(std::move(p));
    wake.notify_one();
  }

  void run();

 private:
  struct Work {
    std::shared_ptr<QueryGroup> group;
    std::shared_ptr<const query::LiveQuery> live;
    std::vector<std::shared_ptr<Watcher>> watchers;
  };
  // The index's schema (null once the index is gone), the groups' queries compiled against it.
  std::shared_ptr<const index::Schema> refresh_queries(std::vector<std::shared_ptr<QueryGroup>>* groups);
  static bool match(const query::LiveQuery& live, const query::MemoryIndex* doc);
  // The event for w (kept in w.outbox_ until flush()), if any concerns it.
  static void deliver(QueryGroup& g, Watcher& w, const EventPtr& ev, bool matched);
  // Moves w's outbox into its queue: one lock and one wake-up per batch.
  static void flush(Watcher& w);
  // Under mu, on the matcher thread: the ids of g's new seeded watchers join
  // g.matched (so the group's shortcut does not skip their deletes).
  static void add_seeds(QueryGroup& g);
};

bool WatchChannel::match(const query::LiveQuery& live, const query::MemoryIndex* doc) {
  if (!doc) return false;
  auto m = live.matches(*doc);
  return m.is_ok() && *m;  // an evaluation error (none expected: the query compiled) is no match
}

void WatchChannel::deliver(QueryGroup& g, Watcher& w, const EventPtr& ev, bool matched) {
  WatchEvent out{WatchEvent::Kind::kMatch, ev};
  switch (ev->type) {
    case index::WalRecordType::kPut:
      if (matched) {
        if (w.matched_.size() < w.tracked_limit_) {
          w.matched_.insert(ev->id);
          if (g.matched.size() < w.tracked_limit_) g.matched.insert(ev->id);
          else g.complete = false;
        }
      } else if (w.matched_.erase(ev->id)) {
        out.kind = WatchEvent::Kind::kDelete;  // updated so that it no longer matches
      } else {
        return;
      }
      break;
    case index::WalRecordType::kDelete:
      if (!w.matched_.erase(ev->id)) return;
      out.kind = WatchEvent::Kind::kDelete;
      break;
    default:
      w.matched_.clear();
      out.kind = WatchEvent::Kind::kTruncate;
      break;
  }
  w.outbox_.push_back(std::move(out));
}

void WatchChannel::flush(Watcher& w) {
  if (w.outbox_.empty()) return;
  {
    std::lock_guard wl(w.mu_);
    if (w.dropped_ || w.closed_) {
      // nothing: the stream is ending
    } else if (w.queue_.size() + w.outbox_.size() > w.limit_) {
      w.dropped_ = true;  // slow client: dropped, matching never waits
      w.queue_.clear();
    } else {
      for (auto& e : w.outbox_) w.queue_.push_back(std::move(e));
    }
  }
  w.outbox_.clear();
  w.cv_.notify_one();
}

void WatchChannel::add_seeds(QueryGroup& g) {
  for (auto& w : g.watchers) {
    if (!w->seeded_) continue;
    w->seeded_ = false;
    for (const auto& id : w->matched_) {
      if (g.matched.size() < w->tracked_limit_) g.matched.insert(id);
      else g.complete = false;
    }
  }
}

// Recompiles the groups' queries when the index's schema changed (a
// dynamic field, say), so that documents are matched with the fields they
// were indexed with.
std::shared_ptr<const index::Schema> WatchChannel::refresh_queries(std::vector<std::shared_ptr<QueryGroup>>* groups) {
  std::shared_ptr<const index::Schema> schema;
  if (auto idx = index.lock()) schema = idx->schema();
  if (!schema) return nullptr;
  for (auto& g : *groups) {
    std::shared_ptr<const query::LiveQuery> live;
    {
      std::lock_guard lock(mu);
      live = g->live;
    }
    if (live->schema() == schema) continue;
    auto fresh = query::LiveQuery::compile(schema, g->request);
    if (!fresh) continue;  // keep the old one (LiveQuery::matches copes with the new schema)
    std::lock_guard lock(mu);
    g->live = *fresh;
  }
  return schema;
}

void WatchChannel::run() {
  std::unique_lock lock(mu);
  while (true) {
    wake.wait(lock, [&] { return stop || !pending.empty() || replays; });
    if (stop) return;
    std::vector<EventPtr> batch(pending.begin(), pending.end());
    pending.clear();
    std::vector<std::pair<std::shared_ptr<Watcher>, std::vector<EventPtr>>> replay;
    std::vector<std::shared_ptr<QueryGroup>> groups;
    for (auto& [key, g] : this->groups) {
      groups.push_back(g);
      if (seeds) add_seeds(*g);
      if (!replays) continue;
      for (auto& w : g->watchers)
        if (!w->replay_.empty()) replay.emplace_back(w, std::move(w->replay_)), w->replay_.clear();
    }
    replays = seeds = false;
    lock.unlock();

    std::shared_ptr<const index::Schema> schema = refresh_queries(&groups);
    std::vector<Work> work;
    {
      std::lock_guard l(mu);
      for (auto& g : groups) work.push_back(Work{g, g->live, g->watchers});
    }
    // Resumed watchers first: their replayed events precede any newer one.
    for (auto& [w, events] : replay) {
      std::shared_ptr<const query::LiveQuery> live;
      {
        std::lock_guard l(mu);
        live = w->group_->live;
      }
      for (const auto& ev : events) {
        std::optional<query::MemoryIndex> doc;
        if (ev->type == index::WalRecordType::kPut)
          if (auto m = query::MemoryIndex::from_source(live->schema(), ev->source); m.is_ok()) doc = std::move(*m);
        deliver(*w->group_, *w, ev, match(*live, doc ? &*doc : nullptr));
      }
      flush(*w);
    }
    // Each document analysed once, each distinct query evaluated once on it:
    // a chunk of events is evaluated on `match_threads` threads (documents
    // are independent), then delivered in seq order and flushed, so the
    // first events leave before a long batch ends.
    auto flush_all = [&] {
      for (const auto& wk : work)
        for (const auto& w : wk.watchers) flush(*w);
    };
    const size_t groups_n = work.size();
    std::vector<uint8_t> matched_at;  // [event in chunk][group]
    for (size_t from = 0; from < batch.size(); from += kChunk) {
      const size_t to = std::min(batch.size(), from + kChunk);
      matched_at.assign((to - from) * groups_n, 0);
      auto evaluate = [&](size_t first, size_t step) {
        for (size_t i = first; i < to; i += step) {
          const EventPtr& ev = batch[i];
          if (ev->type != index::WalRecordType::kPut || !schema) continue;
          auto doc = query::MemoryIndex::from_source(schema, ev->source);
          if (!doc) continue;  // not expected: the index accepted it
          for (size_t g = 0; g < groups_n; ++g) matched_at[(i - from) * groups_n + g] = match(*work[g].live, &*doc);
        }
      };
      const size_t threads = std::max<size_t>(1, std::min(match_threads, (to - from + 15) / 16));
      std::vector<std::thread> helpers;
      for (size_t t = 1; t < threads; ++t) helpers.emplace_back(evaluate, from + t, threads);
      evaluate(from, threads);
      for (auto& h : helpers) h.join();
      for (size_t i = from; i < to; ++i) {
        const EventPtr& ev = batch[i];
        for (size_t gi = 0; gi < groups_n; ++gi) {
          const Work& wk = work[gi];
          QueryGroup& g = *wk.group;
          const bool matched = matched_at[(i - from) * groups_n + gi] != 0;
          // Not a match and no watcher of the group holds the id: nothing to tell anyone.
          if (!matched && ev->type != index::WalRecordType::kTruncate && g.complete && !g.matched.count(ev->id))
            continue;
          bool all = true;
          for (const auto& w : wk.watchers) {
            if (ev->seq <= w->start_seq_) {  // before it subscribed, or replayed
              all = false;
              continue;
            }
            deliver(g, *w, ev, matched);
          }
          if (ev->type == index::WalRecordType::kTruncate && all) g.matched.clear(), g.complete = true;
          else if (!matched && all) g.matched.erase(ev->id);  // every watcher forgot it
        }
      }
      flush_all();
    }
    flush_all();
    lock.lock();
  }
}

Watcher::Wait Watcher::next(std::vector<WatchEvent>* out, size_t max, int timeout_ms) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
               [&] { return !queue_.empty() || dropped_ || closed_; });
  if (dropped_) return Wait::kDropped;
  if (closed_) return Wait::kClosed;
  if (queue_.empty()) return Wait::kTimeout;
  for (size_t n = 0; n < max && !queue_.empty(); ++n) {
    out->push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
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
  ch->backlog_limit = opt_.matcher_backlog;
  ch->match_threads = opt_.match_threads ? opt_.match_threads : std::max(1u, std::thread::hardware_concurrency());
  ch->index = idx;
  static std::mutex rng_mu;
  static std::mt19937_64 rng{std::random_device{}()};
  {
    std::lock_guard rl(rng_mu);
    while (ch->ring_id == 0) ch->ring_id = rng();
  }
  channels_[idx.get()] = {idx, ch};
  std::weak_ptr<WatchChannel> weak = ch;
  idx->set_change_listener([weak](const index::ChangeEvent& ev) {
    if (auto c = weak.lock()) c->publish(ev);
  });
  return ch;
}

void WatchHub::attach(const std::shared_ptr<index::Index>& idx) { (void)channel(idx); }

Result<std::shared_ptr<Watcher>> WatchHub::subscribe(const std::shared_ptr<index::Index>& idx,
                                                     const query::SearchRequest& req,
                                                     std::optional<uint64_t> after_seq,
                                                     std::optional<uint64_t> ring,
                                                     const std::unordered_set<std::string>* matched) {
  auto ch = channel(idx);
  const std::string key = query::LiveQuery::key_of(req);
  std::shared_ptr<QueryGroup> group;
  {
    std::lock_guard lock(ch->mu);
    if (auto it = ch->groups.find(key); it != ch->groups.end()) group = it->second;
  }
  if (!group) {  // compiled once, outside the channel's lock
    MERIDIAN_ASSIGN_OR_RETURN(auto live, query::LiveQuery::compile(idx->schema(), req));
    group = std::make_shared<QueryGroup>();
    group->key = key;
    group->request.query = req.query;
    group->request.filters = req.filters;
    group->live = std::move(live);
  }
  auto w = std::make_shared<Watcher>();
  w->limit_ = opt_.client_queue;
  w->tracked_limit_ = opt_.tracked_ids;
  if (matched && !matched->empty()) {  // the watcher is not shared yet: the matcher reads it under the channel's mu
    for (const auto& id : *matched) {
      if (w->matched_.size() >= w->tracked_limit_) break;
      w->matched_.insert(id);
    }
    w->seeded_ = true;
  }
  std::lock_guard lock(ch->mu);
  group = ch->groups.emplace(key, group).first->second;  // another subscriber may have added it meanwhile
  w->group_ = group;
  w->start_seq_ = ch->last_seq;
  w->ring_ = ch->ring_id;
  w->from_seq_ = ch->last_seq;
  // A position in another ring, or past anything this ring published (a
  // restarted process's, a made-up one): start now, say so.
  if ((ring && *ring != ch->ring_id) || (after_seq && *after_seq > ch->last_seq)) {
    w->gap_ = true;
    after_seq.reset();
  }
  if (after_seq) {
    w->from_seq_ = *after_seq;
    if (*after_seq < ch->dropped_through) w->gap_ = true;
    for (const auto& e : ch->ring)
      if (e->seq > *after_seq) w->replay_.push_back(e);
    if (w->replay_.size() > w->limit_) {  // more to replay than a queue holds: keep the newest
      w->gap_ = true;
      w->replay_.erase(w->replay_.begin(), w->replay_.end() - static_cast<long>(w->limit_));
    }
    ch->replays |= !w->replay_.empty();
  }
  group->watchers.push_back(w);
  ch->seeds |= w->seeded_;
  if (++ch->num_watchers == 1) idx->set_live_interest(true);
  if (!ch->matcher.joinable()) ch->matcher = std::thread([c = ch.get()] { c->run(); });
  ch->wake.notify_one();
  return w;
}

void WatchHub::unsubscribe(const std::shared_ptr<index::Index>& idx, const std::shared_ptr<Watcher>& w) {
  auto ch = channel(idx);
  std::lock_guard lock(ch->mu);
  auto it = ch->groups.find(w->group_ ? w->group_->key : std::string());
  if (it == ch->groups.end()) return;
  auto& ws = it->second->watchers;
  auto pos = std::find(ws.begin(), ws.end(), w);
  if (pos == ws.end()) return;
  ws.erase(pos);
  --ch->num_watchers;
  if (ws.empty()) ch->groups.erase(it);
  if (ch->num_watchers == 0) {
    ch->pending.clear();
    idx->set_live_interest(false);
  }
}

void WatchHub::close_all() {
  std::lock_guard lock(mu_);
  for (auto& [k, v] : channels_) {
    std::lock_guard cl(v.second->mu);
    for (const auto& [key, g] : v.second->groups)
      for (const auto& w : g->watchers) {
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
    n += v.second->num_watchers;
  }
  return n;
}

size_t WatchHub::queries() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [k, v] : channels_) {
    std::lock_guard cl(v.second->mu);
    n += v.second->groups.size();
  }
  return n;
}

}  // namespace meridian::server
