#include "meridian/columns/columns_writer.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <numeric>

#include "columns_format.h"
#include "meridian/base/bytes.h"
#include "meridian/base/crc32c.h"
#include "meridian/columns/column_views.h"
#include "meridian/columns/packed_ints.h"

namespace meridian::columns {

void pack_ints(const std::vector<uint64_t>& values, uint8_t bits, std::string* out) {
  size_t start = out->size();
  out->resize(start + packed_size(values.size(), bits), '\0');
  if (bits == 0) return;
  auto* p = reinterpret_cast<unsigned char*>(out->data() + start);
  uint64_t pos = 0;
  for (uint64_t v : values) {
    assert(bits == 64 || v >> bits == 0);
    for (uint8_t b = 0; b < bits;) {  // write in byte-sized chunks
      uint64_t byte = pos >> 3;
      unsigned shift = static_cast<unsigned>(pos & 7);
      unsigned take = std::min<unsigned>(8 - shift, bits - b);
      uint64_t chunk = (v >> b) & ((1u << take) - 1);
      p[byte] = static_cast<unsigned char>(p[byte] | (chunk << shift));
      b = static_cast<uint8_t>(b + take);
      pos += take;
    }
  }
}

namespace {

__extension__ typedef __int128 Int128;  // exact sum of int64 values

// One column being encoded: its bytes plus the table entry fields.
struct Encoded {
  std::string bytes;
  ColumnStats stats;
};

template <typename T>
void sort_and_trim(std::vector<std::pair<uint32_t, T>>* vals, uint32_t num_docs) {
  std::stable_sort(vals->begin(), vals->end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  while (!vals->empty() && vals->back().first >= num_docs) {
    assert(false && "column value for a doc >= num_docs");
    vals->pop_back();
  }
}

// Writes the DocRanges section for values sorted by doc; fills the counts.
template <typename T>
void encode_ranges(const std::vector<std::pair<uint32_t, T>>& vals, uint32_t num_docs,
                   Encoded* e) {
  ByteWriter w(&e->bytes);
  bool dense = vals.size() == num_docs;
  for (size_t i = 0; dense && i < vals.size(); ++i) dense = vals[i].first == i;
  uint32_t docs = 0;
  for (size_t i = 0; i < vals.size(); ++i) docs += (i == 0 || vals[i].first != vals[i - 1].first);
  e->stats.docs_with_value = docs;
  e->stats.num_values = vals.size();
  w.u8(dense ? kLayoutDense : kLayoutOffsets);
  w.u64(vals.size());
  if (dense) return;
  std::vector<uint64_t> offsets(uint64_t{num_docs} + 1, 0);
  size_t j = 0;
  for (uint64_t d = 0; d <= num_docs; ++d) {
    while (j < vals.size() && vals[j].first < d) ++j;
    offsets[d] = j;
  }
  uint8_t bits = bits_for(vals.size());
  w.u8(bits);
  pack_ints(offsets, bits, &e->bytes);
}

Encoded encode_int(const std::vector<std::pair<uint32_t, int64_t>>& vals, uint32_t num_docs) {
  Encoded e;
  encode_ranges(vals, num_docs, &e);
  int64_t mn = 0, mx = 0;
  Int128 sum = 0;
  for (size_t i = 0; i < vals.size(); ++i) {
    int64_t v = vals[i].second;
    mn = i == 0 ? v : std::min(mn, v);
    mx = i == 0 ? v : std::max(mx, v);
    sum += v;
  }
  uint64_t gcd = 0;
  std::vector<uint64_t> deltas(vals.size());
  for (size_t i = 0; i < vals.size(); ++i) {
    deltas[i] = static_cast<uint64_t>(vals[i].second) - static_cast<uint64_t>(mn);
    gcd = std::gcd(gcd, deltas[i]);
  }
  if (gcd == 0) gcd = 1;
  uint64_t max_packed = 0;
  for (uint64_t& d : deltas) max_packed = std::max(max_packed, d /= gcd);
  uint8_t bits = bits_for(max_packed);
  ByteWriter w(&e.bytes);
  w.u64(static_cast<uint64_t>(mn));
  w.u64(gcd);
  w.u8(bits);
  pack_ints(deltas, bits, &e.bytes);
  e.stats.min_int = mn;
  e.stats.max_int = mx;
  e.stats.sum = static_cast<double>(sum);
  return e;
}

Encoded encode_double(const std::vector<std::pair<uint32_t, double>>& vals, uint32_t num_docs) {
  Encoded e;
  encode_ranges(vals, num_docs, &e);
  ByteWriter w(&e.bytes);
  for (size_t i = 0; i < vals.size(); ++i) {
    double v = vals[i].second;
    e.stats.min_double = i == 0 ? v : std::min(e.stats.min_double, v);
    e.stats.max_double = i == 0 ? v : std::max(e.stats.max_double, v);
    e.stats.sum += v;
    w.f64(v);
  }
  return e;
}

Encoded encode_geo(const std::vector<std::pair<uint32_t, std::pair<double, double>>>& vals,
                   uint32_t num_docs) {
  Encoded e;
  encode_ranges(vals, num_docs, &e);
  ByteWriter w(&e.bytes);
  for (const auto& [doc, p] : vals) {
    w.f64(p.first);
    w.f64(p.second);
  }
  return e;
}

Encoded encode_keyword(const std::vector<std::pair<uint32_t, std::string>>& vals,
                       uint32_t num_docs) {
  Encoded e;
  encode_ranges(vals, num_docs, &e);
  // The sorted distinct values, and each value's ordinal among them, from
  // one sort of the value indexes.
  std::vector<uint32_t> by_value(vals.size());
  for (uint32_t i = 0; i < by_value.size(); ++i) by_value[i] = i;
  std::sort(by_value.begin(), by_value.end(),
            [&](uint32_t a, uint32_t b) { return vals[a].second < vals[b].second; });
  std::vector<std::string_view> dict;
  std::vector<uint64_t> ords(vals.size());
  for (uint32_t i : by_value) {
    if (dict.empty() || dict.back() != vals[i].second) dict.push_back(vals[i].second);
    ords[i] = dict.size() - 1;
  }
  std::vector<uint64_t> offsets(dict.size() + 1, 0);
  for (size_t i = 0; i < dict.size(); ++i) offsets[i + 1] = offsets[i] + dict[i].size();
  ByteWriter w(&e.bytes);
  w.u32(static_cast<uint32_t>(dict.size()));
  w.u8(bits_for(offsets.back()));
  pack_ints(offsets, bits_for(offsets.back()), &e.bytes);
  w.u64(offsets.back());
  for (std::string_view s : dict) w.bytes(s);
  uint8_t bits = bits_for(dict.empty() ? 0 : dict.size() - 1);
  w.u8(bits);
  pack_ints(ords, bits, &e.bytes);
  return e;
}

Encoded encode_norms(std::vector<std::pair<uint32_t, uint32_t>>& vals, uint32_t num_docs) {
  Encoded e;
  std::vector<uint64_t> lengths(num_docs, 0);
  std::vector<bool> set(num_docs, false);
  for (const auto& [doc, len] : vals) {  // sorted stably: the last set_norm wins
    lengths[doc] = len;
    set[doc] = true;
  }
  uint64_t mx = 0;
  for (uint32_t d = 0; d < num_docs; ++d) {
    e.stats.total += lengths[d];
    e.stats.docs_with_value += set[d];
    mx = std::max(mx, lengths[d]);
  }
  e.stats.num_values = e.stats.docs_with_value;
  e.stats.sum = static_cast<double>(e.stats.total);
  ByteWriter w(&e.bytes);
  w.u8(bits_for(mx));
  pack_ints(lengths, bits_for(mx), &e.bytes);
  return e;
}

void write_entry(ByteWriter* t, std::string_view name, ColumnKind kind, uint64_t offset,
                 const Encoded& e) {
  t->str(name);
  t->u8(static_cast<uint8_t>(kind));
  t->u64(offset);
  t->u64(e.bytes.size());
  t->u32(crc32c::mask(crc32c::value(e.bytes)));
  t->u32(e.stats.docs_with_value);
  t->u64(e.stats.num_values);
  const ColumnStats& s = e.stats;
  bool is_int = kind == ColumnKind::kInt;
  t->u64(is_int ? static_cast<uint64_t>(s.min_int) : std::bit_cast<uint64_t>(s.min_double));
  t->u64(is_int ? static_cast<uint64_t>(s.max_int) : std::bit_cast<uint64_t>(s.max_double));
  t->f64(s.sum);
  t->u64(s.total);
}

}  // namespace

template <typename T>
std::vector<std::pair<uint32_t, T>>& ColumnsWriter::slot(Pending<T>& m, std::string_view field) {
  auto it = m.find(field);
  if (it == m.end()) it = m.emplace(std::string(field), std::vector<std::pair<uint32_t, T>>{}).first;
  return it->second;
}

void ColumnsWriter::add_int(std::string_view field, uint32_t doc, int64_t v) {
  slot(ints_, field).emplace_back(doc, v);
}
void ColumnsWriter::add_double(std::string_view field, uint32_t doc, double v) {
  if (std::isnan(v)) return;
  slot(doubles_, field).emplace_back(doc, v);
}
void ColumnsWriter::add_keyword(std::string_view field, uint32_t doc, std::string_view v) {
  slot(keywords_, field).emplace_back(doc, std::string(v));
}
void ColumnsWriter::add_geo(std::string_view field, uint32_t doc, double lat, double lon) {
  slot(geos_, field).emplace_back(doc, std::make_pair(lat, lon));
}
void ColumnsWriter::set_norm(std::string_view field, uint32_t doc, uint32_t length) {
  slot(norms_, field).emplace_back(doc, length);
}

std::string ColumnsWriter::finish(uint32_t num_docs) {
  std::string table, data;
  ByteWriter t(&table);
  uint32_t num_columns = 0;
  auto emit = [&](auto& pending, ColumnKind kind, auto encode) {
    for (auto& [name, vals] : pending) {
      sort_and_trim(&vals, num_docs);
      Encoded e = encode(vals, num_docs);
      write_entry(&t, name, kind, data.size(), e);
      data += e.bytes;
      ++num_columns;
    }
    pending.clear();
  };
  emit(ints_, ColumnKind::kInt, encode_int);
  emit(doubles_, ColumnKind::kDouble, encode_double);
  emit(keywords_, ColumnKind::kKeyword, encode_keyword);
  emit(geos_, ColumnKind::kGeo, encode_geo);
  emit(norms_, ColumnKind::kNorms, encode_norms);

  std::string body;
  ByteWriter b(&body);
  b.u32(num_docs);
  b.u32(num_columns);
  b.bytes(table);
  b.u32(crc32c::mask(crc32c::value(body)));
  b.bytes(data);
  return frame_file(kColumnsMagic, kColumnsVersion, body);
}

}  // namespace meridian::columns
