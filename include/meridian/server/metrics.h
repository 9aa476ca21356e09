// Metrics: request counters and latency histograms of the HTTP server,
// rendered as Prometheus text (exposition format 0.0.4) for GET /metrics.
// Per-index gauges (documents, bytes, WAL, refresh lag) and cache figures
// are added by the caller at scrape time through `Gauge` lines.
//
// Thread safety: record() and render() may be called concurrently (one
// mutex; the critical section is a few map updates).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace meridian::server {

// Upper bounds (seconds) of the latency histogram buckets; +Inf is implied.
inline constexpr std::array<double, 12> kLatencyBuckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5};

struct Gauge {
  std::string name;    // meridian_index_documents
  std::string help;
  std::string labels;  // index="cities" (already escaped) or ""
  double value = 0;
  std::string type = "gauge";  // or "counter"
};

class Metrics {
 public:
  // route: the route template ("/v1/indexes/{index}/search"), never the raw path.
  void record(const std::string& route, const std::string& method, int status, double seconds);
  // All counters and histograms, then `gauges` (grouped by name, one HELP/TYPE each).
  std::string render(const std::vector<Gauge>& gauges) const;
  uint64_t count(const std::string& route, const std::string& method, int status) const;

 private:
  struct Histogram {
    std::array<uint64_t, kLatencyBuckets.size()> buckets{};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  // std::less<>: record() looks its keys up as views (no copy per request).
  std::map<std::tuple<std::string, std::string, int>, uint64_t, std::less<>> requests_;  // GUARDED_BY(mu_)
  std::map<std::string, Histogram> latency_;  // by route; GUARDED_BY(mu_)
};

// Escapes a Prometheus label value (backslash, quote, newline).
std::string escape_label(std::string_view v);

}  // namespace meridian::server
