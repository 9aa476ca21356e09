#include "meridian/index/segment_builder.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <future>
#include <mutex>

#include "meridian/base/file.h"
#include "meridian/base/file_frame.h"
#include "meridian/geo/geo.h"
#include "meridian/index/segment_meta.h"
#include "meridian/index/surface_words.h"
#include "meridian/index/term_key.h"
#include "meridian/postings/postings_writer.h"
#include "meridian/termdict/term_dict_reader.h"
#include "meridian/termdict/term_dict_writer.h"

namespace meridian::index {

std::string segment_file(const std::string& dir, uint64_t segment_id, std::string_view ext) {
  char name[64];
  std::snprintf(name, sizeof name, "seg-%010llu.", static_cast<unsigned long long>(segment_id));
  return fs::join(dir, std::string(name) + std::string(ext));
}

SegmentBuilder::SegmentBuilder() = default;
SegmentBuilder::~SegmentBuilder() = default;

std::string_view SegmentBuilder::key_of(std::string_view field, std::string_view term) {
  key_buf_.assign(field);
  key_buf_.push_back('\0');
  key_buf_.append(term);
  return key_buf_;
}

uint32_t SegmentBuilder::term_of(std::string_view key, uint32_t hash) {
  bool inserted;
  const uint32_t t = terms_.find_or_insert(key, hash, &inserted);
  if (inserted) {
    term_state_.emplace_back();
    bytes_ += key.size() + 32;
  }
  return t;
}

void SegmentBuilder::add_tokens(const FieldValues& fv, uint32_t doc, bool keep_positions) {
  const size_t n = fv.tokens.size();
  tok_keys_.clear();
  tok_key_end_.clear();
  tok_hash_.clear();
  for (const auto& tok : fv.tokens) {
    tok_keys_.append(fv.name);
    tok_keys_.push_back('\0');
    tok_keys_.append(tok.text);
    tok_key_end_.push_back(static_cast<uint32_t>(tok_keys_.size()));
  }
  auto key = [&](size_t i) {
    const uint32_t b = i ? tok_key_end_[i - 1] : 0;
    return std::string_view(tok_keys_.data() + b, tok_key_end_[i] - b);
  };
  for (size_t i = 0; i < n; ++i) {
    tok_hash_.push_back(TermTable::hash_of(key(i)));
    terms_.prefetch(tok_hash_.back());
  }
  term_pos_.clear();
  for (size_t i = 0; i < n; ++i) {
    const uint32_t t = term_of(key(i), tok_hash_[i]);
    term_pos_.push_back(static_cast<uint64_t>(t) << 32 | fv.tokens[i].position);
    // The surface word: the term itself (a flag on it), or another word
    // that stems to it (a key of its own).
    const std::string_view surface = i < fv.surfaces.size() ? std::string_view(fv.surfaces[i]) : std::string_view();
    uint64_t ref;
    uint32_t* last;
    if (surface.empty()) {
      if (t >= self_surface_.size()) {
        const size_t n = std::max<size_t>(t + 1, self_surface_.size() * 2);
        self_surface_.resize(n, 0);
        self_last_doc_.resize(n, UINT32_MAX);
      }
      self_surface_[t] = 1;
      ref = uint64_t{t} << 1 | 1;
      last = &self_last_doc_[t];
    } else {
      word_buf_.assign(surface_key(fv.name, surface, fv.tokens[i].text));
      bool inserted = false;
      const uint32_t w = words_.find_or_insert(word_buf_, &inserted);
      if (inserted) {
        bytes_ += word_buf_.size() + 16;
        if (w >= word_last_doc_.size()) word_last_doc_.resize(std::max<size_t>(w + 1, word_last_doc_.size() * 2), UINT32_MAX);
      }
      ref = uint64_t{w} << 1;
      last = &word_last_doc_[w];
    }
    if (*last != doc) {  // the word's documents (surface_words.h, "Word postings")
      *last = doc;
      word_log_.push_back(ref << 32 | doc);
      bytes_ += sizeof(uint64_t);
    }
  }
  // One posting per term, its positions ascending.
  std::sort(term_pos_.begin(), term_pos_.end());
  for (size_t i = 0; i < n;) {
    const uint32_t t = static_cast<uint32_t>(term_pos_[i] >> 32);
    pos_buf_.clear();
    for (; i < n && static_cast<uint32_t>(term_pos_[i] >> 32) == t; ++i)
      pos_buf_.push_back(static_cast<uint32_t>(term_pos_[i]));
    add_posting(t, doc, static_cast<uint32_t>(pos_buf_.size()), pos_buf_.data(), keep_positions);
  }
}

void SegmentBuilder::add_posting(uint32_t t, uint32_t doc, uint32_t freq, const uint32_t* positions,
                                 bool keep_positions) {
  const bool with_positions = keep_positions && positions;
  TermState& ts = term_state_[t];
  if (ts.last_doc == doc) {  // the same term again in this doc (a repeated value)
    Posting& e = log_[ts.last_entry];
    if (with_positions) {  // rare: the entry's positions and these, at the end of positions_
      std::vector<uint32_t> all;
      if (e.pos != kNoPositions && e.freq == 1) all.push_back(e.pos);
      else if (e.pos != kNoPositions) all.assign(positions_.begin() + e.pos, positions_.begin() + e.pos + e.freq);
      all.insert(all.end(), positions, positions + freq);
      e.pos = static_cast<uint32_t>(positions_.size());
      positions_.insert(positions_.end(), all.begin(), all.end());
    }
    e.freq += freq;
    bytes_ += 4 * freq;
    return;
  }
  ts.last_doc = doc;
  ts.last_entry = static_cast<uint32_t>(log_.size());
  uint32_t pos = kNoPositions;
  if (with_positions) {
    if (freq == 1) {
      pos = positions[0];
    } else {
      pos = static_cast<uint32_t>(positions_.size());
      positions_.insert(positions_.end(), positions, positions + freq);
    }
  }
  log_.push_back(Posting{t, doc, freq, pos});
  bytes_ += sizeof(Posting) + (with_positions && freq > 1 ? 4 * freq : 0);
}

uint32_t SegmentBuilder::add(const ParsedDoc& doc, const Schema& schema) {
  const uint32_t d = num_docs();
  sources_.push_back(doc.source);
  bytes_ += doc.source.size() + 32;
  add_term(key_of(kIdField, doc.id), d, 1, nullptr, false);
  columns_.add_keyword(kIdField, d, doc.id);
  if (doc.order != 0) columns_.add_int(kOrderField, d, static_cast<int64_t>(doc.order));
  // An id field declared int also gets an int column "_id", so that sorting
  // by the id is numeric and reads packed integers.
  if (const FieldDef* idf = schema.find(schema.id_field()); idf && idf->type == FieldType::kInt) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(doc.id.data(), doc.id.data() + doc.id.size(), v);
    if (ec == std::errc() && end == doc.id.data() + doc.id.size()) columns_.add_int(kIdField, d, v);
  }

  for (const FieldValues& fv : doc.fields) {
    const FieldDef* f = schema.find(fv.name);
    if (!f) continue;  // caller contract: fields are in the schema
    types_[fv.name] = f->type;
    FieldStats& st = stats_[fv.name];
    st.docs++;
    add_term(key_of(kExistsField, fv.name), d, 1, nullptr, false);
    switch (f->type) {
      case FieldType::kText: {
        add_tokens(fv, d, f->positions);
        auto& norms = norms_[fv.name];
        norms.resize(d + 1, 0);
        norms[d] = fv.length;
        st.sum_len += fv.length;
        for (const auto& k : fv.keywords) columns_.add_keyword(fv.name, d, k);
        break;
      }
      case FieldType::kKeyword:
        for (const auto& k : fv.keywords) {
          add_term(key_of(fv.name, k), d, 1, nullptr, false);
          columns_.add_keyword(fv.name, d, k);
        }
        break;
      case FieldType::kInt:
      case FieldType::kBool:
      case FieldType::kDate:
        for (int64_t v : fv.ints) {
          add_term(key_of(fv.name, encode_int(v)), d, 1, nullptr, false);
          columns_.add_int(fv.name, d, v);
        }
        break;
      case FieldType::kFloat:
        for (double v : fv.doubles) {
          add_term(key_of(fv.name, encode_double(v)), d, 1, nullptr, false);
          columns_.add_double(fv.name, d, v);
        }
        break;
      case FieldType::kGeoPoint: {
        auto& cells = geo_[fv.name];
        for (const auto& p : fv.points) {
          cells.push_back({geo::encode(p), d});
          columns_.add_geo(fv.name, d, p.lat, p.lon);
        }
        bytes_ += fv.points.size() * (sizeof(GeoCellDoc) + 16 * geo::indexed_levels().size());
        break;
      }
    }
  }
  return d;
}

Status SegmentBuilder::write(const std::string& dir, uint64_t segment_id, bool sync) {
  if (encoded_.empty()) {
    std::mutex mu;
    MERIDIAN_RETURN_IF_ERROR(serialize(
        [&](std::string_view ext, const std::string& bytes) {
          std::lock_guard<std::mutex> lock(mu);
          encoded_.emplace_back(std::string(ext), bytes);
          return Status::ok();
        },
        true));
  }
  // In serialize() order, meta last: a segment without its meta file is
  // incomplete and ignored.
  for (const auto& [ext, bytes] : encoded_)
    MERIDIAN_RETURN_IF_ERROR(fs::write_file_new(segment_file(dir, segment_id, ext), bytes, sync));
  return Status::ok();
}

Status SegmentBuilder::serialize(const PartSink& put, bool parallel) {
  const uint32_t n = num_docs();
  // Norms: every text field gets a dense column.
  for (auto& [field, norms] : norms_) {
    norms.resize(n, 0);
    for (uint32_t d = 0; d < n; ++d)
      if (norms[d]) columns_.set_norm(field, d, norms[d]);
  }
  // Two halves, on two threads when `parallel`: the term dictionary and
  // postings here, the columns and the zstd-compressed store on a helper
  // thread. They share nothing but read-only norms; the meta part goes
  // last, after both.
  auto columns_and_store = [&]() -> Status {
    MERIDIAN_RETURN_IF_ERROR(put("cols", columns_.finish(n)));
    store::StoreWriter sw;
    for (const auto& s : sources_) sw.add(s);
    return put("store", sw.finish());
  };
  // The surface words first: which words get word postings depends on them.
  std::vector<std::string> words = surface_keys();
  std::vector<ItemizedWord> itemized;
  MERIDIAN_ASSIGN_OR_RETURN(std::string words_file, build_surface_words(&words, &itemized));
  const WordPostings word_docs = word_postings(std::move(itemized));
  Status terms_status, other_status;
  if (parallel) {
    auto other = std::async(std::launch::async, columns_and_store);
    terms_status = write_terms(put, word_docs);
    other_status = other.get();
  } else {
    terms_status = write_terms(put, word_docs);
    other_status = columns_and_store();
  }
  MERIDIAN_RETURN_IF_ERROR(terms_status);
  MERIDIAN_RETURN_IF_ERROR(other_status);
  MERIDIAN_RETURN_IF_ERROR(put(kWordsExt, words_file));

  SegmentMeta meta;
  meta.num_docs = n;
  for (const auto& [name, st] : stats_) meta.fields[name] = SegmentFieldMeta{types_[name], st.docs, st.sum_len};
  // meta last: a segment without its meta file is incomplete and ignored.
  return put("meta", meta.encode());
}

std::vector<std::string> SegmentBuilder::surface_keys() const {
  std::vector<std::string> keys;
  keys.reserve(words_.size());
  for (uint32_t w = 0; w < words_.size(); ++w) keys.emplace_back(words_.key(w));
  for (uint32_t t = 0; t < self_surface_.size() && t < terms_.size(); ++t) {
    if (!self_surface_[t]) continue;
    const std::string_view key = terms_.key(t);
    const size_t z = key.find('\0');
    keys.push_back(surface_key(key.substr(0, z), key.substr(z + 1), key.substr(z + 1)));
  }
  return keys;
}

SegmentBuilder::WordPostings SegmentBuilder::word_postings(std::vector<ItemizedWord> items) const {
  WordPostings out;
  // Output slot of each word reference (UINT32_MAX: not itemized).
  std::vector<uint32_t> slot_of_word(words_.size(), UINT32_MAX), slot_of_self(self_surface_.size(), UINT32_MAX);
  for (uint32_t i = 0; i < items.size(); ++i) {
    const ItemizedWord& w = items[i];
    if (w.word == w.stem) {
      const uint32_t t = terms_.find(term_key(w.field, w.word));
      if (t < slot_of_self.size()) slot_of_self[t] = i;
    } else {
      const uint32_t n = words_.find(surface_key(w.field, w.word, w.stem));
      if (n < slot_of_word.size()) slot_of_word[n] = i;
    }
    out.keys.push_back(std::move(items[i].docs_key));
  }
  auto slot = [&](uint64_t e) {
    const uint64_t ref = e >> 32;
    const auto& v = (ref & 1) ? slot_of_self : slot_of_word;
    return ref >> 1 < v.size() ? v[ref >> 1] : UINT32_MAX;
  };
  // A counting sort by slot keeps each word's documents ascending.
  out.start.assign(out.keys.size() + 1, 0);
  for (uint64_t e : word_log_)
    if (uint32_t k = slot(e); k != UINT32_MAX) ++out.start[k + 1];
  for (size_t k = 0; k < out.keys.size(); ++k) out.start[k + 1] += out.start[k];
  out.docs.resize(out.start.back());
  std::vector<uint32_t> fill(out.start.begin(), out.start.end() - 1);
  for (uint64_t e : word_log_)
    if (uint32_t k = slot(e); k != UINT32_MAX) out.docs[fill[k]++] = static_cast<uint32_t>(e);
  return out;
}

Status SegmentBuilder::write_terms(const PartSink& put, const WordPostings& words) const {
  // Terms in byte order; postings in the same order.
  const uint32_t nterms = terms_.size();
  std::vector<uint32_t> terms(nterms);
  for (uint32_t t = 0; t < nterms; ++t) terms[t] = t;
  std::sort(terms.begin(), terms.end(), [&](uint32_t a, uint32_t b) { return terms_.key(a) < terms_.key(b); });
  // The log's postings regrouped in dictionary order by a counting sort on
  // each term's rank: the term of rank r has g_docs/g_freqs[start[r] ..
  // start[r+1]) (ascending docs: the log is in doc order) and its positions
  // at g_pos[pstart[r] ..). The scatter reads the log and positions_
  // sequentially; the write loop below then reads everything sequentially
  // and hands out spans without copying.
  std::vector<uint32_t> rank(nterms);
  for (uint32_t r = 0; r < nterms; ++r) rank[terms[r]] = r;
  std::vector<uint32_t> start(static_cast<size_t>(nterms) + 1, 0), pstart(static_cast<size_t>(nterms) + 1, 0);
  for (const Posting& e : log_) {
    const uint32_t r = rank[e.term];
    ++start[r + 1];
    if (e.pos != kNoPositions) pstart[r + 1] += e.freq;
  }
  for (uint32_t r = 0; r < nterms; ++r) {
    start[r + 1] += start[r];
    pstart[r + 1] += pstart[r];
  }
  std::vector<uint32_t> g_docs(log_.size()), g_freqs(log_.size()), g_pos(pstart[nterms]);
  {
    std::vector<uint32_t> fill(start.begin(), start.end() - 1), pfill(pstart.begin(), pstart.end() - 1);
    for (const Posting& e : log_) {
      const uint32_t r = rank[e.term];
      const uint32_t k = fill[r]++;
      g_docs[k] = e.doc;
      g_freqs[k] = e.freq;
      if (e.pos == kNoPositions) continue;
      if (e.freq == 1) {
        g_pos[pfill[r]++] = e.pos;
      } else {
        std::copy(positions_.begin() + e.pos, positions_.begin() + e.pos + e.freq, g_pos.begin() + pfill[r]);
        pfill[r] += e.freq;
      }
    }
  }
  postings::PostingsWriter pw;
  termdict::TermDictWriter tw;
  std::vector<uint32_t> docs, freqs;  // geo cell terms
  size_t next = 0;  // the rank of the first term not yet written
  std::string_view norms_field;  // the field of `lengths` (terms of a field are adjacent)
  bool have_field = false;
  const uint32_t* lengths = nullptr;
  // The other terms up to (excluding) `bound`; all of them when bound is null.
  auto write_plain = [&](const std::string* bound) -> Status {
    for (; next < terms.size() && (!bound || terms_.key(terms[next]) < *bound); ++next) {
      const std::string_view key = terms_.key(terms[next]);
      const std::string_view field = key.substr(0, key.find('\0'));
      if (!have_field || field != norms_field) {
        have_field = true;
        norms_field = field;
        auto nit = norms_.find(std::string(field));
        lengths = nit == norms_.end() ? nullptr : nit->second.data();
      }
      const size_t n = start[next + 1] - start[next];
      uint64_t off = pw.add_term(std::span<const uint32_t>(g_docs.data() + start[next], n),
                                 std::span<const uint32_t>(g_freqs.data() + start[next], n),
                                 std::span<const uint32_t>(g_pos.data() + pstart[next], pstart[next + 1] - pstart[next]),
                                 lengths);
      MERIDIAN_RETURN_IF_ERROR(tw.add(key, off));
    }
    return Status::ok();
  };
  // Geo fields in key order ("a\0" < "a.b\0" as "a" < "a.b": \0 sorts first).
  // Levels ascend, and within a level the cell term's bytes order as the
  // cell id, so sorting (cell prefix, doc) pairs per level yields the keys
  // in dictionary order, each with its ascending docs.
  std::vector<std::pair<uint64_t, uint32_t>> pairs;
  auto write_geo = [&](const std::string& prefix, const std::vector<GeoCellDoc>& cells) -> Status {
    for (int bits : geo::indexed_levels()) {
      pairs.clear();
      pairs.reserve(cells.size());
      for (const GeoCellDoc& c : cells) pairs.emplace_back(geo::cell_prefix(c.cell, bits), c.doc);
      std::sort(pairs.begin(), pairs.end());
      for (size_t i = 0; i < pairs.size();) {
        docs.clear();
        freqs.clear();
        size_t j = i;
        for (; j < pairs.size() && pairs[j].first == pairs[i].first; ++j) {
          if (!docs.empty() && docs.back() == pairs[j].second) ++freqs.back();  // two points of a doc in one cell
          else docs.push_back(pairs[j].second), freqs.push_back(1);
        }
        uint64_t off = pw.add_term(docs, freqs, {}, nullptr);  // no positions
        MERIDIAN_RETURN_IF_ERROR(tw.add(prefix + geo::cell_term(pairs[i].first, bits), off));
        i = j;
      }
    }
    return Status::ok();
  };
  // Word postings (index/surface_words.h): the marker (every document),
  // then each word's documents, keys in order after the marker's.
  auto write_words = [&]() -> Status {
    const uint32_t n = num_docs();
    if (n == 0) return Status::ok();
    docs.resize(n);
    for (uint32_t d = 0; d < n; ++d) docs[d] = d;
    freqs.assign(n, 1);
    MERIDIAN_RETURN_IF_ERROR(tw.add(kWordDocsMarker, pw.add_term(docs, freqs, {}, nullptr)));
    for (size_t k = 0; k < words.keys.size(); ++k) {
      const std::span<const uint32_t> wd(words.docs.data() + words.start[k], words.start[k + 1] - words.start[k]);
      if (wd.empty()) continue;
      freqs.assign(wd.size(), 1);
      MERIDIAN_RETURN_IF_ERROR(tw.add(words.keys[k], pw.add_term(wd, freqs, {}, nullptr)));
    }
    return Status::ok();
  };
  // The blocks written apart from the plain terms, in key order: geo
  // fields and the word postings, each a contiguous range of keys.
  std::vector<std::pair<std::string, std::function<Status()>>> blocks;
  for (const auto& [field, cells] : geo_) {
    std::string prefix = field + std::string(1, '\0');
    blocks.emplace_back(prefix, [&, prefix, c = &cells] { return write_geo(prefix, *c); });
  }
  blocks.emplace_back(std::string(kWordDocsMarker), write_words);
  std::sort(blocks.begin(), blocks.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [prefix, write_block] : blocks) {
    MERIDIAN_RETURN_IF_ERROR(write_plain(&prefix));
    MERIDIAN_RETURN_IF_ERROR(write_block());
  }
  MERIDIAN_RETURN_IF_ERROR(write_plain(nullptr));
  MERIDIAN_RETURN_IF_ERROR(put("terms", tw.finish()));
  return put("post", pw.finish());
}

}  // namespace meridian::index
