// sqlite_geo: the SQLite R*Tree side of the `geo` benchmark suite, in-process
// (libsqlite3, no server, like Meridian's geo_bench).
//
//   sqlite_geo --points P.tsv --queries Q.tsv [--db FILE] [--rounds R] [--counts OUT] [--ids 10|all]
//
// Loads the points in one transaction into
//   CREATE VIRTUAL TABLE pts USING rtree(rid, minlat, maxlat, minlon, maxlon, +id TEXT, +lat REAL, +lon REAL)
// (a point is a degenerate box; the R*Tree keeps 32-bit floats rounded
// outwards, the auxiliary columns keep the id and the exact coordinates) and,
// when any point has a name, a contentless FTS5 table names(name) with the
// same rowids (tokenizer porter unicode61 remove_diacritics 2). Then times one
// prepared statement per query:
//   SELECT id, lat, lon FROM pts WHERE minlat <= ?top AND maxlat >= ?bottom
//                                  AND minlon <= ?right AND maxlon >= ?left
// over the query's bounding box (a circle's box is computed like Meridian's:
// lat +- r/R, lon +- asin(sin(r/R) / cos(lat)); all longitudes when it holds a
// pole; two boxes across the antimeridian), refined in C++:
//   radius       haversine on the sphere of radius 6371008.8 m (Meridian's)
//   box          the exact closed lat/lon box on the double coordinates
//   text_radius  the same statement joined with names MATCH '"word"'
// Each query counts every match and keeps the first 10 ids (what the other
// engines return), or every id with --ids all. The clock covers binding,
// stepping, refining and copying the ids. --db defaults to ":memory:"; with a
// file the database is written, closed and reopened (mmap, 1 GiB cache) before
// the queries, as a server would open it. Prints one JSON line
// {"engine":"sqlite","points","load_s","db_bytes","bytes_per_point","sqlite","classes":{...}}.
#include <sqlite3.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "geo_query_file.h"

using geobench::die;

namespace {

constexpr double kEarthRadiusM = 6371008.8;  // Meridian's sphere (geo/point.h)
constexpr double kDegToRad = M_PI / 180.0;
constexpr double kRadToDeg = 180.0 / M_PI;

void check(sqlite3* db, int rc, const std::string& what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) die("sqlite_geo: " + what + ": " + sqlite3_errmsg(db));
}

void exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string e = err ? err : "?";
    sqlite3_free(err);
    die("sqlite_geo: " + sql + ": " + e);
  }
}

sqlite3_stmt* prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  check(db, sqlite3_prepare_v3(db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr), "prepare " + sql);
  return st;
}

int64_t scalar(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* st = prepare(db, sql);
  if (sqlite3_step(st) != SQLITE_ROW) die("sqlite_geo: " + sql + ": no row");
  int64_t v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

sqlite3* open_db(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) die("sqlite_geo: open " + path);
  exec(db, "PRAGMA cache_size = -1048576");  // 1 GiB: the whole database stays in memory
  exec(db, "PRAGMA mmap_size = 2147418112");
  exec(db, "PRAGMA temp_store = MEMORY");
  return db;
}

bool load(sqlite3* db, const std::string& points, size_t* n) {
  exec(db, "PRAGMA journal_mode = OFF");
  exec(db, "PRAGMA synchronous = OFF");
  exec(db, "CREATE VIRTUAL TABLE pts USING rtree(rid, minlat, maxlat, minlon, maxlon, +id TEXT, +lat REAL, +lon REAL)");
  exec(db, "CREATE VIRTUAL TABLE names USING fts5(name, content='', "
           "tokenize='porter unicode61 remove_diacritics 2')");
  exec(db, "BEGIN");
  sqlite3_stmt* ins = prepare(db, "INSERT INTO pts VALUES (?1, ?2, ?2, ?3, ?3, ?4, ?2, ?3)");
  sqlite3_stmt* name = prepare(db, "INSERT INTO names(rowid, name) VALUES (?1, ?2)");
  bool named = false;
  int64_t rid = 0;
  *n = geobench::for_each_point(points, [&](const geobench::Point& p) {
    ++rid;
    sqlite3_bind_int64(ins, 1, rid);
    sqlite3_bind_double(ins, 2, p.lat);
    sqlite3_bind_double(ins, 3, p.lon);
    sqlite3_bind_text(ins, 4, p.id.data(), static_cast<int>(p.id.size()), SQLITE_TRANSIENT);
    check(db, sqlite3_step(ins), "insert");
    sqlite3_reset(ins);
    if (!p.name.empty()) {
      named = true;
      sqlite3_bind_int64(name, 1, rid);
      sqlite3_bind_text(name, 2, p.name.data(), static_cast<int>(p.name.size()), SQLITE_TRANSIENT);
      check(db, sqlite3_step(name), "insert name");
      sqlite3_reset(name);
    }
  });
  sqlite3_finalize(ins);
  sqlite3_finalize(name);
  exec(db, "COMMIT");
  if (!named) exec(db, "DROP TABLE names");
  return named;
}

struct Box {
  double top, left, bottom, right;  // left <= right (no wrap)
};

// The boxes (one or two) that hold every point of the query, as
// Meridian's circle and box shapes bound themselves.
std::vector<Box> query_boxes(const geobench::Query& q) {
  std::vector<Box> out;
  double top, bottom, lo, hi;
  if (q.kind == "box") {
    top = q.top;
    bottom = q.bottom;
    lo = q.left;
    hi = q.left <= q.right ? q.right : q.right + 360;
  } else {
    double rho = q.radius_m / kEarthRadiusM * kRadToDeg + 1e-6;
    top = q.lat + rho;
    bottom = q.lat - rho;
    if (top >= 90 || bottom <= -90) {
      out.push_back({std::min(top, 90.0), -180, std::max(bottom, -90.0), 180});
      return out;
    }
    double s = std::sin(rho * kDegToRad) / std::cos(q.lat * kDegToRad);
    double dlon = s >= 1 ? 180 : std::asin(s) * kRadToDeg + 1e-6;
    lo = q.lon - dlon;
    hi = q.lon + dlon;
  }
  if (hi - lo >= 360) {
    out.push_back({top, -180, bottom, 180});
  } else if (lo < -180) {
    out.push_back({top, lo + 360, bottom, 180});
    out.push_back({top, -180, bottom, hi});
  } else if (hi > 180) {
    out.push_back({top, lo, bottom, 180});
    out.push_back({top, -180, bottom, hi - 360});
  } else {
    out.push_back({top, lo, bottom, hi});
  }
  return out;
}

double haversine_m(double lat1, double lon1, double lat2, double lon2) {
  double s_lat = std::sin((lat2 - lat1) * kDegToRad / 2);
  double s_lon = std::sin((lon2 - lon1) * kDegToRad / 2);
  double h = s_lat * s_lat + std::cos(lat1 * kDegToRad) * std::cos(lat2 * kDegToRad) * s_lon * s_lon;
  h = std::min(1.0, std::max(0.0, h));
  return 2 * kEarthRadiusM * std::asin(std::sqrt(h));
}

bool in_box(const geobench::Query& q, double lat, double lon) {
  if (lat < q.bottom || lat > q.top) return false;
  if (q.left <= q.right) return lon >= q.left && lon <= q.right;
  return lon >= q.left || lon <= q.right;  // crosses the antimeridian
}

}  // namespace

int main(int argc, char** argv) {
  std::string points, queries, counts, path = ":memory:";
  int rounds = 3;
  bool all_ids = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--points") points = v;
    else if (k == "--queries") queries = v;
    else if (k == "--db") path = v;
    else if (k == "--counts") counts = v;
    else if (k == "--rounds") rounds = std::atoi(v.c_str());
    else if (k == "--ids") all_ids = v == "all";
    else die("sqlite_geo: unknown option " + k);
  }
  if (points.empty() || queries.empty() || rounds < 1)
    die("usage: sqlite_geo --points P.tsv --queries Q.tsv [--db FILE] [--rounds R] [--counts OUT] [--ids 10|all]");
  bool memory = path == ":memory:";
  if (!memory) std::remove(path.c_str());

  sqlite3* db = open_db(path);
  double t0 = geobench::now_ms();
  size_t n = 0;
  bool named = load(db, points, &n);
  double load_s = (geobench::now_ms() - t0) / 1000;
  if (!memory) {
    sqlite3_close(db);
    db = open_db(path);
  }
  int64_t bytes = scalar(db, "PRAGMA page_count") * scalar(db, "PRAGMA page_size");

  const std::string where = "minlat <= ?1 AND maxlat >= ?2 AND minlon <= ?3 AND maxlon >= ?4";
  sqlite3_stmt* geo = prepare(db, "SELECT id, lat, lon FROM pts WHERE " + where);
  sqlite3_stmt* text = named ? prepare(db, "SELECT id, lat, lon FROM names JOIN pts ON pts.rid = names.rowid "
                                           "WHERE names MATCH ?5 AND " + where)
                             : nullptr;

  auto qs = geobench::read_queries(queries);
  std::vector<bool> skip;
  std::vector<geobench::Query> run_qs;
  for (const auto& q : qs) {
    bool s = q.kind == "text_radius" && !named;
    skip.push_back(s);
    if (!s) run_qs.push_back(q);
  }
  std::vector<std::string> ids;
  std::string phrase;
  std::vector<uint64_t> got;
  std::string classes = geobench::time_queries(run_qs, rounds, "", [&](const geobench::Query& q) -> uint64_t {
    sqlite3_stmt* st = q.kind == "text_radius" ? text : geo;
    if (q.kind != "radius" && q.kind != "box" && q.kind != "text_radius") die("sqlite_geo: unknown query kind " + q.kind);
    bool circle = q.kind != "box";
    ids.clear();
    uint64_t count = 0;
    for (const Box& b : query_boxes(q)) {
      sqlite3_bind_double(st, 1, b.top);
      sqlite3_bind_double(st, 2, b.bottom);
      sqlite3_bind_double(st, 3, b.right);
      sqlite3_bind_double(st, 4, b.left);
      if (st == text) {
        phrase = "\"" + q.word + "\"";
        sqlite3_bind_text(st, 5, phrase.data(), static_cast<int>(phrase.size()), SQLITE_STATIC);
      }
      int rc;
      while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        double lat = sqlite3_column_double(st, 1), lon = sqlite3_column_double(st, 2);
        bool hit = circle ? haversine_m(q.lat, q.lon, lat, lon) <= q.radius_m : in_box(q, lat, lon);
        if (!hit) continue;
        if (all_ids || count < 10)
          ids.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)),
                           static_cast<size_t>(sqlite3_column_bytes(st, 0)));
        ++count;
      }
      check(db, rc, "step");
      sqlite3_reset(st);
    }
    return count;
  }, &got);
  if (!counts.empty()) geobench::write_counts(counts, qs, got, skip);
  sqlite3_finalize(geo);
  if (text) sqlite3_finalize(text);
  sqlite3_close(db);
  if (!memory) std::remove(path.c_str());
  std::printf("{\"engine\":\"sqlite\",\"points\":%zu,\"load_s\":%.2f,\"db_bytes\":%lld,\"bytes_per_point\":%.2f,"
              "\"sqlite\":\"%s\",\"ids\":\"%s\",\"rounds\":%d,\"classes\":%s}\n",
              n, load_s, static_cast<long long>(bytes), static_cast<double>(bytes) / static_cast<double>(n ? n : 1),
              sqlite3_libversion(), all_ids ? "all" : "10", rounds, classes.c_str());
  return 0;
}
