#include "meridian/index/segment.h"

#include "meridian/base/file.h"
#include "meridian/index/segment_builder.h"
#include "meridian/index/surface_words.h"
#include "meridian/index/term_key.h"

namespace meridian::index {

Result<std::shared_ptr<Segment>> Segment::open(const std::string& dir, uint64_t id) {
  std::shared_ptr<Segment> s(new Segment());
  s->dir_ = dir;
  s->id_ = id;
  std::string meta_path = segment_file(dir, id, "meta");
  MERIDIAN_ASSIGN_OR_RETURN(std::string meta_bytes, fs::read_file(meta_path));
  MERIDIAN_ASSIGN_OR_RETURN(s->meta_, SegmentMeta::decode(meta_bytes, meta_path));
  s->bytes_ = meta_bytes.size();
  const char* exts[4] = {"terms", "post", "cols", "store"};
  for (int i = 0; i < 4; ++i) {
    MERIDIAN_ASSIGN_OR_RETURN(s->files_[i], MappedFile::open(segment_file(dir, id, exts[i])));
    s->bytes_ += s->files_[i]->size();
  }
  const std::string_view parts[5] = {meta_bytes, s->files_[0]->data(), s->files_[1]->data(), s->files_[2]->data(),
                                     s->files_[3]->data()};
  MERIDIAN_RETURN_IF_ERROR(s->open_parts(dir, parts, /*meta_decoded=*/true));
  // Optional: segments written before the surface words have no such file.
  const std::string words_path = segment_file(dir, id, kWordsExt);
  if (fs::exists(words_path)) {
    MERIDIAN_ASSIGN_OR_RETURN(s->words_file_, MappedFile::open(words_path));
    s->bytes_ += s->words_file_->size();
    auto w = termdict::TermDictReader::open(s->words_file_->data(), words_path);
    if (!w) return w.status();
    s->words_.emplace(std::move(*w));
  }
  return s;
}

Result<std::shared_ptr<Segment>> Segment::open_memory(const std::string& name, uint64_t id,
                                                      const std::string_view (&parts)[5],
                                                      std::shared_ptr<const void> owner,
                                                      std::string_view words) {
  std::shared_ptr<Segment> s(new Segment());
  s->dir_ = name;
  s->id_ = id;
  s->memory_owner_ = std::move(owner);
  MERIDIAN_RETURN_IF_ERROR(s->open_parts(name, parts, /*meta_decoded=*/false));
  for (const auto& p : parts) s->bytes_ += p.size();
  if (!words.empty()) {
    auto w = termdict::TermDictReader::open(words, segment_file(name, id, kWordsExt));
    if (!w) return w.status();
    s->words_.emplace(std::move(*w));
    s->bytes_ += words.size();
  }
  return s;
}

Status Segment::open_parts(const std::string& dir, const std::string_view (&parts)[5], bool meta_decoded) {
  if (!meta_decoded) {
    const std::string meta_path = segment_file(dir, id_, "meta");
    MERIDIAN_ASSIGN_OR_RETURN(meta_, SegmentMeta::decode(parts[0], meta_path));
  }
  auto name = [&](int i) { return segment_file(dir, id_, kSegmentExts[i]); };
  auto t = termdict::TermDictReader::open(parts[1], name(1));
  if (!t) return t.status();
  terms_.emplace(std::move(*t));
  auto p = postings::PostingsReader::open(parts[2], name(2));
  if (!p) return p.status();
  postings_.emplace(std::move(*p));
  auto c = columns::ColumnsReader::open(parts[3], name(3));
  if (!c) return c.status();
  columns_.emplace(std::move(*c));
  auto st = store::StoreReader::open(parts[4], name(4));
  if (!st) return st.status();
  store_.emplace(std::move(*st));
  if (columns_->num_docs() != meta_.num_docs || store_->num_docs() != meta_.num_docs)
    return Status::corruption(segment_file(dir, id_, "meta") + ": document counts of the segment's files disagree");
  return Status::ok();
}

Segment::~Segment() {
  if (!obsolete_.load()) return;
  terms_.reset();
  postings_.reset();
  columns_.reset();
  store_.reset();
  words_.reset();
  for (auto& f : files_) f.reset();
  words_file_.reset();
  for (auto ext : kSegmentExts) (void)fs::remove_file(segment_file(dir_, id_, ext));
  (void)fs::remove_file(segment_file(dir_, id_, kWordsExt));
}

Result<Segment::TermRef> Segment::lookup(std::string_view key) const {
  auto e = terms_->find(key);
  if (!e) return e.status();
  TermRef r;
  r.segment_id = id_;
  if (!e->has_value()) return r;
  r.found = true;
  r.offset = (*e)->value;
  r.ordinal = (*e)->ordinal;
  return r;
}

Result<std::optional<postings::TermPostings>> Segment::postings_at(const TermRef& r) const {
  if (!r.found) return std::optional<postings::TermPostings>();
  auto tp = postings_->term(r.offset, r.ordinal);
  if (!tp) return tp.status();
  return std::optional<postings::TermPostings>(std::move(*tp));
}

Result<uint32_t> Segment::doc_freq_at(const TermRef& r) const {
  if (!r.found) return uint32_t{0};
  return postings_->doc_freq(r.offset, r.ordinal);
}

Result<std::optional<postings::TermPostings>> Segment::postings_for(std::string_view key) const {
  MERIDIAN_ASSIGN_OR_RETURN(TermRef r, lookup(key));
  return postings_at(r);
}

Result<uint32_t> Segment::doc_freq(std::string_view key) const {
  MERIDIAN_ASSIGN_OR_RETURN(TermRef r, lookup(key));
  return doc_freq_at(r);
}

std::optional<uint32_t> Segment::find_doc(std::string_view external_id) const {
  auto r = postings_for(term_key(kIdField, external_id));
  if (!r || !r->has_value()) return std::nullopt;
  const auto& docs = (*r)->docs();
  if (docs.cardinality() == 0) return std::nullopt;
  return docs.max();  // the newest copy within the segment
}

std::string Segment::external_id(uint32_t doc) const {
  const columns::KeywordColumn* c = columns_->keyword_column(kIdField);
  if (!c || c->count(doc) == 0) return {};
  return std::string(c->value_of(c->ord(doc)));
}

}  // namespace meridian::index
