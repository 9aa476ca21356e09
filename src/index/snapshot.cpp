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

void StatsRecorder::field(std::string_view f) {
  std::lock_guard<std::mutex> lock(mu_);
  if (fields_.find(f) == fields_.end()) fields_.emplace(f);
}
void StatsRecorder::key(std::string_view k) {
  std::lock_guard<std::mutex> lock(mu_);
  if (keys_.find(k) == keys_.end()) keys_.emplace(k);
}
std::set<std::string> StatsRecorder::fields() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {fields_.begin(), fields_.end()};
}
std::set<std::string> StatsRecorder::keys() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {keys_.begin(), keys_.end()};
}

void StatsRecorder::expansion(std::string_view key, const WordExpansionStats& x) {
  std::lock_guard<std::mutex> lock(mu_);
  if (expansions_.find(key) == expansions_.end()) expansions_.emplace(std::string(key), x);
}
std::map<std::string, WordExpansionStats, std::less<>> StatsRecorder::expansions() const {
  std::lock_guard<std::mutex> lock(mu_);
  return expansions_;
}

const WordExpansionStats* Snapshot::expansion(std::string_view key) const {
  if (!stats_) return nullptr;
  auto it = stats_->expansions.find(key);
  return it == stats_->expansions.end() ? nullptr : &it->second;
}

void Snapshot::record_expansion(std::string_view key, const WordExpansionStats& x) const {
  if (recorder_) recorder_->expansion(key, x);
}

std::shared_ptr<const Snapshot> Snapshot::with_stats(std::shared_ptr<const CorpusStats> stats,
                                                     std::shared_ptr<StatsRecorder> recorder) const {
  auto s = std::make_shared<Snapshot>(*this);
  s->stats_ = std::move(stats);
  s->recorder_ = std::move(recorder);
  return s;
}

uint64_t Snapshot::total_docs() const { return stats_ ? stats_->total_docs : local_total_docs(); }

IndexFieldStats Snapshot::field_stats(std::string_view field) const {
  if (recorder_) recorder_->field(field);
  if (stats_) {
    auto it = stats_->fields.find(field);
    if (it != stats_->fields.end()) return it->second;
  }
  return local_field_stats(field);
}

uint64_t Snapshot::doc_freq(std::string_view key) const {
  if (recorder_) recorder_->key(key);
  if (stats_) {
    auto it = stats_->doc_freq.find(key);
    if (it != stats_->doc_freq.end()) return it->second;
  }
  return local_doc_freq(key);
}

uint64_t Snapshot::local_total_docs() const {
  uint64_t n = 0;
  for (const auto& s : segments_) n += s.segment->num_docs();
  return n;
}

IndexFieldStats Snapshot::local_field_stats(std::string_view field) const {
  IndexFieldStats st;
  for (const auto& s : segments_) {
    auto it = s.segment->meta().fields.find(field);
    if (it == s.segment->meta().fields.end()) continue;
    st.docs += it->second.docs;
    st.sum_len += it->second.sum_len;
  }
  return st;
}

uint64_t Snapshot::local_doc_freq(std::string_view key, bool* all_answered,
                                  std::vector<std::optional<Segment::TermRef>>* refs) const {
  uint64_t df = 0;
  if (all_answered) *all_answered = true;
  if (refs) refs->assign(segments_.size(), std::nullopt);
  for (size_t i = 0; i < segments_.size(); ++i) {
    const Segment& seg = *segments_[i].segment;
    auto r = seg.lookup(key);
    auto n = r.is_ok() ? seg.doc_freq_at(*r) : Result<uint32_t>(r.status());
    if (n.is_ok()) {
      df += *n;
      if (refs) (*refs)[i] = *r;
    } else if (all_answered) {
      *all_answered = false;
    }
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
