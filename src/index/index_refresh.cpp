// Index: publishing snapshots, refresh, commit, and the background loop.
#include "meridian/index/index.h"

#include <chrono>
#include <cstdio>
#include <set>

#include "deletes_file.h"
#include "meridian/base/bytes.h"
#include "meridian/index/document.h"
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

Status Index::refresh_locked() {
  if (slots_empty_locked() && pending_deletes_.empty()) {
    if (snapshot_ && snapshot()->visible_seq() == last_seq_ && snapshot()->schema_ptr() == schema_) return Status::ok();
    flushed_seq_ = last_seq_;
    publish_locked();
    return Status::ok();
  }
  for (auto& sp : slots_) {
    WriterSlot& slot = *sp;
    if (!slot.reserved) continue;
    // Waits for a batch still being added: its doc numbers are reserved.
    std::unique_lock<std::mutex> sl(slot.mu);
    const uint64_t id = next_segment_id_++;
    // The slot keeps its documents until their segment is open: after a
    // failure (disk full) they stay searchable by get() and a retry writes
    // them again.
    Status st = slot.builder->write(dir_, id, false);
    std::shared_ptr<Segment> seg;
    if (st.is_ok()) {
      auto opened = Segment::open(dir_, id);
      if (opened) seg = *opened;
      else st = opened.status();
    }
    if (!st.is_ok()) {
      for (auto ext : kSegmentExts) {
        Status rm = fs::remove_file(segment_file(dir_, id, ext));
        if (!rm.is_ok()) break;  // recovery removes what is left (no manifest names it)
      }
      set_bg_error_locked(st, "refresh", true);
      return st;
    }
    auto [b, bdel] = slot.take();
    sl.unlock();
    segments_.push_back(seg);
    unsynced_segments_.push_back(id);
    if (!bdel.is_empty()) {
      deletes_[id] = std::make_shared<const postings::Bitmap>(std::move(bdel));
      del_dirty_[id] = true;
    }
  }
  for (auto& [seg, bm] : pending_deletes_) {
    postings::Bitmap merged = deletes_.count(seg) ? deletes_[seg]->copy() : postings::Bitmap();
    merged.or_inplace(bm);
    deletes_[seg] = std::make_shared<const postings::Bitmap>(std::move(merged));
    del_dirty_[seg] = true;
  }
  pending_deletes_.clear();
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
  flushed_seq_ = last_seq_;
  publish_locked();
  return Status::ok();
}

Status Index::refresh() {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Status::ok();
  return refresh_locked();
}

Status Index::commit_once_locked() {
  MERIDIAN_RETURN_IF_ERROR(refresh_locked());
  for (uint64_t id : unsynced_segments_) {
    for (auto ext : kSegmentExts) {
      Status st = fs::fsync_file(segment_file(dir_, id, ext));
      if (!st.is_ok()) {
        segment_fsync_failed_ = true;
        return st;
      }
    }
  }
  unsynced_segments_.clear();
  Manifest m;
  m.generation = manifest_gen_ + 1;
  // Delete files are written under the new generation; the bookkeeping
  // moves only once the manifest naming them is published, so a failed
  // commit can simply be retried.
  std::map<uint64_t, uint64_t> new_gens;
  for (auto& [seg, dirty] : del_dirty_) {
    auto it = deletes_.find(seg);
    if (it == deletes_.end()) continue;
    MERIDIAN_RETURN_IF_ERROR(write_deletes(deletes_file(dir_, seg, m.generation), *it->second));
    new_gens[seg] = m.generation;
  }
  m.last_seq = last_seq_;
  m.next_segment_id = next_segment_id_;
  m.schema = schema_->to_json();
  m.sources = sources_;
  for (const auto& seg : segments_) {
    ManifestSegment ms;
    ms.id = seg->id();
    ms.docs = seg->num_docs();
    auto it = deletes_.find(seg->id());
    ms.deleted = it == deletes_.end() ? 0 : static_cast<uint32_t>(it->second->cardinality());
    if (ms.deleted) {
      auto ng = new_gens.find(seg->id());
      ms.del_gen = ng != new_gens.end() ? ng->second : del_gen_[seg->id()];
    }
    m.segments.push_back(ms);
  }
  MERIDIAN_RETURN_IF_ERROR(fs::fsync_dir(dir_));
  MERIDIAN_RETURN_IF_ERROR(publish_manifest(dir_, m));
  manifest_gen_ = m.generation;
  committed_seq_ = last_seq_;
  del_dirty_.clear();
  // Now nothing committed refers to older files. Removing them is tidying:
  // what a failure leaves behind, the next recovery removes (orphans).
  for (auto& [seg, gen] : new_gens) {
    auto old = del_gen_.find(seg);
    if (old != del_gen_.end() && old->second != gen) (void)fs::remove_file(deletes_file(dir_, seg, old->second));
    del_gen_[seg] = gen;
  }
  for (auto& seg : retired_) {
    if (del_gen_.count(seg->id())) (void)fs::remove_file(deletes_file(dir_, seg->id(), del_gen_[seg->id()]));
    del_gen_.erase(seg->id());
    seg->mark_obsolete();
  }
  retired_.clear();
  if (wal_->first_seq() <= last_seq_) {
    MERIDIAN_ASSIGN_OR_RETURN(auto wal, WalWriter::create(dir_, last_seq_ + 1));
    wal_ = std::move(wal);
    MERIDIAN_ASSIGN_OR_RETURN(auto files, list_wal_files(dir_));
    for (const auto& [first, path] : files)
      if (first <= last_seq_) MERIDIAN_RETURN_IF_ERROR(fs::remove_file(path));
  }
  return Status::ok();
}

Status Index::commit() {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Status::invalid("index '" + name_ + "' is closed");
  return commit_locked();
}

Status Index::add_fields(const Schema& fields) {
  std::lock_guard<std::mutex> lock(mu_);
  MERIDIAN_RETURN_IF_ERROR(writable_locked());
  auto ns = std::make_shared<Schema>(*schema_);
  MERIDIAN_RETURN_IF_ERROR(ns->merge(fields));
  schema_ = std::move(ns);
  return commit_locked();
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

void Index::background_loop() {
  using clock = std::chrono::steady_clock;
  auto last_commit = clock::now();
  for (;;) {
    {
      std::unique_lock<std::mutex> bl(bg_mu_);
      bg_cv_.wait_for(bl, std::chrono::milliseconds(opt_.refresh_interval_ms),
                      [&] { return stop_ || refresh_wanted_; });
      if (stop_) return;
      refresh_wanted_ = false;
    }
    retry_bg_error();
    // Failures below are recorded as the background error (refresh_locked,
    // commit_locked and the merge set it) and retried by retry_bg_error().
    if (Status st = refresh(); !st.is_ok()) continue;
    if (opt_.commit_interval_ms && clock::now() - last_commit > std::chrono::milliseconds(opt_.commit_interval_ms)) {
      std::lock_guard<std::mutex> lock(mu_);
      if (!closed_ && bg_error_.is_ok() && (last_seq_ > committed_seq_ || !retired_.empty())) {
        if (Status st = commit_locked(); !st.is_ok()) continue;
      }
      last_commit = clock::now();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_ || !bg_error_.is_ok()) continue;  // no merging while degraded
    }
    if (auto merged = maybe_merge(); !merged.is_ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      set_bg_error_locked(merged.status(), "merge", true);
    }
  }
}

}  // namespace meridian::index
