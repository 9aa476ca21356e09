// NatsClient: Meridian's only door to NATS JetStream (the adapter; libnats
// is included by src/cluster/nats_adapter.cpp alone). It offers exactly what
// cluster mode needs:
//   - streams: create-or-check a file-backed stream with R replicas;
//   - publish with a `Nats-Msg-Id` header, returning only after JetStream's
//     publish ack (the message is on a quorum of servers); a publish retried
//     with the same id inside the stream's duplicate window is acknowledged
//     as a duplicate and stored once;
//   - durable pull consumers (LogConsumer) with ack-all semantics;
//   - key-value buckets (KvBucket) with per-bucket TTL and compare-and-set.
// Every libnats error becomes a Status (IOError for transport and server
// failures, NotFound, AlreadyExists for a failed compare-and-set).
//
// Ownership: LogConsumer and KvBucket keep a pointer into their NatsClient,
// which must outlive them. Thread safety: NatsClient and KvBucket may be used
// from any thread (libnats connections are thread-safe); one LogConsumer is
// used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meridian/base/status.h"

namespace meridian::cluster {

struct NatsOptions {
  std::vector<std::string> servers;  // "nats://127.0.0.1:4222", ...
  std::string name;                  // connection name (the node id)
  int timeout_ms = 2000;             // connect and request timeout
};

// Splits "nats://a:1,nats://b:2" into its URLs; InvalidArgument naming the
// bad entry if one is not a nats:// URL with a host and port.
Result<std::vector<std::string>> parse_server_list(std::string_view list);

struct StreamSpec {
  std::string name;                   // [A-Za-z0-9_-]+
  std::vector<std::string> subjects;
  int replicas = 1;                   // capped by the number of servers
  int64_t max_bytes = -1;             // retention bound; -1 = unlimited
  int64_t duplicate_window_ms = 120000;
};

// One message of NatsClient::publish_batch.
struct PublishItem {
  std::string subject;
  std::string data;
  std::string msg_id;  // Nats-Msg-Id; must be unique within the batch
};

struct PublishAck {
  uint64_t seq = 0;
  bool duplicate = false;  // an earlier publish with this id was kept
};

// One message read from a stream.
struct LogMessage {
  uint64_t seq = 0;           // stream sequence
  uint64_t pending = 0;       // messages after this one not yet delivered
  std::string data;
};

class NatsClient;

// A durable pull consumer on one stream (ack policy: all).
class LogConsumer {
 public:
  ~LogConsumer();
  LogConsumer(const LogConsumer&) = delete;
  LogConsumer& operator=(const LogConsumer&) = delete;
  // Up to `max` messages, waiting at most `timeout_ms` for the first; an
  // empty vector on timeout. Messages already fetched but not acked are
  // redelivered after the ack wait.
  Result<std::vector<LogMessage>> fetch(int max, int timeout_ms);
  // Acknowledges every message of the last fetch (and all before it).
  Status ack_fetched();

 private:
  friend class NatsClient;
  struct Impl;
  explicit LogConsumer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A JetStream key-value bucket.
class KvBucket {
 public:
  struct Entry {
    std::string value;
    uint64_t revision = 0;
  };
  ~KvBucket();
  KvBucket(const KvBucket&) = delete;
  KvBucket& operator=(const KvBucket&) = delete;

  Result<std::optional<Entry>> get(const std::string& key);
  Result<uint64_t> put(const std::string& key, std::string_view value);
  // AlreadyExists if the key holds a value.
  Result<uint64_t> create(const std::string& key, std::string_view value);
  // Compare-and-set: writes only if the key's latest revision is `last`;
  // AlreadyExists ("revision conflict") otherwise.
  Result<uint64_t> update(const std::string& key, std::string_view value, uint64_t last);
  Status remove(const std::string& key);
  // Keys holding a value (deleted and expired keys excluded), sorted, each once.
  Result<std::vector<std::string>> keys();

 private:
  friend class NatsClient;
  struct Impl;
  explicit KvBucket(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class NatsClient {
 public:
  // Connects to the first reachable server (reconnecting to any of them
  // later, forever); IOError if none answers within timeout_ms.
  static Result<std::unique_ptr<NatsClient>> connect(const NatsOptions& opt);
  ~NatsClient();
  NatsClient(const NatsClient&) = delete;
  NatsClient& operator=(const NatsClient&) = delete;

  // Creates the stream, or checks that an existing one has these subjects.
  Status ensure_stream(const StreamSpec& spec);
  Status delete_stream(const std::string& name);
  // The sequence of the stream's last message (0 when empty).
  Result<uint64_t> last_sequence(const std::string& stream);
  // The sequence of the stream's first message still held (retention drops
  // the oldest); last_sequence() + 1 when every message was dropped, 0 when
  // none was ever stored.
  Result<uint64_t> first_sequence(const std::string& stream);
  // Publishes and waits for the publish ack (at most timeout_ms).
  Result<PublishAck> publish(const std::string& subject, std::string_view data, const std::string& msg_id,
                             int timeout_ms = 5000);
  // Publishes every item without waiting for each ack (at most `window`
  // unacknowledged at a time, in item order on the wire, so items of one
  // subject get increasing sequences), then waits for all the acks (at most
  // timeout_ms after the last publish). One result per item, in item order:
  // its ack, or IOError (negative ack, timeout, connection lost) for that
  // item alone. An item without a result may still be stored: retry it with
  // the same msg_id, never a new one.
  std::vector<Result<PublishAck>> publish_batch(const std::vector<PublishItem>& items, int timeout_ms = 5000,
                                                int window = 256);
  // Binds to the durable consumer `durable` of `stream` (reading
  // `subject`), creating it to start at `start_seq` (>= 1) if it does not
  // exist. An existing consumer keeps its own position: callers skip what
  // they already applied.
  Result<std::unique_ptr<LogConsumer>> consumer(const std::string& stream, const std::string& subject,
                                                const std::string& durable, uint64_t start_seq);
  Status delete_consumer(const std::string& stream, const std::string& durable);
  // Creates the bucket (or binds to it if it exists). ttl_ms > 0 expires
  // entries not written for that long (heartbeats); history >= 1.
  Result<std::unique_ptr<KvBucket>> bucket(const std::string& name, int replicas, int64_t ttl_ms = 0,
                                           int history = 1);
  bool connected() const;

 private:
  struct Impl;
  explicit NatsClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace meridian::cluster
