// PostgreSQL peer of the `query` suite: answers the query file over libpq.
//
//   pg_query CONNINFO QUERIES [--passes N] [--threads N]
//
// The table is built by `bench/pg_load.py load text` (docs with a stored
// tsvector column tsv = to_tsvector('english', title || ' ' || body), GIN on
// tsv, btree on source). Each thread has its own connection. Per class, with
// q = to_tsquery('english', $1):
//   term_*: 'w'   and2: 'a & b'   or3: 'a | b | c'   phrase: 'a <-> b'   prefix: 'pre:*'
//   SELECT id, title FROM docs WHERE tsv @@ q ORDER BY ts_rank(tsv, q) DESC LIMIT 10
//   filter: ... AND source = $2 (same ORDER BY)
//   sort:   ... ORDER BY id DESC LIMIT 10
//   facets: the top-10 statement, then
//           SELECT source, count(*) FROM docs WHERE tsv @@ q GROUP BY source ORDER BY 2 DESC LIMIT 10
//   fuzzy:  unsupported (no edit-distance match on tsvector).
// Statements are prepared once per connection (PQprepare); timing and output
// come from bench/query_harness.h.
#include <libpq-fe.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "query_harness.h"

namespace {

const char* kRank =
    "SELECT id, title FROM docs WHERE tsv @@ to_tsquery('english', $1) "
    "ORDER BY ts_rank(tsv, to_tsquery('english', $1)) DESC LIMIT 10";
const char* kFilter =
    "SELECT id, title FROM docs WHERE tsv @@ to_tsquery('english', $1) AND source = $2 "
    "ORDER BY ts_rank(tsv, to_tsquery('english', $1)) DESC LIMIT 10";
const char* kSort =
    "SELECT id, title FROM docs WHERE tsv @@ to_tsquery('english', $1) ORDER BY id DESC LIMIT 10";
const char* kFacet =
    "SELECT source, count(*) FROM docs WHERE tsv @@ to_tsquery('english', $1) "
    "GROUP BY source ORDER BY 2 DESC LIMIT 10";

std::string tsquery(const bench::QuerySpec& q) {
  std::string op = q.cls == "and2" ? " & " : q.cls == "phrase" ? " <-> " : " | ";
  std::string s;
  for (const auto& w : q.words) s += (s.empty() ? "" : op) + w;
  if (q.cls == "prefix") s += ":*";
  return s;
}

class PgWorker : public bench::Worker {
 public:
  explicit PgWorker(PGconn* c) : c_(c) {}
  ~PgWorker() override { PQfinish(c_); }

  static std::unique_ptr<PgWorker> connect(const std::string& conninfo) {
    PGconn* c = PQconnectdb(conninfo.c_str());
    if (PQstatus(c) != CONNECTION_OK) {
      std::fprintf(stderr, "pg_query: %s", PQerrorMessage(c));
      PQfinish(c);
      return nullptr;
    }
    auto w = std::make_unique<PgWorker>(c);
    const char* names[] = {"rank", "filter", "sort", "facet"};
    const char* sqls[] = {kRank, kFilter, kSort, kFacet};
    for (int i = 0; i < 4; ++i) {
      PGresult* r = PQprepare(c, names[i], sqls[i], 0, nullptr);
      bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
      if (!ok) std::fprintf(stderr, "pg_query: prepare %s: %s", names[i], PQerrorMessage(c));
      PQclear(r);
      if (!ok) return nullptr;
    }
    return w;
  }

  long run(const bench::QuerySpec& q) override {
    if (q.cls == "fuzzy") return -1;
    std::string tq = tsquery(q);
    const char* params[2] = {tq.c_str(), q.filter.c_str()};
    const char* stmt = q.cls == "filter" ? "filter" : q.cls == "sort" ? "sort" : "rank";
    long hits = exec(stmt, params, q.cls == "filter" ? 2 : 1);
    if (hits >= 0 && q.cls == "facets" && exec("facet", params, 1) < 0) return -2;
    return hits;
  }

 private:
  long exec(const char* stmt, const char* const* params, int n) {
    PGresult* r = PQexecPrepared(c_, stmt, n, params, nullptr, nullptr, 0);
    long rows = -2;
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
      rows = PQntuples(r);
      for (int i = 0; i < rows; ++i) sink_ += static_cast<size_t>(PQgetlength(r, i, 1));
    } else {
      std::fprintf(stderr, "pg_query: %s: %s", stmt, PQerrorMessage(c_));
    }
    PQclear(r);
    return rows;
  }

  PGconn* c_;
  size_t sink_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: pg_query CONNINFO QUERIES [--passes N] [--threads N]\n");
    return 2;
  }
  int passes = 3, threads = 2;
  for (int i = 3; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--passes") passes = std::atoi(argv[i + 1]);
    else if (a == "--threads") threads = std::atoi(argv[i + 1]);
  }
  std::vector<bench::QuerySpec> queries;
  if (!bench::load_queries(argv[2], &queries)) return 2;
  std::string conninfo = argv[1];
  bench::WorkerFactory make = [&]() -> std::unique_ptr<bench::Worker> { return PgWorker::connect(conninfo); };
  std::string extra = ",\"libpq_version\":" + std::to_string(PQlibVersion());
  return bench::run_suite("postgresql", queries, passes, threads, make, extra) ? 0 : 1;
}
