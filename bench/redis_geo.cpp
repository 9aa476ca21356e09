// redis_geo: the Redis side of the `geo` benchmark suite, with a minimal
// RESP2 client over one TCP loopback connection (no library, comparable to
// libpq's cost on the PostGIS side).
//
//   redis_geo --port P --key K --points P.tsv --queries Q.tsv [--rounds R] [--counts OUT]
//
// Loads the points with pipelined GEOADD (1000 members per command, up to 64
// commands in flight), then times one GEOSEARCH per query:
//   radius  GEOSEARCH K FROMLONLAT lon lat BYRADIUS r m
//   box     GEOSEARCH K FROMLONLAT lon lat BYBOX w h m   (w, h: the query
//           box's width at its centre latitude and its height, in metres —
//           Redis boxes are metric, not lat/lon; counts differ slightly)
// Points and query centres with |lat| > 85.05112878 are outside Redis'
// range: such points are not loaded and such queries not run (counted in
// the output). Redis has no count-only geo search, so the reply is every matching member;
// its length is the count. text_radius queries are not supported (vanilla
// Redis has no full-text search) and are skipped. The key is deleted at
// the end. Prints {"engine":"redis","points","load_s","used_memory",
// "bytes_per_point","classes":{...}}.
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "geo_query_file.h"
#include "loopback.h"

using geobench::die;

namespace {

class Resp {
 public:
  explicit Resp(int port) {
    fd_ = loopback::connect_to(port, "redis_geo");  // TCP_NODELAY
  }
  ~Resp() { ::close(fd_); }

  // Appends a command to the output buffer (send with flush()).
  void command(const std::vector<std::string>& args) {
    out_ += "*" + std::to_string(args.size()) + "\r\n";
    for (const auto& s : args) {
      out_ += "$" + std::to_string(s.size()) + "\r\n";
      out_ += s;
      out_ += "\r\n";
    }
  }
  void flush() {
    size_t off = 0;
    while (off < out_.size()) {
      ssize_t w = ::write(fd_, out_.data() + off, out_.size() - off);
      if (w <= 0) die(std::string("redis_geo: write: ") + std::strerror(errno));
      off += static_cast<size_t>(w);
    }
    out_.clear();
  }
  // Reads one reply; returns the integer / array length / bulk length, and
  // the first line's text in *line (errors die).
  int64_t reply(std::string* text = nullptr) {
    std::string l = read_line();
    if (l.empty()) die("redis_geo: empty reply");
    char t = l[0];
    int64_t v = std::strtoll(l.c_str() + 1, nullptr, 10);
    if (t == '-') die("redis_geo: " + l);
    if (t == '+' || t == ':') {
      if (text) *text = l.substr(1);
      return v;
    }
    if (t == '$') {
      if (v >= 0) {
        std::string s = read_n(static_cast<size_t>(v) + 2);
        if (text) *text = s.substr(0, static_cast<size_t>(v));
      }
      return v;
    }
    if (t == '*') {
      for (int64_t i = 0; i < v; ++i) reply();
      return v;
    }
    die("redis_geo: unexpected reply " + l);
  }

 private:
  bool fill() {
    if (pos_ > 0 && pos_ == buf_.size()) {
      buf_.clear();
      pos_ = 0;
    }
    char tmp[65536];
    ssize_t r = ::read(fd_, tmp, sizeof tmp);
    if (r <= 0) die("redis_geo: connection closed");
    buf_.append(tmp, static_cast<size_t>(r));
    return true;
  }
  std::string read_line() {
    for (;;) {
      size_t e = buf_.find("\r\n", pos_);
      if (e != std::string::npos) {
        std::string l = buf_.substr(pos_, e - pos_);
        pos_ = e + 2;
        return l;
      }
      compact();
      fill();
    }
  }
  std::string read_n(size_t n) {
    while (buf_.size() - pos_ < n) {
      compact();
      fill();
    }
    std::string s = buf_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  void compact() {
    if (pos_ > 0) {
      buf_.erase(0, pos_);
      pos_ = 0;
    }
  }

  int fd_ = -1;
  std::string out_, buf_;
  size_t pos_ = 0;
};

std::string fmt(double v) {
  char b[64];
  std::snprintf(b, sizeof b, "%.7f", v);
  return b;
}

constexpr double kMPerDeg = 111194.92664455873;
constexpr double kPi = 3.14159265358979323846;
constexpr double kMaxLat = 85.05112878;  // Redis' latitude limit

}  // namespace

int main(int argc, char** argv) {
  std::string key, points, queries, counts;
  int port = 0, rounds = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--port") port = std::atoi(v.c_str());
    else if (k == "--key") key = v;
    else if (k == "--points") points = v;
    else if (k == "--queries") queries = v;
    else if (k == "--counts") counts = v;
    else if (k == "--rounds") rounds = std::atoi(v.c_str());
    else die("redis_geo: unknown option " + k);
  }
  if (port <= 0 || key.empty() || points.empty() || queries.empty() || rounds < 1)
    die("usage: redis_geo --port P --key K --points P.tsv --queries Q.tsv [--rounds R] [--counts OUT]");
  Resp r(port);
  r.command({"DEL", key});
  r.flush();
  r.reply();

  double t0 = geobench::now_ms();
  std::vector<std::string> cmd = {"GEOADD", key};
  int in_flight = 0;
  auto send = [&] {
    r.command(cmd);
    cmd.resize(2);
    if (++in_flight == 64) {
      r.flush();
      while (in_flight) r.reply(), --in_flight;
    }
  };
  size_t skipped_points = 0;
  size_t n = geobench::for_each_point(points, [&](const geobench::Point& p) {
    if (std::fabs(p.lat) > kMaxLat) {
      ++skipped_points;  // GEOADD rejects the polar caps (Web Mercator range)
      return;
    }
    cmd.push_back(fmt(p.lon));
    cmd.push_back(fmt(p.lat));
    cmd.push_back(p.id);
    if (cmd.size() >= 2 + 3 * 1000) send();
  });
  if (cmd.size() > 2) send();
  r.flush();
  while (in_flight) r.reply(), --in_flight;
  double load_s = (geobench::now_ms() - t0) / 1000;
  r.command({"ZCARD", key});
  r.flush();
  int64_t card = r.reply();
  r.command({"MEMORY", "USAGE", key, "SAMPLES", "0"});
  r.flush();
  int64_t mem = r.reply();

  auto all = geobench::read_queries(queries);
  std::vector<geobench::Query> qs;
  std::vector<bool> skip;
  size_t skipped = 0, skipped_polar = 0;
  for (auto& q : all) {
    bool polar = std::fabs(q.lat) > kMaxLat;
    skip.push_back(q.kind == "text_radius" || polar);
    if (q.kind == "text_radius") ++skipped;
    else if (polar) ++skipped_polar;
    else qs.push_back(q);
  }
  std::vector<uint64_t> got;
  std::string classes = geobench::time_queries(qs, rounds, "", [&](const geobench::Query& q) -> uint64_t {
    if (q.kind == "radius") {
      r.command({"GEOSEARCH", key, "FROMLONLAT", fmt(q.lon), fmt(q.lat), "BYRADIUS", fmt(q.radius_m), "m"});
    } else if (q.kind == "box") {
      double dlon = q.right - q.left;
      if (dlon < 0) dlon += 360;
      double w = dlon * kMPerDeg * std::cos(q.lat * kPi / 180);
      double h = (q.top - q.bottom) * kMPerDeg;
      r.command({"GEOSEARCH", key, "FROMLONLAT", fmt(q.lon), fmt(q.lat), "BYBOX", fmt(w), fmt(h), "m"});
    } else {
      die("redis_geo: unknown query kind " + q.kind);
    }
    r.flush();
    return static_cast<uint64_t>(r.reply());
  }, &got);
  if (!counts.empty()) geobench::write_counts(counts, all, got, skip);
  r.command({"DEL", key});
  r.flush();
  r.reply();
  std::printf("{\"engine\":\"redis\",\"points\":%lld,\"load_s\":%.2f,\"used_memory\":%lld,\"bytes_per_point\":%.2f,"
              "\"skipped_points\":%zu,\"skipped_text_queries\":%zu,\"skipped_polar_queries\":%zu,\"rounds\":%d,"
              "\"classes\":%s}\n",
              static_cast<long long>(card), load_s, static_cast<long long>(mem),
              static_cast<double>(mem) / static_cast<double>(card ? card : 1), skipped_points, skipped, skipped_polar, rounds,
              classes.c_str());
  (void)n;
  return 0;
}
