#include "shell_session.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "meridian/index/schema.h"
#include "record_reader.h"

namespace meridian::cli::shell {
namespace {

constexpr size_t kMaxLimit = 10000;
constexpr size_t kImportBatch = 1000;
constexpr size_t kShownRejects = 10;

std::string num(const Json* v) { return v ? cell_text(*v) : ""; }

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t c = s.find_first_of(", ", pos);
    std::string part = s.substr(pos, c == std::string::npos ? std::string::npos : c - pos);
    if (!part.empty()) out.push_back(part);
    if (c == std::string::npos) break;
    pos = c + 1;
  }
  return out;
}

}  // namespace

Session::Session(std::unique_ptr<ShellBackend> backend, bool color) : backend_(std::move(backend)), color_(color) {}

RenderOptions Session::render_options() const {
  RenderOptions r;
  r.format = format_;
  r.color = color_;
  return r;
}

const std::vector<std::string>& Session::index_names() {
  if (!indexes_loaded_) {
    indexes_.clear();
    if (auto l = backend_->list_indexes(); l.is_ok())
      if (const Json* arr = l->find("indexes"); arr && arr->is_array())
        for (const auto& e : arr->as_array())
          if (const Json* n = e.find("name"); n && n->is_string()) indexes_.push_back(n->as_string());
    indexes_loaded_ = true;
  }
  return indexes_;
}

Status Session::use(const std::string& name) {
  MERIDIAN_ASSIGN_OR_RETURN(Json d, backend_->describe(name));
  index_ = name;
  fields_.clear();
  settings_.geo_field = "location";
  bool geo_seen = false;
  if (const Json* s = d.find("schema"))
    if (const Json* f = s->find("fields"); f && f->is_object())
      for (const auto& [k, v] : f->as_object()) {
        fields_.push_back(k);
        const Json* t = v.find("type");
        if (!geo_seen && t && t->is_string() && t->as_string() == "geo_point") {
          settings_.geo_field = k;
          geo_seen = true;
        }
      }
  return Status::ok();
}

Status Session::run(const std::string& raw, std::string* out) {
  MERIDIAN_ASSIGN_OR_RETURN(ParsedLine line, parse_line(raw));
  switch (line.kind) {
    case ParsedLine::Kind::kEmpty: return Status::ok();
    case ParsedLine::Kind::kCommand: return command(line, out);
    default: return search(line, out);
  }
}

Status Session::search(const ParsedLine& line, std::string* out) {
  if (index_.empty()) return Status::invalid("no index selected: \\l lists the indexes, \\c INDEX picks one");
  // Highlights only where they show: bold in a table (auto), or when asked
  // for with \highlight on; JSON output gets <em> tags, never the markers.
  settings_.highlight = highlight_ ? *highlight_ : format_ == Format::kTable;
  settings_.highlight_markers = format_ != Format::kJson;
  MERIDIAN_ASSIGN_OR_RETURN(Json body, build_request(line, settings_));
  auto start = std::chrono::steady_clock::now();
  MERIDIAN_ASSIGN_OR_RETURN(Json resp, backend_->search(index_, body));
  ResultOptions ro;
  ro.render = render_options();
  ro.fields = columns_;
  ro.timing = timing_;
  ro.elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  *out += format_results(resp, ro);
  return Status::ok();
}

Status Session::toggle(bool* flag, const std::string& arg, const char* name, std::string* out) {
  if (arg.empty()) *flag = !*flag;
  else if (arg == "on") *flag = true;
  else if (arg == "off") *flag = false;
  else return Status::invalid(std::string(name) + ": expected on or off, got '" + arg + "'");
  *out += std::string(name) + " is " + (*flag ? "on" : "off") + "\n";
  return Status::ok();
}

Status Session::command(const ParsedLine& line, std::string* out) {
  const std::string& c = line.command;
  const std::string& a = line.arg;
  if (c == "q") {
    quit_ = true;
    return Status::ok();
  }
  if (c == "help") {
    *out += help();
    return Status::ok();
  }
  if (c == "l") return list(out);
  if (c == "d") {
    if (a.empty() && index_.empty()) return Status::invalid("\\d: which index? (\\d INDEX)");
    return describe(a.empty() ? index_ : a, out);
  }
  if (c == "c") {
    if (a.empty()) return Status::invalid("\\c: expected an index name (\\l lists them)");
    MERIDIAN_RETURN_IF_ERROR(use(a));
    *out += "using index " + a + "\n";
    return Status::ok();
  }
  if (c == "timing") return toggle(&timing_, a, "timing", out);
  if (c == "explain") return toggle(&settings_.explain, a, "explain", out);
  if (c == "highlight") {
    if (a == "auto") {
      highlight_.reset();
      *out += "highlight is auto\n";
      return Status::ok();
    }
    bool on = highlight_ ? *highlight_ : format_ == Format::kTable;
    MERIDIAN_RETURN_IF_ERROR(toggle(&on, a, "highlight", out));
    highlight_ = on;
    return Status::ok();
  }
  if (c == "format") {
    if (a.empty()) {
      *out += std::string("format is ") + format_name(format_) + "\n";
      return Status::ok();
    }
    MERIDIAN_ASSIGN_OR_RETURN(format_, parse_format(a));
    *out += "format is " + a + "\n";
    return Status::ok();
  }
  if (c == "limit") {
    if (a.empty()) {
      *out += "limit is " + std::to_string(settings_.limit) + "\n";
      return Status::ok();
    }
    MERIDIAN_ASSIGN_OR_RETURN(size_t n, parse_count(a, "\\limit", kMaxLimit));
    settings_.limit = n;
    *out += "limit is " + std::to_string(n) + "\n";
    return Status::ok();
  }
  if (c == "facet") {
    auto& f = settings_.facets;
    if (a.empty()) {
      f.clear();
      *out += "facets cleared\n";
      return Status::ok();
    }
    if (a.find_first_of(" ,") != std::string::npos) return Status::invalid("\\facet: one field at a time");
    auto it = std::find(f.begin(), f.end(), a);
    if (it != f.end()) f.erase(it);
    else f.push_back(a);
    *out += "facets: ";
    for (size_t i = 0; i < f.size(); ++i) *out += (i ? ", " : "") + f[i];
    *out += f.empty() ? "none\n" : "\n";
    return Status::ok();
  }
  if (c == "fields") {
    columns_ = split_list(a);
    *out += columns_.empty() ? std::string("fields: automatic\n") : "fields: " + a + "\n";
    return Status::ok();
  }
  if (c == "analyze") {
    if (a.empty()) return Status::invalid("\\analyze: expected a text");
    return analyze(a, out);
  }
  if (c == "import") {
    if (a.empty()) return Status::invalid("\\import: expected a file name");
    return import_file(a, out);
  }
  if (c == "sources") return show_sources(out);
  if (c == "cluster") return show_cluster(out);
  if (c == "schema") return schema(a, out);
  if (c == "settings") return index_settings(a, out);
  if (c == "alias" || c == "unalias") {
    if (c == "unalias") {
      if (a.empty() || a.find(' ') != std::string::npos) return Status::invalid("\\unalias: expected one alias name");
      MERIDIAN_ASSIGN_OR_RETURN(Json r, backend_->delete_alias(a));
      indexes_loaded_ = false;
      *out += "alias " + a + " deleted\n";
      return Status::ok();
    }
    return alias(a, out);
  }
  if (c == "patch" || c == "upsert" || c == "delete" || c == "refresh") {
    if (index_.empty()) return Status::invalid("\\" + c + ": no index selected (\\c INDEX)");
    Result<Json> r = Status::invalid("no result");
    if (c == "refresh") {
      MERIDIAN_RETURN_IF_ERROR(backend_->refresh(index_));
      *out += "refreshed " + index_ + "\n";
      return Status::ok();
    }
    if (c == "delete") {
      if (a.empty()) return Status::invalid("\\delete: expected a query (query-string syntax), e.g. \\delete country:FR");
      Json body = Json::object();
      body.set("filter", Json(a));
      r = backend_->delete_by_query(index_, body);
    } else {
      size_t sp = a.find(' ');
      if (a.empty() || sp == std::string::npos)
        return Status::invalid("\\" + c + ": expected ID JSON, e.g. \\" + c + " 42 {\"pop\": 1}");
      auto patch = parse_json(a.substr(sp + 1));
      if (!patch) return Status::invalid("\\" + c + ": " + patch.status().message());
      if (!patch->is_object()) return Status::invalid("\\" + c + ": expected a JSON object");
      r = backend_->patch(index_, a.substr(0, sp), *patch, c == "upsert");
    }
    if (!r) return r.status();
    indexes_loaded_ = false;
    *out += r->dump() + "\n";
    return Status::ok();
  }
  return Status::invalid("unknown command '\\" + c + "'");
}

Status Session::list(std::string* out) {
  indexes_loaded_ = false;
  MERIDIAN_ASSIGN_OR_RETURN(Json l, backend_->list_indexes());
  if (format_ == Format::kJson) {
    *out += l.dump() + "\n";
    return Status::ok();
  }
  Table t;
  t.headers = {"index", "docs"};
  if (const Json* arr = l.find("indexes"); arr && arr->is_array())
    for (const auto& e : arr->as_array()) t.rows.push_back({num(e.find("name")), num(e.find("docs"))});
  *out += render(t, render_options());
  if (format_ == Format::kTable) *out += "(" + std::to_string(t.rows.size()) + (t.rows.size() == 1 ? " index)\n" : " indexes)\n");
  return Status::ok();
}

Status Session::describe(const std::string& name, std::string* out) {
  MERIDIAN_ASSIGN_OR_RETURN(Json d, backend_->describe(name));
  if (format_ == Format::kJson) {
    *out += d.dump() + "\n";
    return Status::ok();
  }
  Table t;
  t.headers = {"field", "type", "options"};
  const Json* schema = d.find("schema");
  if (const Json* f = schema ? schema->find("fields") : nullptr; f && f->is_object())
    for (const auto& [k, v] : f->as_object()) {
      std::string type, opts;
      if (v.is_object())
        for (const auto& [ok, ov] : v.as_object()) {
          if (ok == "type") type = cell_text(ov);
          else opts += (opts.empty() ? "" : " ") + ok + "=" + cell_text(ov);
        }
      t.rows.push_back({k, type, opts});
    }
  if (format_ == Format::kTable) *out += "index " + name + " (id field: " + num(schema ? schema->find("id_field") : nullptr) + ")\n";
  *out += render(t, render_options());
  if (format_ == Format::kTable)
    if (const Json* s = d.find("stats"); s && s->is_object()) {
      *out += "stats:";
      for (const auto& [k, v] : s->as_object()) *out += " " + k + "=" + cell_text(v);
      *out += "\n";
    }
  return Status::ok();
}

Status Session::analyze(const std::string& text, std::string* out) {
  MERIDIAN_ASSIGN_OR_RETURN(Json r, backend_->analyze(text));
  if (format_ == Format::kJson) {
    *out += r.dump() + "\n";
    return Status::ok();
  }
  Table t;
  t.headers = {"token", "position", "start", "end"};
  if (const Json* arr = r.find("tokens"); arr && arr->is_array())
    for (const auto& e : arr->as_array())
      t.rows.push_back({num(e.find("token")), num(e.find("position")), num(e.find("start")), num(e.find("end"))});
  *out += render(t, render_options());
  return Status::ok();
}

Status Session::show_sources(std::string* out) {
  if (index_.empty()) return Status::invalid("\\sources: no index selected (\\c INDEX)");
  MERIDIAN_ASSIGN_OR_RETURN(Json s, backend_->sources(index_));
  if (s.size() == 0) {
    *out += "no sources\n";
    return Status::ok();
  }
  Table t;
  t.headers = {"source", "position"};
  for (const auto& [k, v] : s.as_object()) t.rows.push_back({k, cell_text(v)});
  *out += render(t, render_options());
  return Status::ok();
}

Status Session::show_cluster(std::string* out) {
  MERIDIAN_ASSIGN_OR_RETURN(Json s, backend_->cluster());
  const Json* enabled = s.find("enabled");
  if (!enabled || !enabled->is_bool() || !enabled->as_bool()) {
    *out += "not in cluster mode (a single node)\n";
    return Status::ok();
  }
  auto text = [](const Json* v) { return v ? cell_text(*v) : std::string(); };
  *out += "node " + text(s.find("node_id")) + ", connected to NATS: " + text(s.find("connected")) + "\n";
  Table nodes;
  nodes.headers = {"node", "url", "self"};
  if (const Json* ns = s.find("nodes"); ns && ns->is_array())
    for (const Json& n : ns->as_array()) nodes.rows.push_back({text(n.find("id")), text(n.find("url")), text(n.find("self"))});
  *out += render(nodes, render_options());
  Table reps;
  reps.headers = {"index", "shard", "last_seq", "node", "applied", "lag", "state"};
  if (const Json* ix = s.find("indexes"); ix && ix->is_array())
    for (const Json& i : ix->as_array()) {
      const Json* shards = i.find("shard_list");
      if (!shards || !shards->is_array()) continue;
      for (const Json& sh : shards->as_array()) {
        const Json* rs = sh.find("replicas");
        if (!rs || !rs->is_array()) continue;
        for (const Json& r : rs->as_array())
          reps.rows.push_back({text(i.find("index")), text(sh.find("shard")), text(sh.find("last_seq")),
                               text(r.find("node")), text(r.find("applied_seq")), text(r.find("lag")),
                               text(r.find("state"))});
      }
    }
  if (reps.rows.empty()) *out += "no clustered indexes\n";
  else *out += render(reps, render_options());
  return Status::ok();
}

// \settings: one line per setting; \settings {json} patches them first.
Status Session::index_settings(const std::string& arg, std::string* out) {
  if (index_.empty()) return Status::invalid("\\settings: no index selected (\\c INDEX)");
  Result<Json> r = Status::invalid("no result");
  if (arg.empty()) {
    r = backend_->settings(index_);
  } else {
    auto patch = parse_json(arg);
    if (!patch) return Status::invalid("\\settings: " + patch.status().message());
    if (!patch->is_object())
      return Status::invalid("\\settings: expected a JSON object, e.g. \\settings {\"stop_words\": [\"the\"]}");
    r = backend_->patch_settings(index_, *patch);
  }
  if (!r) return r.status();
  const Json* s = r->find("settings");
  if (format_ == Format::kJson || !s || !s->is_object()) {
    *out += r->dump() + "\n";
    return Status::ok();
  }
  *out += std::string(arg.empty() ? "settings of " : "settings changed: ") + index_ + "\n";
  for (const auto& [k, v] : s->as_object()) *out += "  " + k + ": " + v.dump() + "\n";
  return Status::ok();
}

Status Session::schema(const std::string& arg, std::string* out) {
  if (index_.empty()) return Status::invalid("\\schema: no index selected (\\c INDEX)");
  if (arg.empty()) return describe(index_, out);
  // add NAME TYPE|JSON
  std::string rest = arg;
  if (rest.rfind("add ", 0) != 0) return Status::invalid("\\schema: expected nothing or 'add NAME TYPE', got '" + arg + "'");
  rest = trim(rest.substr(4));
  size_t sp = rest.find(' ');
  if (rest.empty() || sp == std::string::npos)
    return Status::invalid("\\schema add: expected NAME TYPE, e.g. \\schema add tags keyword or \\schema add "
                           "title {\"type\": \"text\", \"language\": \"fr\"}");
  std::string name = rest.substr(0, sp);
  std::string spec = trim(rest.substr(sp + 1));
  Json def;
  if (spec[0] == '{' || spec[0] == '"') {
    auto j = parse_json(spec);
    if (!j) return Status::invalid("\\schema add: " + j.status().message());
    def = std::move(*j);
  } else {
    def = Json(spec);
  }
  Json fields = Json::object();
  fields.set(name, std::move(def));
  Json body = Json::object();
  body.set("fields", std::move(fields));
  MERIDIAN_ASSIGN_OR_RETURN(Json r, backend_->add_fields(index_, body));
  (void)use(index_);  // the new field for completion
  const Json* res = r.find("result");
  bool same = res && res->is_string() && res->as_string() == "unchanged";
  *out += "field " + name + (same ? " unchanged in " : " added to ") + index_ + "\n";
  return Status::ok();
}

Status Session::alias(const std::string& arg, std::string* out) {
  if (arg.empty()) {
    MERIDIAN_ASSIGN_OR_RETURN(Json l, backend_->aliases());
    if (format_ == Format::kJson) {
      *out += l.dump() + "\n";
      return Status::ok();
    }
    Table t;
    t.headers = {"alias", "index"};
    if (const Json* m = l.find("aliases"); m && m->is_object())
      for (const auto& [k, v] : m->as_object()) t.rows.push_back({k, cell_text(v)});
    *out += render(t, render_options());
    return Status::ok();
  }
  size_t sp = arg.find(' ');
  std::string name = arg.substr(0, sp);
  std::string target = sp == std::string::npos ? index_ : trim(arg.substr(sp + 1));
  if (target.empty()) return Status::invalid("\\alias " + name + ": which index? (\\alias NAME INDEX, or \\c INDEX first)");
  if (target.find(' ') != std::string::npos) return Status::invalid("\\alias: expected NAME [INDEX], got '" + arg + "'");
  MERIDIAN_ASSIGN_OR_RETURN(Json r, backend_->set_alias(name, target));
  indexes_loaded_ = false;
  *out += "alias " + name + " -> " + target + "\n";
  return Status::ok();
}

Status Session::import_file(const std::string& file, std::string* out) {
  if (index_.empty()) return Status::invalid("\\import: no index selected (\\c INDEX; it is created if missing)");
  auto schema = std::make_shared<index::Schema>();
  if (auto d = backend_->describe(index_); d.is_ok()) {
    if (const Json* s = d->find("schema"))
      if (auto parsed = index::Schema::from_json(*s); parsed.is_ok()) *schema = std::move(*parsed);
  }
  MERIDIAN_ASSIGN_OR_RETURN(auto in, InputStream::open(file));
  RecordReader reader(std::move(in), InputFormat::kAuto, file, schema, std::nullopt);
  uint64_t imported = 0, rejected = 0;
  std::string shown;
  auto reject = [&](uint64_t line, const std::string& why) {
    if (rejected++ < kShownRejects) shown += "  " + file + ":" + std::to_string(line) + ": " + why + "\n";
  };
  std::vector<uint64_t> lines;
  std::string ndjson;
  auto flush = [&]() -> Status {
    if (lines.empty()) return Status::ok();
    MERIDIAN_ASSIGN_OR_RETURN(Json r, backend_->bulk(index_, ndjson));
    if (const Json* n = r.find("indexed"); n && n->is_int()) imported += static_cast<uint64_t>(n->as_int());
    if (const Json* errs = r.find("errors"); errs && errs->is_array())
      for (const auto& e : errs->as_array()) {
        const Json* l = e.find("line");
        size_t k = l && l->is_int() ? static_cast<size_t>(l->as_int()) : 0;
        reject(k >= 1 && k <= lines.size() ? lines[k - 1] : 0, num(e.find("error")));
      }
    lines.clear();
    ndjson.clear();
    return Status::ok();
  };
  Record r;
  while (reader.next(&r)) {
    if (!r.doc.is_ok()) {
      reject(r.line, r.doc.status().message());
    } else {
      ndjson += r.doc->dump();
      ndjson += '\n';
      lines.push_back(r.line);
      if (lines.size() >= kImportBatch) MERIDIAN_RETURN_IF_ERROR(flush());
    }
    r = Record();
  }
  MERIDIAN_RETURN_IF_ERROR(flush());
  indexes_loaded_ = false;
  (void)use(index_);  // new fields for completion
  *out += "imported " + std::to_string(imported) + ", rejected " + std::to_string(rejected) + " from " + file + "\n";
  Status rs = reader.status();
  if (!rs.is_ok()) return rs.with_context(file);
  if (rejected) {
    *out += shown;
    if (rejected > kShownRejects) *out += "  ... and " + std::to_string(rejected - kShownRejects) + " more\n";
    return Status::invalid(std::to_string(rejected) + " records rejected");
  }
  return Status::ok();
}

std::string Session::help() const {
  std::string s =
      "A line is a search on the current index (query-string syntax, typo tolerant):\n"
      "  TEXT [near LAT,LON [within 10km]] [in LEFT,BOTTOM,RIGHT,TOP]\n"
      "  plain words are typo tolerant; FIELD:VALUE clauses filter (country:FR,\n"
      "  population:>10000000, year:[1990 TO 2000]); operators, quotes, * and ~\n"
      "  make the whole line a query-string query (paris OR lyon, \"new york\")\n"
      "  near without within: the nearest first, nothing filtered\n"
      "  (the box is lon,lat,lon,lat: west, south, east, north)\n"
      "A line starting with { is a JSON search request (docs/QUERY.md).\n"
      "Commands:\n";
  for (const auto& c : commands()) {
    char b[160];
    std::snprintf(b, sizeof b, "  \\%-9s %-15s %s\n", c.name, c.args, c.help);
    s += b;
  }
  return s;
}

}  // namespace meridian::cli::shell
