// PeerClients (src/server/peer_clients.h): keep-alive connections to a peer,
// reused across calls, and one retry on a new connection when a kept one died.
#include <doctest/doctest.h>

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "../../src/server/peer_clients.h"

using meridian::server::PeerClients;

namespace {

// An httplib server on 127.0.0.1:port (a free one by default) answering
// POST /echo with its body and GET /doc with "doc:" and its
// X-Meridian-Routed header.
struct EchoServer {
  httplib::Server svr;
  std::thread thread;
  int port = 0;

  explicit EchoServer(int want_port = 0) {
    svr.set_socket_options([](socket_t sock) {
      int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const char*>(&yes), sizeof yes);
    });
    svr.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.body, "text/plain");
    });
    svr.Get("/doc", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content("doc:" + req.get_header_value("X-Meridian-Routed"), "text/plain");
    });
    if (want_port == 0) {
      port = svr.bind_to_any_port("127.0.0.1");
    } else {
      REQUIRE(svr.bind_to_port("127.0.0.1", want_port));
      port = want_port;
    }
    REQUIRE(port > 0);
    thread = std::thread([this] { svr.listen_after_bind(); });
    for (int i = 0; i < 500 && !svr.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    REQUIRE(svr.is_running());
  }
  ~EchoServer() { stop(); }
  void stop() {
    if (thread.joinable()) {
      svr.stop();
      thread.join();
    }
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
};

}  // namespace

TEST_CASE("peer clients: a connection is kept and reused; a dead kept one is retried on a new one") {
  PeerClients peers(1000, 5000);
  auto server = std::make_unique<EchoServer>();
  const std::string url = server->url();
  const int port = server->port;

  auto a = peers.post(url, "/echo", {}, "one", "text/plain");
  REQUIRE(a.is_ok());
  CHECK(a->status == 200);
  CHECK(a->body == "one");
  CHECK(peers.idle(url) == 1);  // kept for the next call
  auto b = peers.post(url, "/echo", {}, "two", "text/plain");
  REQUIRE(b.is_ok());
  CHECK(b->body == "two");
  CHECK(peers.idle(url) == 1);  // the same connection came back: still one

  // The peer restarts on the same port: the kept connection is dead, the
  // call goes through on a new one.
  server.reset();
  server = std::make_unique<EchoServer>(port);
  auto c = peers.post(url, "/echo", {}, "three", "text/plain");
  REQUIRE_MESSAGE(c.is_ok(), c.status().message());
  CHECK(c->body == "three");
  CHECK(peers.idle(url) == 1);

  // The peer is gone: the call fails (once retried), nothing is kept.
  server.reset();
  auto d = peers.post(url, "/echo", {}, "four", "text/plain");
  CHECK_FALSE(d.is_ok());
  CHECK(peers.idle(url) == 0);
}

TEST_CASE("peer clients: concurrent calls each get a connection; at most idle_per_peer are kept") {
  EchoServer server;
  PeerClients peers(1000, 5000, 2);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        const std::string body = std::to_string(t) + ":" + std::to_string(i);
        auto r = peers.post(server.url(), "/echo", {}, body, "text/plain");
        if (r.is_ok() && r->body == body) ++ok;
      }
    });
  for (auto& th : threads) th.join();
  CHECK(ok.load() == 120);
  CHECK(peers.idle(server.url()) <= 2);
  CHECK(peers.idle(server.url()) >= 1);
}

TEST_CASE("peer clients: GET and POST share the kept connections of a peer; a GET survives a peer restart") {
  PeerClients peers(1000, 5000);
  auto server = std::make_unique<EchoServer>();
  const std::string url = server->url();
  const int port = server->port;
  for (int i = 0; i < 10; ++i) {
    auto g = peers.get(url, "/doc", {{"X-Meridian-Routed", "1"}});
    REQUIRE(g.is_ok());
    CHECK(g->status == 200);
    CHECK(g->body == "doc:1");
    auto p = peers.post(url, "/echo", {}, "x", "text/plain", 2000);  // its own read timeout, same pool
    REQUIRE(p.is_ok());
    CHECK(p->body == "x");
  }
  CHECK(peers.opened() == 1);  // twenty calls, one connection
  CHECK(peers.idle(url) == 1);

  // Restarted on the same port: the kept connection is dead; the GET is
  // retried once on a new connection and succeeds.
  server.reset();
  server = std::make_unique<EchoServer>(port);
  auto g = peers.get(url, "/doc", {{"X-Meridian-Routed", "2"}});
  REQUIRE_MESSAGE(g.is_ok(), g.status().message());
  CHECK(g->body == "doc:2");
  // httplib reopens a kept client's socket it finds closed; a call that
  // fails on it anyway is retried on a new client: one or two clients.
  CHECK(peers.opened() <= 2);
  CHECK(peers.idle(url) == 1);
  server.reset();
  CHECK_FALSE(peers.get(url, "/doc", {}).is_ok());
  CHECK(peers.idle(url) == 0);
}
