#include "meridian/cluster/alias_directory.h"

#include <thread>

#include "meridian/base/json.h"
#include "meridian/index/schema.h"

namespace meridian::cluster {

constexpr int64_t kAliasRecordVersion = 1;

std::string encode_alias_record(const AliasMap& aliases) {
  Json obj = Json::object();
  for (const auto& [a, i] : aliases) obj.set(a, Json(i));
  Json root = Json::object();
  root.set("version", Json(kAliasRecordVersion));
  root.set("aliases", std::move(obj));
  return root.dump();
}

Result<AliasMap> decode_alias_record(std::string_view bytes) {
  const std::string where = "alias record '" + AliasDirectory::kKey + "'";
  auto j = parse_json(bytes);
  if (!j) return Status::corruption(where + ": " + j.status().message());
  const Json* v = j->is_object() ? j->find("version") : nullptr;
  if (!v || !v->is_int() || v->as_int() != kAliasRecordVersion)
    return Status::corruption(where + ": expected \"version\": " + std::to_string(kAliasRecordVersion));
  const Json* obj = j->find("aliases");
  if (!obj || !obj->is_object()) return Status::corruption(where + ": missing \"aliases\" object");
  AliasMap out;
  for (const auto& [alias, index] : obj->as_object()) {
    if (!index.is_string()) return Status::corruption(where + ": alias '" + alias + "' does not name an index");
    if (Status st = index::validate_index_name(alias); !st.is_ok())
      return Status::corruption(where + ": alias '" + alias + "': " + st.message());
    if (Status st = index::validate_index_name(index.as_string()); !st.is_ok())
      return Status::corruption(where + ": target of '" + alias + "': " + st.message());
    out[alias] = index.as_string();
  }
  return out;
}

Result<std::pair<AliasMap, uint64_t>> AliasDirectory::read() {
  MERIDIAN_ASSIGN_OR_RETURN(auto e, kv_->get(kKey));
  if (!e) return std::pair<AliasMap, uint64_t>{};
  MERIDIAN_ASSIGN_OR_RETURN(AliasMap m, decode_alias_record(e->value));
  return std::pair<AliasMap, uint64_t>{std::move(m), e->revision};
}

void AliasDirectory::install(AliasMap aliases, std::chrono::steady_clock::time_point taken) {
  std::lock_guard<std::mutex> l(mu_);
  if (copy_ && copy_->taken > taken) return;  // a newer read or store won meanwhile
  copy_ = Copy{std::make_shared<const AliasMap>(std::move(aliases)), taken};
}

Result<std::shared_ptr<const AliasMap>> AliasDirectory::aliases() {
  const auto now = std::chrono::steady_clock::now();
  std::shared_ptr<const AliasMap> old;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (copy_) {
      old = copy_->aliases;
      if (now - copy_->taken < ttl_) return old;
      // Unsettled, or NATS failed a moment ago: keep routing with the copy.
      if (!settled_() || now - failed_at_ < ttl_) return old;
    }
  }
  bool expected = false;
  if (old && !reading_.compare_exchange_strong(expected, true)) return old;  // another caller reads
  auto got = read();
  if (old) reading_.store(false);
  if (!got) {
    std::lock_guard<std::mutex> l(mu_);
    failed_at_ = std::chrono::steady_clock::now();
    if (old) return old;
    return got.status();
  }
  install(std::move(got->first), now);
  std::lock_guard<std::mutex> l(mu_);
  return copy_->aliases;
}

std::optional<std::string> AliasDirectory::resolve(const std::string& name) {
  auto all = aliases();
  if (!all) return std::nullopt;
  auto it = (*all)->find(name);
  if (it == (*all)->end()) return std::nullopt;
  return it->second;
}

Result<AliasMap> AliasDirectory::update(const std::function<Result<AliasMap>(const AliasMap&)>& change) {
  for (int attempt = 0; attempt < 10; ++attempt) {
    MERIDIAN_ASSIGN_OR_RETURN(auto cur, read());
    MERIDIAN_ASSIGN_OR_RETURN(AliasMap next, change(cur.first));
    const auto at = std::chrono::steady_clock::now();
    if (next == cur.first) {
      install(std::move(next), at);
      return cur.first;
    }
    const std::string bytes = encode_alias_record(next);
    auto stored = cur.second ? kv_->update(kKey, bytes, cur.second) : kv_->create(kKey, bytes);
    if (!stored) {
      if (stored.status().code() == Status::Code::kAlreadyExists) continue;  // a concurrent change: re-read
      return stored.status();
    }
    install(next, at);
    // Every other node's copy is at most ttl_ms old when used.
    std::this_thread::sleep_until(at + ttl_);
    return next;
  }
  return Status::busy("aliases: too many concurrent changes");
}

}  // namespace meridian::cluster
