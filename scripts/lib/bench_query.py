"""The `query` suite of scripts/bench (issue 4): latency and throughput per query class.

1. bench/results/query_set.jsonl: the query set, generated deterministically from the text
   corpus (scripts/lib/bench_queries.py; --query-per-class per class, seed 42).
2. The same corpus loaded into every engine (not timed), each compacted as a read-mostly
   index would be: meridian import --merge (bench/text_schema.json; one segment instead of
   one per import worker), xapian_load text (one database), sqlite_load.py text --optimize
   (FTS5 'optimize': one b-tree), pg_load.py load text (throwaway cluster on 127.0.0.1;
   indexes built after COPY).
3. Each engine's program answers the whole set, engines in turn (nothing else of the
   suite running): per class a warm-up pass, --query-passes timed passes on one thread
   (p50 / p95 µs per call), then the same passes on 2 threads (queries/s).
   build/bench/query_bench, build/bench/xapian_query, bench/sqlite_query.py,
   build/bench/pg_query; the protocol is bench/query_harness.h.
4. The peer-neutral task, Meridian and Xapian only: the same passes with --ids (top-10 ids,
   no exact count, no stored data), into query_ids_table.md.
Writes query.json/.md via write_result, plus query_table.md (class x engine) and query.png
(clustered p50 bars, log scale). Python 3 stdlib only.
"""
import os
import shutil
import subprocess
import sys

from bench_common import BenchError, Result, make_tempdir, run_json
from bench_import import PgCluster, meridian_import
from bench_queries import QUERY_CLASSES, generate

ENGINES = ["meridian", "xapian", "sqlite-fts5", "postgresql"]


def _table(results):
    """Markdown: per class and engine 'p50 / p95 µs wall, p50 µs CPU, queries/s on 2 threads'."""
    head = "| class | " + " | ".join("%s: p50 / p95 µs · CPU p50 µs · q/s 2thr" % e
                                     for e in ENGINES if e in results) + " | fastest p50 |"
    lines = [head, "|---|" + "---:|" * (len([e for e in ENGINES if e in results]) + 1)]
    for cls in QUERY_CLASSES:
        cells, best = [], None
        for e in ENGINES:
            if e not in results:
                continue
            c = results[e]["classes"].get(cls)
            if not c or c.get("unsupported"):
                cells.append("n/a")
                continue
            cpu = c.get("cpu_p50_us")
            cpu = "%.0f" % cpu if cpu is not None and e != "postgresql" else "—"
            cells.append("%.0f / %.0f · %s · %.0f" % (c["p50_us"], c["p95_us"], cpu, c["qps"]))
            if best is None or c["p50_us"] < best[1]:
                best = (e, c["p50_us"])
        lines.append("| %s | %s | %s |" % (cls, " | ".join(cells), best[0] if best else "—"))
    return "\n".join(lines) + "\n"


def _ids_table(results):
    """Markdown: the peer-neutral task (top-10 ids, no count), meridian vs xapian p50 and ratio."""
    lines = ["| class | meridian p50 µs | xapian p50 µs | meridian / xapian |", "|---|---:|---:|---:|"]
    for cls in QUERY_CLASSES:
        m = results.get("meridian", {}).get("classes", {}).get(cls) or {}
        x = results.get("xapian", {}).get("classes", {}).get(cls) or {}
        mp = m.get("p50_us")
        xp = None if x.get("unsupported") else x.get("p50_us")
        lines.append("| %s | %s | %s | %s |" % (cls, "%.0f" % mp if mp else "—", "%.0f" % xp if xp else "n/a",
                                               "%.2f" % (mp / xp) if mp and xp else "—"))
    return "\n".join(lines) + "\n"


def _chart(path, results, title):
    if not shutil.which("gnuplot"):
        return False
    engines = [e for e in ENGINES if e in results]
    dat = path + ".dat"
    with open(dat, "w") as f:
        f.write("class " + " ".join('"%s"' % e for e in engines) + "\n")
        for cls in QUERY_CLASSES:
            vals = []
            for e in engines:
                c = results[e]["classes"].get(cls) or {}
                vals.append("%f" % c["p50_us"] if "p50_us" in c else "NaN")
            f.write("%s %s\n" % (cls, " ".join(vals)))
    script = "\n".join([
        "set terminal pngcairo size 1100,520 noenhanced",
        "set output '%s'" % path, "set title '%s'" % title.replace("'", ""),
        "set ylabel 'p50 latency, µs (log scale, lower is better)'", "set logscale y",
        "set style data histograms", "set style histogram clustered gap 1",
        "set style fill solid 0.7 border -1", "set grid ytics", "set key top left",
        "set xtics rotate by -30",
        "plot " + ", ".join("'%s' using %d:xtic(1) title columnheader(%d)" % (dat, i + 2, i + 2)
                            for i in range(len(engines)))])
    p = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    os.unlink(dat)
    return p.returncode == 0


def suite_query(ctx, log):
    data = ctx.dataset("text.ndjson")
    res = Result("query", "query latency per class (text.ndjson)", data)
    corpus = os.path.join(ctx.root, data["path"])
    out_dir = os.path.join(ctx.root, ctx.args.out)
    os.makedirs(out_dir, exist_ok=True)
    qfile = os.path.join(out_dir, "query_set.jsonl")
    counts = generate(corpus, qfile, per_class=ctx.args.query_per_class)
    log("  query set: %s" % counts)
    passes = ["--passes", str(ctx.args.query_passes), "--threads", "2"]
    work = make_tempdir("bench-query-")
    results = {}
    ids_results = {}
    try:
        with PgCluster(ctx.root, res) as pg:
            mdata = os.path.join(work, "meridian-data")
            meridian_import(ctx, res, "text", corpus, mdata, "meridian load", merge=True)
            xq = os.path.join(ctx.build, "bench", "xapian_query")
            xdb = os.path.join(work, "xapian")
            have_xapian = os.access(xq, os.X_OK)
            if have_xapian:
                run_json(res, [os.path.join(ctx.build, "bench", "xapian_load"), "text", corpus,
                               "--db", xdb], label="xapian load")
            else:
                res.skipped.append("xapian: %s is not built (needs libxapian-dev)" % xq)
            sdb = os.path.join(work, "fts5.sqlite")
            run_json(res, [sys.executable, os.path.join(ctx.root, "bench", "sqlite_load.py"),
                           "text", corpus, "--db", sdb, "--optimize"], label="sqlite-fts5 load")
            pq = os.path.join(ctx.build, "bench", "pg_query")
            if pg is not None and os.access(pq, os.X_OK):
                pg.load("text", corpus, "postgresql load")
            else:
                res.skipped.append("postgresql: cluster or %s unavailable" % pq)
                pg = None
            log("  loaded; querying")
            progs = [("meridian", [ctx.binary("bench/query_bench"), mdata, "text", qfile])]
            if have_xapian:
                progs.append(("xapian", [xq, xdb, qfile]))
            progs.append(("sqlite-fts5", [sys.executable,
                                          os.path.join(ctx.root, "bench", "sqlite_query.py"),
                                          sdb, qfile]))
            if pg is not None:
                progs.append(("postgresql", [pq, pg.conninfo(), qfile]))
            for name, argv in progs:
                out = run_json(res, argv + passes, label=name, timeout=7200)
                results[name] = out
                log("  %s done" % name)
            # The peer-neutral task: top-10 ids, no exact count, no stored data
            # (query_bench --ids: "source": false, "track_total_hits": false).
            if have_xapian:
                for name, argv in progs[:2]:
                    ids_results[name] = run_json(res, argv + passes + ["--ids"], label=name + " --ids",
                                                 timeout=7200)
                    log("  %s --ids done" % name)
    finally:
        subprocess.run(["rm", "-rf", work])
    for cls in QUERY_CLASSES:
        for e in ENGINES:
            c = results.get(e, {}).get("classes", {}).get(cls)
            if not c:
                continue
            if c.get("unsupported"):
                res.add("%s %s" % (cls, e), "p50", None, "unsupported")
                continue
            res.add("%s %s" % (cls, e), "p50", c["p50_us"], "µs")
            res.add("%s %s" % (cls, e), "p95", c["p95_us"], "µs")
            if c.get("cpu_p50_us") is not None and e != "postgresql":
                res.add("%s %s" % (cls, e), "CPU p50 (calling thread)", c["cpu_p50_us"], "µs")
            res.add("%s %s" % (cls, e), "queries/s (2 threads)", c["qps"], "q/s")
    for cls in QUERY_CLASSES:
        m = ids_results.get("meridian", {}).get("classes", {}).get(cls)
        x = ids_results.get("xapian", {}).get("classes", {}).get(cls)
        for e, c in (("meridian", m), ("xapian", x)):
            if c and not c.get("unsupported"):
                res.add("%s %s ids" % (cls, e), "p50 (top-10 ids, no count)", c["p50_us"], "µs")
        if m and x and not x.get("unsupported") and x.get("p50_us"):
            res.add("%s ids" % cls, "meridian / xapian p50", m["p50_us"] / x["p50_us"], "ratio")
    with open(os.path.join(out_dir, "query_table.md"), "w") as f:
        f.write(_table(results))
    if ids_results:
        with open(os.path.join(out_dir, "query_ids_table.md"), "w") as f:
            f.write(_ids_table(ids_results))
    _chart(os.path.join(out_dir, "query.png"), results,
           "p50 per query class, text.ndjson (%s)" % ctx.dataset_kind)
    res.notes.append("Table by class: query_table.md; chart: query.png (clustered p50).")
    res.notes.append("%d queries per class (bench/results/query_set.jsonl); warm-up pass, then "
                     "%d timed passes single-threaded (p50/p95 over all calls) and %d passes "
                     "on 2 threads (queries/s)." % (ctx.args.query_per_class,
                                                    ctx.args.query_passes,
                                                    ctx.args.query_passes))
    res.notes.append("Every engine returns the top 10 with their stored title/source. "
                     "meridian: multi_match over title+body (BM25; prefix queries score a "
                     "constant); xapian: QueryParser, BM25, terms over title+body; sqlite: "
                     "FTS5 bm25(); postgresql: GIN on a stored tsvector, ts_rank. Fuzzy: only "
                     "meridian has an edit-distance query.")
    if ids_results:
        res.notes.append("query_ids_table.md: the peer-neutral task, meridian and xapian asked for "
                         "the top-10 ids only (no exact count, no stored data: query_bench --ids, "
                         "xapian_query --ids), same passes.")
    res.table_md = _table(results) + ("\n" + _ids_table(ids_results) if ids_results else "")
    return res


if __name__ == "__main__":
    # Rebuilds query_table.md and query.png from a query.json: bench_query.py RESULTS_DIR
    import json
    d = sys.argv[1]
    with open(os.path.join(d, "query.json")) as f:
        doc = json.load(f)
    runs = {r["engine"]: r for r in doc["runs"] if "classes" in r}
    with open(os.path.join(d, "query_table.md"), "w") as f:
        f.write(_table(runs))
    _chart(os.path.join(d, "query.png"), runs, "p50 per query class, text.ndjson (%s)" %
           doc["dataset"].get("kind"))
    print(_table(runs))
