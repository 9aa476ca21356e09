"""The `http` suite of scripts/bench: the fixed cost of one request, then wrk
against `meridian serve` on loopback with the cities set loaded.

Round trip (bench/rtt_bench): one keep-alive connection each to Meridian
(`GET /health`, a search for a word no city has, query cache off) and to a
redis-server (`PING`), in turns of 500 requests, --http-rtt-rounds runs of
--http-rtt-n requests per target; p50/p99 per target and the ratios to the
Redis PING (issue 20 targets: /health <= 1.2x, zero-hit search <= 1.5x).
--http-rtt-only skips the wrk part.

wrk part: Query kinds: a term query, a text + geo query and
a faceted query; 16 and 64 connections; query cache on (default 64M) and off
(--cache-bytes 0). Reports queries/s, p50/p99 latency and non-2xx responses.

Each kind has a file of 200 distinct request paths (bench/wrk/paths.lua
cycles through it), so with the cache on every request after the first pass
is a cache hit, and with it off every request runs the query.
"""
import collections
import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request

from bench_common import BenchError, make_tempdir, median, run_json, stop_process
from bench_peers import Redis, free_port

KINDS = ("term", "text_geo", "faceted")
CONNECTIONS = (16, 64)
PATHS_PER_KIND = 200


def query_paths(cities_path, work, n=PATHS_PER_KIND):
    """Writes <work>/<kind>.paths from the most frequent name words of the cities."""
    freq = collections.Counter()
    where = {}
    with open(cities_path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            d = json.loads(line)
            for w in set(re.findall(r"[a-z]{3,}", (d.get("name") or "").lower())):
                freq[w] += 1
                loc = d.get("location")
                if loc and w not in where:
                    where[w] = (loc["lat"], loc["lon"])
    words = [w for w, _ in freq.most_common(n)]
    base = "/v1/indexes/cities/search?"
    paths = {
        "term": [base + "q=%s" % w for w in words],
        "text_geo": [base + "q=%s&near=%.4f,%.4f&radius=100km" % ((w,) + where[w])
                     for w in words],
        "faceted": [base + "q=%s&facets=country,feature_code" % w for w in words],
    }
    files = {}
    for kind, lines in paths.items():
        files[kind] = os.path.join(work, kind + ".paths")
        with open(files[kind], "w") as f:
            f.write("\n".join(lines) + "\n")
    return files, paths


def http_get(port, path, timeout=10):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=timeout) as r:
        return r.status, r.read()


class Server:
    """`meridian serve` on a free loopback port; stop() sends SIGTERM to that process."""

    def __init__(self, exe, data, cache_bytes, res, log):
        self.port = free_port()
        argv = [exe, "serve", "--data", data, "--listen", "127.0.0.1:%d" % self.port,
                "--cache-bytes", cache_bytes, "--no-access-log"]
        cmd = " ".join(argv).replace(data, "$DATA").replace(str(self.port), "$PORT")
        if cmd not in res.commands:
            res.commands.append(cmd)
        self.log = log
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise BenchError("meridian serve exited %d: %s" % (
                    self.proc.returncode, self.proc.stderr.read().decode()[-1500:]))
            try:
                if http_get(self.port, "/health", timeout=2)[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise BenchError("meridian serve did not answer /health within 120 s")

    def stop(self):
        stop_process(self.proc, 60)
        self.proc = None


def import_cities(ctx, res, cities, data):
    exe = ctx.binary("meridian")
    schema = os.path.join(ctx.root, "bench", "wrk", "cities_schema.json")
    argv = [exe, "import", "cities", cities, "--data", data, "--schema", schema, "--quiet"]
    res.commands.append(" ".join(argv).replace(data, "$DATA"))
    p = subprocess.run(argv, capture_output=True, text=True, timeout=3600)
    if p.returncode != 0:
        raise BenchError("meridian import failed (%d): %s" % (p.returncode, p.stderr[-1500:]))


def check_paths(port, paths):
    """Every path must answer 200 with hits before wrk runs (no silent 4xx benchmark)."""
    empty = 0
    for kind, lines in paths.items():
        for path in lines:
            status, body = http_get(port, path)
            if status != 200:
                raise BenchError("GET %s -> %d" % (path, status))
            if json.loads(body)["total"]["value"] == 0:
                empty += 1
    return empty


# Words no city has. `q` searches each word with AUTO fuzziness and the last
# one also as a prefix (docs/QUERY.md): 2 letters = exact + prefix only (the
# fixed cost of a search), 5 letters = 1 edit, 7 letters = 2 edits.
ZERO_HIT = "/v1/indexes/cities/search?q=zq"
ZERO_HIT_FUZZY = (("zero-hit search, 5 letters (1 edit)", "/v1/indexes/cities/search?q=zzqxj"),
                  ("zero-hit search, 7 letters (2 edits)", "/v1/indexes/cities/search?q=zzqxjvw"))


def round_trips(ctx, res, data, log):
    """/health, a zero-hit search and Redis PING over keep-alive loopback, same run."""
    rtt = ctx.binary("bench/rtt_bench")
    n, rounds = ctx.args.http_rtt_n, ctx.args.http_rtt_rounds
    per = {}
    with Redis(log) as redis:
        srv = Server(ctx.binary("meridian"), data, "0", res, log)
        try:
            for path in [ZERO_HIT] + [p for _, p in ZERO_HIT_FUZZY]:
                status, body = http_get(srv.port, path)
                if status != 200 or json.loads(body)["total"]["value"] != 0:
                    raise BenchError("%s is not a zero-hit search" % path)
            for r in range(rounds):
                argv = [rtt, "--n", str(n), "--warmup", "2000", "--block", "500",
                        "--redis", str(redis.port), "--name", "redis PING",
                        "--http", str(srv.port), "/health", "--name", "GET /health",
                        "--http", str(srv.port), ZERO_HIT, "--name", "zero-hit search"]
                for name, path in ZERO_HIT_FUZZY:
                    argv += ["--http", str(srv.port), path, "--name", name]
                out = run_json(res, argv, label="round trip %d" % (r + 1), timeout=600)
                out["round"] = r + 1
                for t in out["targets"]:
                    per.setdefault(t["name"], []).append(t)
                log("  round trip %d: %s" % (r + 1, "  ".join(
                    "%s p50 %.1f us" % (t["name"], t["p50_us"]) for t in out["targets"])))
        finally:
            srv.stop()
        version = redis.version
    base = median([t["p50_us"] for t in per["redis PING"]])
    for name in ["redis PING", "GET /health", "zero-hit search"] + [n for n, _ in ZERO_HIT_FUZZY]:
        p50 = median([t["p50_us"] for t in per[name]])
        p99 = median([t["p99_us"] for t in per[name]])
        res.add("round trip: " + name, "p50 / p99 (median of %d runs)" % rounds,
                "%.1f / %.1f" % (p50, p99), "us")
        res.add("round trip: " + name, "p50 / Redis PING p50", round(p50 / base, 2), "x")
    res.notes += [
        "Round trip: bench/rtt_bench, one keep-alive TCP connection per target on loopback "
        "(TCP_NODELAY), targets in turns of 500 requests, %d requests per target per run after "
        "2,000 warm-up, %d runs; each request reads the whole response. redis-server %s "
        "(--save '' --appendonly no); meridian serve --cache-bytes 0 --no-access-log on the "
        "cities index; zero-hit search = GET %s (exact word + prefix); the fuzzy ones: %s. Targets "
        "(issue 20): /health <= 1.2x and zero-hit search <= 1.5x the Redis PING p50." % (
            n, rounds, version, ZERO_HIT, ", ".join("GET " + p for _, p in ZERO_HIT_FUZZY)),
    ]


def suite_http(ctx, log):
    from bench_common import Result
    wrk = shutil.which("wrk")
    if not wrk and not ctx.args.http_rtt_only:
        raise BenchError("wrk is not installed; run scripts/setup bench")
    data_info = ctx.dataset("cities.ndjson")
    res = Result("http", "HTTP search API: round trip vs Redis PING, and under wrk (meridian serve, cities)",
                 data_info)
    cities = os.path.join(ctx.root, data_info["path"])
    work = make_tempdir("bench-http-")
    data = os.path.join(work, "meridian-data")
    duration = ctx.args.http_duration
    lua = os.path.join(ctx.root, "bench", "wrk", "paths.lua")
    got = {}
    try:
        log("http: importing %s" % data_info["path"])
        import_cities(ctx, res, cities, data)
        log("http: round trips (bench/rtt_bench)")
        round_trips(ctx, res, data, log)
        if ctx.args.http_rtt_only:
            return res
        files, paths = query_paths(cities, work)
        for cache in ("on", "off"):
            srv = Server(ctx.binary("meridian"), data, "64M" if cache == "on" else "0", res, log)
            try:
                empty = check_paths(srv.port, paths)
                if cache == "on":
                    res.notes.append("%d of %d request paths match no document (still 200)"
                                     % (empty, sum(len(v) for v in paths.values())))
                for kind in KINDS:
                    for conns in CONNECTIONS:
                        argv = [wrk, "-t2", "-c%d" % conns, "-d%ds" % duration, "--latency",
                                "-s", lua, "http://127.0.0.1:%d" % srv.port, "--",
                                files[kind]]
                        out = run_json(res, argv, label="%s cache=%s c=%d" % (kind, cache, conns),
                                       timeout=duration * 4 + 120)
                        out.update({"kind": kind, "cache": cache, "connections": conns})
                        got[(kind, cache, conns)] = out
                        log("  %-8s cache=%-3s c=%-2d %8.0f q/s  p50 %.2f ms  p99 %.2f ms  "
                            "non-2xx %d" % (kind, cache, conns, out["rps"], out["p50_ms"],
                                            out["p99_ms"], out["non2xx"]))
            finally:
                srv.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for (kind, cache, conns), o in got.items():
        name = "%s, cache %s, %d conns" % (kind, cache, conns)
        res.add(name, "queries/s", o["rps"], "q/s")
        res.add(name, "p50 / p99", "%.2f / %.2f" % (o["p50_ms"], o["p99_ms"]), "ms")
        errors = o["non2xx"] + o["connect_errors"] + o["read_errors"] + o["write_errors"] + \
            o["timeouts"]
        res.add(name, "non-2xx / socket errors", "%d / %d" % (o["non2xx"], errors - o["non2xx"]),
                "")
    res.chart = ("queries/s (wrk, %d s per run)" % duration,
                 [("%s %s c%d" % (k, c, n), got[(k, c, n)]["rps"]) for k in KINDS
                  for c in ("on", "off") for n in CONNECTIONS if (k, c, n) in got])
    res.notes += [
        "wrk 4.1 with 2 threads on the same 2-core machine as the server (they compete for the "
        "CPUs); %d s per run; keep-alive connections; latencies are wrk's (request sent to "
        "response read)." % duration,
        "meridian serve with its defaults (worker threads max(8, 4 x cores), growing while none is idle) plus "
        "--no-access-log; the cities set imported with bench/wrk/cities_schema.json; cache on = "
        "--cache-bytes 64M, off = --cache-bytes 0.",
        "Each kind cycles through %d distinct paths built from the most frequent words of city "
        "names: term = ?q=WORD; text_geo = ?q=WORD&near=LAT,LON&radius=100km (a city carrying "
        "the word); faceted = ?q=WORD&facets=country,feature_code. Default size 10, stored "
        "source returned." % PATHS_PER_KIND,
        "non-2xx = wrk's count of responses with status >= 400 (the server sends no 3xx).",
    ]
    return res
