"""The `import` suite of scripts/bench (issue 7): offline bulk-load throughput.

For each corpus (cities.ndjson, text.ndjson) and each engine, one load into a fresh store,
side by side in one run (--import-runs rounds, default 1):

  meridian     `meridian import NAME FILE --data $TMP --schema bench/<kind>_schema.json
               --threads 2 --quiet`, timed from process start to exit (parsing included);
               size = the data directory
  xapian       build/bench/xapian_load KIND FILE --db $TMP   (one writer: one core)
  sqlite-fts5  bench/sqlite_load.py KIND FILE --db $TMP      (one writer: one core)
  postgresql   bench/pg_load.py load KIND FILE (COPY + GIN/btree/GiST index builds +
               ANALYZE + CHECKPOINT) into a throwaway cluster on 127.0.0.1

Peers parse the NDJSON before their clock starts; everyone's MB/s is the file's bytes.
Helpers shared with the query suite: PgCluster, meridian_import().
Python 3 stdlib only.
"""
import os
import resource
import shlex
import subprocess
import sys
import time

from bench_common import BenchError, Result, dir_bytes, make_tempdir, median, run_json
from bench_peers import free_port

KINDS = [("cities", "cities.ndjson"), ("text", "text.ndjson")]


class PgCluster:
    """bench/pg_load.py start/stop around a `with` block; owns only its own cluster."""

    def __init__(self, root, res):
        self.root, self.res = root, res
        self.script = os.path.join(root, "bench", "pg_load.py")
        self.dir = None
        self.port = None

    def __enter__(self):
        if not os.access("/usr/lib/postgresql/15/bin/initdb", os.X_OK):
            return None
        self.dir = make_tempdir("bench-pgq-")
        self.port = free_port()
        run_json(self.res, [sys.executable, self.script, "start", self.dir, "--port",
                            str(self.port)])
        self.res.runs.pop()  # the start line is not a measurement
        return self

    def conninfo(self):
        return "host=127.0.0.1 port=%d user=postgres dbname=postgres" % self.port

    def load(self, kind, path, label):
        return run_json(self.res, [sys.executable, self.script, "load", kind, path, "--dir",
                                   self.dir, "--port", str(self.port)], label=label,
                        timeout=7200)

    def __exit__(self, *exc):
        if self.dir:
            subprocess.run([sys.executable, self.script, "stop", self.dir])


def _child_cpu():
    """user+sys seconds of every waited-for child so far."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def meridian_import(ctx, res, kind, path, data_dir, label, merge=False):
    """`meridian import` with the bench schema and both cores (`--merge`: then into one
    segment, as the query suite loads it); returns the run dict."""
    exe = ctx.binary("meridian")
    schema = os.path.join(ctx.root, "bench", "%s_schema.json" % kind)
    argv = [exe, "import", kind, path, "--data", data_dir, "--schema", schema,
            "--threads", str(os.cpu_count() or 2), "--quiet"] + (["--merge"] if merge else [])
    cmd = shlex.join(argv).replace(data_dir, "$TMP")
    if cmd not in res.commands:
        res.commands.append(cmd)
    print("  $ " + shlex.join(argv), flush=True)
    start = time.perf_counter()
    p = subprocess.run(argv, capture_output=True, text=True, timeout=7200)
    seconds = time.perf_counter() - start
    if p.returncode != 0:
        raise BenchError("%s: exit %d\n%s" % (cmd, p.returncode, p.stderr.strip()[-2000:]))
    with open(path, "rb") as f:
        docs = sum(1 for line in f if line.strip())
    nbytes = os.path.getsize(path)
    out = {"engine": "meridian", "side": label, "kind": kind, "docs": docs, "bytes": nbytes,
           "seconds": round(seconds, 4), "docs_per_s": docs / seconds,
           "mb_per_s": nbytes / 1e6 / seconds, "index_bytes": dir_bytes(data_dir)}
    res.runs.append(out)
    return out


def suite_import(ctx, log):
    rounds = getattr(ctx.args, "import_runs", 1)
    res = Result("import", "offline bulk import (cities.ndjson, text.ndjson)",
                 ctx.dataset("text.ndjson"))
    res.dataset = {"name": "cities.ndjson + text.ndjson", "kind": ctx.dataset_kind,
                   "files": [ctx.dataset(f) for _, f in KINDS], "path": ctx.dataset_dir,
                   "bytes": sum(ctx.dataset(f)["bytes"] or 0 for _, f in KINDS)}
    xapian = os.path.join(ctx.build, "bench", "xapian_load")
    got = {}
    with PgCluster(ctx.root, res) as pg:
        if pg is None:
            res.skipped.append("postgresql: /usr/lib/postgresql/15 is not installed")
        if not os.access(xapian, os.X_OK):
            res.skipped.append("xapian: %s is not built (needs libxapian-dev)" % xapian)
        for r in range(rounds):
            for kind, fname in KINDS:
                path = os.path.join(ctx.dataset_dir, fname)
                sides = [("meridian", lambda d: meridian_import(ctx, res, kind, path, d,
                                                                "meridian " + kind))]
                if os.access(xapian, os.X_OK):
                    sides.append(("xapian", lambda d: run_json(
                        res, [xapian, kind, path, "--db", d], label="xapian " + kind)))
                sides.append(("sqlite-fts5", lambda d: run_json(
                    res, [sys.executable, os.path.join(ctx.root, "bench", "sqlite_load.py"),
                          kind, path, "--db", os.path.join(d, "db.sqlite")],
                    label="sqlite-fts5 " + kind, timeout=7200)))
                if pg is not None:
                    sides.append(("postgresql", lambda d: pg.load(kind, path,
                                                                  "postgresql " + kind)))
                for name, fn in sides:
                    work = make_tempdir("bench-import-")
                    before = _child_cpu()
                    try:
                        out = fn(work)
                    finally:
                        cpu = _child_cpu() - before
                        subprocess.run(["rm", "-rf", work])
                    out["round"] = r + 1
                    # CPU of the program we ran (user+sys). For postgresql the work is done
                    # by the server processes, which are not our children: not measured.
                    out["cpu_seconds"] = None if name == "postgresql" else round(cpu, 3)
                    got.setdefault((kind, name), []).append(out)
                    log("  %s %s round %d: %.0f docs/s, %.2f MB/s, %.1f MB on disk" % (
                        name, kind, r + 1, out["docs_per_s"], out["mb_per_s"],
                        out["index_bytes"] / 1e6))
    for (kind, name), runs in got.items():
        res.add("%s %s" % (name, kind), "docs/s", median([x["docs_per_s"] for x in runs]),
                "docs/s")
        cpu = [x["cpu_seconds"] for x in runs if x.get("cpu_seconds")]
        if cpu:
            res.add("%s %s" % (name, kind), "docs per CPU-second", median(
                [x["docs"] / x["cpu_seconds"] for x in runs if x.get("cpu_seconds")]),
                "docs/CPU-s")
        res.add("%s %s" % (name, kind), "MB/s", median([x["mb_per_s"] for x in runs]), "MB/s")
        res.add("%s %s" % (name, kind), "size on disk", runs[-1]["index_bytes"] / 1e6, "MB")
    for kind, _ in KINDS:
        base = got.get((kind, "meridian"))
        for name in ("xapian", "sqlite-fts5", "postgresql"):
            other = got.get((kind, name))
            if base and other:
                res.add("meridian / %s %s" % (name, kind), "docs/s ratio",
                        median([x["docs_per_s"] for x in base]) /
                        median([x["docs_per_s"] for x in other]), "x")
    res.chart = ("MB/s of input (median of %d)" % rounds,
                 [("%s %s" % (n, k), median([x["mb_per_s"] for x in v]))
                  for (k, n), v in got.items()])
    res.notes.append("One load per engine per corpus per round, engines in turn on the same "
                     "machine (no other suite running). meridian: --threads %d, timed end to "
                     "end (process start to exit, parsing included). Peers parse before their "
                     "clock; xapian and sqlite have a single writer (one core); postgresql "
                     "loads with COPY (tsvector computed as a stored generated column) then "
                     "builds GIN (+ btree, GiST for cities) indexes, ANALYZE, CHECKPOINT."
                     % (os.cpu_count() or 2))
    res.notes.append("docs per CPU-second: documents / (user+sys seconds of the loading "
                     "process and its threads, getrusage of children; the peers' figure includes "
                     "their NDJSON parsing, which their wall clock excludes). It is the figure "
                     "to read when the machine is oversubscribed (load average >> nproc).")
    res.notes.append("MB = 1e6 bytes of the NDJSON file for every engine. Size on disk: "
                     "meridian data directory, xapian database directory, sqlite file, "
                     "postgresql pg_total_relation_size (table + TOAST + indexes).")
    return res
