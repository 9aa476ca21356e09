// ClusterSources: the CDC sources of clustered indexes on one node
// (docs/CLUSTER.md "The PostgreSQL source on a clustered index"). Configs
// live cluster-wide in a SourceStore, so every node answers PUT, GET and
// DELETE of a source alike. Each "postgres" source is run by exactly one
// live node, its owner: source_owner(index, source, live nodes), rendezvous
// hashing over membership. A loop (every sync_ms of the node) reads the
// configs and the live nodes, starts a PgSource with a ClusterChangeSink for
// every source this node owns, stops the ones it no longer owns (or whose
// config changed or was removed), and writes the state of the ones it runs
// to the store for the other nodes' GET. While the node is not settled
// (ClusterNode::settled: NATS failing over, membership records may have
// expired) it starts and stops nothing.
//
// Two owners for a moment (membership views differ for up to a TTL) cannot
// both stream: PostgreSQL allows one active connection per replication slot,
// so the second fails and retries with the source's backoff.
//
// Ownership: borrows the ClusterNode (which must outlive it); owns the store,
// the loop thread and the running sources. Thread safety: every public
// method may be called from any thread.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "meridian/cdc/pg_source.h"
#include "meridian/cdc/source_config.h"
#include "meridian/cluster/cluster_node.h"
#include "meridian/cluster/source_store.h"

namespace meridian::cluster {

struct ClusterSourceReport {
  cdc::SourceConfig config;
  std::string owner;                       // the live node that runs it ("" when none is live)
  cdc::SourcePosition position;            // as stored (what a new owner resumes from; for a
                                           // debezium source, POST .../changes?source=NAME's)
  std::optional<cdc::PgSourceStatus> live;  // when this node runs it
  std::optional<Json> reported;            // else the state its runner last stored, if any
};

class ClusterSources {
 public:
  // Opens the store and starts the loop.
  static Result<std::unique_ptr<ClusterSources>> start(ClusterNode& node);
  ~ClusterSources();
  ClusterSources(const ClusterSources&) = delete;
  ClusterSources& operator=(const ClusterSources&) = delete;
  // Stops the loop and every source this node runs (positions flushed).
  void stop();

  // Checks the mapping against the index's fixed schema, stores the config
  // and reconciles at once (this node starts it if it is the owner).
  Status put(const ShardMap& m, const cdc::SourceConfig& c);
  // Forgets the source (config, position, state); with drop_slot also drops
  // its slot, waiting (up to 15 s) for its runner on another node to stop.
  Status remove(const std::string& index, const std::string& name, bool drop_slot);
  // Forgets every source of an index and the positions POST .../changes
  // stored for it (the index is dropped).
  Status remove_index(const std::string& index);
  Result<std::optional<cdc::SourceConfig>> get(const std::string& index, const std::string& name);
  Result<std::optional<ClusterSourceReport>> report(const std::string& index, const std::string& name);
  Result<std::vector<ClusterSourceReport>> reports(const std::string& index);
  // The sources this node runs, with their state (for /metrics).
  std::vector<std::pair<cdc::SourceConfig, cdc::PgSourceStatus>> running() const;

  // The store (for the Debezium positions of POST .../changes).
  SourceStore& store() { return *store_; }

  // One pass of the loop (tests call it too).
  Status reconcile();

 private:
  ClusterSources(ClusterNode& node, std::unique_ptr<SourceStore> store) : node_(node), store_(std::move(store)) {}
  Result<ClusterSourceReport> report_of(const cdc::SourceConfig& c, const std::vector<std::string>& live);
  void loop();

  ClusterNode& node_;
  std::unique_ptr<SourceStore> store_;
  std::mutex reconcile_mu_;  // one reconcile() at a time
  mutable std::mutex mu_;
  // (index, name) -> the running source and the config it runs (to_json dump)
  struct Running {
    std::unique_ptr<cdc::PgSource> source;
    std::string config;
  };
  std::map<std::pair<std::string, std::string>, Running> running_;  // GUARDED_BY(mu_)
  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool stop_ = false;  // GUARDED_BY(loop_mu_)
  std::thread thread_;
};

}  // namespace meridian::cluster
