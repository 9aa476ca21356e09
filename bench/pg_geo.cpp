// pg_geo: the PostgreSQL + PostGIS side of the `geo` benchmark suite.
//
//   pg_geo --conninfo "host=127.0.0.1 port=P user=postgres dbname=postgres" --table T
//          --points P.tsv --queries Q.tsv [--rounds R] [--counts OUT] [--drop]
//
// Loads the points with COPY into table T (id text, name text, geog
// geography(Point,4326), geom geometry(Point,4326)), builds a GiST index on
// geog (radius queries), a GiST index on geom (lat/lon boxes) and, when any
// point has a name, a GIN index on to_tsvector('simple', name); ANALYZE.
// Then times prepared statements (libpq PQexecPrepared, text parameters,
// one round trip each, over TCP loopback) for every query:
//   radius      ST_DWithin(geog, point::geography, r, false)   (sphere, like Meridian)
//   box         geom && ST_MakeEnvelope(left, bottom, right, top, 4326)
//               (two envelopes OR-ed when the box crosses the antimeridian)
//   text_radius to_tsvector('simple', name) @@ plainto_tsquery('simple', w) AND ST_DWithin(...)
// each as SELECT id, count(*) OVER () ... LIMIT 10: the exact total plus
// ten ids, what Meridian's side returns. The clock covers the round trip.
// Prints one JSON line {"engine":"postgis","points","load_s","table_bytes",
// "bytes_per_point","classes":{...}}.
#include <libpq-fe.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "geo_query_file.h"

using geobench::die;

namespace {

PGconn* conn = nullptr;

void exec(const std::string& sql) {
  PGresult* r = PQexec(conn, sql.c_str());
  auto st = PQresultStatus(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    std::string err = PQresultErrorMessage(r);
    PQclear(r);
    die("pg_geo: " + sql + ": " + err);
  }
  PQclear(r);
}

std::string scalar(const std::string& sql) {
  PGresult* r = PQexec(conn, sql.c_str());
  if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
    std::string err = PQresultErrorMessage(r);
    PQclear(r);
    die("pg_geo: " + sql + ": " + err);
  }
  std::string v = PQgetvalue(r, 0, 0);
  PQclear(r);
  return v;
}

void prepare(const char* name, const std::string& sql, int nparams) {
  PGresult* r = PQprepare(conn, name, sql.c_str(), nparams, nullptr);
  if (PQresultStatus(r) != PGRES_COMMAND_OK) die(std::string("pg_geo: prepare ") + name + ": " + PQresultErrorMessage(r));
  PQclear(r);
}

void copy_points(const std::string& table, const std::string& path) {
  exec("CREATE UNLOGGED TABLE " + table + "_raw (id text, lat float8, lon float8, name text)");
  PGresult* r = PQexec(conn, ("COPY " + table + "_raw FROM STDIN").c_str());
  if (PQresultStatus(r) != PGRES_COPY_IN) die(std::string("pg_geo: COPY: ") + PQresultErrorMessage(r));
  PQclear(r);
  std::ifstream in(path, std::ios::binary);
  if (!in) die("pg_geo: cannot read " + path);
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    auto got = in.gcount();
    if (got > 0 && PQputCopyData(conn, buf.data(), static_cast<int>(got)) != 1)
      die(std::string("pg_geo: COPY data: ") + PQerrorMessage(conn));
  }
  if (PQputCopyEnd(conn, nullptr) != 1) die(std::string("pg_geo: COPY end: ") + PQerrorMessage(conn));
  r = PQgetResult(conn);
  if (PQresultStatus(r) != PGRES_COMMAND_OK) die(std::string("pg_geo: COPY: ") + PQresultErrorMessage(r));
  PQclear(r);
  while ((r = PQgetResult(conn)) != nullptr) PQclear(r);
}

void load(const std::string& t, const std::string& points) {
  exec("DROP TABLE IF EXISTS " + t + "_raw");
  exec("DROP TABLE IF EXISTS " + t);
  copy_points(t, points);
  exec("CREATE TABLE " + t + " AS SELECT id, name, "
       "ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography AS geog, "
       "ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS geom FROM " + t + "_raw");
  exec("DROP TABLE " + t + "_raw");
  exec("CREATE INDEX " + t + "_geog ON " + t + " USING gist (geog)");
  exec("CREATE INDEX " + t + "_geom ON " + t + " USING gist (geom)");
  if (scalar("SELECT count(*) FROM " + t + " WHERE name <> '' LIMIT 1") != "0")
    exec("CREATE INDEX " + t + "_name ON " + t + " USING gin (to_tsvector('simple', name))");
  exec("VACUUM ANALYZE " + t);
}

std::string fmt(double v) {
  char b[64];
  std::snprintf(b, sizeof b, "%.7f", v);
  return b;
}

uint64_t run(const char* stmt, const std::vector<std::string>& params) {
  std::vector<const char*> p;
  for (const auto& s : params) p.push_back(s.c_str());
  PGresult* r = PQexecPrepared(conn, stmt, static_cast<int>(p.size()), p.data(), nullptr, nullptr, 0);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) die(std::string("pg_geo: ") + stmt + ": " + PQresultErrorMessage(r));
  uint64_t c = PQntuples(r) ? std::strtoull(PQgetvalue(r, 0, 1), nullptr, 10) : 0;
  PQclear(r);
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  std::string conninfo, table, points, queries, counts;
  int rounds = 3;
  bool drop = false;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (k == "--drop") { drop = true; continue; }
    if (i + 1 >= argc) die("pg_geo: missing value for " + k);
    std::string v = argv[++i];
    if (k == "--conninfo") conninfo = v;
    else if (k == "--table") table = v;
    else if (k == "--points") points = v;
    else if (k == "--queries") queries = v;
    else if (k == "--counts") counts = v;
    else if (k == "--rounds") rounds = std::atoi(v.c_str());
    else die("pg_geo: unknown option " + k);
  }
  if (conninfo.empty() || table.empty() || points.empty() || queries.empty() || rounds < 1)
    die("usage: pg_geo --conninfo C --table T --points P.tsv --queries Q.tsv [--rounds R] [--counts OUT] [--drop]");
  conn = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn) != CONNECTION_OK) die(std::string("pg_geo: connect: ") + PQerrorMessage(conn));
  exec("SET jit = off");
  exec("CREATE EXTENSION IF NOT EXISTS postgis");

  double t0 = geobench::now_ms();
  load(table, points);
  double load_s = (geobench::now_ms() - t0) / 1000;
  uint64_t n = std::strtoull(scalar("SELECT count(*) FROM " + table).c_str(), nullptr, 10);
  uint64_t bytes = std::strtoull(scalar("SELECT pg_total_relation_size('" + table + "')").c_str(), nullptr, 10);

  const std::string sel = "SELECT id, count(*) OVER () FROM " + table + " WHERE ";
  const std::string near = "ST_DWithin(geog, ST_SetSRID(ST_MakePoint($2, $1), 4326)::geography, $3, false)";
  prepare("radius", sel + near + " LIMIT 10", 3);
  prepare("box", sel + "geom && ST_MakeEnvelope($1, $2, $3, $4, 4326) LIMIT 10", 4);
  prepare("box2", sel + "(geom && ST_MakeEnvelope($1, $2, 180, $4, 4326) OR "
                        "geom && ST_MakeEnvelope(-180, $2, $3, $4, 4326)) LIMIT 10", 4);
  prepare("text_radius", sel + "to_tsvector('simple', name) @@ plainto_tsquery('simple', $4) AND " + near +
                             " LIMIT 10", 4);

  auto qs = geobench::read_queries(queries);
  std::string classes = geobench::time_queries(qs, rounds, counts, [&](const geobench::Query& q) -> uint64_t {
    if (q.kind == "radius") return run("radius", {fmt(q.lat), fmt(q.lon), fmt(q.radius_m)});
    if (q.kind == "text_radius") return run("text_radius", {fmt(q.lat), fmt(q.lon), fmt(q.radius_m), q.word});
    if (q.kind == "box")
      return run(q.left <= q.right ? "box" : "box2", {fmt(q.left), fmt(q.bottom), fmt(q.right), fmt(q.top)});
    die("pg_geo: unknown query kind " + q.kind);
  });
  std::string version = scalar("SELECT postgis_lib_version()");
  std::string pgv = scalar("SHOW server_version");
  if (drop) exec("DROP TABLE " + table);
  PQfinish(conn);
  std::printf("{\"engine\":\"postgis\",\"points\":%llu,\"load_s\":%.2f,\"table_bytes\":%llu,\"bytes_per_point\":%.2f,"
              "\"postgres\":\"%s\",\"postgis\":\"%s\",\"rounds\":%d,\"classes\":%s}\n",
              static_cast<unsigned long long>(n), load_s, static_cast<unsigned long long>(bytes),
              static_cast<double>(bytes) / static_cast<double>(n ? n : 1), pgv.c_str(), version.c_str(), rounds,
              classes.c_str());
  return 0;
}
