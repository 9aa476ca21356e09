#include "meridian/cluster/source_store.h"

#include <algorithm>

#include "meridian/cluster/log_record.h"

namespace meridian::cluster {
namespace {

// Source names are [a-z0-9_] (validate_source_name) and escaped index names
// have no '.', so a key splits back into its parts unambiguously.
std::string key(std::string_view kind, const std::string& index, const std::string& name) {
  return std::string(kind) + "." + escape_name(index) + "." + name;
}

}  // namespace

Status SourceStore::put_config(const cdc::SourceConfig& c) {
  return kv_->put(key("config", c.index, c.name), c.to_json(false).dump()).status();
}

Result<std::optional<cdc::SourceConfig>> SourceStore::config(const std::string& index, const std::string& name) {
  MERIDIAN_ASSIGN_OR_RETURN(auto e, kv_->get(key("config", index, name)));
  if (!e) return std::optional<cdc::SourceConfig>();
  auto j = parse_json(e->value);
  if (!j) return Status::corruption("source '" + name + "' of '" + index + "' in " + kBucket + ": " + j.status().message());
  auto c = cdc::SourceConfig::from_json(index, name, *j);
  if (!c) return Status::corruption("source '" + name + "' of '" + index + "' in " + kBucket + ": " + c.status().message());
  return std::optional<cdc::SourceConfig>(std::move(*c));
}

Result<std::vector<cdc::SourceConfig>> SourceStore::configs() {
  MERIDIAN_ASSIGN_OR_RETURN(auto keys, kv_->keys());
  std::vector<cdc::SourceConfig> out;
  for (const auto& k : keys) {
    if (k.rfind("config.", 0) != 0) continue;
    MERIDIAN_ASSIGN_OR_RETURN(auto e, kv_->get(k));
    if (!e) continue;  // removed meanwhile
    auto j = parse_json(e->value);
    const Json* index = j ? j->find("index") : nullptr;
    const Json* name = j ? j->find("name") : nullptr;
    if (!index || !index->is_string() || !name || !name->is_string())
      return Status::corruption(std::string(kBucket) + ": entry " + k + " names no index and source");
    auto c = cdc::SourceConfig::from_json(index->as_string(), name->as_string(), *j);
    if (!c) return Status::corruption(std::string(kBucket) + ": entry " + k + ": " + c.status().message());
    out.push_back(std::move(*c));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.index != b.index ? a.index < b.index : a.name < b.name;
  });
  return out;
}

Status SourceStore::remove(const std::string& index, const std::string& name) {
  for (const char* kind : {"config", "position", "status"}) MERIDIAN_RETURN_IF_ERROR(kv_->remove(key(kind, index, name)));
  return Status::ok();
}

Result<cdc::SourcePosition> SourceStore::position(const std::string& index, const std::string& name) {
  MERIDIAN_ASSIGN_OR_RETURN(auto e, kv_->get(key("position", index, name)));
  if (!e) return cdc::SourcePosition{};
  auto p = cdc::SourcePosition::parse(e->value);
  if (!p) return Status::corruption("position of source '" + name + "' of '" + index + "' in " + kBucket + " is '" + e->value + "'");
  return *p;
}

Status SourceStore::put_position(const std::string& index, const std::string& name, const cdc::SourcePosition& p) {
  return kv_->put(key("position", index, name), p.to_string()).status();
}

Status SourceStore::put_status(const std::string& index, const std::string& name, const Json& status) {
  return kv_->put(key("status", index, name), status.dump()).status();
}

Result<std::optional<Json>> SourceStore::status(const std::string& index, const std::string& name) {
  MERIDIAN_ASSIGN_OR_RETURN(auto e, kv_->get(key("status", index, name)));
  if (!e) return std::optional<Json>();
  auto j = parse_json(e->value);
  if (!j) return Status::corruption("status of source '" + name + "' of '" + index + "' in " + kBucket + ": " + j.status().message());
  return std::optional<Json>(std::move(*j));
}

}  // namespace meridian::cluster
