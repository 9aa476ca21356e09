// geo_http: Meridian's side of the `geo` suite over HTTP, the way users reach
// it: one keep-alive connection (TCP_NODELAY) to `meridian serve` on
// loopback, one POST /v1/indexes/INDEX/search per query, each whole response
// read (the peer is redis_geo, a RESP client over one loopback connection,
// whose GEOSEARCH returns every matching member).
//
//   geo_http --port P --index NAME --queries Q.tsv [--rounds R] [--counts OUT] [--ids all] [--get 1]
//
// With --get 1 the queries are GET requests with URL parameters (`near`,
// `radius`, `bbox`, `geo_field=location`, `size`, `source=false`,
// `track_total_hits=true`), the lean GET path of the server; text_radius
// queries are then skipped (a GET `q` is not a plain match). Otherwise POST
// bodies as geo_bench builds them: radius -> geo_distance filter, box ->
// geo_bounding_box filter, text_radius -> match on name + geo_distance;
// "source": false, "track_total_hits": true; "size": 10 or, with --ids all,
// 10000 (the server's result window), checked to return every match up to it.
// The clock covers the request and the whole response. Prints one JSON line:
// {"engine":"meridian-http","ids","rounds","classes":{...}}.
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
#include <vector>

#include "geo_query_file.h"

using geobench::die;

namespace {

constexpr size_t kAllIds = 10000;  // meridian serve's from + size limit

int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    die("geo_http: connect to port " + std::to_string(port) + ": " + std::strerror(errno));
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

std::string num(double v) {
  char b[64];
  std::snprintf(b, sizeof b, "%.17g", v);
  return b;
}

// The JSON string of `s` (query words are letters; quotes and backslashes escaped anyway).
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

std::string body_of(const geobench::Query& q, size_t size) {
  std::string filter;
  if (q.kind == "radius" || q.kind == "text_radius") {
    filter = "{\"geo_distance\":{\"distance\":" + num(q.radius_m) + ",\"location\":{\"lat\":" + num(q.lat) +
             ",\"lon\":" + num(q.lon) + "}}}";
  } else if (q.kind == "box") {
    filter = "{\"geo_bounding_box\":{\"location\":{\"top\":" + num(q.top) + ",\"left\":" + num(q.left) +
             ",\"bottom\":" + num(q.bottom) + ",\"right\":" + num(q.right) + "}}}";
  } else {
    die("geo_http: unknown query kind " + q.kind);
  }
  std::string body = "{\"filter\":" + filter;
  if (q.kind == "text_radius") body += ",\"query\":{\"match\":{\"name\":" + quoted(q.word) + "}}";
  return body + ",\"size\":" + std::to_string(size) + ",\"track_total_hits\":true,\"source\":false}";
}

class Conn {
 public:
  explicit Conn(int port) : fd_(connect_to(port)) {}
  ~Conn() { close(fd_); }

  // Sends one request and reads its whole response; returns the body.
  const std::string& exchange(const std::string& request) {
    size_t off = 0;
    while (off < request.size()) {
      ssize_t n = send(fd_, request.data() + off, request.size() - off, MSG_NOSIGNAL);
      if (n <= 0) die("geo_http: send failed");
      off += static_cast<size_t>(n);
    }
    buf_.clear();
    size_t need = 0, head = 0;
    char tmp[65536];
    for (;;) {
      if (!need) {
        size_t e = buf_.find("\r\n\r\n");
        if (e != std::string::npos) {
          const char* key = "\r\ncontent-length:";
          auto it = std::search(buf_.begin(), buf_.begin() + static_cast<long>(e), key, key + std::strlen(key),
                                [](char a, char b) { return std::tolower(a) == b; });
          if (it == buf_.begin() + static_cast<long>(e)) die("geo_http: response without Content-Length");
          head = e + 4;
          need = head + std::strtoull(&*it + std::strlen(key), nullptr, 10);
          if (buf_.compare(0, 12, "HTTP/1.1 200") != 0) die("geo_http: " + buf_.substr(0, 300));
        }
      }
      if (need && buf_.size() >= need) break;
      ssize_t n = recv(fd_, tmp, sizeof tmp, 0);
      if (n <= 0) die("geo_http: connection closed");
      buf_.append(tmp, static_cast<size_t>(n));
    }
    body_ = buf_.substr(head, need - head);
    return body_;
  }

 private:
  int fd_;
  std::string buf_, body_;
};

// total.value and the number of hits of a search response.
std::pair<uint64_t, size_t> totals(const std::string& body) {
  size_t t = body.find("\"total\":{\"value\":");
  if (t == std::string::npos) die("geo_http: no total in " + body.substr(0, 300));
  uint64_t total = std::strtoull(body.c_str() + t + 17, nullptr, 10);
  size_t hits = 0;
  for (size_t p = body.find("{\"id\":"); p != std::string::npos; p = body.find("{\"id\":", p + 6)) ++hits;
  return {total, hits};
}

std::string get_of(const std::string& index, const geobench::Query& q, size_t size) {
  std::string p = "/v1/indexes/" + index + "/search?geo_field=location&size=" + std::to_string(size) +
                  "&source=false&track_total_hits=true";
  if (q.kind == "radius") {
    p += "&near=" + num(q.lat) + "," + num(q.lon) + "&radius=" + num(q.radius_m) + "m";
  } else if (q.kind == "box") {
    p += "&bbox=" + num(q.top) + "," + num(q.left) + "," + num(q.bottom) + "," + num(q.right);
  } else {
    die("geo_http: " + q.kind + " has no GET form here");
  }
  return "GET " + p + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::string index, queries, counts;
  int port = 0, rounds = 3;
  bool all_ids = false, get = false;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (i + 1 >= argc) die("geo_http: " + k + " needs a value");
    std::string v = argv[++i];
    if (k == "--port") port = std::atoi(v.c_str());
    else if (k == "--index") index = v;
    else if (k == "--queries") queries = v;
    else if (k == "--rounds") rounds = std::max(1, std::atoi(v.c_str()));
    else if (k == "--counts") counts = v;
    else if (k == "--ids") all_ids = v == "all";
    else if (k == "--get") get = v == "1";
    else die("geo_http: unknown argument " + k);
  }
  if (!port || index.empty() || queries.empty()) {
    die("usage: geo_http --port P --index NAME --queries Q.tsv [--rounds R] [--counts OUT] [--ids all]");
  }
  const size_t size = all_ids ? kAllIds : 10;
  auto qs = geobench::read_queries(queries);
  if (get) std::erase_if(qs, [](const geobench::Query& q) { return q.kind == "text_radius"; });
  std::vector<std::string> requests;
  for (const auto& q : qs) {
    if (get) {
      requests.push_back(get_of(index, q, size));
      continue;
    }
    std::string body = body_of(q, size);
    requests.push_back("POST /v1/indexes/" + index + "/search HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                       "\r\n\r\n" + body);
  }
  Conn conn(port);
  size_t truncated = 0;
  std::string classes = geobench::time_queries(qs, rounds, counts, [&](const geobench::Query& q) -> uint64_t {
    size_t i = static_cast<size_t>(&q - qs.data());
    auto [total, hits] = totals(conn.exchange(requests[i]));
    if (hits != std::min<uint64_t>(total, size)) die("geo_http: " + q.cls + ": " + std::to_string(hits) +
                                                     " hits for a total of " + std::to_string(total));
    if (total > size) ++truncated;
    return total;
  });
  std::printf("{\"engine\":\"meridian-http\",\"method\":\"%s\",\"ids\":\"%s\",\"rounds\":%d,\"over_window\":%zu,"
              "\"classes\":%s}\n",
              get ? "GET" : "POST", all_ids ? "all" : "10", rounds, truncated, classes.c_str());
  return 0;
}
