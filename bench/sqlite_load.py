#!/usr/bin/env python3
"""SQLite FTS5 peer of the `import` and `query` suites: loads a benchmark corpus.

  bench/sqlite_load.py text|cities FILE --db PATH [--optimize]

text: FTS5 table docs(title, body, source UNINDEXED) with rowid = the document id,
      tokenize='porter unicode61 remove_diacritics 2' (as bench/sqlite_fts5_load.py).
cities: a plain table cities(id INTEGER PRIMARY KEY, name, alt_name, country, admin_code,
      feature_code, population, lat, lon) with b-tree indexes on country and population,
      an R*Tree cities_rtree(id, min_lat, max_lat, min_lon, max_lon) for the points, and an
      external-content FTS5 table cities_fts(name, alt_name) (unicode61, no stemming).
The NDJSON is parsed before the clock starts; `seconds` covers the inserts, index builds and
the final fsynced COMMIT (journal_mode=OFF, synchronous=FULL, one transaction). SQLite has
one writer per database: this uses one core. --optimize (text; the query suite) then merges
the FTS5 index into one b-tree ('optimize'), untimed, as the query suite loads Meridian with
`meridian import --merge`. Prints one JSON line:
  {"engine":"sqlite-fts5","kind","docs","bytes","seconds","docs_per_s","mb_per_s",
   "index_bytes","sqlite_version"}     bytes = file bytes, MB = 1e6, index_bytes = db size.
"""
import json
import os
import sqlite3
import sys
import time


def parse(kind, path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            d = json.loads(line)
            if kind == "text":
                rows.append((d["id"], d.get("title", ""), d.get("body", ""), d.get("source", "")))
            else:
                loc = d.get("location") or {}
                rows.append((d["id"], d.get("name", ""), d.get("alt_name", ""),
                             d.get("country", ""), d.get("admin_code", ""),
                             d.get("feature_code", ""), d.get("population") or 0,
                             loc.get("lat"), loc.get("lon")))
    return rows


def load_text(db, rows):
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(title, body, source UNINDEXED, "
               "tokenize='porter unicode61 remove_diacritics 2')")
    db.executemany("INSERT INTO docs(rowid, title, body, source) VALUES (?,?,?,?)", rows)


def load_cities(db, rows):
    db.execute("CREATE TABLE cities(id INTEGER PRIMARY KEY, name TEXT, alt_name TEXT, "
               "country TEXT, admin_code TEXT, feature_code TEXT, population INTEGER, "
               "lat REAL, lon REAL)")
    db.executemany("INSERT INTO cities VALUES (?,?,?,?,?,?,?,?,?)", rows)
    db.execute("CREATE INDEX cities_country ON cities(country)")
    db.execute("CREATE INDEX cities_population ON cities(population)")
    db.execute("CREATE VIRTUAL TABLE cities_rtree USING rtree(id, min_lat, max_lat, "
               "min_lon, max_lon)")
    db.execute("INSERT INTO cities_rtree SELECT id, lat, lat, lon, lon FROM cities "
               "WHERE lat IS NOT NULL AND lon IS NOT NULL")
    db.execute("CREATE VIRTUAL TABLE cities_fts USING fts5(name, alt_name, content='cities', "
               "content_rowid='id', tokenize='unicode61 remove_diacritics 2')")
    db.execute("INSERT INTO cities_fts(cities_fts) VALUES ('rebuild')")


def main(argv):
    optimize = argv[4:] == ["--optimize"]
    if len(argv) != 4 + optimize or argv[0] not in ("text", "cities") or argv[2] != "--db":
        sys.exit(__doc__)
    kind, path, db_path = argv[0], argv[1], argv[3]
    rows = parse(kind, path)
    if os.path.exists(db_path):
        os.unlink(db_path)
    start = time.perf_counter()
    db = sqlite3.connect(db_path, isolation_level=None)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("BEGIN")
    (load_text if kind == "text" else load_cities)(db, rows)
    db.execute("COMMIT")
    secs = time.perf_counter() - start
    if optimize and kind == "text":
        db.execute("INSERT INTO docs(docs) VALUES ('optimize')")
    db.close()
    nbytes = os.path.getsize(path)
    print(json.dumps({"engine": "sqlite-fts5", "kind": kind, "docs": len(rows), "bytes": nbytes,
                      "seconds": round(secs, 4), "docs_per_s": len(rows) / secs,
                      "mb_per_s": nbytes / 1e6 / secs, "index_bytes": os.path.getsize(db_path),
                      "sqlite_version": sqlite3.sqlite_version}))


if __name__ == "__main__":
    main(sys.argv[1:])
