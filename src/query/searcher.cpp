// search(): filters, matching sets, top-k, sort, paging, facets, source.
#include "meridian/query/searcher.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>
#include <type_traits>
#include <unordered_set>
#include <variant>

#include "block_max.h"
#include "collectors.h"
#include "facets.h"
#include "plan.h"
#include "sort_keys.h"
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

// A row's sort values as a hit shows them ("sort"): the sort's keys, then
// the tiebreaker; a row by score has the score as its one key.
static Json sort_json(const Row& r) {
  Json::Array sort;
  sort.reserve(r.keys.size() + 1);
  for (const auto& kv : r.keys) sort.push_back(to_json_value(kv));
  sort.emplace_back(static_cast<int64_t>(r.order));
  return Json(std::move(sort));
}
static Json sort_json(const ScoredRow& r) {
  Json::Array sort;
  sort.reserve(2);
  sort.emplace_back(r.score);
  sort.emplace_back(static_cast<int64_t>(r.order));
  return Json(std::move(sort));
}
static std::optional<double> row_distance(const Row& r) { return r.distance_m; }
static std::optional<double> row_distance(const ScoredRow&) { return std::nullopt; }

// The page of hits (rows from req.from on): ids, sort values with the
// tiebreaker, distances, and what the request shows of each stored document
// (source, highlights, explanation). R is Row or ScoredRow.
template <typename R>
static Status fetch_hits(const index::Snapshot& snap, const SearchRequest& req, const plan::Compiled& compiled,
                         const GeoDecay* decay, const std::vector<R>& rows, SearchResponse* resp) {
  const bool distinct = !req.distinct.empty();
  if (rows.size() > req.from) resp->hits.reserve(resp->hits.size() + rows.size() - req.from);
  // Each segment's id column, looked up by name once, not per hit
  // (Segment::external_id); nullopt until then.
  std::vector<std::optional<const columns::KeywordColumn*>> id_cols(snap.segments().size());
  for (size_t i = req.from; i < rows.size(); ++i) {
    const R& r = rows[i];
    const auto& seg = *snap.segments()[r.segment].segment;
    Hit& h = resp->hits.emplace_back();  // filled in place (a Hit is large to move)
    if (!id_cols[r.segment]) id_cols[r.segment] = seg.columns().keyword_column(index::kIdField);
    if (const columns::KeywordColumn* ids = *id_cols[r.segment]; ids && ids->count(r.doc) > 0)
      h.id = ids->value_of(ids->ord(r.doc));
    h.score = r.score;
    h.segment = r.segment;
    h.doc = r.doc;
    h.distance_m = row_distance(r);
    if constexpr (std::is_same_v<R, Row>)
      if (distinct) h.group = group_key(r);
    if (decay && !h.distance_m) h.distance_m = min_distance_m(seg, decay->field, decay->origin, r.doc);
    h.sort = sort_json(r);
    if (req.source || req.highlight) {  // the stored document is read only when something shows it
      MERIDIAN_ASSIGN_OR_RETURN(std::string src, seg.store().get(r.doc));
      auto parsed = parse_json(src);
      if (!parsed) return Status::corruption("stored source of '" + h.id + "': " + parsed.status().message());
      if (req.highlight) h.highlight = highlight(snap, compiled.highlight_terms, *req.highlight, *parsed);
      if (req.source) h.source = filter_source(*parsed, req.fields);
    }
    if (req.explain) {
      // Fresh evaluators: cursors move forward only.
      plan::SegmentEval fresh(snap, r.segment, compiled);
      MERIDIAN_RETURN_IF_ERROR(fresh.prepare());
      h.explanation = fresh.explain(r.doc);
      if (decay) h.explanation = explain_decay(std::move(h.explanation), seg, *decay, r.doc, h.score);
    }
  }
  return Status::ok();
}

// The filter cache's key of a filter: its canonical text (to_string), except
// for a geo radius or box, the usual filter of a map search, whose four
// numbers to_string would format (~2,500 instructions per request): their
// bytes after the field. The first byte (never one to_string starts with)
// tells the two kinds from each other and from text, and the numbers' fixed
// width makes the field's end unambiguous.
static std::string filter_key(const Query& f) {
  auto append = [](std::string* k, std::initializer_list<double> vals) {
    for (double d : vals) k->append(reinterpret_cast<const char*>(&d), sizeof d);
  };
  if (const auto* g = std::get_if<GeoDistance>(&f.node)) {
    std::string k(1, '\x01');
    k += g->field;
    append(&k, {g->lat, g->lon, g->distance_m, g->boost});
    return k;
  }
  if (const auto* b = std::get_if<GeoBoundingBox>(&f.node)) {
    std::string k(1, '\x02');
    k += b->field;
    append(&k, {b->top, b->left, b->bottom, b->right, b->boost});
    return k;
  }
  return to_string(f);
}

// A geo radius or box filter (filter_key's first byte): not kept in the
// filter cache when it matched at most kUncachedGeoAtMost documents.
static bool is_geo_key(std::string_view key) { return !key.empty() && (key[0] == '\x01' || key[0] == '\x02'); }

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
  co.skip_absent_terms = !opt.look_up_absent_terms;  // evaluated on snap alone
  plan::Compiled compiled;
  MERIDIAN_RETURN_IF_ERROR(plan::compile(snap, query, co, &compiled));
  const bool ranked = !req.ranking.empty();
  bool need_proximity = false, need_attribute = false;
  for (const auto& s : req.ranking) {
    need_proximity |= s.kind == SortSpec::Kind::kRank && std::string_view(s.field) == "proximity";
    need_attribute |= s.kind == SortSpec::Kind::kRank && std::string_view(s.field) == "attribute";
  }
  std::vector<plan::Compiled> filters;
  std::vector<std::string> filter_keys;
  filters.reserve(req.filters.size());
  filter_keys.reserve(req.filters.size());
  for (const auto& f : req.filters) {
    MERIDIAN_RETURN_IF_ERROR(plan::compile(snap, f, co, &filters.emplace_back()));
    filter_keys.push_back(filter_key(f));
  }
  static const std::vector<SortSpec> kByScore = {SortSpec{}};
  const std::vector<SortSpec>& given = ranked ? req.ranking : req.sort;
  const std::vector<SortSpec>& sort = given.empty() ? kByScore : given;  // read, not copied
  // distinct: every match becomes a row, the rows are sorted, then the best
  // of each group is kept (page_distinct).
  const bool distinct = !req.distinct.empty();
  const bool by_score = !distinct && sort.size() == 1 && sort[0].kind == SortSpec::Kind::kScore;
  bool need_scores = false;
  for (const auto& s : sort) need_scores |= s.kind == SortSpec::Kind::kScore;
  MERIDIAN_ASSIGN_OR_RETURN(std::optional<Cursor> cursor, parse_cursor(req.search_after, sort));
  const Cursor* after = cursor ? &*cursor : nullptr;

  SearchResponse resp;
  const size_t k = req.from + req.size;
  HitCount count;
  FacetCollector facets(snap, req.facets);
  TopScoreCollector top_score(k, decay, sort, after);
  TopFieldCollector top_field(snap, sort,
                              {.k = k, .after = after, .distinct = distinct ? &req.distinct : nullptr,
                               .need_scores = need_scores, .ranked = ranked, .need_proximity = need_proximity,
                               .decay = decay});
  // Top-k by score of words and phrases under disjunctions and
  // conjunctions (LazyScorer::supports), with no count and no facets asked:
  // the query runs lazily (block_max.h) and no bitmap of it is built, only
  // the filters' (cached). The total is then only "some" or "none".
  const bool lazy = by_score && k > 0 && req.track_total_hits == 0 && req.facets.empty() && !opt.exhaustive &&
                    plan::LazyScorer::supports(compiled.root);

  std::string key;  // a filter's cache key in one segment, its buffer reused
  for (size_t si = 0; si < snap.segments().size(); ++si) {
    const auto& sv = snap.segments()[si];
    const uint32_t seg = static_cast<uint32_t>(si);
    plan::SegmentEval ev(snap, si, compiled);
    // A match_all query under filters is the identity of the intersection:
    // it is not built (one full container per 65,536 documents) and the
    // filters alone give the matches.
    const bool implied_all = ev.matches_all() && !filters.empty();
    MERIDIAN_RETURN_IF_ERROR(lazy ? ev.open_terms() : ev.prepare(!implied_all));
    std::vector<std::shared_ptr<const Bitmap>> held;  // the filters' cached bitmaps
    std::vector<const Bitmap*> parts;
    if (!implied_all && !lazy) parts.push_back(&ev.docs());
    bool empty = !parts.empty() && parts[0]->is_empty();
    for (size_t fi = 0; fi < filters.size() && !empty; ++fi) {
      // The filter's key, then the segment id's 8 bytes (fixed width: no
      // two (key, segment) pairs give one string).
      const uint64_t seg_id = sv.segment->id();
      key.reserve(filter_keys[fi].size() + sizeof seg_id);  // one allocation, not two
      key.assign(filter_keys[fi]).append(reinterpret_cast<const char*>(&seg_id), sizeof seg_id);
      auto cached = filter_cache().get(key, sv.segment.get());
      if (!cached) {
        MERIDIAN_ASSIGN_OR_RETURN(Bitmap docs, plan::SegmentEval::filter_docs(snap, si, filters[fi]));
        const bool keep = !(is_geo_key(key) && docs.cardinality() <= kUncachedGeoAtMost);
        cached = std::make_shared<Bitmap>(std::move(docs));
        if (keep) filter_cache().put(key, sv.segment, cached);
      }
      empty = cached->is_empty();
      parts.push_back(cached.get());
      held.push_back(std::move(cached));
    }
    if (lazy) {
      if (empty) continue;
      const Bitmap* deletes = sv.deletes ? sv.deletes.get() : nullptr;
      const std::function<bool(uint32_t)> admit = [&](uint32_t d) {
        for (const Bitmap* f : parts)
          if (!f->contains(d)) return false;
        return !deletes || !deletes->contains(d);
      };
      MERIDIAN_ASSIGN_OR_RETURN(uint64_t n,
                                top_score.collect_lazy(*sv.segment, seg, ev, parts.empty() && !deletes ? nullptr : &admit));
      resp.docs_scored += n;
      if (n > 0) count.add_some();
      continue;
    }
    // One part and no deletes: that bitmap itself (the query's, or a
    // filter's, held above), not a copy.
    Bitmap own;
    const Bitmap* mp = &own;
    if (!empty && parts.size() == 1 && !sv.deletes) {
      mp = parts[0];
    } else {
      if (!empty) own = Bitmap::and_many(parts);
      if (sv.deletes) own.andnot_inplace(*sv.deletes);
    }
    const Bitmap& match = *mp;
    count.add(match.cardinality());
    facets.add(si, match);
    if (by_score) {
      // Without filters or deletes the matches are the query's own: the
      // lazy scorer's cursors need no membership test.
      const bool match_is_query = !implied_all && filters.empty() && !sv.deletes;
      if (k > 0) resp.docs_scored += top_score.collect(*sv.segment, seg, ev, match, match_is_query, opt.exhaustive);
    } else {
      // The attribute rule's field ranks, once, when a document is ranked.
      if (need_attribute && compiled.attribute_rank.empty() && !match.is_empty())
        compiled.attribute_rank = attribute_ranks(snap, req.rank_fields);
      top_field.collect(seg, ev, match);
    }
  }

  if (by_score) {
    count.finish(lazy, req.track_total_hits, opt.track_total_hits, &resp);
    MERIDIAN_RETURN_IF_ERROR(fetch_hits(snap, req, compiled, decay, top_score.take_sorted(), &resp));
  } else {
    std::vector<Row> rows = top_field.take_sorted();
    if (distinct) page_distinct(&rows, sort, after, k, opt, &count, &resp);
    count.finish(lazy, req.track_total_hits, opt.track_total_hits, &resp);
    MERIDIAN_RETURN_IF_ERROR(fetch_hits(snap, req, compiled, decay, rows, &resp));
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
  if (!r.suggest.is_null()) out.set("suggest", r.suggest);
  return out;
}

Result<bool> matches(const index::Snapshot& snap, const SearchRequest& req, std::string_view source_json) {
  MERIDIAN_ASSIGN_OR_RETURN(MemoryIndex doc, MemoryIndex::from_source(snap.schema_ptr(), source_json));
  MERIDIAN_ASSIGN_OR_RETURN(auto live, LiveQuery::compile(snap.schema_ptr(), req));
  return live->matches(doc);
}

}  // namespace meridian::query
