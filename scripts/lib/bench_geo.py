"""The `geo` suite of scripts/bench: radius, box and text + radius latency of
Meridian (bench/geo_bench.cpp, in-process search()) next to SQLite's R*Tree
(bench/sqlite_geo.cpp, in-process libsqlite3), PostgreSQL + PostGIS
(bench/pg_geo.cpp, libpq prepared statements) and Redis GEOSEARCH
(bench/redis_geo.cpp, RESP over a socket), on the same points and the same
query file, in one run. Data sets: the GeoNames cities (datasets/full or
samples) and N generated points, uniform and clustered (bench/gen_points.cpp).

Per data set and query class: p50 / p95 latency per engine, how often each
peer's match count equals Meridian's (a sanity check that all sides answer
the same question), and the index size per point.
"""
import json
import os
import random
import re
import shutil
import subprocess
import tempfile

from bench_common import BenchError, make_tempdir, run_json
from bench_peers import Postgres, Redis

ENGINES = ("meridian", "sqlite", "postgis", "redis")
PEERS = ENGINES[1:]
RADII_KM = (1, 10, 100)
BOXES_KM = (10, 100)
TEXT_RADIUS_KM = 50
KM_PER_DEG = 111.19492664455873


def _box(lat, lon, side_km):
    import math
    half_lat = side_km / 2 / KM_PER_DEG
    half_lon = min(179.0, side_km / 2 / (KM_PER_DEG * math.cos(math.radians(lat))))
    wrap = lambda x: x - 360 if x >= 180 else (x + 360 if x < -180 else x)  # noqa: E731
    return (min(89.99, lat + half_lat), wrap(lon - half_lon), max(-89.99, lat - half_lat),
            wrap(lon + half_lon))


def _clean(s):
    return re.sub(r"[\t\n\r\\]", " ", s or "")


def cities_files(src, work, per_class, seed=7):
    """Converts cities.ndjson to the points TSV and writes its query TSV."""
    points = os.path.join(work, "cities.points.tsv")
    queries = os.path.join(work, "cities.queries.tsv")
    cities = []
    with open(src, encoding="utf-8") as f, open(points, "w", encoding="utf-8") as out:
        for line in f:
            if not line.strip():
                continue
            d = json.loads(line)
            loc = d.get("location") or {}
            if "lat" not in loc or "lon" not in loc:
                continue
            name = _clean(d.get("name"))
            out.write("%s\t%.6f\t%.6f\t%s\n" % (d["id"], loc["lat"], loc["lon"], name))
            cities.append((float(loc["lat"]), float(loc["lon"]), name))
    rng = random.Random(seed)
    rows = []
    for km in RADII_KM:
        for _ in range(per_class):
            lat, lon, _n = rng.choice(cities)
            rows.append(("radius_%dkm" % km, "radius", lat, lon, km * 1000.0, 0, 0, 0, 0, ""))
    for km in BOXES_KM:
        for _ in range(per_class):
            lat, lon, _n = rng.choice(cities)
            rows.append(("box_%dkm" % km, "box", lat, lon, 0) + _box(lat, lon, km) + ("",))
    n = 0
    while n < per_class:
        lat, lon, name = rng.choice(cities)
        words = [w for w in re.findall(r"[^\W\d_]+", name.lower())
                 if len(w) >= 3 and w.isascii()]
        if not words:
            continue
        rows.append(("text_radius_%dkm" % TEXT_RADIUS_KM, "text_radius", lat, lon,
                     TEXT_RADIUS_KM * 1000.0, 0, 0, 0, 0, rng.choice(words)))
        n += 1
    with open(queries, "w", encoding="utf-8") as out:
        for r in rows:
            out.write("%s\t%s\t%.6f\t%.6f\t%.1f\t%.6f\t%.6f\t%.6f\t%.6f\t%s\n" % r)
    return points, queries, len(cities)


def _read_counts(path):
    with open(path) as f:
        return [tuple(line.rstrip("\n").split("\t")) for line in f if line.strip()]


def _agreement(mine, theirs):
    """{class: (equal, total)} over the queries both sides ran (same order per class)."""
    by_cls = {}
    for cls, c in mine:
        by_cls.setdefault(cls, []).append(int(c))
    out = {}
    seen = {}
    for cls, c in theirs:
        i = seen.get(cls, 0)
        seen[cls] = i + 1
        if c == "-":  # the engine could not run this query
            continue
        eq, tot = out.get(cls, (0, 0))
        out[cls] = (eq + (int(c) == by_cls[cls][i]), tot + 1)
    return out


def run_dataset(ctx, res, log, label, points, queries, npoints, pg, redis, work):
    build = lambda rel: ctx.binary(rel)  # noqa: E731
    rounds = str(ctx.args.geo_rounds)
    # --geo-ids all: every match's id from Meridian and SQLite (the per-returned-point cost);
    # PostGIS and Redis have no such mode here and are skipped.
    ids = ["--ids", "all"] if getattr(ctx.args, "geo_ids", "10") == "all" else []
    if ids and (pg or redis):
        log("  --geo-ids all: postgis and redis skipped (their programs return 10 ids)")
        pg = redis = None
    got = {}
    counts = {e: os.path.join(work, "%s.%s.counts" % (label, e)) for e in ENGINES}
    mdir = make_tempdir("bench-geo-meridian-")
    try:
        # Build, then query in a fresh process (as `meridian serve` after `meridian import`).
        base = [build("bench/geo_bench"), "--points", points, "--queries", queries, "--work", mdir]
        built = run_json(res, base + ["--build-only", "1"], label="meridian build " + label,
                         timeout=4 * 3600)
        out = run_json(res, base + ["--reuse", "1", "--rounds", rounds, "--counts",
                                    counts["meridian"]] + ids,
                       label="meridian " + label, timeout=4 * 3600)
        for k in ("build_s", "index_bytes", "bytes_per_point"):
            out[k] = built[k]
    finally:
        shutil.rmtree(mdir, ignore_errors=True)
    out["dataset"] = label
    got["meridian"] = out
    log("  meridian %s: %d points, %.1f B/point, build %.0f s" % (
        label, out["points"], out["bytes_per_point"], out["build_s"]))
    if os.access(os.path.join(ctx.build, "bench", "sqlite_geo"), os.X_OK):
        out = run_json(res, [build("bench/sqlite_geo"), "--points", points, "--queries", queries,
                             "--db", os.path.join(work, label + ".sqlite"), "--rounds", rounds,
                             "--counts", counts["sqlite"]] + ids,
                       label="sqlite " + label, timeout=4 * 3600)
        out["dataset"] = label
        got["sqlite"] = out
        log("  sqlite %s: load %.0f s" % (label, out["load_s"]))
    if pg:
        out = run_json(res, [build("bench/pg_geo"), "--conninfo", pg.conninfo(), "--table",
                             "pts_" + label, "--points", points, "--queries", queries, "--rounds",
                             rounds, "--counts", counts["postgis"], "--drop"],
                       label="postgis " + label, timeout=4 * 3600)
        out["dataset"] = label
        got["postgis"] = out
        log("  postgis %s: load %.0f s" % (label, out["load_s"]))
    if redis:
        out = run_json(res, [build("bench/redis_geo"), "--port", str(redis.port), "--key",
                             "pts_" + label, "--points", points, "--queries", queries, "--rounds",
                             rounds, "--counts", counts["redis"]],
                       label="redis " + label, timeout=4 * 3600)
        out["dataset"] = label
        got["redis"] = out
        log("  redis %s: load %.0f s" % (label, out["load_s"]))
    if getattr(ctx.args, "geo_http", False) and label == "cities" and redis:
        got["wire"] = run_http(ctx, res, log, points, queries, rounds, redis)
    mine = _read_counts(counts["meridian"])
    agree = {e: _agreement(mine, _read_counts(counts[e])) for e in got if e in PEERS}
    return got, agree


# Where the processes of the over-the-wire comparison run. On a small VM the
# scheduler's placement moves a loopback round trip by 2x or more (a wake-up
# on an idle CPU is slow), and not alike for a one-thread server (Redis) and
# a pool of workers (Meridian): unpinned runs compare placements, not
# servers. So both servers and both clients are pinned, the same way for
# both: all on one CPU ("same CPU": no cross-CPU wake-up at all), and the
# clients on one CPU with the servers on another ("cross CPU").
def _placements():
    cpus = sorted(os.sched_getaffinity(0))
    last = str(cpus[-1])
    out = [("same CPU", last, last)]
    if len(cpus) > 1:
        out.append(("cross CPU", str(cpus[0]), last))
    return out


def _pin(pid, cpu):
    subprocess.run(["taskset", "-a", "-p", "-c", cpu, str(pid)], check=True, stdout=subprocess.DEVNULL)


def run_http(ctx, res, log, points, queries, rounds, redis, turns=2):
    """The cities queries over the wire, Meridian and Redis side by side: `meridian serve`
    (response cache off) on the cities set imported as the http suite does, queried by
    bench/geo_http --get 1 --ids all (one keep-alive connection, every id up to the server's
    window of 10,000), and redis_geo (GEOSEARCH returns every member), taking turns `turns`
    times in each placement (_placements); each engine keeps its lowest p50 per class and
    placement. Returns {placement: {"meridian": classes, "redis": classes}}."""
    from bench_http import Server, import_cities
    if not shutil.which("taskset"):
        raise BenchError("--geo-http needs taskset (util-linux) to pin the processes")
    data = make_tempdir("bench-geo-http-")
    got = {}
    try:
        import_cities(ctx, res, os.path.join(ctx.dataset_dir, "cities.ndjson"), data)
        server = Server(ctx.binary("meridian"), data, "0", res, log)
        try:
            for name, client_cpu, server_cpu in _placements():
                _pin(server.proc.pid, server_cpu)
                _pin(redis.proc.pid, server_cpu)
                best = {"meridian": {}, "redis": {}}
                for _ in range(turns):
                    runs = {
                        "meridian": ["taskset", "-c", client_cpu, ctx.binary("bench/geo_http"), "--port",
                                     str(server.port), "--index", "cities", "--queries", queries, "--rounds",
                                     rounds, "--get", "1", "--ids", "all"],
                        "redis": ["taskset", "-c", client_cpu, ctx.binary("bench/redis_geo"), "--port",
                                  str(redis.port), "--key", "pts_wire", "--points", points, "--queries",
                                  queries, "--rounds", rounds]}
                    for engine, argv in runs.items():
                        out = run_json(res, argv, label="%s over the wire, %s" % (engine, name), timeout=3600)
                        for cls, c in out["classes"].items():
                            if cls not in best[engine] or c["p50_ms"] < best[engine][cls]["p50_ms"]:
                                best[engine][cls] = c
                got[name] = best
                log("  over the wire, %s: %d classes" % (name, len(best["meridian"])))
        finally:
            server.stop()
            cpus = ",".join(str(c) for c in sorted(os.sched_getaffinity(0)))
            _pin(redis.proc.pid, cpus)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    return got


def summarize(res, label, got, agree):
    classes = list(got["meridian"]["classes"].keys())
    order = lambda c: (c.split("_")[0] != "radius", c.split("_")[0] != "box",  # noqa: E731
                       float(re.sub(r"\D", "", c) or 0))
    for cls in sorted(classes, key=order):
        cell = {}
        for e in ENGINES:
            c = got.get(e, {}).get("classes", {}).get(cls)
            cell[e] = c
        for stat in ("p50_ms", "p95_ms"):
            res.add("%s %s" % (label, cls), "%s %s" % (stat[:3], " | ".join(ENGINES)),
                    " | ".join("%.3f" % cell[e][stat] if cell[e] else "—" for e in ENGINES), "ms")
        m = cell["meridian"]["p50_ms"]
        for e in PEERS:
            if cell[e]:
                res.add("%s %s" % (label, cls), "p50 %s / meridian" % e, cell[e]["p50_ms"] / m, "x")
        res.add("%s %s" % (label, cls), "mean matches", cell["meridian"]["mean_hits"], "")
        same = []
        for e in PEERS:
            a = agree.get(e, {}).get(cls)
            same.append("%d/%d" % a if a else "—")
        res.add("%s %s" % (label, cls), "queries with meridian's count: " + " | ".join(PEERS),
                " | ".join(same), "")
    for place, both in got.get("wire", {}).items():
        mh, rh = both["meridian"], both["redis"]
        for cls in sorted(mh, key=order):
            if cls not in rh:
                continue
            res.add("%s %s" % (label, cls), "p50 over the wire, %s: meridian HTTP GET (every id) | redis GEOSEARCH"
                    % place, "%.3f | %.3f" % (mh[cls]["p50_ms"], rh[cls]["p50_ms"]), "ms")
            res.add("%s %s" % (label, cls), "p50 meridian HTTP / redis, %s" % place,
                    mh[cls]["p50_ms"] / rh[cls]["p50_ms"], "x")
    m = got["meridian"]
    res.add(label, "meridian index size per point", m["bytes_per_point"], "bytes")
    if "sqlite" in got:
        res.add(label, "sqlite database per point", got["sqlite"]["bytes_per_point"], "bytes")
    if "postgis" in got:
        res.add(label, "postgis table+indexes per point", got["postgis"]["bytes_per_point"], "bytes")
    if "redis" in got:
        res.add(label, "redis memory per point", got["redis"]["bytes_per_point"], "bytes")


def grouped_chart(path, title, rows):
    """rows: [(label, {engine: p50_ms})]; a log-scale grouped bar chart via gnuplot."""
    if not shutil.which("gnuplot") or not rows:
        return False
    with tempfile.NamedTemporaryFile("w", suffix=".dat", delete=False) as dat:
        for label, v in rows:
            dat.write('"%s" %s\n' % (label, " ".join(
                "%g" % v[e] if v.get(e) else "NaN" for e in ENGINES)))
        name = dat.name
    script = "\n".join([
        "set terminal pngcairo size 1400,560 noenhanced",
        "set output '%s'" % path, "set title '%s'" % title.replace("'", ""),
        "set ylabel 'p50 latency, ms (log scale)'", "set logscale y", "set grid ytics",
        "set style data histograms", "set style histogram clustered gap 1",
        "set style fill solid 0.7 border -1", "set xtics rotate by -35", "set key top left",
        "plot '%s' using 2:xtic(1) title 'meridian' lc rgb '#3b6ea5', "
        "'' using 3 title 'sqlite' lc rgb '#8064a2', "
        "'' using 4 title 'postgis' lc rgb '#c0504d', '' using 5 title 'redis' lc rgb '#9bbb59'"
        % name])
    try:
        p = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True, timeout=60)
        return p.returncode == 0
    finally:
        os.unlink(name)


def suite_geo(ctx, log):
    from bench_common import Result
    cities_src = os.path.join(ctx.dataset_dir, "cities.ndjson")
    data = ctx.dataset("cities.ndjson")
    data["generated_points"] = ctx.args.geo_points
    res = Result("geo", "geo queries: Meridian vs SQLite R*Tree vs PostGIS vs Redis (p50/p95 latency)",
                 data)
    per_class = ctx.args.geo_per_class
    work = make_tempdir("bench-geo-")
    os.chmod(work, 0o755)  # pg_geo streams the files itself, but keep them readable
    try:
        sets = []
        points, queries, n = cities_files(cities_src, work, per_class)
        sets.append(("cities", points, queries, n))
        for kind in ("uniform", "clustered"):
            p = os.path.join(work, kind + ".points.tsv")
            q = os.path.join(work, kind + ".queries.tsv")
            out = run_json(res, [ctx.binary("bench/gen_points"), "--kind", kind, "--n",
                                 str(ctx.args.geo_points), "--seed", "42", "--points", p,
                                 "--queries", q, "--per-class", str(per_class)],
                           label="gen_points " + kind)
            sets.append(("%s%s" % (kind, _short(ctx.args.geo_points)), p, q, out["points"]))
        chart_rows = []
        with Postgres(log) as pg, Redis(log) as redis:
            for label, p, q, n in sets:
                log("geo: data set %s (%d points)" % (label, n))
                got, agree = run_dataset(ctx, res, log, label, p, q, n, pg, redis, work)
                summarize(res, label, got, agree)
                for cls in got["meridian"]["classes"]:
                    chart_rows.append(("%s %s" % (label, cls), {
                        e: got[e]["classes"][cls]["p50_ms"] for e in ENGINES
                        if e in got and cls in got[e]["classes"]}))
                for path in (p, q):  # 10M points are ~300 MB each
                    os.unlink(path)
            pgrun = next((r for r in res.runs if r.get("engine") == "postgis"), {})
            sqrun = next((r for r in res.runs if r.get("engine") == "sqlite"), {})
            res.notes.append("peers: SQLite %s, PostgreSQL %s + PostGIS %s, Redis %s" % (
                sqrun.get("sqlite", "?"), pgrun.get("postgres", "?"), pgrun.get("postgis", "?"),
                redis.version))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out_dir = os.path.join(ctx.root, ctx.args.out)
    os.makedirs(out_dir, exist_ok=True)
    if grouped_chart(os.path.join(out_dir, "geo.png"), "geo p50 latency by data set and query "
                     "class (same queries, same run)", chart_rows):
        res.notes.append("chart: geo.png (p50 per class and engine, log scale)")
    values = {"rounds": ctx.args.geo_rounds, "per_class": per_class, "text_km": TEXT_RADIUS_KM}
    res.notes += [n % values for n in NOTES]
    return res


def _short(n):
    return "%dM" % (n // 1000000) if n % 1000000 == 0 else ("%dk" % (n // 1000)
                                                             if n % 1000 == 0 else str(n))


NOTES = [
    "Same points file and same query file for every engine; engines run one after the other "
    "on one machine (2 shared cores). Each side runs every query once untimed (warm-up), then "
    "%(rounds)d timed passes; p50/p95 are over all timed executions of a class "
    "(%(per_class)d queries per class).",
    "Each query returns the exact number of matches plus up to 10 ids. meridian: "
    "query::search() in-process on a committed, force-merged (one segment) index, in a "
    "fresh process after the one that built it (as `meridian serve` after `meridian import`); "
    "request "
    "parsed once outside the clock (like a prepared statement); size=10, "
    "track_total_hits=true, source=false (the hits' ids only, like the peers; the stored "
    "documents are not read). "
    "No network, no JSON serialisation of the response.",
    "sqlite: libsqlite3 in-process (no network, like meridian), R*Tree virtual table "
    "rtree(rid, minlat, maxlat, minlon, maxlon, +id, +lat, +lon) (32-bit float boxes rounded "
    "outwards; the auxiliary columns hold the id and the exact coordinates), database file "
    "reopened with mmap and a 1 GiB cache before the queries; one prepared statement per "
    "query over the query's bounding box (two across the antimeridian), refined in C++: "
    "haversine on Meridian's sphere for radius, the exact lat/lon box for box; text = the "
    "same statement joined with a contentless FTS5 table (porter unicode61 "
    "remove_diacritics 2) MATCH the word. Counts every match, keeps the first 10 ids.",
    "postgis: libpq PQexecPrepared over TCP loopback, `SELECT id, count(*) OVER () ... LIMIT "
    "10`; radius = ST_DWithin(geography, point, r, use_spheroid=false) with a GiST index on "
    "geography; box = geometry && ST_MakeEnvelope (GiST on geometry; two envelopes across the "
    "antimeridian); text = to_tsvector('simple', name) @@ plainto_tsquery('simple', w) (GIN) "
    "AND ST_DWithin. jit=off, shared_buffers=1GB, fsync=off (loading only). The clock "
    "includes the round trip and result transfer.",
    "redis: one RESP connection over TCP loopback, GEOSEARCH FROMLONLAT ... BYRADIUS r m / "
    "BYBOX w h m (a metric box of the query box's width at its centre latitude and height, "
    "so its counts differ slightly at the edges); Redis has no count-only search, so the "
    "reply is every matching member (its length is the count): large results cost transfer "
    "time. No full-text: text+radius is not run on redis. Redis uses a 52-bit geohash and "
    "its own Earth radius (6372797.56 m), so boundary points can differ. Redis cannot store "
    "|lat| > 85.05113: those points are not loaded and queries centred there not run "
    "(skipped_points / skipped_polar_queries in its run record).",
    "text+radius (cities only): a word of a random city's name within %(text_km)d km of that "
    "city. Meridian analyses names (folding, stemming); PostgreSQL's 'simple' config only "
    "lower-cases, so counts can differ where stems or accents differ.",
    "'queries with meridian's count' = number of queries whose match count equals "
    "Meridian's exactly (a cross-check that the engines answer the same question).",
    "Index size per point: meridian = bytes of the index directory after commit + "
    "force-merge / points (all fields: id, name, location, stored source); postgis = "
    "pg_total_relation_size (heap + GiST(geog) + GiST(geom) [+ GIN(name)]); redis = MEMORY "
    "USAGE of the sorted set.",
]
