// rtt_bench: the round trip of one small request over one keep-alive
// connection on loopback, for several targets measured in the same run.
//
//   rtt_bench --n N [--warmup W] [--block B] --redis PORT --http PORT PATH [--name LABEL] ...
//
// One blocking TCP connection per target (TCP_NODELAY). The targets take
// turns in blocks of B requests (default 500), so the machine's noise falls
// on all of them alike while each block runs warm, as a busy client would;
// every request reads the whole response: for HTTP the head and
// Content-Length bytes of body (status must be 200), for Redis `PING` the
// `+PONG\r\n` line. --name renames the target before it. Prints one JSON
// object: per target p50/p90/p99/mean in microseconds.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Target {
  std::string name;
  bool http = true;
  int port = 0;
  std::string request;
  int fd = -1;
  std::vector<double> us;
  std::string buf;
};

[[noreturn]] void die(const std::string& m) {
  std::fprintf(stderr, "rtt_bench: %s\n", m.c_str());
  std::exit(1);
}

int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("connect to port " + std::to_string(port) + ": " + std::strerror(errno));
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

void send_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) die("send failed");
    off += static_cast<size_t>(n);
  }
}

// Reads one whole response into t.buf (cleared first).
void read_response(Target& t) {
  t.buf.clear();
  char tmp[65536];
  size_t need = 0;  // total bytes of the response once known
  for (;;) {
    if (need && t.buf.size() >= need) break;
    if (!need) {
      if (!t.http) {
        if (t.buf.find("\r\n") != std::string::npos) break;
      } else {
        size_t e = t.buf.find("\r\n\r\n");
        if (e != std::string::npos) {
          size_t cl = 0;
          const char* key = "\r\nContent-Length:";
          auto it = std::search(t.buf.begin(), t.buf.begin() + static_cast<long>(e), key, key + std::strlen(key),
                                [](char a, char b) { return std::tolower(a) == std::tolower(b); });
          if (it == t.buf.begin() + static_cast<long>(e)) die(t.name + ": response without Content-Length");
          cl = std::strtoull(&*it + std::strlen(key), nullptr, 10);
          need = e + 4 + cl;
          if (t.buf.compare(0, 12, "HTTP/1.1 200") != 0) die(t.name + ": " + t.buf.substr(0, 200));
          continue;
        }
      }
    }
    ssize_t n = recv(t.fd, tmp, sizeof tmp, 0);
    if (n <= 0) die(t.name + ": connection closed");
    t.buf.append(tmp, static_cast<size_t>(n));
  }
}

double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  int n = 20000, warmup = 2000, block = 500;
  std::vector<Target> targets;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] {
      if (i + 1 >= argc) die(a + " needs a value");
      return std::string(argv[++i]);
    };
    if (a == "--n") n = std::atoi(next().c_str());
    else if (a == "--warmup") warmup = std::atoi(next().c_str());
    else if (a == "--block") block = std::max(1, std::atoi(next().c_str()));
    else if (a == "--name") {
      if (targets.empty()) die("--name follows a target");
      targets.back().name = next();
    }
    else if (a == "--redis") {
      Target t;
      t.name = "redis PING";
      t.http = false;
      t.port = std::atoi(next().c_str());
      t.request = "PING\r\n";
      targets.push_back(t);
    } else if (a == "--http") {
      Target t;
      t.port = std::atoi(next().c_str());
      std::string path = next();
      t.name = "GET " + path;
      t.request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
      targets.push_back(t);
    } else {
      die("unknown argument " + a);
    }
  }
  if (targets.empty() || n <= 0) die("usage: rtt_bench --n N [--warmup W] --redis PORT --http PORT PATH ...");
  for (auto& t : targets) t.fd = connect_to(t.port);
  using clock = std::chrono::steady_clock;
  for (int done = 0; done < warmup + n; done += block) {
    int k = std::min(block, warmup + n - done);
    for (auto& t : targets) {
      for (int i = 0; i < k; ++i) {
        auto t0 = clock::now();
        send_all(t.fd, t.request);
        read_response(t);
        auto t1 = clock::now();
        if (done + i >= warmup) t.us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
      }
    }
  }
  std::printf("{\"n\":%d,\"targets\":[", n);
  for (size_t i = 0; i < targets.size(); ++i) {
    auto& t = targets[i];
    double sum = 0;
    for (double x : t.us) sum += x;
    std::printf("%s{\"name\":\"%s\",\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"mean_us\":%.1f,\"bytes\":%zu}",
                i ? "," : "", t.name.c_str(), pct(t.us, 0.5), pct(t.us, 0.9), pct(t.us, 0.99), sum / static_cast<double>(t.us.size()),
                t.buf.size());
  }
  std::printf("]}\n");
  for (auto& t : targets) close(t.fd);
  return 0;
}
