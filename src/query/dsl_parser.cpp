#include "meridian/query/dsl_parser.h"

#include <cmath>
#include <utility>

#include "meridian/query/query_string_parser.h"

namespace meridian::query {

namespace dsl {

std::string child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string element(const std::string& path, size_t index) { return path + "[" + std::to_string(index) + "]"; }

Status error(const std::string& path, std::string_view msg) {
  return Status::invalid(path.empty() ? std::string(msg) : path + ": " + std::string(msg));
}

Status type_error(const std::string& path, std::string_view expected, const Json& got) {
  std::string_view name = got.is_number() ? "number" : got.is_bool() ? "boolean" : got.type_name();
  return error(path, "expected " + std::string(expected) + ", got " + std::string(name));
}

Status unknown_key(const std::string& path, std::string_view key) {
  return error(path, "unknown key '" + std::string(key) + "'");
}

Result<std::string> get_string(const Json& v, const std::string& path) {
  if (!v.is_string()) return type_error(path, "string", v);
  return v.as_string();
}

Result<double> get_number(const Json& v, const std::string& path) {
  if (!v.is_number()) return type_error(path, "number", v);
  return v.as_double();
}

Result<int64_t> get_int(const Json& v, const std::string& path, int64_t min, int64_t max) {
  int64_t i = 0;
  if (v.is_int()) {
    i = v.as_int();
  } else if (v.is_double() && std::floor(v.as_double()) == v.as_double() && std::abs(v.as_double()) < 9e18) {
    i = static_cast<int64_t>(v.as_double());
  } else {
    return type_error(path, "integer", v);
  }
  if (i < min || i > max)
    return error(path, "expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "], got " +
                           std::to_string(i));
  return i;
}

Result<bool> get_bool(const Json& v, const std::string& path) {
  if (!v.is_bool()) return type_error(path, "boolean", v);
  return v.as_bool();
}

Result<GeoPoint> get_point(const Json& v, const std::string& path) {
  GeoPoint p;
  if (v.is_string()) {
    auto r = parse_lat_lon(v.as_string());
    if (!r) return error(path, r.status().message());
    return *r;
  }
  if (v.is_array()) {
    if (v.size() != 2) return error(path, "expected [lon, lat], got " + std::to_string(v.size()) + " elements");
    MERIDIAN_ASSIGN_OR_RETURN(p.lon, get_number(v.as_array()[0], element(path, 0)));
    MERIDIAN_ASSIGN_OR_RETURN(p.lat, get_number(v.as_array()[1], element(path, 1)));
  } else if (v.is_object()) {
    bool has_lat = false, has_lon = false;
    for (const auto& [k, x] : v.as_object()) {
      if (k == "lat") { MERIDIAN_ASSIGN_OR_RETURN(p.lat, get_number(x, child(path, k))); has_lat = true; }
      else if (k == "lon") { MERIDIAN_ASSIGN_OR_RETURN(p.lon, get_number(x, child(path, k))); has_lon = true; }
      else return unknown_key(path, k);
    }
    if (!has_lat || !has_lon) return error(path, "expected keys 'lat' and 'lon'");
  } else {
    return type_error(path, "point ({\"lat\",\"lon\"}, [lon, lat] or \"lat,lon\")", v);
  }
  Status st = check_point(p);
  if (!st) return error(path, st.message());
  return p;
}

Result<double> get_distance(const Json& v, const std::string& path) {
  if (v.is_number()) {
    if (!(v.as_double() >= 0)) return error(path, "expected a non-negative distance");
    return v.as_double();
  }
  if (!v.is_string()) return type_error(path, "distance", v);
  auto r = parse_distance_m(v.as_string());
  if (!r) return error(path, r.status().message());
  return *r;
}

Result<Fuzziness> get_fuzziness(const Json& v, const std::string& path) {
  if (v.is_number()) {
    MERIDIAN_ASSIGN_OR_RETURN(int64_t e, get_int(v, path, 0, 2));
    return Fuzziness::fixed(static_cast<int>(e));
  }
  if (!v.is_string()) return type_error(path, "fuzziness", v);
  auto r = Fuzziness::parse(v.as_string());
  if (!r) return error(path, r.status().message());
  return *r;
}

Result<MinimumShouldMatch> get_msm(const Json& v, const std::string& path) {
  if (v.is_number()) {
    MERIDIAN_ASSIGN_OR_RETURN(int64_t n, get_int(v, path, -1000000, 1000000));
    return MinimumShouldMatch{MinimumShouldMatch::Kind::kCount, static_cast<int>(n)};
  }
  if (!v.is_string()) return type_error(path, "integer or percentage", v);
  auto r = MinimumShouldMatch::parse(v.as_string());
  if (!r) return error(path, r.status().message());
  return *r;
}

std::vector<std::string> split_commas(std::string_view s) {
  auto trim = [](std::string_view t) {
    while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
    while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
    return t;
  };
  std::vector<std::string> out;
  for (size_t start = 0; start <= s.size();) {
    size_t comma = s.find(',', start);
    if (comma == std::string_view::npos) comma = s.size();
    std::string_view part = trim(s.substr(start, comma - start));
    if (!part.empty()) out.emplace_back(part);
    start = comma + 1;
  }
  return out;
}

Result<std::vector<FieldBoost>> get_fields(const Json& v, const std::string& path) {
  std::vector<std::string> names;
  if (v.is_string()) {
    std::string_view s = v.as_string();
    for (size_t start = 0; start <= s.size();) {
      size_t comma = s.find(',', start);
      if (comma == std::string_view::npos) comma = s.size();
      names.emplace_back(s.substr(start, comma - start));
      start = comma + 1;
    }
  } else if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) {
      MERIDIAN_ASSIGN_OR_RETURN(std::string s, get_string(v.as_array()[i], element(path, i)));
      names.push_back(std::move(s));
    }
  } else {
    return type_error(path, "array of field names", v);
  }
  std::vector<FieldBoost> out;
  for (size_t i = 0; i < names.size(); ++i) {
    auto r = FieldBoost::parse(names[i]);
    if (!r) return error(v.is_array() ? element(path, i) : path, r.status().message());
    out.push_back(*r);
  }
  return out;
}

}  // namespace dsl

namespace {

using namespace dsl;  // NOLINT

Result<double> get_boost(const Json& v, const std::string& path) {
  MERIDIAN_ASSIGN_OR_RETURN(double b, get_number(v, path));
  if (b < 0) return error(path, "expected a non-negative boost");
  return b;
}

Result<Operator> get_operator(const Json& v, const std::string& path) {
  MERIDIAN_ASSIGN_OR_RETURN(std::string s, get_string(v, path));
  if (s == "and" || s == "AND") return Operator::kAnd;
  if (s == "or" || s == "OR") return Operator::kOr;
  return error(path, "expected 'and' or 'or', got '" + s + "'");
}

Result<int> get_small(const Json& v, const std::string& path, int min, int max) {
  MERIDIAN_ASSIGN_OR_RETURN(int64_t i, get_int(v, path, min, max));
  return static_cast<int>(i);
}

// Analyzed text: strings, and numbers/booleans written as text.
Result<std::string> get_text(const Json& v, const std::string& path) {
  if (v.is_string()) return v.as_string();
  if (v.is_number() || v.is_bool()) return v.dump();
  return type_error(path, "string", v);
}

Result<Json> get_scalar(const Json& v, const std::string& path) {
  if (v.is_string() || v.is_number() || v.is_bool()) return v;
  return type_error(path, "string, number or boolean", v);
}

Status require_object(const Json& v, const std::string& path) {
  return v.is_object() ? Status::ok() : type_error(path, "object", v);
}

struct FieldArg {
  std::string field;
  const Json* value = nullptr;
};

// The single "<field>": value member of a field-keyed query; keys in
// `reserved` are options beside the field.
Result<FieldArg> single_field(const Json& body, const std::string& path,
                              std::initializer_list<std::string_view> reserved = {}) {
  MERIDIAN_RETURN_IF_ERROR(require_object(body, path));
  FieldArg out;
  for (const auto& [k, v] : body.as_object()) {
    bool is_reserved = false;
    for (auto r : reserved) is_reserved |= (k == r);
    if (is_reserved) continue;
    if (out.value) return error(path, "expected exactly one field, got '" + out.field + "' and '" + k + "'");
    out = FieldArg{k, &v};
  }
  if (!out.value) return error(path, "expected a field");
  return out;
}

Status missing(const std::string& path, std::string_view key) {
  return error(path, "expected key '" + std::string(key) + "'");
}

// Shared options of match and multi_match.
template <typename M>
Result<bool> text_option(M* m, const std::string& k, const Json& v, const std::string& kp) {
  if (k == "query") { MERIDIAN_ASSIGN_OR_RETURN(m->text, get_text(v, kp)); }
  else if (k == "operator") { MERIDIAN_ASSIGN_OR_RETURN(m->op, get_operator(v, kp)); }
  else if (k == "fuzziness") { MERIDIAN_ASSIGN_OR_RETURN(m->fuzziness, get_fuzziness(v, kp)); }
  else if (k == "prefix_length") { MERIDIAN_ASSIGN_OR_RETURN(m->prefix_length, get_small(v, kp, 0, 1000)); }
  else if (k == "max_expansions") { MERIDIAN_ASSIGN_OR_RETURN(m->max_expansions, get_small(v, kp, 1, 10000)); }
  else if (k == "minimum_should_match") { MERIDIAN_ASSIGN_OR_RETURN(m->minimum_should_match, get_msm(v, kp)); }
  else if (k == "prefix_last") { MERIDIAN_ASSIGN_OR_RETURN(m->prefix_last, get_bool(v, kp)); }
  else if (k == "transpositions") { MERIDIAN_ASSIGN_OR_RETURN(m->transpositions, get_bool(v, kp)); }
  else if (k == "boost") { MERIDIAN_ASSIGN_OR_RETURN(m->boost, get_boost(v, kp)); }
  else return false;
  return true;
}

Result<Query> parse_match(const Json& body, const std::string& path) {
  MERIDIAN_ASSIGN_OR_RETURN(FieldArg fa, single_field(body, path));
  Match m;
  m.field = fa.field;
  if (!fa.value->is_object()) {
    MERIDIAN_ASSIGN_OR_RETURN(m.text, get_text(*fa.value, path));
    return Query(std::move(m));
  }
  if (!fa.value->find("query")) return missing(path, "query");
  for (const auto& [k, v] : fa.value->as_object()) {
    MERIDIAN_ASSIGN_OR_RETURN(bool known, text_option(&m, k, v, child(path, k)));
    if (!known) return unknown_key(path, k);
  }
  return Query(std::move(m));
}

Result<Query> parse_phrase(const Json& body, const std::string& path, bool prefix) {
  MERIDIAN_ASSIGN_OR_RETURN(FieldArg fa, single_field(body, path));
  MatchPhrase m;
  m.field = fa.field;
  m.prefix = prefix;
  if (!fa.value->is_object()) {
    MERIDIAN_ASSIGN_OR_RETURN(m.text, get_text(*fa.value, path));
    return Query(std::move(m));
  }
  if (!fa.value->find("query")) return missing(path, "query");
  for (const auto& [k, v] : fa.value->as_object()) {
    std::string kp = child(path, k);
    if (k == "query") { MERIDIAN_ASSIGN_OR_RETURN(m.text, get_text(v, kp)); }
    else if (k == "slop") { MERIDIAN_ASSIGN_OR_RETURN(m.slop, get_small(v, kp, 0, 10000)); }
    else if (k == "boost") { MERIDIAN_ASSIGN_OR_RETURN(m.boost, get_boost(v, kp)); }
    else if (k == "max_expansions" && prefix) { MERIDIAN_ASSIGN_OR_RETURN(m.max_expansions, get_small(v, kp, 1, 10000)); }
    else return unknown_key(path, k);
  }
  return Query(std::move(m));
}

Result<Query> parse_multi_match(const Json& body, const std::string& path) {
  MERIDIAN_RETURN_IF_ERROR(require_object(body, path));
  if (!body.find("query")) return missing(path, "query");
  MultiMatch m;
  m.fields = {FieldBoost{"*", 1}};
  for (const auto& [k, v] : body.as_object()) {
    std::string kp = child(path, k);
    MERIDIAN_ASSIGN_OR_RETURN(bool known, text_option(&m, k, v, kp));
    if (known) continue;
    if (k == "fields") {
      MERIDIAN_ASSIGN_OR_RETURN(m.fields, get_fields(v, kp));
      if (m.fields.empty()) return error(kp, "expected at least one field");
    } else if (k == "type") {
      MERIDIAN_ASSIGN_OR_RETURN(std::string t, get_string(v, kp));
      if (t == "best_fields") m.type = MultiMatchType::kBestFields;
      else if (t == "most_fields") m.type = MultiMatchType::kMostFields;
      else return error(kp, "expected 'best_fields' or 'most_fields', got '" + t + "'");
    } else {
      return unknown_key(path, k);
    }
  }
  return Query(std::move(m));
}

// term, prefix, wildcard, regexp: "<field>": value or {"value": .., "boost": ..}.
template <typename Node>
Result<Query> parse_field_value(const Json& body, const std::string& path, std::string_view alias = "value") {
  MERIDIAN_ASSIGN_OR_RETURN(FieldArg fa, single_field(body, path));
  Node n;
  n.field = fa.field;
  constexpr bool kScalar = std::is_same_v<Node, Term>;
  auto read = [&](const Json& v, const std::string& p) -> Status {
    if constexpr (kScalar) {
      MERIDIAN_ASSIGN_OR_RETURN(n.value, get_scalar(v, p));
    } else {
      MERIDIAN_ASSIGN_OR_RETURN(std::string s, get_string(v, p));
      if constexpr (std::is_same_v<Node, Prefix>) n.value = std::move(s); else n.pattern = std::move(s);
    }
    return Status::ok();
  };
  if (!fa.value->is_object()) {
    MERIDIAN_RETURN_IF_ERROR(read(*fa.value, path));
    return Query(std::move(n));
  }
  bool has_value = false;
  for (const auto& [k, v] : fa.value->as_object()) {
    std::string kp = child(path, k);
    if (k == "value" || k == alias) { MERIDIAN_RETURN_IF_ERROR(read(v, kp)); has_value = true; }
    else if (k == "boost") { MERIDIAN_ASSIGN_OR_RETURN(n.boost, get_boost(v, kp)); }
    else return unknown_key(path, k);
  }
  if (!has_value) return missing(path, "value");
  return Query(std::move(n));
}

Result<Query> parse_terms(const Json& body, const std::string& path) {
  MERIDIAN_ASSIGN_OR_RETURN(FieldArg fa, single_field(body, path, {"boost"}));
  Terms t;
  t.field = fa.field;
  if (const Json* b = body.find("boost")) { MERIDIAN_ASSIGN_OR_RETURN(t.boost, get_boost(*b, child(path, "boost"))); }
  if (!fa.value->is_array()) return type_error(path, "array", *fa.value);
  for (size_t i = 0; i < fa.value->size(); ++i) {
    MERIDIAN_ASSIGN_OR_RETURN(Json v, get_scalar(fa.value->as_array()[i], element(path, i)));
    t.values.push_back(std::move(v));
  }
  return Query(std::move(t));
}

Result<Query> parse_fuzzy(const Json& body, const std::string& path) {
  MERIDIAN_ASSIGN_OR_RETURN(FieldArg fa, single_field(body, path));
  Fuzzy f;
  f.field = fa.field;
  if (!fa.value->is_object()) {
    MERIDIAN_ASSIGN_OR_RETURN(f.value, get_string(*fa.value, path));
    return Query(std::move(f));
  }
  if (!fa.value->find("value")) return missing(path, "value");
  for (const auto& [k, v] : fa.value->as_object()) {
    std::string kp = child(path, k);
    if (k == "value") { MERIDIAN_ASSIGN_OR_RETURN(f.value, get_string(v, kp)); }
    else if (k == "fuzziness") { MERIDIAN_ASSIGN_OR_RETURN(f.fuzziness, get_fuzziness(v, kp)); }
    else if (k == "prefix_length") { MERIDIAN_ASSIGN_OR_RETURN(f.prefix_length, get_small(v, kp, 0, 1000)); }
    else if (k == "max_expansions") { MERIDIAN_ASSIGN_OR_RETURN(f.max_expansions, get_small(v, kp, 1, 10000)); }
    else if (k == "transpositions") { MERIDIAN_ASSIGN_OR_RETURN(f.transpositions, get_bool(v, kp)); }
    else if (k == "boost") { MERIDIAN_ASSIGN_OR_RETURN(f.boost, get_boost(v, kp)); }
    else return unknown_key(path, k);
  }
  return Query(std::move(f));
}

Result<Query> parse_range(const Json& body, const std::string& path) {
  MERIDIAN_ASSIGN_OR_RETURN(FieldArg fa, single_field(body, path));
  MERIDIAN_RETURN_IF_ERROR(require_object(*fa.value, path));
  Range r;
  r.field = fa.field;
  for (const auto& [k, v] : fa.value->as_object()) {
    std::string kp = child(path, k);
    std::optional<Json>* bound = k == "gt" ? &r.gt : k == "gte" ? &r.gte : k == "lt" ? &r.lt : k == "lte" ? &r.lte : nullptr;
    if (bound) {
      if (v.is_null()) continue;
      if (!v.is_number() && !v.is_string()) return type_error(kp, "number or string", v);
      *bound = v;
    } else if (k == "format") {
      MERIDIAN_ASSIGN_OR_RETURN(r.format, get_string(v, kp));
    } else if (k == "boost") {
      MERIDIAN_ASSIGN_OR_RETURN(r.boost, get_boost(v, kp));
    } else {
      return unknown_key(path, k);
    }
  }
  return Query(std::move(r));
}

// {"<k1>": .., "boost": ..}: a body of known keys only, each read by `fn`.
template <typename Fn>
Status for_keys(const Json& body, const std::string& path, Fn fn) {
  MERIDIAN_RETURN_IF_ERROR(require_object(body, path));
  for (const auto& [k, v] : body.as_object()) {
    MERIDIAN_ASSIGN_OR_RETURN(bool known, fn(k, v, child(path, k)));
    if (!known) return unknown_key(path, k);
  }
  return Status::ok();
}

Result<Query> parse_exists(const Json& body, const std::string& path) {
  Exists e;
  MERIDIAN_RETURN_IF_ERROR(for_keys(body, path, [&](const std::string& k, const Json& v, const std::string& kp) -> Result<bool> {
    if (k == "field") { MERIDIAN_ASSIGN_OR_RETURN(e.field, get_string(v, kp)); return true; }
    if (k == "boost") { MERIDIAN_ASSIGN_OR_RETURN(e.boost, get_boost(v, kp)); return true; }
    return false;
  }));
  if (e.field.empty()) return missing(path, "field");
  return Query(std::move(e));
}

Result<Query> parse_ids(const Json& body, const std::string& path) {
  Ids ids;
  bool has_values = false;
  MERIDIAN_RETURN_IF_ERROR(for_keys(body, path, [&](const std::string& k, const Json& v, const std::string& kp) -> Result<bool> {
    if (k == "boost") { MERIDIAN_ASSIGN_OR_RETURN(ids.boost, get_boost(v, kp)); return true; }
    if (k != "values") return false;
    if (!v.is_array()) return type_error(kp, "array", v);
    for (size_t i = 0; i < v.size(); ++i) {
      const Json& x = v.as_array()[i];
      if (x.is_string()) ids.values.push_back(x.as_string());
      else if (x.is_int()) ids.values.push_back(x.dump());
      else return type_error(element(kp, i), "string", x);
    }
    has_values = true;
    return true;
  }));
  if (!has_values) return missing(path, "values");
  return Query(std::move(ids));
}

// A bool clause list: one query object or an array of them.
Status parse_clauses(const Json& v, const std::string& kp, std::vector<Query>* out) {
  if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) {
      MERIDIAN_ASSIGN_OR_RETURN(Query q, parse_dsl(v.as_array()[i], element(kp, i)));
      out->push_back(std::move(q));
    }
    return Status::ok();
  }
  if (!v.is_object()) return type_error(kp, "query object or array", v);
  MERIDIAN_ASSIGN_OR_RETURN(Query q, parse_dsl(v, kp));
  out->push_back(std::move(q));
  return Status::ok();
}

Result<Query> parse_bool(const Json& body, const std::string& path) {
  Bool b;
  MERIDIAN_RETURN_IF_ERROR(for_keys(body, path, [&](const std::string& k, const Json& v, const std::string& kp) -> Result<bool> {
    if (k == "must") MERIDIAN_RETURN_IF_ERROR(parse_clauses(v, kp, &b.must));
    else if (k == "should") MERIDIAN_RETURN_IF_ERROR(parse_clauses(v, kp, &b.should));
    else if (k == "must_not") MERIDIAN_RETURN_IF_ERROR(parse_clauses(v, kp, &b.must_not));
    else if (k == "filter") MERIDIAN_RETURN_IF_ERROR(parse_clauses(v, kp, &b.filter));
    else if (k == "minimum_should_match") { MERIDIAN_ASSIGN_OR_RETURN(b.minimum_should_match, get_msm(v, kp)); }
    else if (k == "boost") { MERIDIAN_ASSIGN_OR_RETURN(b.boost, get_boost(v, kp)); }
    else return false;
    return true;
  }));
  return Query(std::move(b));
}

Result<Query> parse_constant_score(const Json& body, const std::string& path) {
  ConstantScore cs;
  bool has_filter = false;
  MERIDIAN_RETURN_IF_ERROR(for_keys(body, path, [&](const std::string& k, const Json& v, const std::string& kp) -> Result<bool> {
    if (k == "filter") { MERIDIAN_ASSIGN_OR_RETURN(*cs.filter, parse_dsl(v, kp)); has_filter = true; return true; }
    if (k == "boost") { MERIDIAN_ASSIGN_OR_RETURN(cs.boost, get_boost(v, kp)); return true; }
    return false;
  }));
  if (!has_filter) return missing(path, "filter");
  return Query(std::move(cs));
}

Result<Query> parse_query_string_dsl(const Json& body, const std::string& path, bool simple) {
  QueryStringOptions opt;
  std::string text;
  bool has_query = false;
  double boost = 1;
  MERIDIAN_RETURN_IF_ERROR(for_keys(body, path, [&](const std::string& k, const Json& v, const std::string& kp) -> Result<bool> {
    if (k == "query") { MERIDIAN_ASSIGN_OR_RETURN(text, get_string(v, kp)); has_query = true; }
    else if (k == "fields") { MERIDIAN_ASSIGN_OR_RETURN(opt.default_fields, get_fields(v, kp)); }
    else if (k == "default_field" && !simple) {
      MERIDIAN_ASSIGN_OR_RETURN(std::string f, get_string(v, kp));
      auto fb = FieldBoost::parse(f);
      if (!fb) return error(kp, fb.status().message());
      opt.default_fields = {*fb};
    }
    else if (k == "default_operator") { MERIDIAN_ASSIGN_OR_RETURN(opt.default_operator, get_operator(v, kp)); }
    else if (k == "boost") { MERIDIAN_ASSIGN_OR_RETURN(boost, get_boost(v, kp)); }
    else return false;
    return true;
  }));
  if (!has_query) return missing(path, "query");
  Query q;
  if (simple) {
    q = parse_simple(text, opt.default_fields, opt.default_operator);
  } else {
    auto r = parse_query_string(text, opt);
    if (!r) return error(child(path, "query"), r.status().message());
    q = std::move(r).value();
  }
  if (boost != 1) q.set_boost(q.boost() * boost);
  return q;
}

Result<Query> parse_match_all(const Json& body, const std::string& path, bool none) {
  double boost = 1;
  MERIDIAN_RETURN_IF_ERROR(for_keys(body, path, [&](const std::string& k, const Json& v, const std::string& kp) -> Result<bool> {
    if (k != "boost") return false;
    MERIDIAN_ASSIGN_OR_RETURN(boost, get_boost(v, kp));
    return true;
  }));
  if (none) return Query(MatchNone{boost});
  return Query(MatchAll{boost});
}


// ---- geo ----

Result<Query> parse_geo_distance(const Json& body, const std::string& path) {
  MERIDIAN_ASSIGN_OR_RETURN(FieldArg fa, single_field(body, path, {"distance", "boost"}));
  GeoDistance g;
  g.field = fa.field;
  const Json* d = body.find("distance");
  if (!d) return missing(path, "distance");
  MERIDIAN_ASSIGN_OR_RETURN(g.distance_m, get_distance(*d, child(path, "distance")));
  if (const Json* b = body.find("boost")) { MERIDIAN_ASSIGN_OR_RETURN(g.boost, get_boost(*b, child(path, "boost"))); }
  MERIDIAN_ASSIGN_OR_RETURN(GeoPoint p, get_point(*fa.value, path));
  g.lat = p.lat;
  g.lon = p.lon;
  return Query(std::move(g));
}

Result<Query> parse_geo_bounding_box(const Json& body, const std::string& path) {
  MERIDIAN_ASSIGN_OR_RETURN(FieldArg fa, single_field(body, path, {"boost"}));
  GeoBoundingBox g;
  g.field = fa.field;
  if (const Json* b = body.find("boost")) { MERIDIAN_ASSIGN_OR_RETURN(g.boost, get_boost(*b, child(path, "boost"))); }
  int have = 0;  // bits: top, left, bottom, right
  auto corner = [&](const Json& v, const std::string& kp, double* lat, double* lon, int bits) -> Status {
    MERIDIAN_ASSIGN_OR_RETURN(GeoPoint p, get_point(v, kp));
    *lat = p.lat;
    *lon = p.lon;
    have |= bits;
    return Status::ok();
  };
  MERIDIAN_RETURN_IF_ERROR(for_keys(*fa.value, path, [&](const std::string& k, const Json& v, const std::string& kp) -> Result<bool> {
    if (k == "top_left") MERIDIAN_RETURN_IF_ERROR(corner(v, kp, &g.top, &g.left, 3));
    else if (k == "bottom_right") MERIDIAN_RETURN_IF_ERROR(corner(v, kp, &g.bottom, &g.right, 12));
    else if (k == "top_right") MERIDIAN_RETURN_IF_ERROR(corner(v, kp, &g.top, &g.right, 9));
    else if (k == "bottom_left") MERIDIAN_RETURN_IF_ERROR(corner(v, kp, &g.bottom, &g.left, 6));
    else if (k == "top") { MERIDIAN_ASSIGN_OR_RETURN(g.top, get_number(v, kp)); have |= 1; }
    else if (k == "left") { MERIDIAN_ASSIGN_OR_RETURN(g.left, get_number(v, kp)); have |= 2; }
    else if (k == "bottom") { MERIDIAN_ASSIGN_OR_RETURN(g.bottom, get_number(v, kp)); have |= 4; }
    else if (k == "right") { MERIDIAN_ASSIGN_OR_RETURN(g.right, get_number(v, kp)); have |= 8; }
    else return false;
    return true;
  }));
  if (have != 15) return error(path, "expected top_left and bottom_right (or top, left, bottom and right)");
  for (const GeoPoint& p : {GeoPoint{g.top, g.left}, GeoPoint{g.bottom, g.right}}) {
    Status st = check_point(p);
    if (!st) return error(path, st.message());
  }
  if (g.top < g.bottom) return error(path, "expected top >= bottom");
  return Query(std::move(g));
}

Result<std::vector<GeoPoint>> get_ring(const Json& v, const std::string& path) {
  if (!v.is_array()) return type_error(path, "array of points", v);
  std::vector<GeoPoint> ring;
  for (size_t i = 0; i < v.size(); ++i) {
    MERIDIAN_ASSIGN_OR_RETURN(GeoPoint p, get_point(v.as_array()[i], element(path, i)));
    ring.push_back(p);
  }
  if (ring.size() >= 2 && ring.front() == ring.back()) ring.pop_back();  // accept closed rings
  if (ring.size() < 3) return error(path, "expected at least 3 points, got " + std::to_string(ring.size()));
  return ring;
}

Result<Query> parse_geo_polygon(const Json& body, const std::string& path) {
  MERIDIAN_ASSIGN_OR_RETURN(FieldArg fa, single_field(body, path, {"boost"}));
  GeoPolygon g;
  g.field = fa.field;
  if (const Json* b = body.find("boost")) { MERIDIAN_ASSIGN_OR_RETURN(g.boost, get_boost(*b, child(path, "boost"))); }
  MERIDIAN_RETURN_IF_ERROR(require_object(*fa.value, path));
  const Json* points = fa.value->find("points");
  if (!points) return missing(path, "points");
  MERIDIAN_ASSIGN_OR_RETURN(std::vector<GeoPoint> outer, get_ring(*points, child(path, "points")));
  g.rings.push_back(std::move(outer));
  for (const auto& [k, v] : fa.value->as_object()) {
    if (k == "points") continue;
    if (k != "holes") return unknown_key(path, k);
    std::string kp = child(path, k);
    if (!v.is_array()) return type_error(kp, "array of rings", v);
    for (size_t i = 0; i < v.size(); ++i) {
      MERIDIAN_ASSIGN_OR_RETURN(std::vector<GeoPoint> hole, get_ring(v.as_array()[i], element(kp, i)));
      g.rings.push_back(std::move(hole));
    }
  }
  return Query(std::move(g));
}

Result<Query> parse_geohash_cell(const Json& body, const std::string& path) {
  MERIDIAN_ASSIGN_OR_RETURN(FieldArg fa, single_field(body, path, {"boost"}));
  GeohashCell g;
  g.field = fa.field;
  if (const Json* b = body.find("boost")) { MERIDIAN_ASSIGN_OR_RETURN(g.boost, get_boost(*b, child(path, "boost"))); }
  MERIDIAN_ASSIGN_OR_RETURN(g.hash, get_string(*fa.value, path));
  static constexpr std::string_view kBase32 = "0123456789bcdefghjkmnpqrstuvwxyz";
  bool ok = !g.hash.empty() && g.hash.size() <= 12;
  for (char c : g.hash) ok &= kBase32.find(c) != std::string_view::npos;
  if (!ok) return error(path, "expected a geohash of 1 to 12 base32 characters, got '" + g.hash + "'");
  return Query(std::move(g));
}

}  // namespace


Result<Query> parse_dsl(const Json& json, const std::string& path) {
  if (!json.is_object()) return type_error(path, "query object", json);
  if (json.size() != 1)
    return error(path, "expected exactly one query type, got " + std::to_string(json.size()) + " keys");
  const auto& [type, body] = json.as_object()[0];
  std::string p = child(path, type);
  if (type == "match") return parse_match(body, p);
  if (type == "match_phrase") return parse_phrase(body, p, false);
  if (type == "match_phrase_prefix") return parse_phrase(body, p, true);
  if (type == "multi_match") return parse_multi_match(body, p);
  if (type == "term") return parse_field_value<Term>(body, p);
  if (type == "terms") return parse_terms(body, p);
  if (type == "prefix") return parse_field_value<Prefix>(body, p);
  if (type == "wildcard") return parse_field_value<Wildcard>(body, p, "wildcard");
  if (type == "regexp") return parse_field_value<Regexp>(body, p);
  if (type == "fuzzy") return parse_fuzzy(body, p);
  if (type == "range") return parse_range(body, p);
  if (type == "exists") return parse_exists(body, p);
  if (type == "ids") return parse_ids(body, p);
  if (type == "bool") return parse_bool(body, p);
  if (type == "constant_score") return parse_constant_score(body, p);
  if (type == "query_string") return parse_query_string_dsl(body, p, false);
  if (type == "simple_query_string") return parse_query_string_dsl(body, p, true);
  if (type == "match_all") return parse_match_all(body, p, false);
  if (type == "match_none") return parse_match_all(body, p, true);
  if (type == "geo_distance") return parse_geo_distance(body, p);
  if (type == "geo_bounding_box") return parse_geo_bounding_box(body, p);
  if (type == "geo_polygon") return parse_geo_polygon(body, p);
  if (type == "geohash_cell") return parse_geohash_cell(body, p);
  return error(path, "unknown query type '" + type + "'");
}

}  // namespace meridian::query
