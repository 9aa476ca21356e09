// SourceConfig and SourceRegistry: the CDC sources defined on indexes
// (PUT /v1/indexes/{index}/sources/{name}) and their persistence in
// <data>/sources.json, a framed file (magic "MSRC", version 1, CRC32C; see
// docs/FORMAT.md "CDC sources") holding a JSON array of source configs,
// replaced atomically (write to a temp file, fsync, rename) on every change.
//
// Source types:
//   "postgres"  streamed by a PgSource (dsn, table, publication, slot)
//   "debezium"  a mapping used by POST /v1/indexes/{index}/changes?source=NAME
//
// SourceRegistry is thread-safe (one mutex); configs are returned by value.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "meridian/base/json.h"
#include "meridian/base/status.h"
#include "meridian/cdc/mapping.h"

namespace meridian::cdc {

struct SourceConfig {
  std::string index;
  std::string name;
  std::string type;         // "postgres" | "debezium"
  std::string dsn;          // postgres: libpq connection string
  std::string table;        // "schema.table" (postgres; debezium: informative)
  std::string publication;  // default "meridian_<index>_<name>"
  std::string slot;         // default the same, '-'/'.' as '_'
  ColumnMapping mapping;    // id_column lives here

  // Parses a PUT body; fills the defaults. InvalidArgument names the key.
  static Result<SourceConfig> from_json(const std::string& index, const std::string& name, const Json& j);
  // `redact`: hide the DSN's password (for GET responses).
  Json to_json(bool redact = false) const;
  // The position key the applier uses for this source.
  std::string position_key() const;
};

// Valid names: 1..63 of [a-z0-9_] (they become parts of slot names).
Status validate_source_name(std::string_view name);
// "host=h password=secret" → "host=h password=***"; URIs likewise.
std::string redact_dsn(const std::string& dsn);

class SourceRegistry {
 public:
  // Loads `path` if it exists (Corruption names the file if damaged).
  static Result<std::unique_ptr<SourceRegistry>> open(const std::string& path);

  Status put(const SourceConfig& c);
  // NotFound if absent.
  Status remove(const std::string& index, const std::string& name);
  std::optional<SourceConfig> get(const std::string& index, const std::string& name) const;
  std::vector<SourceConfig> list() const;
  const std::string& path() const { return path_; }

 private:
  explicit SourceRegistry(std::string path) : path_(std::move(path)) {}
  Status save_locked() const;

  const std::string path_;
  mutable std::mutex mu_;
  std::vector<SourceConfig> sources_;  // GUARDED_BY(mu_)
};

}  // namespace meridian::cdc
