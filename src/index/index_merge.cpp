// Index: background merging. A tiered policy picks segments of similar size
// (by live documents); the merge copies their live documents' postings,
// columns and sources into one segment (SegmentMerger: no re-analysis), then
// swaps it in under the writer lock, carrying over deletes that happened
// meanwhile, and commits so that the merged-away files can be removed.
#include <algorithm>
#include <cmath>
#include <map>

#include "meridian/index/index.h"
#include "meridian/index/segment_merger.h"

namespace meridian::index {
namespace {

int tier_of(uint64_t live, uint32_t factor) {
  int t = 0;
  double f = std::max<uint32_t>(factor, 2);
  double x = static_cast<double>(std::max<uint64_t>(live, 1));
  while (x >= f) {
    x /= f;
    ++t;
  }
  return t;
}

}  // namespace

Result<bool> Index::maybe_merge() {
  std::unique_lock<std::mutex> ml(merge_mu_, std::try_to_lock);
  if (!ml.owns_lock()) return false;
  auto snap = snapshot();
  std::map<int, std::vector<std::pair<uint64_t, uint64_t>>> tiers;  // tier -> (live, id)
  std::vector<uint64_t> expunge;
  for (const auto& v : snap->segments()) {
    uint64_t live = v.live_docs();
    tiers[tier_of(live, opt_.merge_factor)].emplace_back(live, v.segment->id());
    if (v.segment->num_docs() >= 1000 && live * 2 < v.segment->num_docs()) expunge.push_back(v.segment->id());
  }
  for (auto& [tier, segs] : tiers) {
    if (segs.size() < opt_.merge_factor) continue;
    std::sort(segs.begin(), segs.end());
    std::vector<uint64_t> ids;
    for (size_t i = 0; i < opt_.merge_factor; ++i) ids.push_back(segs[i].second);
    MERIDIAN_RETURN_IF_ERROR(merge_segments(ids));
    return true;
  }
  if (!expunge.empty()) {
    MERIDIAN_RETURN_IF_ERROR(merge_segments({expunge.front()}));
    return true;
  }
  return false;
}

Status Index::force_merge() {
  std::lock_guard<std::mutex> ml(merge_mu_);
  MERIDIAN_RETURN_IF_ERROR(refresh());
  auto snap = snapshot();
  std::vector<uint64_t> ids;
  for (const auto& v : snap->segments()) ids.push_back(v.segment->id());
  if (ids.size() <= 1 && (ids.empty() || snap->segments()[0].live_docs() == snap->segments()[0].segment->num_docs()))
    return Status::ok();
  return merge_segments(ids);
}

// Caller holds merge_mu_.
Status Index::merge_segments(const std::vector<uint64_t>& ids) {
  auto snap = snapshot();
  std::vector<SegmentView> inputs;
  for (uint64_t id : ids)
    for (const auto& v : snap->segments())
      if (v.segment->id() == id) inputs.push_back(v);
  if (inputs.size() != ids.size()) return Status::ok();  // changed under us; try later

  uint64_t new_id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Status::ok();
    new_id = next_segment_id_++;
  }
  auto result = merge_segments_to(inputs, dir_, new_id, false);
  if (!result) return result.status().with_context("merge of index '" + name_ + "'");
  const std::vector<std::pair<uint64_t, uint32_t>>& origin = result->origin;  // new doc -> (segment, doc)
  std::shared_ptr<Segment> merged;
  if (result->docs > 0) {
    auto seg = Segment::open(dir_, new_id);
    if (!seg) return seg.status();
    merged = *seg;
  }
  {
    // refresh_mu_: no refresh is between its capture and its publish (its
    // set-aside deletes name the segments by id).
    std::lock_guard<std::mutex> rl(refresh_mu_);
    std::lock_guard<std::mutex> lock(mu_);
    bool all_present = !closed_;
    for (uint64_t id : ids) {
      bool found = false;
      for (const auto& s : segments_) found |= s->id() == id;
      all_present &= found;
    }
    if (!all_present) {  // a truncate retired them meanwhile
      if (merged) merged->mark_obsolete();
      return Status::ok();
    }
    // Deletes that arrived during the merge move to the new segment.
    postings::Bitmap published, pending;
    for (uint32_t i = 0; i < origin.size(); ++i) {
      auto [seg, d] = origin[i];
      auto dit = deletes_.find(seg);
      if (dit != deletes_.end() && dit->second->contains(d)) published.add(i);
      auto pit = pending_deletes_.find(seg);
      if (pit != pending_deletes_.end() && pit->second.contains(d)) pending.add(i);
    }
    std::vector<std::shared_ptr<const Segment>> kept;
    for (auto& s : segments_) {
      if (std::find(ids.begin(), ids.end(), s->id()) != ids.end()) {
        retired_.push_back(s);
        deletes_.erase(s->id());
        pending_deletes_.erase(s->id());
        del_dirty_.erase(s->id());
      } else {
        kept.push_back(s);
      }
    }
    segments_ = std::move(kept);
    if (merged) {
      segments_.push_back(merged);
      unsynced_segments_.push_back(new_id);
      if (!published.is_empty()) {
        deletes_[new_id] = std::make_shared<const postings::Bitmap>(std::move(published));
        del_dirty_[new_id] = true;
      }
      if (!pending.is_empty()) pending_deletes_[new_id] = std::move(pending);
    }
    ++merges_;
    publish_locked();
  }
  // The merged segment is fsynced and the merged-away files go by this
  // commit, without the writer lock.
  return commit_now();
}

}  // namespace meridian::index
