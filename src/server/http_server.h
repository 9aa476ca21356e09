// Internal: HttpServer, cpp-httplib's Server with Meridian's connection
// handling. Routing, request parsing and response writing stay httplib's
// (Server::process_request); what changes is what happens around them:
//
// - Idle connections hold no thread. A connection waiting for its next
//   request, or a client still sending one (a slow sender, one byte per
//   second), sits in one epoll poller; it gets a worker only once a whole
//   request head (and a body of at most kBodyWaitBytes announced by
//   Content-Length) has arrived. httplib's own loop gives every connection a
//   worker for its whole life, so a few dozen idle clients starved the rest.
// - Workers come from an elastic pool (WorkerPool): `threads` kept, more
//   started when none is idle, up to `max_threads` (live-query streams hold
//   theirs while they run).
// - Timeouts: an idle keep-alive connection is closed after
//   keep_alive_timeout_s; a request head must arrive within read_timeout_s
//   of its first byte.
// - Limits: beyond max_connections open connections, or
//   max_client_connections from one client address, a new connection is
//   answered `503` with `Retry-After: 1` and a JSON error, then closed.
// - One write per response: requests are served through ConnStream, which
//   sends status line, headers and body in one send() (conn_stream.h).
// - A lean path for plain GET requests (lean_get.cpp): a GET/HTTP/1.1 head
//   without body, Range, Expect or Accept-Encoding is parsed straight from
//   the connection's buffer, routed by the literal ends of each pattern
//   before its regex (a placeholder middle such as "([^/]+)" without the
//   regex engine: path_captures.h), and answered straight into the output
//   buffer, through the same pre-routing, route, error, exception and
//   logger handlers (kept by the setters below, which also install them in
//   httplib).
//   httplib serves everything else. Differences: such requests carry no
//   REMOTE_ADDR/LOCAL_* pseudo-headers (req.remote_addr etc. are set), an
//   exact pattern leaves req.matches empty and req.matches[0] spans only
//   the part of the path between the pattern's literal ends (captures 1..n
//   are the same), and default headers and the post-routing handler are
//   not applied (Meridian uses neither).
//
// It relies on two documented httplib 0.11 behaviours: the accept loop hands
// each accepted socket to the TaskQueue as a call of the virtual
// process_and_close_socket(sock), and the protected process_request(strm,..)
// serves one request on any Stream.
//
// Thread safety: configure before listen; stats() from any thread.
#pragma once

#include <httplib.h>

#include <atomic>
#include <memory>
#include <regex>
#include <vector>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "conn_stream.h"
#include "path_captures.h"
#include "worker_pool.h"

namespace meridian::server {

struct ConnectionLimits {
  size_t threads = 16;
  size_t max_threads = 1024;
  size_t max_connections = 10000;
  size_t max_client_connections = 2048;
  int keep_alive_timeout_s = 5;
  int read_timeout_s = 30;
  int write_timeout_s = 30;
};

struct ConnectionStats {
  size_t open = 0;   // admitted connections
  size_t idle = 0;   // of them, waiting in the poller
  size_t threads = 0;
  uint64_t refused = 0;  // connections answered 503 (limits) since start
};

class HttpServer final : public httplib::Server {
 public:
  static constexpr size_t kBodyWaitBytes = 64 * 1024;
  static constexpr size_t kMaxBufferedHead = 16 * 1024 + kBodyWaitBytes;

  explicit HttpServer(ConnectionLimits limits);
  ~HttpServer() override;

  // After bind_to_port / bind_to_any_port: a listen backlog fit for
  // thousands of clients (httplib listens with a backlog of 5).
  void widen_backlog(int backlog);

  // httplib's setters, also kept for the lean GET path.
  HttpServer& Get(const std::string& pattern, Handler handler);
  HttpServer& set_pre_routing_handler(HandlerWithResponse handler);
  HttpServer& set_error_handler(Handler handler);
  HttpServer& set_exception_handler(ExceptionHandler handler);
  HttpServer& set_logger(httplib::Logger logger);
  using httplib::Server::Delete;
  using httplib::Server::Patch;
  using httplib::Server::Post;
  using httplib::Server::Put;
  ConnectionStats stats() const;
  const ConnectionLimits& limits() const { return limits_; }

 private:
  class Tasks;
  struct GetRoute {
    GetRoute(const std::string& pattern, Handler h);
    bool exact = false;  // no regex syntax: the path equals prefix
    std::string prefix;  // a matching path starts with this ...
    std::string suffix;  // ... and ends with this
    std::regex re;
    bool has_middle = false;  // the regex syntax lies between prefix and suffix:
    std::regex middle;        // matched alone (req.matches[0] then covers only it)
    std::optional<PathCaptures> captures;  // the middle matched without the regex engine, when it can be
    Handler handler;
  };
  enum class Lean { kNotMine, kServed, kClose };
  Lean serve_lean_get(Conn* c, ConnStream& strm);
  bool write_lean_response(Conn* c, ConnStream& strm, const httplib::Request& req, httplib::Response& res, bool close);
  bool process_and_close_socket(socket_t sock) override;
  void start();
  void shutdown();
  void serve(Conn* c);
  void park(Conn* c);
  void poll_loop();
  void on_readable(Conn* c, double now);
  void sweep(double now);
  void close_conn(Conn* c);
  bool stopping() const { return stopping_.load(std::memory_order_relaxed) || svr_sock_ == INVALID_SOCKET; }

  const ConnectionLimits limits_;
  std::vector<GetRoute> get_routes_;
  HandlerWithResponse pre_routing_;
  Handler error_;
  ExceptionHandler exception_;
  httplib::Logger logger_;
  std::string keep_alive_value_;  // "timeout=5, max=N", as httplib writes it
  std::unique_ptr<WorkerPool> pool_;
  int epfd_ = -1;
  int wakefd_ = -1;
  std::thread poller_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> refused_{0};

  mutable std::mutex mu_;
  std::unordered_map<Conn*, std::unique_ptr<Conn>> conns_;  // GUARDED_BY(mu_), every open one
  std::unordered_map<std::string, size_t> per_client_;       // GUARDED_BY(mu_), admitted per address
  std::unordered_set<Conn*> parked_;                         // GUARDED_BY(mu_), owned by the poller
  size_t admitted_ = 0;                                      // GUARDED_BY(mu_)
};

}  // namespace meridian::server
