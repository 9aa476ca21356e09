// PeerClients: keep-alive clients to other nodes (peer_clients.h).
#include "peer_clients.h"

#include <cctype>
#include <chrono>

namespace meridian::server {

PeerClients::PeerClients(int connect_ms, int read_ms, size_t idle_per_peer)
    : connect_ms_(connect_ms), read_ms_(read_ms), idle_per_peer_(idle_per_peer) {}

std::unique_ptr<httplib::Client> PeerClients::take(const std::string& url, bool* reused) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = idle_.find(url);
    if (it != idle_.end() && !it->second.empty()) {
      auto c = std::move(it->second.back());
      it->second.pop_back();
      *reused = true;
      return c;
    }
  }
  *reused = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++opened_;
  }
  auto c = std::make_unique<httplib::Client>(url);
  c->set_keep_alive(true);
  c->set_tcp_nodelay(true);  // headers and body leave as two writes: no Nagle wait between them
  c->set_connection_timeout(std::chrono::milliseconds(connect_ms_));
  c->set_read_timeout(std::chrono::milliseconds(read_ms_));
  c->set_write_timeout(std::chrono::milliseconds(read_ms_));
  return c;
}

void PeerClients::give(const std::string& url, std::unique_ptr<httplib::Client> c) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& v = idle_[url];
  if (v.size() < idle_per_peer_) v.push_back(std::move(c));
}

size_t PeerClients::idle(const std::string& url) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = idle_.find(url);
  return it == idle_.end() ? 0 : it->second.size();
}

size_t PeerClients::opened() const {
  std::lock_guard<std::mutex> lock(mu_);
  return opened_;
}

template <typename Send>
Result<httplib::Response> PeerClients::call(const std::string& url, int read_ms, const Send& send) {
  for (;;) {
    bool reused = false;
    auto c = take(url, &reused);
    c->set_read_timeout(std::chrono::milliseconds(read_ms > 0 ? read_ms : read_ms_));
    auto got = send(*c);
    if (got) {
      httplib::Response r = std::move(got.value());
      give(url, std::move(c));
      return r;
    }
    if (!reused) return Status::io_error(httplib::to_string(got.error()));
  }
}

Result<httplib::Response> PeerClients::post(const std::string& url, const std::string& path,
                                            const httplib::Headers& headers, const std::string& body,
                                            const char* content_type, int read_ms) {
  return call(url, read_ms, [&](httplib::Client& c) { return c.Post(path, headers, body, content_type); });
}

Result<httplib::Response> PeerClients::get(const std::string& url, const std::string& path,
                                           const httplib::Headers& headers, int read_ms) {
  return call(url, read_ms, [&](httplib::Client& c) { return c.Get(path, headers); });
}

PeerClients& cluster_peers() {
  static PeerClients* p = new PeerClients(1000, 10000);
  return *p;
}

Result<Json> post_shard_route(const std::string& node, const std::string& url, const std::string& index,
                              uint32_t shard, const std::string& route, const Json& body, const std::string& auth,
                              int read_ms, bool bad_request_invalid) {
  httplib::Headers h;
  if (!auth.empty()) h.emplace("Authorization", auth);
  const std::string path = "/v1/indexes/" + index + "/shards/" + std::to_string(shard) + "/" + route;
  auto res = cluster_peers().post(url, path, h, body.dump(), "application/json", read_ms);
  if (!res) return Status::io_error("node '" + node + "' (" + url + "): " + res.status().message());
  auto j = parse_json(res->body);
  if (res->status != 200) {
    std::string reason = res->body.substr(0, 300);
    if (j)
      if (const Json* e = j->find("error"))
        if (const Json* rs = e->find("reason"); rs && rs->is_string()) reason = rs->as_string();
    if (res->status == 400 && bad_request_invalid) return Status::invalid(reason);
    if (res->status == 404)  // the node holds no replica of the shard (it moved) or no such index
      return Status::not_found("node '" + node + "': HTTP 404: " + reason);
    return Status::io_error("node '" + node + "': HTTP " + std::to_string(res->status) + ": " + reason);
  }
  if (!j) return Status::io_error("node '" + node + "': " + j.status().message());
  return std::move(*j);
}

std::string encode_segment(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

}  // namespace meridian::server
