#include "conn_stream.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>
#include <string_view>

namespace meridian::server {
namespace {

bool wait_fd(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  for (;;) {
    int n = ::poll(&p, 1, timeout_ms);
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

// Case-insensitive search of a header name at the start of a line.
const char* find_header(std::string_view head, std::string_view name) {
  size_t pos = 0;
  while ((pos = head.find('\n', pos)) != std::string_view::npos) {
    ++pos;
    if (head.size() - pos < name.size()) return nullptr;
    if (strncasecmp(head.data() + pos, name.data(), name.size()) == 0) return head.data() + pos + name.size();
  }
  return nullptr;
}

}  // namespace

void Conn::compact() {
  if (off == 0) return;
  size_t n = buffered();
  if (n) std::memmove(buf.get(), buf.get() + off, n);
  len = n;
  scanned = scanned > off ? scanned - off : 0;
  off = 0;
}

ssize_t Conn::fill(size_t max_total) {
  if (off > 0 && (off == len || off > 4096)) compact();
  ssize_t total = 0;
  for (;;) {
    if (buffered() >= max_total) return total > 0 ? total : -2;
    size_t room = std::min<size_t>(max_total - buffered(), 16384);
    if (cap - len < room) {
      size_t ncap = std::max(cap * 2, len + room);
      std::unique_ptr<char[]> nbuf(new char[ncap]);
      if (len) std::memcpy(nbuf.get(), buf.get(), len);
      buf = std::move(nbuf);
      cap = ncap;
    }
    ssize_t n = ::recv(fd, buf.get() + len, room, MSG_DONTWAIT);
    if (n > 0) len += static_cast<size_t>(n);
    if (n > 0) {
      total += n;
      if (static_cast<size_t>(n) < room) return total;
      continue;
    }
    if (n == 0) return total > 0 ? total : 0;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return total > 0 ? total : -2;
    return total > 0 ? total : -1;
  }
}

bool request_ready(Conn* c, size_t max_body_wait) {
  std::string_view in(c->data(), c->buffered());
  size_t seen = c->scanned > c->off ? c->scanned - c->off : 0;  // c->scanned is an index into buf
  size_t end = in.find("\r\n\r\n", seen > 3 ? seen - 3 : 0);
  if (end == std::string_view::npos) {
    c->scanned = c->len;
    return false;
  }
  c->scanned = c->off + end;
  std::string_view head = in.substr(0, end + 2);
  // A chunked body is the worker's to read; a client sending
  // "Expect: 100-continue" waits for the worker's 100 before its body.
  if (find_header(head, "transfer-encoding:") || find_header(head, "expect:")) return true;
  const char* cl = find_header(head, "content-length:");
  if (!cl) return true;
  while (*cl == ' ' || *cl == '\t') ++cl;
  uint64_t len = 0;
  int digits = 0;
  for (; *cl >= '0' && *cl <= '9' && digits < 19; ++cl, ++digits) len = len * 10 + static_cast<uint64_t>(*cl - '0');
  if (len > max_body_wait) return true;
  return in.size() >= end + 4 + len;
}

bool send_fully(int fd, const char* a, size_t an, const char* b, size_t bn, int timeout_ms) {
  while (an + bn > 0) {
    iovec iov[2];
    int cnt = 0;
    if (an) iov[cnt++] = {const_cast<char*>(a), an};
    if (bn) iov[cnt++] = {const_cast<char*>(b), bn};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<size_t>(cnt);
    ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return false;
      if (!wait_fd(fd, POLLOUT, timeout_ms)) return false;
      continue;
    }
    size_t k = static_cast<size_t>(n);
    size_t from_a = std::min(k, an);
    a += from_a;
    an -= from_a;
    k -= from_a;
    b += k;
    bn -= k;
  }
  return true;
}

bool ConnStream::is_readable() const {
  return c_->buffered() > 0 || wait_fd(c_->fd, POLLIN, read_ms_);
}

bool ConnStream::is_writable() const {
  if (failed_) return false;
  if (!wait_fd(c_->fd, POLLOUT, write_ms_)) return false;
  // Gone? A readable socket with nothing to read has been closed.
  pollfd p{c_->fd, POLLIN, 0};
  if (::poll(&p, 1, 0) > 0) {
    char b;
    ssize_t n = ::recv(c_->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) return false;
  }
  return true;
}

ssize_t ConnStream::read(char* ptr, size_t size) {
  if (c_->buffered() == 0) {
    c_->off = 0;
    c_->len = 0;
    c_->scanned = 0;
    for (;;) {
      ssize_t n = c_->fill(16384);
      if (n > 0) break;
      if (n == 0 || n == -1) return n == 0 ? 0 : -1;
      // Nothing there: what we wrote must leave before we wait for more.
      if (!flush()) return -1;
      if (!wait_fd(c_->fd, POLLIN, read_ms_)) return -1;
    }
  }
  size_t n = std::min(size, c_->buffered());
  std::memcpy(ptr, c_->data(), n);
  c_->off += n;
  return static_cast<ssize_t>(n);
}

ssize_t ConnStream::write(const char* ptr, size_t size) {
  if (failed_) return -1;
  if (!direct_ && c_->out.empty() && size >= 9 && std::memcmp(ptr, "HTTP/1.", 7) == 0) {
    // A response head: without Content-Length the body is a stream.
    std::string_view head(ptr, size);
    if (!find_header(head, "content-length:")) direct_ = true;
  }
  if (direct_) {
    if (!send_all(c_->out.data(), c_->out.size(), ptr, size)) return -1;
    c_->out.clear();
    return static_cast<ssize_t>(size);
  }
  if (c_->out.size() + size <= kFlushBytes) {
    c_->out.append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  if (!send_all(c_->out.data(), c_->out.size(), ptr, size)) return -1;
  c_->out.clear();
  return static_cast<ssize_t>(size);
}

bool ConnStream::flush() {
  if (failed_) return false;
  if (c_->out.empty()) return true;
  bool ok = send_all(c_->out.data(), c_->out.size(), nullptr, 0);
  c_->out.clear();
  return ok;
}

bool ConnStream::send_all(const char* a, size_t an, const char* b, size_t bn) {
  if (!send_fully(c_->fd, a, an, b, bn, write_ms_)) failed_ = true;
  return !failed_;
}

void ConnStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  ip = c_->peer_ip;
  port = c_->peer_port;
}

void ConnStream::get_local_ip_and_port(std::string& ip, int& port) const {
  ip = c_->local_ip;
  port = c_->local_port;
}

}  // namespace meridian::server
