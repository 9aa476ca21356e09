// Index: replacing every document at once with a staged generation (a CDC
// snapshot or re-snapshot built in a separate index). Readers see the old
// snapshot until the new one is published; the commit that follows is the
// crash-atomic point (the manifest names either the old segments or the new).
#include <cerrno>

#include "deletes_file.h"
#include "meridian/base/file_system.h"
#include "meridian/index/index.h"
#include "meridian/index/surface_words.h"

namespace meridian::index {
namespace {

// Hard-links (or, across file systems, copies) one staged segment file.
Status link_or_copy(const std::string& from, const std::string& to) {
  if (fs::file_system().link(from.c_str(), to.c_str()) == 0) return Status::ok();
  if (errno != EXDEV && errno != EPERM && errno != ENOTSUP) return Status::from_errno(to, errno);
  MERIDIAN_ASSIGN_OR_RETURN(std::string bytes, fs::read_file(from));
  return fs::write_file_new(to, bytes, false);
}

}  // namespace

Status Index::replace_all(Index& staged, const std::string& source, const std::string& position) {
  MERIDIAN_RETURN_IF_ERROR(staged.commit());
  auto snap = staged.snapshot();
  // Everything held to the end: no refresh may publish the old documents
  // after the swap, and no write may be accepted before the commit makes
  // the swap durable (it has no WAL record), so this commit does its I/O
  // under the writer lock. A CDC re-snapshot is rare.
  std::lock_guard<std::mutex> cl(commit_mu_);
  std::unique_lock<std::mutex> rl(refresh_mu_);
  std::unique_lock<std::mutex> lock(mu_);
  MERIDIAN_RETURN_IF_ERROR(writable_locked());
  auto ns = std::make_shared<Schema>(*schema_);
  MERIDIAN_RETURN_IF_ERROR(ns->merge(snap->schema()));

  // The new generation's segments under ids of this index.
  std::vector<std::shared_ptr<const Segment>> fresh;
  std::map<uint64_t, std::shared_ptr<const postings::Bitmap>> fresh_deletes;
  auto undo = [&](const Status& st) {
    for (const auto& seg : fresh) {
      (void)fs::remove_file(segment_file(dir_, seg->id(), kWordsExt));
      for (auto ext : kSegmentExts) {
        if (!fs::remove_file(segment_file(dir_, seg->id(), ext)).is_ok()) break;  // recovery removes orphans
      }
    }
    return st.with_context("replacing the documents of index '" + name_ + "'");
  };
  for (const auto& v : snap->segments()) {
    const uint64_t id = next_segment_id_++;
    for (auto ext : kSegmentExts) {
      Status st = link_or_copy(segment_file(staged.dir(), v.segment->id(), ext), segment_file(dir_, id, ext));
      if (!st.is_ok()) return undo(st);
    }
    if (v.segment->words()) {
      Status st = link_or_copy(segment_file(staged.dir(), v.segment->id(), kWordsExt),
                               segment_file(dir_, id, kWordsExt));
      if (!st.is_ok()) return undo(st);
    }
    auto seg = Segment::open(dir_, id);
    if (!seg) return undo(seg.status());
    fresh.push_back(*seg);
    if (v.deletes && !v.deletes->is_empty()) fresh_deletes[id] = v.deletes;
  }

  // Everything current goes: builders, segments, deletes.
  for (auto& s : slots_) {
    std::lock_guard<std::mutex> sl(s->mu);
    s->take();
  }
  for (auto& seg : segments_) {
    retired_.push_back(seg);
    deletes_.erase(seg->id());
    del_dirty_.erase(seg->id());
  }
  for (auto& f : flushing_)
    if (f->seg) f->seg->mark_obsolete();  // written by a failed refresh, never published
  flushing_.clear();
  pending_deletes_.clear();
  segments_ = fresh;
  for (const auto& seg : fresh) unsynced_segments_.push_back(seg->id());
  for (auto& [id, bm] : fresh_deletes) {
    deletes_[id] = bm;
    del_dirty_[id] = true;
  }
  schema_ = std::move(ns);
  if (!source.empty()) sources_[source] = position;
  // One sequence number for the swap (it has no WAL record: the commit
  // below is what makes it durable, and no write is accepted before it).
  const uint64_t seq = ++last_seq_;
  if (listener_active_) unpublished_events_.push_back(ChangeEvent{seq, WalRecordType::kTruncate, {}, {}});
  flushed_seq_ = last_seq_;
  flushed_sources_ = sources_;
  publish_locked();
  return commit_with(rl, lock, false);  // on failure the index is degraded: no write lands on a half-durable swap
}

}  // namespace meridian::index
