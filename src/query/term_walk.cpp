// Leaf queries over a segment's term dictionary: patterns and ranges.
#include "term_walk.h"

#include <cmath>
#include <optional>

#include "meridian/base/date.h"
#include "meridian/index/term_key.h"
#include "meridian/termdict/automaton_walk.h"

namespace meridian::query::plan {

using postings::Bitmap;

namespace {

constexpr double kTwo63 = 9223372036854775808.0;

Status union_keys(const index::Segment& seg, const std::vector<std::string>& keys, Bitmap* out) {
  for (const auto& k : keys) {
    MERIDIAN_ASSIGN_OR_RETURN(auto tp, seg.postings_for(k));
    if (tp) out->or_inplace(tp->docs());
  }
  return Status::ok();
}

// Terms t of `field` with lo <= t <= hi (each bound optional, inclusive or
// not), unioned; nullopt when more than `budget` terms are in the range.
Result<std::optional<Bitmap>> walk_range(const index::Segment& seg, const std::string& field,
                                         const std::optional<std::string>& lo, bool lo_incl,
                                         const std::optional<std::string>& hi, bool hi_incl, size_t budget) {
  const std::string prefix = index::field_prefix(field);
  auto it = seg.terms().lower_bound(prefix + lo.value_or(""));
  std::vector<std::string> keys;
  for (; it.valid(); it.next()) {
    std::string_view key = it.term();
    if (!key.starts_with(prefix)) break;
    std::string_view t = key.substr(prefix.size());
    if (lo && !lo_incl && t == *lo) continue;
    if (hi) {
      int c = t.compare(*hi);
      if (c > 0 || (c == 0 && !hi_incl)) break;
    }
    if (keys.size() >= budget) return std::optional<Bitmap>();
    keys.emplace_back(key);
  }
  MERIDIAN_RETURN_IF_ERROR(it.status());
  Bitmap out;
  MERIDIAN_RETURN_IF_ERROR(union_keys(seg, keys, &out));
  return std::optional<Bitmap>(std::move(out));
}

// A range bound as a number: exact for integers, dates and booleans.
struct Num {
  bool is_int = false;
  int64_t i = 0;
  double d = 0;
};

Result<std::optional<Num>> bound_num(const index::FieldDef& f, const std::optional<Json>& v) {
  auto bad = [&] { return Status::invalid("range on '" + f.name + "': bound " + v->dump() + " is not a number"); };
  if (!v) return std::optional<Num>();
  if (v->is_int()) return std::optional<Num>(Num{true, v->as_int(), static_cast<double>(v->as_int())});
  if (v->is_bool()) return std::optional<Num>(Num{true, v->as_bool() ? 1 : 0, v->as_bool() ? 1.0 : 0.0});
  if (v->is_double()) {
    if (std::isnan(v->as_double())) return bad();
    return std::optional<Num>(Num{false, 0, v->as_double()});
  }
  if (!v->is_string()) return bad();
  const std::string& s = v->as_string();
  if (f.type == index::FieldType::kDate) {
    auto ms = parse_rfc3339_millis(s);
    if (!ms) return Status::invalid("range on '" + f.name + "': " + ms.status().message());
    return std::optional<Num>(Num{true, *ms, static_cast<double>(*ms)});
  }
  try {
    size_t used = 0;
    long long x = std::stoll(s, &used);
    if (used == s.size()) return std::optional<Num>(Num{true, x, static_cast<double>(x)});
  } catch (...) {
  }
  try {
    size_t used = 0;
    double d = std::stod(s, &used);
    if (used == s.size() && !std::isnan(d)) return std::optional<Num>(Num{false, 0, d});
  } catch (...) {
  }
  return bad();
}

// Smallest int64 >= x / largest int64 <= x; nullopt when there is none.
std::optional<int64_t> ceil_i64(double x) {
  if (x >= kTwo63) return std::nullopt;
  if (x <= -kTwo63) return INT64_MIN;
  return static_cast<int64_t>(std::ceil(x));
}
std::optional<int64_t> floor_i64(double x) {
  if (x < -kTwo63) return std::nullopt;
  if (x >= kTwo63) return INT64_MAX;
  return static_cast<int64_t>(std::floor(x));
}

// The range as an inclusive [lo, hi] of int64; nullopt when empty.
std::optional<std::pair<int64_t, int64_t>> int_bounds(const std::optional<Num>& gt, const std::optional<Num>& gte,
                                                      const std::optional<Num>& lt, const std::optional<Num>& lte) {
  int64_t lo = INT64_MIN, hi = INT64_MAX;
  if (gte) {
    auto v = gte->is_int ? std::optional<int64_t>(gte->i) : ceil_i64(gte->d);
    if (!v) return std::nullopt;
    lo = std::max(lo, *v);
  }
  if (gt) {
    auto f = gt->is_int ? std::optional<int64_t>(gt->i) : floor_i64(gt->d);
    if (f && *f == INT64_MAX) return std::nullopt;
    lo = std::max(lo, f ? *f + 1 : INT64_MIN);
  }
  if (lte) {
    auto v = lte->is_int ? std::optional<int64_t>(lte->i) : floor_i64(lte->d);
    if (!v) return std::nullopt;
    hi = std::min(hi, *v);
  }
  if (lt) {
    auto c = lt->is_int ? std::optional<int64_t>(lt->i) : ceil_i64(lt->d);
    if (c && *c == INT64_MIN) return std::nullopt;
    hi = std::min(hi, c ? *c - 1 : INT64_MAX);
  }
  if (lo > hi) return std::nullopt;
  return std::make_pair(lo, hi);
}

size_t walk_budget(const index::Segment& seg) { return std::max<size_t>(16, seg.num_docs() / 32); }

Result<Bitmap> int_range(const index::Segment& seg, const std::string& field, int64_t lo, int64_t hi) {
  MERIDIAN_ASSIGN_OR_RETURN(auto walked, walk_range(seg, field, index::encode_int(lo), true, index::encode_int(hi),
                                                    true, walk_budget(seg)));
  if (walked) return std::move(*walked);
  Bitmap out;
  const auto* ic = seg.columns().int_column(field);
  if (!ic) return out;
  for (uint32_t d = 0; d < seg.num_docs(); ++d)
    for (size_t i = 0; i < ic->count(d); ++i) {
      const int64_t v = ic->value(d, i);
      if (v >= lo && v <= hi) { out.add(d); break; }
    }
  return out;
}

Result<Bitmap> double_range(const index::Segment& seg, const std::string& field, const std::optional<Num>& gt,
                            const std::optional<Num>& gte, const std::optional<Num>& lt,
                            const std::optional<Num>& lte) {
  // The tighter bound on each side, as (value, inclusive).
  std::optional<std::pair<double, bool>> lo, hi;
  if (gte) lo = {gte->d, true};
  if (gt && (!lo || gt->d >= lo->first)) lo = {gt->d, false};
  if (lte) hi = {lte->d, true};
  if (lt && (!hi || lt->d <= hi->first)) hi = {lt->d, false};
  auto key = [](const std::optional<std::pair<double, bool>>& b) {
    return b ? std::optional<std::string>(index::encode_double(b->first)) : std::nullopt;
  };
  MERIDIAN_ASSIGN_OR_RETURN(auto walked, walk_range(seg, field, key(lo), lo && lo->second, key(hi),
                                                    hi && hi->second, walk_budget(seg)));
  if (walked) return std::move(*walked);
  auto in = [&](double x) {
    if (x == 0) x = 0;  // -0 sorts with +0, as in the keys
    if (lo && (lo->second ? !(x >= lo->first) : !(x > lo->first))) return false;
    if (hi && (hi->second ? !(x <= hi->first) : !(x < hi->first))) return false;
    return true;
  };
  Bitmap out;
  const auto* dc = seg.columns().double_column(field);
  if (!dc) return out;
  for (uint32_t d = 0; d < seg.num_docs(); ++d)
    for (size_t i = 0; i < dc->count(d); ++i)
      if (in(dc->value(d, i))) { out.add(d); break; }
  return out;
}

Result<Bitmap> string_range(const index::Segment& seg, const index::FieldDef& f, const Range& r) {
  auto str = [&](const std::optional<Json>& v) -> std::optional<std::string> {
    if (!v) return std::nullopt;
    return v->is_string() ? v->as_string() : v->dump();
  };
  auto gt = str(r.gt), gte = str(r.gte), lt = str(r.lt), lte = str(r.lte);
  if (f.type == index::FieldType::kKeyword) {
    std::optional<std::string> lo = gte, hi = lte;
    bool lo_incl = true, hi_incl = true;
    if (gt && (!lo || *gt >= *lo)) { lo = gt; lo_incl = false; }
    if (lt && (!hi || *lt <= *hi)) { hi = lt; hi_incl = false; }
    MERIDIAN_ASSIGN_OR_RETURN(auto walked, walk_range(seg, f.name, lo, lo_incl, hi, hi_incl, walk_budget(seg)));
    if (walked) return std::move(*walked);
  }
  Bitmap out;
  const auto* kc = seg.columns().keyword_column(f.name);
  if (!kc) return out;
  for (uint32_t d = 0; d < seg.num_docs(); ++d)
    for (size_t i = 0; i < kc->count(d); ++i) {
      std::string_view s = kc->value_of(kc->ord(d, i));
      if ((gt && !(s > *gt)) || (gte && !(s >= *gte)) || (lt && !(s < *lt)) || (lte && !(s <= *lte))) continue;
      out.add(d);
      break;
    }
  return out;
}

}  // namespace

Result<Bitmap> pattern_docs(const index::Segment& seg, const std::string& field, const termdict::Automaton& a,
                            size_t max_terms, const std::string& what) {
  const std::string prefix = index::field_prefix(field);
  std::vector<std::string> keys;
  const size_t cap = max_terms == SIZE_MAX ? SIZE_MAX : max_terms + 1;
  MERIDIAN_RETURN_IF_ERROR(termdict::intersect_with_prefix(
      a, prefix, seg.terms().lower_bound(prefix),
      [&](std::string_view term) { keys.push_back(index::term_key(field, term)); }, cap,
      termdict::walk_mode_for(seg.terms().size())));
  if (keys.size() > max_terms)
    return Status::invalid(what + " matches more than max_pattern_terms = " + std::to_string(max_terms) +
                           " terms in a segment; make the pattern more selective");
  Bitmap out;
  MERIDIAN_RETURN_IF_ERROR(union_keys(seg, keys, &out));
  return out;
}

Result<Bitmap> range_docs(const index::Snapshot& snap, const index::Segment& seg, const Range& r) {
  const index::FieldDef* f = snap.schema().find(r.field);
  if (!f) return Bitmap();
  switch (f->type) {
    case index::FieldType::kText:
    case index::FieldType::kKeyword:
      return string_range(seg, *f, r);
    case index::FieldType::kGeoPoint:
      return Status::invalid("range on geo_point field '" + r.field + "'");
    default:
      break;
  }
  MERIDIAN_ASSIGN_OR_RETURN(auto gt, bound_num(*f, r.gt));
  MERIDIAN_ASSIGN_OR_RETURN(auto gte, bound_num(*f, r.gte));
  MERIDIAN_ASSIGN_OR_RETURN(auto lt, bound_num(*f, r.lt));
  MERIDIAN_ASSIGN_OR_RETURN(auto lte, bound_num(*f, r.lte));
  if (f->type == index::FieldType::kFloat) return double_range(seg, r.field, gt, gte, lt, lte);
  auto b = int_bounds(gt, gte, lt, lte);
  if (!b) return Bitmap();
  return int_range(seg, r.field, b->first, b->second);
}

}  // namespace meridian::query::plan
