#include "meridian/server/alias_store.h"

#include "meridian/base/file.h"
#include "meridian/base/file_frame.h"
#include "meridian/index/schema.h"

namespace meridian::server {
namespace {

constexpr uint32_t kAliasMagic = fourcc("MALI");
constexpr uint32_t kAliasVersion = 1;

Result<std::string> string_member(const Json& obj, std::string_view key, const std::string& path, bool required) {
  const Json* v = obj.find(key);
  if (!v) {
    if (required) return Status::invalid(path + "." + std::string(key) + ": required");
    return std::string();
  }
  if (!v->is_string())
    return Status::invalid(path + "." + std::string(key) + ": expected a string, got " + std::string(v->type_name()));
  return v->as_string();
}

}  // namespace

NameKind classify_name(bool is_index, bool node_alias, bool cluster_alias) {
  if (is_index) return NameKind::kIndex;
  if (node_alias) return NameKind::kNodeAlias;
  if (cluster_alias) return NameKind::kClusterAlias;
  return NameKind::kUnknown;
}

AliasMap effective_aliases(const AliasMap& node, const AliasMap& cluster,
                           const std::function<bool(const std::string&)>& is_index) {
  AliasMap out = node;
  for (const auto& [a, i] : cluster)
    if (classify_name(is_index(a), node.count(a) > 0, true) == NameKind::kClusterAlias) out.emplace(a, i);
  return out;
}

Result<NameKind> alias_store_for(const std::vector<AliasAction>& actions,
                                 const std::function<bool(const std::string&)>& clustered_index,
                                 const AliasMap& node, const AliasMap& cluster) {
  std::optional<NameKind> side;
  for (size_t i = 0; i < actions.size(); ++i) {
    const AliasAction& a = actions[i];
    const std::string where = "actions[" + std::to_string(i) + "]: ";
    NameKind s;
    if (a.kind == AliasAction::Kind::kAdd) {
      const bool to_cluster = clustered_index(a.index);
      s = to_cluster ? NameKind::kClusterAlias : NameKind::kNodeAlias;
      // Moving the node's own alias is fine even when it hides a cluster alias.
      const AliasMap& other = to_cluster ? node : cluster;
      if (auto it = other.find(a.alias); it != other.end() && (to_cluster || !node.count(a.alias)))
        return Status::exists(where + "'" + a.alias + "' is an alias of " + (to_cluster ? "single-node" : "clustered") +
                              " index '" + it->second + "'; remove it before pointing the name at a " +
                              (to_cluster ? "clustered" : "single-node") + " index");
    } else {
      s = node.count(a.alias) || !cluster.count(a.alias) ? NameKind::kNodeAlias : NameKind::kClusterAlias;
    }
    if (side && *side != s)
      return Status::invalid(where + "this request changes aliases of single-node and of clustered indexes; they are "
                             "stored apart (this node's, the cluster's) and cannot change atomically together: "
                             "send them in separate requests");
    side = s;
  }
  return side.value_or(NameKind::kNodeAlias);
}

Result<std::unique_ptr<AliasStore>> AliasStore::open(std::string path) {
  std::unique_ptr<AliasStore> s(new AliasStore(std::move(path)));
  MERIDIAN_RETURN_IF_ERROR(s->load());
  return s;
}

Status AliasStore::load() {
  if (path_.empty() || !fs::exists(path_)) return Status::ok();
  MERIDIAN_ASSIGN_OR_RETURN(std::string bytes, fs::read_file(path_));
  MERIDIAN_ASSIGN_OR_RETURN(FrameInfo fi, unframe_file(bytes, kAliasMagic, 1, kAliasVersion, path_));
  auto j = parse_json(fi.body);
  if (!j) return Status::corruption(path_ + ": " + j.status().message());
  const Json* obj = j->find("aliases");
  if (!obj || !obj->is_object()) return Status::corruption(path_ + ": missing \"aliases\" object");
  for (const auto& [alias, index] : obj->as_object()) {
    if (!index.is_string()) return Status::corruption(path_ + ": alias '" + alias + "' does not name an index");
    aliases_[alias] = index.as_string();
  }
  return Status::ok();
}

Status AliasStore::save(const std::map<std::string, std::string>& aliases) const {
  if (path_.empty()) return Status::ok();
  Json obj = Json::object();
  for (const auto& [a, i] : aliases) obj.set(a, Json(i));
  Json root = Json::object();
  root.set("aliases", std::move(obj));
  return fs::write_file_atomic(path_, frame_file(kAliasMagic, kAliasVersion, root.dump()));
}

std::optional<std::string> AliasStore::resolve(std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = aliases_.find(name);
  if (it == aliases_.end()) return std::nullopt;
  return it->second;
}

std::map<std::string, std::string> AliasStore::list() const {
  std::lock_guard lock(mu_);
  return {aliases_.begin(), aliases_.end()};
}

Result<AliasMap> AliasStore::applied(AliasMap next, const std::vector<AliasAction>& actions, const AliasNames& names) {
  for (size_t i = 0; i < actions.size(); ++i) {
    const AliasAction& a = actions[i];
    std::string where = "actions[" + std::to_string(i) + "]: ";
    Status st = index::validate_index_name(a.alias);
    if (!st.is_ok()) return Status::invalid(where + "alias: " + st.message());
    if (a.kind == AliasAction::Kind::kAdd) {
      if (names.is_index(a.alias))
        return Status::exists(where + "'" + a.alias + "' is an index; an alias cannot have an index's name");
      if (!names.is_target(a.index)) return Status::not_found(where + "no such index '" + a.index + "'");
      next[a.alias] = a.index;
    } else {
      auto it = next.find(a.alias);
      if (it == next.end()) return Status::not_found(where + "no alias '" + a.alias + "'");
      if (!a.index.empty() && it->second != a.index)
        return Status::invalid(where + "alias '" + a.alias + "' points to '" + it->second + "', not '" + a.index + "'");
      next.erase(it);
    }
  }
  return next;
}

Status AliasStore::apply(const std::vector<AliasAction>& actions, const AliasNames& names) {
  std::lock_guard lock(mu_);
  MERIDIAN_ASSIGN_OR_RETURN(AliasMap next, applied(AliasMap(aliases_.begin(), aliases_.end()), actions, names));
  MERIDIAN_RETURN_IF_ERROR(save(next));
  aliases_ = {next.begin(), next.end()};
  return Status::ok();
}

Status AliasStore::remove_index(const std::string& index) {
  std::lock_guard lock(mu_);
  std::map<std::string, std::string> next;
  for (const auto& [a, i] : aliases_) if (i != index) next.emplace(a, i);
  if (next.size() == aliases_.size()) return Status::ok();
  MERIDIAN_RETURN_IF_ERROR(save(next));
  aliases_ = {next.begin(), next.end()};
  return Status::ok();
}

Result<std::vector<AliasAction>> AliasStore::parse_actions(const Json& body) {
  if (!body.is_object()) return Status::invalid("request body: expected an object {\"actions\": [...]}");
  for (const auto& [k, v] : body.as_object())
    if (k != "actions") return Status::invalid("unknown key '" + k + "' (expected 'actions')");
  const Json* arr = body.find("actions");
  if (!arr || !arr->is_array()) return Status::invalid("actions: expected an array of {\"add\"|\"remove\": {...}}");
  if (arr->size() == 0) return Status::invalid("actions: expected at least one action");
  std::vector<AliasAction> out;
  for (size_t i = 0; i < arr->size(); ++i) {
    const Json& e = arr->as_array()[i];
    std::string path = "actions[" + std::to_string(i) + "]";
    if (!e.is_object() || e.size() != 1)
      return Status::invalid(path + ": expected {\"add\": {\"alias\", \"index\"}} or {\"remove\": {\"alias\"}}");
    const auto& [kind, spec] = e.as_object()[0];
    AliasAction a;
    if (kind == "add") a.kind = AliasAction::Kind::kAdd;
    else if (kind == "remove") a.kind = AliasAction::Kind::kRemove;
    else return Status::invalid(path + ": unknown action '" + kind + "' (expected add or remove)");
    path += "." + kind;
    if (!spec.is_object()) return Status::invalid(path + ": expected an object");
    for (const auto& [k, v] : spec.as_object())
      if (k != "alias" && k != "index") return Status::invalid(path + ": unknown key '" + k + "'");
    MERIDIAN_ASSIGN_OR_RETURN(a.alias, string_member(spec, "alias", path, true));
    MERIDIAN_ASSIGN_OR_RETURN(a.index, string_member(spec, "index", path, a.kind == AliasAction::Kind::kAdd));
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace meridian::server
