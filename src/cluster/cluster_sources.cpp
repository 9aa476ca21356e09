#include "meridian/cluster/cluster_sources.h"

#include <chrono>
#include <set>

#include "meridian/cdc/debezium_ingest.h"
#include "meridian/cluster/cluster_change_sink.h"
#include "meridian/cluster/placement.h"

namespace meridian::cluster {
namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string config_text(const cdc::SourceConfig& c) { return c.to_json(false).dump(); }

}  // namespace

Result<std::unique_ptr<ClusterSources>> ClusterSources::start(ClusterNode& node) {
  MERIDIAN_ASSIGN_OR_RETURN(auto kv, node.open_bucket(SourceStore::kBucket, 0, 1));
  std::unique_ptr<ClusterSources> s(new ClusterSources(node, std::make_unique<SourceStore>(std::move(kv))));
  (void)s->reconcile();  // a failing first pass is retried by the loop
  s->thread_ = std::thread([p = s.get()] { p->loop(); });
  return s;
}

ClusterSources::~ClusterSources() { stop(); }

void ClusterSources::stop() {
  {
    std::lock_guard<std::mutex> l(loop_mu_);
    stop_ = true;
  }
  loop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::map<std::pair<std::string, std::string>, Running> all;
  {
    std::lock_guard<std::mutex> l(mu_);
    all.swap(running_);
  }
  for (auto& [k, r] : all) r.source->stop();
}

void ClusterSources::loop() {
  std::unique_lock<std::mutex> l(loop_mu_);
  while (!stop_) {
    loop_cv_.wait_for(l, std::chrono::milliseconds(node_.sync_ms()), [&] { return stop_; });
    if (stop_) break;
    l.unlock();
    (void)reconcile();  // retried next pass
    l.lock();
  }
}

Status ClusterSources::reconcile() {
  std::lock_guard<std::mutex> pass(reconcile_mu_);
  MERIDIAN_ASSIGN_OR_RETURN(auto configs, store_->configs());
  MERIDIAN_ASSIGN_OR_RETURN(auto live, node_.live_node_ids());
  if (node_.settled()) {
    std::map<std::pair<std::string, std::string>, const cdc::SourceConfig*> mine;
    for (const auto& c : configs)
      if (c.type == "postgres" && source_owner(c.index, c.name, live) == node_.node_id()) mine[{c.index, c.name}] = &c;
    std::vector<std::unique_ptr<cdc::PgSource>> stopping;
    {
      std::lock_guard<std::mutex> l(mu_);
      for (auto it = running_.begin(); it != running_.end();) {
        auto w = mine.find(it->first);
        if (w != mine.end() && config_text(*w->second) == it->second.config) {
          ++it;
          continue;
        }
        stopping.push_back(std::move(it->second.source));
        it = running_.erase(it);
      }
    }
    // Stopped before anything starts: a changed config's new run takes
    // the slot its old run releases.
    for (auto& s : stopping) s->stop();
    std::lock_guard<std::mutex> l(mu_);
    {
      // stop() sets stop_ before it takes what runs: nothing starts after.
      std::lock_guard<std::mutex> ls(loop_mu_);
      if (stop_) return Status::ok();
    }
    for (const auto& [key, c] : mine) {
      if (running_.count(key)) continue;
      auto src = std::make_unique<cdc::PgSource>(*c, std::make_unique<ClusterChangeSink>(node_, *store_, *c));
      src->start();
      running_[key] = Running{std::move(src), config_text(*c)};
    }
  }
  // The state of what runs here, for the other nodes' GET.
  for (const auto& [c, st] : running()) {
    Json j = st.to_json();
    j.set("node", Json(node_.node_id()));
    j.set("reported_ms", Json(now_ms()));
    MERIDIAN_RETURN_IF_ERROR(store_->put_status(c.index, c.name, j));
  }
  return Status::ok();
}

std::vector<std::pair<cdc::SourceConfig, cdc::PgSourceStatus>> ClusterSources::running() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<std::pair<cdc::SourceConfig, cdc::PgSourceStatus>> out;
  for (const auto& [k, r] : running_) out.emplace_back(r.source->config(), r.source->status());
  return out;
}

Status ClusterSources::put(const ShardMap& m, const cdc::SourceConfig& c) {
  MERIDIAN_ASSIGN_OR_RETURN(auto schema, node_.schema(m));
  // The mapping's typed columns must be fields of that type: a clustered
  // index's schema is fixed.
  cdc::DecodedBatch none;
  cdc::check_fixed_schema(&none, c.mapping, *schema);
  if (!none.errors.empty()) return Status::invalid("mapping: " + none.errors.front().message);
  MERIDIAN_RETURN_IF_ERROR(store_->put_config(c));
  return reconcile();
}

Status ClusterSources::remove(const std::string& index, const std::string& name, bool drop_slot) {
  MERIDIAN_ASSIGN_OR_RETURN(auto cfg, store_->config(index, name));
  if (!cfg) return Status::not_found("no source '" + name + "' on index '" + index + "'");
  MERIDIAN_RETURN_IF_ERROR(store_->remove(index, name));
  MERIDIAN_RETURN_IF_ERROR(reconcile());  // stops it if it runs here
  if (!drop_slot || cfg->type != "postgres") return Status::ok();
  // Its runner on another node stops within a sync pass; until then the
  // slot is active and cannot be dropped.
  return cdc::PgSource::drop_slot(*cfg, std::chrono::seconds(15));
}

Status ClusterSources::remove_index(const std::string& index) {
  MERIDIAN_ASSIGN_OR_RETURN(auto configs, store_->configs());
  for (const auto& c : configs)
    if (c.index == index) MERIDIAN_RETURN_IF_ERROR(store_->remove(c.index, c.name));
  MERIDIAN_RETURN_IF_ERROR(store_->remove_change_positions(index));
  return reconcile();
}

Result<std::optional<cdc::SourceConfig>> ClusterSources::get(const std::string& index, const std::string& name) {
  return store_->config(index, name);
}

Result<ClusterSourceReport> ClusterSources::report_of(const cdc::SourceConfig& c, const std::vector<std::string>& live) {
  ClusterSourceReport r;
  r.config = c;
  if (c.type == "postgres") r.owner = source_owner(c.index, c.name, live);
  if (c.type == "debezium") {
    MERIDIAN_ASSIGN_OR_RETURN(r.position, store_->change_position(c.index, c.position_key()));
  } else {
    MERIDIAN_ASSIGN_OR_RETURN(r.position, store_->position(c.index, c.name));
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    if (auto it = running_.find({c.index, c.name}); it != running_.end()) r.live = it->second.source->status();
  }
  if (!r.live) {
    MERIDIAN_ASSIGN_OR_RETURN(r.reported, store_->status(c.index, c.name));
  }
  return r;
}

Result<std::optional<ClusterSourceReport>> ClusterSources::report(const std::string& index, const std::string& name) {
  MERIDIAN_ASSIGN_OR_RETURN(auto cfg, store_->config(index, name));
  if (!cfg) return std::optional<ClusterSourceReport>();
  MERIDIAN_ASSIGN_OR_RETURN(auto live, node_.live_node_ids());
  MERIDIAN_ASSIGN_OR_RETURN(auto r, report_of(*cfg, live));
  return std::optional<ClusterSourceReport>(std::move(r));
}

Result<std::vector<ClusterSourceReport>> ClusterSources::reports(const std::string& index) {
  MERIDIAN_ASSIGN_OR_RETURN(auto configs, store_->configs());
  MERIDIAN_ASSIGN_OR_RETURN(auto live, node_.live_node_ids());
  std::vector<ClusterSourceReport> out;
  for (const auto& c : configs) {
    if (c.index != index) continue;
    MERIDIAN_ASSIGN_OR_RETURN(auto r, report_of(c, live));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace meridian::cluster
