// Blocking TCP clients on 127.0.0.1 for the benchmark programs that measure a
// server over its socket (rtt_bench, geo_http, redis_geo): one connection with
// TCP_NODELAY, whole sends, whole HTTP/1.1 responses. Errors end the program
// with a message naming `who`.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace loopback {

[[noreturn]] inline void fail(const std::string& who, const std::string& what) {
  std::fprintf(stderr, "%s: %s\n", who.c_str(), what.c_str());
  std::exit(1);
}

// A socket connected to 127.0.0.1:port, with TCP_NODELAY.
inline int connect_to(int port, const std::string& who) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    fail(who, "connect to 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(errno));
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

inline void send_all(int fd, const std::string& s, const std::string& who) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) fail(who, "send failed");
    off += static_cast<size_t>(n);
  }
}

// Reads one whole HTTP/1.1 response (head, then Content-Length bytes of body)
// into *buf, cleared first; its status must be 200. Returns the head's size.
inline size_t read_http(int fd, std::string* buf, const std::string& who) {
  buf->clear();
  size_t need = 0, head = 0;
  char tmp[65536];
  for (;;) {
    if (!need) {
      size_t e = buf->find("\r\n\r\n");
      if (e != std::string::npos) {
        const char* key = "\r\ncontent-length:";
        auto end = buf->begin() + static_cast<long>(e);
        auto it = std::search(buf->begin(), end, key, key + std::strlen(key),
                              [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
        if (it == end) fail(who, "response without Content-Length");
        head = e + 4;
        need = head + std::strtoull(&*it + std::strlen(key), nullptr, 10);
        if (buf->compare(0, 12, "HTTP/1.1 200") != 0) fail(who, buf->substr(0, 300));
      }
    }
    if (need && buf->size() >= need) return head;
    ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) fail(who, "connection closed");
    buf->append(tmp, static_cast<size_t>(n));
  }
}

}  // namespace loopback
