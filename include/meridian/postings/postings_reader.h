// PostingsReader: reads a segment's postings file straight from its mapped
// bytes (docs/FORMAT.md, "Postings file"). TermPostings is the view of one
// term: its document bitmap, its bounds, and cursors over it.
//
// Integrity: open() checks the frame header and footer and the small trailer
// only, so opening costs the same whatever the file size. The term offset
// table is checked once, on the first term() call. Each term record carries a
// CRC32C, verified (with a full structural check) the first time that term is
// read; verified terms are remembered in a lock-free atomic bitset so hot
// terms are not re-hashed. A damaged term gives
// Status::corruption("<name>: term at offset N: ..."), never a crash.
//
// Ownership: the reader does not own the file bytes; the mapping (MappedFile)
// must outlive the reader and every TermPostings and cursor taken from it.
// Thread safety: PostingsReader is immutable after open(); any number of
// threads may call term() at once. A TermPostings is read-only and may be
// shared; each thread takes its own cursor.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "meridian/base/status.h"
#include "meridian/postings/bitmap.h"
#include "meridian/postings/posting_cursor.h"

namespace meridian::postings {

class TermPostings {
 public:
  // The documents containing the term.
  const Bitmap& docs() const { return shared_ ? *shared_ : docs_; }
  // The same documents as the record stores them (a portable roaring
  // bitmap, checked: BitmapView reads it in place), or empty for a short
  // record (up to one block of documents, stored as gaps).
  std::string_view serialized_docs() const { return docs_bytes_; }
  uint32_t doc_freq() const { return layout_.doc_freq; }
  // Largest tf, and smallest field length (0 if lengths were not given) over
  // all the term's documents: bm25(max_tf, min_len) bounds every score.
  uint32_t max_tf() const { return max_tf_; }
  uint32_t min_len() const { return min_len_; }
  bool has_positions() const { return layout_.has_positions; }
  uint32_t block_count() const { return layout_.n_blocks; }
  PostingCursor cursor() const { return PostingCursor(docs(), layout_); }

 private:
  friend class PostingsReader;
  TermPostings(Bitmap docs, std::string_view bytes, const TermLayout& layout, uint32_t max_tf, uint32_t min_len)
      : docs_(std::move(docs)), docs_bytes_(bytes), layout_(layout), max_tf_(max_tf), min_len_(min_len) {}
  TermPostings(std::shared_ptr<const Bitmap> docs, std::string_view bytes, const TermLayout& layout, uint32_t max_tf,
               uint32_t min_len)
      : shared_(std::move(docs)), docs_bytes_(bytes), layout_(layout), max_tf_(max_tf), min_len_(min_len) {}
  Bitmap docs_;                           // decoded for this reader alone, or
  std::shared_ptr<const Bitmap> shared_;  // kept decoded by the TermBitmapCache
  std::string_view docs_bytes_;           // in the mapped file
  TermLayout layout_;
  uint32_t max_tf_;
  uint32_t min_len_;
};

class PostingsReader {
 public:
  // `file` is the whole mapped file; `name` (its path) appears in errors.
  static Result<PostingsReader> open(std::string_view file, std::string name);
  PostingsReader(PostingsReader&&) noexcept;
  PostingsReader& operator=(PostingsReader&&) noexcept;
  ~PostingsReader();

  // The term whose record starts at `offset` (as returned by add_term).
  // `index_hint`: the term's ordinal among the records, when the caller knows
  // it (segments write postings in term-dictionary order, so it is the
  // dictionary ordinal); it is checked against the offset table, and a wrong
  // or absent hint costs a binary search of that table instead.
  Result<TermPostings> term(uint64_t offset, uint64_t index_hint = UINT64_MAX) const;
  // The same term's document count, read from its record header alone (no
  // bitmap decoded, no checksum): exact for an undamaged file, meant for cost
  // decisions such as whether to split a geo cell. It is not verified, so a
  // damaged record may give any count; term() still checks the record.
  Result<uint32_t> doc_freq_hint(uint64_t offset, uint64_t index_hint = UINT64_MAX) const;
  // The same term's verified document count: from the header once the
  // record has been verified (by an earlier term() in this process), else
  // through term(), which verifies it. For idf: no bitmap decoded after the
  // first time.
  Result<uint32_t> doc_freq(uint64_t offset, uint64_t index_hint = UINT64_MAX) const;
  // The same term's documents appended to *ids (ascending within the term),
  // without building a bitmap once the record has been verified: the cheap
  // way to gather many small terms (the cells of a geo covering).
  Status append_docs(uint64_t offset, uint64_t index_hint, std::vector<uint32_t>* ids) const;
  uint64_t term_count() const;
  const std::string& name() const;
  // Reads and verifies every term (for an index `check` command).
  Status verify_all() const;

 private:
  struct State;
  explicit PostingsReader(std::unique_ptr<State> s);
  Status check_index() const;
  uint64_t record_ordinal(uint64_t offset, uint64_t index_hint) const;
  Status verify_term(uint64_t index, uint64_t offset, std::string_view rec) const;
  std::unique_ptr<State> s_;
};

}  // namespace meridian::postings
