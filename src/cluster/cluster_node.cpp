#include "meridian/cluster/cluster_node.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <set>

#include "meridian/base/file.h"
#include "meridian/cluster/log_record.h"
#include "meridian/cluster/placement.h"
#include "meridian/index/document.h"
#include "meridian/index/schema.h"

namespace meridian::cluster {

namespace {
// A replica's entry in the progress bucket: "<applied>", "<applied>
// catching_up" or "<applied> rebuilding" (written by
// publish_progress_locked()).
struct Progress {
  uint64_t applied = 0;
  bool caught_up = false;
  bool rebuilding = false;
};
Progress parse_progress(const std::string& value) {
  const bool rebuilding = value.find("rebuilding") != std::string::npos;
  return {std::strtoull(value.c_str(), nullptr, 10), !rebuilding && value.find("catching_up") == std::string::npos,
          rebuilding};
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
std::string progress_key(const std::string& index, uint32_t shard, const std::string& node) {
  return escape_name(index) + "." + std::to_string(shard) + "." + node;
}
// The key of a parsed schema (and of the settings parsed against it).
std::string schema_key(const ShardMap& m) { return m.index + "/" + m.uid + "/" + std::to_string(m.schema_version); }
}  // namespace

Result<std::unique_ptr<ClusterNode>> ClusterNode::start(ClusterOptions opt, index::IndexOptions iopt) {
  MERIDIAN_RETURN_IF_ERROR(validate_node_id(opt.node_id));
  if (opt.dir.empty()) return Status::invalid("cluster: no directory for replicas");
  MERIDIAN_RETURN_IF_ERROR(fs::ensure_dir(opt.dir));
  std::unique_ptr<ClusterNode> n(new ClusterNode(opt, iopt));
  n->start_id_ = std::to_string(now_ms());
  NatsOptions no;
  no.servers = opt.servers;
  no.name = opt.node_id;
  no.timeout_ms = opt.timeout_ms;
  MERIDIAN_ASSIGN_OR_RETURN(n->client_, NatsClient::connect(no));
  Membership::Options mo{opt.node_id, opt.url, opt.heartbeat_ms, opt.ttl_ms, opt.stream_replicas};
  MERIDIAN_ASSIGN_OR_RETURN(n->members_, Membership::open(*n->client_, mo));
  MERIDIAN_ASSIGN_OR_RETURN(n->maps_, ShardMapStore::open(*n->client_, opt.stream_replicas));
  MERIDIAN_ASSIGN_OR_RETURN(n->progress_, n->client_->bucket("meridian_replicas", opt.stream_replicas, opt.ttl_ms, 1));
  MERIDIAN_RETURN_IF_ERROR(n->members_->start());
  (void)n->sync();  // a failing first pass is retried by the loop
  n->thread_ = std::thread([p = n.get()] { p->loop(); });
  n->rebuild_thread_ = std::thread([p = n.get()] { p->rebuild_loop(); });
  return n;
}

ClusterNode::~ClusterNode() { stop(); }

void ClusterNode::stop() {
  {
    std::lock_guard<std::mutex> lock(loop_mu_);
    if (stop_) return;
    stop_ = true;
  }
  loop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (rebuild_thread_.joinable()) rebuild_thread_.join();
  if (members_) members_->stop();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, l] : local_) {
    l.runner->stop();
    (void)l.runner->index_ptr()->close();
  }
  local_.clear();
}

void ClusterNode::loop() {
  std::unique_lock<std::mutex> lock(loop_mu_);
  while (!loop_cv_.wait_for(lock, std::chrono::milliseconds(opt_.sync_ms), [this] { return stop_; })) {
    lock.unlock();
    (void)sync();  // errors show in status() and the counters; the next pass retries
    (void)refresh_view();  // on failure searches keep the last view
    lock.lock();
  }
}

Result<ShardMap> ClusterNode::create_index(const std::string& name, const Json& schema, uint32_t shards,
                                           uint32_t replicas, const Json& settings) {
  MERIDIAN_RETURN_IF_ERROR(index::validate_index_name(name));
  if (shards < 1 || shards > kMaxShards) return Status::invalid("\"shards\" must be from 1 to " + std::to_string(kMaxShards));
  if (replicas < 1 || replicas > kMaxReplicas)
    return Status::invalid("\"replicas\" must be from 1 to " + std::to_string(kMaxReplicas));
  auto parsed = index::Schema::from_json(schema.is_null() ? Json::object() : schema);
  if (!parsed) return parsed.status();
  MERIDIAN_ASSIGN_OR_RETURN(auto existing, maps_->get(name));
  if (existing) return Status::exists("index '" + name + "' already exists in the cluster");
  MERIDIAN_ASSIGN_OR_RETURN(auto live, members_->live_nodes());
  std::vector<std::string> ids;
  for (const auto& n : live) ids.push_back(n.id);
  for (uint32_t s = 0; s < shards; ++s) {
    StreamSpec spec{stream_name(name, s), {shard_subject(name, s)}, opt_.stream_replicas, opt_.stream_max_bytes};
    MERIDIAN_RETURN_IF_ERROR(client_->ensure_stream(spec));
  }
  ShardMap m;
  m.index = name;
  m.uid = opt_.node_id + "-" + std::to_string(now_ms());
  m.shards = shards;
  m.replicas = replicas;
  m.schema = parsed->to_json();
  if (!settings.is_null()) {
    m.settings = settings;
    m.settings_version = 1;
  }
  m = m.rebalanced(ids);
  MERIDIAN_ASSIGN_OR_RETURN(ShardMap created, maps_->create(m));
  (void)sync();
  (void)refresh_view();
  return created;
}

Status ClusterNode::drop_index(const std::string& name) {
  MERIDIAN_ASSIGN_OR_RETURN(auto m, maps_->get(name));
  if (!m) return Status::not_found("no clustered index '" + name + "'");
  MERIDIAN_RETURN_IF_ERROR(maps_->remove(name));
  {
    std::lock_guard<std::mutex> lock(schema_mu_);
    const std::string prefix = name + "/" + m->uid + "/";  // every schema version
    std::erase_if(schemas_, [&](const auto& e) { return e.first.rfind(prefix, 0) == 0; });
    std::erase_if(settings_, [&](const auto& e) { return e.first.rfind(prefix, 0) == 0; });
  }
  for (uint32_t s = 0; s < m->shards; ++s) MERIDIAN_RETURN_IF_ERROR(client_->delete_stream(stream_name(name, s)));
  Status st = sync();
  (void)refresh_view();
  return st;
}

Result<std::optional<ShardMap>> ClusterNode::shard_map(const std::string& index) { return maps_->get(index); }

Result<std::vector<std::string>> ClusterNode::live_node_ids() {
  auto live = members_->live_nodes();
  if (!live) {
    note_nats_failure();
    return live.status();
  }
  std::vector<std::string> ids;
  for (const auto& n : *live) ids.push_back(n.id);
  return ids;
}

Result<std::unique_ptr<KvBucket>> ClusterNode::open_bucket(const std::string& name, int64_t ttl_ms, int history) {
  return client_->bucket(name, opt_.stream_replicas, ttl_ms, history);
}

Result<std::optional<ShardMap>> ClusterNode::cached_shard_map(const std::string& index) {
  auto v = view();
  if (v) {
    auto it = (*v)->maps.find(index);
    if (it != (*v)->maps.end()) return std::optional<ShardMap>(it->second);
  }
  return maps_->get(index);  // created since the view was read, or not an index
}

Result<std::shared_ptr<const ClusterNode::RoutingView>> ClusterNode::refresh_view() {
  auto read = read_view();
  if (!read) {
    note_nats_failure();
    return read.status();
  }
  std::lock_guard<std::mutex> lock(view_mu_);
  // Unsettled (NATS failed lately): what was read may lack the records
  // that expired during the outage, so it only adds to the last view (a new
  // index, a replica that reported since) and never removes from it.
  if (view_ && !settled()) {
    view_ = merged_view(*view_, std::move(*read));
    return view_;
  }
  view_ = std::move(*read);
  return view_;
}

// `fresh` plus whatever of `old` it lacks: nodes, indexes, replica states.
// Entries both have come from `fresh` (the newer answer).
std::shared_ptr<const ClusterNode::RoutingView> ClusterNode::merged_view(
    const RoutingView& old, std::shared_ptr<const RoutingView> fresh) {
  auto v = std::make_shared<RoutingView>(*fresh);
  v->urls.insert(old.urls.begin(), old.urls.end());  // insert keeps existing keys
  v->maps.insert(old.maps.begin(), old.maps.end());
  for (const auto& [shard, replicas] : old.remote) v->remote[shard].insert(replicas.begin(), replicas.end());
  v->heads.insert(old.heads.begin(), old.heads.end());
  return v;
}

Result<std::shared_ptr<const ClusterNode::RoutingView>> ClusterNode::read_view() {
  auto v = std::make_shared<RoutingView>();
  v->taken = std::chrono::steady_clock::now();
  MERIDIAN_ASSIGN_OR_RETURN(auto live, members_->live_nodes());
  for (const auto& n : live) v->urls[n.id] = n.url;
  MERIDIAN_ASSIGN_OR_RETURN(auto names, maps_->list());
  for (const auto& name : names) {
    MERIDIAN_ASSIGN_OR_RETURN(auto m, maps_->get(name));
    if (!m) continue;
    for (uint32_t s = 0; s < m->shards; ++s) {
      auto& remote = v->remote[{name, s}];
      bool catching_up = false;
      for (const auto& node : m->nodes_of(s)) {
        if (node == opt_.node_id) {
          std::lock_guard<std::mutex> lock(mu_);
          auto it = local_.find({name, s});
          catching_up = catching_up || (it != local_.end() && !it->second.runner->caught_up());
          continue;
        }
        if (!v->urls.count(node)) continue;
        MERIDIAN_ASSIGN_OR_RETURN(auto e, progress_->get(progress_key(name, s, node)));
        if (!e) continue;
        const Progress p = parse_progress(e->value);
        const ReplicaState st{p.applied, p.caught_up, p.rebuilding};
        catching_up = catching_up || !st.caught_up;
        remote[node] = st;
      }
      if (catching_up) {
        auto last = client_->last_sequence(stream_name(name, s));
        v->heads[{name, s}] = last ? *last : std::numeric_limits<uint64_t>::max();
      }
    }
    v->maps.emplace(name, std::move(*m));
  }
  return std::shared_ptr<const RoutingView>(std::move(v));
}

Result<std::shared_ptr<const ClusterNode::RoutingView>> ClusterNode::view() {
  std::shared_ptr<const RoutingView> v;
  {
    std::lock_guard<std::mutex> lock(view_mu_);
    v = view_;
  }
  if (!v) return refresh_view();
  if (std::chrono::steady_clock::now() - v->taken <= std::chrono::milliseconds(opt_.sync_ms)) return v;
  // A search never waits on a failing NATS, and one search at a time reads
  // a new view while the others use the last one.
  if (!settled()) return v;
  auto fresh = refresh_view_once();
  return fresh ? fresh : v;
}

std::shared_ptr<const ClusterNode::RoutingView> ClusterNode::refresh_view_once() {
  bool expected = false;
  if (!refreshing_.compare_exchange_strong(expected, true)) return nullptr;
  auto fresh = refresh_view();
  refreshing_.store(false);
  return fresh ? *fresh : nullptr;
}

Result<std::shared_ptr<const index::Schema>> ClusterNode::schema(const ShardMap& m) {
  const std::string key = schema_key(m);
  std::lock_guard<std::mutex> lock(schema_mu_);
  if (auto it = schemas_.find(key); it != schemas_.end()) return it->second;
  auto parsed = index::Schema::from_json(m.schema.is_null() ? Json::object() : m.schema);
  if (!parsed) return Status::corruption("shard map of '" + m.index + "': " + parsed.status().message());
  auto s = std::make_shared<const index::Schema>(std::move(*parsed));
  schemas_.emplace(key, s);
  return s;
}

Result<std::shared_ptr<const index::IndexSettings>> ClusterNode::settings(const ShardMap& m) {
  MERIDIAN_ASSIGN_OR_RETURN(auto schema, this->schema(m));
  const std::string key = schema_key(m);
  std::lock_guard<std::mutex> lock(schema_mu_);
  if (auto it = settings_.find(key); it != settings_.end() && it->second.first == m.settings_version)
    return it->second.second;
  auto parsed = index::parse_index_settings(m.settings.is_null() ? Json::object() : m.settings, schema.get());
  if (!parsed) return Status::corruption("settings in the shard map of '" + m.index + "': " + parsed.status().message());
  parsed->version = m.settings_version;
  auto s = std::make_shared<const index::IndexSettings>(std::move(*parsed));
  auto& slot = settings_[key];
  if (m.settings_version >= slot.first || !slot.second) slot = {m.settings_version, s};  // keep the newest cached
  return s;
}

Result<ShardMap> ClusterNode::patch_settings(const std::string& index, const Json& patch) {
  // Validated against the settings read, so a patch that loses the
  // compare-and-set is validated again against the winner's.
  MERIDIAN_ASSIGN_OR_RETURN(
      ShardMap stored, maps_->modify(index, "settings", [&](const ShardMap& cur) -> Result<std::optional<ShardMap>> {
        MERIDIAN_ASSIGN_OR_RETURN(auto schema, this->schema(cur));
        MERIDIAN_ASSIGN_OR_RETURN(auto current, settings(cur));
        MERIDIAN_ASSIGN_OR_RETURN(index::IndexSettings next, index::patch_index_settings(*current, patch, schema.get()));
        ShardMap m = cur;
        m.settings = next.to_stored_json();
        m.settings_version = cur.settings_version + 1;
        return std::optional<ShardMap>(std::move(m));
      }));
  const auto at = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [key, l] : local_)
      if (key.first == index) MERIDIAN_RETURN_IF_ERROR(apply_settings(stored, *l.runner->index_ptr()));
  }
  (void)refresh_view();
  // Every router's view is at most sync_ms old when used (view()): once
  // sync_ms has passed, every node's next search parses with these.
  std::this_thread::sleep_until(at + std::chrono::milliseconds(opt_.sync_ms));
  return stored;
}

Status ClusterNode::apply_settings(const ShardMap& m, index::Index& ix) {
  MERIDIAN_ASSIGN_OR_RETURN(auto want, settings(m));
  if (ix.settings()->to_stored_json() == want->to_stored_json()) return Status::ok();
  return ix.set_settings(*want);
}

Result<uint64_t> ClusterNode::last_sequence(const std::string& index, uint32_t shard) {
  return client_->last_sequence(stream_name(index, shard));
}

Result<std::vector<std::vector<ReplicaRoute>>> ClusterNode::routes(const ShardMap& m) {
  MERIDIAN_ASSIGN_OR_RETURN(auto v, view());
  bool incomplete = false;
  auto out = routes_in(*v, m, &incomplete);
  // A replica on a live node left out (not reported or still catching up
  // as of the view): it may be in sync now (a new index, a write just
  // waited for through another node), so read NATS again rather than route
  // around it. Steady state never gets here.
  // Unsettled, one search at a time reads NATS (the read only adds to the
  // view, see refresh_view); the others route with what they have rather
  // than wait on a NATS that failed lately.
  if (incomplete) {
    std::shared_ptr<const RoutingView> fresh;
    if (settled()) {
      auto read = refresh_view();
      if (read) fresh = *read;
    } else {
      fresh = refresh_view_once();
    }
    if (fresh) out = routes_in(*fresh, m, &incomplete);
  }
  return out;
}

std::vector<std::vector<ReplicaRoute>> ClusterNode::routes_in(const RoutingView& v, const ShardMap& m,
                                                              bool* incomplete) {
  *incomplete = false;
  std::vector<std::vector<ReplicaRoute>> out(m.shards);
  for (uint32_t s = 0; s < m.shards; ++s) {
    // The local replica's state is live; the others' as of the view.
    std::map<std::string, ReplicaState> states;
    if (auto r = v.remote.find({m.index, s}); r != v.remote.end()) states = r->second;
    const auto& assigned = m.nodes_of(s);
    if (std::find(assigned.begin(), assigned.end(), opt_.node_id) != assigned.end()) {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = local_.find({m.index, s});
      if (it != local_.end()) states[opt_.node_id] = {it->second.runner->applied_seq(), it->second.runner->caught_up()};
    }
    for (const auto& node : assigned) {
      auto u = v.urls.find(node);
      if (u == v.urls.end()) continue;  // not live
      auto st = states.find(node);
      if (st == states.end()) {
        *incomplete = true;
        continue;
      }
      // A replica still replaying the stream (new, moved, rebuilt) would
      // answer with part of the shard: it is not routed to, unless it has
      // applied everything the stream holds (its flag may not be published yet).
      if (!st->second.caught_up) {
        auto h = v.heads.find({m.index, s});
        if (h == v.heads.end() || st->second.applied < h->second) {
          *incomplete = true;
          continue;
        }
      }
      out[s].push_back(ReplicaRoute{node, u->second, node == opt_.node_id, st->second.applied});
    }
    std::stable_sort(out[s].begin(), out[s].end(), [](const ReplicaRoute& a, const ReplicaRoute& b) {
      return a.applied != b.applied ? a.applied > b.applied : a.local > b.local;
    });
  }
  return out;
}

Result<std::map<std::string, uint64_t>> ClusterNode::replica_progress(const std::string& index, uint32_t shard) {
  MERIDIAN_ASSIGN_OR_RETURN(auto states, replica_states(index, shard));
  std::map<std::string, uint64_t> out;
  for (const auto& [node, st] : states) out[node] = st.applied;
  return out;
}

Result<std::map<std::string, ClusterNode::ReplicaState>> ClusterNode::replica_states(const std::string& index,
                                                                                     uint32_t shard) {
  MERIDIAN_ASSIGN_OR_RETURN(auto m, maps_->get(index));
  std::map<std::string, ReplicaState> out;
  if (!m) return out;
  for (const auto& node : m->nodes_of(shard)) {
    if (auto l = local_replica(index, shard); l && node == opt_.node_id) {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = local_.find({index, shard});
      if (it != local_.end())
        out[node] = {it->second.runner->applied_seq(), it->second.runner->caught_up(),
                     it->second.runner->behind_retention()};
      continue;
    }
    MERIDIAN_ASSIGN_OR_RETURN(auto e, progress_->get(progress_key(index, shard, node)));
    if (!e) continue;
    const Progress p = parse_progress(e->value);
    out[node] = {p.applied, p.caught_up, p.rebuilding};
  }
  return out;
}

std::optional<uint64_t> ClusterNode::publish_progress(const std::string& index, uint32_t shard) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = local_.find({index, shard});
  if (it == local_.end()) return std::nullopt;
  return publish_progress_locked(index, shard, *it->second.runner);
}

uint64_t ClusterNode::publish_progress_locked(const std::string& index, uint32_t shard, const ReplicaRunner& r) {
  // Read and written under mu_, so a put never replaces a newer value with
  // an older one (sync() and wait_for() both publish).
  const uint64_t applied = r.applied_seq();
  Status st = progress_->put(progress_key(index, shard, opt_.node_id),
                             std::to_string(applied) + (r.behind_retention() ? " rebuilding"
                                                        : r.caught_up()        ? ""
                                                                               : " catching_up"))
                  .status();
  if (!st) note_nats_failure();
  return st ? applied : 0;
}

Status ClusterNode::wait_for(const std::string& index, uint32_t shard, uint64_t seq, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  bool published = false;
  while (true) {
    // Once the local replica has applied seq, publish its progress now
    // rather than at the next sync pass: the other nodes' routers read it
    // there, so a search through any node sees the write once we return.
    MERIDIAN_ASSIGN_OR_RETURN(auto m, maps_->get(index));
    if (!m) return Status::not_found("no clustered index '" + index + "'");
    const auto& assigned = m->nodes_of(shard);
    if (!published) {
      if (std::find(assigned.begin(), assigned.end(), opt_.node_id) == assigned.end()) {
        published = true;  // no replica here: nothing to publish
      } else {
        auto p = publish_progress(index, shard);  // nullopt while the replica is still opening
        published = p && *p >= seq;
      }
    }
    // Every replica assigned on a live node must have applied seq; one that
    // has not reported yet (just placed, still opening) is waited for too,
    // one being rebuilt from a peer (never searched meanwhile) is not.
    MERIDIAN_ASSIGN_OR_RETURN(auto live, members_->live_nodes());
    std::set<std::string> live_ids;
    for (const auto& n : live) live_ids.insert(n.id);
    MERIDIAN_ASSIGN_OR_RETURN(auto progress, replica_states(index, shard));
    bool all = !progress.empty();
    for (const auto& node : m->nodes_of(shard)) {
      if (!live_ids.count(node)) continue;
      auto it = progress.find(node);
      all = all && it != progress.end() && (it->second.applied >= seq || it->second.rebuilding);
    }
    all = all && published;
    if (all) return Status::ok();
    if (std::chrono::steady_clock::now() >= deadline)
      return Status::busy("refresh=wait_for: shard " + std::to_string(shard) + " of '" + index +
                          "' did not apply sequence " + std::to_string(seq) + " within " +
                          std::to_string(timeout_ms) + " ms");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Result<uint64_t> ClusterNode::refresh_replica(const std::string& index, uint32_t shard, uint64_t seq, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    // Looked up each time: a sync pass may stop the runner meanwhile.
    std::shared_ptr<index::Index> ix;
    uint64_t applied = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = local_.find({index, shard});
      if (it == local_.end())
        return Status::not_found("node '" + opt_.node_id + "' holds no replica of shard " + std::to_string(shard) +
                                 " of '" + index + "'");
      applied = it->second.runner->applied_seq();
      ix = it->second.runner->index_ptr();
    }
    if (applied >= seq) {
      MERIDIAN_RETURN_IF_ERROR(ix->refresh());
      return applied;
    }
    if (std::chrono::steady_clock::now() >= deadline)
      return Status::busy("shard " + std::to_string(shard) + " of '" + index + "' on node '" + opt_.node_id +
                          "' did not apply sequence " + std::to_string(seq) + " within " + std::to_string(timeout_ms) +
                          " ms (applied " + std::to_string(applied) + ")");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::shared_ptr<index::Index> ClusterNode::local_replica(const std::string& index, uint32_t shard) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = local_.find({index, shard});
  return it == local_.end() ? nullptr : it->second.runner->index_ptr();
}

std::string ClusterNode::replica_dir(const ShardMap& m, uint32_t shard) const {
  return fs::join(fs::join(opt_.dir, escape_name(m.index) + "-" + escape_name(m.uid)), std::to_string(shard));
}

Status ClusterNode::start_replica(const ShardMap& m, uint32_t shard) {
  MERIDIAN_ASSIGN_OR_RETURN(auto schema, this->schema(m));
  const std::string dir = replica_dir(m, shard);
  MERIDIAN_RETURN_IF_ERROR(fs::ensure_dir(dir));
  MERIDIAN_ASSIGN_OR_RETURN(auto ix, index::Index::open(dir, m.index + "#" + std::to_string(shard), iopt_, &*schema));
  std::shared_ptr<index::Index> shared(std::move(ix));
  MERIDIAN_RETURN_IF_ERROR(apply_settings(m, *shared));
  MERIDIAN_ASSIGN_OR_RETURN(auto applier, ReplicaApplier::open(shared));
  ReplicaRunner::Options ro{stream_name(m.index, shard), shard_subject(m.index, shard), replica_consumer(opt_.node_id)};
  local_[{m.index, shard}].runner = std::make_unique<ReplicaRunner>(*client_, std::move(applier), ro);
  return Status::ok();
}

namespace {
int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

void ClusterNode::note_nats_failure() { nats_failure_ms_.store(steady_ms()); }

bool ClusterNode::settled() const {
  const int64_t last = std::max(nats_failure_ms_.load(), members_ ? members_->last_failure_ms() : int64_t{0});
  return last == 0 || steady_ms() - last >= opt_.ttl_ms + opt_.sync_ms;
}

Status ClusterNode::sync() {
  MERIDIAN_ASSIGN_OR_RETURN(std::vector<std::string> ids, live_node_ids());
  auto names = maps_->list();
  if (!names) {
    note_nats_failure();
    return names.status();
  }
  // Right after a NATS outage the records of live nodes may have expired:
  // placing on what is left would move (and delete) replicas for nothing.
  const bool settled = this->settled();
  std::set<std::pair<std::string, uint32_t>> wanted;
  std::vector<ShardMap> maps;
  for (const auto& name : *names) {
    auto got = maps_->get(name);
    if (!got) {
      note_nats_failure();
      return got.status();
    }
    auto& m = *got;
    if (!m) continue;
    if (settled && !ids.empty() && m->rebalanced(ids).assignment != m->assignment) {
      auto next = maps_->rebalance(name, ids);
      if (next) {
        if (next->epoch != m->epoch) rebalances_.fetch_add(1);
        m = *next;
      }
    }
    for (uint32_t s : m->shards_on(opt_.node_id)) wanted.insert({name, s});
    maps.push_back(*m);
  }
  Status first;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = local_.begin(); it != local_.end();) {
    if (wanted.count(it->first)) {
      ++it;
      continue;
    }
    // No longer ours (moved away or dropped): stop and delete the replica.
    it->second.runner->stop();
    auto ix = it->second.runner->index_ptr();
    std::string dir = ix->dir();
    (void)ix->close();
    it = local_.erase(it);
    (void)fs::remove_all(dir);
  }
  for (const auto& m : maps)
    for (uint32_t s : m.shards_on(opt_.node_id))
      if (!local_.count({m.index, s})) {
        Status st = recover_replica_dir(replica_dir(m, s));  // a rebuild's swap a crash interrupted
        if (st) st = start_replica(m, s);
        if (!st && first.is_ok()) first = st;
      }
  std::map<std::string, const ShardMap*> by_name;
  for (const auto& m : maps) by_name[m.index] = &m;
  for (auto& [key, l] : local_) {
    // Settings changed through any node reach every replica here (a replica
    // started above already has them).
    if (auto it = by_name.find(key.first); it != by_name.end()) {
      Status st = apply_settings(*it->second, *l.runner->index_ptr());
      if (!st && first.is_ok()) first = st;
    }
    (void)publish_progress_locked(key.first, key.second, *l.runner);
    auto last = client_->last_sequence(stream_name(key.first, key.second));
    if (last) last_seq_[stream_name(key.first, key.second)] = *last;
  }
  return first;
}

Result<Json> ClusterNode::status() {
  MERIDIAN_ASSIGN_OR_RETURN(auto live, members_->live_nodes());
  Json nodes = Json::array();
  std::set<std::string> live_ids;
  for (const auto& n : live) {
    live_ids.insert(n.id);
    nodes.push(Json(Json::Object{{"id", Json(n.id)}, {"url", Json(n.url)}, {"started_ms", Json(n.started_ms)},
                                 {"self", Json(n.id == opt_.node_id)}}));
  }
  MERIDIAN_ASSIGN_OR_RETURN(auto names, maps_->list());
  Json indexes = Json::array();
  for (const auto& name : names) {
    MERIDIAN_ASSIGN_OR_RETURN(auto m, maps_->get(name));
    if (!m) continue;
    Json shards = Json::array();
    for (uint32_t s = 0; s < m->shards; ++s) {
      auto last = client_->last_sequence(stream_name(name, s));
      const uint64_t last_seq = last ? *last : 0;
      auto first = client_->first_sequence(stream_name(name, s));
      MERIDIAN_ASSIGN_OR_RETURN(auto states, replica_states(name, s));
      Json reps = Json::array();
      for (const auto& node : m->nodes_of(s)) {
        auto it = states.find(node);
        Json r = Json(Json::Object{{"node", Json(node)}});
        if (!live_ids.count(node) || it == states.end()) {
          r.set("state", Json("offline"));
        } else {
          const uint64_t lag = last_seq > it->second.applied ? last_seq - it->second.applied : 0;
          r.set("applied_seq", Json(it->second.applied));
          r.set("lag", Json(lag));
          r.set("state", Json(it->second.rebuilding                     ? "rebuilding"
                              : lag == 0 && it->second.caught_up ? "in_sync"
                                                                 : "catching_up"));
          if (it->second.rebuilding && node == opt_.node_id) {
            std::lock_guard<std::mutex> lock(mu_);
            auto retry = rebuild_retry_.find({name, s});
            if (retry != rebuild_retry_.end() && !retry->second.error.empty())
              r.set("rebuild_error", Json(retry->second.error));
          }
        }
        reps.push(std::move(r));
      }
      shards.push(Json(Json::Object{{"shard", Json(static_cast<int64_t>(s))}, {"stream", Json(stream_name(name, s))},
                                    {"first_seq", Json(first ? *first : 0)}, {"last_seq", Json(last_seq)},
                                    {"replicas", std::move(reps)}}));
    }
    indexes.push(Json(Json::Object{{"index", Json(name)},
                                   {"shards", Json(static_cast<int64_t>(m->shards))},
                                   {"replicas", Json(static_cast<int64_t>(m->replicas))},
                                   {"epoch", Json(m->epoch)},
                                   {"shard_list", std::move(shards)}}));
  }
  return Json(Json::Object{{"node_id", Json(opt_.node_id)},
                           {"connected", Json(client_->connected())},
                           {"settled", Json(settled())},
                           {"nodes", std::move(nodes)},
                           {"indexes", std::move(indexes)}});
}

ClusterCounters ClusterNode::counters() {
  ClusterCounters c;
  c.publishes = publishes_.load();
  c.publish_failures = publish_failures_.load();
  c.rebalances = rebalances_.load();
  c.rebuilds = rebuilds_.load();
  c.rebuild_failures = rebuild_failures_.load();
  std::lock_guard<std::mutex> lock(mu_);
  c.replicas_local = local_.size();
  for (auto& [key, l] : local_) {
    auto it = last_seq_.find(stream_name(key.first, key.second));
    const uint64_t applied = l.runner->applied_seq();
    if (it != last_seq_.end() && it->second > applied) c.replica_lag_max = std::max(c.replica_lag_max, it->second - applied);
    c.replica_errors += l.runner->errors();
    if (l.runner->behind_retention()) ++c.replicas_rebuilding;
  }
  return c;
}

}  // namespace meridian::cluster
