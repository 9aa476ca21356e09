#include "meridian/cluster/membership.h"

#include <chrono>

#include "meridian/base/json.h"

namespace meridian::cluster {

namespace {
int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
constexpr std::string_view kPrefix = "node.";
}  // namespace

Status validate_node_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return Status::invalid("--node-id must be 1 to 64 characters");
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return Status::invalid("--node-id '" + std::string(id) + "' may only contain letters, digits, '_' and '-'");
  }
  return Status::ok();
}

Result<std::unique_ptr<Membership>> Membership::open(NatsClient& client, Options opt) {
  MERIDIAN_RETURN_IF_ERROR(validate_node_id(opt.node_id));
  if (opt.ttl_ms <= opt.heartbeat_ms) return Status::invalid("membership: the TTL must exceed the heartbeat interval");
  auto kv = client.bucket(kBucket, opt.replicas, opt.ttl_ms, 1);
  if (!kv) return kv.status();
  return std::unique_ptr<Membership>(new Membership(std::move(*kv), std::move(opt)));
}

Membership::~Membership() { stop(); }

Status Membership::beat() {
  Json j = Json::object();
  j.set("id", Json(opt_.node_id));
  j.set("url", Json(opt_.url));
  j.set("started_ms", Json(started_ms_));
  auto rev = kv_->put(std::string(kPrefix) + opt_.node_id, j.dump());
  if (!rev) {
    failures_.fetch_add(1);
    last_failure_ms_.store(std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count());
    return rev.status();
  }
  return Status::ok();
}

Status Membership::start() {
  started_ms_ = now_ms();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(opt_.start_retry_ms);
  for (Status st = beat(); !st.is_ok(); st = beat()) {
    if (std::chrono::steady_clock::now() >= deadline) return st;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::milliseconds(opt_.heartbeat_ms), [this] { return stop_; })) {
      lock.unlock();
      (void)beat();  // counted in heartbeat_failures(); the next beat retries
      lock.lock();
    }
  });
  return Status::ok();
}

void Membership::stop(bool deregister) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
    if (deregister) (void)kv_->remove(std::string(kPrefix) + opt_.node_id);
  }
}

Result<std::vector<NodeInfo>> Membership::live_nodes() {
  auto keys = kv_->keys();
  if (!keys) return keys.status();
  std::vector<NodeInfo> out;
  for (const auto& k : *keys) {
    if (k.rfind(kPrefix, 0) != 0) continue;
    auto e = kv_->get(k);
    if (!e) return e.status();
    if (!e->has_value()) continue;  // expired between keys() and get()
    auto j = parse_json((*e)->value);
    if (!j || !j->is_object()) continue;
    NodeInfo n;
    n.id = k.substr(kPrefix.size());
    if (const Json* u = j->find("url"); u && u->is_string()) n.url = u->as_string();
    if (const Json* s = j->find("started_ms"); s && s->is_int()) n.started_ms = s->as_int();
    out.push_back(std::move(n));
  }
  return out;
}

}  // namespace meridian::cluster
