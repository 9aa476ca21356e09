#!/usr/bin/env python3
"""Interleaved A/B of the in-process query benchmark: two Meridian builds and
Xapian take turns ROUNDS times on the same index and query set, each asked the
peer-neutral task (--ids: top-10 ids, no count, no stored data; one thread);
each class keeps its lowest p50 (single runs on a shared machine move by
±15 %). Prints a markdown table.

  scripts/lib/bench_query_ab.py BASE_BUILD NEW_BUILD MERIDIAN_DATA XAPIAN_DB QUERIES [ROUNDS]

MERIDIAN_DATA holds the index "text" (meridian import text datasets/full/text.ndjson
--schema bench/text_schema.json --merge --data DIR), XAPIAN_DB is built by
BUILD/bench/xapian_load text FILE --db DIR, QUERIES is a query set as scripts/bench
query writes it (bench/results/query_set.jsonl).
"""
import json
import os
import subprocess
import sys


def main():
    if len(sys.argv) < 6:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    base, new, mdata, xdb, queries = sys.argv[1:6]
    rounds = int(sys.argv[6]) if len(sys.argv) > 6 else 3
    progs = {
        "base": [os.path.join(base, "bench", "query_bench"), mdata, "text", queries],
        "new": [os.path.join(new, "bench", "query_bench"), mdata, "text", queries],
        "xapian": [os.path.join(new, "bench", "xapian_query"), xdb, queries],
    }
    best = {}
    for _ in range(rounds):
        for name, argv in progs.items():
            out = subprocess.run(argv + ["--passes", "5", "--threads", "1", "--ids"], capture_output=True,
                                 text=True, timeout=3600, check=True)
            for cls, c in json.loads(out.stdout)["classes"].items():
                if not c.get("unsupported"):
                    best.setdefault(cls, {})[name] = min(best.get(cls, {}).get(name, float("inf")), c["p50_us"])
    print("| class | base µs | new µs | xapian µs | new / base | new / xapian |")
    print("|---|---:|---:|---:|---:|---:|")
    for cls, d in best.items():
        b, n, x = d.get("base"), d.get("new"), d.get("xapian")
        fmt = lambda v: "%.1f" % v if v else "n/a"  # noqa: E731
        print("| %s | %s | %s | %s | %s | %s |" % (cls, fmt(b), fmt(n), fmt(x), "%.2f" % (n / b) if b and n else "—",
                                                   "%.2f" % (n / x) if x and n else "—"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
