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
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "geo_query_file.h"
#include "loopback.h"

using geobench::die;

namespace {

constexpr size_t kAllIds = 10000;  // meridian serve's from + size limit

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
  explicit Conn(int port) : fd_(loopback::connect_to(port, "geo_http")) {}
  ~Conn() { close(fd_); }

  // Sends one request and reads its whole response; returns the body.
  std::string_view exchange(const std::string& request) {
    loopback::send_all(fd_, request, "geo_http");
    size_t head = loopback::read_http(fd_, &buf_, "geo_http");
    return std::string_view(buf_).substr(head);
  }

 private:
  int fd_;
  std::string buf_;
};

// total.value and the number of hits of a search response.
std::pair<uint64_t, size_t> totals(std::string_view body) {
  size_t t = body.find("\"total\":{\"value\":");
  if (t == std::string_view::npos) die("geo_http: no total in " + std::string(body.substr(0, 300)));
  uint64_t total = std::strtoull(body.data() + t + 17, nullptr, 10);  // the body ends past the digits
  size_t hits = 0;
  for (size_t p = body.find("{\"id\":"); p != std::string_view::npos; p = body.find("{\"id\":", p + 6)) ++hits;
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
