#include "meridian/cdc/source_config.h"

#include "meridian/base/file.h"
#include "meridian/base/file_frame.h"

namespace meridian::cdc {
namespace {

constexpr uint32_t kSourcesMagic = fourcc("MSRC");
constexpr uint32_t kSourcesVersion = 1;

std::string default_object_name(const std::string& index, const std::string& name) {
  std::string s = "meridian_" + index + "_" + name;
  for (char& c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) c = '_';
  return s.substr(0, 63);
}

Status ident_ok(const std::string& what, const std::string& v) {
  if (v.empty() || v.size() > 63) return Status::invalid(what + ": expected 1..63 characters");
  for (char c : v)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
      return Status::invalid(what + ": only [a-z0-9_] allowed, got '" + v + "'");
  return Status::ok();
}

}  // namespace

Status validate_source_name(std::string_view name) { return ident_ok("source name", std::string(name)); }

std::string redact_dsn(const std::string& dsn) {
  std::string out = dsn;
  size_t p = out.find("password=");
  if (p != std::string::npos) {
    size_t start = p + 9, end = start;
    if (end < out.size() && out[end] == '\'') {
      end = out.find('\'', end + 1);
      end = end == std::string::npos ? out.size() : end + 1;
    } else {
      while (end < out.size() && out[end] != ' ' && out[end] != '&') ++end;
    }
    out.replace(start, end - start, "***");
  }
  size_t scheme = out.find("://");
  size_t at = out.find('@');
  if (scheme != std::string::npos && at != std::string::npos && at > scheme) {
    size_t colon = out.find(':', scheme + 3);
    if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
  }
  return out;
}

Result<SourceConfig> SourceConfig::from_json(const std::string& index, const std::string& name, const Json& j) {
  MERIDIAN_RETURN_IF_ERROR(validate_source_name(name));
  if (!j.is_object()) return Status::invalid("source: expected a JSON object");
  SourceConfig c;
  c.index = index;
  c.name = name;
  std::string id_column;
  for (const auto& member : j.as_object()) {
    const std::string& k = member.first;  // not a structured binding: clang 14
    const Json& v = member.second;        // cannot capture one in the lambda
    auto str = [&](std::string* out) -> Status {
      if (!v.is_string()) return Status::invalid(k + ": expected a string");
      *out = v.as_string();
      return Status::ok();
    };
    if (k == "type") MERIDIAN_RETURN_IF_ERROR(str(&c.type));
    else if (k == "dsn") MERIDIAN_RETURN_IF_ERROR(str(&c.dsn));
    else if (k == "table") MERIDIAN_RETURN_IF_ERROR(str(&c.table));
    else if (k == "publication") MERIDIAN_RETURN_IF_ERROR(str(&c.publication));
    else if (k == "slot") MERIDIAN_RETURN_IF_ERROR(str(&c.slot));
    else if (k == "id_column") MERIDIAN_RETURN_IF_ERROR(str(&id_column));
    else if (k == "mapping") {
      auto m = ColumnMapping::from_json(v);
      if (!m) return m.status();
      c.mapping = std::move(*m);
    } else if (k == "name" || k == "index" || k == "state") {
      continue;  // echoed back by GET; ignored
    } else {
      return Status::invalid("source: unknown key '" + k + "'");
    }
  }
  if (!id_column.empty()) c.mapping.set_id_column(id_column);
  if (c.type != "postgres" && c.type != "debezium")
    return Status::invalid("type: expected \"postgres\" or \"debezium\", got '" + c.type + "'");
  if (c.type == "postgres") {
    if (c.dsn.empty()) return Status::invalid("dsn: required for a postgres source");
    if (c.table.empty()) return Status::invalid("table: required for a postgres source (\"schema.table\")");
    if (c.table.find('.') == std::string::npos) c.table = "public." + c.table;
    if (c.publication.empty()) c.publication = default_object_name(index, name);
    if (c.slot.empty()) c.slot = default_object_name(index, name);
    MERIDIAN_RETURN_IF_ERROR(ident_ok("publication", c.publication));
    MERIDIAN_RETURN_IF_ERROR(ident_ok("slot", c.slot));
  }
  return c;
}

Json SourceConfig::to_json(bool redact) const {
  Json j = Json::object();
  j.set("index", Json(index));
  j.set("name", Json(name));
  j.set("type", Json(type));
  if (type == "postgres") {
    j.set("dsn", Json(redact ? redact_dsn(dsn) : dsn));
    j.set("table", Json(table));
    j.set("publication", Json(publication));
    j.set("slot", Json(slot));
  } else if (!table.empty()) {
    j.set("table", Json(table));
  }
  j.set("id_column", Json(mapping.id_column()));
  j.set("mapping", mapping.to_json());
  return j;
}

std::string SourceConfig::position_key() const {
  return (type == "postgres" ? "postgres:" : "debezium:") + name;
}

Result<std::unique_ptr<SourceRegistry>> SourceRegistry::open(const std::string& path) {
  std::unique_ptr<SourceRegistry> r(new SourceRegistry(path));
  if (!fs::exists(path)) return r;
  MERIDIAN_ASSIGN_OR_RETURN(std::string bytes, fs::read_file(path));
  MERIDIAN_ASSIGN_OR_RETURN(FrameInfo f, unframe_file(bytes, kSourcesMagic, 1, kSourcesVersion, path));
  auto j = parse_json(f.body);
  if (!j || !j->is_array()) return Status::corruption(path + ": body is not a JSON array");
  for (const auto& e : j->as_array()) {
    const Json* ix = e.find("index");
    const Json* nm = e.find("name");
    if (!ix || !nm || !ix->is_string() || !nm->is_string()) return Status::corruption(path + ": entry without index/name");
    auto c = SourceConfig::from_json(ix->as_string(), nm->as_string(), e);
    if (!c) return Status::corruption(path + ": " + c.status().message());
    r->sources_.push_back(std::move(*c));
  }
  return r;
}

Status SourceRegistry::save_locked() const {
  Json arr = Json::array();
  for (const auto& s : sources_) arr.push(s.to_json(false));
  return fs::write_file_atomic(path_, frame_file(kSourcesMagic, kSourcesVersion, arr.dump()));
}

Status SourceRegistry::put(const SourceConfig& c) {
  std::lock_guard<std::mutex> l(mu_);
  auto old = sources_;
  bool replaced = false;
  for (auto& s : sources_)
    if (s.index == c.index && s.name == c.name) {
      s = c;
      replaced = true;
    }
  if (!replaced) sources_.push_back(c);
  Status st = save_locked();
  if (!st.is_ok()) sources_ = std::move(old);
  return st;
}

Status SourceRegistry::remove(const std::string& index, const std::string& name) {
  std::lock_guard<std::mutex> l(mu_);
  auto old = sources_;
  size_t n = sources_.size();
  std::erase_if(sources_, [&](const SourceConfig& s) { return s.index == index && s.name == name; });
  if (sources_.size() == n) return Status::not_found("no source '" + name + "' on index '" + index + "'");
  Status st = save_locked();
  if (!st.is_ok()) sources_ = std::move(old);
  return st;
}

std::optional<SourceConfig> SourceRegistry::get(const std::string& index, const std::string& name) const {
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& s : sources_)
    if (s.index == index && s.name == name) return s;
  return std::nullopt;
}

std::vector<SourceConfig> SourceRegistry::list() const {
  std::lock_guard<std::mutex> l(mu_);
  return sources_;
}

}  // namespace meridian::cdc
