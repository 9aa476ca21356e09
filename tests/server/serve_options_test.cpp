#include <doctest/doctest.h>

#include <map>

#include "meridian/server/serve_options.h"

using namespace meridian;
using namespace meridian::server;

namespace {
EnvLookup env_of(std::map<std::string, std::string> m) {
  return [m](const std::string& k) -> std::optional<std::string> {
    auto it = m.find(k);
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}
}  // namespace

TEST_CASE("serve_options: defaults") {
  auto o = parse_serve_options({}, env_of({}));
  REQUIRE(o.is_ok());
  CHECK(o->data_dir == "./meridian-data");
  CHECK(o->host == "127.0.0.1");
  CHECK(o->port == 7700);
  CHECK(o->threads >= 8);
  CHECK(o->max_threads >= o->threads);
  CHECK(o->max_connections == 10000);
  CHECK(o->max_client_connections == 2048);
  CHECK(o->keep_alive_timeout_s == 5);
  CHECK(o->max_body == 100u << 20);
  CHECK(o->master_key.empty());
  CHECK(o->cache_bytes == 64u << 20);
  CHECK(o->rate_limit == 0);
  CHECK(o->access_log);
}

TEST_CASE("serve_options: environment variables apply and flags win over them") {
  auto env = env_of({{"MERIDIAN_DATA", "/env/data"}, {"MERIDIAN_LISTEN", "0.0.0.0:9000"},
                     {"MERIDIAN_THREADS", "3"}, {"MERIDIAN_MAX_BODY", "2M"},
                     {"MERIDIAN_MASTER_KEY", "env-master-key-123456"}, {"MERIDIAN_RATE_LIMIT", "50"},
                     {"MERIDIAN_CACHE_BYTES", "0"}, {"MERIDIAN_TERM_CACHE_BYTES", "8M"}});
  auto o = parse_serve_options({}, env);
  REQUIRE(o.is_ok());
  CHECK(o->data_dir == "/env/data");
  CHECK(o->host == "0.0.0.0");
  CHECK(o->port == 9000);
  CHECK(o->threads == 3);
  CHECK(o->max_body == 2u << 20);
  CHECK(o->master_key == "env-master-key-123456");
  CHECK(o->rate_limit == 50);
  CHECK(o->cache_bytes == 0);
  CHECK(o->term_cache_bytes == 8u << 20);
  CHECK(parse_serve_options({}, env_of({}))->term_cache_bytes == 32u << 20);
  CHECK(parse_serve_options({"--term-cache-bytes", "0"}, env)->term_cache_bytes == 0);
  auto f = parse_serve_options({"--data", "/flag", "--listen=127.0.0.1:1234", "--threads", "5", "--max-body", "1K",
                                "--insecure", "--no-access-log", "--rate-limit", "10/s", "--rate-burst", "20"},
                               env);
  REQUIRE(f.is_ok());
  CHECK(f->data_dir == "/flag");
  CHECK(f->port == 1234);
  CHECK(f->threads == 5);
  CHECK(f->max_body == 1024);
  CHECK(f->insecure);
  CHECK_FALSE(f->access_log);
  CHECK(f->rate_limit == 10);
  CHECK(f->rate_burst == 20);
}

TEST_CASE("serve_options: bad values are errors naming the flag or variable") {
  auto a = parse_serve_options({"--threads", "zero"}, env_of({}));
  CHECK(a.status().message().find("--threads") != std::string::npos);
  auto b = parse_serve_options({}, env_of({{"MERIDIAN_MAX_BODY", "12Q"}}));
  CHECK(b.status().message().find("MERIDIAN_MAX_BODY") != std::string::npos);
  CHECK_FALSE(parse_serve_options({"--bogus", "1"}, env_of({})).is_ok());
  auto t = parse_serve_options({"--term-cache-bytes", "lots"}, env_of({}));
  CHECK(t.status().message().find("--term-cache-bytes") != std::string::npos);
  CHECK_FALSE(parse_serve_options({"--data"}, env_of({})).is_ok());
  CHECK_FALSE(parse_serve_options({"--master-key", "short"}, env_of({})).is_ok());
  CHECK_FALSE(parse_serve_options({"--listen", "host:99999"}, env_of({})).is_ok());
}

TEST_CASE("serve_options: sizes, listen addresses and loopback") {
  CHECK(*parse_byte_size("123") == 123);
  CHECK(*parse_byte_size("4k") == 4096);
  CHECK(*parse_byte_size("1G") == 1u << 30);
  CHECK(*parse_byte_size("64MiB") == 64u << 20);
  CHECK_FALSE(parse_byte_size("").is_ok());
  CHECK_FALSE(parse_byte_size("M").is_ok());
  CHECK_FALSE(parse_byte_size("99999999999999999999").is_ok());
  std::string h;
  int p = 0;
  REQUIRE(parse_listen("[::1]:80", &h, &p).is_ok());
  CHECK(h == "::1");
  CHECK(p == 80);
  REQUIRE(parse_listen(":81", &h, &p).is_ok());
  CHECK(h == "127.0.0.1");
  REQUIRE(parse_listen("82", &h, &p).is_ok());
  CHECK(p == 82);
  CHECK(is_loopback_host("127.0.0.1"));
  CHECK(is_loopback_host("localhost"));
  CHECK(is_loopback_host("::1"));
  CHECK_FALSE(is_loopback_host("0.0.0.0"));
}

TEST_CASE("serve_options: a non-loopback address needs a master key or --insecure") {
  ServeOptions o;
  o.host = "0.0.0.0";
  CHECK_FALSE(check_listen_security(o).is_ok());
  o.insecure = true;
  CHECK(check_listen_security(o).is_ok());
  o.insecure = false;
  o.master_key = "0123456789abcdef";
  CHECK(check_listen_security(o).is_ok());
  o = ServeOptions{};
  CHECK(check_listen_security(o).is_ok());
}

TEST_CASE("serve_options: connection limits from flags and variables") {
  auto o = parse_serve_options({"--max-connections", "50", "--max-client-connections=7", "--keep-alive-timeout", "60",
                                "--threads", "4", "--max-threads", "2"},
                               env_of({{"MERIDIAN_MAX_CONNECTIONS", "99"}}));
  REQUIRE(o.is_ok());
  CHECK(o->max_connections == 50);
  CHECK(o->max_client_connections == 7);
  CHECK(o->keep_alive_timeout_s == 60);
  CHECK(o->max_threads == 4);  // never below --threads
  auto e = parse_serve_options({}, env_of({{"MERIDIAN_MAX_CLIENT_CONNECTIONS", "12"}}));
  REQUIRE(e.is_ok());
  CHECK(e->max_client_connections == 12);
  auto bad = parse_serve_options({"--max-connections", "0"}, env_of({}));
  REQUIRE_FALSE(bad.is_ok());
  CHECK(bad.status().message().find("--max-connections") != std::string::npos);
}

TEST_CASE("serve_options: --cluster and --node-id go together and are checked") {
  auto o = parse_serve_options({}, env_of({}));
  REQUIRE(o.is_ok());
  CHECK(o->cluster.empty());
  CHECK(o->node_id.empty());
  o = parse_serve_options({"--cluster", "nats://127.0.0.1:4222,nats://127.0.0.1:4223", "--node-id", "n1"}, env_of({}));
  REQUIRE(o.is_ok());
  CHECK(o->cluster.size() == 2);
  CHECK(o->node_id == "n1");
  o = parse_serve_options({"--node-id", "n2"}, env_of({{"MERIDIAN_CLUSTER", "nats://h:1"}, {"MERIDIAN_NODE_ID", "n1"}}));
  REQUIRE(o.is_ok());
  CHECK(o->node_id == "n2");
  auto bad = parse_serve_options({"--cluster", "nats://h:1"}, env_of({}));
  REQUIRE_FALSE(bad.is_ok());
  CHECK(bad.status().message().find("--node-id") != std::string::npos);
  bad = parse_serve_options({"--node-id", "n1"}, env_of({}));
  CHECK(bad.status().message().find("--cluster") != std::string::npos);
  bad = parse_serve_options({"--cluster", "h:1", "--node-id", "n1"}, env_of({}));
  CHECK(bad.status().message().find("--cluster") != std::string::npos);
  bad = parse_serve_options({}, env_of({{"MERIDIAN_CLUSTER", "nats://h:1"}, {"MERIDIAN_NODE_ID", "a.b"}}));
  CHECK(bad.status().message().find("MERIDIAN_NODE_ID") != std::string::npos);
}
