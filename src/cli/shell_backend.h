// ShellBackend: what `meridian shell` needs from Meridian, behind one small
// interface with two implementations: LocalBackend opens a data directory
// directly (index::Engine, read-write, exclusive), HttpBackend talks to a
// running `meridian serve`. Both answer in the JSON shapes of the HTTP API
// (docs/API.md), so the shell formats one kind of answer.
//
// Ownership: the shell owns its backend. Not thread-safe: one shell thread.
#pragma once

#include <memory>
#include <string>

#include "meridian/base/json.h"
#include "meridian/base/status.h"

namespace meridian::cli::shell {

class ShellBackend {
 public:
  virtual ~ShellBackend() = default;
  // "data directory ./meridian-data" / "server http://127.0.0.1:7700"
  virtual std::string target() const = 0;
  // {"indexes": [{"name", "docs"}]}
  virtual Result<Json> list_indexes() = 0;
  // {"name", "schema", "stats"}; NotFound for an unknown index
  virtual Result<Json> describe(const std::string& index) = 0;
  // A search request body in, a search response out.
  virtual Result<Json> search(const std::string& index, const Json& body) = 0;
  // {"tokens": [{"token", "position", "start", "end"}]}
  virtual Result<Json> analyze(const std::string& text) = 0;
  // Writes NDJSON documents (creating the index with dynamic mapping when it
  // does not exist) and makes them searchable before returning:
  // {"indexed", "failed", "errors": [{"line", "error"}]}.
  virtual Result<Json> bulk(const std::string& index, const std::string& ndjson) = 0;
  // CDC source positions {"name": "position"}; Unsupported when the
  // backend cannot list them.
  virtual Result<Json> sources(const std::string& index) = 0;
  // The cluster state (GET /v1/cluster); {"enabled": false} for a data
  // directory or a single-node server.
  virtual Result<Json> cluster() = 0;
  // Partial update with a JSON merge patch (RFC 7396), visible on return:
  // {"id", "result": "updated"|"created"}; NotFound when the document is
  // missing and !upsert.
  virtual Result<Json> patch(const std::string& index, const std::string& id, const Json& patch, bool upsert) = 0;
  // Deletes what a search body's q/query/filter select, visible on return: {"deleted"}.
  virtual Result<Json> delete_by_query(const std::string& index, const Json& body) = 0;
  // Makes every write searchable.
  virtual Status refresh(const std::string& index) = 0;
  // Schema evolution (PATCH /v1/indexes/{index}): `body` is {"fields": {...}};
  // adds the new fields, {"index", "result": "updated"|"unchanged", "added",
  // "schema"}; AlreadyExists (409) when a field would change.
  virtual Result<Json> add_fields(const std::string& index, const Json& body) = 0;
  // {"aliases": {"alias": "index"}}
  virtual Result<Json> aliases() = 0;
  // Points `alias` at `index` (creating or moving it): {"alias", "index"}.
  virtual Result<Json> set_alias(const std::string& alias, const std::string& index) = 0;
  // {"alias", "result": "deleted"}; NotFound when there is no such alias.
  virtual Result<Json> delete_alias(const std::string& alias) = 0;
  // Index settings (GET /v1/indexes/{index}/settings): {"index", "settings"}.
  virtual Result<Json> settings(const std::string& index) = 0;
  // Changes them with a JSON merge patch (PATCH .../settings); the same answer.
  virtual Result<Json> patch_settings(const std::string& index, const Json& patch) = 0;
};

// Opens the data directory read-write. Busy (with a message suggesting
// --url) when a server or another process holds it.
Result<std::unique_ptr<ShellBackend>> open_local_backend(const std::string& data_dir);
// Checks that the server answers (GET /health) before returning.
Result<std::unique_ptr<ShellBackend>> open_http_backend(const std::string& url, const std::string& key);

}  // namespace meridian::cli::shell
