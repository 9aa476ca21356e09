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

// Raising a stored position gives up after this many revision conflicts
// (each one means another node stored a position meanwhile).
constexpr int kMaxConflicts = 64;

}  // namespace

std::string change_position_key(const std::string& index, std::string_view source) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "changes." + escape_name(index) + ".";
  for (unsigned char c : source) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('_');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

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

Result<cdc::SourcePosition> SourceStore::change_position(const std::string& index, const std::string& source) {
  const std::string k = change_position_key(index, source);
  MERIDIAN_ASSIGN_OR_RETURN(auto e, kv_->get(k));
  if (!e) return cdc::SourcePosition{};
  auto p = cdc::SourcePosition::parse(e->value);
  if (!p) return Status::corruption(std::string(kBucket) + ": " + k + " is '" + e->value + "', not a position");
  return *p;
}

Result<cdc::SourcePosition> SourceStore::advance_change_position(const std::string& index, const std::string& source,
                                                                 const cdc::SourcePosition& p) {
  const std::string k = change_position_key(index, source);
  for (int conflicts = 0; conflicts < kMaxConflicts; ++conflicts) {
    MERIDIAN_ASSIGN_OR_RETURN(auto e, kv_->get(k));
    Result<uint64_t> stored = Status::internal("unset");
    if (e) {
      auto have = cdc::SourcePosition::parse(e->value);
      if (!have) return Status::corruption(std::string(kBucket) + ": " + k + " is '" + e->value + "', not a position");
      if (!(*have < p)) return *have;  // as far or further already
      stored = kv_->update(k, p.to_string(), e->revision);
    } else {
      stored = kv_->create(k, p.to_string());
    }
    if (stored) return p;
    if (stored.status().code() != Status::Code::kAlreadyExists) return stored.status();
    // Another node stored a position since the read: read it again.
  }
  return Status::busy(std::string(kBucket) + ": " + k + " changed " + std::to_string(kMaxConflicts) +
                      " times while this node stored its position");
}

Status SourceStore::remove_change_positions(const std::string& index) {
  const std::string prefix = "changes." + escape_name(index) + ".";  // escaped names hold no '.'
  MERIDIAN_ASSIGN_OR_RETURN(auto keys, kv_->keys());
  for (const auto& k : keys)
    if (k.rfind(prefix, 0) == 0) MERIDIAN_RETURN_IF_ERROR(kv_->remove(k));
  return Status::ok();
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
