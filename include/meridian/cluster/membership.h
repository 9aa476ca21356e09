// Membership: which Meridian nodes are alive, kept in the JetStream
// key-value bucket "meridian_nodes". Each node writes its record
// ("node.<id>" -> {"id","url","started_ms"}) every heartbeat; the bucket's
// TTL expires a record that has not been rewritten for ttl_ms, so a node
// that dies (SIGKILL, partition) drops out of live_nodes() within the TTL
// without anyone having to notice. A clean stop deletes the record at once.
//
// Thread safety: all methods may be called from any thread; the heartbeat
// runs in a thread of its own between start() and stop().
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "meridian/base/status.h"
#include "meridian/cluster/nats_client.h"

namespace meridian::cluster {

// Node ids: 1 to 64 of [A-Za-z0-9_-]. InvalidArgument otherwise.
Status validate_node_id(std::string_view id);

struct NodeInfo {
  std::string id;
  std::string url;  // the node's HTTP base URL, for routing
  int64_t started_ms = 0;
};

class Membership {
 public:
  inline static const std::string kBucket = "meridian_nodes";
  struct Options {
    std::string node_id;
    std::string url;
    int heartbeat_ms = 1000;
    int ttl_ms = 3000;  // must exceed heartbeat_ms
    int replicas = 3;   // bucket replicas (capped by the servers present)
    // How long start() keeps retrying the first record write. The bucket's
    // stream may exist before it can take writes: nodes started together on
    // a fresh NATS cluster see it while its replicas still elect a leader
    // ("no responders"), and a broker restart makes the write wait too.
    int start_retry_ms = 10000;
  };
  // Opens (creating) the bucket; does not start heartbeats.
  static Result<std::unique_ptr<Membership>> open(NatsClient& client, Options opt);
  ~Membership();  // stop()

  // Writes the record once (synchronously, retried every 200 ms for up to
  // start_retry_ms; the last error after that) and starts the heartbeat thread.
  Status start();
  // Stops heartbeats and, when `deregister`, deletes the record (best
  // effort). stop(false) leaves the record to expire as a crash would.
  void stop(bool deregister = true);
  // Live nodes, sorted by id.
  Result<std::vector<NodeInfo>> live_nodes();
  uint64_t heartbeat_failures() const { return failures_.load(); }
  // When the last heartbeat failed (steady clock, milliseconds since its
  // epoch), 0 if none has. ClusterNode reads it to tell a NATS outage (every
  // record may have expired meanwhile) from a node that died.
  int64_t last_failure_ms() const { return last_failure_ms_.load(); }

 private:
  Membership(std::unique_ptr<KvBucket> kv, Options opt) : kv_(std::move(kv)), opt_(std::move(opt)) {}
  Status beat();

  std::unique_ptr<KvBucket> kv_;
  const Options opt_;
  int64_t started_ms_ = 0;
  std::atomic<uint64_t> failures_{0};
  std::atomic<int64_t> last_failure_ms_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace meridian::cluster
