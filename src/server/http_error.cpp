#include "meridian/server/http_error.h"

namespace meridian::server {

int http_status(Status::Code code) {
  switch (code) {
    case Status::Code::kOk: return 200;
    case Status::Code::kInvalidArgument: return 400;
    case Status::Code::kNotFound: return 404;
    case Status::Code::kAlreadyExists: return 409;
    case Status::Code::kTooLarge: return 413;
    case Status::Code::kBusy: return 503;
    case Status::Code::kIOError: return 503;  // disk full, EIO: retry later
    case Status::Code::kUnsupported: return 501;
    case Status::Code::kCorruption:
    case Status::Code::kInternal: return 500;
  }
  return 500;
}

std::string_view error_type(Status::Code code) {
  switch (code) {
    case Status::Code::kOk: return "ok";
    case Status::Code::kInvalidArgument: return "invalid_argument";
    case Status::Code::kNotFound: return "not_found";
    case Status::Code::kAlreadyExists: return "already_exists";
    case Status::Code::kTooLarge: return "too_large";
    case Status::Code::kBusy: return "busy";
    case Status::Code::kUnsupported: return "unsupported";
    case Status::Code::kCorruption: return "corruption";
    case Status::Code::kIOError: return "io_error";
    case Status::Code::kInternal: return "internal";
  }
  return "internal";
}

std::string_view error_type_for_http(int http) {
  switch (http) {
    case 400: return "invalid_argument";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 408: return "timeout";
    case 409: return "already_exists";
    case 413: return "too_large";
    case 414: return "uri_too_long";
    case 415: return "unsupported_media_type";
    case 429: return "rate_limited";
    case 503: return "unavailable";
    default: return http >= 500 ? "internal" : "invalid_argument";
  }
}

std::string error_body(std::string_view type, std::string_view reason, const Json& extra) {
  Json err = Json::object();
  err.set("type", Json(type));
  err.set("reason", Json(reason));
  if (extra.is_object()) {
    for (const auto& [k, v] : extra.as_object()) err.set(k, v);
  }
  Json body = Json::object();
  body.set("error", std::move(err));
  return body.dump();
}

std::string error_body(const Status& st, const Json& extra) {
  return error_body(error_type(st.code()), st.message(), extra);
}

size_t invalid_utf8_offset(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t i = 0, n = s.size();
  while (i < n) {
    unsigned char c = p[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > n) return i + 1;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i + 1;
    }
    if (len == 2 && c < 0xC2) return i + 1;
    if (len == 3) {
      unsigned cp = ((c & 0x0Fu) << 12) | ((p[i + 1] & 0x3Fu) << 6) | (p[i + 2] & 0x3Fu);
      if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)) return i + 1;
    }
    if (len == 4) {
      unsigned cp = ((c & 0x07u) << 18) | ((p[i + 1] & 0x3Fu) << 12) | ((p[i + 2] & 0x3Fu) << 6) |
                    (p[i + 3] & 0x3Fu);
      if (cp < 0x10000 || cp > 0x10FFFF) return i + 1;
    }
    i += len;
  }
  return 0;
}

Json error_path(const std::string& m) {
  size_t colon = m.find(": ");
  if (colon == std::string::npos || colon == 0 || m.substr(0, colon).find(' ') != std::string::npos) return Json();
  return Json(Json::Object{{"path", Json(m.substr(0, colon))}});
}

}  // namespace meridian::server
