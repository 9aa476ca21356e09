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

  // Postings of a full term key (see term_key.h); nullopt if absent.
  Result<std::optional<postings::TermPostings>> postings_for(std::string_view key) const;
  // Segment-local doc of an external id (ignores deletes).
  std::optional<uint32_t> find_doc(std::string_view external_id) const;
  std::string external_id(uint32_t doc) const;
  uint64_t bytes_on_disk() const { return bytes_; }

  // After this, the files are removed when the last reference goes away.
  void mark_obsolete() const { obsolete_.store(true); }

 private:
  Segment() = default;
  std::string dir_;
  uint64_t id_ = 0;
  uint64_t bytes_ = 0;
  SegmentMeta meta_;
  std::unique_ptr<MappedFile> files_[4];
  std::optional<termdict::TermDictReader> terms_;
  std::optional<postings::PostingsReader> postings_;
  std::optional<columns::ColumnsReader> columns_;
  std::optional<store::StoreReader> store_;
  mutable std::atomic<bool> obsolete_{false};
};

}  // namespace meridian::index
