// query_bench DATA_DIR INDEX QUERIES [--passes N] [--threads N] [--ids] [--dump]
//
// Meridian's side of `scripts/bench query`: opens the data directory (the
// index was built by `meridian import` with bench/text_schema.json: title and
// body `text` (en), source `keyword`, id `int`), takes one snapshot and answers
// the query file (scripts/lib/bench_queries.py) with query::search(), timed
// by bench/query_harness.h. Every request asks for the top 10 by score (sort:
// by id desc) and returns their stored source, as a search API call does.
// Per class the request is (fields = ["title", "body"]):
//   term_*, sort, facets, filter: multi_match(word)
//   and2 / or3: multi_match(words, operator and / or)
//   phrase: bool.should[match_phrase(title), match_phrase(body)]
//   prefix: bool.should[prefix(title), prefix(body)]
//   fuzzy: multi_match(word, fuzziness 1)
//   filter: + filter term(source)   sort: sort [{"id": "desc"}]
//   facets: + facets {"src": {"terms": {"field": "source"}}}
// track_total_hits stays at its default (exact up to 10000).
// --ids: the peer-neutral task, top-10 ids only: "source": false and
// "track_total_hits": false (no stored source read, no exact count; facets
// still see every match), as xapian_query --ids is asked.
// --dump: instead of timing, answers each query once and prints one line per
// query (class, words, then id:score of each hit, scores to 17 digits), to
// check that a speed change keeps the answers.
// Prints the harness JSON line. Exit 2 on usage/open errors, 1 on a failed query.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "meridian/base/json.h"
#include "meridian/index/engine.h"
#include "meridian/query/search_request.h"
#include "meridian/query/searcher.h"
#include "query_harness.h"

namespace {

using meridian::Json;

std::string quoted(const std::string& s) { return "\"" + s + "\""; }  // words are [a-z]+

std::string join(const std::vector<std::string>& w) {
  std::string s;
  for (const auto& x : w) s += (s.empty() ? "" : " ") + x;
  return s;
}

// The JSON search request for one query of the set.
std::string request_json(const bench::QuerySpec& q, bool ids_only) {
  const std::string fields = "\"fields\":[\"title\",\"body\"]";
  const std::string text = quoted(join(q.words));
  std::string query;
  if (q.cls == "phrase") {
    query = "{\"bool\":{\"should\":[{\"match_phrase\":{\"title\":" + text + "}},{\"match_phrase\":{\"body\":" +
            text + "}}]}}";
  } else if (q.cls == "prefix") {
    query = "{\"bool\":{\"should\":[{\"prefix\":{\"title\":" + text + "}},{\"prefix\":{\"body\":" + text +
            "}}]}}";
  } else {
    std::string opts;
    if (q.cls == "and2") opts = ",\"operator\":\"and\"";
    if (q.cls == "or3") opts = ",\"operator\":\"or\"";
    if (q.cls == "fuzzy") opts = ",\"fuzziness\":1";
    query = "{\"multi_match\":{\"query\":" + text + "," + fields + opts + "}}";
  }
  std::string req = "{\"size\":10,\"query\":" + query;
  if (q.cls == "filter") req += ",\"filter\":[{\"term\":{\"source\":" + quoted(q.filter) + "}}]";
  if (q.cls == "sort") req += ",\"sort\":[{\"id\":\"desc\"}]";
  if (q.cls == "facets") req += ",\"facets\":{\"src\":{\"terms\":{\"field\":\"source\"}}}";
  if (ids_only) req += ",\"source\":false,\"track_total_hits\":false";
  return req + "}";
}

class MeridianWorker : public bench::Worker {
 public:
  MeridianWorker(std::shared_ptr<const meridian::index::Snapshot> snap,
                 const std::map<const bench::QuerySpec*, meridian::query::SearchRequest>* reqs)
      : snap_(std::move(snap)), reqs_(reqs) {}
  long run(const bench::QuerySpec& q) override {
    auto r = meridian::query::search(*snap_, reqs_->at(&q));
    if (!r.is_ok()) {
      std::fprintf(stderr, "query_bench: %s: %s\n", q.cls.c_str(), r.status().to_string().c_str());
      return -2;
    }
    return static_cast<long>(r->hits.size());
  }

 private:
  std::shared_ptr<const meridian::index::Snapshot> snap_;
  const std::map<const bench::QuerySpec*, meridian::query::SearchRequest>* reqs_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: query_bench DATA_DIR INDEX QUERIES [--passes N] [--threads N] [--ids] [--dump]\n");
    return 2;
  }
  int passes = 3, threads = 2;
  bool ids_only = false, dump = false;
  for (int i = 4; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--ids") ids_only = true;
    else if (a == "--dump") dump = true;
    else if (a == "--passes" && i + 1 < argc) passes = std::atoi(argv[++i]);
    else if (a == "--threads" && i + 1 < argc) threads = std::atoi(argv[++i]);
  }
  std::vector<bench::QuerySpec> queries;
  if (!bench::load_queries(argv[3], &queries)) {
    std::fprintf(stderr, "query_bench: cannot read %s\n", argv[3]);
    return 2;
  }
  auto engine = meridian::index::Engine::open(argv[1]);
  if (!engine.is_ok()) {
    std::fprintf(stderr, "query_bench: %s\n", engine.status().to_string().c_str());
    return 2;
  }
  auto index = (*engine)->get(argv[2]);
  if (!index.is_ok()) {
    std::fprintf(stderr, "query_bench: %s\n", index.status().to_string().c_str());
    return 2;
  }
  auto snap = (*index)->snapshot();
  std::map<const bench::QuerySpec*, meridian::query::SearchRequest> reqs;
  for (const auto& q : queries) {
    auto body = meridian::parse_json(request_json(q, ids_only));
    if (!body.is_ok()) return 2;
    auto req = meridian::query::parse_search_request(*body);
    if (!req.is_ok()) {
      std::fprintf(stderr, "query_bench: %s: %s\n", request_json(q, ids_only).c_str(), req.status().to_string().c_str());
      return 2;
    }
    reqs.emplace(&q, std::move(*req));
  }
  if (dump) {
    for (const auto& q : queries) {
      auto r = meridian::query::search(*snap, reqs.at(&q));
      if (!r.is_ok()) {
        std::fprintf(stderr, "query_bench: %s: %s\n", q.cls.c_str(), r.status().to_string().c_str());
        return 1;
      }
      std::printf("%s %s |", q.cls.c_str(), join(q.words).c_str());
      for (const auto& h : r->hits) std::printf(" %s:%.17g", h.id.c_str(), h.score);
      std::printf("\n");
    }
    return 0;
  }
  bench::WorkerFactory make = [&] { return std::make_unique<MeridianWorker>(snap, &reqs); };
  std::string extra = ",\"docs\":" + std::to_string((*index)->stats().docs) +
                      ",\"segments\":" + std::to_string(snap->segments().size()) +
                      ",\"ids_only\":" + (ids_only ? "true" : "false");
  bool ok = bench::run_suite("meridian", queries, passes, threads, make, extra);
  return ok ? 0 : 1;
}
