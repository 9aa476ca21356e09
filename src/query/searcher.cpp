// search(): filters, matching sets, top-k, sort, paging, facets, source.
#include "meridian/query/searcher.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <map>
#include <unordered_set>
#include <variant>

#include "facets.h"
#include "block_max.h"
#include "plan.h"
#include "meridian/query/live_query.h"
#include "meridian/query/memory_index.h"
#include "meridian/geo/geo.h"
#include "meridian/index/index.h"
#include "meridian/index/term_key.h"
#include "meridian/query/field_check.h"
#include "meridian/query/filter_cache.h"
#include "meridian/scoring/bm25.h"

namespace meridian::query {

using postings::Bitmap;

namespace {

using SortValue = std::variant<std::monostate, int64_t, double, std::string>;

struct Row {
  std::vector<SortValue> keys;
  double score = 0;
  uint32_t segment = 0, doc = 0;
  std::optional<double> distance_m;
  SortValue group;  // the value of the request's `distinct` field (none: a group of its own)
  plan::SegmentEval::RankValues rank;  // ranking rules: the document's values (kRank keys read them)
};

int cmp_value(const SortValue& a, const SortValue& b) {
  if (a.index() == 3 && b.index() == 3) {
    int c = std::get<3>(a).compare(std::get<3>(b));
    return c < 0 ? -1 : c > 0;
  }
  auto num = [](const SortValue& v) { return v.index() == 1 ? static_cast<double>(std::get<1>(v)) : std::get<2>(v); };
  if (a.index() == 1 && b.index() == 1) return std::get<1>(a) < std::get<1>(b) ? -1 : std::get<1>(a) > std::get<1>(b);
  double x = num(a), y = num(b);
  return x < y ? -1 : x > y;
}

// Negative if a sorts before b.
int compare_rows(const std::vector<SortSpec>& sort, const Row& a, const Row& b) {
  for (size_t i = 0; i < sort.size(); ++i) {
    const SortValue& x = a.keys[i];
    const SortValue& y = b.keys[i];
    bool mx = x.index() == 0, my = y.index() == 0;
    if (mx || my) {
      if (mx && my) continue;
      int c = mx ? 1 : -1;  // missing last
      return sort[i].missing_first ? -c : c;
    }
    int c = cmp_value(x, y);
    if (c) return sort[i].desc ? -c : c;
  }
  if (a.segment != b.segment) return a.segment < b.segment ? -1 : 1;
  if (a.doc != b.doc) return a.doc < b.doc ? -1 : 1;
  return 0;
}

Json to_json_value(const SortValue& v) {
  switch (v.index()) {
    case 1: return Json(std::get<1>(v));
    case 2: return Json(std::get<2>(v));
    case 3: return Json(std::get<3>(v));
    default: return Json();
  }
}

SortValue from_json_value(const Json& j) {
  if (j.is_int()) return j.as_int();
  if (j.is_double()) return j.as_double();
  if (j.is_string()) return j.as_string();
  if (j.is_bool()) return int64_t{j.as_bool() ? 1 : 0};
  return std::monostate{};
}

Status check_sort(const index::Snapshot& snap, const std::vector<SortSpec>& sort) {
  for (size_t i = 0; i < sort.size(); ++i) {
    if (sort[i].kind == SortSpec::Kind::kScore) continue;
    const index::FieldDef* f = snap.schema().find(sort[i].field);
    // The id field sorts by the document id even when the schema does not
    // declare it (then by its string form).
    if (!f && sort[i].kind == SortSpec::Kind::kField && sort[i].field == snap.schema().id_field()) continue;
    if (!f) return Status::invalid("sort[" + std::to_string(i) + "]: unknown field '" + sort[i].field + "'");
    bool geo = f->type == index::FieldType::kGeoPoint;
    if (geo != (sort[i].kind == SortSpec::Kind::kGeoDistance))
      return Status::invalid("sort[" + std::to_string(i) + "]: field '" + sort[i].field + "' is " +
                             std::string(index::field_type_name(f->type)) +
                             (geo ? ": sort it with _geo_distance" : ": _geo_distance needs a geo_point field"));
  }
  return Status::ok();
}

// The int column that sorting by `field` reads in this segment, or null:
// an int/date field's, or for the id field declared int the "_id" one.
const columns::IntColumn* sort_int_column(const index::Segment& seg, const index::Snapshot& snap,
                                          const std::string& field) {
  const index::FieldDef* f = snap.schema().find(field);
  if (field == snap.schema().id_field())
    return f && f->type == index::FieldType::kInt ? seg.columns().int_column(index::kIdField) : nullptr;
  if (!f || (f->type != index::FieldType::kInt && f->type != index::FieldType::kDate)) return nullptr;
  return seg.columns().int_column(field);
}

// Whether sorting one segment's documents by `sort` is their document order
// (+1), its reverse (-1) or neither (0): a single int/date field whose
// column strictly increases with the document number (ids or timestamps
// loaded in order). Then the top k of any match set are its first or last k.
int doc_order(const index::Segment& seg, const index::Snapshot& snap, const std::vector<SortSpec>& sort) {
  if (sort.size() != 1 || sort[0].kind != SortSpec::Kind::kField) return 0;
  const columns::IntColumn* col = sort_int_column(seg, snap, sort[0].field);
  if (!col || !col->strictly_increasing()) return 0;
  return sort[0].desc ? -1 : 1;
}

// The int column of a sort on one int/date field whose every document has
// exactly one value (so no missing or multi-valued keys), or null.
const columns::IntColumn* single_valued_int(const index::Segment& seg, const index::Snapshot& snap,
                                            const std::vector<SortSpec>& sort) {
  if (sort.size() != 1 || sort[0].kind != SortSpec::Kind::kField) return nullptr;
  const columns::IntColumn* col = sort_int_column(seg, snap, sort[0].field);
  const uint32_t n = seg.num_docs();
  if (!col || col->docs_with_value() != n || col->num_values() != n) return nullptr;
  return col;
}

// The key of a row's group: the JSON text of its value; "" when it has none.
std::string group_key(const Row& r) { return r.group.index() == 0 ? std::string() : to_json_value(r.group).dump(); }

// Keeps the first row of each group (rows sorted best first); rows without
// a group value are groups of their own. With `keys`, each kept group's key.
void collapse_distinct(std::vector<Row>* rows, std::vector<std::string>* keys) {
  std::unordered_set<std::string> seen;
  std::erase_if(*rows, [&](const Row& r) {
    if (r.group.index() == 0) return false;
    auto [it, fresh] = seen.insert(group_key(r));
    if (fresh && keys) keys->push_back(*it);
    return !fresh;
  });
}

// The sort columns of one segment, resolved once (not per document): the
// per-document key is then a few column reads.
class SegmentSortKeys {
 public:
  SegmentSortKeys(const index::Segment& seg, const index::Snapshot& snap, const std::vector<SortSpec>& sort) {
    const auto& cols = seg.columns();
    for (const auto& s : sort) {
      Col c;
      c.spec = &s;
      if (s.kind == SortSpec::Kind::kScore) {
        c.kind = Col::kScore;
      } else if (s.kind == SortSpec::Kind::kRank) {
        c.kind = Col::kRank;
        c.rule = s.field == "words" ? &plan::SegmentEval::RankValues::words
                 : s.field == "typo" ? &plan::SegmentEval::RankValues::typo
                 : s.field == "proximity" ? &plan::SegmentEval::RankValues::proximity
                 : s.field == "attribute" ? &plan::SegmentEval::RankValues::attribute
                                          : &plan::SegmentEval::RankValues::exactness;
      } else if (s.kind == SortSpec::Kind::kGeoDistance) {
        c.kind = Col::kGeo;
        c.geo = cols.geo_column(s.field);
      } else if (s.field == snap.schema().id_field()) {
        // The id field is not indexed as a field: its values are the
        // documents' ids. Declared int, they have an int column "_id"
        // (segments written before it: parsed from the keyword column).
        const index::FieldDef* f = snap.schema().find(s.field);
        c.i64 = sort_int_column(seg, snap, s.field);
        c.kw = cols.keyword_column(index::kIdField);
        c.kind = !f || f->type != index::FieldType::kInt ? Col::kKeyword : c.i64 ? Col::kInt : Col::kIdInt;
      } else {
        const index::FieldDef* f = snap.schema().find(s.field);
        if (f && f->type == index::FieldType::kFloat) {
          c.kind = Col::kDouble;
          c.dbl = cols.double_column(s.field);
        } else if (f && (f->type == index::FieldType::kText || f->type == index::FieldType::kKeyword)) {
          c.kind = Col::kKeyword;
          c.kw = cols.keyword_column(s.field);
        } else {
          c.kind = Col::kInt;
          c.i64 = cols.int_column(s.field);
        }
      }
      cols_.push_back(c);
    }
  }

  // Fills r->keys (reusing its storage) and r->distance_m for doc.
  void fill(uint32_t doc, Row* r) const {
    r->keys.resize(cols_.size());
    for (size_t i = 0; i < cols_.size(); ++i) r->keys[i] = key(cols_[i], doc, r);
  }

 private:
  struct Col {
    enum Kind { kScore, kRank, kGeo, kDouble, kKeyword, kInt, kIdInt } kind = kInt;
    const SortSpec* spec = nullptr;
    int plan::SegmentEval::RankValues::*rule = nullptr;  // kRank
    const columns::GeoColumn* geo = nullptr;
    const columns::DoubleColumn* dbl = nullptr;
    const columns::KeywordColumn* kw = nullptr;
    const columns::IntColumn* i64 = nullptr;
  };

  static SortValue key(const Col& c, uint32_t doc, Row* r) {
    const SortSpec& s = *c.spec;
    switch (c.kind) {
      case Col::kScore:
        return r->score;
      case Col::kRank:
        return int64_t{r->rank.*c.rule};
      case Col::kGeo: {
        if (!c.geo || !c.geo->has(doc)) return std::monostate{};
        double best = INFINITY;
        for (size_t i = 0; i < c.geo->count(doc); ++i)
          best = std::min(best, geo::haversine_m({s.origin.lat, s.origin.lon}, {c.geo->lat(doc, i), c.geo->lon(doc, i)}));
        if (!r->distance_m) r->distance_m = best;
        return best / s.unit_m;
      }
      case Col::kDouble: {
        if (!c.dbl || !c.dbl->has(doc)) return std::monostate{};
        double v = c.dbl->value(doc, 0);
        for (size_t i = 1; i < c.dbl->count(doc); ++i)
          v = s.desc ? std::max(v, c.dbl->value(doc, i)) : std::min(v, c.dbl->value(doc, i));
        return v;
      }
      case Col::kKeyword: {
        if (!c.kw || !c.kw->has(doc)) return std::monostate{};
        uint32_t o = c.kw->ord(doc, 0);
        for (size_t i = 1; i < c.kw->count(doc); ++i)
          o = s.desc ? std::max(o, c.kw->ord(doc, i)) : std::min(o, c.kw->ord(doc, i));
        return std::string(c.kw->value_of(o));
      }
      case Col::kIdInt: {
        if (!c.kw || !c.kw->has(doc)) return std::monostate{};
        const std::string_view id = c.kw->value_of(c.kw->ord(doc, 0));
        int64_t v = 0;
        auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), v);
        if (ec != std::errc() || end != id.data() + id.size()) return std::string(id);
        return v;
      }
      case Col::kInt: {
        if (!c.i64 || !c.i64->has(doc)) return std::monostate{};
        int64_t v = c.i64->value(doc, 0);
        for (size_t i = 1; i < c.i64->count(doc); ++i)
          v = s.desc ? std::max(v, c.i64->value(doc, i)) : std::min(v, c.i64->value(doc, i));
        return v;
      }
    }
    return std::monostate{};
  }

  std::vector<Col> cols_;
};

// Smallest distance from `origin` to the document's points of `field`.
std::optional<double> min_distance_m(const index::Segment& seg, const std::string& field, const GeoPoint& origin,
                                     uint32_t doc) {
  const auto* gc = seg.columns().geo_column(field);
  if (!gc || !gc->has(doc)) return std::nullopt;
  double best = INFINITY;
  for (size_t i = 0; i < gc->count(doc); ++i)
    best = std::min(best, geo::haversine_m({origin.lat, origin.lon}, {gc->lat(doc, i), gc->lon(doc, i)}));
  return best;
}

// weight * decay(distance); a document without a point keeps `weight`.
double decay_factor(const index::Segment& seg, const GeoDecay& g, uint32_t doc) {
  auto d = min_distance_m(seg, g.field, g.origin, doc);
  return g.weight * (d ? geo::decay(g.function, *d, g.scale_m, g.offset_m, g.decay) : 1.0);
}

Status check_geo_decay(const index::Snapshot& snap, const std::optional<GeoDecay>& g) {
  if (!g) return Status::ok();
  const index::FieldDef* f = snap.schema().find(g->field);
  if (!f) return Status::invalid("geo_decay.field: unknown field '" + g->field + "'");
  if (f->type != index::FieldType::kGeoPoint)
    return Status::invalid("geo_decay.field: field '" + g->field + "' is " +
                           std::string(index::field_type_name(f->type)) + ", expected geo_point");
  return Status::ok();
}

Json explain_decay(Json query_explanation, const index::Segment& seg, const GeoDecay& g, uint32_t doc, double score) {
  Json factor = Json::object();
  factor.set("value", decay_factor(seg, g, doc));
  factor.set("description", "weight * decay(distance_m)");
  if (auto d = min_distance_m(seg, g.field, g.origin, doc)) factor.set("distance_m", *d);
  Json details = Json::array();
  details.push(std::move(query_explanation));
  details.push(std::move(factor));
  Json e = Json::object();
  e.set("value", score);
  e.set("description", "query score * weight * distance decay on " + g.field);
  e.set("details", std::move(details));
  return e;
}

Json filter_source(const Json& src, const std::vector<std::string>& fields) {
  if (fields.empty() || !src.is_object()) return src;
  Json out = Json::object();
  for (const auto& f : fields) {
    const Json* v = &src;
    size_t start = 0;
    std::vector<std::string> parts;
    while (true) {
      size_t dot = f.find('.', start);
      parts.push_back(f.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    for (const auto& p : parts) {
      v = v ? v->find(p) : nullptr;
    }
    if (!v) continue;
    Json* dst = &out;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      Json* next = dst->find(parts[i]);
      if (!next || !next->is_object()) next = &dst->set(parts[i], Json::object());
      dst = next;
    }
    dst->set(parts.back(), *v);
  }
  return out;
}

}  // namespace

// The attribute rank of each field a q search searched: by weight, the
// heaviest 0, equal weights equal ranks ("*" is every text field).
static std::map<std::string, int> attribute_ranks(const index::Snapshot& snap, const std::vector<FieldBoost>& fields) {
  std::map<std::string, double> weight;
  for (const auto& fb : fields) {
    if (fb.field != "*") {
      weight[fb.field] = std::max(weight[fb.field], fb.boost);
      continue;
    }
    for (const auto& [name, def] : snap.schema().fields())
      if (def.type == index::FieldType::kText) weight[name] = std::max(weight[name], fb.boost);
  }
  std::vector<double> distinct;
  for (const auto& [f, w] : weight) distinct.push_back(w);
  std::sort(distinct.begin(), distinct.end(), std::greater<>());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  std::map<std::string, int> out;
  for (const auto& [f, w] : weight)
    out[f] = static_cast<int>(std::find(distinct.begin(), distinct.end(), w) - distinct.begin());
  return out;
}

// search() for one query (the request's, or its relaxed one).
static Result<SearchResponse> search_one(const index::Snapshot& snap, const SearchRequest& req, const Query& query,
                                  const SearchOptions& opt) {
  auto t0 = std::chrono::steady_clock::now();
  if (req.from + req.size > opt.max_window)
    return Status::invalid("from + size (" + std::to_string(req.from + req.size) +
                           ") must not exceed the result window max_window = " + std::to_string(opt.max_window) +
                           "; use search_after to page deeper");
  MERIDIAN_RETURN_IF_ERROR(check_request_fields(opt.schema ? *opt.schema : snap.schema(), req));
  MERIDIAN_RETURN_IF_ERROR(check_sort(snap, req.sort));
  MERIDIAN_RETURN_IF_ERROR(check_facets(snap, req.facets));
  MERIDIAN_RETURN_IF_ERROR(check_geo_decay(snap, req.geo_decay));
  const GeoDecay* decay = req.geo_decay ? &*req.geo_decay : nullptr;
  plan::CompileOptions co;
  co.bm25 = {opt.k1, opt.b};
  co.max_expansions = opt.max_expansions;
  co.max_pattern_terms = opt.max_pattern_terms;
  MERIDIAN_ASSIGN_OR_RETURN(plan::Compiled compiled, plan::compile(snap, query, co));
  const bool ranked = !req.ranking.empty();
  bool need_proximity = false, need_attribute = false;
  for (const auto& s : req.ranking) {
    need_proximity |= s.kind == SortSpec::Kind::kRank && s.field == "proximity";
    need_attribute |= s.kind == SortSpec::Kind::kRank && s.field == "attribute";
  }
  std::vector<plan::Compiled> filters;
  std::vector<std::string> filter_keys;
  for (const auto& f : req.filters) {
    MERIDIAN_ASSIGN_OR_RETURN(plan::Compiled c, plan::compile(snap, f, co));
    filters.push_back(std::move(c));
    filter_keys.push_back(to_string(f));
  }
  std::vector<SortSpec> sort = ranked ? req.ranking : req.sort;
  if (sort.empty()) sort.push_back(SortSpec{});
  // distinct: every match becomes a row, the rows are sorted, then the best
  // of each group is kept (collapse_distinct).
  const bool distinct = !req.distinct.empty();
  const std::vector<SortSpec> group_spec = {SortSpec{SortSpec::Kind::kField, req.distinct, false}};
  const bool by_score = !distinct && sort.size() == 1 && sort[0].kind == SortSpec::Kind::kScore;
  bool need_scores = false;
  for (const auto& s : sort) need_scores |= s.kind == SortSpec::Kind::kScore;

  std::optional<Row> after;
  bool after_inclusive = false;  // the cursor is (values, segment 0, doc 0) and includes it
  if (req.search_after) {
    if (!req.search_after->is_array() || req.search_after->size() != sort.size() + 1)
      return Status::invalid("search_after: expected the " + std::to_string(sort.size() + 1) +
                             " values of a hit's \"sort\" (the sort keys and the tiebreaker)");
    Row r;
    const auto& a = req.search_after->as_array();
    for (size_t i = 0; i < sort.size(); ++i) r.keys.push_back(from_json_value(a[i]));
    if (!a.back().is_int()) return Status::invalid("search_after: the last value must be the integer tiebreaker");
    if (a.back().as_int() < 0) {
      // Before every hit with these sort values (a clustered index's router
      // asks this of the shards after the cursor's shard).
      after_inclusive = true;
    } else {
      uint64_t tb = static_cast<uint64_t>(a.back().as_int());
      r.segment = static_cast<uint32_t>(tb >> 32);
      r.doc = static_cast<uint32_t>(tb & 0xffffffffu);
    }
    after = std::move(r);
  }

  SearchResponse resp;
  FacetCollector facets(snap, req.facets);
  const size_t k = req.from + req.size;
  scoring::TopK topk(k);
  std::vector<Row> rows;
  std::vector<std::unique_ptr<plan::SegmentEval>> evals(snap.segments().size());
  // Top-k by score of a pure disjunction with no count and no facets asked:
  // the query runs lazily (block_max.h) and no bitmap of it is built, only
  // the filters' (cached). The total is then only "some" or "none".
  const bool lazy = by_score && k > 0 && req.track_total_hits == 0 && req.facets.empty() && !opt.exhaustive &&
                    plan::Disjunction::supports(compiled.root);
  bool lazy_matched = false;

  for (size_t si = 0; si < snap.segments().size(); ++si) {
    const auto& sv = snap.segments()[si];
    auto ev = std::make_unique<plan::SegmentEval>(snap, si, compiled);
    // A match_all query under filters is the identity of the intersection:
    // it is not built (one full container per 65,536 documents) and the
    // filters alone give the matches.
    const bool implied_all = ev->matches_all() && !filters.empty();
    MERIDIAN_RETURN_IF_ERROR(lazy ? ev->open_terms() : ev->prepare(!implied_all));
    std::vector<std::shared_ptr<const Bitmap>> held;  // the filters' cached bitmaps
    std::vector<const Bitmap*> parts;
    if (!implied_all && !lazy) parts.push_back(&ev->docs());
    bool empty = !parts.empty() && parts[0]->is_empty();
    for (size_t fi = 0; fi < filters.size() && !empty; ++fi) {
      std::string key = std::to_string(sv.segment->id()) + "|" + filter_keys[fi];
      auto cached = filter_cache().get(key, sv.segment.get());
      if (!cached) {
        plan::SegmentEval fe(snap, si, filters[fi]);
        MERIDIAN_RETURN_IF_ERROR(fe.prepare());
        cached = std::make_shared<Bitmap>(fe.take_docs());
        filter_cache().put(key, sv.segment, cached);
      }
      empty = cached->is_empty();
      parts.push_back(cached.get());
      held.push_back(std::move(cached));
    }
    Bitmap match;
    if (!lazy) {
      match = empty ? Bitmap() : Bitmap::and_many(parts);
      if (sv.deletes) match.andnot_inplace(*sv.deletes);
      resp.total += match.cardinality();
      facets.add(si, match);
    }
    const uint32_t seg = static_cast<uint32_t>(si);
    auto after_ok = [&](const Row& r) { return distinct || !after || compare_rows(sort, r, *after) > (after_inclusive ? -1 : 0); };
    if (by_score) {
      auto offer = [&](uint32_t d, double s) {
        if (decay) s *= decay_factor(*sv.segment, *decay, d);
        if (after && !after_ok(Row{{s}, s, seg, d, {}})) return;  // a row only to compare with the cursor
        topk.push({s, seg, d});
      };
      // With a decay (<= 1) times weight, a query score must beat threshold / weight.
      auto threshold = [&] { return decay ? topk.threshold() / decay->weight : topk.threshold(); };
      if (lazy && !empty) {
        auto dj = plan::Disjunction::build(*ev, true);
        if (!dj) return Status::internal("a lazy disjunction could not be built");
        const Bitmap* deletes = sv.deletes ? sv.deletes.get() : nullptr;
        const std::function<bool(uint32_t)> admit = [&](uint32_t d) {
          for (const Bitmap* f : parts)
            if (!f->contains(d)) return false;
          return !deletes || !deletes->contains(d);
        };
        const uint64_t n = plan::max_score(*dj, parts.empty() && !deletes ? nullptr : &admit, threshold, offer);
        resp.docs_scored += n;
        lazy_matched |= n > 0;
      } else if (!lazy && k > 0) {
        // Without filters or deletes the matches are the query's own: the
        // disjunction's cursors need no membership test.
        const bool match_is_query = !implied_all && filters.empty() && !sv.deletes;
        resp.docs_scored += plan::collect_top_k(*ev, match, match_is_query, opt.exhaustive, threshold, offer);
      }
    } else if ((k > 0 || distinct) && !match.is_empty()) {
      // The attribute rule's field ranks, once, when a document is ranked.
      if (need_attribute && compiled.attribute_rank.empty())
        compiled.attribute_rank = attribute_ranks(snap, req.rank_fields);
      // Bounded heap of the k best rows, worst on top; one scratch row is
      // refilled per document and copied in only when it qualifies.
      SegmentSortKeys keys(*sv.segment, snap, sort);
      std::optional<SegmentSortKeys> group_keys;
      if (distinct) group_keys.emplace(*sv.segment, snap, group_spec);
      Row group_row;
      auto worse = [&](const Row& a, const Row& b) { return compare_rows(sort, a, b) < 0; };
      Row r;
      auto offer = [&](uint32_t d) {
        r.segment = seg;
        r.doc = d;
        r.distance_m.reset();
        r.score = need_scores ? ev->score(d) * (decay ? decay_factor(*sv.segment, *decay, d) : 1.0) : NAN;
        if (ranked) {
          // Proximity reads positions: first rank with its best value (0),
          // and read them only when the document could still enter.
          ev->rank(d, false, &r.rank);
          keys.fill(d, &r);
          if (need_proximity) {
            if (!distinct && rows.size() >= k && !worse(r, rows.front())) return true;
            ev->rank(d, true, &r.rank);
            keys.fill(d, &r);
          }
        } else {
          keys.fill(d, &r);
        }
        if (!after_ok(r)) return true;
        if (group_keys) {
          group_keys->fill(d, &group_row);
          r.group = group_row.keys[0];
        }
        if (distinct || rows.size() < k) {
          rows.push_back(r);
          std::push_heap(rows.begin(), rows.end(), worse);
        } else if (worse(r, rows.front())) {
          std::pop_heap(rows.begin(), rows.end(), worse);
          rows.back() = r;
          std::push_heap(rows.begin(), rows.end(), worse);
        }
        return true;
      };
      if (distinct) {
        match.for_each(offer);
      } else if (const int dir = after ? 0 : doc_order(*sv.segment, snap, sort)) {
        // The sort is document order (or its reverse) here: the segment's
        // best k are its first (last) k matches.
        const uint64_t n = match.cardinality();
        for (uint64_t j = 0; j < std::min<uint64_t>(k, n); ++j)
          if (auto d = match.select(dir > 0 ? j : n - 1 - j)) offer(*d);
      } else if (const columns::IntColumn* col = after ? nullptr : single_valued_int(*sv.segment, snap, sort)) {
        // One int key with a value for every document: a heap of plain
        // (value, doc) pairs, then only the segment's best k become rows.
        // Documents come in ascending order and ties keep the lower doc, so
        // a later document must be strictly better to enter.
        const bool desc = sort[0].desc;
        auto better = [desc](const std::pair<int64_t, uint32_t>& a, const std::pair<int64_t, uint32_t>& b) {
          return desc ? (a.first > b.first || (a.first == b.first && a.second < b.second))
                      : (a.first < b.first || (a.first == b.first && a.second < b.second));
        };
        std::vector<std::pair<int64_t, uint32_t>> best;  // heap, the worst on top
        best.reserve(k);
        match.for_each([&](uint32_t d) {
          const std::pair<int64_t, uint32_t> e{col->value(d), d};
          if (best.size() < k) {
            best.push_back(e);
            std::push_heap(best.begin(), best.end(), better);
          } else if (desc ? e.first > best.front().first : e.first < best.front().first) {
            std::pop_heap(best.begin(), best.end(), better);
            best.back() = e;
            std::push_heap(best.begin(), best.end(), better);
          }
          return true;
        });
        for (const auto& e : best) offer(e.second);
      } else {
        match.for_each(offer);
      }
    }
    evals[si] = std::move(ev);
  }

  if (by_score) {
    for (const auto& s : topk.take_sorted()) rows.push_back(Row{{s.score}, s.score, s.segment, s.doc, {}});
  } else {
    std::sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) { return compare_rows(sort, a, b) < 0; });
  }
  if (distinct) {
    collapse_distinct(&rows, opt.distinct_groups ? &resp.groups : nullptr);
    resp.total = rows.size();
    if (opt.distinct_groups) resp.ungrouped = resp.total - resp.groups.size();
    if (opt.distinct_check && after) {
      // Rows are each group's best: a group is before the cursor when its best is.
      const std::unordered_set<std::string> asked(opt.distinct_check->begin(), opt.distinct_check->end());
      for (const Row& r : rows)
        if (r.group.index() != 0 && compare_rows(sort, r, *after) <= (after_inclusive ? -1 : 0))
          if (std::string key = group_key(r); asked.contains(key)) resp.groups_before.push_back(std::move(key));
    }
    if (after) std::erase_if(rows, [&](const Row& r) { return compare_rows(sort, r, *after) <= (after_inclusive ? -1 : 0); });
    if (rows.size() > k) rows.resize(k);
  }
  if (lazy) {
    resp.total = 0;
    resp.total_is_lower_bound = lazy_matched;
  }
  if (opt.track_total_hits < resp.total && req.track_total_hits < resp.total) {
    resp.total = std::min<uint64_t>(opt.track_total_hits, req.track_total_hits);
    resp.total_is_lower_bound = true;
  } else if (req.track_total_hits < resp.total) {
    resp.total = req.track_total_hits;
    resp.total_is_lower_bound = true;
  }

  // Page, then fetch (re-scoring explain needs fresh evaluators: cursors move forward only).
  for (size_t i = req.from; i < rows.size(); ++i) {
    const Row& r = rows[i];
    const auto& seg = *snap.segments()[r.segment].segment;
    Hit h;
    h.id = seg.external_id(r.doc);
    h.score = r.score;
    h.segment = r.segment;
    h.doc = r.doc;
    h.distance_m = r.distance_m;
    if (distinct) h.group = group_key(r);
    if (decay && !h.distance_m) h.distance_m = min_distance_m(seg, decay->field, decay->origin, r.doc);
    h.sort = Json::array();
    for (const auto& kv : r.keys) h.sort.push(to_json_value(kv));
    h.sort.push(Json(static_cast<int64_t>((uint64_t{r.segment} << 32) | r.doc)));
    if (req.source || req.highlight) {  // the stored document is read only when something shows it
      MERIDIAN_ASSIGN_OR_RETURN(std::string src, seg.store().get(r.doc));
      auto parsed = parse_json(src);
      if (!parsed) return Status::corruption("stored source of '" + h.id + "': " + parsed.status().message());
      if (req.highlight) h.highlight = highlight(snap, compiled.highlight_terms, *req.highlight, *parsed);
      if (req.source) h.source = filter_source(*parsed, req.fields);
    }
    if (req.explain) {
      plan::SegmentEval fresh(snap, r.segment, compiled);
      MERIDIAN_RETURN_IF_ERROR(fresh.prepare());
      h.explanation = fresh.explain(r.doc);
      if (decay) h.explanation = explain_decay(std::move(h.explanation), seg, *decay, r.doc, h.score);
    }
    resp.hits.push_back(std::move(h));
  }
  resp.facets = facets.finish();
  resp.took_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return resp;
}

Result<SearchResponse> search(const index::Snapshot& snap, const SearchRequest& req, const SearchOptions& opt) {
  MERIDIAN_ASSIGN_OR_RETURN(SearchResponse strict, search_one(snap, req, req.query, opt));
  // Matching strategy `last`: too few hits with every word, so words are
  // dropped from the end.
  // The page decides (not the total), so that paging with search_after
  // relaxes on the page where the hits with every word run out.
  if (!req.relaxed_query || strict.hits.size() >= req.size) return strict;
  MERIDIAN_ASSIGN_OR_RETURN(SearchResponse relaxed, search_one(snap, req, *req.relaxed_query, opt));
  relaxed.took_ms += strict.took_ms;
  return relaxed;
}

Json to_json(const SearchResponse& r) {
  Json out = Json::object();
  Json total = Json::object();
  total.set("value", r.total);
  total.set("relation", r.total_is_lower_bound ? "gte" : "eq");
  out.set("total", std::move(total));
  Json hits = Json::array();
  for (const auto& h : r.hits) {
    Json j = Json::object();
    j.set("id", h.id);
    j.set("score", std::isnan(h.score) ? Json() : Json(h.score));
    if (!h.source.is_null()) j.set("source", h.source);  // null: the request said "source": false
    if (h.distance_m) j.set("distance_m", *h.distance_m);
    if (!h.highlight.is_null()) j.set("highlight", h.highlight);
    if (h.sort.is_array() && h.sort.size() > 0) j.set("sort", h.sort);
    if (!h.explanation.is_null()) j.set("explanation", h.explanation);
    hits.push(std::move(j));
  }
  out.set("hits", std::move(hits));
  out.set("facets", r.facets.is_null() ? Json::object() : r.facets);
  out.set("took_ms", r.took_ms);
  return out;
}

Result<bool> matches(const index::Snapshot& snap, const SearchRequest& req, std::string_view source_json) {
  MERIDIAN_ASSIGN_OR_RETURN(MemoryIndex doc, MemoryIndex::from_source(snap.schema_ptr(), source_json));
  MERIDIAN_ASSIGN_OR_RETURN(auto live, LiveQuery::compile(snap.schema_ptr(), req));
  return live->matches(doc);
}

}  // namespace meridian::query
