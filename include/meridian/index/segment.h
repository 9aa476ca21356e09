// Segment: an immutable on-disk segment opened for reading: its meta, term
// dictionary, postings, columns and stored source, each read straight from
// an mmap. Opening maps the files and checks their frames and small tables
// (time proportional to the number of files, not their size); bulk data is
// checksummed when first touched by the part readers.
//
// Shared through shared_ptr by every snapshot that lists it; once the index
// marks it obsolete (merged away or dropped), the last owner deletes its
// files. All methods are const and thread-safe.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "meridian/base/mapped_file.h"
#include "meridian/columns/columns_reader.h"
#include "meridian/index/segment_meta.h"
#include "meridian/postings/postings_reader.h"
#include "meridian/store/store_reader.h"
#include "meridian/termdict/term_dict_reader.h"
#include "meridian/termdict/term_dict_writer.h"

namespace meridian::index {

class Segment {
 public:
  static Result<std::shared_ptr<Segment>> open(const std::string& dir, uint64_t id);
  // A segment read from bytes in memory instead of files (an in-memory
  // reader, see query/memory_index.h): the parts SegmentBuilder::serialize()
  // produced, in kSegmentExts order (meta, terms, post, cols, store). Each
  // part must start 32-byte aligned (frozen bitmap views) and stay alive,
  // unchanged, as long as `owner` does: the segment holds `owner`. `name`
  // stands for the directory in error messages. Nothing is ever removed.
  // `words`, when not empty, is the surface words part (kWordsExt), held
  // the same way.
  static Result<std::shared_ptr<Segment>> open_memory(const std::string& name, uint64_t id,
                                                      const std::string_view (&parts)[5],
                                                      std::shared_ptr<const void> owner,
                                                      std::string_view words = {});
  ~Segment();
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;

  uint64_t id() const { return id_; }
  uint32_t num_docs() const { return meta_.num_docs; }
  const SegmentMeta& meta() const { return meta_; }
  const termdict::TermDictReader& terms() const { return *terms_; }
  const postings::PostingsReader& postings() const { return *postings_; }
  const columns::ColumnsReader& columns() const { return *columns_; }
  const store::StoreReader& store() const { return *store_; }
  // The surface words (index/surface_words.h); null for a segment written
  // before they existed, or an in-memory one.
  const termdict::TermDictReader* words() const { return words_ ? &*words_ : nullptr; }

  // Postings of a full term key (see term_key.h); nullopt if absent.
  Result<std::optional<postings::TermPostings>> postings_for(std::string_view key) const;
  // Its document count (0 if absent), without decoding the postings once
  // they have been verified (PostingsReader::doc_freq).
  Result<uint32_t> doc_freq(std::string_view key) const;
  // A term's place in this segment's postings, as the dictionary gives it:
  // looked up once (lookup()), then read by postings_at() and doc_freq_at()
  // without a second dictionary search (a query counts a term's documents
  // while compiling and opens its postings while evaluating).
  struct TermRef {
    uint64_t segment_id = 0;  // the segment it was looked up in
    bool found = false;       // false: the segment does not hold the term
    uint64_t offset = 0;      // the postings record (dictionary value)
    uint32_t ordinal = 0;     // the term's dictionary ordinal
  };
  Result<TermRef> lookup(std::string_view key) const;
  // The same as postings_for() and doc_freq() of the key `r` was looked up
  // for; `r` must come from this segment's lookup().
  Result<std::optional<postings::TermPostings>> postings_at(const TermRef& r) const;
  Result<uint32_t> doc_freq_at(const TermRef& r) const;
  // Segment-local doc of an external id (ignores deletes).
  std::optional<uint32_t> find_doc(std::string_view external_id) const;
  std::string external_id(uint32_t doc) const;
  uint64_t bytes_on_disk() const { return bytes_; }

  // After this, the files are removed when the last reference goes away.
  void mark_obsolete() const { obsolete_.store(true); }

 private:
  Segment() = default;
  // Opens the part readers over parts[1..4]; decodes parts[0] into meta_
  // unless `meta_decoded`.
  Status open_parts(const std::string& dir, const std::string_view (&parts)[5], bool meta_decoded);
  std::string dir_;
  uint64_t id_ = 0;
  uint64_t bytes_ = 0;
  SegmentMeta meta_;
  std::unique_ptr<MappedFile> files_[4];
  std::unique_ptr<MappedFile> words_file_;
  std::shared_ptr<const void> memory_owner_;  // open_memory(): keeps the parts alive
  std::optional<termdict::TermDictReader> terms_;
  std::optional<postings::PostingsReader> postings_;
  std::optional<columns::ColumnsReader> columns_;
  std::optional<store::StoreReader> store_;
  std::optional<termdict::TermDictReader> words_;
  mutable std::atomic<bool> obsolete_{false};
};

}  // namespace meridian::index
