#include "meridian/server/metrics.h"

#include <cstdio>

#include <cstdlib>

namespace meridian::server {
namespace {

// Shortest round-trip form ("0.0005", not "0.00050000000000000001").
std::string num(double v) {
  char buf[64];
  if (v == static_cast<double>(static_cast<int64_t>(v)) && v > -1e15 && v < 1e15) {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%.15g", v);
  if (std::strtod(buf, nullptr) != v) std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

std::string escape_label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void Metrics::record(const std::string& route, const std::string& method, int status, double seconds) {
  std::lock_guard lock(mu_);
  auto r = requests_.find(std::tuple<std::string_view, std::string_view, int>(route, method, status));
  if (r == requests_.end()) r = requests_.emplace(std::tuple<std::string, std::string, int>(route, method, status), 0).first;
  ++r->second;
  Histogram& h = latency_[route];
  for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    if (seconds <= kLatencyBuckets[i]) ++h.buckets[i];
  }
  ++h.count;
  h.sum += seconds;
}

uint64_t Metrics::count(const std::string& route, const std::string& method, int status) const {
  std::lock_guard lock(mu_);
  auto it = requests_.find({route, method, status});
  return it == requests_.end() ? 0 : it->second;
}

std::string Metrics::render(const std::vector<Gauge>& gauges) const {
  std::string out;
  {
    std::lock_guard lock(mu_);
    out += "# HELP meridian_http_requests_total HTTP requests by route, method and status.\n";
    out += "# TYPE meridian_http_requests_total counter\n";
    for (const auto& [k, n] : requests_) {
      const auto& [route, method, status] = k;
      out += "meridian_http_requests_total{route=\"" + escape_label(route) + "\",method=\"" +
             escape_label(method) + "\",status=\"" + std::to_string(status) + "\"} " + std::to_string(n) + "\n";
    }
    out += "# HELP meridian_http_request_duration_seconds HTTP request latency by route.\n";
    out += "# TYPE meridian_http_request_duration_seconds histogram\n";
    for (const auto& [route, h] : latency_) {
      std::string r = escape_label(route);
      for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
        out += "meridian_http_request_duration_seconds_bucket{route=\"" + r + "\",le=\"" +
               num(kLatencyBuckets[i]) + "\"} " + std::to_string(h.buckets[i]) + "\n";
      }
      out += "meridian_http_request_duration_seconds_bucket{route=\"" + r + "\",le=\"+Inf\"} " +
             std::to_string(h.count) + "\n";
      out += "meridian_http_request_duration_seconds_sum{route=\"" + r + "\"} " + num(h.sum) + "\n";
      out += "meridian_http_request_duration_seconds_count{route=\"" + r + "\"} " + std::to_string(h.count) + "\n";
    }
  }
  std::string last;
  for (const auto& g : gauges) {
    if (g.name != last) {
      out += "# HELP " + g.name + " " + g.help + "\n# TYPE " + g.name + " " + g.type + "\n";
      last = g.name;
    }
    out += g.name;
    if (!g.labels.empty()) out += "{" + g.labels + "}";
    out += " " + num(g.value) + "\n";
  }
  return out;
}

}  // namespace meridian::server
