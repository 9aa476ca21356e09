#!/usr/bin/env python3
"""SQLite FTS5 peer of the `query` suite: answers the query file with bm25() ranking.

  bench/sqlite_query.py DB QUERIES [--passes N] [--threads N]

DB is built by `bench/sqlite_load.py text` (FTS5 docs(title, body, source UNINDEXED), porter
unicode61, rowid = id). Per class, MATCH expression m:
  term_*: w   and2: a AND b   or3: a OR b OR c   phrase: "a b"   prefix: pre*
  SELECT rowid, title FROM docs WHERE docs MATCH m ORDER BY bm25(docs) LIMIT 10
  filter: ... AND source = ?       sort: ... ORDER BY rowid DESC LIMIT 10
  facets: the top-10 statement, then SELECT source, count(*) ... GROUP BY source
  fuzzy: unsupported (FTS5 has no edit-distance match).
The protocol is bench/query_harness.h's: per class a warm-up pass, `passes` timed passes on
one thread (p50/p95/mean in µs, time.perf_counter around each call), then `threads` threads
(each with its own connection; sqlite3 releases the GIL while a statement runs) for
queries/s. The Python call overhead (a few µs per query) is included. Prints the same JSON
line as the C++ programs.
"""
import json
import sqlite3
import sys
import threading
import time

TOP = "SELECT rowid, title FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT 10"
FILTER = ("SELECT rowid, title FROM docs WHERE docs MATCH ? AND source = ? "
          "ORDER BY bm25(docs) LIMIT 10")
SORT = "SELECT rowid, title FROM docs WHERE docs MATCH ? ORDER BY rowid DESC LIMIT 10"
FACET = ("SELECT source, count(*) FROM docs WHERE docs MATCH ? GROUP BY source "
         "ORDER BY 2 DESC LIMIT 10")


def match_expr(q):
    w = q["words"]
    c = q["class"]
    if c == "and2":
        return " AND ".join(w)
    if c == "or3":
        return " OR ".join(w)
    if c == "phrase":
        return '"%s"' % " ".join(w)
    if c == "prefix":
        return w[0] + "*"
    return w[0]


def run_one(db, q):
    """Returns the number of hits, or -1 when the class is unsupported."""
    c = q["class"]
    if c == "fuzzy":
        return -1
    m = match_expr(q)
    if c == "filter":
        rows = db.execute(FILTER, (m, q["filter"])).fetchall()
    elif c == "sort":
        rows = db.execute(SORT, (m,)).fetchall()
    else:
        rows = db.execute(TOP, (m,)).fetchall()
    if c == "facets":
        db.execute(FACET, (m,)).fetchall()
    return len(rows)


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p * (len(v) - 1) + 0.5))] if v else 0


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    db_path, qpath = argv[0], argv[1]
    passes = int(argv[argv.index("--passes") + 1]) if "--passes" in argv else 3
    threads = int(argv[argv.index("--threads") + 1]) if "--threads" in argv else 2
    order, by_class = [], {}
    with open(qpath) as f:
        for line in f:
            if line.strip():
                q = json.loads(line)
                if q["class"] not in by_class:
                    order.append(q["class"])
                    by_class[q["class"]] = []
                by_class[q["class"]].append(q)
    db = sqlite3.connect(db_path, check_same_thread=False)
    conns = [sqlite3.connect(db_path, check_same_thread=False) for _ in range(threads)]
    out = {"engine": "sqlite-fts5", "passes": passes, "threads": threads,
           "sqlite_version": sqlite3.sqlite_version,
           "docs": db.execute("SELECT count(*) FROM docs").fetchone()[0], "classes": {}}
    for cls in order:
        qs = by_class[cls]
        hits = [run_one(db, q) for q in qs]  # warm-up
        print("sqlite-fts5: " + cls, file=sys.stderr, flush=True)
        if -1 in hits:
            out["classes"][cls] = {"unsupported": True}
            continue
        lat, cpu = [], []
        for _ in range(passes):
            for q in qs:
                c0 = time.thread_time()
                t0 = time.perf_counter()
                run_one(db, q)
                lat.append((time.perf_counter() - t0) * 1e6)
                cpu.append((time.thread_time() - c0) * 1e6)

        def worker(t):
            n = len(qs)
            start = t * n // threads
            for _ in range(passes):
                for i in range(n):
                    run_one(conns[t], qs[(start + i) % n])

        ts = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
        w0 = time.perf_counter()
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        wall = time.perf_counter() - w0
        out["classes"][cls] = {"n": len(qs), "p50_us": round(pct(lat, 0.5), 1),
                               "p95_us": round(pct(lat, 0.95), 1),
                               "mean_us": round(sum(lat) / len(lat), 1),
                               "cpu_p50_us": round(pct(cpu, 0.5), 1),
                               "cpu_p95_us": round(pct(cpu, 0.95), 1),
                               "qps": round(threads * passes * len(qs) / wall, 1),
                               "avg_hits": round(sum(hits) / len(qs), 2)}
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
