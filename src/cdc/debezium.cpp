#include "meridian/cdc/debezium.h"

#include <charconv>
#include <cmath>

#include "meridian/base/date.h"
#include "meridian/cdc/geometry.h"

namespace meridian::cdc {
namespace {

std::optional<uint64_t> as_u64(const Json* v) {
  if (!v) return std::nullopt;
  if (v->is_int()) return v->as_int() < 0 ? std::nullopt : std::optional<uint64_t>(static_cast<uint64_t>(v->as_int()));
  if (v->is_double() && v->as_double() >= 0 && v->as_double() < 1.8e19) return static_cast<uint64_t>(v->as_double());
  if (v->is_string()) {
    const std::string& s = v->as_string();
    uint64_t x = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), x);
    if (r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty()) return x;
    if (auto lsn = parse_pg_lsn(s)) return *lsn;
  }
  return std::nullopt;
}

std::string str_of(const Json& obj, std::string_view key) {
  const Json* v = obj.find(key);
  return v && v->is_string() ? v->as_string() : std::string();
}

// "00000025:00000d98:0002" → three numbers.
bool sqlserver_lsn(const Json* v, std::vector<uint64_t>* out) {
  if (!v || !v->is_string()) return false;
  const std::string& s = v->as_string();
  size_t i = 0;
  for (int k = 0; k < 3; ++k) {
    size_t j = s.find(':', i);
    if (j == std::string::npos) j = s.size();
    uint64_t x = 0;
    auto r = std::from_chars(s.data() + i, s.data() + j, x, 16);
    if (r.ec != std::errc() || r.ptr != s.data() + j) return false;
    out->push_back(x);
    i = j + 1;
  }
  return true;
}

// a / b rounded down (b > 0), defined for every a (INT64_MIN too).
int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b < 0 ? 1 : 0); }

// Debezium logical types (schema field "name") → plain values.
Json convert_logical(const Json& v, const Json& field_schema) {
  std::string name = str_of(field_schema, "name");
  if (name.empty() || v.is_null()) return v;
  auto ms_to_text = [](int64_t ms) { return Json(format_rfc3339_millis(ms)); };
  if ((name == "io.debezium.time.Date" || name == "org.apache.kafka.connect.data.Date") && v.is_int()) {
    int64_t ms = 0;  // days beyond any calendar overflow: the number is kept as sent
    if (__builtin_mul_overflow(v.as_int(), int64_t{86400000}, &ms)) return v;
    return ms_to_text(ms);
  }
  if ((name == "io.debezium.time.Timestamp" || name == "org.apache.kafka.connect.data.Timestamp") && v.is_int())
    return ms_to_text(v.as_int());
  if (name == "io.debezium.time.MicroTimestamp" && v.is_int()) {
    int64_t us = v.as_int();
    return ms_to_text(floor_div(us, 1000));
  }
  if (name == "io.debezium.time.NanoTimestamp" && v.is_int()) {
    int64_t ns = v.as_int();
    return ms_to_text(floor_div(ns, 1000000));
  }
  auto decimal = [](const std::string& b64, int64_t scale) -> Json {
    auto bytes = decode_base64(b64);
    if (!bytes || bytes->empty() || bytes->size() > 16) return Json();
    // Big-endian two's complement unscaled value.
    double unscaled = static_cast<int8_t>((*bytes)[0]);
    for (size_t i = 1; i < bytes->size(); ++i) unscaled = unscaled * 256 + static_cast<uint8_t>((*bytes)[i]);
    return Json(unscaled / std::pow(10.0, static_cast<double>(scale)));
  };
  if (name == "org.apache.kafka.connect.data.Decimal" && v.is_string()) {
    int64_t scale = 0;
    if (const Json* p = field_schema.find("parameters"))
      if (const Json* s = p->find("scale"); s && s->is_string()) scale = std::atoll(s->as_string().c_str());
    Json d = decimal(v.as_string(), scale);
    return d.is_null() ? v : d;
  }
  if (name == "io.debezium.data.VariableScaleDecimal" && v.is_object()) {
    const Json* s = v.find("scale");
    const Json* val = v.find("value");
    if (s && s->is_int() && val && val->is_string()) {
      Json d = decimal(val->as_string(), s->as_int());
      if (!d.is_null()) return d;
    }
  }
  return v;
}

// Applies the envelope's schema to one row image ("before" or "after").
Json apply_schema(const Json& row, const Json* schema, std::string_view which) {
  if (!schema || !row.is_object()) return row;
  const Json* fields = schema->find("fields");
  if (!fields || !fields->is_array()) return row;
  const Json* row_schema = nullptr;
  for (const auto& f : fields->as_array())
    if (str_of(f, "field") == which) row_schema = &f;
  if (!row_schema) return row;
  const Json* cols = row_schema->find("fields");
  if (!cols || !cols->is_array()) return row;
  Json out = row;
  for (const auto& c : cols->as_array()) {
    std::string col = str_of(c, "field");
    if (Json* v = out.find(col)) *v = convert_logical(*v, c);
  }
  return out;
}

}  // namespace

std::vector<RawEvent> split_debezium_events(std::string_view text) {
  std::vector<RawEvent> out;
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return out;
  if (text[first] == '[') {
    auto arr = parse_json(text);
    if (!arr) {
      out.push_back({0, 0, arr.status()});
      return out;
    }
    size_t i = 0;
    for (auto& e : arr->as_array()) out.push_back({i++, 0, std::move(e)});
    return out;
  }
  // One (possibly pretty-printed) event?
  if (text[first] == '{') {
    size_t nl = text.find('\n', first);
    bool one_line = nl == std::string_view::npos || text.find_first_not_of(" \t\r\n", nl) == std::string_view::npos;
    if (!one_line) {
      auto whole = parse_json(text);
      if (whole) {
        out.push_back({0, 1, std::move(*whole)});
        return out;
      }
    }
  }
  size_t line = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    ++line;
    std::string_view l = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (l.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    out.push_back({out.size(), line, parse_json(l)});
  }
  return out;
}

Result<SourcePosition> debezium_position(const Json& source, bool* shared) {
  SourcePosition p;
  *shared = false;
  std::string connector = str_of(source, "connector");
  if (const Json* seq = source.find("sequence"); seq && seq->is_string() && connector == "postgresql") {
    auto arr = parse_json(seq->as_string());
    if (!arr || !arr->is_array()) return Status::invalid("source.sequence: expected a JSON array in a string");
    for (const auto& e : arr->as_array()) {
      if (e.is_null()) { p.parts.push_back(0); continue; }
      auto x = as_u64(&e);
      if (!x) return Status::invalid("source.sequence: bad element " + e.dump());
      p.parts.push_back(*x);
    }
    return p;
  }
  if (const Json* lsn = source.find("lsn"); lsn && !lsn->is_null() && connector != "sqlserver") {
    auto x = as_u64(lsn);
    if (!x) return Status::invalid("source.lsn: expected a number, got " + lsn->dump());
    p.parts.push_back(*x);
    return p;
  }
  if (const Json* file = source.find("file"); file && file->is_string()) {
    // MySQL binlog "mysql-bin.000003": the numeric suffix orders files.
    const std::string& f = file->as_string();
    size_t dot = f.rfind('.');
    uint64_t num = 0;
    std::string_view suf = dot == std::string::npos ? std::string_view(f) : std::string_view(f).substr(dot + 1);
    auto r = std::from_chars(suf.data(), suf.data() + suf.size(), num);
    if (r.ec != std::errc() || r.ptr != suf.data() + suf.size())
      return Status::invalid("source.file: expected a binlog name ending in a number, got '" + f + "'");
    auto pos = as_u64(source.find("pos"));
    if (!pos) return Status::invalid("source.pos: expected a number");
    auto row = as_u64(source.find("row"));
    p.parts = {num, *pos, row ? *row : 0};
    return p;
  }
  if (source.find("commit_lsn") || source.find("change_lsn")) {
    const Json* c = source.find("commit_lsn");
    const Json* ch = source.find("change_lsn");
    if (c && !c->is_null() && !sqlserver_lsn(c, &p.parts)) return Status::invalid("source.commit_lsn: malformed");
    if (!c || c->is_null()) p.parts.insert(p.parts.end(), {0, 0, 0});
    if (ch && !ch->is_null() && !sqlserver_lsn(ch, &p.parts)) return Status::invalid("source.change_lsn: malformed");
    if (!ch || ch->is_null()) p.parts.insert(p.parts.end(), {0, 0, 0});
    auto serial = as_u64(source.find("event_serial_no"));
    p.parts.push_back(serial ? *serial : 0);
    return p;
  }
  if (auto scn = as_u64(source.find("scn"))) {
    p.parts.push_back(*scn);
    return p;
  }
  if (auto ts = as_u64(source.find("ts_ms"))) {
    p.parts.push_back(*ts);
    *shared = true;
    return p;
  }
  return Status::invalid("source: no position (lsn, file+pos, commit_lsn, scn or ts_ms)");
}

Result<std::string> debezium_source_key(const Json& source, const DebeziumOptions& opt) {
  if (!opt.source_name.empty()) return "debezium:" + opt.source_name;
  std::string table = str_of(source, "table");
  if (table.empty()) return Status::invalid("source.table: missing");
  std::string ns = str_of(source, "schema");
  if (ns.empty()) ns = str_of(source, "db");
  std::string connector = str_of(source, "connector");
  if (connector.empty()) connector = "unknown";
  return "debezium:" + connector + "/" + (ns.empty() ? table : ns + "." + table);
}

Result<std::vector<RowChange>> decode_debezium_event(const Json& event, const DebeziumOptions& opt) {
  std::vector<RowChange> out;
  if (event.is_null()) return out;  // tombstone
  if (!event.is_object()) return Status::invalid("expected a JSON object, got " + std::string(event.type_name()));
  const Json* payload = &event;
  const Json* schema = nullptr;
  if (const Json* p = event.find("payload"); p && !event.find("op")) {
    if (p->is_null()) return out;  // tombstone with envelope
    if (!p->is_object()) return Status::invalid("payload: expected an object");
    payload = p;
    schema = event.find("schema");
    if (schema && !schema->is_object()) schema = nullptr;
  }
  const Json* op = payload->find("op");
  if (!op || !op->is_string()) return Status::invalid("op: missing (expected c, u, d, r or t)");
  const std::string& o = op->as_string();
  const Json* source = payload->find("source");
  if (!source || !source->is_object()) return Status::invalid("source: missing or not an object");
  RowChange c;
  MERIDIAN_ASSIGN_OR_RETURN(c.source, debezium_source_key(*source, opt));
  bool shared = false;
  MERIDIAN_ASSIGN_OR_RETURN(c.position, debezium_position(*source, &shared));
  const Json* snap = source->find("snapshot");
  bool snapshot = o == "r" || (snap && ((snap->is_string() && snap->as_string() != "false") ||
                                        (snap->is_bool() && snap->as_bool())));
  c.apply_at_stored = shared || snapshot;
  auto row = [&](const char* which) -> const Json* {
    const Json* r = payload->find(which);
    return r && r->is_object() ? r : nullptr;
  };
  if (o == "c" || o == "r" || o == "u") {
    const Json* after = row("after");
    if (!after) return Status::invalid("after: op '" + o + "' needs an 'after' object");
    Json a = apply_schema(*after, schema, "after");
    MERIDIAN_ASSIGN_OR_RETURN(c.doc, opt.mapping.to_document(a, opt.id_field));
    MERIDIAN_ASSIGN_OR_RETURN(c.id, opt.mapping.row_id(a));
    if (const Json* before = row("before"); before && o == "u") {
      Json b = apply_schema(*before, schema, "before");
      if (auto old = opt.mapping.row_id(b); old.is_ok() && *old != c.id) c.old_id = *old;
    }
    c.kind = ChangeKind::kUpsert;
  } else if (o == "d") {
    const Json* before = row("before");
    if (!before) return Status::invalid("before: op 'd' needs a 'before' object with the id column");
    Json b = apply_schema(*before, schema, "before");
    MERIDIAN_ASSIGN_OR_RETURN(c.id, opt.mapping.row_id(b));
    c.kind = ChangeKind::kDelete;
  } else if (o == "t") {
    c.kind = ChangeKind::kTruncate;
  } else {
    return Status::invalid("op: unknown value '" + o + "' (expected c, u, d, r or t)");
  }
  out.push_back(std::move(c));
  return out;
}

}  // namespace meridian::cdc
