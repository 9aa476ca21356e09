#!/usr/bin/env python3
"""PostgreSQL peer of the `import` and `query` suites: a throwaway cluster and bulk loads.

  pg_load.py start DIR [--port P]      initdb + pg_ctl start (as the `postgres` user) on
                                       127.0.0.1:P with its socket in DIR; prints {"port":..}
  pg_load.py load text|cities FILE --dir DIR --port P
                                       CSV conversion (not timed), then timed: CREATE TABLE,
                                       COPY, index builds, ANALYZE; prints one JSON line
  pg_load.py stop DIR                  pg_ctl stop -m fast, then removes DIR

text: docs(id bigint primary key, title, body, source, tsv tsvector GENERATED ALWAYS AS
      (to_tsvector('english', title || ' ' || body)) STORED); GIN on tsv, btree on source.
cities: cities(id primary key, name, alt_name, country, admin_code, feature_code,
      population bigint, lat, lon, tsv = to_tsvector('simple', name || ' ' || alt_name));
      GIN on tsv, btree on country and population, GiST on point(lon, lat).
The cluster is never a system one: a fresh data directory under DIR, loopback only,
default settings except maintenance_work_mem = 256MB (index builds) and fsync on.
Output: {"engine":"postgresql","kind","docs","bytes","seconds","docs_per_s","mb_per_s",
"index_bytes" (pg_total_relation_size of the table),"copy_seconds","index_seconds"}.
"""
import csv
import json
import os
import shutil
import subprocess
import sys
import time

PG_BIN = "/usr/lib/postgresql/15/bin"


def as_postgres(argv, **kw):
    return subprocess.run(["runuser", "-u", "postgres", "--"] + argv, **kw)


def psql(port, sql, sock_dir):
    p = as_postgres(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
                     str(port), "-d", "postgres", "-At", "-c", sql],
                    capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("pg_load: psql failed: %s\n%s" % (sql[:200], p.stderr))
    return p.stdout.strip()


def start(d, port):
    os.makedirs(d, exist_ok=True)
    shutil.chown(d, "postgres", "postgres")
    data = os.path.join(d, "data")
    p = as_postgres([PG_BIN + "/initdb", "-D", data, "-A", "trust", "-U", "postgres",
                     "--no-sync", "-E", "UTF8", "--locale", "C.UTF-8"],
                    capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("pg_load: initdb failed\n" + p.stderr)
    opts = "-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories=%s " \
           "-c maintenance_work_mem=256MB" % (port, d)
    p = as_postgres([PG_BIN + "/pg_ctl", "-D", data, "-o", opts, "-l",
                     os.path.join(d, "log"), "-w", "start"], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("pg_load: pg_ctl start failed\n" + p.stderr)
    print(json.dumps({"port": port, "dir": d}))


def stop(d):
    as_postgres([PG_BIN + "/pg_ctl", "-D", os.path.join(d, "data"), "-m", "fast", "-w",
                 "stop"], capture_output=True, text=True)
    shutil.rmtree(d, ignore_errors=True)


TEXT_DDL = """DROP TABLE IF EXISTS docs;
CREATE TABLE docs (id bigint PRIMARY KEY, title text, body text, source text,
  tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', coalesce(title, '') || ' ' ||
  coalesce(body, ''))) STORED);"""
TEXT_INDEX = ["CREATE INDEX docs_tsv ON docs USING gin (tsv)",
              "CREATE INDEX docs_source ON docs (source)"]
CITIES_DDL = """DROP TABLE IF EXISTS cities;
CREATE TABLE cities (id bigint PRIMARY KEY, name text, alt_name text, country text,
  admin_code text, feature_code text, population bigint, lat float8, lon float8,
  tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', coalesce(name, '') || ' ' ||
  coalesce(alt_name, ''))) STORED);"""
CITIES_INDEX = ["CREATE INDEX cities_tsv ON cities USING gin (tsv)",
                "CREATE INDEX cities_country ON cities (country)",
                "CREATE INDEX cities_population ON cities (population)",
                "CREATE INDEX cities_point ON cities USING gist (point(lon, lat))"]


def to_csv(kind, path, out):
    docs = 0
    with open(path, encoding="utf-8") as f, open(out, "w", newline="", encoding="utf-8") as o:
        w = csv.writer(o)
        for line in f:
            if not line.strip():
                continue
            d = json.loads(line)
            if kind == "text":
                w.writerow([d["id"], d.get("title", ""), d.get("body", ""), d.get("source", "")])
            else:
                loc = d.get("location") or {}
                w.writerow([d["id"], d.get("name", ""), d.get("alt_name", ""),
                            d.get("country", ""), d.get("admin_code", ""),
                            d.get("feature_code", ""), d.get("population") or 0,
                            loc.get("lat"), loc.get("lon")])
            docs += 1
    return docs


def load(kind, path, d, port):
    csv_path = os.path.join(d, kind + ".csv")
    docs = to_csv(kind, path, csv_path)
    shutil.chown(csv_path, "postgres", "postgres")
    table = "docs" if kind == "text" else "cities"
    cols = "(id, title, body, source)" if kind == "text" else \
        "(id, name, alt_name, country, admin_code, feature_code, population, lat, lon)"
    psql(port, TEXT_DDL if kind == "text" else CITIES_DDL, d)
    t0 = time.perf_counter()
    psql(port, "COPY %s %s FROM '%s' WITH (FORMAT csv)" % (table, cols, csv_path), d)
    t1 = time.perf_counter()
    for stmt in TEXT_INDEX if kind == "text" else CITIES_INDEX:
        psql(port, stmt, d)
    psql(port, "ANALYZE " + table + "; CHECKPOINT", d)
    t2 = time.perf_counter()
    os.unlink(csv_path)
    size = int(psql(port, "SELECT pg_total_relation_size('%s')" % table, d))
    n = int(psql(port, "SELECT count(*) FROM " + table, d))
    nbytes = os.path.getsize(path)
    secs = t2 - t0
    print(json.dumps({"engine": "postgresql", "kind": kind, "docs": n, "parsed_docs": docs,
                      "bytes": nbytes, "seconds": round(secs, 4), "docs_per_s": n / secs,
                      "mb_per_s": nbytes / 1e6 / secs, "index_bytes": size,
                      "copy_seconds": round(t1 - t0, 4), "index_seconds": round(t2 - t1, 4),
                      "pg_version": psql(port, "SHOW server_version", d)}))


def main(argv):
    if len(argv) >= 2 and argv[0] == "start":
        port = int(argv[argv.index("--port") + 1]) if "--port" in argv else 54329
        start(os.path.abspath(argv[1]), port)
    elif len(argv) == 2 and argv[0] == "stop":
        stop(os.path.abspath(argv[1]))
    elif len(argv) == 7 and argv[0] == "load" and argv[1] in ("text", "cities"):
        load(argv[1], argv[2], os.path.abspath(argv[argv.index("--dir") + 1]),
             int(argv[argv.index("--port") + 1]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
