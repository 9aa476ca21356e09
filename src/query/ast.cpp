#include "meridian/query/ast.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace meridian::query {

namespace {

bool parse_int(std::string_view s, int* out) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool parse_double(std::string_view s, double* out) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(*out);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

}  // namespace

// ---- value helpers ----

int Fuzziness::edits_for(size_t term_chars) const {
  if (!is_auto) return edits;
  if (term_chars < static_cast<size_t>(low)) return 0;
  if (term_chars < static_cast<size_t>(high)) return 1;
  return 2;
}

std::string Fuzziness::to_string() const {
  if (!is_auto) return std::to_string(edits);
  if (low == 3 && high == 6) return "AUTO";
  return "AUTO:" + std::to_string(low) + "," + std::to_string(high);
}

Result<Fuzziness> Fuzziness::parse(std::string_view text) {
  std::string_view t = trim(text);
  int e = 0;
  if (parse_int(t, &e)) {
    if (e < 0 || e > 2) return Status::invalid("expected fuzziness 0, 1, 2 or AUTO, got '" + std::string(text) + "'");
    return fixed(e);
  }
  if (t.size() >= 4 && iequals(t.substr(0, 4), "auto")) {
    if (t.size() == 4) return automatic();
    std::string_view rest = t.substr(4);
    size_t comma = rest.find(',');
    int low = 0, high = 0;
    if (rest[0] == ':' && comma != std::string_view::npos && parse_int(trim(rest.substr(1, comma - 1)), &low) &&
        parse_int(trim(rest.substr(comma + 1)), &high) && low >= 0 && high >= low)
      return automatic(low, high);
  }
  return Status::invalid("expected fuzziness 0, 1, 2, AUTO or AUTO:low,high, got '" + std::string(text) + "'");
}

int MinimumShouldMatch::resolve(int n, int default_value) const {
  int r = default_value;
  switch (kind) {
    case Kind::kDefault: break;
    case Kind::kCount: r = value >= 0 ? value : n + value; break;
    case Kind::kPercent: {
      int part = static_cast<int>(std::floor(static_cast<double>(n) * std::abs(value) / 100.0));
      r = value >= 0 ? part : n - part;
      break;
    }
  }
  return r < 0 ? 0 : (r > n ? n : r);
}

std::string MinimumShouldMatch::to_string() const {
  switch (kind) {
    case Kind::kDefault: return "";
    case Kind::kCount: return std::to_string(value);
    case Kind::kPercent: return std::to_string(value) + "%";
  }
  return "";
}

Result<MinimumShouldMatch> MinimumShouldMatch::parse(std::string_view text) {
  std::string_view t = trim(text);
  bool percent = !t.empty() && t.back() == '%';
  if (percent) t.remove_suffix(1);
  int v = 0;
  if (!parse_int(t, &v) || (percent && (v < -100 || v > 100)))
    return Status::invalid("expected a count like 2 or -1 or a percentage like 75%, got '" + std::string(text) + "'");
  return MinimumShouldMatch{percent ? Kind::kPercent : Kind::kCount, v};
}

Result<FieldBoost> FieldBoost::parse(std::string_view text) {
  std::string_view t = trim(text);
  size_t caret = t.rfind('^');
  FieldBoost fb;
  if (caret != std::string_view::npos) {
    if (!parse_double(t.substr(caret + 1), &fb.boost) || fb.boost < 0)
      return Status::invalid("expected a non-negative number after '^' in '" + std::string(text) + "'");
    t = t.substr(0, caret);
  }
  if (t.empty()) return Status::invalid("expected a field name, got '" + std::string(text) + "'");
  fb.field = std::string(t);
  return fb;
}

Result<double> parse_distance_m(std::string_view text) {
  static const struct { std::string_view unit; double m; } kUnits[] = {
      {"mm", 0.001}, {"cm", 0.01}, {"km", 1000}, {"m", 1}, {"in", 0.0254}, {"ft", 0.3048},
      {"yd", 0.9144}, {"nmi", 1852}, {"NM", 1852}, {"mi", 1609.344}, {"", 1},
  };
  std::string_view t = trim(text);
  for (const auto& u : kUnits) {
    if (t.size() < u.unit.size() || t.substr(t.size() - u.unit.size()) != u.unit) continue;
    std::string_view num = trim(t.substr(0, t.size() - u.unit.size()));
    double v = 0;
    if (!parse_double(num, &v)) continue;
    if (v < 0) break;
    return v * u.m;
  }
  return Status::invalid("expected a distance like 10km, 500m or 1.5mi, got '" + std::string(text) + "'");
}

Status check_point(const GeoPoint& p) {
  if (!(p.lat >= -90 && p.lat <= 90)) return Status::invalid("expected latitude in [-90, 90], got " + format_number(p.lat));
  if (!(p.lon >= -180 && p.lon <= 180))
    return Status::invalid("expected longitude in [-180, 180], got " + format_number(p.lon));
  return Status::ok();
}

Result<GeoPoint> parse_lat_lon(std::string_view text) {
  size_t comma = text.find(',');
  GeoPoint p;
  if (comma == std::string_view::npos || !parse_double(trim(text.substr(0, comma)), &p.lat) ||
      !parse_double(trim(text.substr(comma + 1)), &p.lon))
    return Status::invalid("expected a point as \"lat,lon\", got '" + std::string(text) + "'");
  MERIDIAN_RETURN_IF_ERROR(check_point(p));
  return p;
}

// ---- Query ----

bool Bool::operator==(const Bool& o) const {
  return must == o.must && should == o.should && must_not == o.must_not && filter == o.filter &&
         minimum_should_match == o.minimum_should_match && boost == o.boost;
}

bool ConstantScore::operator==(const ConstantScore& o) const { return filter == o.filter && boost == o.boost; }

double Query::boost() const {
  return std::visit([](const auto& n) { return n.boost; }, node);
}

void Query::set_boost(double b) {
  std::visit([b](auto& n) { n.boost = b; }, node);
}

std::string_view kind_name(Kind k) {
  static constexpr std::string_view kNames[] = {
      "match_all", "match_none", "term", "terms", "match", "match_phrase", "multi_match",
      "prefix", "wildcard", "regexp", "fuzzy", "range", "exists", "ids", "bool",
      "constant_score", "geo_distance", "geo_bounding_box", "geo_polygon", "geohash_cell",
  };
  static_assert(std::size(kNames) == std::variant_size_v<Query::Node>);
  return kNames[static_cast<size_t>(k)];
}

std::string format_number(double d) {
  if (!std::isfinite(d)) return "null";
  if (d == 0) return "0";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

namespace {

// Builds "name(arg,arg,key=value)^boost".
class Printer {
 public:
  explicit Printer(std::string* out) : out_(out) {}

  void open(std::string_view name) { out_->append(name); out_->push_back('('); first_ = true; }
  void sep() { if (!first_) out_->push_back(','); first_ = false; }
  void field(const std::string& f) {
    sep();
    bool plain = !f.empty();
    for (char c : f)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' || c == '@' ||
            c == '*' || static_cast<unsigned char>(c) >= 0x80))
        plain = false;
    if (plain) out_->append(f); else append_json_string(out_, f);
  }
  void str(std::string_view s) { sep(); append_json_string(out_, s); }
  void raw(std::string_view s) { sep(); out_->append(s); }
  void key(std::string_view k) { sep(); out_->append(k); out_->push_back('='); first_ = true; }
  void close(double boost) {
    out_->push_back(')');
    if (boost != 1) { out_->push_back('^'); out_->append(format_number(boost)); }
  }
  void list(std::string_view k, const std::vector<Query>& qs) {
    if (qs.empty()) return;
    key(k);
    out_->push_back('[');
    for (size_t i = 0; i < qs.size(); ++i) {
      if (i) out_->push_back(',');
      out_->append(to_string(qs[i]));
    }
    out_->push_back(']');
    first_ = false;
  }
  void text_opts(Operator op, const Fuzziness& fz, int prefix_length, int max_expansions,
                 const MinimumShouldMatch& msm, bool prefix_last, bool transpositions) {
    if (op == Operator::kAnd) raw("op=and");
    if (!fz.is_none()) raw("fuzziness=" + fz.to_string());
    if (prefix_length != 0) raw("prefix_length=" + std::to_string(prefix_length));
    if (max_expansions != 50) raw("max_expansions=" + std::to_string(max_expansions));
    if (!msm.is_default()) raw("msm=" + msm.to_string());
    if (prefix_last) raw("prefix_last");
    if (!transpositions) raw("no_transpositions");
  }

 private:
  std::string* out_;
  bool first_ = true;
};

struct Visitor {
  std::string* out;
  Printer p{out};

  void simple(std::string_view name, double boost) {
    out->append(name);
    if (boost != 1) { out->push_back('^'); out->append(format_number(boost)); }
  }
  void operator()(const MatchAll& n) { simple("match_all", n.boost); }
  void operator()(const MatchNone& n) { simple("match_none", n.boost); }
  void operator()(const Term& n) { p.open("term"); p.field(n.field); p.raw(n.value.dump()); p.close(n.boost); }
  void operator()(const Terms& n) {
    p.open("terms");
    p.field(n.field);
    p.raw(Json(Json::Array(n.values)).dump());
    p.close(n.boost);
  }
  void operator()(const Match& n) {
    p.open("match");
    p.field(n.field);
    p.str(n.text);
    p.text_opts(n.op, n.fuzziness, n.prefix_length, n.max_expansions, n.minimum_should_match, n.prefix_last,
                n.transpositions);
    p.close(n.boost);
  }
  void operator()(const MatchPhrase& n) {
    p.open(n.prefix ? "match_phrase_prefix" : "match_phrase");
    p.field(n.field);
    p.str(n.text);
    if (n.slop != 0) p.raw("slop=" + std::to_string(n.slop));
    if (n.prefix && n.max_expansions != 50) p.raw("max_expansions=" + std::to_string(n.max_expansions));
    p.close(n.boost);
  }
  void operator()(const MultiMatch& n) {
    p.open("multi_match");
    p.raw(to_string(n.fields));
    p.str(n.text);
    if (n.type == MultiMatchType::kMostFields) p.raw("type=most_fields");
    p.text_opts(n.op, n.fuzziness, n.prefix_length, n.max_expansions, n.minimum_should_match, n.prefix_last,
                n.transpositions);
    p.close(n.boost);
  }
  void field_value(std::string_view name, const std::string& f, const std::string& v, double boost) {
    p.open(name);
    p.field(f);
    p.str(v);
    p.close(boost);
  }
  void operator()(const Prefix& n) { field_value("prefix", n.field, n.value, n.boost); }
  void operator()(const Wildcard& n) { field_value("wildcard", n.field, n.pattern, n.boost); }
  void operator()(const Regexp& n) { field_value("regexp", n.field, n.pattern, n.boost); }
  void operator()(const Fuzzy& n) {
    p.open("fuzzy");
    p.field(n.field);
    p.str(n.value);
    p.raw("fuzziness=" + n.fuzziness.to_string());
    if (n.prefix_length != 0) p.raw("prefix_length=" + std::to_string(n.prefix_length));
    if (n.max_expansions != 50) p.raw("max_expansions=" + std::to_string(n.max_expansions));
    if (!n.transpositions) p.raw("no_transpositions");
    p.close(n.boost);
  }
  void operator()(const Range& n) {
    p.open("range");
    p.field(n.field);
    if (n.gt) p.raw("gt=" + n.gt->dump());
    if (n.gte) p.raw("gte=" + n.gte->dump());
    if (n.lt) p.raw("lt=" + n.lt->dump());
    if (n.lte) p.raw("lte=" + n.lte->dump());
    if (n.format) { p.key("format"); p.str(*n.format); }
    p.close(n.boost);
  }
  void operator()(const Exists& n) { p.open("exists"); p.field(n.field); p.close(n.boost); }
  void operator()(const Ids& n) {
    p.open("ids");
    for (const auto& v : n.values) p.str(v);
    p.close(n.boost);
  }
  void operator()(const Bool& n) {
    p.open("bool");
    p.list("must", n.must);
    p.list("should", n.should);
    p.list("must_not", n.must_not);
    p.list("filter", n.filter);
    if (!n.minimum_should_match.is_default()) p.raw("msm=" + n.minimum_should_match.to_string());
    p.close(n.boost);
  }
  void operator()(const ConstantScore& n) {
    p.open("constant_score");
    p.raw(to_string(*n.filter));
    p.close(n.boost);
  }
  void operator()(const GeoDistance& n) {
    p.open("geo_distance");
    p.field(n.field);
    p.raw(format_number(n.lat));
    p.raw(format_number(n.lon));
    p.raw(format_number(n.distance_m) + "m");
    p.close(n.boost);
  }
  void operator()(const GeoBoundingBox& n) {
    p.open("geo_bounding_box");
    p.field(n.field);
    p.raw("top=" + format_number(n.top));
    p.raw("left=" + format_number(n.left));
    p.raw("bottom=" + format_number(n.bottom));
    p.raw("right=" + format_number(n.right));
    p.close(n.boost);
  }
  void operator()(const GeoPolygon& n) {
    p.open("geo_polygon");
    p.field(n.field);
    for (const auto& ring : n.rings) {
      std::string r = "[";
      for (size_t i = 0; i < ring.size(); ++i) {
        if (i) r += ' ';
        r += format_number(ring[i].lat) + "," + format_number(ring[i].lon);
      }
      p.raw(r + "]");
    }
    p.close(n.boost);
  }
  void operator()(const GeohashCell& n) { field_value("geohash_cell", n.field, n.hash, n.boost); }
};

}  // namespace

std::string to_string(const std::vector<FieldBoost>& fields) {
  std::string s = "[";
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) s += ',';
    s += fields[i].field;
    if (fields[i].boost != 1) s += "^" + format_number(fields[i].boost);
  }
  return s + "]";
}

std::string to_string(const Query& q) {
  std::string out;
  Visitor v{&out};
  std::visit(v, q.node);
  return out;
}

}  // namespace meridian::query
