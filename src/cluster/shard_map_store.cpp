#include "meridian/cluster/shard_map_store.h"

#include <algorithm>

#include "meridian/cluster/log_record.h"

namespace meridian::cluster {

namespace {
constexpr std::string_view kPrefix = "index.";
std::string key_of(const std::string& index) { return std::string(kPrefix) + escape_name(index); }
}  // namespace

Result<std::unique_ptr<ShardMapStore>> ShardMapStore::open(NatsClient& client, int replicas) {
  auto kv = client.bucket(kBucket, replicas, 0, 5);
  if (!kv) return kv.status();
  return std::unique_ptr<ShardMapStore>(new ShardMapStore(std::move(*kv)));
}

Result<std::optional<ShardMap>> ShardMapStore::get(const std::string& index) {
  auto e = kv_->get(key_of(index));
  if (!e) return e.status();
  if (!e->has_value()) return std::optional<ShardMap>();
  auto j = parse_json((*e)->value);
  if (!j) return Status::corruption("shard map of '" + index + "': " + j.status().message());
  auto m = ShardMap::from_json(*j);
  if (!m) return Status::corruption("shard map of '" + index + "': " + m.status().message());
  m->revision = (*e)->revision;
  return std::optional<ShardMap>(std::move(*m));
}

Result<ShardMap> ShardMapStore::create(const ShardMap& map) {
  auto rev = kv_->create(key_of(map.index), map.to_json().dump());
  if (!rev) {
    if (rev.status().code() == Status::Code::kAlreadyExists)
      return Status::exists("index '" + map.index + "' already exists in the cluster");
    return rev.status();
  }
  ShardMap out = map;
  out.revision = *rev;
  return out;
}

Result<ShardMap> ShardMapStore::update(const ShardMap& map) {
  auto rev = kv_->update(key_of(map.index), map.to_json().dump(), map.revision);
  if (!rev) return rev.status();
  ShardMap out = map;
  out.revision = *rev;
  return out;
}

Status ShardMapStore::remove(const std::string& index) { return kv_->remove(key_of(index)); }

Result<std::vector<std::string>> ShardMapStore::list() {
  auto keys = kv_->keys();
  if (!keys) return keys.status();
  std::vector<std::string> out;
  for (const auto& k : *keys) {
    if (k.rfind(kPrefix, 0) != 0) continue;
    auto e = kv_->get(k);
    if (!e) return e.status();
    if (!e->has_value()) continue;  // removed meanwhile
    auto j = parse_json((*e)->value);
    const Json* name = j ? j->find("index") : nullptr;
    if (!name || !name->is_string()) return Status::corruption("shard map bucket: entry " + k + " names no index");
    out.push_back(name->as_string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<ShardMap> ShardMapStore::modify(const std::string& index, const std::string& what, const Change& change) {
  for (int attempt = 0; attempt < 10; ++attempt) {
    auto cur = get(index);
    if (!cur) return cur.status();
    if (!cur->has_value()) return Status::not_found("no clustered index '" + index + "'");
    MERIDIAN_ASSIGN_OR_RETURN(std::optional<ShardMap> next, change(**cur));
    if (!next) return **cur;
    auto done = update(*next);
    if (done || done.status().code() != Status::Code::kAlreadyExists) return done;  // else a concurrent change: re-read
  }
  return Status::busy(what + " of '" + index + "': too many concurrent updates");
}

Result<ShardMap> ShardMapStore::rebalance(const std::string& index, const std::vector<std::string>& live_nodes,
                                          size_t* moved) {
  return modify(index, "shard map", [&](const ShardMap& cur) -> Result<std::optional<ShardMap>> {
    size_t m = 0;
    ShardMap next = cur.rebalanced(live_nodes, &m);
    if (moved) *moved = m;
    if (next.assignment == cur.assignment) return std::optional<ShardMap>();
    return std::optional<ShardMap>(std::move(next));
  });
}

}  // namespace meridian::cluster
