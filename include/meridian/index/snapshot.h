// Snapshot: an immutable view of an index at one refresh: its segments, each
// with the deletes bitmap current at that moment, and the schema. Searches
// take a shared_ptr<const Snapshot> and never wait for the writer; a refresh
// or merge publishes a new Snapshot atomically, and old ones stay valid for
// as long as someone holds them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "meridian/index/schema.h"
#include "meridian/index/segment.h"
#include "meridian/postings/bitmap.h"

namespace meridian::index {

struct SegmentView {
  std::shared_ptr<const Segment> segment;
  std::shared_ptr<const postings::Bitmap> deletes;  // null: nothing deleted
  bool is_deleted(uint32_t doc) const { return deletes && deletes->contains(doc); }
  uint32_t live_docs() const {
    return segment->num_docs() - (deletes ? static_cast<uint32_t>(deletes->cardinality()) : 0);
  }
};

struct IndexFieldStats {
  uint64_t docs = 0;     // documents with the field, across segments (deleted included, as in Lucene)
  uint64_t sum_len = 0;  // total tokens
  double avg_len() const { return docs ? static_cast<double>(sum_len) / static_cast<double>(docs) : 0.0; }
};

class Snapshot {
 public:
  Snapshot(uint64_t generation, uint64_t visible_seq, std::shared_ptr<const Schema> schema,
           std::vector<SegmentView> segments);

  uint64_t generation() const { return generation_; }
  uint64_t visible_seq() const { return visible_seq_; }  // every write <= this is visible
  const Schema& schema() const { return *schema_; }
  std::shared_ptr<const Schema> schema_ptr() const { return schema_; }
  const std::vector<SegmentView>& segments() const { return segments_; }

  uint64_t live_docs() const;
  uint64_t total_docs() const;  // deleted included (BM25's N, as in Lucene)
  IndexFieldStats field_stats(std::string_view field) const;
  // Documents containing the full term key, summed over segments.
  uint64_t doc_freq(std::string_view key) const;

  // The live copy of an external id: (segment index, doc).
  std::optional<std::pair<size_t, uint32_t>> find(std::string_view id) const;
  // The stored source of a live document, or nullopt.
  Result<std::optional<std::string>> get(std::string_view id) const;

 private:
  uint64_t generation_;
  uint64_t visible_seq_;
  std::shared_ptr<const Schema> schema_;
  std::vector<SegmentView> segments_;
};

}  // namespace meridian::index
