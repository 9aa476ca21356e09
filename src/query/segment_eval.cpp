// Per-segment evaluation of a compiled query: bitmaps, scores, MaxScore groups.
#include <algorithm>
#include <optional>

#include "meridian/base/date.h"
#include "meridian/geo/geo.h"
#include "meridian/index/term_key.h"
#include "meridian/termdict/automaton_walk.h"
#include "meridian/termdict/regex.h"
#include "meridian/termdict/wildcard.h"
#include "geo_filter.h"
#include "plan.h"
#include "word_expansion.h"
#include "term_walk.h"

namespace meridian::query::plan {

using postings::Bitmap;

SegmentEval::SegmentEval(const index::Snapshot& snap, size_t seg_index, const Compiled& c)
    : snap_(snap), seg_index_(seg_index), sv_(snap.segments()[seg_index]), c_(c) {
  bitmaps_.resize(c.num_nodes);
  terms_.resize(c.num_nodes);
  slots_.resize(c.num_nodes);
}

SegmentEval::~SegmentEval() = default;

const std::vector<WeightedTerm>& SegmentEval::expand_here(const Node& n) {
  if (expanded_.empty()) expanded_.resize(c_.num_nodes);  // once, before any TermState points into it
  auto& out = expanded_[n.id];
  out.clear();
  const index::Segment& seg = *sv_.segment;
  if (n.k == Node::K::kPhrase) {  // the last slot: its word, then its completions here
    const WeightedTerm& word = n.slots.back()[0];
    out.push_back(word);
    std::map<std::string, int> pre;
    if (Status st = expand_terms(seg, n.field, *n.phrase_prefix, n.phrase_prefix_limit, &pre); !st.is_ok())
      expand_status_ = st;
    const std::string_view token = std::string_view(word.key).substr(word.key.find('\0') + 1);
    WeightedTerm base = word;  // the word's weight; its lookups and absence are not the completions'
    base.refs.clear();
    base.absent = false;  // a completion is in this segment's dictionary
    for (const auto& [t, e] : pre) {
      if (t == token) continue;
      WeightedTerm& w = out.emplace_back(base);
      w.key = index::term_key(n.field, t);
    }
    return out;
  }
  const DeferredWord& d = *n.deferred;
  std::map<std::string, int> found;
  FoundWords words;
  WordExpansion x;
  if (Status st = expand_in_segment(seg, d.word->w, d.word->automata, &x); !st.is_ok()) expand_status_ = st;
  finish_expansion(d.word->w, std::move(x), &found, &words);
  out = word_terms(snap_, c_.bm25, n.field, d.token, std::move(found), &words, d.max_expansions, d.boost, nullptr);
  return out;
}

Result<Bitmap> SegmentEval::filter_docs(const index::Snapshot& snap, size_t seg_index, const Compiled& c) {
  if (c.root.k == Node::K::kLeaf)  // build()'s kLeaf case
    return eval_leaf(snap, *snap.segments()[seg_index].segment, c.root, c.max_pattern_terms);
  SegmentEval ev(snap, seg_index, c);
  MERIDIAN_RETURN_IF_ERROR(ev.prepare());
  return ev.take_docs();
}

Status SegmentEval::prepare(bool materialize_all) {
  if (!materialize_all && matches_all()) return Status::ok();
  MERIDIAN_RETURN_IF_ERROR(build(c_.root));
  return expand_status_;
}

Result<std::unique_ptr<SegmentEval::TermState>> SegmentEval::open_term(const WeightedTerm& w) {
  auto ts = std::make_unique<TermState>();
  ts->w = &w;
  if (w.absent) return ts;  // in no segment (CompileOptions::skip_absent_terms)
  const index::Segment& seg = *sv_.segment;
  // Looked up while compiling (WeightedTerm::refs), or now.
  const auto* ref = seg_index_ < w.refs.size() && w.refs[seg_index_] ? &*w.refs[seg_index_] : nullptr;
  if (ref && ref->segment_id == seg.id()) {
    MERIDIAN_ASSIGN_OR_RETURN(ts->tp, seg.postings_at(*ref));
  } else {
    MERIDIAN_ASSIGN_OR_RETURN(ts->tp, seg.postings_for(w.key));
  }
  // open_terms(): the LazyScorer opens its own cursors.
  if (ts->tp && !lazy_) ts->cur = std::make_unique<postings::PostingCursor>(ts->tp->cursor());
  return ts;
}

Status SegmentEval::open_terms() {
  lazy_ = true;
  MERIDIAN_RETURN_IF_ERROR(open_node(c_.root));
  return expand_status_;
}

Status SegmentEval::open_node(const Node& n) {
  switch (n.k) {
    case Node::K::kWord:
      for (const auto& w : n.deferred ? expand_here(n) : n.terms) {
        if (w.absent) continue;  // no documents: every reader of terms_ skips such a term
        MERIDIAN_ASSIGN_OR_RETURN(auto ts, open_term(w));
        terms_[n.id].push_back(std::move(ts));
      }
      break;
    case Node::K::kPhrase:
      for (size_t si = 0; si < n.slots.size(); ++si) {
        if (n.slots[si].empty()) continue;  // stopword gap
        std::vector<std::unique_ptr<TermState>> states;
        const bool deferred = n.phrase_prefix && si + 1 == n.slots.size();
        for (const auto& w : deferred ? expand_here(n) : n.slots[si]) {
          MERIDIAN_ASSIGN_OR_RETURN(auto ts, open_term(w));
          states.push_back(std::move(ts));
        }
        slots_[n.id].push_back(std::move(states));
      }
      break;
    default:
      for (const auto* v : {&n.must, &n.should, &n.must_not, &n.filter, &n.children})
        for (const auto& c : *v) MERIDIAN_RETURN_IF_ERROR(open_node(c));
      break;
  }
  return Status::ok();
}

Status SegmentEval::build(const Node& n) {
  Bitmap& out = bitmaps_[n.id];
  const index::Segment& seg = *sv_.segment;
  auto open = [&](const WeightedTerm& w) { return open_term(w); };
  switch (n.k) {
    case Node::K::kAll: out = Bitmap::from_range(0, seg.num_docs()); break;
    case Node::K::kNone: break;
    case Node::K::kWord:
      for (const auto& w : n.deferred ? expand_here(n) : n.terms) {
        if (w.absent) continue;  // no documents: every reader of terms_ skips such a term
        MERIDIAN_ASSIGN_OR_RETURN(auto ts, open(w));
        if (ts->tp) out.or_inplace(ts->tp->docs());
        terms_[n.id].push_back(std::move(ts));
      }
      break;
    case Node::K::kPhrase: {
      bool first = true;
      for (size_t si = 0; si < n.slots.size(); ++si) {
        const auto& slot = n.slots[si];
        if (slot.empty()) continue;  // stopword gap
        Bitmap u;
        std::vector<std::unique_ptr<TermState>> states;
        const bool deferred = n.phrase_prefix && si + 1 == n.slots.size();
        for (const auto& w : deferred ? expand_here(n) : slot) {
          MERIDIAN_ASSIGN_OR_RETURN(auto ts, open(w));
          if (ts->tp) u.or_inplace(ts->tp->docs());
          states.push_back(std::move(ts));
        }
        if (first) out = std::move(u); else out.and_inplace(u);
        first = false;
        slots_[n.id].push_back(std::move(states));
      }
      if (ph_docs_.size() <= static_cast<size_t>(n.id)) {
        ph_docs_.resize(static_cast<size_t>(n.id) + 1);
        ph_freqs_.resize(static_cast<size_t>(n.id) + 1);
      }
      auto& keep = ph_docs_[n.id];
      auto& freqs = ph_freqs_[n.id];
      keep.clear();
      freqs.clear();
      out.for_each([&](uint32_t d) {
        if (uint32_t f = phrase_freq(n, d); f > 0) {
          keep.push_back(d);
          freqs.push_back(f);
        }
        return true;
      });
      out = Bitmap::from_values(keep);
      // Fresh cursors for scoring (the check above moved them).
      for (auto& states : slots_[n.id])
        for (auto& ts : states)
          if (ts->tp) *ts->cur = ts->tp->cursor();  // open_term made one (not lazy here)
      break;
    }
    case Node::K::kLeaf: {
      MERIDIAN_ASSIGN_OR_RETURN(out, eval_leaf(snap_, seg, n, c_.max_pattern_terms));
      break;
    }
    case Node::K::kConst:
      MERIDIAN_RETURN_IF_ERROR(build(n.children[0]));
      out = bitmaps_[n.children[0].id].copy();
      break;
    case Node::K::kDisMax:
      for (const auto& c : n.children) {
        MERIDIAN_RETURN_IF_ERROR(build(c));
        out.or_inplace(bitmaps_[c.id]);
      }
      break;
    case Node::K::kBool: {
      // A required match_all is the identity of the intersection when another
      // required clause exists: it is neither built (a full-range bitmap is
      // one container per 65,536 documents) nor intersected.
      bool narrowed = false;
      for (const auto* v : {&n.must, &n.filter})
        for (const auto& c : *v) narrowed |= c.k != Node::K::kAll;
      auto skipped = [&](const Node& c, const std::vector<Node>* v) {
        return narrowed && c.k == Node::K::kAll && (v == &n.must || v == &n.filter);
      };
      for (const auto* v : {&n.must, &n.should, &n.must_not, &n.filter})
        for (const auto& c : *v)
          if (!skipped(c, v)) MERIDIAN_RETURN_IF_ERROR(build(c));
      std::vector<const Bitmap*> req;
      for (const auto* v : {&n.must, &n.filter})
        for (const auto& c : *v)
          if (!skipped(c, v)) req.push_back(&bitmaps_[c.id]);
      bool have = !req.empty();
      if (have) out = Bitmap::and_many(req);
      if (n.msm > 0) {
        Bitmap s;
        if (n.msm == 1) {
          for (const auto& c : n.should) s.or_inplace(bitmaps_[c.id]);
        } else {
          Bitmap u;
          for (const auto& c : n.should) u.or_inplace(bitmaps_[c.id]);
          std::vector<uint32_t> keep;
          u.for_each([&](uint32_t d) {
            int k = 0;
            for (const auto& c : n.should) k += bitmaps_[c.id].contains(d);
            if (k >= n.msm) keep.push_back(d);
            return true;
          });
          s = Bitmap::from_values(keep);
        }
        if (!have) out = std::move(s); else out.and_inplace(s);
        have = true;
      }
      if (!have) out = Bitmap::from_range(0, seg.num_docs());
      for (const auto& c : n.must_not) out.andnot_inplace(bitmaps_[c.id]);
      break;
    }
  }
  return Status::ok();
}

uint32_t SegmentEval::norm(const std::string& field, uint32_t doc) {
  const auto* nc = sv_.segment->columns().norms(field);
  return nc ? nc->length(doc) : 0;
}

uint32_t SegmentEval::phrase_freq(const Node& n, uint32_t doc) {
  auto& slots = slots_[n.id];
  const size_t k = slots.size();
  if (k == 0) return 0;
  if (ph_pos_.size() < k) ph_pos_.resize(k);
  ph_off_.assign(k, 0);
  ph_span_.assign(k, {});
  // Relative offset of each non-empty slot within n.slots (gaps count).
  {
    size_t j = 0;
    for (size_t i = 0; i < n.slots.size(); ++i)
      if (!n.slots[i].empty()) ph_off_[j++] = static_cast<uint32_t>(i);
  }
  // Each slot's positions in doc: the cursor's own (sorted) buffer when one
  // term of the slot occurs, else the sorted union in ph_pos_[i]. The spans
  // stay valid while the cursors stay on doc (one cursor per slot term).
  for (size_t i = 0; i < k; ++i) {
    size_t sources = 0;
    for (auto& ts : slots[i]) {
      if (!ts->cur || ts->cur->next_geq(doc) != doc) continue;
      auto p = ts->cur->positions();
      if (p.empty()) continue;
      if (sources == 0) {
        ph_span_[i] = p;
      } else {
        if (sources == 1) ph_pos_[i].assign(ph_span_[i].begin(), ph_span_[i].end());
        ph_pos_[i].insert(ph_pos_[i].end(), p.begin(), p.end());
      }
      ++sources;
    }
    if (sources == 0) return 0;
    if (sources > 1) {
      std::sort(ph_pos_[i].begin(), ph_pos_[i].end());
      ph_span_[i] = ph_pos_[i];
    }
  }
  if (n.slop == 0) return exact_phrase_freq(std::span(ph_span_.data(), k), std::span(ph_off_.data(), k), &ph_at_);
  return sloppy_phrase_freq(std::span(ph_span_.data(), k), std::span(ph_off_.data(), k), n.slop, &ph_at_, &ph_used_);
}

uint32_t sloppy_phrase_freq(std::span<const std::span<const uint32_t>> pos, std::span<const uint32_t> off, int slop,
                            std::vector<size_t>* at, std::vector<uint32_t>* used) {
  // Lucene's sloppy phrase: each slot's position minus its offset in the
  // phrase; a configuration matches when max - min <= slop ("a b" matches
  // "b a" from slop 2) and no two slots share a position. Sweep: advance the
  // slot with the smallest value, counting every matching configuration met.
  const size_t k = pos.size();
  at->assign(k, 0);
  used->assign(k, 0);
  uint32_t freq = 0;
  while (true) {
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    size_t lo_slot = 0;
    for (size_t i = 0; i < k; ++i) {
      const int64_t v = int64_t{pos[i][(*at)[i]]} - off[i];
      if (v < lo) { lo = v; lo_slot = i; }
      hi = std::max(hi, v);
      (*used)[i] = pos[i][(*at)[i]];
    }
    if (hi - lo <= slop) {
      std::sort(used->begin(), used->end());
      if (std::adjacent_find(used->begin(), used->end()) == used->end()) ++freq;
    }
    if (++(*at)[lo_slot] == pos[lo_slot].size()) break;
  }
  return freq;
}

uint32_t exact_phrase_freq(std::span<const std::span<const uint32_t>> pos, std::span<const uint32_t> off,
                           std::vector<size_t>* at) {
  // Slot offsets differ, so the positions are distinct by construction.
  const size_t k = pos.size();
  uint32_t freq = 0;
  at->assign(k, 0);
  for (uint32_t p0 : pos[0]) {
    const int64_t v = int64_t{p0} - off[0];
    bool all = true;
    for (size_t i = 1; i < k && all; ++i) {
      const int64_t want = v + off[i];
      size_t& a = (*at)[i];
      while (a < pos[i].size() && int64_t{pos[i][a]} < want) ++a;
      if (a == pos[i].size()) return freq;  // no later start can match either
      all = int64_t{pos[i][a]} == want;
    }
    freq += all;
  }
  return freq;
}

double SegmentEval::score(uint32_t doc) { return score_node(c_.root, doc); }

double SegmentEval::score_node(const Node& n, uint32_t doc) {
  switch (n.k) {
    case Node::K::kAll: case Node::K::kLeaf: case Node::K::kConst: return n.boost;
    case Node::K::kNone: return 0;
    case Node::K::kWord: {
      double best = 0;
      uint32_t len = UINT32_MAX;
      for (auto& ts : terms_[n.id]) {
        if (!ts->cur || ts->cur->next_geq(doc) != doc) continue;
        if (len == UINT32_MAX) len = norm(n.field, doc);
        best = std::max(best, ts->w->score(ts->cur->freq(), len));
      }
      return best;
    }
    case Node::K::kPhrase: {
      // The frequency prepare() found (a doc it did not keep scores 0).
      const auto& docs = ph_docs_[n.id];
      auto it = std::lower_bound(docs.begin(), docs.end(), doc);
      if (it == docs.end() || *it != doc) return 0;
      return n.phrase_bm25.score(ph_freqs_[n.id][static_cast<size_t>(it - docs.begin())], norm(n.field, doc));
    }
    case Node::K::kDisMax: {
      double best = 0;
      // Children that score 0 where they do not match skip the membership test.
      for (const auto& c : n.children)
        if (c.zero_outside || bitmaps_[c.id].contains(doc)) best = std::max(best, score_node(c, doc));
      return best * n.boost;
    }
    case Node::K::kBool: {
      double s = 0;
      for (const auto& c : n.must) s += score_node(c, doc);
      for (const auto& c : n.should)
        if (c.zero_outside || bitmaps_[c.id].contains(doc)) s += score_node(c, doc);
      return s * n.boost;
    }
  }
  return 0;
}

Json SegmentEval::explain(uint32_t doc) { return explain_node(c_.root, doc); }

Json SegmentEval::explain_node(const Node& n, uint32_t doc) {
  Json j = Json::object();
  switch (n.k) {
    case Node::K::kWord: {
      Json d = Json::array();
      double best = 0;
      for (auto& ts : terms_[n.id]) {
        if (!ts->cur || ts->cur->next_geq(doc) != doc) continue;
        uint32_t len = norm(n.field, doc);
        Json e = ts->w->bm25.explain(ts->cur->freq(), len);
        e.set("term", ts->w->key.substr(ts->w->key.find('\0') + 1));
        const double v = ts->w->score(ts->cur->freq(), len);
        if (ts->w->tier_scale != 1 || ts->w->tier_base != 0) {
          e.set("bm25", *e.find("value"));
          e.set("value", v);
          e.set("tier", ts->w->tier);
          e.set("description", "tier_base + tier_scale * bm25 (tier 0 exact, 1 prefix, 1 + edits fuzzy, 4 completion of a misspelling)");
          e.set("tier_base", ts->w->tier_base);
          e.set("tier_scale", ts->w->tier_scale);
        }
        best = std::max(best, v);
        d.push(std::move(e));
      }
      j.set("value", best);
      j.set("description", "max of term weights in field " + n.field);
      j.set("details", std::move(d));
      return j;
    }
    case Node::K::kPhrase: {
      uint32_t f = phrase_freq(n, doc);
      j = n.phrase_bm25.explain(f, norm(n.field, doc));
      j.set("description", "phrase in " + n.field + ": bm25 over phrase frequency, idf summed over the words");
      return j;
    }
    case Node::K::kBool: case Node::K::kDisMax: {
      Json d = Json::array();
      for (const auto* v : {&n.must, &n.should, &n.children})
        for (const auto& c : *v)  // a required match_all may be unbuilt (build()): it matches every doc
          if (c.k == Node::K::kAll || bitmaps_[c.id].contains(doc)) d.push(explain_node(c, doc));
      j.set("value", score_node(n, doc));
      j.set("description", n.k == Node::K::kBool ? "sum of matching clauses * boost" : "max of fields * boost");
      j.set("details", std::move(d));
      return j;
    }
    default:
      j.set("value", score_node(n, doc));
      j.set("description", "constant score (boost)");
      return j;
  }
}

namespace {

Result<Bitmap> single_term(const index::Segment& seg, const std::string& key) {
  MERIDIAN_ASSIGN_OR_RETURN(auto tp, seg.postings_for(key));
  return tp ? tp->docs().copy() : Bitmap();
}

// The field of a geo query.
const std::string& geo_field(const Query& q) {
  switch (q.kind()) {
    case Kind::kGeoDistance: return q.as<GeoDistance>()->field;
    case Kind::kGeoBoundingBox: return q.as<GeoBoundingBox>()->field;
    case Kind::kGeoPolygon: return q.as<GeoPolygon>()->field;
    default: return q.as<GeohashCell>()->field;
  }
}

}  // namespace

Result<geo::Shape> leaf_shape(const Query& q) {
  auto invalid_shape = [](const Status& st, std::string_view what) {
    return Status::invalid(std::string(what) + ": " + st.message());
  };
  switch (q.kind()) {
    case Kind::kGeoDistance: {
      const GeoDistance& g = *q.as<GeoDistance>();
      auto s = geo::Shape::circle({g.lat, g.lon}, g.distance_m);
      if (!s) return invalid_shape(s.status(), "geo_distance");
      return s;
    }
    case Kind::kGeoBoundingBox: {
      const GeoBoundingBox& g = *q.as<GeoBoundingBox>();
      auto s = geo::Shape::box(g.top, g.left, g.bottom, g.right);
      if (!s) return invalid_shape(s.status(), "geo_bounding_box");
      return s;
    }
    case Kind::kGeoPolygon: {
      const GeoPolygon& g = *q.as<GeoPolygon>();
      std::vector<std::vector<geo::LatLon>> rings;
      for (const auto& r : g.rings) {
        rings.emplace_back();
        for (const auto& p : r) rings.back().push_back({p.lat, p.lon});
      }
      auto s = geo::Shape::polygon(std::move(rings));
      if (!s) return invalid_shape(s.status(), "geo_polygon");
      return s;
    }
    case Kind::kGeohashCell: {
      const GeohashCell& g = *q.as<GeohashCell>();
      auto s = geo::Shape::geohash_cell(g.hash);
      if (!s) return invalid_shape(s.status(), "geohash_cell");
      return s;
    }
    default: return Status::internal("not a geo query: " + std::string(kind_name(q.kind())));
  }
}

Result<Bitmap> eval_leaf(const index::Snapshot& snap, const index::Segment& seg, const Node& n,
                         size_t max_pattern_terms) {
  const Query& q = *n.leaf;
  if (n.leaf_shape) return query::geo_filter(seg, geo_field(q), *n.leaf_shape);
  if (n.leaf_automaton && q.kind() == Kind::kWildcard) {
    const Wildcard& w = *q.as<Wildcard>();
    return pattern_docs(seg, w.field, *n.leaf_automaton, max_pattern_terms,
                        "wildcard '" + w.pattern + "' on field '" + w.field + "'");
  }
  if (n.leaf_automaton && q.kind() == Kind::kPrefix) {
    const Prefix& p = *q.as<Prefix>();
    return pattern_docs(seg, p.field, *n.leaf_automaton, max_pattern_terms,
                        "prefix '" + p.value + "' on field '" + p.field + "'");
  }
  if (n.leaf_automaton && q.kind() == Kind::kRegexp) {
    const Regexp& x = *q.as<Regexp>();
    return pattern_docs(seg, x.field, *n.leaf_automaton, max_pattern_terms,
                        "regexp /" + x.pattern + "/ on field '" + x.field + "'");
  }
  return eval_leaf(snap, seg, q, max_pattern_terms);
}

Result<Bitmap> eval_leaf(const index::Snapshot& snap, const index::Segment& seg, const Query& q,
                         size_t max_pattern_terms) {
  switch (q.kind()) {
    case Kind::kExists:
      return single_term(seg, index::term_key(index::kExistsField, q.as<Exists>()->field));
    case Kind::kIds: {
      Bitmap out;
      for (const auto& id : q.as<Ids>()->values) {
        MERIDIAN_ASSIGN_OR_RETURN(Bitmap b, single_term(seg, index::term_key(index::kIdField, id)));
        out.or_inplace(b);
      }
      return out;
    }
    case Kind::kPrefix: {
      const Prefix& p = *q.as<Prefix>();
      const index::FieldDef* f = snap.schema().find(p.field);
      if (!f) return Bitmap();
      std::string v = f->type == index::FieldType::kText ? f->analyzer_instance->normalize_term(p.value, false) : p.value;
      MERIDIAN_ASSIGN_OR_RETURN(auto a, termdict::prefix_automaton(v));
      return pattern_docs(seg, p.field, a, max_pattern_terms, "prefix '" + p.value + "' on field '" + p.field + "'");
    }
    case Kind::kWildcard: {
      const Wildcard& w = *q.as<Wildcard>();
      MERIDIAN_ASSIGN_OR_RETURN(auto a, termdict::wildcard_automaton(w.pattern));
      return pattern_docs(seg, w.field, a, max_pattern_terms, "wildcard '" + w.pattern + "' on field '" + w.field + "'");
    }
    case Kind::kRegexp: {
      auto a = termdict::regex_automaton(q.as<Regexp>()->pattern);
      if (!a) return Status::invalid(a.status().message());
      const Regexp& x = *q.as<Regexp>();
      return pattern_docs(seg, x.field, *a, max_pattern_terms, "regexp /" + x.pattern + "/ on field '" + x.field + "'");
    }
    case Kind::kRange: return range_docs(snap, seg, *q.as<Range>());
    case Kind::kGeoDistance: case Kind::kGeoBoundingBox: case Kind::kGeoPolygon: case Kind::kGeohashCell: {
      MERIDIAN_ASSIGN_OR_RETURN(geo::Shape s, leaf_shape(q));
      return query::geo_filter(seg, geo_field(q), s);
    }
    default: return Status::internal("not a leaf query: " + std::string(kind_name(q.kind())));
  }
}

}  // namespace meridian::query::plan
