// watch_bench: the client side of `scripts/bench watch`. Against a running
// `meridian serve` (loopback), it opens N live-query streams
// (GET /v1/indexes/{index}/watch) over Q distinct queries, writes documents
// at a steady rate in bulk requests for a while, then checks every stream
// against a real search: no stream dropped, every matching document received
// exactly once, nothing else. A watch judges each document alone (the answer
// a search gives on an index holding only that document), while the check
// searches the whole index: for a `q` with a typo budget the two can differ
// (a word within the budget elsewhere in the index brings in documents of
// its stem). With --schema, each disputed document (missing from a stream or
// sent to one unexpectedly) is judged alone on a scratch index of that
// schema, and only what that judgement confirms counts as missing or
// unexpected (the rest is reported as judged per document). Latency of an event = its arrival minus the
// acknowledgment of the bulk request that wrote the document. With
// --streams 0 it only writes (the baseline for write throughput).
//
//   watch_bench --port P --index I --docs text.ndjson --queries Q.ndjson
//               [--streams 100] [--rate 5000] [--duration 60] [--batch 250] [--id-base 1]
//               [--schema bench/text_schema.json]
//
// The queries file holds one JSON object per line with the search GET
// parameters a stream uses, e.g. {"filter": "body:library"} or {"q": "kernel"}.
// Prints one JSON object.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <httplib.h>

#include "meridian/base/file.h"
#include "meridian/base/json.h"

using namespace meridian;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
  int port = 7700;
  std::string index = "watch";
  std::string docs, queries, schema;
  int streams = 100;
  double rate = 5000;
  double duration = 60;
  int batch = 250;
  int64_t id_base = 1;
};

struct Stream {
  size_t query = 0;
  std::atomic<bool> connected{false}, dropped{false}, ended{false};
  std::mutex mu;
  std::vector<std::pair<int64_t, Clock::time_point>> got;  // GUARDED_BY(mu)
  std::string buf;  // the reader thread's alone
};

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

std::string url_params(const Json& q) {
  std::string out;
  for (const auto& [k, v] : q.as_object()) {
    if (!out.empty()) out += "&";
    out += k + "=" + httplib::detail::encode_query_param(v.is_string() ? v.as_string() : v.dump());
  }
  return out;
}

// Parses the SSE bytes seen so far; keeps an incomplete event in s.buf.
void on_bytes(Stream& s, const char* data, size_t n) {
  s.buf.append(data, n);
  size_t start = 0;
  while (true) {
    size_t end = s.buf.find("\n\n", start);
    if (end == std::string::npos) break;
    std::string_view ev(s.buf.data() + start, end - start);
    start = end + 2;
    if (ev.find("event: dropped") != std::string_view::npos) s.dropped = true;
    if (ev.find("event: match") == std::string_view::npos) continue;
    size_t d = ev.find("data: {\"id\":\"");
    if (d == std::string_view::npos) continue;
    const int64_t id = std::strtoll(ev.data() + d + 13, nullptr, 10);
    std::lock_guard l(s.mu);
    s.got.emplace_back(id, Clock::now());
  }
  s.buf.erase(0, start);
}

void read_stream(const Args& a, const std::string& path, Stream* s) {
  httplib::Client cli("127.0.0.1", a.port);
  cli.set_read_timeout(600, 0);
  cli.set_keep_alive(false);
  auto res = cli.Get(path, httplib::Headers{{"Accept", "text/event-stream"}},
                     [&](const char* data, size_t n) {
                       s->connected = true;
                       on_bytes(*s, data, n);
                       return !s->ended.load();
                     });
  if (!res && !s->ended) std::fprintf(stderr, "watch_bench: stream %s ended: %s\n", path.c_str(),
                                      httplib::to_string(res.error()).c_str());
}

// Ids of every document of `index` matching `q` (a real search, paged with search_after).
std::set<int64_t> expected(const Args& a, const std::string& index, const Json& q) {
  httplib::Client cli("127.0.0.1", a.port);
  cli.set_read_timeout(120, 0);
  std::set<int64_t> out;
  Json after;
  while (true) {
    Json body = q;
    body.set("size", 10000);
    body.set("source", false);
    Json sort = Json::array();
    sort.push(Json("id"));
    body.set("sort", sort);
    if (!after.is_null()) body.set("search_after", after);
    auto res = cli.Post("/v1/indexes/" + index + "/search", body.dump(), "application/json");
    if (!res || res->status != 200) {
      std::fprintf(stderr, "watch_bench: search %s failed: %s\n", body.dump().c_str(),
                   res ? res->body.c_str() : httplib::to_string(res.error()).c_str());
      std::exit(1);
    }
    auto r = parse_json(res->body);
    if (!r) std::exit(1);
    const Json* hits = r->find("hits");
    if (!hits || hits->size() == 0) break;
    for (const auto& h : hits->as_array()) {
      out.insert(std::strtoll(h.find("id")->as_string().c_str(), nullptr, 10));
      after = *h.find("sort");
    }
  }
  return out;
}

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--port") a.port = std::stoi(v);
    else if (k == "--index") a.index = v;
    else if (k == "--docs") a.docs = v;
    else if (k == "--queries") a.queries = v;
    else if (k == "--streams") a.streams = std::stoi(v);
    else if (k == "--rate") a.rate = std::stod(v);
    else if (k == "--duration") a.duration = std::stod(v);
    else if (k == "--batch") a.batch = std::stoi(v);
    else if (k == "--id-base") a.id_base = std::stoll(v);
    else if (k == "--schema") a.schema = v;
    else {
      std::fprintf(stderr, "watch_bench: unknown option %s\n", k.c_str());
      std::exit(2);
    }
  }
  return a;
}

// Whether `doc` alone matches `q`: a search on a scratch index of `schema`
// holding only that document, dropped afterwards.
bool matches_alone(const Args& a, const std::string& schema, const Json& doc, const Json& q, int n) {
  httplib::Client cli("127.0.0.1", a.port);
  cli.set_read_timeout(60, 0);
  const std::string index = a.index + "_judge_" + std::to_string(n);
  auto put = cli.Put("/v1/indexes/" + index, schema, "application/json");
  auto add = cli.Post("/v1/indexes/" + index + "/docs?refresh=wait_for", doc.dump() + "\n", "application/x-ndjson");
  if (!put || put->status >= 300 || !add || add->status >= 300) {
    std::fprintf(stderr, "watch_bench: scratch index %s: %s\n", index.c_str(),
                 put && put->status >= 300 ? put->body.c_str() : add ? add->body.c_str() : "no answer");
    std::exit(1);
  }
  const bool m = !expected(a, index, q).empty();
  cli.Delete("/v1/indexes/" + index);
  return m;
}

std::vector<Json> read_ndjson(const std::string& path) {
  std::ifstream in(path);
  std::vector<Json> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto j = parse_json(line);
    if (!j) {
      std::fprintf(stderr, "watch_bench: %s: %s\n", path.c_str(), j.status().message().c_str());
      std::exit(1);
    }
    out.push_back(std::move(*j));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse_args(argc, argv);
  std::vector<Json> docs = read_ndjson(a.docs), queries = read_ndjson(a.queries);
  if (docs.empty() || queries.empty()) {
    std::fprintf(stderr, "watch_bench: need --docs and --queries\n");
    return 2;
  }
  // Streams, each on its own thread (a blocking reader), all connected first.
  std::vector<std::unique_ptr<Stream>> streams;
  std::vector<std::thread> readers;
  for (int i = 0; i < a.streams; ++i) {
    streams.push_back(std::make_unique<Stream>());
    streams.back()->query = static_cast<size_t>(i) % queries.size();
    std::string path = "/v1/indexes/" + a.index + "/watch?" + url_params(queries[streams.back()->query]) +
                       "&heartbeat_ms=1000";
    readers.emplace_back(read_stream, std::cref(a), path, streams.back().get());
  }
  for (auto deadline = Clock::now() + std::chrono::seconds(30); Clock::now() < deadline;) {
    bool all = std::all_of(streams.begin(), streams.end(), [](const auto& s) { return s->connected.load(); });
    if (all) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  // The writer: a bulk request every batch / rate seconds, on one keep-alive connection.
  const size_t total = static_cast<size_t>(a.rate * a.duration);
  std::vector<Clock::time_point> ack(total);
  std::vector<double> bulk_ms;
  httplib::Client writer("127.0.0.1", a.port);
  writer.set_read_timeout(120, 0);
  writer.set_keep_alive(true);
  const auto t0 = Clock::now();
  size_t written = 0;
  int failures = 0;
  Clock::time_point last_ack = t0;
  while (written < total) {
    const size_t n = std::min<size_t>(static_cast<size_t>(a.batch), total - written);
    const auto due = t0 + std::chrono::duration_cast<Clock::duration>(
                              std::chrono::duration<double>(static_cast<double>(written) / a.rate));
    std::this_thread::sleep_until(due);
    std::string body;
    for (size_t k = written; k < written + n; ++k) {
      Json d = docs[k % docs.size()];
      d.set("id", a.id_base + static_cast<int64_t>(k));
      body += d.dump();
      body += '\n';
    }
    const auto sent = Clock::now();
    auto res = writer.Post("/v1/indexes/" + a.index + "/docs", body, "application/x-ndjson");
    const auto now = Clock::now();
    if (!res || res->status >= 300) ++failures;
    bulk_ms.push_back(std::chrono::duration<double, std::milli>(now - sent).count());
    for (size_t k = written; k < written + n; ++k) ack[k] = now;
    written += n;
    last_ack = now;
  }
  const double write_s = std::chrono::duration<double>(last_ack - t0).count();

  // Quiet: every stream has had 3 s without a new event (at most 60 s).
  size_t last_count = SIZE_MAX;
  auto quiet_since = Clock::now();
  for (auto deadline = Clock::now() + std::chrono::seconds(60); Clock::now() < deadline && a.streams > 0;) {
    size_t c = 0;
    for (auto& s : streams) {
      std::lock_guard l(s->mu);
      c += s->got.size();
    }
    if (c != last_count) last_count = c, quiet_since = Clock::now();
    if (Clock::now() - quiet_since > std::chrono::seconds(3)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (auto& s : streams) s->ended = true;

  // Check against a real search per distinct query.
  std::vector<std::set<int64_t>> want(queries.size());
  if (a.streams > 0)
    for (size_t q = 0; q < queries.size(); ++q)
      for (int64_t id : expected(a, a.index, queries[q]))
        if (id >= a.id_base && id < a.id_base + static_cast<int64_t>(written)) want[q].insert(id);
  // Disputed documents judged alone, once per (query, document of --docs).
  std::string schema;
  if (!a.schema.empty()) {
    auto text = fs::read_file(a.schema);
    if (!text || text->empty()) {
      std::fprintf(stderr, "watch_bench: %s: %s\n", a.schema.c_str(), text ? "empty" : text.status().message().c_str());
      return 2;
    }
    schema = std::move(*text);
  }
  std::map<std::pair<size_t, size_t>, bool> alone;
  auto matches_by_itself = [&](size_t q, int64_t id) {
    const size_t k = static_cast<size_t>(id - a.id_base) % docs.size();
    auto [it, fresh] = alone.try_emplace({q, k}, false);
    if (fresh) {
      Json d = docs[k];
      d.set("id", a.id_base + static_cast<int64_t>(k));
      it->second = matches_alone(a, schema, d, queries[q], static_cast<int>(alone.size()));
    }
    return it->second;
  };
  size_t events = 0, missing = 0, extra = 0, dup = 0, dropped = 0, early = 0, expected_events = 0;
  size_t judged_missing = 0, judged_extra = 0;  // disputes the per-document judgement settled
  std::vector<double> lat_ms;
  std::map<size_t, int64_t> missing_by_query;  // query (line of --queries, from 0) -> events
  for (auto& s : streams) {
    std::lock_guard l(s->mu);
    dropped += s->dropped;
    std::unordered_set<int64_t> seen;
    for (const auto& [id, t] : s->got) {
      ++events;
      if (!seen.insert(id).second) {
        ++dup;
        continue;
      }
      if (!want[s->query].count(id)) {
        if (!schema.empty() && matches_by_itself(s->query, id)) ++judged_extra;
        else ++extra;
        continue;
      }
      const size_t k = static_cast<size_t>(id - a.id_base);
      double ms = std::chrono::duration<double, std::milli>(t - ack[k]).count();
      if (ms < 0) ++early, ms = 0;  // published (refresh) before the bulk response arrived
      lat_ms.push_back(ms);
    }
    expected_events += want[s->query].size();
    for (int64_t id : want[s->query]) {
      if (seen.count(id)) continue;
      if (!schema.empty() && !matches_by_itself(s->query, id)) {
        ++judged_missing;
        continue;
      }
      ++missing, ++missing_by_query[s->query];
    }
  }
  // The streams' threads block in reads until the server closes them: detach.
  for (auto& t : readers) t.detach();

  Json out = Json::object();
  out.set("streams", a.streams);
  out.set("distinct_queries", static_cast<int64_t>(std::min<size_t>(queries.size(), std::max(a.streams, 0))));
  out.set("target_docs_per_s", a.rate);
  out.set("docs_written", static_cast<int64_t>(written));
  out.set("write_seconds", write_s);
  out.set("docs_per_s", static_cast<double>(written) / write_s);
  out.set("bulk_failures", failures);
  out.set("bulk_batch", a.batch);
  out.set("bulk_ack_p50_ms", pct(bulk_ms, 50));
  out.set("bulk_ack_p99_ms", pct(bulk_ms, 99));
  out.set("events", static_cast<int64_t>(events));
  out.set("expected_events", static_cast<int64_t>(expected_events));
  out.set("missing", static_cast<int64_t>(missing));
  Json by_query = Json::object();
  for (const auto& [q, n] : missing_by_query) by_query.set(queries[q].dump(), n);
  out.set("missing_by_query", by_query);
  out.set("unexpected", static_cast<int64_t>(extra));
  // Disputes settled by judging the document alone (--schema): not sent
  // because the document alone does not match, or sent because it does.
  out.set("not_sent_judged_alone", static_cast<int64_t>(judged_missing));
  out.set("sent_judged_alone", static_cast<int64_t>(judged_extra));
  out.set("documents_judged_alone", static_cast<int64_t>(alone.size()));
  out.set("duplicates", static_cast<int64_t>(dup));
  out.set("dropped_streams", static_cast<int64_t>(dropped));
  out.set("events_before_ack", static_cast<int64_t>(early));
  out.set("latency_p50_ms", pct(lat_ms, 50));
  out.set("latency_p99_ms", pct(lat_ms, 99));
  out.set("latency_max_ms", pct(lat_ms, 100));
  std::printf("%s\n", out.dump().c_str());
  std::fflush(stdout);
  std::_Exit(0);  // reader threads still blocked in reads
}
