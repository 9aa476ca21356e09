#include "meridian/server/server.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "meridian/base/file.h"
#include "meridian/base/json_syntax.h"
#include "meridian/postings/term_bitmap_cache.h"
#include "meridian/server/access_log.h"
#include "server_impl.h"

namespace meridian::server {
namespace {

// Per-request context carried from the pre-routing handler to the logger
// (httplib runs both on the same worker thread, one request at a time).
struct RequestContext {
  double start_s = 0;
  std::string route;
  std::string key = "-";
  std::optional<Principal> principal;
  // A refusal decided before the request body was read: answered by the
  // route (guarded) or the error handler once httplib has read the body.
  std::optional<httplib::Response> refusal;

  // A fresh context that keeps the route string's buffer (no allocation
  // per request for a long route name).
  void reset() {
    start_s = 0;
    route.clear();
    key.assign("-");
    principal.reset();
    refusal.reset();
  }
};
thread_local RequestContext t_ctx;

// Header names looked up on every request, built once (httplib's lookups
// take a const std::string&).
const std::string kContentLength = "Content-Length";
const std::string kContentType = "Content-Type";
const std::string kTransferEncoding = "Transfer-Encoding";
const std::string kRequestId = "X-Request-Id";
const std::string kOtherRoute = "other";

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

// {"status":"ok"}, or "degraded" with the first index's reason and every
// degraded index's reason (an index refusing writes after an I/O error).
Json health_json(const index::Engine& engine) {
  Json out = Json::object();
  Json bad = Json::object();
  std::string reason;
  for (const auto& name : engine.list()) {
    auto idx = engine.get(name);
    if (!idx) continue;
    Status h = (*idx)->health();
    if (h.is_ok()) continue;
    if (reason.empty()) reason = h.message();
    bad.set(name, Json(h.message()));
  }
  out.set("status", Json(reason.empty() ? "ok" : "degraded"));
  if (!reason.empty()) {
    out.set("reason", Json(reason));
    out.set("indexes", std::move(bad));
  }
  return out;
}

// httplib's default socket options add SO_REUSEPORT, with which a second
// server binds the same port and the kernel splits the connections between
// the two. SO_REUSEADDR alone still allows a restart while old connections
// sit in TIME_WAIT, but not a second listener.
void listen_socket_options(socket_t sock) {
  int yes = 1;
  setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
}

// Why host:port cannot be bound ("address already in use"): httplib only
// says that it failed, so the bind is tried once more on a probe socket.
std::string bind_failure(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* ai = nullptr;
  std::string service = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &ai); rc != 0) return gai_strerror(rc);
  std::string why = "unknown reason";
  for (addrinfo* a = ai; a; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    listen_socket_options(fd);
    int rc = ::bind(fd, a->ai_addr, a->ai_addrlen);
    int err = errno;
    ::close(fd);
    if (rc != 0) {
      why = err == EADDRINUSE ? "address already in use (another server listens on this port?)" : std::strerror(err);
      break;
    }
  }
  freeaddrinfo(ai);
  return why;
}

// A request body with no framing is an empty body. With neither
// Content-Length nor Transfer-Encoding, httplib reads a PUT/POST body until
// the client closes the connection, so `curl -XPUT url` waited for the read
// timeout. And curl -d labels JSON application/x-www-form-urlencoded, which
// httplib parses into query parameters and refuses above 8 KiB with a 413;
// every body this API takes is JSON (or NDJSON), so it is read as JSON.
// Runs before httplib reads the body; the request object is httplib's own
// (mutable) one, handed to this hook as const.
void normalize_body_headers(const httplib::Request& creq) {
  auto& req = const_cast<httplib::Request&>(creq);
  if (!req.has_header(kContentLength) && !req.has_header(kTransferEncoding)) req.headers.emplace(kContentLength, "0");
  auto ct = req.headers.find(kContentType);
  if (ct != req.headers.end() && ct->second.rfind("application/x-www-form-urlencoded", 0) == 0)
    ct->second = "application/json";
}

}  // namespace

const std::optional<Principal>& current_principal() { return t_ctx.principal; }

ServerImpl::ServerImpl(ServeOptions opt, std::unique_ptr<index::Engine> engine, std::unique_ptr<KeyStore> keys)
    : opt_(std::move(opt)),
      engine_(std::move(engine)),
      keys_(std::move(keys)),
      http_(ConnectionLimits{opt_.threads, opt_.max_threads, opt_.max_connections, opt_.max_client_connections,
                             opt_.keep_alive_timeout_s, opt_.read_timeout_s, opt_.write_timeout_s}),
      limiter_(RateLimitOptions{opt_.rate_limit, opt_.rate_burst}),
      cache_(opt_.cache_bytes) {
  if (auto c = CorsPolicy::parse(opt_.cors_origin)) cors_ = std::move(*c);  // validated by parse_serve_options
  static_assert(ServeOptions{}.term_cache_bytes == postings::TermBitmapCache::kDefaultBytes);
  postings::term_bitmap_cache().set_max_bytes(opt_.term_cache_bytes);
}

void ServerImpl::send_json(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "application/json");
}

void ServerImpl::send_json(httplib::Response& res, int status, std::string&& body) {
  res.status = status;
  res.body = std::move(body);  // what set_content does, without copying the body
  res.headers.erase(kContentType);
  res.headers.emplace(kContentType, "application/json");
}

void ServerImpl::send_error(httplib::Response& res, const Status& st, const Json& extra) {
  send_json(res, http_status(st.code()), error_body(st, extra));
}

void ServerImpl::send_error(httplib::Response& res, int status, std::string_view reason, const Json& extra) {
  send_json(res, status, error_body(error_type_for_http(status), reason, extra));
}

std::optional<Json> ServerImpl::parse_body(const httplib::Request& req, httplib::Response& res, bool allow_empty) {
  size_t i = 0;
  while (i < req.body.size() && std::isspace(static_cast<unsigned char>(req.body[i]))) ++i;
  if (i == req.body.size()) {
    if (allow_empty) return Json();
    send_error(res, 400, "request body: expected a JSON document, got nothing");
    return std::nullopt;
  }
  auto j = parse_json(req.body);
  if (j) return std::move(*j);
  Json extra = Json::object();
  if (size_t col = invalid_utf8_offset(req.body)) {
    extra.set("column", Json(static_cast<int64_t>(col)));
    send_error(res, 400, "request body: invalid UTF-8", extra);
  } else {
    JsonSyntaxError se = find_json_syntax_error(req.body);
    if (se.found) {
      extra.set("line", Json(static_cast<int64_t>(se.line)));
      extra.set("column", Json(static_cast<int64_t>(se.column)));
    }
    send_error(res, 400, "request body: " + j.status().message(), extra);
  }
  return std::nullopt;
}

std::string ServerImpl::resolve_alias(const std::string& name) const {
  if (!aliases_) return name;
  if (auto target = aliases_->resolve(name)) return *target;
  if (cluster_aliases_ && !engine_->get(name))
    if (auto target = cluster_aliases_->resolve(name)) return *target;
  return name;
}

std::shared_ptr<index::Index> ServerImpl::find_index(const std::string& name, httplib::Response& res, bool through_alias) {
  Status st = index::validate_index_name(name);
  if (!st.is_ok()) {
    send_error(res, st, Json(Json::Object{{"path", Json("index")}}));
    return nullptr;
  }
  auto idx = engine_->get(through_alias ? resolve_alias(name) : name);
  if (!idx && !through_alias && aliases_ && aliases_->resolve(name)) {
    send_error(res, 400, "'" + name + "' is an alias of '" + *aliases_->resolve(name) +
                             "', not an index (manage it with /v1/aliases/" + name + ")",
               Json(Json::Object{{"index", Json(name)}}));
    return nullptr;
  }
  if (!idx && cluster_ && clustered(name)) {
    send_error(res, 501,
               "index '" + name + "' is clustered: this route is not supported on a clustered index yet "
               "(docs/CLUSTER.md lists the routes that are)",
               Json(Json::Object{{"index", Json(name)}}));
    return nullptr;
  }
  if (!idx) {
    send_error(res, 404, "no such index '" + name + "'", Json(Json::Object{{"index", Json(name)}}));
    return nullptr;
  }
  return *idx;
}

std::optional<index::WriteOptions> ServerImpl::write_options(const httplib::Request& req, httplib::Response& res) {
  index::WriteOptions w;
  if (!req.has_param("refresh")) return w;
  std::string v = req.get_param_value("refresh");
  if (v == "wait_for" || v == "true" || v.empty()) {
    w.wait_visible = true;
  } else if (v != "false") {
    send_error(res, 400, "refresh: expected wait_for, true or false, got '" + v + "'",
               Json(Json::Object{{"path", Json("refresh")}}));
    return std::nullopt;
  }
  return w;
}

httplib::Server::Handler ServerImpl::guarded(httplib::Server::Handler h) {
  return [h = std::move(h)](const httplib::Request& req, httplib::Response& res) {
    if (t_ctx.refusal) {
      res = std::move(*t_ctx.refusal);
      t_ctx.refusal.reset();
      return;
    }
    h(req, res);
  };
}

httplib::Server::Handler ServerImpl::checked(RequestCheck check, httplib::Server::Handler h) {
  return [check = std::move(check), h = std::move(h)](const httplib::Request& req, httplib::Response& res) {
    thread_local std::vector<std::string_view> segments;  // its buffer reused: no allocation per request
    segments.clear();
    for (size_t i = 1; i < req.matches.size(); ++i) segments.emplace_back(req.matches[i].first, req.matches[i].second);
    std::string path;
    size_t column = 0;
    if (Status st = check.check(segments, req.params, &path, &column); !st.is_ok()) {
      Json extra = Json::object();
      extra.set("path", Json(path));
      if (column) extra.set("column", Json(static_cast<int64_t>(column)));
      return send_error(res, st, extra);
    }
    h(req, res);
  };
}

void ServerImpl::route(std::string_view method, std::string_view pattern, httplib::Server::Handler h) {
  const RouteSpec* spec = find_route(method, pattern);
  if (!spec) {
    route_errors_.push_back(std::string(method) + " " + std::string(pattern) + " has a handler but no line in the route table");
    return;
  }
  registered_.insert(spec);
  std::string re = route_regex(pattern);
  if (pattern.starts_with("/v1/")) h = checked(RequestCheck(method, pattern), std::move(h));
  auto g = guarded(std::move(h));
  if (method == "GET") http_.Get(re, std::move(g));
  else if (method == "POST") http_.Post(re, std::move(g));
  else if (method == "PUT") http_.Put(re, std::move(g));
  else if (method == "PATCH") http_.Patch(re, std::move(g));
  else if (method == "DELETE") http_.Delete(re, std::move(g));
  else route_errors_.push_back(std::string(method) + " " + std::string(pattern) + ": unsupported method");
}

Status ServerImpl::check_routes() const {
  std::string problems;
  for (const auto& e : route_errors_) problems += (problems.empty() ? "" : "; ") + e;
  for (const auto& r : route_table()) {
    if (registered_.count(&r)) continue;
    problems += (problems.empty() ? "" : "; ") + std::string(r.method) + " " + std::string(r.pattern) +
                " is in the route table but has no handler";
  }
  if (problems.empty()) return Status::ok();
  return Status::internal("route table: " + problems);
}

void ServerImpl::install_routes() {
  // Threads, timeouts and connection limits: HttpServer (http_server.h).
  // Connections end at the idle timeout, not after N requests (a client
  // made to reconnect only pays the handshake again).
  http_.set_tcp_nodelay(true);
  http_.set_keep_alive_max_count(100000000);
  http_.set_payload_max_length(opt_.max_body);
  http_.set_socket_options(listen_socket_options);

  // A request refused here (401, 403, 429) has not had its body read: on a
  // keep-alive connection those bytes would be parsed as the next request
  // (and httplib keeps the connection open whatever the answer says). So a
  // refused request with a body is let through to be read, and its route
  // answers with the refusal instead of running (guarded()).
  auto refuse = [](const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value<uint64_t>("Content-Length") == 0 && !req.has_header("Transfer-Encoding"))
      return httplib::Server::HandlerResponse::Handled;
    t_ctx.refusal = std::move(res);
    res = httplib::Response();
    return httplib::Server::HandlerResponse::Unhandled;
  };
  http_.set_pre_routing_handler([this, refuse](const httplib::Request& req, httplib::Response& res) {
    t_ctx.reset();
    t_ctx.start_s = monotonic_seconds();
    // A GET or HEAD announcing no body has none to read: its headers need no
    // normalizing. One that announces a body is normalized as any other
    // request (newer httplib versions read it, and parse a form body into
    // the parameters).
    if ((req.method != "GET" && req.method != "HEAD") || req.has_header(kContentLength) ||
        req.has_header(kTransferEncoding))
      normalize_body_headers(req);
    // Printable ASCII only (request_id_from): no CR/LF for set_header to refuse.
    res.headers.emplace(kRequestId, request_id_from(req.get_header_value(kRequestId)));
    RouteInfo info = classify_route(req.method, req.path);
    t_ctx.route = info.name;
    std::optional<std::string> cors_origin;
    if (cors_.enabled()) cors_origin = cors_.allow_origin(req.get_header_value("Origin"));
    if (cors_origin) {  // on every answer, refusals included, so the browser shows them
      res.set_header("Access-Control-Allow-Origin", *cors_origin);
      if (*cors_origin != "*") res.set_header("Vary", "Origin");
      res.set_header("Access-Control-Expose-Headers", std::string(CorsPolicy::kExposeHeaders));
    }
    if (info.match == RouteMatch::kPreflight) {
      res.status = 204;
      res.set_header("Allow", info.allow);
      if (cors_origin) {
        res.set_header("Access-Control-Allow-Methods", info.allow);
        res.set_header("Access-Control-Allow-Headers", std::string(CorsPolicy::kAllowHeaders));
        res.set_header("Access-Control-Max-Age", std::to_string(CorsPolicy::kMaxAgeSeconds));
      }
      return httplib::Server::HandlerResponse::Handled;
    }
    if (keys_->enabled() && info.needs_auth) {
      auto who = keys_->authenticate(req.get_header_value("Authorization"));
      if (!who) {
        res.set_header("WWW-Authenticate", "Bearer");
        send_error(res, 401, req.has_header("Authorization") ? "unknown API key" : "missing Authorization: Bearer <key>");
        return refuse(req, res);
      }
      t_ctx.key = who->id();
      t_ctx.principal = who;
      // Through an alias, the key needs the scope on the index it points to.
      const std::string target = resolve_alias(info.index);
      if (info.match == RouteMatch::kFound && !who->allows(info.scope, target)) {
        std::string why = who->denial(info.scope, target);
        if (target != info.index) why += " (behind alias '" + info.index + "')";
        send_error(res, 403, why);
        return refuse(req, res);
      }
    }
    // Fail closed: a route not in the table is refused after authentication.
    if (info.match == RouteMatch::kUnknown) {
      send_error(res, 404, "no route for " + req.method + " " + req.path);
      return refuse(req, res);
    }
    if (info.match == RouteMatch::kWrongMethod) {
      res.set_header("Allow", info.allow);
      send_error(res, 405, "method " + req.method + " not allowed on " + std::string(info.name) + " (allowed: " +
                               info.allow + ")");
      return refuse(req, res);
    }
    if (limiter_.enabled() && info.name != "/health") {
      std::string client = t_ctx.principal ? "key:" + t_ctx.key : "addr:" + req.remote_addr;
      auto d = limiter_.take(client, monotonic_seconds());
      if (!d.allowed) {
        int secs = std::max(1, static_cast<int>(std::ceil(d.retry_after_s)));
        res.set_header("Retry-After", std::to_string(secs));
        send_error(res, 429, "rate limit exceeded; retry after " + std::to_string(secs) + " s",
                   Json(Json::Object{{"retry_after_s", Json(static_cast<int64_t>(secs))}}));
        return refuse(req, res);
      }
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  http_.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (t_ctx.refusal && res.status == 404) {  // refused, and no route either: the refusal wins
      res = std::move(*t_ctx.refusal);
      t_ctx.refusal.reset();
      return;
    }
    if (!res.body.empty() || res.status < 400) return;
    std::string reason;
    if (res.status == 404) reason = "no route for " + req.method + " " + req.path;
    else if (res.status == 413) reason = "request body larger than the limit (--max-body)";
    else if (res.status == 405) reason = "method not allowed";
    else reason = "HTTP " + std::to_string(res.status);
    res.set_content(error_body(error_type_for_http(res.status), reason), "application/json");
  });

  http_.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    send_error(res, 500, "internal error: " + what);
  });

  http_.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    double now = monotonic_seconds();
    double elapsed = t_ctx.start_s > 0 ? now - t_ctx.start_s : 0;
    const std::string& route = t_ctx.route.empty() ? kOtherRoute : t_ctx.route;
    metrics_.record(route, req.method, res.status, elapsed);
    if (opt_.access_log) {
      AccessLogEntry e;
      std::string rid = res.get_header_value("X-Request-Id");
      e.id = rid;
      e.method = req.method;
      e.path = req.path;
      e.route = route;
      e.client = req.remote_addr;
      e.key = t_ctx.key;
      e.status = res.status;
      e.ms = elapsed * 1000;
      e.bytes = res.body.size();
      std::string line = access_log_line(e, unix_ms());
      std::fwrite(line.data(), 1, line.size(), stderr);
    }
    t_ctx.reset();
  });

  route("GET", "/health", [this](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, health_json(*engine_).dump());
  });
  route("GET", "/v1/openapi.json", [](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, openapi_document());
  });
  install_index_routes();
  install_search_routes();
  install_change_routes();
  install_source_routes();
  install_alias_routes();
  install_doc_op_routes();
  install_multi_search_routes();
  install_backup_routes();
  install_settings_routes();
  install_cluster_routes();
  install_snapshot_routes();
  install_clustered_routes();
  install_clustered_watch_routes();
  install_clustered_write_routes();
  install_clustered_admin_routes();
  install_compat_routes();  // after the native routes: "/{index}" must not shadow "/health"
  install_compat_search_routes();
  install_compat_bulk_routes();
  install_console_routes();
}

Server::Server(std::unique_ptr<ServerImpl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;

Result<std::unique_ptr<Server>> Server::open(const ServeOptions& opt) {
  MERIDIAN_RETURN_IF_ERROR(check_listen_security(opt));
  MERIDIAN_RETURN_IF_ERROR(fs::ensure_dir(opt.data_dir));
  MERIDIAN_ASSIGN_OR_RETURN(auto engine, index::Engine::open(opt.data_dir));
  MERIDIAN_ASSIGN_OR_RETURN(auto keys, KeyStore::open(fs::join(opt.data_dir, "keys.json"), opt.master_key));
  auto impl = std::make_unique<ServerImpl>(opt, std::move(engine), std::move(keys));
  MERIDIAN_ASSIGN_OR_RETURN(impl->aliases_, AliasStore::open(fs::join(opt.data_dir, "aliases.json")));
  index::Engine* eng = impl->engine_.get();
  MERIDIAN_ASSIGN_OR_RETURN(impl->sources_, cdc::SourceManager::open(opt.data_dir, [eng](const std::string& name) {
                              return eng->get(name);
                            }));
  for (const auto& name : impl->engine_->list()) {
    if (auto idx = impl->engine_->get(name)) impl->hub_.attach(*idx);
  }
  impl->install_routes();
  MERIDIAN_RETURN_IF_ERROR(impl->check_routes());
  impl->sources_->start_all();
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Result<int> Server::bind() {
  auto& s = *impl_;
  if (s.opt_.port == 0) {
    int p = s.http_.bind_to_any_port(s.opt_.host);
    if (p <= 0) return Status::io_error("cannot bind " + s.opt_.host + ":0");
    s.port_ = p;
  } else {
    if (!s.http_.bind_to_port(s.opt_.host, s.opt_.port))
      return Status::io_error("cannot bind " + s.opt_.host + ":" + std::to_string(s.opt_.port) + ": " +
                              bind_failure(s.opt_.host, s.opt_.port));
    s.port_ = s.opt_.port;
  }
  s.http_.widen_backlog(4096);
  MERIDIAN_RETURN_IF_ERROR(s.start_cluster());
  return s.port_;
}

Status Server::run() {
  if (!impl_->http_.listen_after_bind() && !impl_->stopping_)
    return Status::io_error("listener stopped unexpectedly");
  return Status::ok();
}

void Server::stop() {
  impl_->stopping_ = true;
  impl_->hub_.close_all();
  impl_->http_.stop();
}

Status Server::close() {
  impl_->stop_cluster();        // deregisters, commits its replicas
  impl_->sources_->stop_all();  // commits what they applied
  return impl_->engine_->close();
}

}  // namespace meridian::server
