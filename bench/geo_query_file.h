// Shared by the geo benchmark programs (geo_bench, pg_geo, redis_geo): the
// points and queries TSV files written by bench/gen_points.cpp and
// scripts/lib/bench_geo.py, and the latency summary every side prints, so
// that all engines read the same input and report the same statistics.
//
// points:  id \t lat \t lon \t name
// queries: class \t kind \t lat \t lon \t radius_m \t top \t left \t bottom \t right \t word
//          kind = radius | box | text_radius
//
// Header-only; plain value types; not thread-safe (single-threaded programs).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace geobench {

struct Point {
  std::string id;
  double lat = 0, lon = 0;
  std::string name;
};

struct Query {
  std::string cls, kind;
  double lat = 0, lon = 0, radius_m = 0;
  double top = 0, left = 0, bottom = 0, right = 0;
  std::string word;
};

inline std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t t = line.find('\t', start);
    out.push_back(line.substr(start, t == std::string::npos ? std::string::npos : t - start));
    if (t == std::string::npos) break;
    start = t + 1;
  }
  return out;
}

[[noreturn]] inline void die(const std::string& msg) {
  std::fprintf(stderr, "%s\n", msg.c_str());
  std::exit(1);
}

// Calls fn(Point) for each line; dies on a malformed line.
template <class Fn>
inline size_t for_each_point(const std::string& path, Fn&& fn) {
  std::ifstream in(path);
  if (!in) die("cannot read " + path);
  std::string line;
  size_t n = 0;
  Point p;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto f = split_tabs(line);
    if (f.size() < 3) die(path + ": malformed line " + std::to_string(n + 1));
    p.id = f[0];
    p.lat = std::strtod(f[1].c_str(), nullptr);
    p.lon = std::strtod(f[2].c_str(), nullptr);
    p.name = f.size() > 3 ? f[3] : std::string();
    fn(p);
    ++n;
  }
  return n;
}

inline std::vector<Query> read_queries(const std::string& path) {
  std::ifstream in(path);
  if (!in) die("cannot read " + path);
  std::vector<Query> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto f = split_tabs(line);
    if (f.size() < 10) die(path + ": malformed query line " + std::to_string(out.size() + 1));
    Query q;
    q.cls = f[0];
    q.kind = f[1];
    q.lat = std::strtod(f[2].c_str(), nullptr);
    q.lon = std::strtod(f[3].c_str(), nullptr);
    q.radius_m = std::strtod(f[4].c_str(), nullptr);
    q.top = std::strtod(f[5].c_str(), nullptr);
    q.left = std::strtod(f[6].c_str(), nullptr);
    q.bottom = std::strtod(f[7].c_str(), nullptr);
    q.right = std::strtod(f[8].c_str(), nullptr);
    q.word = f[9];
    out.push_back(std::move(q));
  }
  return out;
}

inline double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// Writes "class \t count" per query; a query with skip[i] set (the engine
// cannot run it) gets "-" instead of a count.
inline void write_counts(const std::string& path, const std::vector<Query>& qs, const std::vector<uint64_t>& counts,
                         const std::vector<bool>& skip) {
  std::ofstream out(path);
  for (size_t i = 0, j = 0; i < qs.size(); ++i) {
    if (!skip.empty() && skip[i]) out << qs[i].cls << "\t-\n";
    else out << qs[i].cls << '\t' << counts[j++] << '\n';
  }
  if (!out) die("cannot write " + path);
}

// Runs every query once untimed (warm-up), then `rounds` timed passes.
// run(q) executes one query and returns its number of matches. Writes one
// count per query (first pass) to counts_path when given (counts_out gets
// them too), and returns the JSON object
// {"cls": {"n","p50_ms","p95_ms","mean_ms","mean_hits"}, ...}.
template <class Run>
inline std::string time_queries(const std::vector<Query>& qs, int rounds, const std::string& counts_path, Run&& run,
                                std::vector<uint64_t>* counts_out = nullptr) {
  std::vector<uint64_t> counts(qs.size());
  for (size_t i = 0; i < qs.size(); ++i) counts[i] = run(qs[i]);
  std::map<std::string, std::vector<double>> lat;
  std::map<std::string, double> hits;
  std::map<std::string, size_t> nq;
  for (int r = 0; r < rounds; ++r) {
    for (size_t i = 0; i < qs.size(); ++i) {
      double t0 = now_ms();
      uint64_t c = run(qs[i]);
      double dt = now_ms() - t0;
      lat[qs[i].cls].push_back(dt);
      if (c != counts[i]) die("query " + std::to_string(i) + " returned " + std::to_string(counts[i]) + " then " +
                              std::to_string(c) + " matches");
    }
  }
  for (size_t i = 0; i < qs.size(); ++i) {
    hits[qs[i].cls] += static_cast<double>(counts[i]);
    nq[qs[i].cls]++;
  }
  if (!counts_path.empty()) write_counts(counts_path, qs, counts, {});
  if (counts_out) *counts_out = counts;
  std::ostringstream js;
  js << "{";
  bool first = true;
  for (auto& [cls, v] : lat) {
    double sum = 0;
    for (double x : v) sum += x;
    char buf[400];
    std::snprintf(buf, sizeof buf, "%s\"%s\":{\"n\":%zu,\"p50_ms\":%.4f,\"p95_ms\":%.4f,\"mean_ms\":%.4f,\"mean_hits\":%.1f}",
                  first ? "" : ",", cls.c_str(), v.size(), percentile(v, 0.5), percentile(v, 0.95),
                  sum / static_cast<double>(v.size()), hits[cls] / static_cast<double>(nq[cls]));
    js << buf;
    first = false;
  }
  js << "}";
  return js.str();
}

}  // namespace geobench
