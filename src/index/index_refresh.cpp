// Index: publishing snapshots, refresh, commit, and the background threads
// (refresh; commit and merge).
#include "meridian/index/index.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <set>

#include "deletes_file.h"
#include "meridian/base/bytes.h"
#include "meridian/index/document.h"
#include "meridian/index/surface_words.h"
#include "meridian/index/term_key.h"

namespace meridian::index {

void Index::publish_locked() {
  ++generation_;
  std::vector<SegmentView> views;
  views.reserve(segments_.size());
  for (const auto& seg : segments_) {
    auto it = deletes_.find(seg->id());
    views.push_back(SegmentView{seg, it == deletes_.end() ? nullptr : it->second});
  }
  // Only writes that left the builder are visible: a merge publishes a new
  // snapshot while newer documents may still sit in the builder.
  auto snap = std::make_shared<const Snapshot>(generation_, flushed_seq_, schema_, std::move(views));
  std::atomic_store(&snapshot_, std::shared_ptr<const Snapshot>(snap));
  {
    std::lock_guard<std::mutex> vl(visible_mu_);
    visible_seq_ = flushed_seq_;
  }
  visible_cv_.notify_all();
  if (!unpublished_events_.empty()) {
    std::vector<ChangeEvent> events;
    size_t n = 0;
    while (n < unpublished_events_.size() && unpublished_events_[n].seq <= flushed_seq_) ++n;
    events.assign(std::make_move_iterator(unpublished_events_.begin()),
                  std::make_move_iterator(unpublished_events_.begin() + static_cast<long>(n)));
    unpublished_events_.erase(unpublished_events_.begin(), unpublished_events_.begin() + static_cast<long>(n));
    std::lock_guard<std::mutex> ll(listener_mu_);
    if (listener_)
      for (const auto& ev : events) listener_(ev);
  }
}

// One refresh: capture under mu_, write without it, publish under it.
// Invariant kept: segments_ and deletes_ hold exactly the writes with
// seq <= flushed_seq_ (a commit makes that state durable with
// last_seq = flushed_seq_ and trims the WAL up to it).
Status Index::flush(std::unique_lock<std::mutex>& lock, bool unlock_for_io, std::shared_ptr<WalWriter> next_wal) {
  // A commit's new log starts here: the old logs hold exactly the writes
  // this capture covers.
  if (next_wal) wal_ = std::move(next_wal);
  if (slots_empty_locked() && pending_deletes_.empty() && flushing_.empty()) {
    if (snapshot_ && snapshot()->visible_seq() == last_seq_ && snapshot()->schema_ptr() == schema_) return Status::ok();
    flushed_seq_ = last_seq_;
    flushed_sources_ = sources_;
    publish_locked();
    return Status::ok();
  }

  // Capture. Segments still unwritten after a failed refresh go first; what
  // was deleted of them since then is as of this capture too.
  for (auto& f : flushing_) {
    f->mem.deletes.or_inplace(f->later_deletes);
    f->later_deletes = postings::Bitmap();
  }
  for (auto& sp : slots_) {
    if (!sp->mem.reserved) continue;
    std::lock_guard<std::mutex> sl(sp->mu);  // waits for a batch still being added: its doc numbers are reserved
    auto f = std::make_unique<Flushing>();
    f->mem = sp->take();
    flushing_.push_back(std::move(f));
  }
  std::map<uint64_t, postings::Bitmap> captured = std::move(pending_deletes_);
  pending_deletes_.clear();
  const uint64_t capture_seq = last_seq_;
  std::map<std::string, std::string> capture_sources = sources_;
  std::vector<Flushing*> todo;
  for (auto& f : flushing_) {
    if (!f->id) f->id = next_segment_id_++;
    todo.push_back(f.get());
  }

  // Write, without mu_: writers and realtime gets go on (they read the
  // Flushing documents; the builders are read-only now).
  if (unlock_for_io) lock.unlock();
  Status st;
  uint64_t failed_id = 0;
  for (Flushing* f : todo) {
    if (f->seg) continue;  // written by an earlier, failed refresh
    st = f->mem.builder->write(dir_, f->id, false);
    if (st.is_ok()) {
      auto opened = Segment::open(dir_, f->id);
      if (opened) f->seg = *opened;
      else st = opened.status();
    }
    if (!st.is_ok()) {
      failed_id = f->id;
      (void)fs::remove_file(segment_file(dir_, f->id, kWordsExt));  // recovery removes what is left
      for (auto ext : kSegmentExts) {
        Status rm = fs::remove_file(segment_file(dir_, f->id, ext));
        if (!rm.is_ok()) break;  // recovery removes what is left (no manifest names it)
      }
      break;
    }
  }
  if (unlock_for_io) lock.lock();

  // Publish.
  if (!st.is_ok()) {
    // The documents stay in flushing_, readable, and a retry writes them
    // (the failed one under a new id); the deletes wait for it.
    for (auto& [seg, bm] : captured) pending_deletes_[seg].or_inplace(bm);
    for (Flushing* f : todo)
      if (f->id == failed_id) f->id = 0;
    set_bg_error_locked(st, "refresh", true);
    return st;
  }
  for (auto& f : flushing_) {
    const uint64_t id = f->id;
    segments_.push_back(f->seg);
    unsynced_segments_.push_back(id);
    if (!f->mem.deletes.is_empty()) {
      deletes_[id] = std::make_shared<const postings::Bitmap>(std::move(f->mem.deletes));
      del_dirty_[id] = true;
    }
    // Deleted after the capture: published by the next refresh, with the
    // writes that replaced them.
    if (!f->later_deletes.is_empty()) pending_deletes_[id].or_inplace(f->later_deletes);
  }
  flushing_.clear();
  for (auto& [seg, bm] : captured) {
    postings::Bitmap merged = deletes_.count(seg) ? deletes_[seg]->copy() : postings::Bitmap();
    merged.or_inplace(bm);
    deletes_[seg] = std::make_shared<const postings::Bitmap>(std::move(merged));
    del_dirty_[seg] = true;
  }
  // Segments with nothing left alive leave the snapshot now; their files go
  // after the next commit stops referring to them.
  for (size_t i = 0; i < segments_.size();) {
    auto it = deletes_.find(segments_[i]->id());
    if (it != deletes_.end() && it->second->cardinality() >= segments_[i]->num_docs()) {
      retired_.push_back(segments_[i]);
      deletes_.erase(it);
      del_dirty_.erase(segments_[i]->id());
      segments_.erase(segments_.begin() + static_cast<long>(i));
    } else {
      ++i;
    }
  }
  flushed_seq_ = capture_seq;
  flushed_sources_ = std::move(capture_sources);
  publish_locked();
  return Status::ok();
}

Status Index::refresh() {
  std::lock_guard<std::mutex> rl(refresh_mu_);
  std::unique_lock<std::mutex> lock(mu_);
  if (closed_) return Status::ok();
  return flush(lock, true);
}

Status Index::add_fields(const Schema& fields) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    MERIDIAN_RETURN_IF_ERROR(writable_locked());
    auto ns = std::make_shared<Schema>(*schema_);
    MERIDIAN_RETURN_IF_ERROR(ns->merge(fields));
    schema_ = std::move(ns);
  }
  return commit_now();
}

Status Index::wait_visible(uint64_t seq) {
  if (!opt_.background) return refresh();
  {
    std::lock_guard<std::mutex> bl(bg_mu_);
    refresh_wanted_ = true;
  }
  bg_cv_.notify_all();
  std::unique_lock<std::mutex> vl(visible_mu_);
  if (!visible_cv_.wait_for(vl, std::chrono::seconds(30), [&] { return visible_seq_ >= seq; }))
    return Status::internal("timed out waiting for a refresh");
  return Status::ok();
}

namespace {
// A background thread's wait: until `wanted` is set or `interval_ms` has
// passed; false once the index is stopping. Clears `wanted`.
bool wait_for_work(std::mutex& mu, std::condition_variable& cv, uint32_t interval_ms, const bool& stop,
                   bool& wanted) {
  std::unique_lock<std::mutex> l(mu);
  cv.wait_for(l, std::chrono::milliseconds(interval_ms), [&] { return stop || wanted; });
  if (stop) return false;
  wanted = false;
  return true;
}
}  // namespace

// The refresh thread: visibility only, every refresh_interval_ms (or
// live_refresh_interval_ms while watch streams wait for change events) or
// when a writer waits for it, so neither a commit's fsyncs nor a merge
// delays it (searches with refresh=wait_for and watch streams wait for
// refreshes).
void Index::background_loop() {
  for (;;) {
    // refresh_interval_ms_: the index setting refresh_interval, else opt_'s.
    const uint32_t base = refresh_interval_ms_.load();
    const uint32_t interval = live_interest_.load() ? std::min(base, opt_.live_refresh_interval_ms) : base;
    if (!wait_for_work(bg_mu_, bg_cv_, interval, stop_, refresh_wanted_)) return;
    // A failure is recorded as the background error (flush sets it) and
    // retried by the maintenance thread.
    if (Status st = refresh(); !st.is_ok()) continue;
    {
      std::lock_guard<std::mutex> bl(bg_mu_);
      maintenance_wanted_ = true;
    }
    bg_cv_.notify_all();
  }
}

// The maintenance thread: recovery from a background error, the periodic
// commit, and merges (as many as the policy asks for, one at a time).
void Index::maintenance_loop() {
  using clock = std::chrono::steady_clock;
  auto last_commit = clock::now();
  auto stopping = [&] {
    std::lock_guard<std::mutex> bl(bg_mu_);
    return stop_;
  };
  for (;;) {
    if (!wait_for_work(bg_mu_, bg_cv_, opt_.refresh_interval_ms, stop_, maintenance_wanted_)) return;
    retry_bg_error();
    // Failures below are recorded as the background error (commit_with and
    // the merge set it) and retried by retry_bg_error().
    if (opt_.commit_interval_ms && clock::now() - last_commit > std::chrono::milliseconds(opt_.commit_interval_ms)) {
      bool due;
      {
        std::lock_guard<std::mutex> lock(mu_);
        due = !closed_ && bg_error_.is_ok() && (last_seq_ > committed_seq_ || !retired_.empty());
      }
      if (due)
        if (Status st = commit_now(); !st.is_ok()) continue;
      last_commit = clock::now();
    }
    while (!stopping()) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (closed_ || !bg_error_.is_ok()) break;  // no merging while degraded
      }
      auto merged = maybe_merge();
      if (!merged.is_ok()) {
        std::lock_guard<std::mutex> lock(mu_);
        set_bg_error_locked(merged.status(), "merge", true);
        break;
      }
      if (!*merged) break;
    }
  }
}

}  // namespace meridian::index
