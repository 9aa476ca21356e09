// Index: commit. A commit makes the published state durable: a refresh
// (which also starts a new WAL at its capture), then under the writer lock
// it collects what the new manifest generation covers (the segments and
// their delete bitmaps, all immutable; writes <= flushed_seq_), fsyncs the
// segment files and writes the deletes files and the manifest without the
// lock, and publishes the bookkeeping under it again. Files nothing
// committed refers to any more (older deletes files, merged-away segments,
// WAL files the manifest covers) are removed last, without the lock.
// One commit at a time (commit_mu_).
#include <algorithm>

#include "deletes_file.h"
#include "meridian/index/index.h"
#include "meridian/index/surface_words.h"

namespace meridian::index {
namespace {

Status sync_segment_files(const std::string& dir, uint64_t id) {
  for (auto ext : kSegmentExts) MERIDIAN_RETURN_IF_ERROR(fs::fsync_file(segment_file(dir, id, ext)));
  // Optional (segments older than the surface words have none).
  if (const std::string w = segment_file(dir, id, kWordsExt); fs::exists(w))
    MERIDIAN_RETURN_IF_ERROR(fs::fsync_file(w));
  return Status::ok();
}

// What one commit writes, collected under the writer lock.
struct CommitPlan {
  Manifest manifest;
  std::vector<uint64_t> to_sync;  // segments written since the last commit
  std::vector<std::pair<uint64_t, std::shared_ptr<const postings::Bitmap>>> deletes;  // dirty, to write
  std::vector<std::shared_ptr<const Segment>> retired;  // no longer in the manifest
  uint64_t wal_floor = 0;  // WAL files before this one hold only writes the manifest covers
};

}  // namespace

Status Index::commit_once(std::unique_lock<std::mutex>& refresh_lock, std::unique_lock<std::mutex>& lock,
                          bool unlock_for_io) {
  auto unlocked = [&](auto&& io) {
    if (unlock_for_io) lock.unlock();
    auto r = io();
    if (unlock_for_io) lock.lock();
    return r;
  };
  // A new WAL when the current one holds records, created without the
  // lock; the refresh switches to it at its capture.
  std::shared_ptr<WalWriter> next_wal;
  if (wal_->first_seq() <= last_seq_) {
    const uint64_t first = last_seq_ + 1;  // a lower bound of its first record
    auto created = unlocked([&] { return WalWriter::create(dir_, first); });
    if (!created) return created.status();
    next_wal = std::move(*created);
  }
  MERIDIAN_RETURN_IF_ERROR(flush(lock, unlock_for_io, std::move(next_wal)));
  if (unlock_for_io) refresh_lock.unlock();  // refreshes may go on; what is published stays consistent

  CommitPlan plan;
  Manifest& m = plan.manifest;
  m.generation = manifest_gen_ + 1;
  m.last_seq = flushed_seq_;
  m.next_segment_id = next_segment_id_;
  m.schema = schema_->to_json();
  m.sources = flushed_sources_;
  // Deletes files are written under the new generation; the bookkeeping
  // moves only once the manifest naming them is published, so a failed
  // commit can simply be retried.
  for (auto& [seg, dirty] : del_dirty_) {
    auto it = deletes_.find(seg);
    if (it != deletes_.end()) plan.deletes.emplace_back(seg, it->second);
  }
  for (const auto& seg : segments_) {
    ManifestSegment ms;
    ms.id = seg->id();
    ms.docs = seg->num_docs();
    auto it = deletes_.find(seg->id());
    ms.deleted = it == deletes_.end() ? 0 : static_cast<uint32_t>(it->second->cardinality());
    if (ms.deleted) {
      auto gen = del_gen_.find(seg->id());
      ms.del_gen = del_dirty_.count(seg->id()) || gen == del_gen_.end() ? m.generation : gen->second;
    }
    m.segments.push_back(ms);
  }
  plan.to_sync = unsynced_segments_;
  plan.retired = retired_;
  plan.wal_floor = wal_->first_seq();

  bool segment_sync_failed = false;
  Status st = unlocked([&]() -> Status {
    for (uint64_t id : plan.to_sync) {
      if (Status s = sync_segment_files(dir_, id); !s.is_ok()) {
        segment_sync_failed = true;
        return s;
      }
    }
    for (const auto& [seg, bm] : plan.deletes)
      MERIDIAN_RETURN_IF_ERROR(write_deletes(deletes_file(dir_, seg, m.generation), *bm));
    MERIDIAN_RETURN_IF_ERROR(fs::fsync_dir(dir_));
    return publish_manifest(dir_, m);
  });
  if (segment_sync_failed) segment_fsync_failed_ = true;
  MERIDIAN_RETURN_IF_ERROR(st);

  // Published: move the bookkeeping.
  manifest_gen_ = m.generation;
  committed_seq_ = m.last_seq;
  std::erase_if(unsynced_segments_, [&](uint64_t id) {
    return std::find(plan.to_sync.begin(), plan.to_sync.end(), id) != plan.to_sync.end();
  });
  std::vector<std::string> garbage;
  for (const auto& [seg, bm] : plan.deletes) {
    auto it = deletes_.find(seg);
    if (it != deletes_.end() && it->second == bm) del_dirty_.erase(seg);  // else changed meanwhile: still dirty
    auto old = del_gen_.find(seg);
    if (old != del_gen_.end() && old->second != m.generation) garbage.push_back(deletes_file(dir_, seg, old->second));
    del_gen_[seg] = m.generation;
  }
  for (const auto& seg : plan.retired) {
    auto gen = del_gen_.find(seg->id());
    if (gen != del_gen_.end()) {
      garbage.push_back(deletes_file(dir_, seg->id(), gen->second));
      del_gen_.erase(gen);
    }
    seg->mark_obsolete();
    std::erase(retired_, seg);
  }
  // Now nothing committed refers to them. Removing them is tidying: what a
  // failure leaves behind, the next recovery removes (orphans), except WAL
  // files, which a failed removal would leave to be replayed again.
  return unlocked([&]() -> Status {
    for (const auto& path : garbage) (void)fs::remove_file(path);
    MERIDIAN_ASSIGN_OR_RETURN(auto files, list_wal_files(dir_));
    for (const auto& [first, path] : files)
      if (first < plan.wal_floor) MERIDIAN_RETURN_IF_ERROR(fs::remove_file(path));
    return Status::ok();
  });
}

Status Index::commit_with(std::unique_lock<std::mutex>& refresh_lock, std::unique_lock<std::mutex>& lock,
                          bool unlock_for_io) {
  if (!bg_error_.is_ok() && !bg_retryable_) return bg_error_;
  const uint64_t errors_before = bg_error_count_;
  Status st = commit_once(refresh_lock, lock, unlock_for_io);
  if (st.is_ok()) {
    // Only an error from before this commit is cured by it: one that came
    // while it ran (a WAL write after its capture) is not in its segments.
    if (bg_error_count_ == errors_before) clear_bg_error_locked();
  } else {
    // A failed fsync of a segment file leaves pages the kernel may have
    // dropped: only a reopen (WAL replay) is safe.
    set_bg_error_locked(st, "commit", !segment_fsync_failed_);
  }
  return st;
}

Status Index::commit_now(bool closing) {
  std::lock_guard<std::mutex> cl(commit_mu_);
  std::unique_lock<std::mutex> rl(refresh_mu_);
  std::unique_lock<std::mutex> lock(mu_);
  if (closed_ && !closing) return Status::invalid("index '" + name_ + "' is closed");
  return commit_with(rl, lock, true);
}

Status Index::commit() { return commit_now(); }

}  // namespace meridian::index
