// Clustered indexes over HTTP (docs/CLUSTER.md): creating and dropping them,
// writes published to JetStream through ClusterNode, and the search router.
//   POST /v1/indexes/{index}/shards/{shard}/search   internal: one shard's phase
// The native routes (routes_indexes.cpp, routes_search.cpp) hand a request
// here when its index is clustered (routes_clustered_writes.cpp and
// routes_clustered_admin.cpp hold more); every other route on a clustered
// index answers 501 (find_index).
#include <chrono>
#include <future>
#include <map>

#include "meridian/cluster/placement.h"
#include "meridian/cluster/shard_search.h"
#include "meridian/index/schema.h"
#include "meridian/query/searcher.h"
#include "peer_clients.h"
#include "server_impl.h"

namespace meridian::server {
namespace {


Json ack_json(const std::string& id, const cluster::WriteAck& a) {
  return Json(Json::Object{{"id", Json(id)},
                           {"result", Json("acknowledged")},
                           {"shard", Json(static_cast<int64_t>(a.shard))},
                           {"seq", Json(a.seq)}});
}

// The parsed request of a shard-search wire object.
// The search of a shard-search body; with "relaxed": true (the router's
// second pass of matching strategy last) its relaxed query.
Result<query::SearchRequest> parse_wire_request(const Json& wire, const query::SearchRequestOptions& opt) {
  if (const Json* b = wire.find("search")) {
    if (!b->is_object()) return Status::invalid("search: expected an object");
    return query::parse_search_request(*b, opt);
  }
  if (const Json* p = wire.find("params")) {
    if (!p->is_object()) return Status::invalid("params: expected an object");
    std::map<std::string, std::string> m;
    for (const auto& [k, v] : p->as_object()) {
      if (!v.is_string()) return Status::invalid("params." + k + ": expected a string");
      m[k] = v.as_string();
    }
    return query::parse_search_params(m, opt);
  }
  return Status::invalid("expected \"search\" (a search body) or \"params\" (GET parameters)");
}

Result<query::SearchRequest> parse_wire(const Json& wire, const query::SearchRequestOptions& opt) {
  MERIDIAN_ASSIGN_OR_RETURN(query::SearchRequest req, parse_wire_request(wire, opt));
  const Json* relaxed = wire.find("relaxed");
  if (relaxed && relaxed->is_bool() && relaxed->as_bool() && req.relaxed_query) {
    req.query = std::move(*req.relaxed_query);
    req.relaxed_query.reset();
  }
  return req;
}

// One call to a remote node's shard-search route; the body of a 200, or why not.
// Over a kept connection (peer_clients.h).
Result<Json> call_shard(const cluster::ReplicaRoute& r, const std::string& index, uint32_t shard, const Json& body,
                        const std::string& auth) {
  return post_shard_route(r.node, r.url, index, shard, "search", body, auth);
}

// One shard's phase on a replica of this node: "stats" (the statistics the
// query looks up, as JSON) or "search" (scored with `stats` when given; a
// later round of a distinct search with `round`).
Result<Json> local_phase(const index::Index& ix, uint32_t shard, const std::string& phase, const query::SearchRequest& req,
                         const std::shared_ptr<const index::CorpusStats>& stats, const query::SearchOptions& so,
                         const cluster::DistinctRound* round = nullptr) {
  auto snap = ix.snapshot();
  if (phase == "stats") {
    auto st = cluster::shard_stats(*snap, req, so);
    if (!st) return st.status();
    return cluster::stats_to_json(*st);
  }
  return cluster::shard_search(*snap, cluster::shard_request(req, shard), stats, so, round);
}

}  // namespace

Result<query::SearchRequestOptions> ServerImpl::clustered_request_options(const cluster::ShardMap& m) {
  query::SearchRequestOptions o;
  MERIDIAN_ASSIGN_OR_RETURN(auto schema, cluster_->schema(m));
  MERIDIAN_ASSIGN_OR_RETURN(o.settings, cluster_->settings(m));
  o.schema = schema.get();  // the node keeps the schema while the index exists
  return o;
}

std::optional<cluster::ShardMap> ServerImpl::clustered(const std::string& name, bool cached) {
  if (!cluster_) return std::nullopt;
  auto m = cached ? cluster_->cached_shard_map(name) : cluster_->shard_map(name);
  if (m && *m) return **m;
  // A cluster alias, unless the node's own index or alias has the name.
  if (!cluster_aliases_ || engine_->get(name) || aliases_->resolve(name)) return std::nullopt;
  auto target = cluster_aliases_->resolve(name);
  if (!target) return std::nullopt;
  m = cached ? cluster_->cached_shard_map(*target) : cluster_->shard_map(*target);
  if (!m || !*m) return std::nullopt;
  return **m;
}

void ServerImpl::create_clustered(const std::string& name, Json body, httplib::Response& res) {
  uint32_t shards = 1, replicas = 1;
  Status st = cluster::validate_shard_counts(body, &shards, &replicas);
  if (!st) {
    const std::string field = st.message().find("replicas") != std::string::npos ? "replicas" : "shards";
    return send_error(res, st, Json(Json::Object{{"path", Json(field)}}));
  }
  body.erase("shards");
  body.erase("replicas");
  std::optional<Json> settings_patch;  // validated as on one node (routes_indexes.cpp)
  if (const Json* sj = body.find("settings")) {
    settings_patch = *sj;
    body.erase("settings");
  }
  auto schema = index::Schema::from_json(body);
  if (!schema) return send_error(res, schema.status());
  Json settings;  // stored form, null without "settings"
  if (settings_patch) {
    if (!settings_patch->is_object())
      return send_error(res, 400, "settings: expected an object", Json(Json::Object{{"path", Json("settings")}}));
    auto checked = index::patch_index_settings(index::IndexSettings{}, *settings_patch, &*schema);
    if (!checked)
      return send_error(res, Status::invalid("settings." + checked.status().message()),
                        Json(Json::Object{{"path", Json("settings")}}));
    settings = checked->to_stored_json();
  }
  if (engine_->get(name))
    return send_error(res, 409, "index '" + name + "' already exists on this node (not clustered)",
                      Json(Json::Object{{"index", Json(name)}}));
  if (auto target = resolve_alias(name); target != name)
    return send_error(res, 409, "'" + name + "' is an alias of '" + target + "'; an index cannot have an alias's name",
                      Json(Json::Object{{"index", Json(name)}}));
  auto m = cluster_->create_index(name, schema->to_json(), shards, replicas, settings);
  if (!m) return send_error(res, m.status(), Json(Json::Object{{"index", Json(name)}}));
  Json out = Json::object();
  out.set("index", Json(name));
  out.set("result", Json("created"));
  out.set("schema", m->schema);
  out.set("shards", Json(static_cast<int64_t>(m->shards)));
  out.set("replicas", Json(static_cast<int64_t>(m->replicas)));
  if (settings_patch) {
    auto s = cluster_->settings(*m);
    if (s) out.set("settings", (*s)->to_json(index::IndexOptions{}.refresh_interval_ms));
  }
  send_json(res, 201, out.dump());
}

void ServerImpl::get_clustered(const cluster::ShardMap& m, httplib::Response& res) {
  Json out = Json::object();
  out.set("name", Json(m.index));
  out.set("schema", m.schema);
  Json c = m.to_json();
  c.erase("schema");
  c.erase("index");
  c.erase("settings");  // GET .../settings shows them
  out.set("cluster", std::move(c));
  send_json(res, 200, out.dump());
}

void ServerImpl::drop_clustered(const cluster::ShardMap& m, httplib::Response& res) {
  Status st = cluster_sources_->remove_index(m.index);  // its sources stop first
  if (st) st = cluster_->drop_index(m.index);
  if (!st) return send_error(res, st);
  // Its aliases go with it, as on one node (a failure leaves an alias that
  // resolves to no index: 404 until it is removed or moved).
  if (cluster_aliases_) (void)cluster_aliases_->update([&](const cluster::AliasMap& cur) {
    cluster::AliasMap next;
    for (const auto& [a, i] : cur)
      if (i != m.index) next.emplace(a, i);
    return Result<cluster::AliasMap>(std::move(next));
  });
  cache_.clear();
  send_json(res, 200, Json(Json::Object{{"index", Json(m.index)}, {"result", Json("deleted")}}).dump());
}

void ServerImpl::send_clustered_ack(const cluster::ShardMap& m, const std::string& id,
                                    const Result<cluster::WriteAck>& ack, const index::WriteOptions& w,
                                    httplib::Response& res) {
  if (!ack) return send_error(res, ack.status(), Json(Json::Object{{"id", Json(id)}}));
  if (w.wait_visible) {
    Status st = cluster_->wait_for(m.index, ack->shard, ack->seq, kClusterWaitForMs);
    if (!st) return send_error(res, st, Json(Json::Object{{"id", Json(id)}}));
  }
  send_json(res, 200, ack_json(id, *ack).dump());
}

void ServerImpl::put_clustered(const cluster::ShardMap& m, const std::string& id, Json doc,
                               const index::WriteOptions& w, httplib::Response& res) {
  send_clustered_ack(m, id, cluster_->put(m, doc), w, res);
}

void ServerImpl::remove_clustered(const cluster::ShardMap& m, const std::string& id, const index::WriteOptions& w,
                                  httplib::Response& res) {
  send_clustered_ack(m, id, cluster_->remove(m, id), w, res);
}

void ServerImpl::bulk_clustered(const cluster::ShardMap& m, const httplib::Request& req, const index::WriteOptions& w,
                                std::chrono::steady_clock::time_point start, httplib::Response& res) {
  Json errors = Json::array();
  std::vector<BulkLine> good;
  if (!parse_bulk_body(req.body, &good, &errors, res)) return;
  auto schema = cluster_->schema(m);
  const std::string id_field = schema ? (*schema)->id_field() : "id";
  size_t indexed = 0, unacked = 0;
  AckedSeqs acked;
  // Every document is published before any ack is waited for; the answer
  // comes once each has its ack or its error.
  std::vector<Json> docs;
  docs.reserve(good.size());
  for (auto& g : good) docs.push_back(std::move(g.doc));
  auto acks = cluster_->put_batch(m, docs);
  for (size_t i = 0; i < good.size(); ++i) {
    const auto& g = good[i];
    const auto& ack = acks[i];
    if (ack) {
      ++indexed;
      acked.add(*ack);
      continue;
    }
    if (ack.status().code() == Status::Code::kIOError) ++unacked;
    add_bulk_error(&errors, g.line, doc_id_of(docs[i], id_field), ack.status().message());
  }
  // JetStream acknowledged none of it: the request fails as a whole, as a
  // single node's does when its disk refuses a batch.
  if (unacked > 0 && unacked == good.size())
    return send_error(res, 503, "no write was acknowledged by JetStream: " +
                                    errors.as_array().back().find("error")->as_string());
  if (w.wait_visible)
    if (Status st = acked.wait_visible(*cluster_, m.index); !st) return send_error(res, st);
  send_bulk_result(res, indexed, std::move(errors), start);
}

void ServerImpl::get_doc_clustered(const cluster::ShardMap& m, const std::string& id, const httplib::Request& in,
                                   httplib::Response& res) {
  auto doc = fetch_doc_clustered(m, id, in);
  if (!doc && doc.status().code() == Status::Code::kIOError)
    return send_error(res, 503, doc.status().message(), Json(Json::Object{{"id", Json(id)}}));
  send_document(res, m.index, id, doc);
}

Result<std::optional<std::string>> ServerImpl::fetch_doc_clustered(const cluster::ShardMap& m, const std::string& id,
                                                                   const httplib::Request& in) {
  const uint32_t shard = cluster::shard_of(id, m.shards);
  if (auto ix = cluster_->local_replica(m.index, shard)) return ix->get(id);
  const std::string why = "no replica of shard " + std::to_string(shard) + " of '" + m.index + "' answered";
  if (in.has_header("X-Meridian-Routed")) return Status::io_error(why + " (this node holds none)");
  auto routes = cluster_->routes(m);
  if (!routes) return Status::io_error("cluster state unavailable: " + routes.status().message());
  std::string last = "no live replica";
  for (const auto& r : (*routes)[shard]) {
    if (r.local) continue;
    httplib::Headers h{{"X-Meridian-Routed", "1"}};
    if (in.has_header("Authorization")) h.emplace("Authorization", in.get_header_value("Authorization"));
    // Over a kept connection, retried once on a new one if the kept one died.
    auto got = cluster_peers().get(r.url, "/v1/indexes/" + m.index + "/docs/" + encode_segment(id), h);
    if (got && got->status == 404) return std::optional<std::string>();
    if (got && got->status == 200) {
      auto j = parse_json(got->body);
      const Json* src = j ? j->find("source") : nullptr;
      if (src) return std::optional<std::string>(src->dump());
      last = "node '" + r.node + "': no \"source\" in its answer";
      continue;
    }
    last = got ? "node '" + r.node + "': HTTP " + std::to_string(got->status) : "node '" + r.node + "': " + got.status().message();
  }
  return Status::io_error(why + ": " + last);
}

void ServerImpl::search_clustered(const cluster::ShardMap& m, const Json& wire, const query::SearchRequest& req,
                                  const httplib::Request& in, httplib::Response& res) {
  auto start = std::chrono::steady_clock::now();
  if (Status st = cluster::check_clustered_request(req); !st)
    return send_error(res, st, Json(Json::Object{{"path", Json("search_after")}}));
  auto routes = cluster_->routes(m);
  if (!routes) return send_error(res, 503, "cluster state unavailable: " + routes.status().message());
  // Each shard's replicas by health, then load (calls in flight x mean latency, ReplicaLoad::order).
  for (auto& cands : *routes) replica_load_.order(&cands);
  const std::string auth = in.get_header_value("Authorization");
  const uint32_t n = m.shards;
  auto schema = cluster_->schema(m);
  query::SearchOptions so;
  if (schema) so.schema = schema->get();

  // One shard's phase on one replica: local in-process, remote over HTTP.
  auto run_on = [&](uint32_t s, const cluster::ReplicaRoute& r, const std::string& phase,
                    const std::shared_ptr<const index::CorpusStats>& stats,
                    const cluster::DistinctRound* round) -> Result<Json> {
    if (r.local) {
      auto ix = cluster_->local_replica(m.index, s);
      if (!ix) return Status::not_found("the local replica of shard " + std::to_string(s) + " is gone");
      return local_phase(*ix, s, phase, req, stats, so, round);
    }
    Json body = wire;
    body.set("phase", Json(phase));
    body.set("settings_version", Json(static_cast<int64_t>(m.settings_version)));
    body.set("schema_version", Json(static_cast<int64_t>(m.schema_version)));
    if (stats) body.set("stats", cluster::stats_to_json(*stats));
    // The shards use the router's distinct (a listing has none whatever the
    // settings; a settings patch between two parses does not split them).
    body.set("distinct_field", Json(req.distinct));
    if (round) body.set("distinct", cluster::distinct_round_to_json(*round));
    auto j = call_shard(r, m.index, s, body, auth);
    if (!j) return j.status();
    if (phase == "stats") {
      const Json* st = j->find("stats");
      if (!st) return Status::io_error("node '" + r.node + "': no \"stats\" in its answer");
      return *st;
    }
    return *j;
  };
  // The same, counted in the replica's node's load and health.
  auto run = [&](uint32_t s, const cluster::ReplicaRoute& r, const std::string& phase,
                 const std::shared_ptr<const index::CorpusStats>& stats,
                 const cluster::DistinctRound* round = nullptr) -> Result<Json> {
    ReplicaLoad::Call call(&replica_load_, r.node);
    auto j = run_on(s, r, phase, stats, round);
    // A bad request is the client's, not a sign of the node's health.
    call.finish(j || j.status().code() == Status::Code::kInvalidArgument);
    return j;
  };

  // Phase 1: statistics, each shard on its first replica that answers.
  std::vector<size_t> chosen(n, 0);
  std::vector<std::string> errors(n);
  std::vector<char> refused(n, 0);  // the request itself is bad (InvalidArgument)
  std::vector<std::optional<index::CorpusStats>> per_shard(n);
  // The shard map and routes read again from NATS, at most once per search,
  // by the first shard that needs them (below); nullopt when that failed.
  std::once_flag reread_once;
  std::optional<std::vector<std::vector<cluster::ReplicaRoute>>> reread;
  auto reread_routes = [&]() -> const auto& {
    std::call_once(reread_once, [&] {
      auto fresh = cluster_->shard_map(m.index);
      if (!fresh || !*fresh || (*fresh)->shards != n) return;
      if (auto again = cluster_->routes(**fresh)) reread = std::move(*again);
    });
    return reread;
  };
  {
    std::vector<std::future<void>> fs;
    for (uint32_t s = 0; s < n; ++s)
      fs.push_back(std::async(std::launch::async, [&, s] {
        // Twice at most: when no replica answered and one said it holds the
        // shard no more, the map and the routing view are older than a move
        // (the replica that stayed may not be listed): read them again, unless
        // NATS failed lately (settled(): a search never waits on it then).
        bool moved = false;
        for (int attempt = 0; attempt < 2; ++attempt) {
          if (attempt == 1) {
            if (!moved || !cluster_->settled()) return;
            const auto& fresh = reread_routes();
            if (!fresh) return;
            (*routes)[s] = (*fresh)[s];
            replica_load_.order(&(*routes)[s]);
          }
          const auto& cands = (*routes)[s];
          if (cands.empty()) errors[s] = "no reachable in-sync replica";
          for (size_t c = 0; c < cands.size(); ++c) {
            auto j = run(s, cands[c], "stats", nullptr);
            auto st = j ? cluster::stats_from_json(*j) : Result<index::CorpusStats>(j.status());
            if (st) {
              per_shard[s] = std::move(*st);
              chosen[s] = c;
              return;
            }
            errors[s] = st.status().message();
            if (st.status().code() == Status::Code::kInvalidArgument) {
              refused[s] = 1;
              return;
            }
            // A local replica gone, or a peer's 404 ("holds no replica").
            moved |= st.status().code() == Status::Code::kNotFound;
          }
        }
      }));
    for (auto& f : fs) f.wait();
  }
  for (uint32_t s = 0; s < n; ++s)
    if (refused[s]) return send_error(res, Status::invalid(errors[s]), error_path(errors[s]));
  auto global = std::make_shared<index::CorpusStats>();
  for (const auto& st : per_shard)
    if (st) cluster::add_stats(global.get(), *st);
  // Phase 2: the query with index-wide statistics, on the same replica
  // (another one if it fails now). A query error (bad field, ...) is the
  // client's: every replica would say it, so no other is tried.
  auto search_shard = [&](uint32_t s, const cluster::DistinctRound* round) -> Result<Json> {
    const auto& cands = (*routes)[s];
    Status last = Status::io_error("no reachable in-sync replica");
    for (size_t k = 0; k < cands.size(); ++k) {
      auto j = run(s, cands[(chosen[s] + k) % cands.size()], "search", global, round);
      if (j || j.status().code() == Status::Code::kInvalidArgument) return j;
      last = j.status();
    }
    return last;
  };
  std::vector<cluster::ShardOutcome> outcomes(n);
  {
    std::vector<std::future<void>> fs;
    for (uint32_t s = 0; s < n; ++s)
      fs.push_back(std::async(std::launch::async, [&, s] {
        if (!per_shard[s]) {
          outcomes[s].error = errors[s];
          return;
        }
        auto j = search_shard(s, nullptr);
        if (j) {
          outcomes[s].answer = std::move(*j);
          return;
        }
        outcomes[s].error = j.status().message();
        refused[s] = j.status().code() == Status::Code::kInvalidArgument;
      }));
    for (auto& f : fs) f.wait();
  }
  for (uint32_t s = 0; s < n; ++s)
    if (refused[s]) return send_error(res, Status::invalid(outcomes[s].error), error_path(outcomes[s].error));
  size_t failed = 0;
  for (const auto& o : outcomes) failed += o.answer ? 0 : 1;
  shard_failures_.fetch_add(failed);
  if (failed == n) {
    return send_error(res, 503, "no shard of '" + m.index + "' answered: " + outcomes[0].error,
                      Json(Json::Object{{"shards", Json(Json::Object{{"total", Json(static_cast<int64_t>(n))},
                                                                      {"successful", Json(0)},
                                                                      {"failed", Json(static_cast<int64_t>(n))}})}}));
  }
  // distinct: later rounds (more hits of a shard, or which values a page
  // already showed) on the shards' chosen replicas, in parallel.
  auto rounds = [&](const std::vector<std::pair<uint32_t, cluster::DistinctRound>>& calls) {
    std::vector<std::future<Result<Json>>> fs;
    for (const auto& [s, round] : calls)
      fs.push_back(std::async(std::launch::async, [&, s = s, r = &round] { return search_shard(s, r); }));
    std::vector<Result<Json>> out;
    for (auto& f : fs) out.push_back(f.get());
    return out;
  };
  Json merged = req.distinct.empty() ? cluster::merge_shard_results(req, outcomes, 0)
                                     : cluster::merge_distinct_results(req, outcomes, rounds, so, 0);
  merged.set("took_ms", Json(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count()));
  // Matching strategy last, decided on the merged page as on one node: the
  // shards ran every word; too few hits, so all of them run the relaxed query.
  const Json* hits = merged.find("hits");
  if (req.relaxed_query && hits && hits->is_array() && hits->size() < req.size) {
    query::SearchRequest relaxed = req;
    relaxed.query = *req.relaxed_query;
    relaxed.relaxed_query.reset();
    Json w = wire;
    w.set("relaxed", Json(true));
    return search_clustered(m, w, relaxed, in, res);
  }
  send_json(res, 200, merged.dump());
}

// The clustered index and shard of an internal /shards/{shard}/ route
// (matches 1 and 2); nullopt once an error is sent.
std::optional<cluster::ShardMap> ServerImpl::shard_route_target(const httplib::Request& req, httplib::Response& res,
                                                               uint32_t* shard) {
  const std::string name = req.matches[1];
  if (!cluster_) {
    send_error(res, 400, "this server is not in cluster mode (start it with --cluster)");
    return std::nullopt;
  }
  auto m = clustered(name, true);
  if (!m) {
    send_error(res, 404, "no clustered index '" + name + "'", Json(Json::Object{{"index", Json(name)}}));
    return std::nullopt;
  }
  const std::string sh = req.matches[2];
  if (sh.empty() || sh.size() > 4 || sh.find_first_not_of("0123456789") != std::string::npos ||
      (*shard = static_cast<uint32_t>(std::stoul(sh))) >= m->shards) {
    send_error(res, 400, "shard: expected 0 to " + std::to_string(m->shards - 1) + ", got '" + sh + "'",
               Json(Json::Object{{"path", Json("shard")}}));
    return std::nullopt;
  }
  return m;
}

void ServerImpl::install_clustered_routes() {
  route("POST", "/v1/indexes/{index}/shards/{shard}/search", [this](const httplib::Request& req, httplib::Response& res) {
    const std::string name = req.matches[1], sh = req.matches[2];
    uint32_t shard = 0;
    auto m = shard_route_target(req, res, &shard);
    if (!m) return;
    auto body = parse_body(req, res, false);
    if (!body) return;
    if (!body->is_object()) return send_error(res, 400, "request body: expected an object", Json(Json::Object{{"path", Json("")}}));
    const Json* phase = body->find("phase");
    if (!phase || !phase->is_string() || (phase->as_string() != "stats" && phase->as_string() != "search"))
      return send_error(res, 400, "phase: expected \"stats\" or \"search\"", Json(Json::Object{{"path", Json("phase")}}));
    // The shard parses with the settings and schema the router parsed with:
    // a router whose shard map is newer than this node's cached one
    // (settings or schema just patched) makes this node read the map from NATS.
    auto newer = [&](const char* key, uint64_t have) {
      const Json* v = body->find(key);
      return v && v->is_int() && v->as_int() > static_cast<int64_t>(have);
    };
    if (newer("settings_version", m->settings_version) || newer("schema_version", m->schema_version))
      if (auto fresh = clustered(name, false)) m = std::move(fresh);
    auto copt = clustered_request_options(*m);
    if (!copt) return send_error(res, copt.status());
    auto parsed = parse_wire(*body, *copt);
    if (!parsed) return send_error(res, parsed.status());
    if (Status st = cluster::check_clustered_request(*parsed); !st) return send_error(res, st);
    if (const Json* df = body->find("distinct_field"); df && df->is_string()) parsed->distinct = df->as_string();
    auto ix = cluster_->local_replica(name, shard);
    if (!ix)
      return send_error(res, 404, "node '" + cluster_->node_id() + "' holds no replica of shard " + sh + " of '" + name + "'",
                        Json(Json::Object{{"index", Json(name)}}));
    auto schema = cluster_->schema(*m);
    query::SearchOptions so;
    if (schema) so.schema = schema->get();
    const bool stats_phase = phase->as_string() == "stats";
    std::shared_ptr<const index::CorpusStats> stats;
    if (const Json* sj = body->find("stats"); sj && !stats_phase) {
      auto st = cluster::stats_from_json(*sj);
      if (!st) return send_error(res, st.status(), Json(Json::Object{{"path", Json("stats")}}));
      stats = std::make_shared<const index::CorpusStats>(std::move(*st));
    }
    std::optional<cluster::DistinctRound> round;
    if (const Json* dj = body->find("distinct"); dj && !stats_phase) {
      auto r = cluster::distinct_round_from_json(*dj);
      if (!r) return send_error(res, r.status(), Json(Json::Object{{"path", Json("distinct")}}));
      round = std::move(*r);
    }
    auto r = local_phase(*ix, shard, phase->as_string(), *parsed, stats, so, round ? &*round : nullptr);
    if (!r) return send_error(res, r.status());
    send_json(res, 200, stats_phase ? Json(Json::Object{{"stats", std::move(*r)}}).dump() : r->dump());
  });
}

std::optional<Json> ServerImpl::routed_search(const cluster::ShardMap& m, const Json& body, const httplib::Request& in,
                                              httplib::Response& res) {
  auto copt = clustered_request_options(m);
  if (!copt) {
    send_error(res, copt.status());
    return std::nullopt;
  }
  auto parsed = query::parse_search_request(body, *copt);
  if (!parsed) {
    send_error(res, parsed.status());
    return std::nullopt;
  }
  parsed->distinct.clear();  // every document, as on one node, whatever the index's distinct
  search_clustered(m, Json(Json::Object{{"search", body}}), *parsed, in, res);
  if (res.status != 200) return std::nullopt;
  auto j = parse_json(res.body);
  if (!j || !j->is_object()) {
    send_error(res, 502, "the search router's answer is not a JSON object");
    return std::nullopt;
  }
  return std::move(*j);
}

}  // namespace meridian::server
