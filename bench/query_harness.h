// query_harness.h: the measuring loop shared by the query-suite programs
// (query_bench, xapian_query, pg_query), so every engine is timed the same way.
//
// The query file (scripts/lib/bench_queries.py) has one JSON object per line:
//   {"class": "term_high", "filter": null, "words": ["system"]}
// Per class, in the file's class order:
//   1. warm-up: every query of the class once (not measured);
//   2. single thread: `passes` passes over the class's queries, each call timed
//      with steady_clock -> p50, p95 and mean in microseconds;
//   3. `threads` threads (each with its own Worker): each runs `passes` passes
//      over the class, thread t starting at query t*n/threads -> queries/s of
//      wall time.
// A Worker returns the number of hits it produced (<= 10 for top-10 classes),
// or -1 when the engine cannot answer that class (the class is then reported
// as unsupported, not timed).
//
// Prints one JSON line: {"engine":..,"passes":..,"threads":..,"classes":{
//   "<class>":{"n":..,"p50_us":..,"p95_us":..,"mean_us":..,"cpu_p50_us":..,"cpu_p95_us":..,
//              "qps":..,"avg_hits":..}   (cpu_*: CLOCK_THREAD_CPUTIME_ID of the calling
//              thread; for a client/server engine it is the client's share only)
//   or {"unsupported":true}}, plus the caller's extra fields}.
//
// Header-only, standalone (no Meridian code), used from one main() thread;
// Workers are created by a factory and each used by one thread.
#pragma once

#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace bench {

struct QuerySpec {
  std::string cls;
  std::vector<std::string> words;
  std::string filter;  // "" = none
};

class Worker {
 public:
  virtual ~Worker() = default;
  virtual long run(const QuerySpec& q) = 0;
};

// Extracts the string values of the fixed-shape lines written by bench_queries.py.
inline bool parse_query_line(const std::string& line, QuerySpec* q) {
  auto str_at = [&](size_t pos, std::string* out) -> size_t {
    size_t a = line.find('"', pos);
    if (a == std::string::npos) return std::string::npos;
    size_t b = line.find('"', a + 1);
    if (b == std::string::npos) return std::string::npos;
    *out = line.substr(a + 1, b - a - 1);
    return b + 1;
  };
  size_t c = line.find("\"class\":");
  size_t f = line.find("\"filter\":");
  size_t w = line.find("\"words\":");
  if (c == std::string::npos || f == std::string::npos || w == std::string::npos) return false;
  if (str_at(c + 8, &q->cls) == std::string::npos) return false;
  size_t fv = line.find_first_not_of(' ', f + 9);
  q->filter.clear();
  if (fv != std::string::npos && line[fv] == '"') str_at(fv, &q->filter);
  size_t end = line.find(']', w);
  size_t pos = line.find('[', w);
  q->words.clear();
  while (pos != std::string::npos && pos < end) {
    std::string s;
    size_t next = str_at(pos, &s);
    if (next == std::string::npos || next > end) break;
    q->words.push_back(s);
    pos = next;
  }
  return !q->cls.empty() && !q->words.empty();
}

inline bool load_queries(const std::string& path, std::vector<QuerySpec>* out) {
  std::ifstream in(path);
  if (!in) return false;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    QuerySpec q;
    if (!parse_query_line(line, &q)) {
      std::fprintf(stderr, "bad query line: %s\n", line.c_str());
      return false;
    }
    out->push_back(std::move(q));
  }
  return true;
}

inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// CPU time of the calling thread, in microseconds (immune to waiting for a core).
inline double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

using WorkerFactory = std::function<std::unique_ptr<Worker>()>;

// Runs the protocol above and prints the JSON line; returns false if a query failed.
inline bool run_suite(const std::string& engine, const std::vector<QuerySpec>& all, int passes,
                      int threads, const WorkerFactory& make, const std::string& extra_json = "") {
  std::vector<std::string> order;
  std::map<std::string, std::vector<const QuerySpec*>> by_class;
  for (const auto& q : all) {
    if (!by_class.count(q.cls)) order.push_back(q.cls);
    by_class[q.cls].push_back(&q);
  }
  auto main_worker = make();
  if (!main_worker) return false;
  std::vector<std::unique_ptr<Worker>> pool;
  for (int t = 0; t < threads; ++t) {
    pool.push_back(make());
    if (!pool.back()) return false;
  }
  std::string out = "{\"engine\":\"" + engine + "\",\"passes\":" + std::to_string(passes) +
                    ",\"threads\":" + std::to_string(threads) + extra_json + ",\"classes\":{";
  bool first = true;
  for (const auto& cls : order) {
    const auto& qs = by_class[cls];
    using Clock = std::chrono::steady_clock;
    long hits = 0;
    bool unsupported = false;
    for (const auto* q : qs) {  // warm-up
      long h = main_worker->run(*q);
      if (h == -1) { unsupported = true; break; }
      if (h < -1) return false;
      hits += h;
    }
    std::fprintf(stderr, "%s: %s%s\n", engine.c_str(), cls.c_str(), unsupported ? " (unsupported)" : "");
    out += std::string(first ? "" : ",") + "\"" + cls + "\":";
    first = false;
    if (unsupported) { out += "{\"unsupported\":true}"; continue; }
    std::vector<double> lat, cpu;
    for (int p = 0; p < passes; ++p) {
      for (const auto* q : qs) {
        double c0 = thread_cpu_us();
        auto t0 = Clock::now();
        long h = main_worker->run(*q);
        auto t1 = Clock::now();
        cpu.push_back(thread_cpu_us() - c0);
        if (h < 0) return false;
        lat.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
      }
    }
    std::atomic<bool> failed{false};
    auto w0 = Clock::now();
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) {
      ts.emplace_back([&, t] {
        size_t n = qs.size(), start = static_cast<size_t>(t) * n / static_cast<size_t>(threads);
        for (int p = 0; p < passes; ++p)
          for (size_t i = 0; i < n; ++i)
            if (pool[static_cast<size_t>(t)]->run(*qs[(start + i) % n]) < 0) failed = true;
      });
    }
    for (auto& th : ts) th.join();
    double wall = std::chrono::duration<double>(Clock::now() - w0).count();
    if (failed) return false;
    double mean = 0;
    for (double x : lat) mean += x;
    mean /= static_cast<double>(lat.size());
    char buf[400];
    std::snprintf(buf, sizeof buf,
                  "{\"n\":%zu,\"p50_us\":%.1f,\"p95_us\":%.1f,\"mean_us\":%.1f,\"cpu_p50_us\":%.1f,"
                  "\"cpu_p95_us\":%.1f,\"qps\":%.1f,\"avg_hits\":%.2f}",
                  qs.size(), percentile(lat, 0.50), percentile(lat, 0.95), mean, percentile(cpu, 0.50),
                  percentile(cpu, 0.95),
                  static_cast<double>(threads * passes) * static_cast<double>(qs.size()) / wall,
                  static_cast<double>(hits) / static_cast<double>(qs.size()));
    out += buf;
  }
  out += "}}";
  std::printf("%s\n", out.c_str());
  std::fflush(stdout);
  return true;
}

}  // namespace bench
