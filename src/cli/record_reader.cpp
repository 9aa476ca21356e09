#include "record_reader.h"

#include <cerrno>
#include <cstdlib>

namespace meridian::cli {

Result<InputFormat> parse_input_format(const std::string& name) {
  if (name == "auto") return InputFormat::kAuto;
  if (name == "ndjson" || name == "jsonl") return InputFormat::kNdjson;
  if (name == "json") return InputFormat::kJsonArray;
  if (name == "csv") return InputFormat::kCsv;
  if (name == "debezium") return InputFormat::kDebezium;
  return Status::invalid("unknown --format '" + name + "' (expected auto, ndjson, json, csv or debezium)");
}

Result<GeoColumns> GeoColumns::parse(const std::string& spec) {
  GeoColumns g;
  std::string cols = spec;
  auto eq = spec.find('=');
  if (eq != std::string::npos) {
    g.field = spec.substr(0, eq);
    cols = spec.substr(eq + 1);
  }
  auto comma = cols.find(',');
  if (comma == std::string::npos || g.field.empty())
    return Status::invalid("--geo expects LAT_COLUMN,LON_COLUMN or FIELD=LAT_COLUMN,LON_COLUMN, got '" + spec + "'");
  g.lat = cols.substr(0, comma);
  g.lon = cols.substr(comma + 1);
  if (g.lat.empty() || g.lon.empty()) return Status::invalid("--geo: empty column name in '" + spec + "'");
  return g;
}

bool split_csv(const std::string& text, std::vector<std::string>* fields) {
  fields->clear();
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          cur.push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        cur.push_back(c);
      }
    } else if (c == '"' && cur.empty()) {
      quoted = true;
    } else if (c == ',') {
      fields->push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  fields->push_back(std::move(cur));
  return !quoted;
}

RecordReader::RecordReader(std::unique_ptr<InputStream> in, InputFormat fmt, const std::string& path,
                           std::shared_ptr<const index::Schema> schema, std::optional<GeoColumns> geo)
    : in_(std::move(in)), fmt_(fmt), path_(path), schema_(std::move(schema)), geo_(std::move(geo)) {
  if (fmt_ == InputFormat::kAuto) {
    // Sniff the first non-empty line: '[' array, '{' NDJSON, else CSV.
    std::string line;
    while (in_->read_line(&line)) {
      ++line_;
      size_t p = line.find_first_not_of(" \t\xEF\xBB\xBF");
      if (p == std::string::npos) continue;
      fmt_ = line[p] == '[' ? InputFormat::kJsonArray : line[p] == '{' ? InputFormat::kNdjson : InputFormat::kCsv;
      pending_ = line;
      has_pending_ = true;
      break;
    }
    if (fmt_ == InputFormat::kAuto) fmt_ = InputFormat::kNdjson;  // empty input
  }
}

Status RecordReader::status() const { return status_.is_ok() ? in_->status() : status_; }

bool RecordReader::next(Record* r) {
  if (fmt_ == InputFormat::kCsv) return next_csv(r);
  if (fmt_ == InputFormat::kJsonArray) return next_array(r);
  std::string line;
  for (;;) {
    if (has_pending_) {
      line = std::move(pending_);
      has_pending_ = false;
    } else {
      if (!in_->read_line(&line)) return false;
      ++line_;
    }
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    r->line = line_;
    r->text = std::move(line);
    r->deferred = true;
    r->geo = geo_ ? &*geo_ : nullptr;
    if (!defer_json_) r->parse();
    return true;
  }
}

void Record::parse() {
  if (!deferred) return;
  deferred = false;
  doc = parse_json(text);
  if (doc.is_ok() && !doc->is_object()) doc = Status::invalid("expected a JSON object, got " + std::string(doc->type_name()));
  if (doc.is_ok() && geo) {
    if (Status st = geo->combine(&*doc); !st.is_ok()) doc = st;
  }
}

Status GeoColumns::combine(Json* doc) const {
  Json* la = doc->find(lat);
  Json* lo = doc->find(lon);
  if (la && la->is_null()) la = nullptr;
  if (lo && lo->is_null()) lo = nullptr;
  if (!la && !lo) return Status::ok();
  auto number = [](const Json* v, Json* out) {
    if (!v) return false;
    if (v->is_number()) { *out = *v; return true; }
    if (!v->is_string() || v->as_string().empty()) return false;
    const std::string& s = v->as_string();
    char* end = nullptr;
    double x = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size()) return false;
    *out = Json(x);
    return true;
  };
  Json p, y, x;
  if (!number(la, &y) || !number(lo, &x))
    return Status::invalid("fields '" + lat + "','" + lon + "' (--geo) do not hold a latitude and longitude");
  p.set("lat", std::move(y));
  p.set("lon", std::move(x));
  doc->erase(lat);
  doc->erase(lon);
  doc->set(field, std::move(p));
  return Status::ok();
}

bool RecordReader::next_array(Record* r) {
  if (!array_) {
    std::string all = has_pending_ ? pending_ + "\n" : std::string();
    has_pending_ = false;
    Status st = in_->read_all(&all);
    if (!st.is_ok()) {
      status_ = st;
      return false;
    }
    auto j = parse_json(all, JsonParseOptions{256});
    if (!j) {
      status_ = Status::invalid(path_ + ": " + j.status().message());
      return false;
    }
    if (!j->is_array()) {
      status_ = Status::invalid(path_ + ": expected a JSON array of documents");
      return false;
    }
    array_ = std::move(*j);
  }
  auto& a = array_->as_array();
  if (array_pos_ >= a.size()) return false;
  Json& e = a[array_pos_++];
  r->line = array_pos_;
  r->text = e.dump();
  if (!e.is_object()) {
    r->doc = Status::invalid("expected a JSON object, got " + std::string(e.type_name()));
    return true;
  }
  if (geo_) {
    if (Status st = geo_->combine(&e); !st.is_ok()) {
      r->doc = st;
      return true;
    }
  }
  r->doc = std::move(e);
  return true;
}

Json RecordReader::csv_value(const std::string& column, const std::string& v) const {
  const index::FieldDef* f = schema_ ? schema_->find(column) : nullptr;
  auto as_int = [&](Json* out) {
    errno = 0;
    char* end = nullptr;
    long long x = std::strtoll(v.c_str(), &end, 10);
    if (errno || end != v.c_str() + v.size() || v.empty()) return false;
    *out = Json(static_cast<int64_t>(x));
    return true;
  };
  auto as_double = [&](Json* out) {
    char* end = nullptr;
    double x = std::strtod(v.c_str(), &end);
    if (end != v.c_str() + v.size() || v.empty()) return false;
    *out = Json(x);
    return true;
  };
  Json out;
  if (f) {
    switch (f->type) {
      case index::FieldType::kInt:
        if (as_int(&out)) return out;
        break;
      case index::FieldType::kFloat:
        if (as_double(&out)) return out;
        break;
      case index::FieldType::kBool:
        if (v == "true" || v == "1") return Json(true);
        if (v == "false" || v == "0") return Json(false);
        break;
      default:
        break;
    }
    return Json(v);  // the document parser reports a type mismatch
  }
  if (as_int(&out) || as_double(&out)) return out;
  if (v == "true") return Json(true);
  if (v == "false") return Json(false);
  return Json(v);
}

bool RecordReader::next_csv(Record* r) {
  std::string line, text;
  std::vector<std::string> fields;
  auto read_record = [&](uint64_t* start) -> bool {
    text.clear();
    bool first = true;
    for (;;) {
      if (has_pending_) {
        line = std::move(pending_);
        has_pending_ = false;
      } else {
        if (!in_->read_line(&line)) return !first;
        ++line_;
      }
      if (first) {
        if (line.empty()) continue;
        *start = line_;
        text = line;
        first = false;
      } else {
        text += "\n" + line;
      }
      if (split_csv(text, &fields)) return true;
    }
  };
  uint64_t start = 0;
  if (header_.empty()) {
    if (!read_record(&start)) return false;
    header_ = fields;
    if (!header_.empty() && header_[0].rfind("\xEF\xBB\xBF", 0) == 0) header_[0] = header_[0].substr(3);
  }
  if (!read_record(&start)) return false;
  r->line = start;
  r->text = text;
  if (fields.size() != header_.size()) {
    r->doc = Status::invalid("expected " + std::to_string(header_.size()) + " columns, got " +
                             std::to_string(fields.size()));
    return true;
  }
  Json doc = Json::object();
  Json lat, lon;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (geo_ && header_[i] == geo_->lat) { lat = csv_value("", fields[i]); continue; }
    if (geo_ && header_[i] == geo_->lon) { lon = csv_value("", fields[i]); continue; }
    if (fields[i].empty()) continue;  // an empty cell is a missing value
    doc.set(header_[i], csv_value(header_[i], fields[i]));
  }
  if (geo_ && (!lat.is_null() || !lon.is_null())) {
    if (!lat.is_number() || !lon.is_number()) {
      r->doc = Status::invalid("columns '" + geo_->lat + "','" + geo_->lon + "' do not hold a latitude and longitude");
      return true;
    }
    Json p;
    p.set("lat", lat);
    p.set("lon", lon);
    doc.set(geo_->field, std::move(p));
  }
  r->doc = std::move(doc);
  return true;
}

}  // namespace meridian::cli
