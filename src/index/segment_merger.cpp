#include "meridian/index/segment_merger.h"

#include <algorithm>
#include <functional>
#include <future>
#include <map>
#include <optional>
#include <queue>

#include "meridian/base/file.h"
#include "meridian/columns/columns_writer.h"
#include "meridian/index/segment.h"
#include "meridian/index/segment_builder.h"
#include "meridian/index/segment_meta.h"
#include "meridian/index/surface_words.h"
#include "meridian/index/term_key.h"
#include "meridian/postings/postings_writer.h"
#include "meridian/store/store_writer.h"
#include "meridian/termdict/term_dict_writer.h"

namespace meridian::index {
namespace {

constexpr uint32_t kGone = UINT32_MAX;

struct Input {
  const SegmentView* view = nullptr;
  std::vector<uint32_t> new_doc;  // old doc -> new doc, kGone if deleted
};

// Lengths of one text field in the new document space (index = new doc).
using Norms = std::map<std::string, std::vector<uint32_t>, std::less<>>;

Norms merged_norms(const std::vector<Input>& in, uint32_t n) {
  Norms out;
  for (const auto& i : in)
    for (const auto& c : i.view->segment->columns().columns())
      if (c.kind == columns::ColumnKind::kNorms) out[c.field].assign(n, 0);
  for (const auto& i : in) {
    const auto& cols = i.view->segment->columns();
    for (auto& [field, lengths] : out) {
      const columns::NormColumn* nc = cols.norms(field);
      if (!nc) continue;
      for (uint32_t d = 0; d < i.new_doc.size(); ++d)
        if (i.new_doc[d] != kGone) lengths[i.new_doc[d]] = nc->length(d);
    }
  }
  return out;
}

Status column_damaged(const columns::ColumnsReader& cols, const columns::ColumnInfo& c) {
  Status st = cols.column_status(c.kind, c.field);
  return st.is_ok() ? Status::corruption("column '" + c.field + "' unreadable") : st;
}

// Copies every column value (norms included) into w, in new-doc order.
Status copy_columns(const std::vector<Input>& in, const Norms& norms, columns::ColumnsWriter* w) {
  using columns::ColumnKind;
  for (const auto& [field, lengths] : norms)
    for (uint32_t d = 0; d < lengths.size(); ++d)
      if (lengths[d]) w->set_norm(field, d, lengths[d]);
  for (const auto& i : in) {
    const auto& cols = i.view->segment->columns();
    for (const auto& c : cols.columns()) {
      const uint32_t nd = static_cast<uint32_t>(i.new_doc.size());
      switch (c.kind) {
        case ColumnKind::kNorms: break;
        case ColumnKind::kInt: {
          const auto* col = cols.int_column(c.field);
          if (!col) return column_damaged(cols, c);
          for (uint32_t d = 0; d < nd; ++d)
            if (i.new_doc[d] != kGone)
              for (size_t k = 0; k < col->count(d); ++k) w->add_int(c.field, i.new_doc[d], col->value(d, k));
          break;
        }
        case ColumnKind::kDouble: {
          const auto* col = cols.double_column(c.field);
          if (!col) return column_damaged(cols, c);
          for (uint32_t d = 0; d < nd; ++d)
            if (i.new_doc[d] != kGone)
              for (size_t k = 0; k < col->count(d); ++k) w->add_double(c.field, i.new_doc[d], col->value(d, k));
          break;
        }
        case ColumnKind::kKeyword: {
          const auto* col = cols.keyword_column(c.field);
          if (!col) return column_damaged(cols, c);
          for (uint32_t d = 0; d < nd; ++d)
            if (i.new_doc[d] != kGone)
              for (size_t k = 0; k < col->count(d); ++k)
                w->add_keyword(c.field, i.new_doc[d], col->value_of(col->ord(d, k)));
          break;
        }
        case ColumnKind::kGeo: {
          const auto* col = cols.geo_column(c.field);
          if (!col) return column_damaged(cols, c);
          for (uint32_t d = 0; d < nd; ++d)
            if (i.new_doc[d] != kGone)
              for (size_t k = 0; k < col->count(d); ++k)
                w->add_geo(c.field, i.new_doc[d], col->lat(d, k), col->lon(d, k));
          break;
        }
      }
    }
  }
  return Status::ok();
}

// The merged segment's surface words: the union of the inputs' keys (words
// of deleted documents stay: they only point to stems that match fewer
// documents). False when an input has no words file (written before they
// existed): the merged segment then has none either, so that its words are
// never incomplete, and no word postings.
Result<bool> merged_words(const std::vector<Input>& in, std::vector<std::string>* keys) {
  for (const auto& i : in) {
    const termdict::TermDictReader* w = i.view->segment->words();
    if (!w) return false;
    auto it = w->begin();
    for (; it.valid(); it.next()) keys->emplace_back(it.term());
    MERIDIAN_RETURN_IF_ERROR(it.status());
  }
  return true;
}

// One input's documents of an itemized word it holds no word postings for
// (index/surface_words.h): when the word is its stem's only word there, the
// stem's documents whose words are indexed (the marker's); else none.
// `marker`: the input's marker term (its documents whose words are indexed).
Status implied_word_docs(const Input& i, const std::optional<postings::TermPostings>& marker, const ItemizedWord& w,
                         std::vector<uint32_t>* docs, std::vector<uint32_t>* freqs) {
  if (!marker) return Status::ok();
  const Segment& seg = *i.view->segment;
  std::string stem;
  bool itemized = false;
  MERIDIAN_ASSIGN_OR_RETURN(bool known, find_surface_word(*seg.words(), w.field, w.word, &stem, &itemized));
  if (!known || itemized || stem != w.stem) return Status::ok();
  MERIDIAN_ASSIGN_OR_RETURN(auto tp, seg.postings_for(term_key(w.field, w.stem)));
  if (!tp) return Status::ok();
  const postings::Bitmap& covered = marker->docs();
  tp->docs().for_each([&](uint32_t d) {
    if (i.new_doc[d] != kGone && covered.contains(d)) {
      docs->push_back(i.new_doc[d]);
      freqs->push_back(1);
    }
    return true;
  });
  return Status::ok();
}

// Merges the term dictionaries (k-way, by key) and copies each term's
// postings with remapped documents; a term left without live documents is
// dropped. Word postings (index/surface_words.h): with `words` (the merged
// segment's itemized words), each of those words gets the union of the
// inputs' postings of it, and of the documents it implies in an input where
// it was its stem's only word; without, no word postings are written. Also
// counts, per field, the live documents with a value (the `_exists`
// postings), for the segment meta.
Status merge_terms(const std::vector<Input>& in, const Norms& norms, const std::vector<ItemizedWord>* words,
                   postings::PostingsWriter* pw, termdict::TermDictWriter* tw,
                   std::map<std::string, uint64_t, std::less<>>* field_docs) {
  std::vector<termdict::TermDictReader::Iterator> its;
  its.reserve(in.size());
  for (const auto& i : in) its.push_back(i.view->segment->terms().begin());
  auto later = [&](size_t a, size_t b) {  // min-heap by (term, input)
    int c = its[a].term().compare(its[b].term());
    return c != 0 ? c > 0 : a > b;
  };
  std::priority_queue<size_t, std::vector<size_t>, decltype(later)> heap(later);
  for (size_t k = 0; k < its.size(); ++k) {
    if (!its[k].status().is_ok()) return its[k].status();
    if (its[k].valid()) heap.push(k);
  }
  const std::string exists_prefix = field_prefix(kExistsField);
  std::string key;
  std::vector<uint32_t> docs, freqs, positions;
  std::vector<bool> holds(in.size());
  size_t next_word = 0;  // the first of *words not yet written
  std::vector<std::optional<postings::TermPostings>> markers(in.size());
  for (size_t k = 0; words && k < in.size(); ++k) {
    MERIDIAN_ASSIGN_OR_RETURN(markers[k], in[k].view->segment->postings_for(kWordDocsMarker));
  }
  while (!heap.empty() || (words && next_word < words->size())) {
    // The next key: the inputs' smallest, or an itemized word before it
    // (one that no input has postings for).
    const ItemizedWord* word = nullptr;
    if (words && next_word < words->size() &&
        (heap.empty() || std::string_view((*words)[next_word].docs_key) <= its[heap.top()].term())) {
      word = &(*words)[next_word++];
      key = word->docs_key;
    } else {
      key.assign(its[heap.top()].term());
    }
    docs.clear();
    freqs.clear();
    positions.clear();
    bool all_positions = true;
    // Inputs holding this key, in input order (= ascending new doc ids).
    std::fill(holds.begin(), holds.end(), false);
    while (!heap.empty() && its[heap.top()].term() == key) {
      holds[heap.top()] = true;
      heap.pop();
    }
    const bool word_postings = std::string_view(key).starts_with(kWordDocsMarker);
    for (size_t k = 0; k < in.size(); ++k) {
      const Input& i = in[k];
      if (!holds[k]) {
        if (word) MERIDIAN_RETURN_IF_ERROR(implied_word_docs(i, markers[k], *word, &docs, &freqs));
        continue;
      }
      if (!word_postings || (words && (word || key == kWordDocsMarker))) {
        MERIDIAN_ASSIGN_OR_RETURN(postings::TermPostings tp,
                                  i.view->segment->postings().term(its[k].value(), its[k].ordinal()));
        all_positions &= tp.has_positions();
        postings::PostingCursor c = tp.cursor();
        for (uint32_t d = c.doc(); d != postings::PostingCursor::kEnd; d = c.next()) {
          if (i.new_doc[d] == kGone) continue;
          docs.push_back(i.new_doc[d]);
          freqs.push_back(c.freq());
          if (tp.has_positions()) {
            auto p = c.positions();
            positions.insert(positions.end(), p.begin(), p.end());
          }
        }
      }
      its[k].next();
      if (!its[k].status().is_ok()) return its[k].status();
      if (its[k].valid()) heap.push(k);
    }
    if (docs.empty()) continue;
    if (!all_positions) positions.clear();  // positions only if every input kept them
    std::string_view field = std::string_view(key).substr(0, key.find('\0'));
    auto nit = norms.find(field);
    const uint32_t* lengths = nit == norms.end() ? nullptr : nit->second.data();
    uint64_t off = pw->add_term(docs, freqs, positions, lengths);
    MERIDIAN_RETURN_IF_ERROR(tw->add(key, off));
    if (std::string_view(key).starts_with(exists_prefix))
      (*field_docs)[std::string(std::string_view(key).substr(exists_prefix.size()))] = docs.size();
  }
  return Status::ok();
}

}  // namespace

Result<MergeResult> merge_segments_to(const std::vector<SegmentView>& inputs, const std::string& dir,
                                      uint64_t segment_id, bool sync) {
  MergeResult res;
  std::vector<Input> in(inputs.size());
  uint32_t n = 0;
  for (size_t k = 0; k < inputs.size(); ++k) {
    in[k].view = &inputs[k];
    const uint32_t nd = inputs[k].segment->num_docs();
    in[k].new_doc.assign(nd, kGone);
    for (uint32_t d = 0; d < nd; ++d) {
      if (inputs[k].is_deleted(d)) continue;
      in[k].new_doc[d] = n++;
      res.origin.emplace_back(inputs[k].segment->id(), d);
    }
  }
  res.docs = n;
  if (n == 0) return res;

  const Norms norms = merged_norms(in, n);
  auto put = [&](std::string_view ext, const std::string& bytes) -> Status {
    return fs::write_file_new(segment_file(dir, segment_id, ext), bytes, sync);
  };
  auto cleanup = [&](Status st) -> Status {
    for (auto ext : kSegmentExts) (void)fs::remove_file(segment_file(dir, segment_id, ext));
    (void)fs::remove_file(segment_file(dir, segment_id, kWordsExt));
    return st.with_context("merge into segment " + std::to_string(segment_id));
  };
  // Columns and store on a helper thread, terms and postings here (as
  // SegmentBuilder::write); they share only the read-only inputs and norms.
  auto columns_and_store = std::async(std::launch::async, [&]() -> Status {
    columns::ColumnsWriter cw;
    MERIDIAN_RETURN_IF_ERROR(copy_columns(in, norms, &cw));
    MERIDIAN_RETURN_IF_ERROR(put("cols", cw.finish(n)));
    store::StoreWriter sw;
    std::string src;
    for (const auto& i : in)
      for (uint32_t d = 0; d < i.new_doc.size(); ++d) {
        if (i.new_doc[d] == kGone) continue;
        MERIDIAN_RETURN_IF_ERROR(i.view->segment->store().get_to(d, &src));
        sw.add(src);
      }
    return put("store", sw.finish());
  });
  std::map<std::string, uint64_t, std::less<>> field_docs;
  Status terms_status = [&]() -> Status {
    std::vector<std::string> word_keys;
    MERIDIAN_ASSIGN_OR_RETURN(bool have_words, merged_words(in, &word_keys));
    std::vector<ItemizedWord> itemized;
    std::string words_file;
    if (have_words) {
      MERIDIAN_ASSIGN_OR_RETURN(words_file, build_surface_words(&word_keys, &itemized));
    }
    postings::PostingsWriter pw;
    termdict::TermDictWriter tw;
    MERIDIAN_RETURN_IF_ERROR(merge_terms(in, norms, have_words ? &itemized : nullptr, &pw, &tw, &field_docs));
    MERIDIAN_RETURN_IF_ERROR(put("terms", tw.finish()));
    MERIDIAN_RETURN_IF_ERROR(put("post", pw.finish()));
    return have_words ? put(kWordsExt, words_file) : Status::ok();
  }();
  Status other_status = columns_and_store.get();
  if (!terms_status.is_ok()) return cleanup(terms_status);
  if (!other_status.is_ok()) return cleanup(other_status);

  SegmentMeta meta;
  meta.num_docs = n;
  for (const auto& i : in)
    for (const auto& [name, f] : i.view->segment->meta().fields) meta.fields[name].type = f.type;
  for (auto& [name, f] : meta.fields) {
    auto it = field_docs.find(name);
    f.docs = it == field_docs.end() ? 0 : it->second;
    auto nit = norms.find(name);
    f.sum_len = 0;
    if (nit != norms.end())
      for (uint32_t len : nit->second) f.sum_len += len;
  }
  // Fields whose every document was deleted leave the meta, as a builder
  // never records a field it saw no value for.
  for (auto it = meta.fields.begin(); it != meta.fields.end();)
    it = it->second.docs == 0 ? meta.fields.erase(it) : std::next(it);
  Status st = put("meta", meta.encode());
  if (!st.is_ok()) return cleanup(st);
  return res;
}

}  // namespace meridian::index
