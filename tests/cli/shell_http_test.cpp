// make_client: the connection the shell and online import use has
// TCP_NODELAY set (without it every POST with a body stalls ~40 ms on
// Nagle + delayed ACK). A loopback listener answers one request; the
// client's socket is then found among this process's descriptors by its
// peer address and its option read back with getsockopt.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>

#include "shell_http.h"

using namespace meridian;

namespace {

// Accepts one connection, reads one request head (and its small body), answers {}.
void serve_one(int listener) {
  int fd = ::accept(listener, nullptr, nullptr);
  if (fd < 0) return;
  std::string got;
  char buf[4096];
  while (got.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  const char* answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
  (void)::send(fd, answer, std::strlen(answer), MSG_NOSIGNAL);
  // keep the connection open until the client is done with it
  while (::recv(fd, buf, sizeof buf, 0) > 0) {
  }
  ::close(fd);
}

}  // namespace

TEST_CASE("shell http: make_client's connection has TCP_NODELAY") {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(listener >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(listener, 1) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  std::thread server(serve_one, listener);

  std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  auto client = cli::make_client(url, "", 5);
  auto r = cli::json_result(client->Get("/health"), url);
  CHECK(r.is_ok());

  int found = 0, nodelay = -1;
  for (int fd = 0; fd < 1024; ++fd) {
    sockaddr_in peer{};
    socklen_t pl = sizeof peer;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &pl) != 0 || peer.sin_family != AF_INET) continue;
    if (peer.sin_port != addr.sin_port || peer.sin_addr.s_addr != addr.sin_addr.s_addr) continue;
    int v = 0;
    socklen_t vl = sizeof v;
    REQUIRE(::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &vl) == 0);
    nodelay = v;
    ++found;
  }
  CHECK(found == 1);  // the kept-alive connection
  CHECK(nodelay != 0);
  client.reset();  // closes the connection: the server thread ends
  server.join();
  ::close(listener);
}
