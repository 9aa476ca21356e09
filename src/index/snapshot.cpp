#include "meridian/index/snapshot.h"

#include "meridian/index/term_key.h"

namespace meridian::index {

Snapshot::Snapshot(uint64_t generation, uint64_t visible_seq, std::shared_ptr<const Schema> schema,
                   std::vector<SegmentView> segments)
    : generation_(generation), visible_seq_(visible_seq), schema_(std::move(schema)), segments_(std::move(segments)) {}

uint64_t Snapshot::live_docs() const {
  uint64_t n = 0;
  for (const auto& s : segments_) n += s.live_docs();
  return n;
}

uint64_t Snapshot::total_docs() const {
  uint64_t n = 0;
  for (const auto& s : segments_) n += s.segment->num_docs();
  return n;
}

IndexFieldStats Snapshot::field_stats(std::string_view field) const {
  IndexFieldStats st;
  for (const auto& s : segments_) {
    auto it = s.segment->meta().fields.find(field);
    if (it == s.segment->meta().fields.end()) continue;
    st.docs += it->second.docs;
    st.sum_len += it->second.sum_len;
  }
  return st;
}

uint64_t Snapshot::doc_freq(std::string_view key) const {
  uint64_t df = 0;
  for (const auto& s : segments_) {
    auto p = s.segment->postings_for(key);
    if (p && p->has_value()) df += (*p)->doc_freq();
  }
  return df;
}

std::optional<std::pair<size_t, uint32_t>> Snapshot::find(std::string_view id) const {
  for (size_t i = segments_.size(); i-- > 0;) {
    auto p = segments_[i].segment->postings_for(term_key(kIdField, id));
    if (!p || !p->has_value()) continue;
    // Several copies may exist in one segment; the live one is not deleted.
    std::optional<uint32_t> live;
    (*p)->docs().for_each([&](uint32_t d) {
      if (!segments_[i].is_deleted(d)) live = d;
      return true;
    });
    if (live) return std::make_pair(i, *live);
  }
  return std::nullopt;
}

Result<std::optional<std::string>> Snapshot::get(std::string_view id) const {
  auto hit = find(id);
  if (!hit) return std::optional<std::string>();
  auto src = segments_[hit->first].segment->store().get(hit->second);
  if (!src) return src.status();
  return std::optional<std::string>(std::move(*src));
}

}  // namespace meridian::index
