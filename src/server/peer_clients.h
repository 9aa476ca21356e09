// Keep-alive HTTP clients to the other nodes of a cluster, by base URL: the
// search router's shard calls, a GET by id forwarded to a replica's node and
// delete-by-query's selection calls reuse a connection instead of opening
// one per call (docs/CLUSTER.md, "The search router").
//
// Thread-safe. A client serves one call at a time (taken from the idle list,
// given back after a call that got a response); one whose call failed is
// dropped. A call on a reused connection that fails (the peer closed it while
// idle, or restarted) is retried once on a new connection, so only a peer
// that cannot be reached at all fails the call.
#pragma once

#include <httplib.h>

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "meridian/base/json.h"
#include "meridian/base/status.h"

namespace meridian::server {

class PeerClients {
 public:
  PeerClients(int connect_ms, int read_ms, size_t idle_per_peer = 8);

  // POSTs `body` to url + path; the response (any status), or why none came.
  // `read_ms` > 0 replaces the pool's read timeout for this call.
  Result<httplib::Response> post(const std::string& url, const std::string& path, const httplib::Headers& headers,
                                 const std::string& body, const char* content_type, int read_ms = 0);
  // GETs url + path, as post().
  Result<httplib::Response> get(const std::string& url, const std::string& path, const httplib::Headers& headers,
                                int read_ms = 0);
  // Idle connections kept for `url` (tests, metrics).
  size_t idle(const std::string& url) const;
  // Clients created so far, over every URL (each keeps one connection;
  // httplib reopens it when it finds the socket closed before a call).
  size_t opened() const;

 private:
  std::unique_ptr<httplib::Client> take(const std::string& url, bool* reused);
  void give(const std::string& url, std::unique_ptr<httplib::Client> c);
  // Runs `send` on a kept client (or a new one), retried once on a new
  // client when a kept one fails.
  template <typename Send>
  Result<httplib::Response> call(const std::string& url, int read_ms, const Send& send);

  const int connect_ms_, read_ms_;
  const size_t idle_per_peer_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<httplib::Client>>> idle_;  // GUARDED_BY(mu_)
  size_t opened_ = 0;                                                                    // GUARDED_BY(mu_)
};

// The pool every cluster route shares (1 s to connect, 10 s to read unless
// a call says otherwise); never destroyed, since calls may still run at exit.
PeerClients& cluster_peers();

// One call to another node's internal shard route, POST
// /v1/indexes/{index}/shards/{shard}/{route} with a JSON body over
// cluster_peers(): the JSON answer of a 200, or an error naming `node` and
// the peer's reason. A 400 is the request's fault (every replica would
// refuse it): InvalidArgument with the reason when `bad_request_invalid`.
// A 404 (the node holds no replica of the shard) is NotFound.
Result<Json> post_shard_route(const std::string& node, const std::string& url, const std::string& index,
                              uint32_t shard, const std::string& route, const Json& body, const std::string& auth,
                              int read_ms = 0, bool bad_request_invalid = true);

// RFC 3986 percent-encoding of one path segment (an id or index name in a
// peer's URL).
std::string encode_segment(std::string_view s);

}  // namespace meridian::server
