// Test helper: a real nats-server with JetStream on a free loopback port and
// a temporary store directory, started by the test and killed at scope exit.
// Tests that need one start it with MERIDIAN_NATS_SERVER_OR_SKIP(name), which
// skips the test case when the nats-server binary is missing (scripts/setup
// installs it).
#pragma once

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "../test_util.h"

namespace meridian {

inline int free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

inline bool port_open(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

class NatsServer {
 public:
  static const char* binary() {
    for (const char* p : {"/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"})
      if (::access(p, X_OK) == 0) return p;
    return nullptr;
  }
  static bool available() { return binary() != nullptr; }

  NatsServer() : port_(free_loopback_port()) { start(); }
  ~NatsServer() { kill(); }
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  bool ready() const { return ready_; }

  // SIGKILL (no clean shutdown), then start again on the same port and store.
  void kill() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  void start() {
    std::string port = std::to_string(port_);
    pid_ = ::fork();
    if (pid_ == 0) {
      std::freopen("/dev/null", "w", stdout);
      std::freopen("/dev/null", "w", stderr);
      ::execl(binary(), "nats-server", "-js", "-a", "127.0.0.1", "-p", port.c_str(), "-sd", dir_.path().c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ready_ = false;
    for (int i = 0; i < 100 && !ready_; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      ready_ = port_open(port_);
    }
  }

 private:
  TempDir dir_;
  int port_;
  pid_t pid_ = -1;
  bool ready_ = false;
};

}  // namespace meridian

// Declares `server`, a nats-server started for the test case, or skips the
// test case (returns) when nats-server is not installed.
#define MERIDIAN_NATS_SERVER_OR_SKIP(server)                              \
  if (!::meridian::NatsServer::available()) {                             \
    MESSAGE("nats-server not installed (scripts/setup): skipped");        \
    return;                                                               \
  }                                                                       \
  ::meridian::NatsServer server;                                          \
  REQUIRE(server.ready())
