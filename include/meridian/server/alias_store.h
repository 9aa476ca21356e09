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

class AliasStore {
 public:
  // `path` empty: in memory only.
  static Result<std::unique_ptr<AliasStore>> open(std::string path);

  // The index an alias points to, or nullopt when `name` is no alias.
  std::optional<std::string> resolve(std::string_view name) const;
  // alias -> index, sorted by alias.
  std::map<std::string, std::string> list() const;

  // Applies every action or none (validated first; persisted before it takes
  // effect). `index_exists` says whether a target names a real index; an
  // alias may not have the name of an index. Adding an existing alias moves it.
  Status apply(const std::vector<AliasAction>& actions, const std::function<bool(const std::string&)>& index_exists);
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
