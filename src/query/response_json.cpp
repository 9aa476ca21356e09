// write_json(): a search response's JSON text written straight into the
// output string, the same bytes as to_json(r).dump() (searcher.cpp), without
// the tree: per hit, to_json builds an object of three to seven members and
// copies the sort array, which cost more than the search itself when every
// match of a geo filter is returned.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "meridian/query/searcher.h"

namespace meridian::query {

namespace {

// As Json(uint64_t).dump_to(): an integer up to INT64_MAX, else a double.
void append_count(std::string* out, uint64_t v) {
  if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return append_json_number(out, static_cast<double>(v));
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

// The usual hit (an id of at most 64 characters that need no escaping; no
// source, highlight or explanation; two sort values, numbers): formatted in
// a buffer and appended once. False (nothing written) for any other.
bool append_plain_hit(std::string* out, const Hit& h) {
  const std::string& id = h.id;
  if (id.size() > 64 || !h.source.is_null() || !h.highlight.is_null() || !h.explanation.is_null()) return false;
  if (!h.sort.is_array() || h.sort.size() != 2) return false;
  const Json& s0 = h.sort.as_array()[0];
  const Json& s1 = h.sort.as_array()[1];
  if (!s0.is_number() || !s1.is_int()) return false;
  if (json_plain_prefix(id) != id.size()) return false;
  char buf[256];
  char* p = std::copy_n("{\"id\":\"", 7, buf);
  p = std::copy_n(id.data(), id.size(), p);
  p = std::copy_n("\",\"score\":", 10, p);
  p = format_json_number(p, h.score);
  if (h.distance_m) p = format_json_number(std::copy_n(",\"distance_m\":", 14, p), *h.distance_m);
  p = std::copy_n(",\"sort\":[", 9, p);
  p = s0.is_int() ? std::to_chars(p, p + 24, s0.as_int()).ptr : format_json_number(p, s0.as_double());
  *p++ = ',';
  p = std::to_chars(p, p + 24, s1.as_int()).ptr;
  p = std::copy_n("]}", 2, p);
  out->append(buf, static_cast<size_t>(p - buf));
  return true;
}

void append_hit(std::string* out, const Hit& h) {
  if (append_plain_hit(out, h)) return;
  out->append("{\"id\":");
  append_json_string(out, h.id);
  out->append(",\"score\":");
  append_json_number(out, h.score);
  if (!h.source.is_null()) {
    out->append(",\"source\":");
    h.source.dump_to(out);
  }
  if (h.distance_m) {
    out->append(",\"distance_m\":");
    append_json_number(out, *h.distance_m);
  }
  if (!h.highlight.is_null()) {
    out->append(",\"highlight\":");
    h.highlight.dump_to(out);
  }
  if (h.sort.is_array() && h.sort.size() > 0) {
    out->append(",\"sort\":");
    h.sort.dump_to(out);
  }
  if (!h.explanation.is_null()) {
    out->append(",\"explanation\":");
    h.explanation.dump_to(out);
  }
  out->push_back('}');
}

}  // namespace

void write_json(const SearchResponse& r, std::string* out) {
  // About what a hit of ids and sort values takes, so that the string grows once.
  out->reserve(out->size() + 128 + 64 * r.hits.size());
  out->append("{\"total\":{\"value\":");
  append_count(out, r.total);
  out->append(r.total_is_lower_bound ? ",\"relation\":\"gte\"},\"hits\":[" : ",\"relation\":\"eq\"},\"hits\":[");
  for (size_t i = 0; i < r.hits.size(); ++i) {
    if (i > 0) out->push_back(',');
    append_hit(out, r.hits[i]);
  }
  out->append("],\"facets\":");
  if (r.facets.is_null()) out->append("{}");
  else r.facets.dump_to(out);
  out->append(",\"took_ms\":");
  append_json_number(out, r.took_ms);
  if (!r.suggest.is_null()) {
    out->append(",\"suggest\":");
    r.suggest.dump_to(out);
  }
  out->push_back('}');
}

}  // namespace meridian::query
