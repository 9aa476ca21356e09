// live_match_bench SCHEMA DOCS QUERIES [--docs-max N] [--passes N]
//
// The in-process cost of live-query matching (GET .../watch), the part of
// `scripts/bench watch` that runs per changed document: each document of
// DOCS (NDJSON, one object with an id per line) is analysed once into a
// query::MemoryIndex, and every query of QUERIES (NDJSON of watch
// parameters, as bench/watch_queries.ndjson: {"q": ...}, {"filter": ...})
// answers LiveQuery::matches on it, as WatchHub's matcher thread does.
// Prints one JSON line: documents, queries, the matches found, and the
// thread CPU time per document of building the MemoryIndex and of matching
// every query (µs), over --passes passes (the best pass is reported).
// Exit 2 on usage or input errors.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "meridian/base/file.h"
#include "meridian/base/json.h"
#include "meridian/index/schema.h"
#include "meridian/query/live_query.h"
#include "meridian/query/memory_index.h"
#include "meridian/query/search_request.h"

namespace {

using meridian::Json;

double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int fail(const std::string& msg) {
  std::fprintf(stderr, "live_match_bench: %s\n", msg.c_str());
  return 2;
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) return fail("usage: live_match_bench SCHEMA DOCS QUERIES [--docs-max N] [--passes N]");
  size_t docs_max = 3000;
  int passes = 3;
  for (int i = 4; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--docs-max") docs_max = std::stoul(argv[i + 1]);
    else if (a == "--passes") passes = std::max(1, std::stoi(argv[i + 1]));
    else return fail("unknown option " + a);
  }
  auto schema_text = meridian::fs::read_file(argv[1]);
  if (!schema_text) return fail(schema_text.status().message());
  auto schema_json = meridian::parse_json(*schema_text);
  if (!schema_json) return fail(std::string(argv[1]) + ": " + schema_json.status().message());
  auto schema = meridian::index::Schema::from_json(*schema_json);
  if (!schema) return fail(std::string(argv[1]) + ": " + schema.status().message());
  auto shared_schema = std::make_shared<const meridian::index::Schema>(std::move(*schema));

  std::vector<std::string> docs = read_lines(argv[2]);
  if (docs.size() > docs_max) docs.resize(docs_max);
  if (docs.empty()) return fail(std::string(argv[2]) + ": no documents");

  std::vector<std::shared_ptr<const meridian::query::LiveQuery>> queries;
  const auto query_lines = read_lines(argv[3]);
  for (size_t i = 0; i < query_lines.size(); ++i) {
    auto j = meridian::parse_json(query_lines[i]);
    if (!j || !j->is_object()) return fail(std::string(argv[3]) + ":" + std::to_string(i + 1) + ": not a JSON object");
    std::map<std::string, std::string> params;
    for (const auto& [k, v] : j->as_object()) params[k] = v.is_string() ? v.as_string() : v.dump();
    auto req = meridian::query::parse_search_params(params, {});
    if (!req) return fail(std::string(argv[3]) + ":" + std::to_string(i + 1) + ": " + req.status().message());
    auto live = meridian::query::LiveQuery::compile(shared_schema, *req);
    if (!live) return fail(std::string(argv[3]) + ":" + std::to_string(i + 1) + ": " + live.status().message());
    queries.push_back(*live);
  }

  double best_build = 1e300, best_match = 1e300;
  size_t found = 0;
  for (int p = 0; p < passes; ++p) {
    double build_us = 0, match_us = 0;
    size_t n = 0;
    for (size_t d = 0; d < docs.size(); ++d) {
      const double t0 = thread_cpu_us();
      auto m = meridian::query::MemoryIndex::from_source(shared_schema, docs[d]);
      const double t1 = thread_cpu_us();
      if (!m) return fail(std::string(argv[2]) + ":" + std::to_string(d + 1) + ": " + m.status().message());
      for (const auto& q : queries) {
        auto r = q->matches(*m);
        if (r.is_ok() && *r) ++n;
      }
      build_us += t1 - t0;
      match_us += thread_cpu_us() - t1;
    }
    best_build = std::min(best_build, build_us / docs.size());
    best_match = std::min(best_match, match_us / docs.size());
    found = n;
  }
  std::printf(
      "{\"docs\": %zu, \"queries\": %zu, \"matches\": %zu, \"build_us_per_doc\": %.2f, \"match_us_per_doc\": %.2f, "
      "\"total_us_per_doc\": %.2f}\n",
      docs.size(), queries.size(), found, best_build, best_match, best_build + best_match);
  return 0;
}
