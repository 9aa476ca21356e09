// HttpServer's lean path for plain GET requests (see http_server.h): the
// request head is parsed straight from the connection's buffer and the
// response written straight into its output buffer, with the handlers
// ServerImpl installed. Anything unusual goes to httplib's process_request.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <vector>

#include "http_server.h"
#include "url_decode.h"

namespace meridian::server {

using namespace std::string_view_literals;

namespace {

constexpr std::string_view kMeta = "()[]{}.*+?^$|\\";

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 507: return "Insufficient Storage";
    default: return "Internal Server Error";  // httplib's answer for codes it does not know
  }
}

// The pieces of s between separators d, trimmed of spaces and tabs, empty
// ones skipped (httplib::detail::split).
template <typename F>
void split_trimmed(std::string_view s, char d, F fn) {
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t end = s.find(d, pos);
    if (end == std::string_view::npos) end = s.size();
    std::string_view piece = s.substr(pos, end - pos);
    pos = end + 1;
    while (!piece.empty() && (piece.front() == ' ' || piece.front() == '\t')) piece.remove_prefix(1);
    while (!piece.empty() && (piece.back() == ' ' || piece.back() == '\t')) piece.remove_suffix(1);
    if (!piece.empty()) fn(piece);
  }
}

// httplib::detail::parse_query_text without its allocations: pairs split on
// '&' (a repeat of an identical pair skipped), each split on '=': the first
// piece is the key, the last of the others the value; URL-decoded with '+'
// as space.
void parse_query(std::string_view s, httplib::Params* params) {
  // The pairs seen so far: the first 16 in place (a search's parameters),
  // more in a vector.
  std::string_view first[16];
  size_t n_first = 0;
  std::vector<std::string_view> more;
  split_trimmed(s, '&', [&](std::string_view kv) {
    for (size_t i = 0; i < n_first; ++i)
      if (first[i] == kv) return;
    for (auto v : more)
      if (v == kv) return;
    if (n_first < std::size(first)) first[n_first++] = kv;
    else more.push_back(kv);
    std::string_view key, val;
    bool first = true;
    split_trimmed(kv, '=', [&](std::string_view piece) {
      if (first) key = piece;
      else val = piece;
      first = false;
    });
    if (!key.empty()) params->emplace(url_decode(key, true), url_decode(val, true));
  });
}

void append_int(std::string* out, uint64_t v) {
  char buf[24];
  char* p = buf + sizeof buf;
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  out->append(p, static_cast<size_t>(buf + sizeof buf - p));
}

}  // namespace

HttpServer::GetRoute::GetRoute(const std::string& pattern, Handler h) : re(pattern), handler(std::move(h)) {
  size_t first = pattern.find_first_of(kMeta);
  if (first == std::string::npos) {
    exact = true;
    prefix = pattern;
    return;
  }
  // A literal with escaped characters ("/v1/openapi\.json", route_regex's
  // escaping) is an exact path too.
  std::string literal;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\' && i + 1 < pattern.size() && kMeta.find(pattern[i + 1]) != std::string_view::npos) {
      literal += pattern[++i];
    } else if (kMeta.find(pattern[i]) != std::string_view::npos) {
      literal.clear();
      break;
    } else {
      literal += pattern[i];
    }
    if (i + 1 == pattern.size()) {
      exact = true;
      prefix = literal;
      return;
    }
  }
  // Alternation, anchors or escapes: no literal ends to test first. A '^'
  // right after '[' negates the bracket ("([^/]+)", the route placeholders).
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '[') {
      size_t close = pattern.find(']', i + 2);
      if (close == std::string::npos) return;
      i = close;
    } else if (pattern[i] != '\0' && std::strchr("|^$\\", pattern[i])) {
      return;
    }
  }
  prefix = pattern.substr(0, first);
  // A quantifier binds the character before it: that one is not required.
  if (std::strchr("*+?{", pattern[first]) && !prefix.empty()) prefix.pop_back();
  size_t last = pattern.find_last_of(kMeta);
  suffix = pattern.substr(last + 1);
  // "literal(...)...(...)literal": only the middle needs the regex engine,
  // which costs ~1 us per call, mostly per character.
  if (pattern[first] == '(' && pattern[last] == ')') {
    middle = std::regex(pattern.substr(first, last - first + 1));
    has_middle = true;
    captures = PathCaptures::compile(std::string_view(pattern).substr(first, last - first + 1));
  }
}

HttpServer& HttpServer::Get(const std::string& pattern, Handler handler) {
  get_routes_.emplace_back(pattern, handler);
  httplib::Server::Get(pattern, std::move(handler));
  return *this;
}

HttpServer& HttpServer::set_pre_routing_handler(HandlerWithResponse handler) {
  pre_routing_ = handler;
  httplib::Server::set_pre_routing_handler(std::move(handler));
  return *this;
}

HttpServer& HttpServer::set_error_handler(Handler handler) {
  error_ = handler;
  httplib::Server::set_error_handler(std::move(handler));
  return *this;
}

HttpServer& HttpServer::set_exception_handler(ExceptionHandler handler) {
  exception_ = handler;
  httplib::Server::set_exception_handler(std::move(handler));
  return *this;
}

HttpServer& HttpServer::set_logger(httplib::Logger logger) {
  logger_ = logger;
  httplib::Server::set_logger(std::move(logger));
  return *this;
}

HttpServer::Lean HttpServer::serve_lean_get(Conn* c, ConnStream& strm) {
  std::string_view in(c->data(), c->buffered());
  size_t head_end = in.find("\r\n\r\n");
  if (head_end == std::string_view::npos || head_end > 8192) return Lean::kNotMine;
  std::string_view head = in.substr(0, head_end + 2);
  // Request line: exactly "GET <target> HTTP/1.1".
  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  if (line.size() < 15 || line.compare(0, 4, "GET ") != 0 || line.compare(line.size() - 9, 9, " HTTP/1.1") != 0)
    return Lean::kNotMine;
  std::string_view target = line.substr(4, line.size() - 13);
  // Two memchr over the target, not find_first_of (a memchr per character)
  // nor a loop testing each character twice.
  if (target.empty() || target[0] != '/' || std::memchr(target.data(), ' ', target.size()) ||
      std::memchr(target.data(), '#', target.size()))
    return Lean::kNotMine;
  size_t q = target.find('?');
  if (q != std::string_view::npos && target.find('?', q + 1) != std::string_view::npos) return Lean::kNotMine;

  httplib::Request req;
  bool close = false;
  for (size_t pos = eol + 2; pos < head.size();) {
    size_t end = head.find("\r\n", pos);
    std::string_view h = head.substr(pos, end - pos);
    pos = end + 2;
    size_t colon = h.find(':');
    if (colon == std::string_view::npos || colon == 0) return Lean::kNotMine;
    std::string_view key = h.substr(0, colon), val = h.substr(colon + 1);
    while (!val.empty() && (val.front() == ' ' || val.front() == '\t')) val.remove_prefix(1);
    while (!val.empty() && (val.back() == ' ' || val.back() == '\t')) val.remove_suffix(1);
    if (iequals(key, "content-length")) {
      if (val != "0") return Lean::kNotMine;
    } else if (iequals(key, "transfer-encoding") || iequals(key, "expect") || iequals(key, "range")) {
      return Lean::kNotMine;  // bodies and ranges: httplib's
    } else if (iequals(key, "accept-encoding")) {
      // httplib compresses when it finds "gzip" or "br" in it.
      if (val.find("gzip") != std::string_view::npos || val.find("br") != std::string_view::npos) return Lean::kNotMine;
    } else if (iequals(key, "connection")) {
      if (iequals(val, "close")) close = true;
      else if (!iequals(val, "keep-alive")) return Lean::kNotMine;
    }
    if (val.empty()) continue;  // httplib drops empty values
    req.headers.emplace(std::string(key), url_decode(val, false));  // as httplib does
  }
  c->off += head_end + 4;

  req.method = "GET";
  req.version = "HTTP/1.1";
  req.target = std::string(target);
  req.path = url_decode(target.substr(0, q), false);
  if (q != std::string_view::npos && q + 1 < target.size()) parse_query(target.substr(q + 1), &req.params);
  req.remote_addr = c->peer_ip;
  req.remote_port = c->peer_port;
  req.local_addr = c->local_ip;
  req.local_port = c->local_port;

  httplib::Response res;
  res.version = "HTTP/1.1";
  bool routed = false;
  try {
    if (pre_routing_ && pre_routing_(req, res) == HandlerResponse::Handled) {
      routed = true;
    } else {
      for (const auto& r : get_routes_) {
        if (r.exact ? req.path != r.prefix
                    : (req.path.size() < r.prefix.size() + r.suffix.size() || req.path.compare(0, r.prefix.size(), r.prefix) != 0 ||
                       req.path.compare(req.path.size() - r.suffix.size(), r.suffix.size(), r.suffix) != 0))
          continue;
        if (!r.exact) {
          const size_t mid_end = req.path.size() - r.suffix.size();
          bool m = r.captures     ? r.captures->match(req.path, r.prefix.size(), mid_end, &req.matches)
                   : r.has_middle ? std::regex_match(req.path.cbegin() + static_cast<long>(r.prefix.size()),
                                                   req.path.cend() - static_cast<long>(r.suffix.size()), req.matches,
                                                   r.middle)
                                : std::regex_match(req.path, req.matches, r.re);
          if (!m) continue;
        }
        r.handler(req, res);
        routed = true;
        break;
      }
    }
  } catch (...) {
    if (exception_) {
      exception_(req, res, std::current_exception());
      routed = true;
    } else {
      res.status = 500;
    }
  }
  if (res.status == -1) res.status = routed ? 200 : 404;
  bool ok = write_lean_response(c, strm, req, res, close);
  if (logger_) logger_(req, res);
  if (!ok) return Lean::kClose;
  return close ? Lean::kClose : Lean::kServed;
}

// What httplib's write_response_core does for a GET without ranges or
// compression, writing into the connection's output buffer.
bool HttpServer::write_lean_response(Conn* c, ConnStream& strm, const httplib::Request& req, httplib::Response& res,
                                     bool close) {
  if (res.status >= 400 && error_) error_(req, res);
  // The headers httplib adds (Content-Length, Transfer-Encoding, Connection
  // or Keep-Alive, a default Content-Type) go straight to the output, not
  // through res.headers: same values, no map inserts.
  bool has_type = false, has_length = false;
  for (const auto& [k, v] : res.headers) {
    has_type = has_type || iequals(k, "content-type");
    has_length = has_length || iequals(k, "content-length");
  }
  std::string& out = c->out;
  out += "HTTP/1.1 "sv;
  append_int(&out, static_cast<uint64_t>(res.status));
  out += ' ';
  out += reason_phrase(res.status);
  out += "\r\n"sv;
  for (const auto& [k, v] : res.headers) {
    out += k;
    out += ": "sv;
    out += v;
    out += "\r\n"sv;
  }
  if (!has_length) {
    if (!res.body.empty() || res.content_length_ > 0) {
      out += "Content-Length: "sv;
      append_int(&out, res.body.empty() ? res.content_length_ : res.body.size());
      out += "\r\n"sv;
    } else if (!res.content_provider_) {
      out += "Content-Length: 0\r\n"sv;
    } else if (res.is_chunked_content_provider_) {
      out += "Transfer-Encoding: chunked\r\n"sv;
    }
  }
  if (!has_type && (!res.body.empty() || res.content_length_ > 0 || res.content_provider_))
    out += "Content-Type: text/plain\r\n"sv;
  if (close) {
    out += "Connection: close\r\n"sv;
  } else {
    out += "Keep-Alive: "sv;
    out += keep_alive_value_;
    out += "\r\n"sv;
  }
  out += "\r\n"sv;
  if (!res.body.empty()) {
    if (out.size() + res.body.size() <= ConnStream::kFlushBytes) {
      out += res.body;
    } else {
      bool sent = send_fully(c->fd, out.data(), out.size(), res.body.data(), res.body.size(),
                             static_cast<int>(limits_.write_timeout_s * 1000));
      out.clear();
      if (!sent) return false;
    }
    return true;
  }
  if (!res.content_provider_) return true;
  // A stream (live queries): the head leaves now, then each piece as it comes.
  if (!strm.flush()) return false;
  strm.write_through();
  bool ok = true;
  bool more = true;
  size_t offset = 0;
  const bool chunked = res.is_chunked_content_provider_;
  const size_t length = res.content_length_;
  httplib::DataSink sink;
  sink.write = [&](const char* d, size_t n) -> bool {
    if (!ok || n == 0) return ok;
    offset += n;
    if (chunked) {
      char size[24];
      int k = std::snprintf(size, sizeof size, "%zx\r\n", n);
      std::string piece(size, static_cast<size_t>(k));
      piece.append(d, n);
      piece += "\r\n";
      ok = strm.write(piece.data(), piece.size()) >= 0;
    } else {
      ok = strm.write(d, n) >= 0;
    }
    return ok;
  };
  sink.done = [&] {
    more = false;
    if (ok && chunked) ok = strm.write("0\r\n\r\n", 5) >= 0;
  };
  sink.is_writable = [&] { return ok && strm.is_writable(); };
  while (more && (length == 0 || offset < length) && !stopping()) {
    if (!strm.is_writable() || !res.content_provider_(offset, length ? length - offset : 0, sink) || !ok) {
      ok = false;
      break;
    }
  }
  res.content_provider_success_ = ok;
  // A stream without length or chunking ends with the connection.
  return ok && (chunked || length > 0);
}

}  // namespace meridian::server
