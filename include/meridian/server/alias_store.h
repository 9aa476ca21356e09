// AliasStore: index aliases of `meridian serve` (PUT/DELETE /v1/aliases/{alias},
// POST /v1/aliases). An alias is a second name for exactly one index: every
// route that names an index (search, get, writes, watch, ...) accepts an alias
// in its place and acts on the index it points to. Switching aliases in one
// POST /v1/aliases is atomic: readers see all of a request's actions or none,
// which is what a zero-downtime reindex needs (docs/API.md "Aliases").
//
// Persisted whole in <data>/aliases.json (framed, magic "MALI", written to a
// temporary file, fsynced and renamed on every change; docs/FORMAT.md).
//
// On a node of a cluster the aliases of clustered indexes live cluster-wide
// instead (cluster::AliasDirectory); the rules below say which store a name
// and a request belong to (docs/CLUSTER.md "Aliases of clustered indexes").
//
// Thread safety: every method may be called concurrently (one mutex).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "meridian/base/json.h"
#include "meridian/base/status.h"

namespace meridian::server {

struct AliasAction {
  enum class Kind : uint8_t { kAdd, kRemove };
  Kind kind = Kind::kAdd;
  std::string alias;
  std::string index;  // kAdd: the target; kRemove: if set, must be the current target
};

// alias -> index, sorted by alias.
using AliasMap = std::map<std::string, std::string>;
// Which names an action may use: an alias may not take the name of an index
// (`is_index`), and points to an index this store holds aliases of
// (`is_target`). On a single node both are "an index of this node".
struct AliasNames {
  std::function<bool(const std::string&)> is_index;
  std::function<bool(const std::string&)> is_target;
};

// What a name is on a node of a cluster, which has two alias stores: its own
// (AliasStore, aliases of its single-node indexes) and the cluster's (aliases
// of clustered indexes). An index name (of either kind) is never an alias, and
// the node's own alias wins over a cluster alias of the same name on that node
// (another node cannot see it when the cluster alias is created).
enum class NameKind : uint8_t { kIndex, kNodeAlias, kClusterAlias, kUnknown };
NameKind classify_name(bool is_index, bool node_alias, bool cluster_alias);
// The aliases a node answers with: its own, and the cluster's that neither an
// index of the node nor one of its own aliases hides.
AliasMap effective_aliases(const AliasMap& node, const AliasMap& cluster,
                           const std::function<bool(const std::string&)>& is_index);
// The store one request's actions go to (kNodeAlias or kClusterAlias): an add
// goes where its target is (a clustered index: the cluster's), a remove where
// its alias is on this node (classify_name). Both stores cannot change
// atomically together, so a request that needs both is InvalidArgument; an
// add that would give an alias of one store the name of an alias of the
// other is AlreadyExists (remove that one first), except a move of the
// node's own alias (which already hides the cluster's).
Result<NameKind> alias_store_for(const std::vector<AliasAction>& actions,
                                 const std::function<bool(const std::string&)>& clustered_index,
                                 const AliasMap& node, const AliasMap& cluster);

class AliasStore {
 public:
  // `path` empty: in memory only.
  static Result<std::unique_ptr<AliasStore>> open(std::string path);

  // The index an alias points to, or nullopt when `name` is no alias.
  std::optional<std::string> resolve(std::string_view name) const;
  // alias -> index, sorted by alias.
  std::map<std::string, std::string> list() const;

  // Applies every action or none (validated first by applied(); persisted
  // before it takes effect).
  Status apply(const std::vector<AliasAction>& actions, const AliasNames& names);
  // The same on a single node: `index_exists` is both is_index and is_target.
  Status apply(const std::vector<AliasAction>& actions, const std::function<bool(const std::string&)>& index_exists) {
    return apply(actions, AliasNames{index_exists, index_exists});
  }
  // `aliases` after `actions`, in order, or the first action's error: an
  // alias must be a valid name and not an index's; an add needs an existing
  // target (names.is_target) and moves an existing alias; a remove needs the
  // alias (and, when it names an index, that one as its target).
  static Result<AliasMap> applied(AliasMap aliases, const std::vector<AliasAction>& actions, const AliasNames& names);
  // Removes every alias pointing to `index` (when the index is dropped).
  Status remove_index(const std::string& index);

  // {"actions": [{"add": {"alias", "index"}}, {"remove": {"alias", "index"?}}]}
  static Result<std::vector<AliasAction>> parse_actions(const Json& body);

 private:
  explicit AliasStore(std::string path) : path_(std::move(path)) {}
  Status load();
  Status save(const std::map<std::string, std::string>& aliases) const;

  const std::string path_;
  mutable std::mutex mu_;
  std::map<std::string, std::string, std::less<>> aliases_;  // GUARDED_BY(mu_)
};

}  // namespace meridian::server
