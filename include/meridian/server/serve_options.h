// ServeOptions: the configuration of `meridian serve`, from command-line
// flags and MERIDIAN_* environment variables (a flag wins over its variable,
// a variable over the default). docs/API.md lists every option.
//
//   --data DIR          MERIDIAN_DATA          ./meridian-data
//   --listen HOST:PORT  MERIDIAN_LISTEN        127.0.0.1:7700
//   --threads N         MERIDIAN_THREADS       max(8, 4 × cores) workers kept
//   --max-threads N     MERIDIAN_MAX_THREADS   1024 (the pool grows while none is idle)
//   --max-connections N MERIDIAN_MAX_CONNECTIONS 10000 (beyond: 503 + Retry-After)
//   --max-client-connections N  MERIDIAN_MAX_CLIENT_CONNECTIONS 2048 per client address
//   --keep-alive-timeout S  MERIDIAN_KEEP_ALIVE_TIMEOUT 5
//   --max-body BYTES    MERIDIAN_MAX_BODY      100M (K/M/G suffixes)
//   --master-key KEY    MERIDIAN_MASTER_KEY    none (auth off)
//   --insecure          MERIDIAN_INSECURE=1    off
//   --rate-limit R      MERIDIAN_RATE_LIMIT    0 = off (requests/s per client)
//   --rate-burst B      MERIDIAN_RATE_BURST    = rate
//   --cache-bytes BYTES MERIDIAN_CACHE_BYTES   64M (0 = cache off)
//   --read-timeout S    MERIDIAN_READ_TIMEOUT  30
//   --write-timeout S   MERIDIAN_WRITE_TIMEOUT 30
//   --no-access-log     MERIDIAN_ACCESS_LOG=0  access log on
//   --cors-origin O     MERIDIAN_CORS_ORIGIN   off ('*' or origins, see cors.h)
//   --cluster URLS      MERIDIAN_CLUSTER       none (single node); nats://HOST:PORT,...
//   --node-id NAME      MERIDIAN_NODE_ID       none; required with --cluster
//   --cluster-stream-max-bytes BYTES  MERIDIAN_CLUSTER_STREAM_MAX_BYTES  1G (per shard stream)
//
// Value type; parsing is a pure function (the environment is passed in).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "meridian/base/status.h"

namespace meridian::server {

struct ServeOptions {
  std::string data_dir = "./meridian-data";
  std::string host = "127.0.0.1";
  int port = 7700;
  size_t threads = 0;  // 0 = default from hardware
  size_t max_body = 100u << 20;
  std::string master_key;
  bool insecure = false;
  double rate_limit = 0;
  double rate_burst = 0;
  size_t cache_bytes = 64u << 20;
  // The process-wide TermBitmapCache of decoded term bitmaps (0 = off;
  // its default, postings::TermBitmapCache::kDefaultBytes).
  size_t term_cache_bytes = 32u << 20;
  size_t max_threads = 1024;
  size_t max_connections = 10000;
  size_t max_client_connections = 2048;
  int keep_alive_timeout_s = 5;
  int read_timeout_s = 30;
  int write_timeout_s = 30;
  bool access_log = true;
  std::string cors_origin;  // validated by CorsPolicy::parse; "" = CORS off
  std::vector<std::string> cluster;  // NATS URLs; empty = single node (docs/CLUSTER.md)
  std::string node_id;
  int64_t cluster_stream_max_bytes = int64_t{1} << 30;  // retention of the shard streams this node creates
  bool help = false;  // --help was given
};

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
// The process environment (getenv).
EnvLookup process_env();

Result<ServeOptions> parse_serve_options(const std::vector<std::string>& args, const EnvLookup& env);

// "64M" → 67108864; plain digits are bytes; K, M, G (×1024) suffixes, optional "B"/"iB".
Result<size_t> parse_byte_size(std::string_view s);
// "HOST:PORT", "[::1]:PORT", ":PORT" (host 127.0.0.1) or "PORT".
Status parse_listen(std::string_view s, std::string* host, int* port);
// 127.0.0.0/8, ::1 and "localhost".
bool is_loopback_host(std::string_view host);
// Refuses a non-loopback address without a master key unless insecure.
Status check_listen_security(const ServeOptions& opt);

extern const char* const kServeUsage;

}  // namespace meridian::server
