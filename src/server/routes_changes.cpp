// Routes: POST /v1/indexes/{index}/changes — Debezium change events
// (cdc::ingest_debezium). All or nothing for malformed events: one bad event
// gives a 400 naming it ("event", 0-based) and nothing of the request is
// applied. Requests on one index are serialized (one applier per stream).
// On a clustered index the same decoding and checks run against the index's
// fixed schema, then each change after its source's position stored in NATS
// is published to its shard's log as a bulk write is (a truncate to every
// shard), and the positions are stored once every change is acknowledged
// (docs/CLUSTER.md "Debezium change events").
#include <chrono>

#include "meridian/cdc/debezium_ingest.h"
#include "meridian/cluster/cluster_change_sink.h"
#include "meridian/cluster/cluster_sources.h"
#include "server_impl.h"

namespace meridian::server {
namespace {


std::mutex& index_lock(const std::string& index) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<std::mutex>> locks;
  std::lock_guard<std::mutex> l(mu);
  auto& m = locks[index];
  if (!m) m = std::make_unique<std::mutex>();
  return *m;
}

// The 400 of a batch with malformed events: the first one named, all listed.
Json ingest_errors_extra(const std::vector<cdc::IngestError>& errors) {
  Json errs = Json::array();
  for (const auto& e : errors) {
    Json j = Json::object();
    j.set("event", Json(static_cast<int64_t>(e.event)));
    if (e.line) j.set("line", Json(static_cast<int64_t>(e.line)));
    j.set("error", Json(e.message));
    errs.push(std::move(j));
  }
  const auto& first = errors.front();
  Json extra = Json::object();
  extra.set("event", Json(static_cast<int64_t>(first.event)));
  if (first.line) extra.set("line", Json(static_cast<int64_t>(first.line)));
  extra.set("applied", Json(int64_t{0}));
  extra.set("errors", std::move(errs));
  return extra;
}

std::string ingest_errors_reason(const std::vector<cdc::IngestError>& errors) {
  const auto& first = errors.front();
  return "event " + std::to_string(first.event) + ": " + first.message + " (no event of this request was applied)";
}

Json stats_json(size_t events, size_t tombstones, const cdc::ApplyStats& s) {
  Json positions = Json::object();
  for (const auto& [src, pos] : s.positions) positions.set(src, Json(pos.to_string()));
  Json out = Json::object();
  out.set("events", Json(static_cast<int64_t>(events)));
  out.set("applied", Json(static_cast<int64_t>(s.upserts + s.deletes + s.truncates)));
  out.set("upserts", Json(static_cast<int64_t>(s.upserts)));
  out.set("deletes", Json(static_cast<int64_t>(s.deletes)));
  out.set("truncates", Json(static_cast<int64_t>(s.truncates)));
  out.set("skipped", Json(static_cast<int64_t>(s.skipped)));
  out.set("tombstones", Json(static_cast<int64_t>(tombstones)));
  out.set("positions", std::move(positions));
  return out;
}

// The stored position of every source the changes name (503 text on failure).
Result<std::map<std::string, cdc::SourcePosition>> stored_positions(cluster::SourceStore& store,
                                                                    const std::string& index,
                                                                    const std::vector<cdc::RowChange>& changes) {
  std::map<std::string, cdc::SourcePosition> out;
  for (const auto& c : changes) {
    if (out.count(c.source)) continue;
    MERIDIAN_ASSIGN_OR_RETURN(out[c.source], store.change_position(index, c.source));
  }
  return out;
}

// POST .../changes on a clustered index, once the options are read.
void changes_clustered(cluster::ClusterNode& node, cluster::SourceStore& store, const cluster::ShardMap& m,
                       const std::string& body, cdc::DebeziumOptions opt, const index::WriteOptions& w,
                       std::chrono::steady_clock::time_point start, httplib::Response& res) {
  auto schema = node.schema(m);
  if (!schema) return ServerImpl::send_error(res, schema.status());
  opt.id_field = (*schema)->id_field();
  // All or nothing, as on one node: nothing is published unless every event
  // decodes and every document fits the index's fixed schema.
  cdc::DecodedBatch b = cdc::decode_debezium_batch(body, opt);
  if (b.errors.empty()) cdc::check_fixed_schema(&b, opt.mapping, **schema);
  if (!b.errors.empty()) return ServerImpl::send_error(res, 400, ingest_errors_reason(b.errors), ingest_errors_extra(b.errors));
  // One request per index at a time on this node, as on one node. Events at
  // or before their source's position stored in NATS were published before.
  std::lock_guard<std::mutex> l(index_lock(m.index));
  auto stored = stored_positions(store, m.index, b.changes);
  if (!stored) return ServerImpl::send_error(res, 503, "cluster state unavailable: " + stored.status().message());
  const cluster::ChangesToPublish todo = cluster::changes_after(b.changes, std::move(*stored));
  std::vector<cdc::RowChange> changes;
  std::vector<size_t> event_of;  // changes[k] came from event event_of[k]
  for (size_t k : todo.kept) {
    changes.push_back(std::move(b.changes[k]));
    event_of.push_back(b.change_event[k]);
  }
  // In event order, stopping at the first change JetStream did not acknowledge.
  cluster::PublishedChanges p = cluster::publish_changes(node, m, changes);
  p.stats.skipped = todo.skipped;
  Json out = stats_json(b.events, b.tombstones, p.stats);
  Json acks = Json::array();
  for (const auto& [shard, seq] : p.last)
    acks.push(Json(Json::Object{{"shard", Json(static_cast<int64_t>(shard))}, {"seq", Json(seq)}}));
  if (p.failed) {
    const size_t ev = event_of[*p.failed];
    Json extra = std::move(out);
    extra.set("event", Json(static_cast<int64_t>(ev)));
    extra.set("acks", std::move(acks));
    if (!p.failed_shards.empty()) {
      Json shards = Json::array();
      for (uint32_t s : p.failed_shards) shards.push(Json(static_cast<int64_t>(s)));
      extra.set("failed_shards", std::move(shards));
    }
    return ServerImpl::send_error(res, 503,
                      "event " + std::to_string(ev) + ": " + p.error.message() + " (" +
                          std::to_string(p.stats.upserts + p.stats.deletes + p.stats.truncates) +
                          " changes before it were published and no position was stored; resending the request "
                          "replays them, which converges)",
                      extra);
  }
  // Every change has JetStream's acks: now each source's position may say so.
  for (const auto& [src, pos] : p.stats.positions) {
    auto now = store.advance_change_position(m.index, src, pos);
    if (!now)
      return ServerImpl::send_error(res, 503,
                                    "every change was published, but the position of source '" + src +
                                        "' was not stored (" + now.status().message() +
                                        "); resending the request publishes them again, which converges");
  }
  AckedSeqs acked;
  acked.last = std::move(p.last);
  if (w.wait_visible)
    if (Status st = acked.wait_visible(node, m.index); !st) return ServerImpl::send_error(res, st);
  out.set("acks", std::move(acks));
  out.set("took_ms", Json(elapsed_ms(start)));
  ServerImpl::send_json(res, 200, out.dump());
}

}  // namespace

void ServerImpl::install_change_routes() {
  route("POST", "/v1/indexes/{index}/changes", [this](const httplib::Request& req, httplib::Response& res) {
    auto start = std::chrono::steady_clock::now();
    auto m = clustered(req.matches[1]);
    std::shared_ptr<index::Index> idx;
    if (!m && !(idx = find_index(req.matches[1], res))) return;
    const std::string index_name = m ? m->index : idx->name();
    auto w = write_options(req, res);
    if (!w) return;
    cdc::DebeziumOptions opt;
    if (req.has_param("source")) {
      std::string name = req.get_param_value("source");
      if (Status st = cdc::validate_source_name(name); !st.is_ok())
        return send_error(res, st, Json(Json::Object{{"path", Json("source")}}));
      opt.source_name = name;
      std::optional<cdc::SourceConfig> cfg;
      if (m) {  // a clustered index's sources live in NATS
        auto stored = cluster_sources_->get(index_name, name);
        if (!stored) return send_error(res, 503, "cluster state unavailable: " + stored.status().message());
        cfg = std::move(*stored);
      } else {
        cfg = sources_->get(index_name, name);
      }
      if (cfg) {
        if (cfg->type != "debezium")
          return send_error(res, 400, "source '" + name + "' is a " + cfg->type + " source, not debezium",
                            Json(Json::Object{{"path", Json("source")}}));
        opt.mapping = cfg->mapping;
      }
    }
    if (req.has_param("id_column")) {
      std::string col = req.get_param_value("id_column");
      if (col.empty()) return send_error(res, 400, "id_column: expected a column name", Json(Json::Object{{"path", Json("id_column")}}));
      opt.mapping.set_id_column(col);
    }
    if (m) return changes_clustered(*cluster_, cluster_sources_->store(), *m, req.body, opt, *w, start, res);
    Result<cdc::IngestResult> r = Status::internal("unset");
    {
      std::lock_guard<std::mutex> l(index_lock(idx->name()));
      r = cdc::ingest_debezium(*idx, req.body, opt, *w);
    }
    if (!r) return send_error(res, r.status());
    if (!r->errors.empty()) return send_error(res, 400, ingest_errors_reason(r->errors), ingest_errors_extra(r->errors));
    Json out = stats_json(r->events, r->tombstones, r->stats);
    out.set("took_ms", Json(elapsed_ms(start)));
    send_json(res, 200, out.dump());
  });
}

}  // namespace meridian::server
