#include "shell_parse.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

#include "meridian/query/ast.h"

namespace meridian::cli::shell {
namespace {

std::vector<std::string> split_words(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t start = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > start) out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool numberish(const std::string& w) {
  return !w.empty() && (std::isdigit(static_cast<unsigned char>(w[0])) || w[0] == '-' || w[0] == '+' || w[0] == '.');
}

bool is_suffix_at(const std::vector<std::string>& w, size_t i) {
  std::string k = lower(w[i]);
  return (k == "near" || k == "in") && i + 1 < w.size() && numberish(w[i + 1]);
}

Result<double> parse_number(const std::string& s, const std::string& what) {
  if (s.empty()) return Status::invalid(what + ": expected a number");
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (*end || !std::isfinite(d)) return Status::invalid(what + ": expected a number, got '" + s + "'");
  return d;
}

Result<std::vector<double>> parse_numbers(const std::string& joined, size_t n, const std::string& what) {
  std::vector<double> out;
  size_t pos = 0;
  for (;;) {
    size_t comma = joined.find(',', pos);
    std::string part = joined.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    MERIDIAN_ASSIGN_OR_RETURN(double d, parse_number(part, what));
    out.push_back(d);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  if (out.size() != n) return Status::invalid(what + ": expected " + std::to_string(n) + " comma-separated numbers, got '" + joined + "'");
  return out;
}

// `near LAT,LON within DISTANCE` starting at w[*i] == "near".
Result<GeoNear> parse_near(const std::vector<std::string>& w, size_t* i) {
  std::string point;
  size_t j = *i + 1;
  while (j < w.size() && lower(w[j]) != "within" && !is_suffix_at(w, j)) point += w[j++];
  MERIDIAN_ASSIGN_OR_RETURN(auto ll, parse_numbers(point, 2, "near"));
  if (ll[0] < -90 || ll[0] > 90) return Status::invalid("near: latitude must be within [-90, 90], got " + w[*i + 1]);
  if (ll[1] < -180 || ll[1] > 180) return Status::invalid("near: longitude must be within [-180, 180]");
  if (j >= w.size() || lower(w[j]) != "within") {  // no radius: nearest first, nothing filtered
    *i = j;
    return GeoNear{ll[0], ll[1], ""};
  }
  ++j;
  if (j >= w.size()) return Status::invalid("within: expected a distance such as 10km");
  std::string dist = w[j++];
  // "10 km": a bare number followed by a unit word
  if (j < w.size() && !dist.empty() && std::isdigit(static_cast<unsigned char>(dist.back())) &&
      std::isalpha(static_cast<unsigned char>(w[j][0])) && !is_suffix_at(w, j))
    dist += w[j++];
  auto m = query::parse_distance_m(dist);
  if (!m) return Status::invalid("within: " + m.status().message());
  if (*m <= 0) return Status::invalid("within: the distance must be positive, got '" + dist + "'");
  *i = j;
  return GeoNear{ll[0], ll[1], dist};
}

Result<GeoBox> parse_box(const std::vector<std::string>& w, size_t* i) {
  std::string box;
  size_t j = *i + 1;
  while (j < w.size() && !is_suffix_at(w, j)) box += w[j++];
  MERIDIAN_ASSIGN_OR_RETURN(auto v, parse_numbers(box, 4, "in"));
  GeoBox b{v[0], v[1], v[2], v[3]};
  if (b.bottom < -90 || b.top > 90 || b.bottom > b.top)
    return Status::invalid("in: expected LEFT,BOTTOM,RIGHT,TOP (lon,lat,lon,lat) with bottom <= top, got '" + box + "'");
  if (b.left < -180 || b.left > 180 || b.right < -180 || b.right > 180)
    return Status::invalid("in: longitudes must be within [-180, 180], got '" + box + "'");
  *i = j;
  return b;
}

Result<ParsedLine> parse_search(std::string_view line) {
  ParsedLine out;
  out.kind = ParsedLine::Kind::kSearch;
  auto w = split_words(line);
  size_t i = 0;
  while (i < w.size() && !is_suffix_at(w, i)) {
    if (!out.text.empty()) out.text += ' ';
    out.text += w[i++];
  }
  while (i < w.size()) {
    std::string k = lower(w[i]);
    if (k == "near") {
      if (out.near) return Status::invalid("near: given twice");
      MERIDIAN_ASSIGN_OR_RETURN(out.near, parse_near(w, &i));
    } else if (k == "in") {
      if (out.bbox) return Status::invalid("in: given twice");
      MERIDIAN_ASSIGN_OR_RETURN(out.bbox, parse_box(w, &i));
    } else {
      return Status::invalid("unexpected '" + w[i] + "' after the geo filter (text goes first: TEXT near LAT,LON within 10km)");
    }
  }
  return out;
}

bool is_operator_word(const std::string& c) {
  return c == "AND" || c == "OR" || c == "NOT" || c == "&&" || c == "||";
}

// "country:FR", "population:>10", "title:\"new york\"", "_exists_:x": a
// field name (letters, digits, _ . - @, not starting with a digit or '-')
// before a ':' with something after it.
bool is_field_clause(const std::string& c) {
  size_t colon = c.find(':');
  if (colon == 0 || colon == std::string::npos || colon + 1 >= c.size()) return false;
  unsigned char first = static_cast<unsigned char>(c[0]);
  if (std::isdigit(first) || c[0] == '-') return false;
  for (size_t i = 0; i < colon; ++i) {
    unsigned char ch = static_cast<unsigned char>(c[i]);
    if (!(std::isalnum(ch) || ch >= 0x80 || ch == '_' || ch == '.' || ch == '-' || ch == '@')) return false;
  }
  return true;
}

// Operators, grouping, quotes, wildcards, fuzziness, boosts, regexes and
// escapes: what only the full query-string parser understands.
bool has_syntax(const std::string& c) {
  if (is_operator_word(c)) return true;
  if (c[0] == '+' || c[0] == '-' || c[0] == '!' || c[0] == '/') return true;
  return c.find_first_of("\"*?~^()[]{}\\") != std::string::npos;
}

}  // namespace

std::vector<std::string> split_clauses(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  bool quoted = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\' && i + 1 < s.size()) {
      cur += c;
      cur += s[++i];
      continue;
    }
    if (c == '"') quoted = !quoted;
    else if (!quoted && (c == '(' || c == '[' || c == '{')) ++depth;
    else if (!quoted && (c == ')' || c == ']' || c == '}') && depth > 0) --depth;
    if (!quoted && depth == 0 && std::isspace(static_cast<unsigned char>(c))) {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
      continue;
    }
    cur += c;
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

SearchText classify_text(std::string_view text) {
  SearchText out;
  auto clauses = split_clauses(text);
  for (const auto& c : clauses) {
    if (is_field_clause(c)) {
      // the value part may use any syntax: it goes to the query-string parser as is
      out.filters.push_back(c);
    } else if (has_syntax(c)) {
      out = SearchText{};
      out.query_string = trim(text);
      return out;
    } else {
      if (!out.words.empty()) out.words += ' ';
      out.words += c;
    }
  }
  return out;
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

const std::vector<CommandInfo>& commands() {
  static const std::vector<CommandInfo> k = {
      {"l", "", "list indexes"},
      {"d", "[INDEX]", "schema and stats of an index (default: the current one)"},
      {"c", "INDEX", "use INDEX for searches"},
      {"timing", "[on|off]", "show the time of each search (toggle)"},
      {"format", "table|json|csv", "output format"},
      {"limit", "N", "number of hits to show"},
      {"facet", "[FIELD]", "add (or remove) a terms facet on FIELD; no FIELD clears all"},
      {"fields", "[A,B,...]", "fields shown as table columns; none = automatic"},
      {"explain", "[on|off]", "show score explanations (toggle)"},
      {"highlight", "[on|off|auto]", "highlight matched words (auto: in table format only)"},
      {"analyze", "TEXT", "show the tokens of TEXT"},
      {"import", "FILE", "import an NDJSON, JSON array or CSV file into the current index"},
      {"sources", "", "list CDC source positions of the current index"},
      {"cluster", "", "cluster state: nodes, and per clustered index each shard's replicas (applied, lag, state)"},
      {"patch", "ID JSON", "partial update of a document of the current index (JSON merge patch)"},
      {"upsert", "ID JSON", "like \\patch, creating the document when it is missing"},
      {"delete", "QUERY", "delete every document of the current index that QUERY (query-string syntax) matches"},
      {"refresh", "", "make every write of the current index searchable"},
      {"schema", "[add NAME TYPE]", "fields of the current index; add: a new field (TYPE or a JSON field definition)"},
      {"settings", "[JSON]", "search settings of the current index; JSON: change them (a merge patch)"},
      {"alias", "[NAME [INDEX]]", "list the aliases; NAME: point alias NAME at INDEX (default: the current index)"},
      {"unalias", "NAME", "delete the alias NAME (its index stays)"},
      {"help", "", "this help"},
      {"q", "", "quit"},
  };
  return k;
}

Result<ParsedLine> parse_line(std::string_view raw) {
  std::string line = trim(raw);
  ParsedLine out;
  if (line.empty()) return out;
  if (line[0] == '\\') {
    out.kind = ParsedLine::Kind::kCommand;
    size_t sp = 1;
    while (sp < line.size() && !std::isspace(static_cast<unsigned char>(line[sp]))) ++sp;
    out.command = line.substr(1, sp - 1);
    out.arg = trim(std::string_view(line).substr(sp));
    if (out.command == "?") out.command = "help";
    if (out.command == "quit") out.command = "q";
    for (const auto& c : commands())
      if (out.command == c.name) return out;
    if (out.command.empty()) return Status::invalid("expected a command name after '\\' (\\help lists them)");
    return Status::invalid("unknown command '\\" + out.command + "' (\\help lists the commands)");
  }
  if (line[0] == '{') {
    out.kind = ParsedLine::Kind::kJson;
    out.text = line;
    return out;
  }
  return parse_search(line);
}

Result<size_t> parse_count(std::string_view text, const std::string& what, size_t max) {
  std::string s = trim(text);
  if (s.empty()) return Status::invalid(what + ": expected a number");
  size_t n = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return Status::invalid(what + ": expected a number, got '" + s + "'");
    n = n * 10 + static_cast<size_t>(c - '0');
    if (n > max) return Status::invalid(what + ": at most " + std::to_string(max) + ", got " + s);
  }
  return n;
}

Result<Json> build_request(const ParsedLine& line, const Settings& st) {
  Json body = Json::object();
  if (line.kind == ParsedLine::Kind::kJson) {
    auto j = parse_json(line.text);
    if (!j) return Status::invalid("JSON request: " + j.status().message());
    if (!j->is_object()) return Status::invalid("JSON request: expected an object");
    body = std::move(*j);
    if (!body.find("size")) body.set("size", static_cast<int64_t>(st.limit));
    if (st.explain && !body.find("explain")) body.set("explain", true);
    return body;
  }
  if (line.kind != ParsedLine::Kind::kSearch) return Status::invalid("not a search");
  SearchText st_text = classify_text(line.text);
  bool scored = false;
  if (!st_text.query_string.empty()) {
    Json qs = Json::object();
    qs.set("query", st_text.query_string);
    qs.set("default_operator", "and");
    Json q = Json::object();
    q.set("query_string", qs);
    body.set("query", q);
    scored = true;
  } else {
    if (!st_text.words.empty()) {
      body.set("q", st_text.words);
      scored = true;
    }
    if (st_text.filters.size() == 1) body.set("filter", st_text.filters[0]);
    else if (!st_text.filters.empty()) {
      Json f = Json::array();
      for (const auto& c : st_text.filters) f.push(Json(c));
      body.set("filter", f);
    }
  }
  body.set("size", static_cast<int64_t>(st.limit));
  if (line.near) {
    Json pt = Json::object();
    pt.set("lat", line.near->lat);
    pt.set("lon", line.near->lon);
    body.set("near", pt);
    Json geo = Json::object();
    geo.set(st.geo_field, pt);
    geo.set("order", "asc");
    Json by_dist = Json::object();
    by_dist.set("_geo_distance", geo);
    if (!line.near->radius.empty()) {
      body.set("radius", line.near->radius);
      // text relevance first; without text every score is equal, so nearest first
      body.set("sort", Json(Json::Array{Json("_score"), by_dist}));
    } else {
      // no radius: nothing is filtered, the nearest come first
      body.set("sort", Json(Json::Array{by_dist}));
    }
  }
  if (line.bbox) {
    const GeoBox& b = *line.bbox;
    body.set("bbox", Json(Json::Array{Json(b.left), Json(b.bottom), Json(b.right), Json(b.top)}));
  }
  if ((line.near || line.bbox) && st.geo_field != "location") body.set("geo_field", st.geo_field);
  if (!st.facets.empty()) {
    Json facets = Json::object();
    for (const auto& f : st.facets) {
      Json terms = Json::object();
      terms.set("field", f);
      Json spec = Json::object();
      spec.set("terms", terms);
      facets.set(f, spec);
    }
    body.set("facets", facets);
  }
  if (st.highlight && scored) {
    Json h = Json::object();
    h.set("pre_tag", st.highlight_markers ? kHighlightOn : "<em>");
    h.set("post_tag", st.highlight_markers ? kHighlightOff : "</em>");
    h.set("number_of_fragments", 1);
    body.set("highlight", h);
  }
  if (st.explain) body.set("explain", true);
  return body;
}

}  // namespace meridian::cli::shell
