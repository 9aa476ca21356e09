// Server: the HTTP JSON API of `meridian serve` (docs/API.md is the
// contract) on top of an index::Engine, using cpp-httplib.
//
// Request pipeline, in order: request id (X-Request-Id) → route
// classification → auth (KeyStore: 401/403) → rate limit (429) → body read
// (max_body: 413) → handler → error mapping (http_error.h) → metrics and one
// JSON access-log line on stderr.
//
// Ownership: the Server owns the Engine, the KeyStore and the worker pool.
// Threads: run() blocks the calling thread and serves on `threads` workers;
// stop() may be called from any thread (e.g. a signal handler thread): it
// stops accepting, lets in-flight requests finish, closes live-query
// streams, and makes run() return. close() then commits every index.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "meridian/base/status.h"
#include "meridian/index/engine.h"
#include "meridian/server/key_store.h"
#include "meridian/server/serve_options.h"

namespace meridian::server {

class ServerImpl;

class Server {
 public:
  // Opens the engine in opt.data_dir and the key store in <data>/keys.json.
  static Result<std::unique_ptr<Server>> open(const ServeOptions& opt);
  ~Server();

  // Binds opt.host:opt.port (port 0 = any free port); returns the port.
  Result<int> bind();
  // Serves until stop(); returns an error if the listener failed.
  Status run();
  void stop();
  // Commits and closes every index (after run() returned).
  Status close();

 private:
  explicit Server(std::unique_ptr<ServerImpl> impl);
  std::unique_ptr<ServerImpl> impl_;
};

}  // namespace meridian::server
