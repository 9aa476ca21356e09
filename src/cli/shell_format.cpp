#include "shell_format.h"

#include <algorithm>
#include <cstdio>

#include "shell_parse.h"

namespace meridian::cli::shell {
namespace {

constexpr char kOn = '\x02';
constexpr char kOff = '\x03';

// Length of the ANSI escape sequence at s[i] (0 if none).
size_t escape_len(std::string_view s, size_t i) {
  if (s[i] != '\033' || i + 1 >= s.size() || s[i + 1] != '[') return 0;
  size_t j = i + 2;
  while (j < s.size() && !(s[j] >= '@' && s[j] <= '~')) ++j;
  return j < s.size() ? j - i + 1 : s.size() - i;
}

std::string strip_markers(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != kOn && c != kOff) out.push_back(c);
  return out;
}

std::string apply_markers(std::string_view s, bool color) {
  if (!color) return strip_markers(s);
  std::string out;
  for (char c : s) {
    if (c == kOn) out += "\033[1m";
    else if (c == kOff) out += "\033[22m";
    else out.push_back(c);
  }
  return out;
}

// Cuts to `max` display columns (ending in "…"), closing an open highlight.
std::string truncate_cell(const std::string& s, size_t max) {
  if (display_width(s) <= max) return s;
  std::string out;
  size_t w = 0;
  bool open = false;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (s[i] == kOn || s[i] == kOff) {
      open = s[i] == kOn;
      out.push_back(s[i++]);
      continue;
    }
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (w + 1 >= max) break;
    out.append(s, i, n);
    i += n;
    ++w;
  }
  if (open) out.push_back(kOff);
  return out + "…";
}

std::string clean(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return s;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  return out + "\"";
}

std::string format_score(double s) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3f", s);
  return b;
}

}  // namespace

Result<Format> parse_format(std::string_view name) {
  if (name == "table") return Format::kTable;
  if (name == "json") return Format::kJson;
  if (name == "csv") return Format::kCsv;
  return Status::invalid("format: expected table, json or csv, got '" + std::string(name) + "'");
}

const char* format_name(Format f) {
  switch (f) {
    case Format::kTable: return "table";
    case Format::kJson: return "json";
    case Format::kCsv: return "csv";
  }
  return "table";
}

size_t display_width(std::string_view s) {
  size_t w = 0;
  for (size_t i = 0; i < s.size();) {
    if (size_t e = escape_len(s, i)) {
      i += e;
      continue;
    }
    unsigned char c = static_cast<unsigned char>(s[i++]);
    if (c == static_cast<unsigned char>(kOn) || c == static_cast<unsigned char>(kOff)) continue;
    if ((c & 0xC0) != 0x80) ++w;
  }
  return w;
}

std::string format_distance(double m) {
  char b[32];
  if (m < 1000) std::snprintf(b, sizeof b, "%.0f m", m);
  else std::snprintf(b, sizeof b, "%.1f km", m / 1000);
  return b;
}

std::string cell_text(const Json& v) {
  if (v.is_string()) return clean(v.as_string());
  if (v.is_null()) return "";
  if (v.is_object()) {
    const Json* lat = v.find("lat");
    const Json* lon = v.find("lon");
    if (lat && lon && lat->is_number() && lon->is_number() && v.size() == 2) return lat->dump() + "," + lon->dump();
  }
  return clean(v.dump());
}

std::string render(const Table& t, const RenderOptions& opt) {
  std::string out;
  if (opt.format == Format::kCsv) {
    for (size_t i = 0; i < t.headers.size(); ++i) out += (i ? "," : "") + csv_field(t.headers[i]);
    out += "\n";
    for (const auto& r : t.rows) {
      for (size_t i = 0; i < r.size(); ++i) out += (i ? "," : "") + csv_field(strip_markers(r[i]));
      out += "\n";
    }
    return out;
  }
  if (opt.format == Format::kJson) {
    Json arr = Json::array();
    for (const auto& r : t.rows) {
      Json o = Json::object();
      for (size_t i = 0; i < r.size() && i < t.headers.size(); ++i) o.set(t.headers[i], strip_markers(r[i]));
      arr.push(std::move(o));
    }
    return arr.dump() + "\n";
  }
  std::vector<std::vector<std::string>> cells;
  for (const auto& r : t.rows) {
    std::vector<std::string> row;
    for (const auto& c : r) row.push_back(truncate_cell(c, opt.max_cell));
    cells.push_back(std::move(row));
  }
  std::vector<size_t> width(t.headers.size(), 0);
  for (size_t i = 0; i < t.headers.size(); ++i) width[i] = display_width(t.headers[i]);
  for (const auto& r : cells)
    for (size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], display_width(r[i]));
  auto line = [&](const std::vector<std::string>& r, bool header) {
    std::string s;
    for (size_t i = 0; i < width.size(); ++i) {
      std::string c = i < r.size() ? r[i] : "";
      size_t pad = width[i] - display_width(c);
      if (i) s += " | ";
      if (header && opt.color) s += "\033[1m" + c + "\033[0m";
      else s += apply_markers(c, opt.color);
      if (i + 1 < width.size()) s.append(pad, ' ');
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s + "\n";
  };
  out += line(t.headers, true);
  for (size_t i = 0; i < width.size(); ++i) {
    if (i) out += "-+-";
    for (size_t k = 0; k < width[i]; ++k) out += "-";
  }
  out += "\n";
  for (const auto& r : cells) out += line(r, false);
  return out;
}

Table hits_table(const Json& response, const std::vector<std::string>& fields) {
  Table t;
  const Json* hits = response.find("hits");
  const Json::Array empty;
  const Json::Array& hs = hits && hits->is_array() ? hits->as_array() : empty;
  bool any_distance = false;
  std::vector<std::string> cols = fields;
  bool automatic = cols.empty();
  for (const auto& h : hs) {
    if (h.find("distance_m")) any_distance = true;
    if (!automatic) continue;
    if (const Json* src = h.find("source"); src && src->is_object())
      for (const auto& [k, v] : src->as_object())
        if (k != "id" && k != "_id" && cols.size() < 6 && std::find(cols.begin(), cols.end(), k) == cols.end())
          cols.push_back(k);
    if (const Json* hl = h.find("highlight"); hl && hl->is_object())
      for (const auto& [k, v] : hl->as_object())
        if (std::find(cols.begin(), cols.end(), k) == cols.end()) cols.push_back(k);
  }
  t.headers = {"id", "score"};
  if (any_distance) t.headers.push_back("distance");
  for (const auto& c : cols) t.headers.push_back(c);
  for (const auto& h : hs) {
    std::vector<std::string> row;
    const Json* id = h.find("id");
    row.push_back(id ? cell_text(*id) : "");
    const Json* score = h.find("score");
    row.push_back(score && score->is_number() ? format_score(score->as_double()) : "");
    if (any_distance) {
      const Json* d = h.find("distance_m");
      row.push_back(d && d->is_number() ? format_distance(d->as_double()) : "");
    }
    const Json* src = h.find("source");
    const Json* hl = h.find("highlight");
    for (const auto& c : cols) {
      const Json* frag = hl ? hl->find(c) : nullptr;
      if (frag && frag->is_array() && frag->size() > 0 && frag->as_array()[0].is_string()) {
        row.push_back(clean(frag->as_array()[0].as_string()));
        continue;
      }
      const Json* v = src ? src->find(c) : nullptr;
      row.push_back(v ? cell_text(*v) : "");
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

Json without_markers(const Json& v) {
  if (v.is_string()) {
    const std::string& s = v.as_string();
    if (s.find_first_of("\x02\x03") == std::string::npos) return v;
    std::string out;
    for (char c : s) {
      if (c == kOn) out += "<em>";
      else if (c == kOff) out += "</em>";
      else out.push_back(c);
    }
    return Json(out);
  }
  if (v.is_array()) {
    Json out = Json::array();
    for (const auto& e : v.as_array()) out.push(without_markers(e));
    return out;
  }
  if (v.is_object()) {
    Json out = Json::object();
    for (const auto& [k, e] : v.as_object()) out.set(k, without_markers(e));
    return out;
  }
  return v;
}

std::string format_results(const Json& response, const ResultOptions& opt) {
  if (opt.render.format == Format::kJson) return without_markers(response).dump() + "\n";
  Table t = hits_table(response, opt.fields);
  std::string out = render(t, opt.render);
  if (opt.render.format == Format::kCsv) return out;
  uint64_t total = 0;
  bool lower_bound = false;
  if (const Json* tot = response.find("total")) {
    if (tot->is_number()) total = static_cast<uint64_t>(tot->as_double());
    if (const Json* v = tot->find("value"); v && v->is_number()) total = static_cast<uint64_t>(v->as_double());
    if (const Json* r = tot->find("relation"); r && r->is_string()) lower_bound = r->as_string() == "gte";
  }
  out += "(" + std::string(lower_bound ? "at least " : "") + std::to_string(total) + (total == 1 ? " hit" : " hits");
  if (t.rows.size() < total) out += ", showing " + std::to_string(t.rows.size());
  out += ")\n";
  if (const Json* sg = response.find("suggest"); sg && sg->is_array() && sg->size() > 0) {
    out += "did you mean:";
    bool first = true;
    for (const auto& e : sg->as_array()) {
      const Json* text = e.find("text");
      if (!text || !text->is_string()) continue;
      out += std::string(first ? " " : ", ") + "\"" + cell_text(*text) + "\"";
      first = false;
    }
    out += "\n";
  }
  if (const Json* facets = response.find("facets"); facets && facets->is_object()) {
    for (const auto& [name, f] : facets->as_object()) {
      out += "facet " + name + ":";
      const Json* b = f.find("buckets");
      if (b && b->is_array()) {
        for (const auto& bucket : b->as_array()) {
          const Json* k = bucket.find("key");
          const Json* n = bucket.find("count");
          out += " " + (k ? cell_text(*k) : "?") + " (" + (n ? n->dump() : "0") + ")";
        }
      } else {
        out += " " + f.dump();
      }
      out += "\n";
    }
  }
  if (const Json* hits = response.find("hits"); hits && hits->is_array())
    for (const auto& h : hits->as_array())
      if (const Json* e = h.find("explanation")) {
        const Json* id = h.find("id");
        out += "explain " + (id ? cell_text(*id) : std::string("?")) + ": " + e->dump() + "\n";
      }
  if (opt.timing) {
    char b[64];
    std::snprintf(b, sizeof b, "Time: %.3f ms", opt.elapsed_ms);
    out += b;
    if (const Json* took = response.find("took_ms"); took && took->is_number()) {
      std::snprintf(b, sizeof b, " (search %.3f ms)", took->as_double());
      out += b;
    }
    out += "\n";
  }
  return out;
}

}  // namespace meridian::cli::shell
