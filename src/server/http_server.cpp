#include "http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "meridian/server/http_error.h"

namespace meridian::server {
namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// A worker that has just answered waits this long for the same client's
// next request before handing the connection to the poller (only while
// other workers are idle): a busy keep-alive client then costs one wake-up
// per request, not two.
constexpr int kLingerMs = 2;
// A refused connection gets this long to read its 503 and close.
constexpr double kDrainSeconds = 1.0;

void addr_of(const sockaddr_storage& ss, std::string* ip, int* port) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
    *port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
    *port = ntohs(a->sin6_port);
  }
  *ip = buf;
}

std::string refusal_response(const std::string& reason) {
  std::string body = error_body(error_type_for_http(503), reason);
  return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
         "Connection: close\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

// What httplib's accept loop hands each accepted socket to. Admitting a
// connection only registers it with the poller, so it runs inline on the
// accept thread; shutdown() stops the poller and joins the workers.
class HttpServer::Tasks final : public httplib::TaskQueue {
 public:
  explicit Tasks(HttpServer* s) : s_(s) { s_->start(); }
  void enqueue(std::function<void()> fn) override { fn(); }
  void shutdown() override { s_->shutdown(); }

 private:
  HttpServer* s_;
};

HttpServer::HttpServer(ConnectionLimits limits) : limits_(limits) {
  new_task_queue = [this] { return new Tasks(this); };
  set_keep_alive_timeout(limits_.keep_alive_timeout_s);
  set_read_timeout(limits_.read_timeout_s, 0);
  set_write_timeout(limits_.write_timeout_s, 0);
}

HttpServer::~HttpServer() {
  shutdown();
  if (epfd_ >= 0) ::close(epfd_);
  if (wakefd_ >= 0) ::close(wakefd_);
}

void HttpServer::widen_backlog(int backlog) {
  socket_t s = svr_sock_;
  if (s != INVALID_SOCKET) ::listen(s, backlog);  // Linux: a second listen() resizes the queue
}

ConnectionStats HttpServer::stats() const {
  ConnectionStats st;
  {
    std::lock_guard lock(mu_);
    st.open = admitted_;
    st.idle = parked_.size();
  }
  st.threads = pool_ ? pool_->threads() : 0;
  st.refused = refused_.load();
  return st;
}

void HttpServer::start() {
  stopping_ = false;
  keep_alive_value_ = "timeout=" + std::to_string(keep_alive_timeout_sec_) + ", max=" + std::to_string(keep_alive_max_count_);
  // Room for max_connections sockets beside the index files.
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rlim_t want = static_cast<rlim_t>(limits_.max_connections) + 4096;
    if (rl.rlim_cur < want && rl.rlim_cur < rl.rlim_max) {
      rl.rlim_cur = std::min(want, rl.rlim_max);
      setrlimit(RLIMIT_NOFILE, &rl);
    }
  }
  pool_ = std::make_unique<WorkerPool>(limits_.threads, limits_.max_threads);
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  wakefd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;
  epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev);
  poller_ = std::thread([this] { poll_loop(); });
}

void HttpServer::shutdown() {
  if (!poller_.joinable()) return;
  stopping_ = true;
  uint64_t one = 1;
  (void)!::write(wakefd_, &one, sizeof one);
  poller_.join();
  pool_->shutdown();  // workers close their connections (stopping())
  std::lock_guard lock(mu_);
  for (auto& [raw, c] : conns_) ::close(c->fd);
  conns_.clear();
  parked_.clear();
  per_client_.clear();
  admitted_ = 0;
}

bool HttpServer::process_and_close_socket(socket_t sock) {
  auto owned = std::make_unique<Conn>();
  Conn* c = owned.get();
  c->fd = sock;
  int flags = fcntl(sock, F_GETFL, 0);
  fcntl(sock, F_SETFL, flags | O_NONBLOCK);
  int one = 1;
  setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getpeername(sock, reinterpret_cast<sockaddr*>(&ss), &len) == 0) addr_of(ss, &c->peer_ip, &c->peer_port);
  len = sizeof ss;
  if (getsockname(sock, reinterpret_cast<sockaddr*>(&ss), &len) == 0) addr_of(ss, &c->local_ip, &c->local_port);
  std::string reason;
  {
    std::lock_guard lock(mu_);
    size_t& mine = per_client_[c->peer_ip];
    if (admitted_ >= limits_.max_connections) {
      reason = "too many open connections (limit " + std::to_string(limits_.max_connections) + "); retry later";
    } else if (mine >= limits_.max_client_connections) {
      reason = "too many connections from " + c->peer_ip + " (limit " +
               std::to_string(limits_.max_client_connections) + " per client); retry later";
    } else {
      ++mine;
      ++admitted_;
    }
    if (mine == 0) per_client_.erase(c->peer_ip);
    conns_.emplace(c, std::move(owned));
  }
  if (!reason.empty()) {
    refused_.fetch_add(1);
    c->refused = true;
    c->refusal = refusal_response(reason);
  }
  park(c);
  return true;
}

void HttpServer::park(Conn* c) {
  if (stopping()) {
    close_conn(c);
    return;
  }
  double now = now_s();
  if (!c->draining) {
    c->idle_deadline = now + (c->refused ? kDrainSeconds : limits_.keep_alive_timeout_s);
    c->head_deadline = c->buffered() > 0 ? now + limits_.read_timeout_s : 0;
  }
  {
    std::lock_guard lock(mu_);
    parked_.insert(c);
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
  ev.data.ptr = c;
  int op = c->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  c->registered = true;
  if (epoll_ctl(epfd_, op, c->fd, &ev) != 0) {
    {
      std::lock_guard lock(mu_);
      parked_.erase(c);
    }
    close_conn(c);
  }
}

void HttpServer::poll_loop() {
  std::vector<epoll_event> evs(256);
  double next_sweep = 0;
  while (!stopping()) {
    int n = epoll_wait(epfd_, evs.data(), static_cast<int>(evs.size()), 100);
    double now = now_s();
    for (int i = 0; i < n; ++i) {
      if (evs[i].data.ptr == nullptr) continue;  // the shutdown wake-up
      on_readable(static_cast<Conn*>(evs[i].data.ptr), now);
    }
    if (now >= next_sweep) {
      sweep(now);
      next_sweep = now + 0.1;
    }
  }
  std::vector<Conn*> left;
  {
    std::lock_guard lock(mu_);
    left.assign(parked_.begin(), parked_.end());
    parked_.clear();
  }
  for (Conn* c : left) close_conn(c);
}

void HttpServer::on_readable(Conn* c, double now) {
  ssize_t r = c->fill(kMaxBufferedHead);
  bool gone = r == 0 || r == -1;
  if (c->draining) {
    c->off = c->len;  // discard
    if (!gone) gone = now > c->idle_deadline;
  }
  bool ready = false;
  if (!gone && !c->draining) {
    if (c->buffered() > 0 && c->head_deadline == 0) c->head_deadline = now + limits_.read_timeout_s;
    ready = request_ready(c, kBodyWaitBytes) || c->buffered() >= kMaxBufferedHead;
  }
  if (!gone && !ready) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
    ev.data.ptr = c;
    if (epoll_ctl(epfd_, EPOLL_CTL_MOD, c->fd, &ev) == 0) return;
    gone = true;
  }
  {
    std::lock_guard lock(mu_);
    parked_.erase(c);
  }
  if (gone) {
    close_conn(c);
  } else if (c->refused) {
    // Small and the socket is fresh: this send does not wait in practice.
    bool sent = send_fully(c->fd, c->refusal.data(), c->refusal.size(), nullptr, 0, 100);
    ::shutdown(c->fd, SHUT_WR);
    if (!sent) {
      close_conn(c);
      return;
    }
    c->draining = true;
    c->idle_deadline = now + kDrainSeconds;
    park(c);
  } else {
    pool_->submit([this, c] { serve(c); });
  }
}

void HttpServer::sweep(double now) {
  std::vector<Conn*> expired;
  {
    std::lock_guard lock(mu_);
    for (Conn* c : parked_) {
      bool idle_over = c->buffered() == 0 && now > c->idle_deadline;
      bool head_over = c->head_deadline > 0 && now > c->head_deadline;
      if (idle_over || head_over || (c->draining && now > c->idle_deadline)) expired.push_back(c);
    }
    for (Conn* c : expired) parked_.erase(c);
  }
  for (Conn* c : expired) close_conn(c);
}

void HttpServer::serve(Conn* c) {
  const int read_ms = static_cast<int>(limits_.read_timeout_s * 1000);
  const int write_ms = static_cast<int>(limits_.write_timeout_s * 1000);
  for (;;) {
    if (stopping()) break;
    ConnStream strm(c, read_ms, write_ms);
    bool closed = false;
    bool ok = true;
    Lean lean = serve_lean_get(c, strm);
    if (lean == Lean::kNotMine) ok = process_request(strm, false, closed, nullptr);
    else closed = lean == Lean::kClose;
    ok = strm.flush() && ok;
    if (!ok || closed) break;
    if (c->buffered() > 0) {
      if (request_ready(c, kBodyWaitBytes)) continue;
      park(c);
      return;
    }
    // The same client's next request: wait a moment for it while other
    // workers are idle; when all are busy, take it only if it is already
    // here and nobody waits for a worker (else it queues like the rest).
    if (pool_->idle() > 0) {
      pollfd p{c->fd, POLLIN, 0};
      if (::poll(&p, 1, kLingerMs) > 0) {
        ssize_t r = c->fill(kMaxBufferedHead);
        if (r == 0 || r == -1) break;
        if (request_ready(c, kBodyWaitBytes)) continue;
      }
    } else if (pool_->queued() == 0) {
      ssize_t r = c->fill(kMaxBufferedHead);
      if (r == 0 || r == -1) break;
      if (request_ready(c, kBodyWaitBytes)) continue;
    }
    park(c);
    return;
  }
  close_conn(c);
}

void HttpServer::close_conn(Conn* c) {
  std::unique_ptr<Conn> owned;
  std::lock_guard lock(mu_);
  auto it = conns_.find(c);
  if (it == conns_.end()) return;
  owned = std::move(it->second);
  conns_.erase(it);
  if (!c->refused) {
    --admitted_;
    auto pc = per_client_.find(c->peer_ip);
    if (pc != per_client_.end() && --pc->second == 0) per_client_.erase(pc);
  }
  ::shutdown(c->fd, SHUT_RDWR);
  ::close(c->fd);
}

}  // namespace meridian::server
