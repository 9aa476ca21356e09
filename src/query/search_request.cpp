#include "meridian/query/search_request.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "meridian/query/dsl_parser.h"
#include "meridian/query/field_check.h"
#include "meridian/query/q_query.h"
#include "meridian/query/query_string_parser.h"
#include "plain_params.h"

namespace meridian::query {

using namespace dsl;  // NOLINT

namespace {

// ["a","b"] or "a,b".
Result<std::vector<std::string>> get_string_list(const Json& v, const std::string& path) {
  if (v.is_string()) return split_commas(v.as_string());
  if (!v.is_array()) return type_error(path, "array of strings", v);
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size(); ++i) {
    MERIDIAN_ASSIGN_OR_RETURN(std::string s, get_string(v.as_array()[i], element(path, i)));
    out.push_back(std::move(s));
  }
  return out;
}

Result<size_t> get_size(const Json& v, const std::string& path, int64_t max) {
  MERIDIAN_ASSIGN_OR_RETURN(int64_t i, get_int(v, path, 0, max));
  return static_cast<size_t>(i);
}

Result<bool> get_order_desc(const Json& v, const std::string& path) {
  MERIDIAN_ASSIGN_OR_RETURN(std::string s, get_string(v, path));
  if (s == "asc") return false;
  if (s == "desc") return true;
  return error(path, "expected 'asc' or 'desc', got '" + s + "'");
}

Result<SortSpec> parse_geo_sort(const Json& body, const std::string& path) {
  if (!body.is_object()) return type_error(path, "object", body);
  SortSpec s;
  s.kind = SortSpec::Kind::kGeoDistance;
  s.desc = false;
  bool has_point = false;
  for (const auto& [k, v] : body.as_object()) {
    std::string kp = child(path, k);
    if (k == "order") {
      MERIDIAN_ASSIGN_OR_RETURN(s.desc, get_order_desc(v, kp));
    } else if (k == "unit") {
      MERIDIAN_ASSIGN_OR_RETURN(s.unit, get_string(v, kp));
      auto m = parse_distance_m("1" + s.unit);
      if (!m || s.unit.empty()) return error(kp, "expected a distance unit (m, km, mi, ...), got '" + s.unit + "'");
      s.unit_m = *m;
    } else {
      if (has_point) return error(path, "expected exactly one field, got '" + s.field + "' and '" + k + "'");
      s.field = k;
      MERIDIAN_ASSIGN_OR_RETURN(s.origin, get_point(v, kp));
      has_point = true;
    }
  }
  // No point: the origin is `near` and the field geo_field (filled in by
  // parse_search_request, which refuses it without near).
  return s;
}

Result<SortSpec> parse_sort_entry(const Json& v, const std::string& path) {
  SortSpec s;
  if (v.is_string()) {
    if (v.as_string() == "_score") return s;
    if (v.as_string() == "_geo_distance") return parse_geo_sort(Json::object(), path);
    s.kind = SortSpec::Kind::kField;
    s.field = v.as_string();
    s.desc = false;
    return s;
  }
  if (!v.is_object()) return type_error(path, "string or object", v);
  if (v.size() != 1) return error(path, "expected exactly one sort field, got " + std::to_string(v.size()) + " keys");
  const auto& [field, spec] = v.as_object()[0];
  std::string fp = child(path, field);
  if (field == "_geo_distance" && spec.is_string()) {  // {"_geo_distance": "desc"}: around near
    MERIDIAN_ASSIGN_OR_RETURN(SortSpec g, parse_geo_sort(Json::object(), fp));
    MERIDIAN_ASSIGN_OR_RETURN(g.desc, get_order_desc(spec, fp));
    return g;
  }
  if (field == "_geo_distance") return parse_geo_sort(spec, fp);
  if (field != "_score") {
    s.kind = SortSpec::Kind::kField;
    s.field = field;
    s.desc = false;
  }
  if (spec.is_string()) {
    MERIDIAN_ASSIGN_OR_RETURN(s.desc, get_order_desc(spec, fp));
    return s;
  }
  if (!spec.is_object()) return type_error(fp, "\"asc\", \"desc\" or object", spec);
  for (const auto& [k, x] : spec.as_object()) {
    std::string kp = child(fp, k);
    if (k == "order") {
      MERIDIAN_ASSIGN_OR_RETURN(s.desc, get_order_desc(x, kp));
    } else if (k == "missing" && s.kind == SortSpec::Kind::kField) {
      MERIDIAN_ASSIGN_OR_RETURN(std::string m, get_string(x, kp));
      if (m != "_first" && m != "_last") return error(kp, "expected '_first' or '_last', got '" + m + "'");
      s.missing_first = m == "_first";
    } else {
      return unknown_key(fp, k);
    }
  }
  return s;
}

Result<std::vector<SortSpec>> parse_sort(const Json& v, const std::string& path) {
  std::vector<SortSpec> out;
  if (!v.is_array()) {
    MERIDIAN_ASSIGN_OR_RETURN(SortSpec s, parse_sort_entry(v, path));
    out.push_back(std::move(s));
    return out;
  }
  for (size_t i = 0; i < v.size(); ++i) {
    MERIDIAN_ASSIGN_OR_RETURN(SortSpec s, parse_sort_entry(v.as_array()[i], element(path, i)));
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<FacetRange>> parse_facet_ranges(const Json& v, const std::string& path) {
  if (!v.is_array()) return type_error(path, "array", v);
  std::vector<FacetRange> out;
  for (size_t i = 0; i < v.size(); ++i) {
    std::string ep = element(path, i);
    const Json& r = v.as_array()[i];
    if (!r.is_object()) return type_error(ep, "object", r);
    FacetRange fr;
    for (const auto& [k, x] : r.as_object()) {
      std::string kp = child(ep, k);
      if (k == "from") { MERIDIAN_ASSIGN_OR_RETURN(fr.from, get_number(x, kp)); }
      else if (k == "to") { MERIDIAN_ASSIGN_OR_RETURN(fr.to, get_number(x, kp)); }
      else if (k == "key") { MERIDIAN_ASSIGN_OR_RETURN(fr.key, get_string(x, kp)); }
      else return unknown_key(ep, k);
    }
    if (fr.from && fr.to && *fr.from > *fr.to) return error(ep, "expected from <= to");
    out.push_back(std::move(fr));
  }
  return out;
}

Result<FacetSpec> parse_facet(const Json& v, const std::string& path) {
  if (!v.is_object()) return type_error(path, "object", v);
  if (v.size() != 1) return error(path, "expected exactly one facet type, got " + std::to_string(v.size()) + " keys");
  const auto& [kind, body] = v.as_object()[0];
  std::string p = child(path, kind);
  FacetSpec f;
  using K = FacetSpec::Kind;
  if (kind == "terms") f.kind = K::kTerms;
  else if (kind == "histogram") f.kind = K::kHistogram;
  else if (kind == "range") f.kind = K::kRange;
  else if (kind == "stats") f.kind = K::kStats;
  else if (kind == "geohash_grid") f.kind = K::kGeohashGrid;
  else if (kind == "geo_bounds") f.kind = K::kGeoBounds;
  else return error(path, "unknown facet type '" + kind + "'");
  if (!body.is_object()) return type_error(p, "object", body);
  for (const auto& [k, x] : body.as_object()) {
    std::string kp = child(p, k);
    if (k == "field") { MERIDIAN_ASSIGN_OR_RETURN(f.field, get_string(x, kp)); }
    else if (k == "size" && (f.kind == K::kTerms || f.kind == K::kGeohashGrid)) {
      MERIDIAN_ASSIGN_OR_RETURN(f.size, get_size(x, kp, 100000));
    } else if (k == "interval" && f.kind == K::kHistogram) {
      MERIDIAN_ASSIGN_OR_RETURN(f.interval, get_number(x, kp));
      if (!(f.interval > 0)) return error(kp, "expected a positive interval");
    } else if (k == "ranges" && f.kind == K::kRange) {
      MERIDIAN_ASSIGN_OR_RETURN(f.ranges, parse_facet_ranges(x, kp));
    } else if (k == "precision" && f.kind == K::kGeohashGrid) {
      MERIDIAN_ASSIGN_OR_RETURN(int64_t pr, get_int(x, kp, 1, 12));
      f.precision = static_cast<int>(pr);
    } else {
      return unknown_key(p, k);
    }
  }
  if (f.field.empty()) return error(p, "expected key 'field'");
  if (f.kind == K::kHistogram && f.interval == 0) return error(p, "expected key 'interval'");
  if (f.kind == K::kRange && f.ranges.empty()) return error(p, "expected key 'ranges' with at least one range");
  return f;
}

Result<HighlightField> parse_highlight_field(const std::string& name, const Json& v, const std::string& path) {
  HighlightField hf{name, {}, {}};
  if (!v.is_object()) return type_error(path, "object", v);
  for (const auto& [k, x] : v.as_object()) {
    std::string kp = child(path, k);
    if (k == "fragment_size") { MERIDIAN_ASSIGN_OR_RETURN(hf.fragment_size, get_size(x, kp, 100000)); }
    else if (k == "number_of_fragments") { MERIDIAN_ASSIGN_OR_RETURN(hf.number_of_fragments, get_size(x, kp, 100)); }
    else return unknown_key(path, k);
  }
  return hf;
}

// A tag as "tag" or ["tag"] (Elasticsearch's pre_tags).
Result<std::string> get_tag(const Json& v, const std::string& path) {
  if (v.is_array() && v.size() == 1) return get_string(v.as_array()[0], element(path, 0));
  return get_string(v, path);
}

Result<HighlightSpec> parse_highlight(const Json& v, const std::string& path) {
  if (!v.is_object()) return type_error(path, "object", v);
  HighlightSpec h;
  for (const auto& [k, x] : v.as_object()) {
    std::string kp = child(path, k);
    if (k == "fields" && x.is_object()) {
      for (const auto& [name, opts] : x.as_object()) {
        MERIDIAN_ASSIGN_OR_RETURN(HighlightField hf, parse_highlight_field(name, opts, child(kp, name)));
        h.fields.push_back(std::move(hf));
      }
    } else if (k == "fields") {
      MERIDIAN_ASSIGN_OR_RETURN(std::vector<std::string> names, get_string_list(x, kp));
      for (auto& n : names) h.fields.push_back(HighlightField{std::move(n), {}, {}});
    } else if (k == "pre_tag" || k == "pre_tags") {
      MERIDIAN_ASSIGN_OR_RETURN(h.pre_tag, get_tag(x, kp));
    } else if (k == "post_tag" || k == "post_tags") {
      MERIDIAN_ASSIGN_OR_RETURN(h.post_tag, get_tag(x, kp));
    } else if (k == "fragment_size") {
      MERIDIAN_ASSIGN_OR_RETURN(h.fragment_size, get_size(x, kp, 100000));
    } else if (k == "number_of_fragments") {
      MERIDIAN_ASSIGN_OR_RETURN(h.number_of_fragments, get_size(x, kp, 100));
    } else {
      return unknown_key(path, k);
    }
  }
  return h;
}

Result<Query> parse_filter_one(const Json& v, const std::string& path) {
  if (v.is_string()) {
    auto r = parse_query_string(v.as_string());
    if (!r) return error(path, r.status().message());
    return std::move(r).value();
  }
  return parse_dsl(v, path);
}

// "top,left,bottom,right" into *b: split_commas' pieces (trimmed of spaces,
// empty ones skipped), as views; false unless they are four numbers.
bool bbox_from_text(std::string_view s, GeoBoundingBox* b) {
  std::string_view parts[4];
  size_t n = 0;
  for (size_t start = 0; start <= s.size() && n <= 4;) {
    size_t comma = s.find(',', start);
    if (comma == std::string_view::npos) comma = s.size();
    std::string_view part = s.substr(start, comma - start);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) {
      if (n < 4) parts[n] = part;
      ++n;
    }
    start = comma + 1;
  }
  if (n != 4) return false;
  double vals[4];
  for (size_t i = 0; i < 4; ++i) {
    auto r = std::from_chars(parts[i].data(), parts[i].data() + parts[i].size(), vals[i]);
    if (r.ec != std::errc() || r.ptr != parts[i].data() + parts[i].size()) return false;
  }
  b->top = vals[0]; b->left = vals[1]; b->bottom = vals[2]; b->right = vals[3];
  return true;
}

Status check_bbox(const GeoBoundingBox& b, const std::string& path) {
  for (const GeoPoint& p : {GeoPoint{b.top, b.left}, GeoPoint{b.bottom, b.right}}) {
    Status st = check_point(p);
    if (!st) return error(path, st.message());
  }
  if (b.top < b.bottom) return error(path, "expected top >= bottom");
  return Status::ok();
}

Result<GeoBoundingBox> parse_bbox(const Json& v, const std::string& path) {
  GeoBoundingBox b;
  if (v.is_string()) {  // "top,left,bottom,right"
    if (!bbox_from_text(v.as_string(), &b))
      return error(path, "expected \"top,left,bottom,right\", got '" + v.as_string() + "'");
  } else if (v.is_array()) {  // [left, bottom, right, top] (GeoJSON bbox order)
    if (v.size() != 4) return error(path, "expected [left, bottom, right, top], got " + std::to_string(v.size()) + " elements");
    double vals[4];
    for (size_t i = 0; i < 4; ++i) { MERIDIAN_ASSIGN_OR_RETURN(vals[i], get_number(v.as_array()[i], element(path, i))); }
    b.left = vals[0]; b.bottom = vals[1]; b.right = vals[2]; b.top = vals[3];
  } else {
    return type_error(path, "array or string", v);
  }
  MERIDIAN_RETURN_IF_ERROR(check_bbox(b, path));
  return b;
}

Result<geo::DecayKind> get_decay_function(const Json& v, const std::string& path) {
  MERIDIAN_ASSIGN_OR_RETURN(std::string f, get_string(v, path));
  if (f == "gauss") return geo::DecayKind::kGauss;
  if (f == "exp") return geo::DecayKind::kExp;
  if (f == "linear") return geo::DecayKind::kLinear;
  return error(path, "expected 'gauss', 'exp' or 'linear', got '" + f + "'");
}

// {"field", "origin", "function", "scale", "offset", "decay", "weight"}; the
// field defaults to geo_field (filled in by the caller when empty).
Result<GeoDecay> parse_geo_decay(const Json& v, const std::string& path) {
  if (!v.is_object()) return type_error(path, "object", v);
  GeoDecay g;
  bool has_origin = false, has_scale = false;
  for (const auto& [k, x] : v.as_object()) {
    std::string kp = child(path, k);
    if (k == "field") { MERIDIAN_ASSIGN_OR_RETURN(g.field, get_string(x, kp)); }
    else if (k == "origin") { MERIDIAN_ASSIGN_OR_RETURN(g.origin, get_point(x, kp)); has_origin = true; }
    else if (k == "function") { MERIDIAN_ASSIGN_OR_RETURN(g.function, get_decay_function(x, kp)); }
    else if (k == "scale") { MERIDIAN_ASSIGN_OR_RETURN(g.scale_m, get_distance(x, kp)); has_scale = true; }
    else if (k == "offset") { MERIDIAN_ASSIGN_OR_RETURN(g.offset_m, get_distance(x, kp)); }
    else if (k == "decay") { MERIDIAN_ASSIGN_OR_RETURN(g.decay, get_number(x, kp)); }
    else if (k == "weight") {
      MERIDIAN_ASSIGN_OR_RETURN(g.weight, get_number(x, kp));
      if (!(g.weight > 0) || !std::isfinite(g.weight)) return error(kp, "expected a positive number");
    } else {
      return unknown_key(path, k);
    }
  }
  if (!has_origin) return error(path, "expected key 'origin'");
  if (!has_scale) return error(path, "expected key 'scale'");
  Status st = geo::check_decay_params(g.scale_m, g.offset_m, g.decay);
  if (!st) return error(path, st.message());
  return g;
}

// Geo convenience keys gathered during the pass over the body.
struct GeoKeys {
  std::optional<GeoPoint> near;
  std::optional<double> radius;
  std::optional<GeoBoundingBox> bbox;
  std::string field;
};

const std::vector<std::string> kRequestKeys = {
    "q", "q_fields", "query", "filter", "sort", "from", "size", "search_after", "facets", "highlight",
    "fields", "explain", "source", "track_total_hits", "near", "radius", "geo_field", "bbox", "geo_decay",
    "matching_strategy"};
// Names other engines use for our keys (Elasticsearch, Meilisearch, SQL).
const std::vector<std::pair<std::string, std::string>> kRequestKeyAliases = {
    {"limit", "size"}, {"offset", "from"}, {"_source", "source"}, {"_source_includes", "fields"},
    {"aggs", "facets"}, {"aggregations", "facets"}, {"facet", "facets"}, {"attributesToRetrieve", "fields"},
    {"attributesToHighlight", "highlight"}, {"post_filter", "filter"}, {"page", "from"}, {"hitsPerPage", "size"},
    {"matchingStrategy", "matching_strategy"}};

// The request keys, told apart by length first (a chain of string
// comparisons cost ~350 instructions per key).
enum class Key {
  kQ, kQFields, kMatchingStrategy, kQuery, kFilter, kSort, kFrom, kSize, kSearchAfter, kFacets, kHighlight,
  kFields, kExplain, kSource, kTrackTotalHits, kNear, kRadius, kGeoField, kBbox, kGeoDecay, kUnknown
};

// k equals lit, k being as long as lit (a fixed-size memcmp: compiled to
// a few integer compares, not a call).
template <size_t N>
bool is(std::string_view k, const char (&lit)[N]) {
  return std::memcmp(k.data(), lit, N - 1) == 0;
}

Key key_of(std::string_view k) {
  switch (k.size()) {
    case 1: if (is(k, "q")) return Key::kQ; break;
    case 4:
      if (is(k, "size")) return Key::kSize;
      if (is(k, "from")) return Key::kFrom;
      if (is(k, "near")) return Key::kNear;
      if (is(k, "bbox")) return Key::kBbox;
      if (is(k, "sort")) return Key::kSort;
      break;
    case 5: if (is(k, "query")) return Key::kQuery; break;
    case 6:
      if (is(k, "filter")) return Key::kFilter;
      if (is(k, "radius")) return Key::kRadius;
      if (is(k, "source")) return Key::kSource;
      if (is(k, "fields")) return Key::kFields;
      if (is(k, "facets")) return Key::kFacets;
      break;
    case 7: if (is(k, "explain")) return Key::kExplain; break;
    case 8: if (is(k, "q_fields")) return Key::kQFields; break;
    case 9:
      if (is(k, "geo_field")) return Key::kGeoField;
      if (is(k, "highlight")) return Key::kHighlight;
      if (is(k, "geo_decay")) return Key::kGeoDecay;
      break;
    case 12: if (is(k, "search_after")) return Key::kSearchAfter; break;
    case 16: if (is(k, "track_total_hits")) return Key::kTrackTotalHits; break;
    case 17: if (is(k, "matching_strategy")) return Key::kMatchingStrategy; break;
    default: break;
  }
  return Key::kUnknown;
}

Status parse_key(const std::string& k, const Json& v, SearchRequest* r, GeoKeys* geo, bool* has_query,
                 const SearchRequestOptions& opt) {
  const std::string& kp = k;
  switch (key_of(k)) {
    case Key::kQ: { MERIDIAN_ASSIGN_OR_RETURN(r->q, get_string(v, kp)); break; }
    case Key::kQFields: { MERIDIAN_ASSIGN_OR_RETURN(r->q_fields, get_fields(v, kp)); break; }
    case Key::kMatchingStrategy: {
      MERIDIAN_ASSIGN_OR_RETURN(std::string m, get_string(v, kp));
      if (m != "last" && m != "all") return error(kp, "expected \"last\" or \"all\", got '" + m + "'");
      r->matching_strategy = m == "all" ? MatchingStrategy::kAll : MatchingStrategy::kLast;
      break;
    }
    case Key::kQuery: { MERIDIAN_ASSIGN_OR_RETURN(r->query, parse_dsl(v, kp)); *has_query = true; break; }
    case Key::kFilter:
      if (v.is_array()) {
        for (size_t i = 0; i < v.size(); ++i) {
          MERIDIAN_ASSIGN_OR_RETURN(Query f, parse_filter_one(v.as_array()[i], element(kp, i)));
          r->filters.push_back(std::move(f));
        }
      } else {
        MERIDIAN_ASSIGN_OR_RETURN(Query f, parse_filter_one(v, kp));
        r->filters.push_back(std::move(f));
      }
      break;
    case Key::kSort: { MERIDIAN_ASSIGN_OR_RETURN(r->sort, parse_sort(v, kp)); break; }
    case Key::kFrom: { MERIDIAN_ASSIGN_OR_RETURN(r->from, get_size(v, kp, static_cast<int64_t>(opt.max_window))); break; }
    case Key::kSize: { MERIDIAN_ASSIGN_OR_RETURN(r->size, get_size(v, kp, static_cast<int64_t>(opt.max_window))); break; }
    case Key::kSearchAfter:
      if (!v.is_array()) return type_error(kp, "array", v);
      r->search_after = v;
      break;
    case Key::kFacets:
      if (!v.is_object()) return type_error(kp, "object", v);
      for (const auto& [name, spec] : v.as_object()) {
        MERIDIAN_ASSIGN_OR_RETURN(FacetSpec f, parse_facet(spec, child(kp, name)));
        r->facets[name] = std::move(f);
      }
      break;
    case Key::kHighlight: { MERIDIAN_ASSIGN_OR_RETURN(r->highlight, parse_highlight(v, kp)); break; }
    case Key::kFields: { MERIDIAN_ASSIGN_OR_RETURN(r->fields, get_string_list(v, kp)); break; }
    case Key::kExplain: { MERIDIAN_ASSIGN_OR_RETURN(r->explain, get_bool(v, kp)); break; }
    case Key::kSource: { MERIDIAN_ASSIGN_OR_RETURN(r->source, get_bool(v, kp)); break; }
    case Key::kTrackTotalHits:
      if (v.is_bool()) {
        r->track_total_hits = v.as_bool() ? kTrackAllHits : 0;
      } else {
        if (!v.is_number()) return type_error(kp, "boolean or integer", v);
        MERIDIAN_ASSIGN_OR_RETURN(int64_t t, get_int(v, kp, 0, INT64_MAX));
        r->track_total_hits = static_cast<uint64_t>(t);
      }
      break;
    case Key::kNear: { MERIDIAN_ASSIGN_OR_RETURN(geo->near, get_point(v, kp)); break; }
    case Key::kRadius: { MERIDIAN_ASSIGN_OR_RETURN(geo->radius, get_distance(v, kp)); break; }
    case Key::kGeoField: { MERIDIAN_ASSIGN_OR_RETURN(geo->field, get_string(v, kp)); break; }
    case Key::kBbox: { MERIDIAN_ASSIGN_OR_RETURN(geo->bbox, parse_bbox(v, kp)); break; }
    case Key::kGeoDecay: { MERIDIAN_ASSIGN_OR_RETURN(r->geo_decay, parse_geo_decay(v, kp)); break; }
    case Key::kUnknown:
      return error(k, "unknown key '" + k + "'" + did_you_mean(k, kRequestKeys, kRequestKeyAliases));
  }
  return Status::ok();
}

// The ranking rules as sort keys. A request `sort` goes where the rule
// `sort` is; without that rule a request sort replaces the rules (empty
// result: rank by the request's sort).
std::vector<SortSpec> ranking_specs(const std::vector<std::string>& rules, const std::vector<SortSpec>& sort) {
  const bool has_sort_rule = std::find(rules.begin(), rules.end(), "sort") != rules.end();
  if (!sort.empty() && !has_sort_rule) return {};
  std::vector<SortSpec> out;
  out.reserve(rules.size() + sort.size());
  for (const auto& rule : rules) {
    SortSpec s;
    if (rule == "bm25") {
      s.kind = SortSpec::Kind::kScore;
    } else if (rule == "sort") {
      out.insert(out.end(), sort.begin(), sort.end());
      continue;
    } else if (size_t colon = rule.rfind(':'); colon != std::string::npos) {
      s.kind = SortSpec::Kind::kField;
      s.field = rule.substr(0, colon);
      s.desc = rule.substr(colon + 1) == "desc";
    } else {
      s.kind = SortSpec::Kind::kRank;
      s.field = rule;
      // More words matched and more exact words first; fewer typos, a
      // smaller proximity cost and a better attribute rank first.
      s.desc = rule == "words" || rule == "exactness";
    }
    out.push_back(std::move(s));
  }
  return out;
}

// What parse_search_request does once every key is read: q into a query,
// the window, the sort's origins, geo keys into filters.
Status finish_request(SearchRequest& r, GeoKeys& geo, bool has_query, const SearchRequestOptions& opt) {
  if (r.q && has_query) return error("q", "expected either 'q' or 'query', not both");
  if (r.q) {
    static const index::IndexSettings kDefaultSettings;
    const index::IndexSettings& settings = opt.settings ? *opt.settings : kDefaultSettings;
    std::vector<FieldBoost> fields = r.q_fields.empty() ? opt.default_q_fields : r.q_fields;
    if (fields.empty())
      for (const auto& f : settings.q_fields) fields.push_back({f.field, f.weight});
    // Matching strategy `last` (with and): the relaxed query too, in the same
    // pass; none with a single word, where it is the strict one.
    const bool relax = r.matching_strategy == MatchingStrategy::kLast && opt.q_operator == Operator::kAnd;
    r.query = build_q_query(*r.q, fields, opt.q_operator, settings, opt.schema, relax ? &r.relaxed_query : nullptr);
    if (!std::holds_alternative<MatchAll>(r.query.node)) {
      r.rank_fields = fields.empty() ? std::vector<FieldBoost>{{"*", 1}} : std::move(fields);  // its last use
      if (settings.ranking_rules.empty() && r.sort.empty()) {
        // The usual case: the default rules, built once.
        static const std::vector<SortSpec> kDefaultRanking = ranking_specs(index::default_ranking_rules(), {});
        r.ranking = kDefaultRanking;
      } else {
        r.ranking = ranking_specs(
            settings.ranking_rules.empty() ? index::default_ranking_rules() : settings.ranking_rules, r.sort);
      }
    }
  }
  if (opt.settings) r.distinct = opt.settings->distinct;
  if (r.from > opt.max_window || r.size > opt.max_window - r.from)
    return error(r.from > opt.max_window ? "from" : "size",
                 "expected from + size <= " + std::to_string(opt.max_window) + ", got " + std::to_string(r.from) +
                     " + " + std::to_string(r.size) + "; use search_after to page deeper");
  if (r.search_after && r.from != 0) return error("search_after", "expected from = 0 with search_after");
  bool by_distance = false;  // a sort by distance around near
  for (size_t i = 0; i < r.sort.size(); ++i) {
    SortSpec& s = r.sort[i];
    if (s.kind != SortSpec::Kind::kGeoDistance) continue;
    by_distance = true;
    if (!s.field.empty()) continue;
    if (!geo.near) return error(element("sort", i), "expected an origin: {\"_geo_distance\": {\"<field>\": point}} or 'near'");
    s.field = geo.field;
    s.origin = *geo.near;
  }
  if (geo.radius && !geo.near) return error("radius", "expected 'near' with 'radius'");
  if (geo.near && !geo.radius && !by_distance && !r.geo_decay)
    return error("near", "expected 'radius' with 'near' (or a sort by _geo_distance: the nearest first)");
  if (geo.near && geo.radius) r.filters.push_back(GeoDistance{geo.field, geo.near->lat, geo.near->lon, *geo.radius});
  if (geo.bbox) {
    geo.bbox->field = geo.field;
    r.filters.push_back(*geo.bbox);
  }
  if (geo.near || geo.bbox) r.geo_field = geo.field;
  if (r.geo_decay && r.geo_decay->field.empty()) r.geo_decay->field = geo.field;
  return Status::ok();
}

}  // namespace

Result<SearchRequest> parse_search_request(const Json& body, const SearchRequestOptions& opt) {
  if (!body.is_object()) return type_error("request", "object", body);
  SearchRequest r;
  GeoKeys geo;
  geo.field = opt.default_geo_field;
  bool has_query = false;
  for (const auto& [k, v] : body.as_object()) MERIDIAN_RETURN_IF_ERROR(parse_key(k, v, &r, &geo, &has_query, opt));
  MERIDIAN_RETURN_IF_ERROR(finish_request(r, geo, has_query, opt));
  return r;
}

// The GET parameters' values as parse_search_params turns them into body
// values and parse_key reads those, without the body.
bool parse_plain_params(std::span<const ParamView> params, const SearchRequestOptions& opt, SearchRequest* out) {
  SearchRequest& r = *out;
  GeoKeys geo;
  geo.field = opt.default_geo_field;
  // *dst = the parsed value; false when it did not parse.
  auto set = [](auto parsed, auto* dst) {
    if (parsed) *dst = static_cast<std::remove_pointer_t<decltype(dst)>>(*parsed);
    return parsed.has_value();
  };
  for (const auto& [k, v] : params) {
    switch (key_of(k)) {
      case Key::kNear: {
        auto p = parse_lat_lon(v);
        if (!p) return false;
        geo.near = *p;
        break;
      }
      case Key::kRadius: {
        auto d = parse_distance_m(v);
        if (!d) return false;
        geo.radius = *d;
        break;
      }
      case Key::kGeoField: geo.field = std::string(v); break;
      case Key::kBbox: {
        GeoBoundingBox b;
        if (!bbox_from_text(v, &b) || !check_bbox(b, "bbox").is_ok()) return false;
        geo.bbox = b;
        break;
      }
      case Key::kSize:
        if (!set(param_whole_number(v, opt.max_window), &r.size)) return false;
        break;
      case Key::kFrom:
        if (!set(param_whole_number(v, opt.max_window), &r.from)) return false;
        break;
      case Key::kTrackTotalHits:
        if (v == "true" || v == "false") r.track_total_hits = v == "true" ? kTrackAllHits : 0;
        else if (!set(param_whole_number(v, INT64_MAX), &r.track_total_hits)) return false;
        break;
      case Key::kSource:
        if (!set(param_boolean(v), &r.source)) return false;
        break;
      case Key::kExplain:
        if (!set(param_boolean(v), &r.explain)) return false;
        break;
      default:
        return false;  // a parameter with more to it: the body's way
    }
  }
  return finish_request(r, geo, false, opt).is_ok();
}

const std::vector<std::pair<std::string, std::string>>& search_key_aliases() { return kRequestKeyAliases; }

}  // namespace meridian::query
