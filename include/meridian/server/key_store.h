// KeyStore: the API keys of `meridian serve` and the authorization check.
//
// A master key (configured at startup, never stored) enables auth and may do
// everything. API keys are created through POST /v1/keys and have scopes
// ("admin" = everything, "write" = documents and index writes, "search" =
// search, get, watch) and index patterns ("cities*", "*", "logs-2024").
// Only the SHA-256 of a key is kept, in memory and in <data>/keys.json (a
// framed file, written atomically); lookups hash the presented token and
// compare hashes in constant time.
//
// Thread safety: all methods may be called concurrently (one mutex).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meridian/base/json.h"
#include "meridian/base/status.h"

namespace meridian::server {

enum class Scope : uint8_t { kSearch, kWrite, kAdmin };
std::string_view scope_name(Scope s);
Result<Scope> parse_scope(std::string_view s);

// "*" anything; "abc*" prefix; otherwise exact.
bool index_pattern_matches(std::string_view pattern, std::string_view index);

struct ApiKey {
  std::string id;    // public id (12 hex chars), used in DELETE /v1/keys/{id}
  std::string name;  // free text
  std::string hash;  // sha256 hex of the secret
  std::vector<Scope> scopes;
  std::vector<std::string> indexes;  // patterns
  int64_t created_ms = 0;

  // Whether this key may act with `scope` on `index` ("" = no index: only
  // admin keys may do index-less admin actions).
  bool allows(Scope scope, std::string_view index) const;
  // Why allows() is false, for the 403: the scope is missing ("this key lacks
  // the 'write' scope (it has: search)") or the index patterns do not cover
  // `index` ("this key's index patterns ["logs-*"] do not cover index
  // 'cities'"). "" when allowed.
  std::string denial(Scope scope, std::string_view index) const;
  Json to_json() const;  // without the hash
};

// Who made a request: the master key, an API key, or nobody (auth disabled).
struct Principal {
  bool master = false;
  std::optional<ApiKey> key;
  bool allows(Scope scope, std::string_view index) const {
    return master || (key && key->allows(scope, index));
  }
  std::string denial(Scope scope, std::string_view index) const {
    if (allows(scope, index)) return "";
    return key ? key->denial(scope, index) : "no API key";
  }
  std::string id() const { return master ? "master" : key ? key->id : "-"; }
};

class KeyStore {
 public:
  // `path` empty: in memory only. An empty master key disables auth.
  static Result<std::unique_ptr<KeyStore>> open(std::string path, std::string master_key);

  bool enabled() const { return !master_hash_.empty(); }
  // From "Authorization: Bearer <token>" (the header value). NotFound-style:
  // nullopt when missing or unknown.
  std::optional<Principal> authenticate(std::string_view authorization_header) const;

  // Creates a key from {"name", "scopes": [...], "indexes": [...]}; returns the
  // key's JSON plus "key": the secret, shown only this once.
  Result<Json> create(const Json& body);
  std::vector<ApiKey> list() const;
  Result<ApiKey> get(std::string_view id) const;
  Status remove(std::string_view id);

 private:
  KeyStore(std::string path, std::string master_hash) : path_(std::move(path)), master_hash_(std::move(master_hash)) {}
  Status load();
  Status save_locked() const;

  const std::string path_;
  const std::string master_hash_;
  mutable std::mutex mu_;
  std::vector<ApiKey> keys_;  // GUARDED_BY(mu_)
};

}  // namespace meridian::server
