// CorsPolicy: which browser origins may call the API (`meridian serve
// --cors-origin`, MERIDIAN_CORS_ORIGIN; docs/API.md "CORS").
//
// "*" allows every origin; otherwise a comma-separated list of exact origins
// ("https://app.example.com,http://localhost:3000"). Empty: CORS off (no
// Access-Control-* headers; browsers then refuse cross-origin calls).
// A request whose Origin is allowed gets Access-Control-Allow-Origin (and
// Vary: Origin) on every response; a preflight (OPTIONS on a known route)
// also gets the allowed methods and headers. Credentials are never allowed
// (the API key travels in Authorization, which browsers send explicitly).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meridian/base/status.h"

namespace meridian::server {

class CorsPolicy {
 public:
  CorsPolicy() = default;  // off
  // InvalidArgument naming a malformed origin (needs scheme://host[:port], no path).
  static Result<CorsPolicy> parse(std::string_view spec);

  bool enabled() const { return any_ || !origins_.empty(); }
  // The Access-Control-Allow-Origin value for a request's Origin header, or
  // nullopt when it is not allowed (or the request has no Origin).
  std::optional<std::string> allow_origin(std::string_view origin) const;

  // Headers a browser may send and read.
  static constexpr std::string_view kAllowHeaders = "Authorization, Content-Type, X-Request-Id";
  static constexpr std::string_view kExposeHeaders = "X-Request-Id, X-Cache, Retry-After, WWW-Authenticate";
  static constexpr int kMaxAgeSeconds = 600;

 private:
  bool any_ = false;
  std::vector<std::string> origins_;
};

}  // namespace meridian::server
