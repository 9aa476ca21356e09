#include "meridian/cluster/shard_search.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <unordered_set>

#include "meridian/query/word_expansion_stats.h"

namespace meridian::cluster {
namespace {

std::string to_hex(std::string_view s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char c : s) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

std::optional<std::string> from_hex(std::string_view s) {
  if (s.size() % 2) return std::nullopt;
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < s.size(); i += 2) {
    int h = nib(s[i]), l = nib(s[i + 1]);
    if (h < 0 || l < 0) return std::nullopt;
    out.push_back(static_cast<char>(h * 16 + l));
  }
  return out;
}

uint64_t as_count(const Json* j) {
  if (!j || !j->is_number()) return 0;
  double v = j->as_double();
  return v > 0 ? static_cast<uint64_t>(std::llround(v)) : 0;
}

size_t oversampled(size_t size) { return std::max(size * 3, size + 50); }

// -1, 0, 1: the order of two sort values of one sort key. Missing values
// (null) go last, or first with missing_first, whatever the direction.
int compare_values(const Json& a, const Json& b, const query::SortSpec& s) {
  if (a.is_null() || b.is_null()) {
    if (a.is_null() && b.is_null()) return 0;
    return (a.is_null() == s.missing_first) ? -1 : 1;
  }
  int c = 0;
  if (a.is_number() && b.is_number()) {
    double x = a.as_double(), y = b.as_double();
    c = x < y ? -1 : x > y ? 1 : 0;
  } else if (a.is_string() && b.is_string()) {
    int r = a.as_string().compare(b.as_string());
    c = r < 0 ? -1 : r > 0 ? 1 : 0;
  } else {
    c = a.is_number() ? -1 : b.is_number() ? 1 : 0;  // numbers before strings
  }
  return s.desc ? -c : c;
}

// A shard's hit with its "sort" tiebreaker made clustered (shard in the top bits).
Json clustered_hit(const Json& hit, size_t shard) {
  const Json* sort = hit.find("sort");
  if (!sort || !sort->is_array() || sort->size() == 0 || !sort->as_array().back().is_int()) return hit;
  Json out = hit;
  Json s = Json::array();
  const auto& a = sort->as_array();
  for (size_t i = 0; i + 1 < a.size(); ++i) s.push(a[i]);
  const uint64_t local = static_cast<uint64_t>(a.back().as_int()) & ((uint64_t{1} << kShardTiebreakShift) - 1);
  s.push(Json(static_cast<int64_t>((uint64_t{shard} << kShardTiebreakShift) | local)));
  out.set("sort", std::move(s));
  return out;
}

// Whether hit a comes before hit b (both of different shards).
int compare_hits(const Json& a, const Json& b, const query::SearchRequest& req) {
  // A q search ranks by its ranking rules (the hits' "sort" holds their values).
  const std::vector<query::SortSpec>& order = req.ranking.empty() ? req.sort : req.ranking;
  if (order.empty()) {
    const Json* x = a.find("score");
    const Json* y = b.find("score");
    double sx = x && x->is_number() ? x->as_double() : -INFINITY;
    double sy = y && y->is_number() ? y->as_double() : -INFINITY;
    return sx > sy ? -1 : sx < sy ? 1 : 0;
  }
  const Json* xa = a.find("sort");
  const Json* xb = b.find("sort");
  for (size_t i = 0; i < order.size(); ++i) {
    Json va = xa && xa->is_array() && i < xa->size() ? xa->as_array()[i] : Json();
    Json vb = xb && xb->is_array() && i < xb->size() ? xb->as_array()[i] : Json();
    if (int c = compare_values(va, vb, order[i])) return c;
  }
  return 0;
}

Json merge_facets(const query::SearchRequest& req, const std::vector<const Json*>& answers) {
  Json out = Json::object();
  for (const auto& [name, spec] : req.facets) {
    std::vector<const Json*> parts;
    for (const Json* a : answers) {
      const Json* f = a->find("facets");
      const Json* p = f ? f->find(name) : nullptr;
      if (p && p->is_object()) parts.push_back(p);
    }
    auto buckets_of = [](const Json* p) -> const Json::Array* {
      const Json* b = p->find("buckets");
      return b && b->is_array() ? &b->as_array() : nullptr;
    };
    Json j = Json::object();
    using K = query::FacetSpec::Kind;
    switch (spec.kind) {
      case K::kTerms:
      case K::kGeohashGrid: {
        // key -> count, and for geohash cells the count-weighted centroid sums.
        std::map<std::string, std::pair<uint64_t, std::pair<double, double>>> acc;
        for (const Json* p : parts)
          if (auto* bs = buckets_of(p))
            for (const Json& b : *bs) {
              const Json* key = b.find("key");
              if (!key || !key->is_string()) continue;
              uint64_t n = as_count(b.find("count"));
              auto& e = acc[key->as_string()];
              e.first += n;
              if (const Json* c = b.find("centroid")) {
                const Json* lat = c->find("lat");
                const Json* lon = c->find("lon");
                if (lat && lat->is_number()) e.second.first += lat->as_double() * static_cast<double>(n);
                if (lon && lon->is_number()) e.second.second += lon->as_double() * static_cast<double>(n);
              }
            }
        std::vector<std::pair<std::string, std::pair<uint64_t, std::pair<double, double>>>> v(acc.begin(), acc.end());
        std::stable_sort(v.begin(), v.end(), [](const auto& x, const auto& y) { return x.second.first > y.second.first; });
        if (v.size() > spec.size) v.resize(spec.size);
        Json buckets = Json::array();
        for (const auto& [key, e] : v) {
          Json b = Json::object();
          b.set("key", Json(key));
          b.set("count", Json(e.first));
          if (spec.kind == K::kGeohashGrid && e.first > 0) {
            Json c = Json::object();
            c.set("lat", Json(e.second.first / static_cast<double>(e.first)));
            c.set("lon", Json(e.second.second / static_cast<double>(e.first)));
            b.set("centroid", std::move(c));
          }
          buckets.push(std::move(b));
        }
        j.set("buckets", std::move(buckets));
        break;
      }
      case K::kHistogram: {
        std::map<double, std::pair<Json, uint64_t>> acc;
        for (const Json* p : parts)
          if (auto* bs = buckets_of(p))
            for (const Json& b : *bs) {
              const Json* key = b.find("key");
              if (!key || !key->is_number()) continue;
              auto& e = acc[key->as_double()];
              if (e.first.is_null()) e.first = *key;
              e.second += as_count(b.find("count"));
            }
        Json buckets = Json::array();
        for (const auto& [k, e] : acc) {
          Json b = Json::object();
          b.set("key", e.first);
          b.set("count", Json(e.second));
          buckets.push(std::move(b));
        }
        j.set("buckets", std::move(buckets));
        break;
      }
      case K::kRange: {
        Json buckets = Json::array();
        for (size_t r = 0; r < spec.ranges.size(); ++r) {
          Json b;
          uint64_t n = 0;
          for (const Json* p : parts)
            if (auto* bs = buckets_of(p); bs && r < bs->size()) {
              if (b.is_null()) b = (*bs)[r];
              n += as_count((*bs)[r].find("count"));
            }
          if (b.is_null()) continue;
          b.set("count", Json(n));
          buckets.push(std::move(b));
        }
        j.set("buckets", std::move(buckets));
        break;
      }
      case K::kStats: {
        uint64_t count = 0;
        double sum = 0, mn = INFINITY, mx = -INFINITY;
        for (const Json* p : parts) {
          uint64_t n = as_count(p->find("count"));
          if (!n) continue;
          count += n;
          if (const Json* s = p->find("sum"); s && s->is_number()) sum += s->as_double();
          if (const Json* s = p->find("min"); s && s->is_number()) mn = std::min(mn, s->as_double());
          if (const Json* s = p->find("max"); s && s->is_number()) mx = std::max(mx, s->as_double());
        }
        j.set("count", Json(count));
        j.set("min", count ? Json(mn) : Json());
        j.set("max", count ? Json(mx) : Json());
        j.set("avg", count ? Json(sum / static_cast<double>(count)) : Json());
        j.set("sum", Json(sum));
        break;
      }
      case K::kGeoBounds: {
        uint64_t count = 0;
        double top = -INFINITY, bottom = INFINITY, left = INFINITY, right = -INFINITY;
        for (const Json* p : parts) {
          uint64_t n = as_count(p->find("count"));
          if (!n) continue;
          count += n;
          auto num = [&](const char* k, double dflt) {
            const Json* v = p->find(k);
            return v && v->is_number() ? v->as_double() : dflt;
          };
          top = std::max(top, num("top", -INFINITY));
          bottom = std::min(bottom, num("bottom", INFINITY));
          left = std::min(left, num("left", INFINITY));
          right = std::max(right, num("right", -INFINITY));
        }
        if (count) {
          j.set("top", Json(top));
          j.set("left", Json(left));
          j.set("bottom", Json(bottom));
          j.set("right", Json(right));
        }
        j.set("count", Json(count));
        break;
      }
    }
    out.set(name, std::move(j));
  }
  return out;
}

// The router's answer: total, hits, facets merged over `answers`, took,
// and the shards that answered or failed.
Json merged_answer(const query::SearchRequest& req, uint64_t total, bool gte, Json hits,
                   const std::vector<const Json*>& answers, size_t shards, Json failures, double took_ms) {
  Json out = Json::object();
  out.set("total", Json(Json::Object{{"value", Json(total)}, {"relation", Json(gte ? "gte" : "eq")}}));
  out.set("hits", std::move(hits));
  out.set("facets", merge_facets(req, answers));
  out.set("took_ms", Json(took_ms));
  const int64_t n = static_cast<int64_t>(shards);
  const int64_t failed = static_cast<int64_t>(failures.size());
  out.set("shards", Json(Json::Object{{"total", Json(n)}, {"successful", Json(n - failed)}, {"failed", Json(failed)}}));
  if (failed) out.set("failures", std::move(failures));
  return out;
}

Json failure(size_t shard, const std::string& reason) {
  return Json(Json::Object{{"shard", Json(static_cast<int64_t>(shard))}, {"reason", Json(reason)}});
}

}  // namespace

Status check_clustered_request(const query::SearchRequest& req) {
  if (!req.search_after) return Status::ok();
  const size_t keys = std::max<size_t>(req.ranking.empty() ? req.sort.size() : req.ranking.size(), 1);  // no sort: the score
  const Json& a = *req.search_after;
  if (!a.is_array() || a.size() != keys + 1)
    return Status::invalid("search_after: expected the " + std::to_string(keys + 1) +
                           " values of a hit's \"sort\" (the sort keys and the tiebreaker)");
  const Json& tb = a.as_array().back();
  if (!tb.is_int() || tb.as_int() < 0)
    return Status::invalid("search_after: the last value must be the tiebreaker of a hit's \"sort\" (a non-negative integer)");
  return Status::ok();
}

query::SearchRequest shard_request(const query::SearchRequest& req, uint32_t shard) {
  query::SearchRequest s = req;
  // Matching strategy last is the router's decision (on the merged page),
  // not each shard's: a shard runs the query it is given.
  s.relaxed_query.reset();
  s.size = req.from + req.size;
  s.from = 0;
  if (req.search_after && req.search_after->is_array() && req.search_after->size() > 0 &&
      req.search_after->as_array().back().is_int()) {
    const auto& a = req.search_after->as_array();
    const uint64_t tb = static_cast<uint64_t>(a.back().as_int());
    const uint64_t cursor_shard = tb >> kShardTiebreakShift;
    int64_t mine = -1;  // a higher shard: its hits with the cursor's values come after it
    if (shard < cursor_shard) mine = std::numeric_limits<int64_t>::max();  // they came before it
    else if (shard == cursor_shard) mine = static_cast<int64_t>(tb & ((uint64_t{1} << kShardTiebreakShift) - 1));
    Json local = Json::array();
    for (size_t i = 0; i + 1 < a.size(); ++i) local.push(a[i]);
    local.push(Json(mine));
    s.search_after = std::move(local);
  }
  for (auto& [name, f] : s.facets)
    if (f.kind == query::FacetSpec::Kind::kTerms || f.kind == query::FacetSpec::Kind::kGeohashGrid)
      f.size = oversampled(f.size);
  return s;
}

Result<index::CorpusStats> shard_stats(const index::Snapshot& snap, const query::SearchRequest& req,
                                       const query::SearchOptions& opt) {
  auto recorder = std::make_shared<index::StatsRecorder>();
  auto recording = snap.with_stats(nullptr, recorder);
  // Only the query's compilation matters: no hits, facets or highlights.
  query::SearchRequest probe = req;
  probe.from = 0;
  probe.size = 0;
  probe.facets.clear();
  probe.highlight.reset();
  probe.search_after.reset();
  probe.sort.clear();
  probe.explain = false;
  probe.source = false;
  probe.track_total_hits = 0;
  auto r = query::search(*recording, probe, opt);
  if (!r) return r.status();
  index::CorpusStats out;
  out.total_docs = snap.local_total_docs();
  for (const auto& f : recorder->fields()) out.fields[f] = snap.local_field_stats(f);
  for (const auto& k : recorder->keys()) out.doc_freq[k] = snap.local_doc_freq(k);
  out.expansions = recorder->expansions();
  return out;
}

void add_stats(index::CorpusStats* into, const index::CorpusStats& shard) {
  into->total_docs += shard.total_docs;
  for (const auto& [f, s] : shard.fields) {
    auto& t = into->fields[f];
    t.docs += s.docs;
    t.sum_len += s.sum_len;
  }
  for (const auto& [k, n] : shard.doc_freq) into->doc_freq[k] += n;
  for (const auto& [k, x] : shard.expansions) {
    auto [it, fresh] = into->expansions.emplace(k, x);
    if (!fresh) query::merge_word_expansion(&it->second, x);
  }
}

Json stats_to_json(const index::CorpusStats& s) {
  Json fields = Json::object();
  for (const auto& [f, st] : s.fields) fields.set(f, Json(Json::Array{Json(st.docs), Json(st.sum_len)}));
  Json df = Json::object();
  for (const auto& [k, n] : s.doc_freq) df.set(to_hex(k), Json(n));
  Json out(Json::Object{{"total_docs", Json(s.total_docs)}, {"fields", std::move(fields)}, {"df", std::move(df)}});
  if (!s.expansions.empty()) {
    auto terms = [](const std::map<std::string, int>& m) {
      Json o = Json::object();
      for (const auto& [t, e] : m) o.set(to_hex(t), Json(static_cast<int64_t>(e)));
      return o;
    };
    Json ex = Json::object();
    for (const auto& [k, x] : s.expansions) {
      Json words = Json::object();
      for (const auto& [stem, ws] : x.words) words.set(to_hex(stem), terms(ws));
      ex.set(to_hex(k), Json(Json::Object{{"fuzzy", terms(x.fuzzy)},
                                          {"completions", terms(x.completions)},
                                          {"words", std::move(words)},
                                          {"typed_is_word", Json(x.typed_is_word)},
                                          {"surface_words", Json(x.surface_words)}}));
    }
    out.set("expansions", std::move(ex));
  }
  return out;
}

namespace {
// {hex(term): int} of an expansion in stats JSON.
Status terms_from_json(const Json* j, const std::string& path, std::map<std::string, int>* out) {
  if (!j) return Status::ok();
  if (!j->is_object()) return Status::invalid(path + ": expected an object");
  for (const auto& [hex, v] : j->as_object()) {
    auto t = from_hex(hex);
    if (!t || !v.is_int() || v.as_int() < -8 || v.as_int() > 8)
      return Status::invalid(path + "." + hex + ": expected a hex term and an edit count");
    (*out)[*t] = static_cast<int>(v.as_int());
  }
  return Status::ok();
}

Status expansions_from_json(const Json& j, index::CorpusStats* s) {
  if (!j.is_object()) return Status::invalid("stats.expansions: expected an object");
  for (const auto& [hex, v] : j.as_object()) {
    const std::string path = "stats.expansions." + hex;
    auto key = from_hex(hex);
    if (!key || !v.is_object()) return Status::invalid(path + ": expected a hex key and an object");
    index::WordExpansionStats x;
    MERIDIAN_RETURN_IF_ERROR(terms_from_json(v.find("fuzzy"), path + ".fuzzy", &x.fuzzy));
    MERIDIAN_RETURN_IF_ERROR(terms_from_json(v.find("completions"), path + ".completions", &x.completions));
    if (const Json* w = v.find("words")) {
      if (!w->is_object()) return Status::invalid(path + ".words: expected an object");
      for (const auto& [stem_hex, ws] : w->as_object()) {
        auto stem = from_hex(stem_hex);
        if (!stem) return Status::invalid(path + ".words." + stem_hex + ": expected a hex stem");
        MERIDIAN_RETURN_IF_ERROR(terms_from_json(&ws, path + ".words." + stem_hex, &x.words[*stem]));
      }
    }
    const Json* typed = v.find("typed_is_word");
    const Json* surface = v.find("surface_words");
    if (!typed || !typed->is_bool() || !surface || !surface->is_bool())
      return Status::invalid(path + ": expected \"typed_is_word\" and \"surface_words\" (true or false)");
    x.typed_is_word = typed->as_bool();
    x.surface_words = surface->as_bool();
    s->expansions[*key] = std::move(x);
  }
  return Status::ok();
}
}  // namespace

Result<index::CorpusStats> stats_from_json(const Json& j) {
  if (!j.is_object()) return Status::invalid("stats: expected an object");
  index::CorpusStats s;
  const Json* n = j.find("total_docs");
  if (!n || !n->is_int() || n->as_int() < 0) return Status::invalid("stats.total_docs: expected a count");
  s.total_docs = static_cast<uint64_t>(n->as_int());
  if (const Json* f = j.find("fields")) {
    if (!f->is_object()) return Status::invalid("stats.fields: expected an object");
    for (const auto& [name, v] : f->as_object()) {
      if (!v.is_array() || v.size() != 2 || !v.as_array()[0].is_int() || !v.as_array()[1].is_int())
        return Status::invalid("stats.fields." + name + ": expected [docs, sum_len]");
      s.fields[name] = {static_cast<uint64_t>(v.as_array()[0].as_int()), static_cast<uint64_t>(v.as_array()[1].as_int())};
    }
  }
  if (const Json* d = j.find("df")) {
    if (!d->is_object()) return Status::invalid("stats.df: expected an object");
    for (const auto& [hex, v] : d->as_object()) {
      auto key = from_hex(hex);
      if (!key || !v.is_int() || v.as_int() < 0) return Status::invalid("stats.df." + hex + ": expected a hex key and a count");
      s.doc_freq[*key] = static_cast<uint64_t>(v.as_int());
    }
  }
  if (const Json* e = j.find("expansions")) MERIDIAN_RETURN_IF_ERROR(expansions_from_json(*e, &s));
  return s;
}

Json distinct_round_to_json(const DistinctRound& r) {
  if (r.kind == DistinctRound::Kind::kCheck) {
    Json keys = Json::array();
    for (const auto& k : r.keys) keys.push(Json(k));
    return Json(Json::Object{{"check", std::move(keys)}});
  }
  return Json(Json::Object{
      {"more", Json(Json::Object{{"after", r.after}, {"size", Json(static_cast<int64_t>(r.size))}})}});
}

Result<DistinctRound> distinct_round_from_json(const Json& j) {
  DistinctRound r;
  if (const Json* c = j.is_object() ? j.find("check") : nullptr) {
    if (!c->is_array()) return Status::invalid("distinct.check: expected an array of group keys");
    r.kind = DistinctRound::Kind::kCheck;
    for (const Json& k : c->as_array()) {
      if (!k.is_string()) return Status::invalid("distinct.check: expected an array of group keys");
      r.keys.push_back(k.as_string());
    }
    return r;
  }
  const Json* m = j.is_object() ? j.find("more") : nullptr;
  if (!m || !m->is_object()) return Status::invalid("distinct: expected {\"more\": ...} or {\"check\": [...]}");
  const Json* after = m->find("after");
  const Json* size = m->find("size");
  if (!after || !after->is_array() || !size || !size->is_int() || size->as_int() < 0)
    return Status::invalid("distinct.more: expected \"after\" (a hit's sort) and \"size\" (a count)");
  r.after = *after;
  r.size = static_cast<size_t>(size->as_int());
  return r;
}

Result<Json> shard_search(const index::Snapshot& snap, const query::SearchRequest& shard_req,
                          std::shared_ptr<const index::CorpusStats> stats, const query::SearchOptions& opt,
                          const DistinctRound* round) {
  std::shared_ptr<const index::Snapshot> scored;
  if (stats) scored = snap.with_stats(std::move(stats), nullptr);
  const index::Snapshot& on = scored ? *scored : snap;
  if (shard_req.distinct.empty()) {
    auto r = query::search(on, shard_req, opt);
    if (!r) return r.status();
    return query::to_json(*r);
  }
  query::SearchRequest req = shard_req;
  query::SearchOptions o = opt;
  if (!round) {
    o.distinct_groups = true;
  } else {
    req.from = 0;
    req.facets.clear();  // the first round's facets count every match already
    if (round->kind == DistinctRound::Kind::kMore) {
      req.search_after = round->after;
      req.size = round->size;
    } else {
      req.size = 0;
      req.highlight.reset();
      req.source = false;
      req.explain = false;
      o.distinct_check = &round->keys;
    }
  }
  auto r = query::search(on, req, o);
  if (!r) return r.status();
  Json out = query::to_json(*r);
  if (Json* hits = out.find("hits"); hits && hits->is_array())
    for (size_t i = 0; i < r->hits.size() && i < hits->size(); ++i)
      hits->as_array()[i].set("group", r->hits[i].group.empty() ? Json() : Json(r->hits[i].group));
  Json d = Json::object();
  if (round && round->kind == DistinctRound::Kind::kCheck) {
    Json before = Json::array();
    for (const auto& k : r->groups_before) before.push(Json(k));
    d.set("before", std::move(before));
  } else if (!round) {
    if (r->groups.size() + r->ungrouped > req.track_total_hits) {
      d.set("over", Json(true));  // the total is capped whatever the other shards hold
    } else {
      Json groups = Json::array();
      for (const auto& k : r->groups) groups.push(Json(k));
      d.set("groups", std::move(groups));
      d.set("ungrouped", Json(r->ungrouped));
    }
  }
  out.set("distinct", std::move(d));
  return out;
}

Json merge_shard_results(const query::SearchRequest& req, const std::vector<ShardOutcome>& shards, double took_ms) {
  std::vector<const Json*> answers;
  std::vector<std::pair<size_t, const Json::Array*>> lists;  // shard, hits
  uint64_t total = 0;
  bool gte = false;
  Json failures = Json::array();
  for (size_t s = 0; s < shards.size(); ++s) {
    if (!shards[s].answer) {
      failures.push(failure(s, shards[s].error));
      continue;
    }
    const Json& a = *shards[s].answer;
    answers.push_back(&a);
    if (const Json* t = a.find("total")) {
      total += as_count(t->find("value"));
      if (const Json* rel = t->find("relation"); rel && rel->is_string() && rel->as_string() == "gte") gte = true;
    }
    if (const Json* h = a.find("hits"); h && h->is_array()) lists.emplace_back(s, &h->as_array());
  }
  // k-way merge of the shards' sorted lists; ties go to the lower shard.
  std::vector<size_t> pos(lists.size(), 0);
  Json hits = Json::array();
  const size_t want = req.from + req.size;
  for (size_t taken = 0; taken < want; ++taken) {
    size_t best = lists.size();
    for (size_t l = 0; l < lists.size(); ++l) {
      if (pos[l] >= lists[l].second->size()) continue;
      if (best == lists.size() || compare_hits((*lists[l].second)[pos[l]], (*lists[best].second)[pos[best]], req) < 0)
        best = l;
    }
    if (best == lists.size()) break;
    if (taken >= req.from) hits.push(clustered_hit((*lists[best].second)[pos[best]], lists[best].first));
    ++pos[best];
  }
  return merged_answer(req, total, gte, std::move(hits), answers, shards.size(), std::move(failures), took_ms);
}

namespace {

// One shard's hits of a distinct search so far, in its order (one per group).
struct DistinctList {
  size_t shard = 0;
  const Json* first = nullptr;  // its first answer: facets and group keys
  std::vector<Json> hits;
  size_t asked = 0;   // the size of its last round
  bool more = false;  // that round was full: the shard may hold further groups
  bool failed = false;  // a later round failed: left out of the answer
};

std::string group_of(const Json& hit) {
  const Json* g = hit.find("group");
  return g && g->is_string() ? g->as_string() : std::string();
}

// One attempt at the page: its hits (shard, hit), or the lists that ran out
// while their shard may hold more, which the merge cannot go past.
struct DistinctMerge {
  std::vector<std::pair<size_t, const Json*>> page;
  std::vector<size_t> starved;
};

// The k-way merge (ties to the lower shard) keeping each group's first hit,
// skipping the groups seen before the cursor.
DistinctMerge merge_distinct_lists(const query::SearchRequest& req, const std::vector<DistinctList>& lists,
                                   const std::unordered_set<std::string>& seen_before) {
  DistinctMerge m;
  std::vector<size_t> pos(lists.size(), 0);
  std::unordered_set<std::string> taken;
  size_t emitted = 0;
  while (emitted < req.from + req.size) {
    size_t best = lists.size();
    for (size_t l = 0; l < lists.size(); ++l) {
      if (lists[l].failed) continue;
      if (pos[l] < lists[l].hits.size()) {
        if (best == lists.size() || compare_hits(lists[l].hits[pos[l]], lists[best].hits[pos[best]], req) < 0) best = l;
      } else if (lists[l].more) {
        m.starved.push_back(l);
      }
    }
    if (!m.starved.empty() || best == lists.size()) break;
    const Json& h = lists[best].hits[pos[best]++];
    const std::string key = group_of(h);
    if (!key.empty() && (seen_before.contains(key) || !taken.insert(key).second)) continue;
    if (emitted++ >= req.from) m.page.emplace_back(lists[best].shard, &h);
  }
  return m;
}

// Runs `round` on the shard of each list in `which` (in parallel, as `more`
// does); a shard that fails is marked failed and reported in *failures.
// The answers, in the order of `which` (null for a failed shard).
std::vector<std::optional<Json>> run_rounds(std::vector<DistinctList>* lists, const std::vector<size_t>& which,
                                            const std::function<DistinctRound(const DistinctList&)>& round,
                                            const DistinctRounds& more, Json* failures) {
  std::vector<std::pair<uint32_t, DistinctRound>> calls;
  for (size_t l : which) calls.emplace_back(static_cast<uint32_t>((*lists)[l].shard), round((*lists)[l]));
  std::vector<Result<Json>> got = more(calls);
  std::vector<std::optional<Json>> out(which.size());
  for (size_t i = 0; i < which.size(); ++i) {
    if (i < got.size() && got[i]) {
      out[i] = std::move(*got[i]);
      continue;
    }
    DistinctList& l = (*lists)[which[i]];
    l.failed = true;
    failures->push(failure(l.shard, i < got.size() ? got[i].status().message() : "no answer"));
  }
  return out;
}

}  // namespace

Json merge_distinct_results(const query::SearchRequest& req, const std::vector<ShardOutcome>& shards,
                            const DistinctRounds& more, const query::SearchOptions& opt, double took_ms) {
  const size_t want = req.from + req.size;
  std::vector<DistinctList> lists;
  Json failures = Json::array();
  for (size_t s = 0; s < shards.size(); ++s) {
    if (!shards[s].answer) {
      failures.push(failure(s, shards[s].error));
      continue;
    }
    const Json& a = *shards[s].answer;
    const Json* d = a.find("distinct");
    if (!d || !d->is_object()) {
      failures.push(failure(s, "no \"distinct\" in the shard's answer"));
      continue;
    }
    DistinctList l;
    l.shard = s;
    l.first = &a;
    if (const Json* h = a.find("hits"); h && h->is_array()) l.hits = h->as_array();
    l.asked = want;
    l.more = l.hits.size() >= want;
    lists.push_back(std::move(l));
  }
  std::unordered_set<std::string> checked, before;
  DistinctMerge m;
  for (;;) {
    if (req.search_after) {
      // Which of the groups met so far the client saw on an earlier page:
      // those with a hit at or before the cursor on some shard.
      DistinctRound check;
      check.kind = DistinctRound::Kind::kCheck;
      std::vector<size_t> live;
      for (size_t l = 0; l < lists.size(); ++l) {
        if (lists[l].failed) continue;
        live.push_back(l);
        for (const Json& h : lists[l].hits)
          if (std::string k = group_of(h); !k.empty() && checked.insert(k).second) check.keys.push_back(std::move(k));
      }
      if (!check.keys.empty())
        for (const auto& j : run_rounds(&lists, live, [&](const DistinctList&) { return check; }, more, &failures))
          if (const Json* d = j ? j->find("distinct") : nullptr)
            if (const Json* b = d->find("before"); b && b->is_array())
              for (const Json& k : b->as_array())
                if (k.is_string()) before.insert(k.as_string());
    }
    m = merge_distinct_lists(req, lists, before);
    if (m.starved.empty()) break;
    // The next hits of each starved shard, twice as many as last time.
    auto next = [&](const DistinctList& l) {
      DistinctRound r;
      r.kind = DistinctRound::Kind::kMore;
      const Json* sort = l.hits.empty() ? nullptr : l.hits.back().find("sort");
      r.after = sort ? *sort : Json::array();
      r.size = std::min(std::max<size_t>(l.asked * 2, 1), std::max(opt.max_window, want));
      return r;
    };
    auto got = run_rounds(&lists, m.starved, next, more, &failures);
    for (size_t i = 0; i < got.size(); ++i) {
      if (!got[i]) continue;
      DistinctList& l = lists[m.starved[i]];
      const size_t asked = next(l).size;  // what was asked: computed before the hits are added
      size_t n = 0;
      if (Json* h = got[i]->find("hits"); h && h->is_array())
        for (Json& hit : h->as_array()) {
          l.hits.push_back(std::move(hit));
          ++n;
        }
      l.asked = asked;
      l.more = n > 0 && n >= asked;
    }
  }
  // The total: each group key once, plus the matches without a value.
  std::vector<const Json*> answers;
  std::unordered_set<std::string> groups;
  uint64_t ungrouped = 0;
  bool over = false;
  for (const auto& l : lists) {
    if (l.failed) continue;
    answers.push_back(l.first);
    const Json* d = l.first->find("distinct");
    if (const Json* o = d->find("over"); o && o->is_bool() && o->as_bool()) over = true;
    if (const Json* g = d->find("groups"); g && g->is_array())
      for (const Json& k : g->as_array())
        if (k.is_string()) groups.insert(k.as_string());
    ungrouped += as_count(d->find("ungrouped"));
  }
  const uint64_t counted = groups.size() + ungrouped;
  const bool capped = over || counted > req.track_total_hits;  // a shard over the limit: so is the index
  const uint64_t total = capped ? std::min<uint64_t>(req.track_total_hits, opt.track_total_hits) : counted;
  Json hits = Json::array();
  for (const auto& [shard, h] : m.page) {
    Json out = clustered_hit(*h, shard);
    out.erase("group");
    hits.push(std::move(out));
  }
  return merged_answer(req, total, capped, std::move(hits), answers, shards.size(), std::move(failures), took_ms);
}

}  // namespace meridian::cluster
