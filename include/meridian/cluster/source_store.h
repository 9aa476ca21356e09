// SourceStore: the CDC sources of clustered indexes, cluster-wide, in the
// JetStream key-value bucket "meridian_sources" (no TTL, history 1):
//   config.<escaped index>.<name>    the SourceConfig (SourceConfig::to_json,
//                                    the DSN unredacted: NATS holds it)
//   position.<escaped index>.<name>  the source's position ("lsn,n"), written
//                                    only after JetStream acknowledged every
//                                    change up to it (ClusterChangeSink::flush)
//   status.<escaped index>.<name>    the state last reported by the node
//                                    running the source (PgSourceStatus JSON
//                                    plus "node" and "reported_ms")
// so PUT, GET and DELETE through any node see the same source, and the node
// that runs it next resumes from the stored position.
//
// Thread safety: all methods may be called from any thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "meridian/base/json.h"
#include "meridian/base/status.h"
#include "meridian/cdc/position.h"
#include "meridian/cdc/source_config.h"
#include "meridian/cluster/nats_client.h"

namespace meridian::cluster {

class SourceStore {
 public:
  inline static const std::string kBucket = "meridian_sources";
  explicit SourceStore(std::unique_ptr<KvBucket> kv) : kv_(std::move(kv)) {}

  Status put_config(const cdc::SourceConfig& c);
  Result<std::optional<cdc::SourceConfig>> config(const std::string& index, const std::string& name);
  // Every stored config (of every index), sorted by index then name.
  Result<std::vector<cdc::SourceConfig>> configs();
  // Forgets the source: config, position and status.
  Status remove(const std::string& index, const std::string& name);

  // Empty when none is stored.
  Result<cdc::SourcePosition> position(const std::string& index, const std::string& name);
  Status put_position(const std::string& index, const std::string& name, const cdc::SourcePosition& p);

  Status put_status(const std::string& index, const std::string& name, const Json& status);
  Result<std::optional<Json>> status(const std::string& index, const std::string& name);

 private:
  std::unique_ptr<KvBucket> kv_;
};

}  // namespace meridian::cluster
