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
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "loopback.h"

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

// Reads one whole response into t.buf: for HTTP the head and Content-Length
// bytes of body (status 200), for Redis the `+PONG\r\n` line.
void read_response(Target& t) {
  if (t.http) {
    loopback::read_http(t.fd, &t.buf, "rtt_bench: " + t.name);
    return;
  }
  t.buf.clear();
  char tmp[256];
  while (t.buf.find("\r\n") == std::string::npos) {
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
  for (auto& t : targets) t.fd = loopback::connect_to(t.port, "rtt_bench");
  using clock = std::chrono::steady_clock;
  for (int done = 0; done < warmup + n; done += block) {
    int k = std::min(block, warmup + n - done);
    for (auto& t : targets) {
      for (int i = 0; i < k; ++i) {
        auto t0 = clock::now();
        loopback::send_all(t.fd, t.request, "rtt_bench");
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
