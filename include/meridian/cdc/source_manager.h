// SourceManager: the CDC sources of a data directory. Persists their
// configs in a SourceRegistry (<data>/sources.json), runs one PgSource per
// "postgres" source (started at open, so sources survive restarts), and
// reports their state for GET /v1/indexes/{index}/sources/{name} and
// /metrics. "debezium" sources are configuration only (their mapping).
//
// Ownership: owns the registry and the PgSources; indexes are looked up
// through the function given at open. Thread-safe (one mutex).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "meridian/cdc/pg_source.h"
#include "meridian/cdc/source_config.h"

namespace meridian::cdc {

using IndexLookup = std::function<Result<std::shared_ptr<index::Index>>(const std::string&)>;

struct SourceReport {
  SourceConfig config;
  std::optional<PgSourceStatus> status;  // postgres sources only
};

class SourceManager {
 public:
  static Result<std::unique_ptr<SourceManager>> open(const std::string& data_dir, IndexLookup lookup);
  ~SourceManager();

  // Starts every postgres source whose index exists.
  void start_all();
  // Validates, persists and (re)starts a source.
  Status put(const SourceConfig& c);
  // Stops and forgets a source; with drop_slot also drops its slot.
  Status remove(const std::string& index, const std::string& name, bool drop_slot);
  // Stops and forgets every source of an index (the index was dropped).
  void remove_index(const std::string& index);
  std::optional<SourceConfig> get(const std::string& index, const std::string& name) const;
  std::optional<SourceReport> report(const std::string& index, const std::string& name) const;
  std::vector<SourceReport> reports() const;
  void stop_all();

 private:
  SourceManager(std::unique_ptr<SourceRegistry> reg, IndexLookup lookup)
      : registry_(std::move(reg)), lookup_(std::move(lookup)) {}
  void start_locked(const SourceConfig& c);

  std::unique_ptr<SourceRegistry> registry_;
  IndexLookup lookup_;
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<PgSource>> running_;  // GUARDED_BY(mu_)
};

}  // namespace meridian::cdc
