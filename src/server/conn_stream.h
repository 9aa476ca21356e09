// Internal: one client connection (Conn) and the httplib::Stream a request
// is served through (ConnStream).
//
// Conn owns the socket (non-blocking) and the bytes read from it that no
// request has consumed yet, so pipelined requests and bytes read by the idle
// poller survive from one request to the next. It belongs to one thread at a
// time: the poller while the connection is idle, a worker while a request
// runs (HttpServer hands it over).
//
// ConnStream is what cpp-httplib's request parser reads from and its
// response writer writes to. Reads come from Conn's buffer first. Writes are
// collected and leave in one send() when the request is done (flush()), so a
// response's status line, headers and body are one TCP segment instead of
// two (httplib writes the header block and the body separately); a response
// whose header block has no Content-Length (a chunked live-query stream, a
// 100 Continue) switches the stream to write-through, so streams are not
// held back. Pending output is also flushed before any read that would
// block and once it passes kFlushBytes.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <string>
#include <memory>

namespace meridian::server {

struct Conn {
  int fd = -1;
  std::string peer_ip;
  int peer_port = 0;
  std::string local_ip;
  int local_port = 0;
  bool refused = false;   // over a connection limit: answer 503 and close
  std::string refusal;    // the whole 503 response, when refused
  bool draining = false;  // refusal sent; reading until the client closes
  bool registered = false;  // added to the poller's epoll set
  // Input: buf[0, len) was read, buf[off, len) is not consumed yet.
  std::unique_ptr<char[]> buf;
  size_t cap = 0;
  size_t len = 0;
  size_t off = 0;
  // Poller bookkeeping (monotonic seconds; 0 = none).
  double idle_deadline = 0;
  double head_deadline = 0;
  size_t scanned = 0;  // bytes of buf already searched for the head's end
  std::string out;     // pending output, reused across requests

  size_t buffered() const { return len - off; }
  const char* data() const { return buf.get() + off; }
  // Drops consumed bytes when that frees room.
  void compact();
  // recv() what the socket has (non-blocking) into buf, at most max_total
  // buffered. Returns bytes read, 0 at end of stream, -1 on error, and -2
  // when nothing is there (EAGAIN) or the buffer is full.
  ssize_t fill(size_t max_total);
};

// Is a whole request (head, and a body of at most max_body_wait bytes
// announced by Content-Length) in the buffer? A head with a larger or
// chunked body, or with Expect (100-continue), counts as whole once the head
// is there: the worker reads the rest. Updates c->scanned.
bool request_ready(Conn* c, size_t max_body_wait);

class ConnStream final : public httplib::Stream {
 public:
  static constexpr size_t kFlushBytes = 64 * 1024;

  ConnStream(Conn* c, int read_timeout_ms, int write_timeout_ms) : c_(c), read_ms_(read_timeout_ms), write_ms_(write_timeout_ms) {}

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return c_->fd; }

  // Sends pending output; false when the client is gone or too slow.
  bool flush();
  // From now on every write() is sent at once (a stream's pieces).
  void write_through() { direct_ = true; }
  bool failed() const { return failed_; }

 private:
  bool send_all(const char* a, size_t an, const char* b, size_t bn);

  Conn* c_;
  int read_ms_;
  int write_ms_;
  bool direct_ = false;  // write-through (streams)
  bool failed_ = false;
};

// Sends all of a and then b (either may be empty) in as few sends as the
// socket allows, waiting up to timeout_ms whenever it is full.
bool send_fully(int fd, const char* a, size_t an, const char* b, size_t bn, int timeout_ms);

}  // namespace meridian::server
