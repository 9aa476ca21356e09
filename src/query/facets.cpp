#include "facets.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include "meridian/geo/geo.h"

namespace meridian::query {

using index::FieldType;

std::string facet_number_key(double v) {
  if (v == 0) return "0";  // also -0
  char buf[64];
  if (std::isfinite(v) && v == std::trunc(v) && std::fabs(v) < 1e21) {
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
    if (ec == std::errc()) return std::string(buf, end);
  }
  double a = std::fabs(v);
  auto fmt = std::isfinite(v) && a >= 1e-6 && a < 1e21 ? std::chars_format::fixed : std::chars_format::general;
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, fmt);  // shortest round-trip in that format
  if (ec == std::errc()) return std::string(buf, end);
  return Json(v).dump();
}

Status check_facets(const index::Snapshot& snap, const std::map<std::string, FacetSpec>& facets) {
  for (const auto& [name, f] : facets) {
    const index::FieldDef* def = snap.schema().find(f.field);
    if (!def) return Status::invalid("facets." + name + ": unknown field '" + f.field + "'");
    bool geo = def->type == FieldType::kGeoPoint;
    bool want_geo = f.kind == FacetSpec::Kind::kGeohashGrid || f.kind == FacetSpec::Kind::kGeoBounds;
    if (geo != want_geo) return Status::invalid("facets." + name + ": field '" + f.field + "' has the wrong type");
    bool numeric = def->type != FieldType::kText && def->type != FieldType::kKeyword && !geo;
    if (!numeric && (f.kind == FacetSpec::Kind::kHistogram || f.kind == FacetSpec::Kind::kRange ||
                     f.kind == FacetSpec::Kind::kStats))
      return Status::invalid("facets." + name + ": field '" + f.field + "' is not numeric");
    if (f.kind == FacetSpec::Kind::kHistogram && !(f.interval > 0))
      return Status::invalid("facets." + name + ": interval must be > 0");
  }
  return Status::ok();
}

void FacetCollector::add(size_t segment, const postings::Bitmap& match) {
  const auto& cols = snap_.segments()[segment].segment->columns();
  for (const auto& entry : specs_) {
    // Not a structured binding: lambdas below use `f` (clang 14 cannot
    // capture bindings; the fuzz build uses it).
    const std::string& name = entry.first;
    const FacetSpec& f = entry.second;
    Acc& a = acc_[name];
    if (a.ranges.size() < f.ranges.size()) a.ranges.resize(f.ranges.size());
    const index::FieldDef* def = snap_.schema().find(f.field);
    if (f.kind == FacetSpec::Kind::kTerms && (def->type == FieldType::kText || def->type == FieldType::kKeyword)) {
      const auto* kc = cols.keyword_column(f.field);
      if (!kc) continue;
      std::vector<uint64_t> per_ord(kc->num_values());
      match.for_each([&](uint32_t d) {
        std::set<uint32_t> seen;
        for (size_t i = 0; i < kc->count(d); ++i)
          if (seen.insert(kc->ord(d, i)).second) per_ord[kc->ord(d, i)]++;
        return true;
      });
      for (uint32_t o = 0; o < per_ord.size(); ++o)
        if (per_ord[o]) a.terms[std::string(kc->value_of(o))] += per_ord[o];
      continue;
    }
    if (f.kind == FacetSpec::Kind::kGeohashGrid || f.kind == FacetSpec::Kind::kGeoBounds) {
      const auto* gc = cols.geo_column(f.field);
      if (!gc) continue;
      match.for_each([&](uint32_t d) {
        for (size_t i = 0; i < gc->count(d); ++i) {
          double lat = gc->lat(d, i), lon = gc->lon(d, i);
          if (f.kind == FacetSpec::Kind::kGeoBounds) {
            a.top = std::max(a.top, lat); a.bottom = std::min(a.bottom, lat);
            a.left = std::min(a.left, lon); a.right = std::max(a.right, lon);
            a.count++;
          } else {
            auto& c = a.cells[geo::geohash({lat, lon}, std::clamp(f.precision, 1, 12))];
            c.first++; c.second.first += lat; c.second.second += lon;
          }
        }
        return true;
      });
      continue;
    }
    // Numbers (terms over a numeric field count its values as strings).
    const auto* ic = cols.int_column(f.field);
    const auto* dc = cols.double_column(f.field);
    if (!ic && !dc) continue;
    match.for_each([&](uint32_t d) {
      size_t n = ic ? ic->count(d) : dc->count(d);
      std::set<std::string> seen_terms;
      std::set<int64_t> seen_buckets;
      std::vector<bool> seen_ranges(f.ranges.size());
      for (size_t i = 0; i < n; ++i) {
        double v = ic ? static_cast<double>(ic->value(d, i)) : dc->value(d, i);
        switch (f.kind) {
          case FacetSpec::Kind::kTerms: {
            std::string key = ic ? std::to_string(ic->value(d, i)) : facet_number_key(v);
            if (seen_terms.insert(key).second) a.terms[key]++;
            break;
          }
          case FacetSpec::Kind::kHistogram: {
            int64_t b = static_cast<int64_t>(std::floor(v / f.interval));
            if (seen_buckets.insert(b).second) a.hist[b]++;
            break;
          }
          case FacetSpec::Kind::kRange:
            for (size_t r = 0; r < f.ranges.size(); ++r) {
              const auto& fr = f.ranges[r];
              if ((!fr.from || v >= *fr.from) && (!fr.to || v < *fr.to) && !seen_ranges[r]) {
                seen_ranges[r] = true;
                a.ranges[r]++;
              }
            }
            break;
          default:
            a.min = std::min(a.min, v); a.max = std::max(a.max, v); a.sum += v; a.count++;
        }
      }
      return true;
    });
  }
}

Json FacetCollector::finish() const {
  Json out = Json::object();
  for (const auto& [name, f] : specs_) {
    auto it = acc_.find(name);
    Acc empty;
    const Acc& a = it == acc_.end() ? empty : it->second;
    Json j = Json::object();
    Json buckets = Json::array();
    auto bucket = [](Json key, uint64_t n) {
      Json b = Json::object();
      b.set("key", std::move(key));
      b.set("count", n);
      return b;
    };
    switch (f.kind) {
      case FacetSpec::Kind::kTerms: {
        std::vector<std::pair<std::string, uint64_t>> v(a.terms.begin(), a.terms.end());
        std::stable_sort(v.begin(), v.end(), [](const auto& x, const auto& y) { return x.second > y.second; });
        if (v.size() > f.size) v.resize(f.size);
        for (const auto& [key, n] : v) buckets.push(bucket(Json(key), n));
        j.set("buckets", std::move(buckets));
        break;
      }
      case FacetSpec::Kind::kHistogram:
        for (const auto& [b, n] : a.hist) buckets.push(bucket(Json(static_cast<double>(b) * f.interval), n));
        j.set("buckets", std::move(buckets));
        break;
      case FacetSpec::Kind::kRange:
        for (size_t r = 0; r < f.ranges.size(); ++r) {
          const auto& fr = f.ranges[r];
          std::string key = fr.key;
          if (key.empty())
            key = (fr.from ? facet_number_key(*fr.from) : "*") + "-" + (fr.to ? facet_number_key(*fr.to) : "*");
          Json b = bucket(Json(key), r < a.ranges.size() ? a.ranges[r] : 0);
          if (fr.from) b.set("from", *fr.from);
          if (fr.to) b.set("to", *fr.to);
          buckets.push(std::move(b));
        }
        j.set("buckets", std::move(buckets));
        break;
      case FacetSpec::Kind::kStats:
        j.set("count", a.count);
        j.set("min", a.count ? Json(a.min) : Json());
        j.set("max", a.count ? Json(a.max) : Json());
        j.set("avg", a.count ? Json(a.sum / static_cast<double>(a.count)) : Json());
        j.set("sum", a.sum);
        break;
      case FacetSpec::Kind::kGeohashGrid: {
        std::vector<std::pair<std::string, std::pair<uint64_t, std::pair<double, double>>>> v(a.cells.begin(), a.cells.end());
        std::stable_sort(v.begin(), v.end(), [](const auto& x, const auto& y) { return x.second.first > y.second.first; });
        if (v.size() > f.size) v.resize(f.size);
        for (const auto& [key, c] : v) {
          Json b = bucket(Json(key), c.first);
          Json centroid = Json::object();
          centroid.set("lat", c.second.first / static_cast<double>(c.first));
          centroid.set("lon", c.second.second / static_cast<double>(c.first));
          b.set("centroid", std::move(centroid));
          buckets.push(std::move(b));
        }
        j.set("buckets", std::move(buckets));
        break;
      }
      case FacetSpec::Kind::kGeoBounds:
        if (a.count) {
          j.set("top", a.top); j.set("left", a.left); j.set("bottom", a.bottom); j.set("right", a.right);
        }
        j.set("count", a.count);
        break;
    }
    out.set(name, std::move(j));
  }
  return out;
}

Json highlight(const index::Snapshot& snap, const std::vector<std::pair<std::string, std::string>>& terms,
               const HighlightSpec& spec, const Json& source) {
  Json out = Json::object();
  std::vector<HighlightField> fields = spec.fields;
  if (fields.empty())
    for (const auto& [name, def] : snap.schema().fields())
      if (def.type == FieldType::kText) fields.push_back({name, {}, {}});
  std::vector<analysis::Token> toks;
  for (const auto& hf : fields) {
    const index::FieldDef* def = snap.schema().find(hf.name);
    if (!def || def->type != FieldType::kText) continue;
    std::set<std::string> want;
    for (const auto& [f, t] : terms)
      if (f == hf.name) want.insert(t);
    if (want.empty()) continue;
    const Json* v = &source;
    for (size_t s = 0; v;) {
      size_t dot = hf.name.find('.', s);
      v = v->find(hf.name.substr(s, dot == std::string::npos ? std::string::npos : dot - s));
      if (dot == std::string::npos) break;
      s = dot + 1;
    }
    if (!v || !v->is_string()) continue;
    const std::string& text = v->as_string();
    def->analyzer_instance->analyze(text, &toks);
    const size_t size = hf.fragment_size.value_or(spec.fragment_size);
    const size_t count = hf.number_of_fragments.value_or(spec.number_of_fragments);
    Json frags = Json::array();
    size_t covered = 0;  // byte offset already emitted
    for (size_t i = 0; i < toks.size() && frags.size() < count; ++i) {
      if (!want.count(toks[i].text) || toks[i].start < covered) continue;
      // Fragment: token boundaries around the match, about `size` bytes.
      size_t first = i;
      while (first > 0 && toks[i].end - toks[first - 1].start <= size / 2 && toks[first - 1].start >= covered) --first;
      size_t begin = size == 0 ? 0 : toks[first].start;
      size_t last = i;
      while (last + 1 < toks.size() && toks[last + 1].end - begin <= size) ++last;
      size_t end = size == 0 ? text.size() : toks[last].end;
      std::string frag;
      size_t pos = begin;
      for (size_t t = first; t <= last || (size == 0 && t < toks.size()); ++t) {
        if (t >= toks.size() || toks[t].start < begin) continue;
        if (toks[t].end > end) break;
        if (!want.count(toks[t].text)) continue;
        frag.append(text, pos, toks[t].start - pos);
        frag += spec.pre_tag;
        frag.append(text, toks[t].start, toks[t].end - toks[t].start);
        frag += spec.post_tag;
        pos = toks[t].end;
      }
      frag.append(text, pos, end - pos);
      frags.push(Json(frag));
      covered = end;
      if (size == 0) break;
    }
    if (frags.size() > 0) out.set(hf.name, std::move(frags));
  }
  return out;
}

}  // namespace meridian::query
