// geo_bench: Meridian's side of the `geo` benchmark suite.
//
//   geo_bench --points P.tsv --queries Q.tsv --work DIR [--rounds R] [--counts OUT] [--threads N]
//             [--reuse 1] [--build-only 1] [--ids all]
//
// Builds an index in DIR with index::Engine (documents {"id", "name",
// "location": {"lat","lon"}}, "name" text, "location" geo_point), commits
// and force-merges it to one segment, then times query::search() for every
// query of Q.tsv (see geo_query_file.h): radius -> geo_distance filter, box
// -> geo_bounding_box filter, text_radius -> match on name + geo_distance
// filter. Each search asks for the exact total and the first 10 hits' ids
// ("source": false, as the peers return ids only: PostGIS SELECT id, Redis
// GEOSEARCH member names; the stored documents are not read); with --ids all
// every match's id (size = the number of points, the result window raised to
// match; sqlite_geo's --ids all). The request is parsed once per query,
// outside the clock, like the peers' prepared statements; the clock covers
// search() only (in-process: no network, no serialisation).
// With --build-only 1 it stops after the build (no "classes" in the output);
// with --reuse 1 it opens the index an earlier run built in DIR instead
// (build_s is then 0). scripts/bench runs the two in turn, so queries run in
// a fresh process, as `meridian serve` after `meridian import`, not in the
// loader's heap.
// Prints one JSON line: {"engine":"meridian","points","build_s","index_bytes",
// "bytes_per_point","classes":{...}}.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <string>
#include <vector>

#include "geo_query_file.h"
#include "meridian/base/file.h"
#include "meridian/base/json.h"
#include "meridian/index/engine.h"
#include "meridian/query/search_request.h"
#include "meridian/query/searcher.h"

using namespace meridian;
using geobench::die;

namespace {

Json point_json(double lat, double lon) {
  Json p = Json::object();
  p.set("lat", lat);
  p.set("lon", lon);
  return p;
}

Json request_json(const geobench::Query& q, size_t size) {
  Json body = Json::object();
  Json filter = Json::object();
  if (q.kind == "radius" || q.kind == "text_radius") {
    Json gd = Json::object();
    gd.set("distance", q.radius_m);
    gd.set("location", point_json(q.lat, q.lon));
    filter.set("geo_distance", std::move(gd));
  } else if (q.kind == "box") {
    Json box = Json::object();
    box.set("top", q.top);
    box.set("left", q.left);
    box.set("bottom", q.bottom);
    box.set("right", q.right);
    Json gb = Json::object();
    gb.set("location", std::move(box));
    filter.set("geo_bounding_box", std::move(gb));
  } else {
    die("unknown query kind " + q.kind);
  }
  body.set("filter", std::move(filter));
  if (q.kind == "text_radius") {
    Json m = Json::object();
    m.set("name", q.word);
    Json match = Json::object();
    match.set("match", std::move(m));
    body.set("query", std::move(match));
  }
  body.set("size", static_cast<int64_t>(size));
  body.set("track_total_hits", true);
  body.set("source", false);
  return body;
}

void check(const Status& st, const char* what) {
  if (!st.is_ok()) die(std::string(what) + ": " + st.message());
}

// Loads the points in batches; each batch is prepared on `threads` threads
// and applied in order.
size_t load(index::Index& ix, const std::string& path, unsigned threads) {
  std::vector<Json> batch;
  size_t n = 0;
  auto flush = [&] {
    std::vector<std::future<std::vector<index::Index::Prepared>>> parts;
    size_t per = (batch.size() + threads - 1) / threads;
    for (size_t s = 0; s < batch.size(); s += per) {
      parts.push_back(std::async(std::launch::async, [&, s] {
        std::vector<Json> slice(batch.begin() + static_cast<long>(s),
                                batch.begin() + static_cast<long>(std::min(batch.size(), s + per)));
        return ix.prepare(slice);
      }));
    }
    std::vector<index::Index::Prepared> all;
    for (auto& f : parts)
      for (auto& p : f.get()) all.push_back(std::move(p));
    index::WriteBatch wb;
    for (auto& p : all) wb.put(std::move(p));
    for (auto& r : ix.write(std::move(wb)))
      if (!r) die("put: " + r.status().message());
    batch.clear();
  };
  n = geobench::for_each_point(path, [&](const geobench::Point& p) {
    Json d = Json::object();
    d.set("id", p.id);
    if (!p.name.empty()) d.set("name", p.name);
    d.set("location", point_json(p.lat, p.lon));
    batch.push_back(std::move(d));
    if (batch.size() == 20000) flush();
  });
  if (!batch.empty()) flush();
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  std::string points, queries, work, counts;
  int rounds = 3;
  unsigned threads = 2;
  bool reuse = false, build_only = false, all_ids = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--points") points = v;
    else if (k == "--queries") queries = v;
    else if (k == "--work") work = v;
    else if (k == "--counts") counts = v;
    else if (k == "--rounds") rounds = std::atoi(v.c_str());
    else if (k == "--reuse") reuse = v == "1";
    else if (k == "--build-only") build_only = v == "1";
    else if (k == "--ids") all_ids = v == "all";
    else if (k == "--threads") threads = static_cast<unsigned>(std::max(1, std::atoi(v.c_str())));
    else die("geo_bench: unknown option " + k);
  }
  if (points.empty() || queries.empty() || work.empty() || rounds < 1)
    die("usage: geo_bench --points P.tsv --queries Q.tsv --work DIR [--rounds R] [--counts OUT] [--threads N] "
        "[--reuse 1] [--build-only 1] [--ids all]");

  index::IndexOptions opt;
  opt.refresh_interval_ms = 600000;
  opt.commit_interval_ms = 0;
  opt.max_builder_bytes = 256u << 20;
  auto engine = index::Engine::open(work, opt);
  if (!engine) die("engine: " + engine.status().message());
  auto schema_json = parse_json(R"({"fields": {"name": "text", "location": "geo_point"}, "id_field": "id"})");
  if (!schema_json) die("schema: " + schema_json.status().message());
  auto schema = index::Schema::from_json(*schema_json);
  if (!schema) die("schema: " + schema.status().message());
  auto ix = reuse ? (*engine)->get("geo") : (*engine)->create_index("geo", *schema);
  if (!ix) die("create: " + ix.status().message());

  double t0 = geobench::now_ms();
  size_t n = 0;
  if (reuse) {
    n = (*ix)->snapshot()->live_docs();
  } else {
    n = load(**ix, points, threads);
    check((*ix)->commit(), "commit");
    check((*ix)->force_merge(), "force_merge");
    check((*ix)->commit(), "commit");
  }
  double build_s = reuse ? 0.0 : (geobench::now_ms() - t0) / 1000;
  uint64_t bytes = fs::dir_bytes((*ix)->dir());
  auto snap = (*ix)->snapshot();
  if (snap->live_docs() != n) die("index holds " + std::to_string(snap->live_docs()) + " docs, loaded " + std::to_string(n));

  if (build_only) {
    std::printf("{\"engine\":\"meridian\",\"points\":%zu,\"segments\":%zu,\"build_s\":%.2f,\"index_bytes\":%llu,"
                "\"bytes_per_point\":%.2f}\n",
                n, snap->segments().size(), build_s, static_cast<unsigned long long>(bytes),
                static_cast<double>(bytes) / static_cast<double>(std::max<size_t>(n, 1)));
    return 0;
  }
  auto qs = geobench::read_queries(queries);
  const size_t size = all_ids ? std::max<size_t>(n, 1) : 10;
  query::SearchRequestOptions popt;
  query::SearchOptions sopt;
  popt.max_window = sopt.max_window = std::max<size_t>(size, popt.max_window);
  std::vector<query::SearchRequest> reqs;
  for (const auto& q : qs) {
    auto r = query::parse_search_request(request_json(q, size), popt);
    if (!r) die("request: " + r.status().message());
    reqs.push_back(std::move(*r));
  }
  std::string classes = geobench::time_queries(qs, rounds, counts, [&](const geobench::Query& q) -> uint64_t {
    size_t i = static_cast<size_t>(&q - qs.data());
    auto res = query::search(*snap, reqs[i], sopt);
    if (!res) die("search: " + res.status().message());
    if (all_ids && res->hits.size() != std::min<uint64_t>(res->total, size)) die("search: not every id returned");
    return res->total;
  });
  std::printf("{\"engine\":\"meridian\",\"points\":%zu,\"segments\":%zu,\"build_s\":%.2f,\"index_bytes\":%llu,"
              "\"bytes_per_point\":%.2f,\"ids\":\"%s\",\"rounds\":%d,\"classes\":%s}\n",
              n, snap->segments().size(), build_s, static_cast<unsigned long long>(bytes),
              static_cast<double>(bytes) / static_cast<double>(std::max<size_t>(n, 1)), all_ids ? "all" : "10", rounds,
              classes.c_str());
  return 0;
}
