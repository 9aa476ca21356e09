#include "meridian/server/serve_options.h"

#include <charconv>
#include <cstdlib>
#include <thread>

#include "meridian/server/cors.h"
#include "meridian/cluster/membership.h"
#include "meridian/cluster/nats_client.h"

namespace meridian::server {

const char* const kServeUsage =
    "usage: meridian serve [options]\n"
    "  --data DIR           data directory (MERIDIAN_DATA, default ./meridian-data)\n"
    "  --listen HOST:PORT   address (MERIDIAN_LISTEN, default 127.0.0.1:7700)\n"
    "  --threads N          worker threads kept (MERIDIAN_THREADS, default 4 x cores, at least 8)\n"
    "  --max-threads N      worker threads at most; more start while none is idle (MERIDIAN_MAX_THREADS, default 1024)\n"
    "  --max-connections N  open connections at most; beyond, 503 + Retry-After (MERIDIAN_MAX_CONNECTIONS, default 10000)\n"
    "  --max-client-connections N  open connections per client address (MERIDIAN_MAX_CLIENT_CONNECTIONS, default 2048)\n"
    "  --keep-alive-timeout S  close a keep-alive connection idle this long (MERIDIAN_KEEP_ALIVE_TIMEOUT, default 5)\n"
    "  --max-body BYTES     largest request body, K/M/G suffixes (MERIDIAN_MAX_BODY, default 100M)\n"
    "  --master-key KEY     enables auth (MERIDIAN_MASTER_KEY)\n"
    "  --insecure           allow a non-loopback address without a master key (MERIDIAN_INSECURE=1)\n"
    "  --rate-limit R       requests per second per key or client address, 0 = off (MERIDIAN_RATE_LIMIT)\n"
    "  --rate-burst B       bucket size (MERIDIAN_RATE_BURST, default = rate)\n"
    "  --cache-bytes BYTES  query cache size, 0 = off (MERIDIAN_CACHE_BYTES, default 64M)\n"
    "  --term-cache-bytes BYTES  decoded bitmaps of common terms kept, 0 = off (MERIDIAN_TERM_CACHE_BYTES, default 32M)\n"
    "  --read-timeout S     a request head must arrive within S of its first byte; also each body read (MERIDIAN_READ_TIMEOUT, default 30)\n"
    "  --write-timeout S    socket write timeout (MERIDIAN_WRITE_TIMEOUT, default 30)\n"
    "  --no-access-log      no JSON access log on stderr (MERIDIAN_ACCESS_LOG=0)\n"
    "  --cors-origin ORIGINS  browser origins allowed to call the API: '*' or a comma-separated list (MERIDIAN_CORS_ORIGIN, default off)\n"
    "  --cluster URLS       join a cluster on NATS JetStream: nats://HOST:PORT[,...] (MERIDIAN_CLUSTER; docs/CLUSTER.md)\n"
    "  --node-id NAME       this node's id in the cluster, [A-Za-z0-9_-]{1,64} (MERIDIAN_NODE_ID)\n"
    "  --cluster-stream-max-bytes BYTES  retention of each shard stream this node creates (default 1G;\n"
    "                       MERIDIAN_CLUSTER_STREAM_MAX_BYTES); older messages are dropped\n";

namespace {

Result<int64_t> parse_int(std::string_view s, std::string_view what, int64_t lo, int64_t hi) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi)
    return Status::invalid(std::string(what) + ": expected an integer in [" + std::to_string(lo) + ", " +
                           std::to_string(hi) + "], got '" + std::string(s) + "'");
  return v;
}

Result<double> parse_double(std::string_view s, std::string_view what) {
  std::string str(s);
  if (!str.empty() && str.size() > 2 && str.substr(str.size() - 2) == "/s") str.resize(str.size() - 2);
  char* end = nullptr;
  double v = std::strtod(str.c_str(), &end);
  if (str.empty() || end != str.c_str() + str.size() || !(v >= 0) || v > 1e9)
    return Status::invalid(std::string(what) + ": expected a non-negative number, got '" + std::string(s) + "'");
  return v;
}

Result<bool> parse_bool(std::string_view s, std::string_view what) {
  if (s == "1" || s == "true" || s == "yes" || s == "on") return true;
  if (s == "0" || s == "false" || s == "no" || s == "off" || s.empty()) return false;
  return Status::invalid(std::string(what) + ": expected 1/0/true/false, got '" + std::string(s) + "'");
}

// Applies one setting by its flag name (without "--").
Status apply(ServeOptions* o, const std::string& key, const std::string& v, const std::string& what) {
  if (key == "data") {
    if (v.empty()) return Status::invalid(what + ": empty directory");
    o->data_dir = v;
  } else if (key == "listen") {
    return parse_listen(v, &o->host, &o->port).with_context(what);
  } else if (key == "threads") {
    MERIDIAN_ASSIGN_OR_RETURN(int64_t n, parse_int(v, what, 1, 1024));
    o->threads = static_cast<size_t>(n);
  } else if (key == "max-threads") {
    MERIDIAN_ASSIGN_OR_RETURN(int64_t n, parse_int(v, what, 1, 16384));
    o->max_threads = static_cast<size_t>(n);
  } else if (key == "max-connections") {
    MERIDIAN_ASSIGN_OR_RETURN(int64_t n, parse_int(v, what, 1, 1000000));
    o->max_connections = static_cast<size_t>(n);
  } else if (key == "max-client-connections") {
    MERIDIAN_ASSIGN_OR_RETURN(int64_t n, parse_int(v, what, 1, 1000000));
    o->max_client_connections = static_cast<size_t>(n);
  } else if (key == "keep-alive-timeout") {
    MERIDIAN_ASSIGN_OR_RETURN(int64_t n, parse_int(v, what, 1, 3600));
    o->keep_alive_timeout_s = static_cast<int>(n);
  } else if (key == "max-body") {
    auto n = parse_byte_size(v);
    if (!n) return n.status().with_context(what);
    if (*n == 0) return Status::invalid(what + ": must be > 0");
    o->max_body = *n;
  } else if (key == "master-key") {
    if (!v.empty() && v.size() < 16) return Status::invalid(what + ": a master key needs at least 16 characters");
    o->master_key = v;
  } else if (key == "insecure") {
    MERIDIAN_ASSIGN_OR_RETURN(o->insecure, parse_bool(v, what));
  } else if (key == "rate-limit") {
    MERIDIAN_ASSIGN_OR_RETURN(o->rate_limit, parse_double(v, what));
  } else if (key == "rate-burst") {
    MERIDIAN_ASSIGN_OR_RETURN(o->rate_burst, parse_double(v, what));
  } else if (key == "cache-bytes") {
    auto n = parse_byte_size(v);
    if (!n) return n.status().with_context(what);
    o->cache_bytes = *n;
  } else if (key == "term-cache-bytes") {
    auto n = parse_byte_size(v);
    if (!n) return n.status().with_context(what);
    o->term_cache_bytes = *n;
  } else if (key == "read-timeout") {
    MERIDIAN_ASSIGN_OR_RETURN(int64_t n, parse_int(v, what, 1, 3600));
    o->read_timeout_s = static_cast<int>(n);
  } else if (key == "write-timeout") {
    MERIDIAN_ASSIGN_OR_RETURN(int64_t n, parse_int(v, what, 1, 3600));
    o->write_timeout_s = static_cast<int>(n);
  } else if (key == "cors-origin") {
    auto p = CorsPolicy::parse(v);
    if (!p) return Status::invalid(what + ": " + p.status().message().substr(p.status().message().find(": ") + 2));
    o->cors_origin = v;
  } else if (key == "access-log") {
    MERIDIAN_ASSIGN_OR_RETURN(o->access_log, parse_bool(v, what));
  } else if (key == "cluster") {
    auto urls = cluster::parse_server_list(v);
    if (!urls) return Status::invalid(what + ": " + urls.status().message());
    o->cluster = std::move(*urls);
  } else if (key == "cluster-stream-max-bytes") {
    auto n = parse_byte_size(v);
    if (!n) return n.status().with_context(what);
    if (*n < 1024) return Status::invalid(what + ": must be at least 1K");
    o->cluster_stream_max_bytes = static_cast<int64_t>(*n);
  } else if (key == "node-id") {
    if (Status st = cluster::validate_node_id(v); !st) return Status::invalid(what + ": " + st.message());
    o->node_id = v;
  } else {
    return Status::invalid("unknown option '--" + key + "'");
  }
  return Status::ok();
}

struct EnvVar {
  const char* env;
  const char* key;
};
constexpr EnvVar kEnv[] = {
    {"MERIDIAN_DATA", "data"},           {"MERIDIAN_LISTEN", "listen"},
    {"MERIDIAN_THREADS", "threads"},     {"MERIDIAN_MAX_BODY", "max-body"},
    {"MERIDIAN_MASTER_KEY", "master-key"}, {"MERIDIAN_INSECURE", "insecure"},
    {"MERIDIAN_RATE_LIMIT", "rate-limit"}, {"MERIDIAN_RATE_BURST", "rate-burst"},
    {"MERIDIAN_CACHE_BYTES", "cache-bytes"}, {"MERIDIAN_READ_TIMEOUT", "read-timeout"},
    {"MERIDIAN_TERM_CACHE_BYTES", "term-cache-bytes"},
    {"MERIDIAN_WRITE_TIMEOUT", "write-timeout"}, {"MERIDIAN_ACCESS_LOG", "access-log"},
    {"MERIDIAN_MAX_THREADS", "max-threads"}, {"MERIDIAN_MAX_CONNECTIONS", "max-connections"},
    {"MERIDIAN_MAX_CLIENT_CONNECTIONS", "max-client-connections"},
    {"MERIDIAN_KEEP_ALIVE_TIMEOUT", "keep-alive-timeout"},
    {"MERIDIAN_CORS_ORIGIN", "cors-origin"},
    {"MERIDIAN_CLUSTER", "cluster"},     {"MERIDIAN_NODE_ID", "node-id"},
    {"MERIDIAN_CLUSTER_STREAM_MAX_BYTES", "cluster-stream-max-bytes"},
};

}  // namespace

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

Result<size_t> parse_byte_size(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i == 0 || i > 15) return Status::invalid("expected a size like 1048576, 512K, 64M or 1G, got '" + std::string(s) + "'");
  uint64_t n = 0;
  std::from_chars(s.data(), s.data() + i, n);
  std::string_view suf = s.substr(i);
  uint64_t mul = 1;
  if (!suf.empty()) {
    char c = suf[0];
    if (c == 'k' || c == 'K') mul = 1ull << 10;
    else if (c == 'm' || c == 'M') mul = 1ull << 20;
    else if (c == 'g' || c == 'G') mul = 1ull << 30;
    else if (c != 'b' && c != 'B') return Status::invalid("unknown size suffix in '" + std::string(s) + "'");
    std::string_view rest = suf.substr(mul == 1 ? 0 : 1);
    if (!(rest.empty() || rest == "B" || rest == "b" || rest == "iB"))
      return Status::invalid("unknown size suffix in '" + std::string(s) + "'");
  }
  if (n > (uint64_t{1} << 50) / mul) return Status::invalid("size too large: '" + std::string(s) + "'");
  return static_cast<size_t>(n * mul);
}

Status parse_listen(std::string_view s, std::string* host, int* port) {
  std::string_view h, p;
  if (!s.empty() && s[0] == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':')
      return Status::invalid("expected [ADDR]:PORT, got '" + std::string(s) + "'");
    h = s.substr(1, close - 1);
    p = s.substr(close + 2);
  } else {
    size_t colon = s.rfind(':');
    if (colon == std::string_view::npos) {
      p = s;
      h = "127.0.0.1";
    } else {
      h = s.substr(0, colon);
      p = s.substr(colon + 1);
      if (h.empty()) h = "127.0.0.1";
    }
  }
  auto n = parse_int(p, "port", 0, 65535);
  if (!n) return Status::invalid("expected HOST:PORT, got '" + std::string(s) + "'");
  *host = std::string(h);
  *port = static_cast<int>(*n);
  return Status::ok();
}

bool is_loopback_host(std::string_view h) {
  return h == "localhost" || h == "::1" || h.substr(0, 4) == "127.";
}

Status check_listen_security(const ServeOptions& o) {
  if (is_loopback_host(o.host) || !o.master_key.empty() || o.insecure) return Status::ok();
  return Status::invalid("refusing to listen on non-loopback address " + o.host +
                         " without a master key (--master-key or MERIDIAN_MASTER_KEY); "
                         "pass --insecure to do it anyway");
}

Result<ServeOptions> parse_serve_options(const std::vector<std::string>& args, const EnvLookup& env) {
  ServeOptions o;
  for (const auto& e : kEnv) {
    if (auto v = env(e.env)) MERIDIAN_RETURN_IF_ERROR(apply(&o, e.key, *v, e.env));
  }
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    if (a == "--help" || a == "-h") {
      o.help = true;
      continue;
    }
    if (a.size() < 3 || a.substr(0, 2) != "--") return Status::invalid("unexpected argument '" + a + "'");
    std::string key = a.substr(2), value;
    size_t eq = key.find('=');
    bool has_value = eq != std::string::npos;
    if (has_value) {
      value = key.substr(eq + 1);
      key.resize(eq);
    }
    if (key == "insecure" && !has_value) {
      o.insecure = true;
      continue;
    }
    if (key == "no-access-log" && !has_value) {
      o.access_log = false;
      continue;
    }
    if (!has_value) {
      if (i + 1 >= args.size()) return Status::invalid("--" + key + " needs a value");
      value = args[++i];
    }
    MERIDIAN_RETURN_IF_ERROR(apply(&o, key, value, "--" + key));
  }
  // Idle connections hold no worker (HttpServer parks them), so the pool
  // only covers requests running at once; it grows to --max-threads.
  if (o.threads == 0) o.threads = std::max<size_t>(8, 4 * std::max(1u, std::thread::hardware_concurrency()));
  if (o.max_threads < o.threads) o.max_threads = o.threads;
  if (!o.cluster.empty() && o.node_id.empty())
    return Status::invalid("--cluster needs --node-id NAME (or MERIDIAN_NODE_ID)");
  if (o.cluster.empty() && !o.node_id.empty())
    return Status::invalid("--node-id is only meaningful with --cluster nats://HOST:PORT,... (or MERIDIAN_CLUSTER)");
  return o;
}

}  // namespace meridian::server
