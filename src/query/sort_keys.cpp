// Sort keys of hits (sort_keys.h).
#include "sort_keys.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <unordered_set>

#include "meridian/geo/geo.h"
#include "meridian/index/term_key.h"

namespace meridian::query {

static int cmp_value(const SortValue& a, const SortValue& b) {
  if (a.index() == 3 && b.index() == 3) {
    int c = std::get<3>(a).compare(std::get<3>(b));
    return c < 0 ? -1 : c > 0;
  }
  auto num = [](const SortValue& v) { return v.index() == 1 ? static_cast<double>(std::get<1>(v)) : std::get<2>(v); };
  if (a.index() == 1 && b.index() == 1) return std::get<1>(a) < std::get<1>(b) ? -1 : std::get<1>(a) > std::get<1>(b);
  double x = num(a), y = num(b);
  return x < y ? -1 : x > y;
}

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
  if (a.order != b.order) return a.order < b.order ? -1 : 1;
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
static const columns::IntColumn* sort_int_column(const index::Segment& seg, const index::Snapshot& snap,
                                          const std::string& field) {
  const index::FieldDef* f = snap.schema().find(field);
  if (field == snap.schema().id_field())
    return f && f->type == index::FieldType::kInt ? seg.columns().int_column(index::kIdField) : nullptr;
  if (!f || (f->type != index::FieldType::kInt && f->type != index::FieldType::kDate)) return nullptr;
  return seg.columns().int_column(field);
}

int doc_order(const index::Segment& seg, const index::Snapshot& snap, const std::vector<SortSpec>& sort) {
  if (sort.size() != 1 || sort[0].kind != SortSpec::Kind::kField) return 0;
  const columns::IntColumn* col = sort_int_column(seg, snap, sort[0].field);
  if (!col || !col->strictly_increasing()) return 0;
  return sort[0].desc ? -1 : 1;
}

const columns::IntColumn* single_valued_int(const index::Segment& seg, const index::Snapshot& snap,
                                            const std::vector<SortSpec>& sort) {
  if (sort.size() != 1 || sort[0].kind != SortSpec::Kind::kField) return nullptr;
  const columns::IntColumn* col = sort_int_column(seg, snap, sort[0].field);
  const uint32_t n = seg.num_docs();
  if (!col || col->docs_with_value() != n || col->num_values() != n) return nullptr;
  return col;
}

std::string group_key(const Row& r) { return r.group.index() == 0 ? std::string() : to_json_value(r.group).dump(); }

void collapse_distinct(std::vector<Row>* rows, std::vector<std::string>* keys) {
  std::unordered_set<std::string> seen;
  std::erase_if(*rows, [&](const Row& r) {
    if (r.group.index() == 0) return false;
    auto [it, fresh] = seen.insert(group_key(r));
    if (fresh && keys) keys->push_back(*it);
    return !fresh;
  });
}

SegmentSortKeys::SegmentSortKeys(const index::Segment& seg, const index::Snapshot& snap,
                                 const std::vector<SortSpec>& sort) {
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

std::optional<double> min_distance_m(const index::Segment& seg, const std::string& field, const GeoPoint& origin,
                                     uint32_t doc) {
  const auto* gc = seg.columns().geo_column(field);
  if (!gc || !gc->has(doc)) return std::nullopt;
  double best = INFINITY;
  for (size_t i = 0; i < gc->count(doc); ++i)
    best = std::min(best, geo::haversine_m({origin.lat, origin.lon}, {gc->lat(doc, i), gc->lon(doc, i)}));
  return best;
}

double decay_factor(const index::Segment& seg, const GeoDecay& g, uint32_t doc) {
  auto d = min_distance_m(seg, g.field, g.origin, doc);
  return g.weight * (d ? geo::decay(g.function, *d, g.scale_m, g.offset_m, g.decay) : 1.0);
}

}  // namespace meridian::query
