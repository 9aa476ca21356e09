#include "meridian/cluster/shard_map.h"

#include "meridian/cluster/placement.h"

namespace meridian::cluster {

namespace {
Status read_count(const Json& j, const char* key, uint32_t max, uint32_t* out) {
  const Json* v = j.find(key);
  if (!v || v->is_null()) {
    *out = 1;
    return Status::ok();
  }
  if (!v->is_int() || v->as_int() < 1 || v->as_int() > max)
    return Status::invalid(std::string("\"") + key + "\" must be an integer from 1 to " + std::to_string(max));
  *out = static_cast<uint32_t>(v->as_int());
  return Status::ok();
}
}  // namespace

Status validate_shard_counts(const Json& request, uint32_t* shards, uint32_t* replicas) {
  if (auto st = read_count(request, "shards", kMaxShards, shards); !st) return st;
  return read_count(request, "replicas", kMaxReplicas, replicas);
}

Json ShardMap::to_json() const {
  Json a = Json::array();
  for (const auto& nodes : assignment) {
    Json n = Json::array();
    for (const auto& s : nodes) n.push(Json(s));
    a.push(std::move(n));
  }
  Json j = Json::object();
  j.set("index", Json(index));
  if (!uid.empty()) j.set("uid", Json(uid));
  j.set("shards", Json(static_cast<int64_t>(shards)));
  j.set("replicas", Json(static_cast<int64_t>(replicas)));
  j.set("schema", schema);
  if (schema_version > 0) j.set("schema_version", Json(static_cast<int64_t>(schema_version)));
  if (settings_version > 0) {
    j.set("settings", settings);
    j.set("settings_version", Json(static_cast<int64_t>(settings_version)));
  }
  j.set("assignment", std::move(a));
  j.set("epoch", Json(static_cast<int64_t>(epoch)));
  return j;
}

Result<ShardMap> ShardMap::from_json(const Json& j) {
  if (!j.is_object()) return Status::invalid("shard map: expected an object");
  ShardMap m;
  const Json* name = j.find("index");
  if (!name || !name->is_string() || name->as_string().empty())
    return Status::invalid("shard map: \"index\" must be a non-empty string");
  m.index = name->as_string();
  if (const Json* u = j.find("uid"); u && u->is_string()) m.uid = u->as_string();
  if (!j.find("shards") || !j.find("replicas")) return Status::invalid("shard map: \"shards\" and \"replicas\" are required");
  if (auto st = validate_shard_counts(j, &m.shards, &m.replicas); !st) return st.with_context("shard map");
  if (const Json* s = j.find("schema")) m.schema = *s;
  if (const Json* s = j.find("settings")) {
    if (!s->is_object() && !s->is_null()) return Status::invalid("shard map: \"settings\" must be an object");
    m.settings = *s;
  }
  if (const Json* v = j.find("settings_version"); v && v->is_int() && v->as_int() >= 0)
    m.settings_version = static_cast<uint64_t>(v->as_int());
  if (const Json* v = j.find("schema_version"); v && v->is_int() && v->as_int() >= 0)
    m.schema_version = static_cast<uint64_t>(v->as_int());
  if (const Json* e = j.find("epoch"); e && e->is_int() && e->as_int() >= 0) m.epoch = static_cast<uint64_t>(e->as_int());
  const Json* a = j.find("assignment");
  if (!a || !a->is_array() || a->size() != m.shards)
    return Status::invalid("shard map: \"assignment\" must be an array of one node list per shard");
  for (const Json& nodes : a->as_array()) {
    if (!nodes.is_array()) return Status::invalid("shard map: each assignment must be an array of node ids");
    std::vector<std::string> v;
    for (const Json& n : nodes.as_array()) {
      if (!n.is_string()) return Status::invalid("shard map: node ids must be strings");
      v.push_back(n.as_string());
    }
    m.assignment.push_back(std::move(v));
  }
  return m;
}

const std::vector<std::string>& ShardMap::nodes_of(uint32_t shard) const {
  static const std::vector<std::string> kNone;
  return shard < assignment.size() ? assignment[shard] : kNone;
}

std::vector<uint32_t> ShardMap::shards_on(const std::string& node) const {
  std::vector<uint32_t> out;
  for (uint32_t s = 0; s < assignment.size(); ++s)
    for (const auto& n : assignment[s])
      if (n == node) {
        out.push_back(s);
        break;
      }
  return out;
}

ShardMap ShardMap::rebalanced(const std::vector<std::string>& live_nodes, size_t* moved) const {
  ShardMap next = *this;
  next.assignment = place_index(index, shards, replicas, live_nodes);
  std::vector<std::vector<std::string>> before = assignment;
  before.resize(shards);
  size_t m = moved_replicas(before, next.assignment);
  if (next.assignment != assignment) next.epoch = epoch + 1;
  if (moved) *moved = m;
  return next;
}

}  // namespace meridian::cluster
