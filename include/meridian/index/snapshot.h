// Snapshot: an immutable view of an index at one refresh: its segments, each
// with the deletes bitmap current at that moment, and the schema. Searches
// take a shared_ptr<const Snapshot> and never wait for the writer; a refresh
// or merge publishes a new Snapshot atomically, and old ones stay valid for
// as long as someone holds them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
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

// What one fuzzy or prefix word reached in a snapshot's dictionaries, before
// its alternatives are ranked (query/word_expansion.h, where the walk fills
// it): the terms within its typo budget (fewest edits), its completions, the
// surface words behind them, and whether the word as typed is a word of the
// field. Shards of a clustered index report it in their statistics phase,
// merged by query::merge_word_expansion, so that every shard ranks and
// weighs a word's alternatives as one index holding every document would.
struct WordExpansionStats {
  std::map<std::string, int> fuzzy, completions;                 // term -> edits / kPrefix
  std::map<std::string, std::map<std::string, int>> words;       // stem -> surface word -> edits or kPrefix
  bool typed_is_word = false;  // the word as typed is a word of the field (not a misspelling)
  bool surface_words = true;   // every segment had surface words for the field
  bool operator==(const WordExpansionStats&) const = default;
};

// Index-wide scoring statistics supplied from outside the snapshot: a shard
// of a clustered index scores with the statistics of the whole index
// (docs/CLUSTER.md, "The search router"), so its BM25 scores equal those of
// one index holding every document.
struct CorpusStats {
  uint64_t total_docs = 0;
  std::map<std::string, IndexFieldStats, std::less<>> fields;
  std::map<std::string, uint64_t, std::less<>> doc_freq;  // by full term key
  // Fuzzy and prefix words, by expansion key (query/word_expansion.h).
  std::map<std::string, WordExpansionStats, std::less<>> expansions;
};

// Which statistics a search looked up (the first phase of a distributed
// search), and what its fuzzy and prefix words reached. Internally locked.
class StatsRecorder {
 public:
  void field(std::string_view f);
  void key(std::string_view k);
  // The first expansion recorded for a key is kept (the same word expanded
  // twice on one snapshot reaches the same terms).
  void expansion(std::string_view key, const WordExpansionStats& x);
  std::set<std::string> fields() const;
  std::set<std::string> keys() const;
  std::map<std::string, WordExpansionStats, std::less<>> expansions() const;

 private:
  mutable std::mutex mu_;
  std::set<std::string, std::less<>> fields_, keys_;                  // GUARDED_BY(mu_)
  std::map<std::string, WordExpansionStats, std::less<>> expansions_;  // GUARDED_BY(mu_)
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
  // The same three without an override (this snapshot's own segments).
  uint64_t local_total_docs() const;
  IndexFieldStats local_field_stats(std::string_view field) const;
  // *all_answered (when given): false when a segment could not read its
  // dictionary (its count is then missing from the sum). *refs (when
  // given): each segment's Segment::lookup() of the key, in segment order
  // (nullopt where the dictionary could not be read), for opening the
  // term's postings later without looking it up again.
  uint64_t local_doc_freq(std::string_view key, bool* all_answered = nullptr,
                          std::vector<std::optional<Segment::TermRef>>* refs = nullptr) const;

  // Fuzzy and prefix words: what word `key` reached across the whole index
  // according to the supplied statistics (null when none), whether this
  // snapshot records expansions (then record_expansion() stores one), and
  // whether statistics were supplied at all.
  const WordExpansionStats* expansion(std::string_view key) const;
  bool recording() const { return recorder_ != nullptr; }
  bool has_stats() const { return stats_ != nullptr; }
  void record_expansion(std::string_view key, const WordExpansionStats& x) const;

  // A copy sharing the segments whose total_docs/field_stats/doc_freq answer
  // from `stats` (a key or field it lacks answers from the segments), and
  // that records each field and key asked into `recorder` when given.
  std::shared_ptr<const Snapshot> with_stats(std::shared_ptr<const CorpusStats> stats,
                                             std::shared_ptr<StatsRecorder> recorder) const;

  // The live copy of an external id: (segment index, doc).
  std::optional<std::pair<size_t, uint32_t>> find(std::string_view id) const;
  // The stored source of a live document, or nullopt.
  Result<std::optional<std::string>> get(std::string_view id) const;

 private:
  uint64_t generation_;
  uint64_t visible_seq_;
  std::shared_ptr<const Schema> schema_;
  std::vector<SegmentView> segments_;
  std::shared_ptr<const CorpusStats> stats_;   // null: the segments' own statistics
  std::shared_ptr<StatsRecorder> recorder_;    // null: nothing recorded
};

}  // namespace meridian::index
