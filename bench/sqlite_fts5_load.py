#!/usr/bin/env python3
"""Peer for the `index` benchmark suite: loads an NDJSON text corpus into SQLite FTS5.

  bench/sqlite_fts5_load.py FILE [--db PATH] [--batch N]

Every line of FILE is a JSON object with "title" and "body" strings (datasets/*/text.ndjson);
both become columns of one FTS5 table using the porter stemmer over unicode61
(tokenize='porter unicode61 remove_diacritics 2'), the closest FTS5 analog of Meridian's
English chain. The NDJSON is parsed before the clock starts; `seconds` covers the inserts and
the final COMMIT (journal_mode=OFF: no rollback journal, the fastest bulk-load setting;
synchronous=FULL: the COMMIT is fsynced, as Xapian's commit() and Meridian's commit are).
Prints one JSON line:
  {"engine":"sqlite-fts5","docs":..,"bytes":..,"seconds":..,"docs_per_s":..,"mb_per_s":..,
   "index_bytes":..,"sqlite_version":..}
where bytes = UTF-8 bytes of title+body, MB = 1e6 bytes, index_bytes = database file size.
"""
import argparse
import json
import os
import sqlite3
import sys
import tempfile
import time


def load_docs(path):
    docs = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                sys.exit("sqlite_fts5_load: %s:%d: %s" % (path, n, e))
            docs.append((obj.get("id", n), str(obj.get("title", "")), str(obj.get("body", ""))))
    return docs


def main():
    p = argparse.ArgumentParser(description="Load NDJSON into SQLite FTS5 and time it.")
    p.add_argument("file")
    p.add_argument("--db", help="database path (default: a fresh temp file, removed afterwards)")
    p.add_argument("--batch", type=int, default=10000, help="rows per executemany call")
    args = p.parse_args()

    docs = load_docs(args.file)
    nbytes = sum(len(t.encode()) + len(b.encode()) for _, t, b in docs)
    tmpdir = None
    db = args.db
    if db is None:
        tmpdir = tempfile.mkdtemp(prefix="fts5-")
        db = os.path.join(tmpdir, "fts5.db")
    elif os.path.exists(db):
        os.remove(db)

    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("CREATE VIRTUAL TABLE docs USING fts5(title, body, "
                "tokenize='porter unicode61 remove_diacritics 2')")
    start = time.perf_counter()
    con.execute("BEGIN")
    for i in range(0, len(docs), args.batch):
        con.executemany("INSERT INTO docs(rowid, title, body) VALUES (?, ?, ?)",
                        docs[i:i + args.batch])
    con.execute("COMMIT")
    seconds = time.perf_counter() - start
    # Sanity check that the index answers: a stemmed term must match.
    hits = con.execute("SELECT count(*) FROM docs WHERE docs MATCH 'running'").fetchone()[0]
    con.close()
    size = os.path.getsize(db)
    if tmpdir:
        os.remove(db)
        os.rmdir(tmpdir)
    print(json.dumps({
        "engine": "sqlite-fts5", "docs": len(docs), "bytes": nbytes,
        "seconds": round(seconds, 4),
        "docs_per_s": round(len(docs) / seconds, 1) if seconds > 0 else None,
        "mb_per_s": round(nbytes / 1e6 / seconds, 3) if seconds > 0 else None,
        "index_bytes": size, "hits_running": hits, "sqlite_version": sqlite3.sqlite_version,
    }))


if __name__ == "__main__":
    main()
