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
//   changes.<escaped index>.<key>    the highest position POST .../changes
//                                    stored for a Debezium source key
//                                    ("debezium:NAME"; escaped by
//                                    change_position_key), only ever raised
//                                    (compare-and-set on the revision read)
// so PUT, GET and DELETE through any node see the same source, the node
// that runs it next resumes from the stored position, and every node skips
// the Debezium events at or before a source's stored position.
//
// Thread safety: all methods may be called from any thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meridian/base/json.h"
#include "meridian/base/status.h"
#include "meridian/cdc/position.h"
#include "meridian/cdc/source_config.h"
#include "meridian/cluster/nats_client.h"

namespace meridian::cluster {

// The key of a change position: "changes.<escaped index>.<source>" with
// every byte of the source key outside [A-Za-z0-9-] written "_<hex>" (NATS
// keys allow few characters; one to one, since '_' is escaped too).
std::string change_position_key(const std::string& index, std::string_view source);

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

  // The stored POST .../changes position of Debezium source key `source`
  // (RowChange::source, e.g. "debezium:orders"); empty when none.
  Result<cdc::SourcePosition> change_position(const std::string& index, const std::string& source);
  // Raises that position to `p`: compare-and-set on the revision read
  // (create when absent), re-reading on a conflict, so two nodes storing
  // positions of one source never move it backwards. Returns the position
  // stored afterwards: `p`, or a higher one already there.
  Result<cdc::SourcePosition> advance_change_position(const std::string& index, const std::string& source,
                                                      const cdc::SourcePosition& p);
  // Forgets the change positions of every source of `index` (it is dropped).
  Status remove_change_positions(const std::string& index);

  Status put_status(const std::string& index, const std::string& name, const Json& status);
  Result<std::optional<Json>> status(const std::string& index, const std::string& name);

 private:
  std::unique_ptr<KvBucket> kv_;
};

}  // namespace meridian::cluster
