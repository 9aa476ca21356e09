#include "meridian/server/access_log.h"

#include <cstdio>
#include <ctime>
#include <random>

#include "meridian/base/json.h"
#include "meridian/server/sha256.h"

namespace meridian::server {

std::string request_id_from(std::string_view h) {
  bool ok = !h.empty() && h.size() <= 128;
  for (char c : h) ok = ok && c > 0x20 && c < 0x7f;
  return ok ? std::string(h) : new_request_id();
}

std::string new_request_id() {
  // Unique, not secret: a per-thread xorshift128+ seeded once from the
  // system's random source (a getrandom() per request cost ~1 us).
  thread_local uint64_t s[2] = {0, 0};
  if (s[0] == 0 && s[1] == 0) {
    std::random_device rd;
    s[0] = (uint64_t{rd()} << 32) ^ rd() ^ 1;
    s[1] = (uint64_t{rd()} << 32) ^ rd();
  }
  auto next = [] {
    uint64_t x = s[0];
    const uint64_t y = s[1];
    s[0] = y;
    x ^= x << 23;
    s[1] = x ^ y ^ (x >> 17) ^ (y >> 26);
    return s[1] + y;
  };
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int half = 0; half < 2; ++half) {
    uint64_t v = next();
    for (int i = 0; i < 16; ++i) out[static_cast<size_t>(half * 16 + i)] = kHex[(v >> (i * 4)) & 15];
  }
  return out;
}

std::string access_log_line(const AccessLogEntry& e, int64_t unix_ms) {
  std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char ts[40];
  std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(unix_ms % 1000));
  std::string out = "{\"ts\":\"";
  out += ts;
  out += "\",\"id\":";
  append_json_string(&out, e.id);
  out += ",\"method\":";
  append_json_string(&out, e.method);
  out += ",\"path\":";
  append_json_string(&out, e.path);
  out += ",\"route\":";
  append_json_string(&out, e.route);
  out += ",\"status\":" + std::to_string(e.status) + ",\"ms\":";
  append_json_number(&out, static_cast<double>(static_cast<int64_t>(e.ms * 1000)) / 1000.0);
  out += ",\"bytes\":" + std::to_string(e.bytes) + ",\"client\":";
  append_json_string(&out, e.client);
  out += ",\"key\":";
  append_json_string(&out, e.key);
  out += "}\n";
  return out;
}

}  // namespace meridian::server
