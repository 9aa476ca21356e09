// Request ids and the access log: one JSON line per request on stderr.
//
//   {"ts":"2024-05-01T12:00:00.123Z","id":"…","method":"GET","path":"/v1/…",
//    "route":"/v1/indexes/{index}/search","status":200,"ms":0.41,
//    "bytes":123,"client":"127.0.0.1","key":"master"}
//
// Stateless functions; safe from any thread (each line is one fwrite).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace meridian::server {

// The id of a request: the client's X-Request-Id when it is 1..128 printable
// ASCII characters without spaces, otherwise a new random 32-hex-char id.
std::string request_id_from(std::string_view client_header);
// A new random 32-hex-char request id (unique with overwhelming probability,
// not unpredictable: never use it as a secret).
std::string new_request_id();

struct AccessLogEntry {
  std::string_view id, method, path, route, client, key;
  int status = 0;
  double ms = 0;
  uint64_t bytes = 0;
};
std::string access_log_line(const AccessLogEntry& e, int64_t unix_ms);

}  // namespace meridian::server
