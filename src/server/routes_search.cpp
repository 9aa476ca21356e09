// Routes: search (POST/GET, query cache), analyze, live queries (SSE), API
// keys and metrics.
#include <chrono>
#include <unordered_set>

#include "meridian/analysis/analyzer.h"
#include "meridian/postings/term_bitmap_cache.h"
#include "meridian/query/filter_cache.h"
#include "meridian/query/search_request.h"
#include "meridian/query/searcher.h"
#include "meridian/query/suggest.h"
#include "cluster_watch.h"
#include "server_impl.h"
#include "sse_stream.h"

namespace meridian::server {
namespace {

// The 400 of a GET parameter given more than once.
void send_repeated(httplib::Response& res, const std::string& k) {
  ServerImpl::send_error(res, 400, k + ": given more than once", Json(Json::Object{{"path", Json(k)}}));
}

// GET parameters as a map; a repeated parameter is an error.
std::optional<std::map<std::string, std::string>> params_map(const httplib::Request& req, httplib::Response& res,
                                                            const std::vector<std::string>& skip) {
  std::map<std::string, std::string> m;
  for (const auto& [k, v] : req.params) {
    if (std::find(skip.begin(), skip.end(), k) != skip.end()) continue;
    if (!m.emplace(k, v).second) {
      send_repeated(res, k);
      return std::nullopt;
    }
  }
  return m;
}

// GET parameters as views into req.params (sorted by name, as a multimap
// keeps them): params_map's answers without copying them into a map.
bool param_views(const httplib::Request& req, httplib::Response& res, std::vector<query::ParamView>* out) {
  out->reserve(req.params.size());
  for (const auto& [k, v] : req.params) {
    if (!out->empty() && out->back().first == k) {
      send_repeated(res, k);
      return false;
    }
    out->emplace_back(k, v);
  }
  return true;
}

// The part of a query cache key that names the settings a search ran with.
std::string settings_key(const index::IndexSettings& s) { return "S" + std::to_string(s.version) + ":"; }

}  // namespace

void ServerImpl::install_search_routes() {
  auto run_search = [this](const std::shared_ptr<index::Index>& idx, const query::SearchRequestOptions& opt,
                           const Result<query::SearchRequest>& parsed, const std::string& cache_key_tail,
                           httplib::Response& res) {
    if (!parsed) return send_error(res, parsed.status(), error_path(parsed.status()));
    auto snap = idx->snapshot();
    std::string key;
    if (cache_.capacity() > 0) {
      key = QueryCache::make_key(idx->name(), snap->generation(), "", cache_key_tail);
      if (auto hit = cache_.get(key)) {
        res.set_header("X-Cache", "hit");
        return send_json(res, 200, *hit);
      }
    }
    query::SearchOptions so;
    so.schema = opt.schema;
    auto r = query::search(*snap, *parsed, so);
    if (!r) return send_error(res, r.status(), error_path(r.status()));
    Status st = query::add_suggestions(*snap, *parsed, opt.settings.get(), opt.schema, &*r);
    if (!st.is_ok()) return send_error(res, st, error_path(st));
    std::string body;
    body.reserve(512);  // a small response is written without growing the string
    query::write_json(*r, &body);  // no tree of the hits
    if (!key.empty()) {
      res.set_header("X-Cache", "miss");
      cache_.put(key, body);
    }
    send_json(res, 200, std::move(body));
  };

  route("POST", "/v1/indexes/{index}/search", [this, run_search](const httplib::Request& req, httplib::Response& res) {
    auto m = clustered(req.matches[1], true);
    auto idx = m ? nullptr : find_index(req.matches[1], res);
    if (!m && !idx) return;
    auto body = parse_body(req, res, true);
    if (!body) return;
    if (body->is_null()) *body = Json::object();
    if (!body->is_object()) return send_error(res, 400, "request body: expected an object", Json(Json::Object{{"path", Json("")}}));
    if (m) {
      auto copt = clustered_request_options(*m);
      if (!copt) return send_error(res, copt.status());
      auto parsed = query::parse_search_request(*body, *copt);
      if (!parsed) return send_error(res, parsed.status(), error_path(parsed.status()));
      return search_clustered(*m, Json(Json::Object{{"search", *body}}), *parsed, req, res);
    }
    auto schema = idx->schema();
    auto opt = request_options(*idx, schema.get());
    // The query cache's key (run_search), built only with a cache.
    const std::string tail = cache_.capacity() > 0 ? settings_key(*opt.settings) + "P" + body->dump() : std::string();
    run_search(idx, opt, query::parse_search_request(*body, opt), tail, res);
  });

  route("GET", "/v1/indexes/{index}/search", [this, run_search](const httplib::Request& req, httplib::Response& res) {
    auto m = clustered(req.matches[1], true);
    auto idx = m ? nullptr : find_index(req.matches[1], res);
    if (!m && !idx) return;
    if (m) {
      auto params = params_map(req, res, {});
      if (!params) return;
      auto copt = clustered_request_options(*m);
      if (!copt) return send_error(res, copt.status());
      auto parsed = query::parse_search_params(*params, *copt);
      if (!parsed) return send_error(res, parsed.status(), error_path(parsed.status()));
      Json p = Json::object();
      for (const auto& [k, v] : *params) p.set(k, Json(v));
      return search_clustered(*m, Json(Json::Object{{"params", std::move(p)}}), *parsed, req, res);
    }
    std::vector<query::ParamView> params;
    if (!param_views(req, res, &params)) return;
    auto schema = idx->schema();
    auto opt = request_options(*idx, schema.get());
    std::string tail;
    if (cache_.capacity() > 0) {  // the query cache's key (run_search)
      tail = settings_key(*opt.settings) + "G";
      for (const auto& [k, v] : params) {
        tail += k;
        tail += '\0';
        tail += v;
        tail += '\0';
      }
    }
    run_search(idx, opt, query::parse_search_params(params, opt), tail, res);
  });

  route("POST", "/v1/analyze", [](const httplib::Request& req, httplib::Response& res) {
    auto body = parse_body(req, res, false);
    if (!body) return;
    if (!body->is_object()) return send_error(res, 400, "request body: expected an object", Json(Json::Object{{"path", Json("")}}));
    const Json* text = body->find("text");
    if (!text || !text->is_string())
      return send_error(res, 400, "text: expected a string", Json(Json::Object{{"path", Json("text")}}));
    Json cfg_json = Json::object();
    for (const auto& [k, v] : body->as_object()) {
      if (k != "text") cfg_json.set(k, v);
    }
    auto cfg = analysis::AnalyzerConfig::from_json(cfg_json);
    if (!cfg) return send_error(res, cfg.status(), error_path(cfg.status()));
    auto an = analysis::Analyzer::create(*cfg);
    if (!an) return send_error(res, an.status(), error_path(an.status()));
    std::vector<analysis::Token> tokens;
    (*an)->analyze(text->as_string(), &tokens);
    Json arr = Json::array();
    for (const auto& t : tokens) {
      Json e = Json::object();
      e.set("token", Json(t.text));
      e.set("position", Json(static_cast<int64_t>(t.position)));
      e.set("start", Json(static_cast<int64_t>(t.start)));
      e.set("end", Json(static_cast<int64_t>(t.end)));
      arr.push(std::move(e));
    }
    Json out = Json::object();
    out.set("tokens", std::move(arr));
    send_json(res, 200, out.dump());
  });

  route("POST", "/v1/keys", [this](const httplib::Request& req, httplib::Response& res) {
    if (!keys_->enabled()) return send_error(res, 400, "API keys need a master key (--master-key)");
    auto body = parse_body(req, res, false);
    if (!body) return;
    auto k = keys_->create(*body);
    if (!k) return send_error(res, k.status(), error_path(k.status()));
    send_json(res, 201, k->dump());
  });
  route("GET", "/v1/keys", [this](const httplib::Request&, httplib::Response& res) {
    Json arr = Json::array();
    for (const auto& k : keys_->list()) arr.push(k.to_json());
    Json out = Json::object();
    out.set("keys", std::move(arr));
    send_json(res, 200, out.dump());
  });
  route("GET", "/v1/keys/{id}", [this](const httplib::Request& req, httplib::Response& res) {
    auto k = keys_->get(req.matches[1].str());
    if (!k) return send_error(res, k.status());
    send_json(res, 200, k->to_json().dump());
  });
  route("DELETE", "/v1/keys/{id}", [this](const httplib::Request& req, httplib::Response& res) {
    Status st = keys_->remove(req.matches[1].str());
    if (!st.is_ok()) return send_error(res, st);
    send_json(res, 200, Json(Json::Object{{"id", Json(req.matches[1].str())}, {"result", Json("deleted")}}).dump());
  });

  route("GET", "/metrics", [this](const httplib::Request&, httplib::Response& res) {
    std::vector<Gauge> g;
    std::vector<std::pair<std::string, index::IndexStats>> stats;
    for (const auto& name : engine_->list()) {
      if (auto idx = engine_->get(name)) stats.emplace_back(name, (*idx)->stats());
    }
    auto per_index = [&](const char* name, const char* help, auto value) {
      for (const auto& [n, s] : stats)
        g.push_back({name, help, "index=\"" + escape_label(n) + "\"", static_cast<double>(value(s))});
    };
    per_index("meridian_index_documents", "Live documents per index.", [](const index::IndexStats& s) { return s.docs; });
    per_index("meridian_index_deleted_documents", "Deleted documents not yet merged away.", [](const index::IndexStats& s) { return s.deleted; });
    per_index("meridian_index_bytes", "Bytes on disk per index.", [](const index::IndexStats& s) { return s.bytes_on_disk; });
    per_index("meridian_index_segments", "Segments per index.", [](const index::IndexStats& s) { return s.segments; });
    per_index("meridian_index_wal_bytes", "Write-ahead log bytes per index.", [](const index::IndexStats& s) { return s.wal_bytes; });
    per_index("meridian_index_refresh_lag_ops", "Acknowledged writes not yet searchable.",
              [](const index::IndexStats& s) { return s.last_seq - s.visible_seq; });
    per_index("meridian_index_commit_lag_ops", "Acknowledged writes not yet committed (only in the WAL).",
              [](const index::IndexStats& s) { return s.last_seq - s.committed_seq; });
    per_index("meridian_index_degraded", "1 while the index refuses writes after a background I/O error.",
              [](const index::IndexStats& s) { return s.degraded.empty() ? 0 : 1; });
    double hits = static_cast<double>(cache_.hits()), misses = static_cast<double>(cache_.misses());
    g.push_back({"meridian_cache_hits_total", "Query cache hits.", "", hits, "counter"});
    g.push_back({"meridian_cache_misses_total", "Query cache misses.", "", misses, "counter"});
    g.push_back({"meridian_cache_hit_ratio", "Query cache hits / lookups.", "", hits + misses > 0 ? hits / (hits + misses) : 0});
    g.push_back({"meridian_cache_bytes", "Bytes held by the query cache.", "", static_cast<double>(cache_.bytes())});
    g.push_back({"meridian_cache_entries", "Entries in the query cache.", "", static_cast<double>(cache_.entries())});
    const query::FilterCacheStats fc = query::filter_cache().stats();
    g.push_back({"meridian_filter_cache_entries", "Filter bitmaps kept (per segment and filter).", "", static_cast<double>(fc.entries)});
    g.push_back({"meridian_filter_cache_bytes", "Bytes held by the filter cache (bounded at 64 MiB).", "", static_cast<double>(fc.bytes)});
    g.push_back({"meridian_filter_cache_hits_total", "Filter cache hits.", "", static_cast<double>(fc.hits), "counter"});
    g.push_back({"meridian_filter_cache_misses_total", "Filter cache misses.", "", static_cast<double>(fc.misses), "counter"});
    g.push_back({"meridian_filter_cache_evictions_total", "Filter bitmaps dropped for the entry or byte bound.", "",
                 static_cast<double>(fc.evictions), "counter"});
    const postings::TermBitmapCacheStats tc = postings::term_bitmap_cache().stats();
    g.push_back({"meridian_term_cache_entries", "Decoded term bitmaps kept (per segment and term).", "", static_cast<double>(tc.entries)});
    g.push_back({"meridian_term_cache_bytes", "Bytes held by the term bitmap cache (bounded by --term-cache-bytes).", "",
                 static_cast<double>(tc.bytes)});
    g.push_back({"meridian_term_cache_hits_total", "Term bitmap cache hits.", "", static_cast<double>(tc.hits), "counter"});
    g.push_back({"meridian_term_cache_misses_total", "Term bitmap cache misses.", "", static_cast<double>(tc.misses), "counter"});
    g.push_back({"meridian_term_cache_evictions_total", "Term bitmaps dropped for the byte bound.", "",
                 static_cast<double>(tc.evictions), "counter"});
    // Client streams: a clustered index's stream counts once, on the node the
    // client is connected to; the subscriptions serving its shards do not.
    const int64_t shard_subs = shard_watch_subscriptions_.load();
    g.push_back({"meridian_watchers", "Open live-query streams.", "",
                 static_cast<double>(std::max<int64_t>(0, static_cast<int64_t>(hub_.watchers()) - shard_subs) +
                                     cluster_watch_streams_.load())});
    if (cluster_)
      g.push_back({"meridian_cluster_watch_shard_streams",
                   "Shard streams this node's replicas serve to clustered live queries (its own and other nodes').", "",
                   static_cast<double>(shard_subs)});
    g.push_back({"meridian_watch_queries", "Distinct queries the live-query streams watch (each evaluated once per change).", "",
                 static_cast<double>(hub_.queries())});
    ConnectionStats cs = http_.stats();
    g.push_back({"meridian_http_connections", "Open client connections (admitted).", "", static_cast<double>(cs.open)});
    g.push_back({"meridian_http_connections_idle", "Connections waiting for a request (hold no thread).", "",
                 static_cast<double>(cs.idle)});
    g.push_back({"meridian_http_connections_refused_total", "Connections answered 503 by a connection limit.", "",
                 static_cast<double>(cs.refused), "counter"});
    g.push_back({"meridian_http_worker_threads", "Threads of the request worker pool.", "", static_cast<double>(cs.threads)});
    add_source_gauges(&g);
    add_cluster_gauges(&g);
    res.status = 200;
    res.set_content(metrics_.render(g), "text/plain; version=0.0.4");
  });

  route("GET", "/v1/indexes/{index}/watch", [this](const httplib::Request& req, httplib::Response& res) {
    auto m = clustered(req.matches[1], true);
    auto idx = m ? nullptr : find_index(req.matches[1], res);
    if (!m && !idx) return;
    WatchParams wp;
    if (!parse_watch_params(req, res, {}, &wp)) return;
    if (m) return watch_clustered(*m, wp, req, res);
    std::optional<uint64_t> after;
    if (!wp.last_event_id.empty()) {
      char* end = nullptr;
      unsigned long long v = std::strtoull(wp.last_event_id.c_str(), &end, 10);
      if (end != wp.last_event_id.c_str() + wp.last_event_id.size())
        return send_error(res, 400, "Last-Event-ID: expected a sequence number", Json(Json::Object{{"path", Json("Last-Event-ID")}}));
      after = v;
    }
    auto subscribed = hub_.subscribe(idx, wp.request, after);
    if (!subscribed) return send_error(res, subscribed.status(), error_path(subscribed.status()));
    auto watcher = *subscribed;
    std::string preamble = "retry: 1000\n: watching " + idx->name() + "\n\n";
    if (watcher->gap())
      preamble += "event: reset\ndata: {\"reason\":\"resume point no longer held; some events were missed\"}\n\n";
    // The stream ends (event: closed) once the index is dropped, or dropped
    // and created again: checked once a second.
    auto check_at = std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
    std::weak_ptr<index::Index> weak = idx;
    auto still_there = [this, name = idx->name(), weak, check_at] {
      auto now = std::chrono::steady_clock::now();
      if (now < *check_at) return true;
      *check_at = now + std::chrono::seconds(1);
      auto cur = engine_->get(name);
      return cur.is_ok() && *cur == weak.lock();  // NotFound: dropped
    };
    stream_watcher(res, idx, watcher, wp.heartbeat_ms, std::move(preamble), -1, still_there, nullptr);
  });
}

bool ServerImpl::parse_watch_params(const httplib::Request& req, httplib::Response& res,
                                    const std::vector<std::string>& skip, WatchParams* out) {
  std::vector<std::string> not_query = {"heartbeat_ms", "last_event_id"};
  not_query.insert(not_query.end(), skip.begin(), skip.end());
  auto params = params_map(req, res, not_query);
  if (!params) return false;
  auto parsed = query::parse_search_params(*params);
  if (!parsed) {
    send_error(res, parsed.status(), error_path(parsed.status()));
    return false;
  }
  out->request = std::move(*parsed);
  out->params.assign(params->begin(), params->end());
  if (req.has_param("heartbeat_ms")) {
    try {
      out->heartbeat_ms = std::clamp(std::stoi(req.get_param_value("heartbeat_ms")), 100, 600000);
    } catch (...) {
      send_error(res, 400, "heartbeat_ms: expected an integer", Json(Json::Object{{"path", Json("heartbeat_ms")}}));
      return false;
    }
  }
  out->last_event_id = req.has_header("Last-Event-ID") ? req.get_header_value("Last-Event-ID")
                                                       : req.get_param_value("last_event_id");
  // An event stream must not be gzip-buffered: httplib picks the encoding
  // from the request when it writes, so drop the client's Accept-Encoding.
  const_cast<httplib::Request&>(req).headers.erase("Accept-Encoding");
  return true;
}

void ServerImpl::stream_watcher(httplib::Response& res, std::shared_ptr<index::Index> idx,
                                std::shared_ptr<Watcher> watcher, int heartbeat_ms, std::string preamble, int shard,
                                std::function<bool()> still_valid, std::function<void()> on_end) {
  auto poll = [watcher, shard, name = idx->name(), still_valid = std::move(still_valid),
               events = std::make_shared<std::vector<WatchEvent>>()](std::string* out) {
    if (still_valid && !still_valid()) {
      // A client's stream says why it ends (the index was dropped); a
      // shard's internal stream just ends (its router streams another).
      if (shard < 0) *out = sse_closed_event(name);
      return SsePoll::kEnd;
    }
    events->clear();
    switch (watcher->next(events.get(), 256, 200)) {  // what is queued leaves in one write
      case Watcher::Wait::kDropped:
        *out = sse_dropped_event();
        return SsePoll::kEnd;
      case Watcher::Wait::kClosed:
        return SsePoll::kEnd;
      case Watcher::Wait::kTimeout:
        return SsePoll::kIdle;
      case Watcher::Wait::kEvent:
        break;
    }
    for (const auto& e : *events)
      *out += sse_event(watch_event_name(e.kind), std::to_string(e.change->seq), watch_event_data(e, shard));
    return SsePoll::kData;
  };
  serve_sse(
      res, [preamble = std::move(preamble)] { return preamble; }, heartbeat_ms, stopping_, std::move(poll),
      [this, idx, watcher, on_end = std::move(on_end)] {
        hub_.unsubscribe(idx, watcher);
        if (on_end) on_end();
      });
}

}  // namespace meridian::server
