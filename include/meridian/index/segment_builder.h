// SegmentBuilder: the in-memory segment. Documents are added (already
// parsed and analysed) and accumulate as postings, columns, norms and stored
// source; write() serializes them as an immutable on-disk segment. A builder
// never serves queries (the index flushes it to a segment on refresh); it
// only hands out stored sources by doc number, for realtime gets.
//
// Not thread-safe: each belongs to one writer slot of an index, filled under
// that slot's mutex. Once documents are no longer added, source() may be
// called while another thread runs write() (both only read the stored
// sources): the index serves realtime gets from a builder whose segment is
// being written.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "meridian/columns/columns_writer.h"
#include "meridian/index/document.h"
#include "meridian/index/schema.h"
#include "meridian/index/term_table.h"
#include "meridian/store/store_writer.h"

namespace meridian::index {

struct ItemizedWord;  // index/surface_words.h

struct FieldStats {
  uint64_t docs = 0;     // documents with a value for the field
  uint64_t sum_len = 0;  // text fields: total tokens
};

class SegmentBuilder {
 public:
  SegmentBuilder();
  ~SegmentBuilder();
  SegmentBuilder(const SegmentBuilder&) = delete;
  SegmentBuilder& operator=(const SegmentBuilder&) = delete;

  // Adds a document; field definitions are resolved by name in `schema`
  // (which must already hold every field of the document). Returns its
  // segment-local doc id. Ids are not resolved here: the index knows which
  // documents replace which, across all of its in-memory segments, and
  // keeps their deletes.
  uint32_t add(const ParsedDoc& doc, const Schema& schema);
  const std::string& source(uint32_t doc) const { return sources_[doc]; }
  uint32_t num_docs() const { return static_cast<uint32_t>(sources_.size()); }
  size_t approx_bytes() const { return bytes_; }
  bool empty() const { return sources_.empty(); }

  // Writes seg-<id>.{meta,terms,post,cols,store,words} into `dir`; fsyncs each file
  // when `sync`. The deletes are not written (the index keeps them). The
  // first call serializes the files into memory and keeps them, so that
  // after a failed write (disk full) the caller may retry, under another id
  // too; no documents may be added after it, nor serialize() called.
  Status write(const std::string& dir, uint64_t segment_id, bool sync);

  // The same parts handed to `put` (extension, bytes) instead of files:
  // cols, store, terms, post, words, then meta. With `parallel` two threads build
  // them (as write() does); without, the calling thread alone (no thread
  // start: for one-document segments built in memory, see
  // query/memory_index.h). The builder is consumed: call once.
  using PartSink = std::function<Status(std::string_view ext, const std::string& bytes)>;
  Status serialize(const PartSink& put, bool parallel);

 private:
  // Word postings to write (index/surface_words.h): the keys of the words
  // of itemized stems, in key order, and the documents of each,
  // docs[start[i] .. start[i+1]).
  struct WordPostings {
    std::vector<std::string> keys;
    std::vector<uint32_t> start, docs;
  };
  WordPostings word_postings(std::vector<ItemizedWord> itemized) const;
  Status write_terms(const PartSink& put, const WordPostings& words) const;
  std::vector<std::string> surface_keys() const;  // the surface words' keys (index/surface_words.h)
  std::vector<std::pair<std::string, std::string>> encoded_;  // write()'s parts (ext, bytes)

  // `key` is field\0term (the field is the key's prefix up to the \0).
  void add_term(std::string_view key, uint32_t doc, uint32_t freq, const uint32_t* positions, bool keep_positions) {
    add_posting(term_of(key, TermTable::hash_of(key)), doc, freq, positions, keep_positions);
  }
  uint32_t term_of(std::string_view key, uint32_t hash);
  void add_posting(uint32_t term, uint32_t doc, uint32_t freq, const uint32_t* positions, bool keep_positions);
  // A text field's tokens as postings: keys hashed and prefetched together,
  // then grouped by term number.
  void add_tokens(const FieldValues& fv, uint32_t doc, bool keep_positions);
  std::string_view key_of(std::string_view field, std::string_view term);

  // Postings accumulate in one log, in doc order: an entry per (term, doc),
  // its positions back to back in `positions_`. Appending is sequential (no
  // allocation per term); write() groups the entries by term with a
  // counting sort, which keeps each term's docs ascending.
  struct Posting {
    uint32_t term;
    uint32_t doc;
    uint32_t freq;
    // kNoPositions; or, with positions: the position itself when freq is 1
    // (most entries: no indirection), else the offset of its `freq`
    // positions in positions_.
    uint32_t pos;
  };
  static constexpr uint32_t kNoPositions = UINT32_MAX;
  struct TermState {  // by term number: where its latest entry is, for a repeat in the same doc
    uint32_t last_doc = UINT32_MAX;
    uint32_t last_entry = 0;
  };
  TermTable terms_;
  std::vector<TermState> term_state_;
  std::vector<Posting> log_;
  std::vector<uint32_t> positions_;
  // geo_point fields: (cell id, doc) of every point, in doc order. Their cell
  // terms (one per indexed level) are built at write(), by sorting, instead
  // of ten hash-table inserts per point; a geo field has no other terms, so
  // its keys are one contiguous range of the dictionary.
  struct GeoCellDoc {
    uint64_t cell;
    uint32_t doc;
  };
  std::map<std::string, std::vector<GeoCellDoc>> geo_;
  // Surface words: per term number, whether the term is itself a surface
  // word; and the surface_key()s of the words that differ from their stem.
  std::vector<uint8_t> self_surface_;
  TermTable words_;
  std::string word_buf_;
  // Word postings: an entry (ref << 32 | doc) per distinct word of a
  // document, in doc order; ref = words_ number << 1, or term number << 1 | 1
  // for a word that is its own stem. The last doc of each, against repeats.
  std::vector<uint64_t> word_log_;
  std::vector<uint32_t> word_last_doc_, self_last_doc_;
  std::string key_buf_;  // key_of() scratch
  // add_tokens() scratch: the keys of one field's tokens back to back, their
  // ends and hashes; (term << 32 | position) pairs; one term's positions.
  std::string tok_keys_;
  std::vector<uint32_t> tok_key_end_, tok_hash_;
  std::vector<uint64_t> term_pos_;
  std::vector<uint32_t> pos_buf_;
  std::vector<std::string> sources_;
  std::map<std::string, std::vector<uint32_t>> norms_;  // text field -> per-doc length
  std::map<std::string, FieldStats> stats_;
  std::map<std::string, FieldType> types_;
  columns::ColumnsWriter columns_;
  size_t bytes_ = 0;
};

// File names of a segment's parts.
std::string segment_file(const std::string& dir, uint64_t segment_id, std::string_view ext);
inline constexpr std::string_view kSegmentExts[] = {"meta", "terms", "post", "cols", "store"};

}  // namespace meridian::index
