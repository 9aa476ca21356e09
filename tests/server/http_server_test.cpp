// HttpServer, ConnStream and WorkerPool (src/server, internal).
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../../src/server/http_server.h"

using namespace meridian::server;

namespace {

int connect_local(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// Reads until the peer's response (head + Content-Length body) is complete;
// counts the recv() calls that returned data.
std::string read_response(int fd, int* reads = nullptr) {
  std::string buf;
  char tmp[4096];
  size_t need = 0;
  while (!need || buf.size() < need) {
    ssize_t n = recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) break;
    if (reads) ++*reads;
    buf.append(tmp, static_cast<size_t>(n));
    size_t e = buf.find("\r\n\r\n");
    if (!need && e != std::string::npos) {
      size_t cl = buf.find("Content-Length: ");
      need = e + 4 + (cl < e ? std::stoul(buf.substr(cl + 16)) : 0);
    }
  }
  return buf;
}

struct Running {
  explicit Running(ConnectionLimits l) : srv(l) {
    srv.Get("/hi", [](const httplib::Request&, httplib::Response& res) { res.set_content("{\"hi\":1}", "application/json"); });
    srv.Get(R"(/echo/([^/]+)/x/([^/]+))", [](const httplib::Request& req, httplib::Response& res) {
      std::string out = "path=" + req.path + " m1=" + req.matches[1].str() + " m2=" + req.matches[2].str() + " params:";
      for (const auto& [k, v] : req.params) out += " [" + k + "]=[" + v + "]";
      out += " x-h=" + req.get_header_value("X-H");
      res.set_content(out, "text/plain");
    });
    srv.Get(R"(/file\.json)", [](const httplib::Request&, httplib::Response& res) { res.set_content("file", "text/plain"); });
    srv.Get(R"(/u/([^/_][^/]*)/end)", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content("u=" + req.matches[1].str(), "text/plain");  // [0] differs (http_server.h)
    });
    srv.Get("/boom", [](const httplib::Request&, httplib::Response&) { throw std::runtime_error("boom"); });
    srv.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
      res.status = 500;
      res.set_content("caught", "text/plain");
    });
    srv.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
      if (res.body.empty()) res.set_content("error " + std::to_string(res.status) + " " + req.path, "text/plain");
    });
    srv.Get("/big", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(300000, 'x'), "text/plain");
    });
    port = srv.bind_to_any_port("127.0.0.1");
    REQUIRE(port > 0);
    t = std::thread([this] { srv.listen_after_bind(); });
    while (!srv.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~Running() {
    srv.stop();
    t.join();
  }
  HttpServer srv;
  int port = 0;
  std::thread t;
};

}  // namespace

TEST_CASE("conn_stream: a request is ready once its head and announced body are buffered") {
  Conn c;
  auto feed = [&](const std::string& s) {
    c.buf.reset(new char[s.size()]);
    std::memcpy(c.buf.get(), s.data(), s.size());
    c.cap = c.len = s.size();
    c.off = 0;
    c.scanned = 0;
  };
  feed("GET / HTTP/1.1\r\nHost: x\r\n");
  CHECK_FALSE(request_ready(&c, 100));
  feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(request_ready(&c, 100));
  feed("POST / HTTP/1.1\r\ncontent-length: 5\r\n\r\nabc");
  CHECK_FALSE(request_ready(&c, 100));
  feed("POST / HTTP/1.1\r\ncontent-length: 5\r\n\r\nabcde");
  CHECK(request_ready(&c, 100));
  // A body larger than the wait limit, or chunked, is the worker's to read.
  feed("POST / HTTP/1.1\r\nContent-Length: 5000\r\n\r\nab");
  CHECK(request_ready(&c, 100));
  feed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
  CHECK(request_ready(&c, 100));
  // The client waits for "100 Continue" before it sends the body.
  feed("POST / HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  CHECK(request_ready(&c, 100));
}

TEST_CASE("worker_pool: grows past its core threads while none is idle, up to max") {
  WorkerPool pool(1, 3);
  std::atomic<int> running{0};
  std::atomic<bool> release{false};
  for (int i = 0; i < 5; ++i)
    pool.submit([&] {
      ++running;
      while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
  for (int i = 0; i < 2000 && running < 3; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  CHECK(running == 3);  // three threads, two tasks waiting
  CHECK(pool.threads() == 3);
  release = true;
  pool.shutdown();
  CHECK(running == 5);  // queued tasks ran before shutdown returned
}

TEST_CASE("http_server: a small response arrives as one segment, keep-alive serves the next request") {
  Running r(ConnectionLimits{});
  int fd = connect_local(r.port);
  for (int i = 0; i < 3; ++i) {
    const char req[] = "GET /hi HTTP/1.1\r\nHost: x\r\n\r\n";
    REQUIRE(send(fd, req, sizeof req - 1, 0) == static_cast<ssize_t>(sizeof req - 1));
    int reads = 0;
    std::string resp = read_response(fd, &reads);
    CHECK(resp.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(resp.find("{\"hi\":1}") != std::string::npos);
    CHECK(reads == 1);  // head and body in one segment
  }
  const char big[] = "GET /big HTTP/1.1\r\nHost: x\r\n\r\n";
  REQUIRE(send(fd, big, sizeof big - 1, 0) > 0);
  std::string resp = read_response(fd);
  CHECK(resp.size() > 300000);
  CHECK(resp.substr(resp.size() - 10) == std::string(10, 'x'));
  close(fd);
}

TEST_CASE("http_server: the lean GET path answers what httplib's own path answers") {
  Running r(ConnectionLimits{});
  int fd = connect_local(r.port);
  // HTTP/1.0 with keep-alive is not lean: httplib parses and answers it.
  auto both = [&](const std::string& target, const std::string& extra = "") {
    std::string lean = "GET " + target + " HTTP/1.1\r\nHost: x\r\nX-H: a%20b\r\n" + extra + "\r\n";
    std::string full = "GET " + target + " HTTP/1.0\r\nConnection: Keep-Alive\r\nHost: x\r\nX-H: a%20b\r\n" + extra + "\r\n";
    send(fd, lean.data(), lean.size(), 0);
    std::string a = read_response(fd);
    send(fd, full.data(), full.size(), 0);
    std::string b = read_response(fd);
    auto body = [](const std::string& s) { return s.substr(s.find("\r\n\r\n") + 4); };
    auto status = [](const std::string& s) { return s.substr(0, s.find("\r\n")); };
    CHECK_MESSAGE(body(a) == body(b), target);
    CHECK_MESSAGE(status(a) == status(b), target);
    CHECK(a.find("Content-Length: " + std::to_string(body(a).size()) + "\r\n") != std::string::npos);
    return body(a);
  };
  CHECK(both("/echo/idx/x/42?q=a+b&q=a+b&r=%C3%A9&=v&k==w&&e=&a=1=2&sp=%20y") ==
        "path=/echo/idx/x/42 m1=idx m2=42 params: [a]=[2] [e]=[] [k]=[w] [q]=[a b] [r]=[é] [sp]=[ y] [v]=[] x-h=a b");
  both("/echo/a%2Fb/x/%20?");
  both("/hi");
  both("/nope");               // 404 through the error handler
  both("/echo/only-one");      // no route
  both("/boom");               // exception handler
  CHECK(both("/file.json") == "file");  // an escaped '.' is a literal one
  both("/fileXjson");
  CHECK(both("/u/ab/end") == "u=ab");
  both("/u/_b/end");
  both("/u//end");
  both("/u/a/b/end");
  close(fd);
}

TEST_CASE("http_server: a small body sent after 100 Continue is read and answered") {
  Running r(ConnectionLimits{});
  r.srv.Post("/echo", [](const httplib::Request& req, httplib::Response& res) { res.set_content(req.body, "text/plain"); });
  int fd = connect_local(r.port);
  std::string head = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n";
  send(fd, head.data(), head.size(), 0);
  char buf[256];
  ssize_t n = recv(fd, buf, sizeof buf, 0);  // SO_RCVTIMEO 5 s
  REQUIRE(n > 0);
  CHECK(std::string(buf, static_cast<size_t>(n)).rfind("HTTP/1.1 100 Continue", 0) == 0);
  send(fd, "hello", 5, 0);
  std::string resp = read_response(fd);
  CHECK(resp.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(resp.substr(resp.size() - 5) == "hello");
  close(fd);
}

TEST_CASE("http_server: pipelined requests are all answered in order") {
  Running r(ConnectionLimits{});
  int fd = connect_local(r.port);
  std::string two = "GET /hi HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n";
  REQUIRE(send(fd, two.data(), two.size(), 0) == static_cast<ssize_t>(two.size()));
  std::string all;
  char tmp[4096];
  while (all.find("HTTP/1.1 404") == std::string::npos) {
    ssize_t n = recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) break;
    all.append(tmp, static_cast<size_t>(n));
  }
  CHECK(all.find("HTTP/1.1 200") < all.find("HTTP/1.1 404"));
  close(fd);
}

TEST_CASE("http_server: idle connections hold no worker; the per-client limit answers 503 with Retry-After") {
  ConnectionLimits l;
  l.threads = 1;
  l.max_threads = 1;
  l.max_client_connections = 3;
  Running r(l);
  std::vector<int> idle;
  for (int i = 0; i < 2; ++i) idle.push_back(connect_local(r.port));
  // One worker, two idle connections: a third client is still served.
  int fd = connect_local(r.port);
  const char req[] = "GET /hi HTTP/1.1\r\nHost: x\r\n\r\n";
  send(fd, req, sizeof req - 1, 0);
  CHECK(read_response(fd).rfind("HTTP/1.1 200", 0) == 0);
  for (int i = 0; i < 200 && r.srv.stats().open < 3; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  CHECK(r.srv.stats().open == 3);
  int over = connect_local(r.port);
  send(over, req, sizeof req - 1, 0);
  std::string resp = read_response(over);
  CHECK(resp.rfind("HTTP/1.1 503", 0) == 0);
  CHECK(resp.find("Retry-After: 1\r\n") != std::string::npos);
  CHECK(resp.find("\"unavailable\"") != std::string::npos);
  CHECK(r.srv.stats().refused == 1);
  close(over);
  close(fd);
  for (int s : idle) close(s);
}

TEST_CASE("path_captures: the route regexes' middles match as std::regex_match matches them") {
  const std::vector<std::string> middles = {"([^/]+)", "([^/_][^/]*)", "([^/]+)/docs/([^/]+)", "([^/]+)/shards/([^/]+)",
                                            "([^/_][^/]*)/_doc/([^/]+)", "([^/]+)/images/([^/]+)"};
  const std::vector<std::string> paths = {"", "x", "cities", "_bulk", "a/b", "/", "a/", "/a", "cities/docs/42", "cities/docs/",
                                          "cities/docs/4/2", "cities/shards/0", "_x/_doc/1", "x/_doc/1", "x/_doc/",
                                          "x/_doc//", "p/images/f.png", "a b%2F/docs/\xc3\xa9", "cities/docsx/1", "c/shards/"};
  for (const auto& mid : middles) {
    auto pc = PathCaptures::compile(mid);
    REQUIRE(pc.has_value());
    std::regex re(mid);
    for (const auto& p : paths) {
      const std::string s = "/pre/" + p + "/suf";  // matched between the literal ends, as lean_get does
      const size_t begin = 5, end = s.size() - 4;
      std::smatch want, got;
      bool w = std::regex_match(s.cbegin() + begin, s.cbegin() + static_cast<long>(end), want, re);
      bool g = pc->match(s, begin, end, &got);
      CAPTURE(mid);
      CAPTURE(p);
      REQUIRE(g == w);
      if (!w) continue;
      REQUIRE(got.size() == want.size());
      for (size_t i = 0; i <= want.size(); ++i) {  // size(): the unmatched sub-match
        CHECK(got[i].matched == want[i].matched);
        CHECK(got[i].first - s.cbegin() == want[i].first - s.cbegin());
        CHECK(got[i].second - s.cbegin() == want[i].second - s.cbegin());
        CHECK(got[i].str() == want[i].str());
      }
      CHECK(got.prefix().first == want.prefix().first);
      CHECK(got.prefix().second == want.prefix().second);
      CHECK(got.suffix().first == want.suffix().first);
      CHECK(got.suffix().second == want.suffix().second);
      CHECK(got.prefix().matched == want.prefix().matched);
      CHECK(got.suffix().matched == want.suffix().matched);
    }
  }
  // Anything else keeps the regex.
  CHECK_FALSE(PathCaptures::compile("([^/]+)([^/]+)").has_value());
  CHECK_FALSE(PathCaptures::compile("([0-9]+)").has_value());
  CHECK_FALSE(PathCaptures::compile("([^/]+)x").has_value());
  CHECK_FALSE(PathCaptures::compile("docs").has_value());
}
