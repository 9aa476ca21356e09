#include "cluster_watch.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <unordered_set>

#include "meridian/base/json.h"
#include "peer_clients.h"
#include "sse_parser.h"

namespace meridian::server {
namespace {

constexpr const char* kResumeLost = "resume point no longer held; some events were missed";

}  // namespace

std::string watch_event_data(const WatchEvent& e, int shard) {
  const index::ChangeEvent& ev = *e.change;
  std::string out = "{";
  if (e.kind != WatchEvent::Kind::kTruncate) {
    out += "\"id\":";
    append_json_string(&out, ev.id);
    out += ",";
  }
  out += "\"seq\":" + std::to_string(ev.seq);
  if (shard >= 0) out += ",\"shard\":" + std::to_string(shard);
  if (e.kind == WatchEvent::Kind::kMatch) out += ",\"source\":" + ev.source;
  out += "}";
  return out;
}

const char* watch_event_name(WatchEvent::Kind k) {
  switch (k) {
    case WatchEvent::Kind::kMatch:
      return "match";
    case WatchEvent::Kind::kDelete:
      return "delete";
    case WatchEvent::Kind::kTruncate:
      return "truncate";
  }
  return "match";
}

// One shard's feed: where its stream is and whether the next fresh
// subscription must say events may have been missed.
struct ClusterWatch::Feed {
  uint32_t shard = 0;
  ShardCursor pos;       // the last position pushed (or the client's)
  bool need_gap = false;  // a fresh subscription must carry a gap
  bool said_hello = false;
  uint64_t hellos = 0;    // subscriptions so far
  // The ids the client holds as matched on this shard, kept as the hub's
  // watcher keeps its own (same bound): exact while `matched_exact`, i.e.
  // while the feed streams in process (a remote stream's are not kept).
  std::unordered_set<std::string> matched;
  bool matched_exact = true;
};

ClusterWatch::ClusterWatch(WatchHub& hub, ClusterWatchPeers peers, ClusterWatchOptions opt, query::SearchRequest req,
                           std::vector<ShardCursor> start, bool resumed, std::atomic<int64_t>* hub_subscriptions)
    : hub_(hub), peers_(std::move(peers)), opt_(std::move(opt)), req_(std::move(req)), hub_subs_(hub_subscriptions) {
  start.resize(opt_.shards);
  for (uint32_t s = 0; s < opt_.shards; ++s) {
    auto f = std::make_unique<Feed>();
    f->shard = s;
    f->pos = start[s];
    f->need_gap = resumed && !f->pos.known();
    feeds_.push_back(std::move(f));
  }
}

ClusterWatch::~ClusterWatch() { stop(); }

void ClusterWatch::start() {
  for (uint32_t s = 0; s < opt_.shards; ++s) threads_.emplace_back([this, s] { run_feed(s); });
}

void ClusterWatch::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void ClusterWatch::sleep_ms(int ms) {
  std::unique_lock lock(mu_);
  stop_cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return stop_.load(); });
}

bool ClusterWatch::wait_subscribed(int timeout_ms) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                      [&] { return hellos_ >= opt_.shards || dropped_ || stop_.load(); }) &&
         hellos_ >= opt_.shards;
}

ClusterWatch::Wait ClusterWatch::next(std::vector<ClusterWatchItem>* out, int timeout_ms) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return !queue_.empty() || dropped_ || gone_; });
  if (dropped_) return Wait::kDropped;
  if (queue_.empty()) return gone_ ? Wait::kGone : Wait::kTimeout;
  while (!queue_.empty()) {
    out->push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return Wait::kItems;
}

bool ClusterWatch::push(ClusterWatchItem item) {
  bool ok;
  {
    std::lock_guard lock(mu_);
    if (stop_ || dropped_) return false;
    if (queue_.size() >= opt_.queue_limit) {
      dropped_ = true;  // the client is too slow: it resumes with Last-Event-ID
      queue_.clear();
    } else {
      if (item.kind == ClusterWatchItem::Kind::kHello && !feeds_[item.shard]->said_hello) {
        feeds_[item.shard]->said_hello = true;
        ++hellos_;
      }
      queue_.push_back(std::move(item));
    }
    ok = !dropped_;
  }
  cv_.notify_all();
  return ok;
}

void ClusterWatch::hello(Feed& f, const std::string& node, uint64_t ring, uint64_t from, bool replica_gap,
                         bool fresh_watcher) {
  const bool same = f.pos.known() && f.pos.node == node && f.pos.ring == ring;
  ClusterWatchItem h;
  h.kind = ClusterWatchItem::Kind::kHello;
  h.shard = f.shard;
  h.node = node;
  h.ring = ring;
  h.seq = from;
  if (replica_gap) {
    h.gap = true;
    h.reason = kResumeLost;
  } else if (!same && (f.need_gap || f.pos.known())) {
    h.gap = true;
    h.reason = "shard " + std::to_string(f.shard) + " is now streamed by node '" + node +
               "': its events since the last one sent may have been missed or may repeat";
  } else if (fresh_watcher && f.hellos > 0) {
    h.gap = true;
    h.reason = "shard " + std::to_string(f.shard) + " was subscribed again on node '" + node +
               "': a delete of a document matched before may have been missed";
  }
  f.pos = ShardCursor{node, ring, from};
  f.need_gap = false;
  ++f.hellos;
  push(std::move(h));
}

void ClusterWatch::track(Feed& f, WatchEvent::Kind kind, const std::string& id) {
  switch (kind) {
    case WatchEvent::Kind::kMatch:
      if (f.matched.size() < hub_.options().tracked_ids) f.matched.insert(id);
      break;
    case WatchEvent::Kind::kDelete: f.matched.erase(id); break;
    case WatchEvent::Kind::kTruncate: f.matched.clear(); break;
  }
}

void ClusterWatch::run_feed(uint32_t shard) {
  Feed& f = *feeds_[shard];
  std::string avoid;  // the node whose stream just failed: another replica first
  int delay = opt_.retry_ms;
  auto pause = [&] {
    sleep_ms(delay);
    delay = std::min(delay * 2, std::max(opt_.retry_ms, opt_.max_retry_ms));
  };
  while (!stopped()) {
    if (peers_.gone && peers_.gone()) {  // the stream ends after what was queued
      {
        std::lock_guard lock(mu_);
        gone_ = true;
      }
      cv_.notify_all();
      return;
    }
    std::vector<cluster::ReplicaRoute> routes = peers_.routes(shard);
    const cluster::ReplicaRoute* pick = nullptr;
    auto pick_if = [&](auto pred) {
      for (const auto& r : routes)
        if (!pick && r.node != avoid && pred(r)) pick = &r;
    };
    if (f.pos.known()) pick_if([&](const cluster::ReplicaRoute& r) { return r.node == f.pos.node; });
    pick_if([](const cluster::ReplicaRoute& r) { return r.local; });
    pick_if([](const cluster::ReplicaRoute&) { return true; });
    if (!pick && !routes.empty()) pick = &routes.front();  // only the failed one: try it again
    if (!pick) {
      avoid.clear();
      pause();
      continue;
    }
    const cluster::ReplicaRoute r = *pick;
    const uint64_t hellos = f.hellos;
    Outcome o = Outcome::kBroken;
    if (r.local || r.node == opt_.node_id) {
      if (auto ix = peers_.local_replica(shard)) o = stream_local(f, r, std::move(ix));
    } else {
      o = stream_remote(f, r);
    }
    if (o == Outcome::kStopped) return;
    avoid = o == Outcome::kBroken ? r.node : std::string();
    if (o == Outcome::kDropped || f.hellos != hellos) delay = opt_.retry_ms;  // it did stream: retry soon
    pause();
  }
}

ClusterWatch::Outcome ClusterWatch::stream_local(Feed& f, const cluster::ReplicaRoute& r,
                                                 std::shared_ptr<index::Index> ix) {
  std::optional<uint64_t> after, ring;
  if (f.pos.known() && f.pos.node == r.node) after = f.pos.seq, ring = f.pos.ring;
  // The new watcher is told which documents the client holds as matched
  // when the feed knows them, so its deletes are those the last one would
  // have sent.
  auto sub = hub_.subscribe(ix, req_, after, ring, f.matched_exact ? &f.matched : nullptr);
  if (!sub) return Outcome::kBroken;  // the replica's schema refuses the query (not expected)
  auto w = *sub;
  if (hub_subs_) hub_subs_->fetch_add(1);
  const bool fresh = !f.matched_exact;
  f.matched_exact = true;  // a fresh watcher knows none, and neither does the feed (emptied when it went inexact)
  hello(f, r.node, w->ring(), w->from_seq(), w->gap(), fresh);
  Outcome out = Outcome::kBroken;
  auto check_at = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  std::vector<WatchEvent> events;
  while (true) {
    if (stopped()) {
      out = Outcome::kStopped;
      break;
    }
    events.clear();
    auto got = w->next(&events, 256, 200);
    if (got == Watcher::Wait::kDropped) {  // resumed from the ring by the next attempt
      out = Outcome::kDropped;
      break;
    }
    if (got == Watcher::Wait::kClosed) {
      out = Outcome::kStopped;  // the server is stopping
      break;
    }
    bool ok = true;
    for (const auto& e : events) {
      ClusterWatchItem it;
      it.shard = f.shard;
      it.seq = e.change->seq;
      it.event = watch_event_name(e.kind);
      it.data = watch_event_data(e, static_cast<int>(f.shard));
      f.pos.seq = it.seq;
      track(f, e.kind, e.change->id);
      if (!push(std::move(it))) {
        ok = false;
        break;
      }
    }
    if (!ok) {
      out = Outcome::kStopped;
      break;
    }
    if (std::chrono::steady_clock::now() >= check_at) {  // moved away or rebuilt: stream another
      if (peers_.local_replica(f.shard) != ix) break;
      check_at = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    }
  }
  hub_.unsubscribe(ix, w);
  if (hub_subs_) hub_subs_->fetch_sub(1);
  return out;
}

ClusterWatch::Outcome ClusterWatch::stream_remote(Feed& f, const cluster::ReplicaRoute& r) {
  httplib::Client cli(r.url);
  cli.set_connection_timeout(1, 0);
  cli.set_read_timeout(opt_.read_timeout_ms / 1000, (opt_.read_timeout_ms % 1000) * 1000);
  cli.set_keep_alive(false);
  httplib::Params params;
  for (const auto& [k, v] : opt_.params) params.emplace(k, v);
  params.emplace("heartbeat_ms", std::to_string(opt_.replica_heartbeat_ms));
  if (f.pos.known() && f.pos.node == r.node) {
    params.emplace("last_event_id", std::to_string(f.pos.seq));
    params.emplace("ring", hex_u64(f.pos.ring));
  }
  httplib::Headers headers{{"X-Meridian-Routed", "1"}, {"Accept", "text/event-stream"}};
  if (!opt_.auth.empty()) headers.emplace("Authorization", opt_.auth);
  const std::string path =
      "/v1/indexes/" + encode_segment(opt_.index) + "/shards/" + std::to_string(f.shard) + "/watch";
  SseParser parser;
  bool greeted = false, full = false, dropped = false;
  auto on_event = [&](const SseEvent& ev) {
    if (ev.event == "replica") {
      auto j = parse_json(ev.data);
      const Json* node = j ? j->find("node") : nullptr;
      const Json* ring = j ? j->find("ring") : nullptr;
      const Json* from = j ? j->find("from") : nullptr;
      const Json* gap = j ? j->find("gap") : nullptr;
      uint64_t ring_v = 0;
      if (!node || !node->is_string() || !ring || !ring->is_string() || !parse_u64(ring->as_string(), 16, &ring_v) ||
          !from || !from->is_int())
        return false;
      // The replica's new watcher knows no earlier match; nor does the
      // feed from here on (it does not keep a remote stream's ids).
      hello(f, node->as_string(), ring_v, static_cast<uint64_t>(from->as_int()), gap && gap->is_bool() && gap->as_bool(),
            true);
      f.matched.clear();
      f.matched_exact = false;
      greeted = true;
      return true;
    }
    if (ev.event == "match" || ev.event == "delete" || ev.event == "truncate") {
      uint64_t seq = 0;
      if (!greeted || !parse_u64(ev.id, 10, &seq)) return false;
      ClusterWatchItem it;
      it.shard = f.shard;
      it.seq = seq;
      it.event = ev.event;
      it.data = ev.data;
      f.pos.seq = seq;
      if (!push(std::move(it))) {
        full = true;
        return false;
      }
      return true;
    }
    if (ev.event == "dropped") {  // reconnect to it from the position
      dropped = true;
      return false;
    }
    return true;  // reset: the hello said it
  };
  auto res = cli.Get(
      path, params, headers, [&](const httplib::Response& resp) { return resp.status == 200 && !stopped(); },
      [&](const char* data, size_t n) { return !stopped() && parser.feed(std::string_view(data, n), on_event); });
  (void)res;
  if (stopped() || full) return Outcome::kStopped;
  return dropped ? Outcome::kDropped : Outcome::kBroken;
}

}  // namespace meridian::server
