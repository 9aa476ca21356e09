// Test helper: a random set of column values kept in plain std::maps (the
// oracle), written through ColumnsWriter, and a checker comparing a reader
// against the oracle doc by doc.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "meridian/columns/columns_reader.h"
#include "meridian/columns/columns_writer.h"

namespace meridian::columns {

struct Oracle {
  uint32_t num_docs = 0;
  std::map<std::string, std::map<uint32_t, std::vector<int64_t>>> ints;
  std::map<std::string, std::map<uint32_t, std::vector<double>>> doubles;
  std::map<std::string, std::map<uint32_t, std::vector<std::string>>> keywords;
  std::map<std::string, std::map<uint32_t, std::vector<std::pair<double, double>>>> geos;
  std::map<std::string, std::map<uint32_t, uint32_t>> norms;

  // Writes docs in a shuffled order; each doc's values in order.
  std::string write(std::mt19937_64& rng) const {
    ColumnsWriter w;
    std::vector<uint32_t> order(num_docs);
    for (uint32_t i = 0; i < num_docs; ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    for (uint32_t d : order) {
      for (const auto& [f, m] : ints)
        if (auto it = m.find(d); it != m.end()) for (int64_t v : it->second) w.add_int(f, d, v);
      for (const auto& [f, m] : doubles)
        if (auto it = m.find(d); it != m.end()) for (double v : it->second) w.add_double(f, d, v);
      for (const auto& [f, m] : keywords)
        if (auto it = m.find(d); it != m.end()) for (const auto& v : it->second) w.add_keyword(f, d, v);
      for (const auto& [f, m] : geos)
        if (auto it = m.find(d); it != m.end())
          for (auto [la, lo] : it->second) w.add_geo(f, d, la, lo);
      for (const auto& [f, m] : norms)
        if (auto it = m.find(d); it != m.end()) w.set_norm(f, d, it->second);
    }
    return w.finish(num_docs);
  }
};

inline bool same_double(double a, double b) { return std::memcmp(&a, &b, 8) == 0; }

template <typename T>
const std::vector<T>* values_of(const std::map<uint32_t, std::vector<T>>& m, uint32_t d) {
  auto it = m.find(d);
  return it == m.end() || it->second.empty() ? nullptr : &it->second;
}

// Returns true when every column present in the oracle reads back exactly.
// With `allow_missing`, a column may instead be nullptr (damaged) — used by
// the corruption tests, where "error or correct data" is the contract.
inline bool matches(const ColumnsReader& r, const Oracle& o, bool allow_missing = false) {
  bool ok = r.num_docs() == o.num_docs;
  auto absent = [&](const void* col) {
    if (col) return false;
    ok = ok && allow_missing && !r.status().is_ok();
    return true;
  };
  for (const auto& [f, m] : o.ints) {
    const IntColumn* c = r.int_column(f);
    if (absent(c)) continue;
    int64_t mn = INT64_MAX, mx = INT64_MIN;
    uint32_t with = 0;
    for (uint32_t d = 0; d < o.num_docs; ++d) {
      const auto* vs = values_of(m, d);
      size_t n = vs ? vs->size() : 0;
      ok = ok && c->count(d) == n && c->has(d) == (n > 0);
      with += n > 0;
      for (size_t i = 0; ok && i < n; ++i) {
        ok = c->value(d, i) == (*vs)[i];
        mn = std::min(mn, (*vs)[i]);
        mx = std::max(mx, (*vs)[i]);
      }
      ok = ok && c->first(d) == (n ? std::optional<int64_t>((*vs)[0]) : std::nullopt);
    }
    ok = ok && c->docs_with_value() == with && (with == 0 || (c->min() == mn && c->max() == mx));
  }
  for (const auto& [f, m] : o.doubles) {
    const DoubleColumn* c = r.double_column(f);
    if (absent(c)) continue;
    for (uint32_t d = 0; d < o.num_docs; ++d) {
      const auto* vs = values_of(m, d);
      size_t n = vs ? vs->size() : 0;
      ok = ok && c->count(d) == n;
      for (size_t i = 0; ok && i < n; ++i) ok = same_double(c->value(d, i), (*vs)[i]);
    }
  }
  for (const auto& [f, m] : o.keywords) {
    const KeywordColumn* c = r.keyword_column(f);
    if (absent(c)) continue;
    std::set<std::string> dict;
    for (const auto& [d, vs] : m) dict.insert(vs.begin(), vs.end());
    ok = ok && c->num_values() == dict.size();
    uint32_t ord = 0;
    for (const std::string& s : dict) {
      ok = ok && c->value_of(ord) == s && c->find(s) == std::optional<uint32_t>(ord);
      ++ord;
    }
    for (uint32_t d = 0; d < o.num_docs; ++d) {
      const auto* vs = values_of(m, d);
      size_t n = vs ? vs->size() : 0;
      ok = ok && c->count(d) == n;
      for (size_t i = 0; ok && i < n; ++i) ok = c->value_of(c->ord(d, i)) == (*vs)[i];
    }
  }
  for (const auto& [f, m] : o.geos) {
    const GeoColumn* c = r.geo_column(f);
    if (absent(c)) continue;
    for (uint32_t d = 0; d < o.num_docs; ++d) {
      const auto* vs = values_of(m, d);
      size_t n = vs ? vs->size() : 0;
      ok = ok && c->count(d) == n;
      for (size_t i = 0; ok && i < n; ++i)
        ok = same_double(c->lat(d, i), (*vs)[i].first) && same_double(c->lon(d, i), (*vs)[i].second);
    }
  }
  for (const auto& [f, m] : o.norms) {
    const NormColumn* c = r.norms(f);
    if (absent(c)) continue;
    uint64_t total = 0;
    for (uint32_t d = 0; d < o.num_docs; ++d) {
      auto it = m.find(d);
      uint32_t len = it == m.end() ? 0 : it->second;
      total += len;
      ok = ok && c->length(d) == len;
    }
    ok = ok && c->total() == total;
  }
  return ok;
}

// A random oracle: `num_docs` docs, a mix of dense, sparse and multi-valued
// columns of every kind.
inline Oracle random_oracle(std::mt19937_64& rng, uint32_t num_docs) {
  Oracle o;
  o.num_docs = num_docs;
  auto pick = [&](int max) { return static_cast<int>(rng() % static_cast<uint64_t>(max)); };
  const char* words[] = {"red", "green", "blue", "Zürich", "東京", "", "a", "ab", "abc", "émoji 🙂"};
  for (uint32_t d = 0; d < num_docs; ++d) {
    o.ints["dense"][d] = {static_cast<int64_t>(rng() % 1000) - 500};
    o.ints["date"][d] = {1700000000000 + 1000 * static_cast<int64_t>(rng() % 100000)};
    if (pick(3) == 0) o.ints["sparse"][d] = {static_cast<int64_t>(rng())};
    for (int i = pick(4); i > 0; --i) o.ints["multi"][d].push_back(static_cast<int64_t>(rng() % 50));
    if (pick(2)) o.doubles["price"][d] = {static_cast<double>(rng() % 100000) / 7.0};
    for (int i = pick(3); i > 0; --i) o.doubles["multi_d"][d].push_back(-1.5 * pick(100));
    for (int i = pick(3); i > 0; --i) o.keywords["tags"][d].push_back(words[pick(10)]);
    o.keywords["id"][d] = {"doc-" + std::to_string(d)};
    for (int i = pick(3); i > 0; --i)
      o.geos["loc"][d].push_back({pick(18000) / 100.0 - 90, pick(36000) / 100.0 - 180});
    if (pick(4)) o.norms["body"][d] = static_cast<uint32_t>(pick(3000));
  }
  return o;
}

}  // namespace meridian::columns
