"""The `soak` suite of scripts/bench: one `meridian serve` under mixed load for
--soak-duration seconds (600), watching for errors, dropped streams and growth.

Setup: index `soak` (bench/text_schema.json) loaded through the bulk route with
LOAD documents of text.ndjson renumbered 1..LOAD (30,000; every document of
datasets/samples with --samples), then refreshed. Load, all at once:

- search: 2 client threads, closed loop on keep-alive connections, cycling
  through 240 POST .../search bodies built from the corpus (term, and, phrase,
  prefix, fuzzy, facets on `source`, simple `q`), each checked to answer 200
  before the run;
- bulk: 200-document upserts of random ids in 1..LOAD, 4 per second;
- churn + delete: 50 new documents (fresh ids) every second, and a deleter
  removing them one by one (DELETE .../docs/{id}, 100/s) once more than
  1,000 are live, so every DELETE names an acknowledged document (a 404 is a
  lost write);
- merge storm: for the first 20 s of every minute, 10 times a second a
  20-document upsert then POST .../refresh, so a small segment is published
  each time and tiered merges pile up (there is no force-merge route); the
  other 40 s show whether merging catches up;
- watch: --soak-watch-streams (50) GET .../watch streams over the 20 queries
  of bench/watch_queries.ndjson (heartbeat 2 s), in a child process, read
  continuously; an `event: dropped`, an end of stream or a silence over 10 s
  counts as a drop, and the stream reconnects with Last-Event-ID.

Every few seconds the server's /proc status (VmRSS, RssAnon, RssFile,
threads, open files, CPU) and index stats (docs, segments, merges) are
sampled with per-kind throughput and p99 of that window. Status codes are
counted per kind: non-2xx other than 429/503 is the error count (target 0);
429/503 (admission control) are reported apart; transport errors (reset,
timeout) apart too. RSS is "flat after warm-up" when the least-squares
slope of VmRSS over the second half of the run is at most RSS_SLOPE_MAX MB/min.
Output: soak.json/.md (with a timeline table, one row per tenth of the run)
and soak.png (RSS, throughput and p99 over time).
"""
import collections
import http.client
import json
import multiprocessing
import os
import random
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse

from bench_cdc import Meridian, machine_busy, proc_cpu
from bench_common import BenchError, Result, make_tempdir

SCHEMA = os.path.join("bench", "text_schema.json")
QUERIES = os.path.join("bench", "watch_queries.ndjson")
INDEX = "soak"
LOAD = 30_000               # documents loaded before the run (ids 1..LOAD)
SEARCH_THREADS = 2
BULK_BATCH, BULK_PER_S = 200, 4
CHURN_BATCH, CHURN_PER_S, CHURN_LIVE, DELETES_PER_S = 50, 1, 1_000, 100
STORM_BATCH, STORM_PER_S, STORM_ON_S, STORM_EVERY_S = 20, 10, 20, 60
HEARTBEAT_MS, WATCH_SILENCE_S = 2000, 10
RSS_SLOPE_MAX = 2.0         # MB/min over the second half: the "flat" threshold
KINDS = ("search", "bulk", "churn", "delete", "storm bulk", "storm refresh")


def pct(sorted_values, p):
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, int(p / 100.0 * len(sorted_values)))]


class Recorder:
    """One operation kind: latencies (ms) and end times in arrival order, status counts,
    transport errors, documents written. Appended to by the worker threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ends, self.lat = [], []
        self.status = collections.Counter()
        self.transport = collections.Counter()
        self.item_failures = 0
        self.docs = 0
        self.last_error = None

    def ok(self, t_end, ms, status, docs=0):
        with self.lock:
            self.ends.append(t_end)
            self.lat.append(ms)
            self.status[status] += 1
            self.docs += docs if 200 <= status < 300 else 0

    def fail(self, what):
        with self.lock:
            self.transport[what.split(":")[0]] += 1
            self.last_error = what


IDLE_REOPEN_S = 4.0         # the server closes keep-alive connections idle 5 s (--keep-alive-timeout)


class Client:
    """One keep-alive connection; request() returns (status, body) or raises OSError. A
    connection idle for IDLE_REOPEN_S is replaced first: the server may be closing it."""

    def __init__(self, port):
        self.port, self.conn, self.used = port, None, 0.0

    def request(self, method, path, body=None, ctype="application/json"):
        if self.conn is not None and time.monotonic() - self.used > IDLE_REOPEN_S:
            self.close()
        self.used = time.monotonic()
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            self.conn.request(method, path, body=body, headers={"Content-Type": ctype} if body else {})
            r = self.conn.getresponse()
            data = r.read()
            if r.getheader("Connection", "").lower() == "close":
                self.close()
            self.used = time.monotonic()
            return r.status, data
        except (OSError, http.client.HTTPException) as e:
            self.close()
            raise OSError("%s: %s" % (type(e).__name__, e))

    def close(self):
        if self.conn:
            self.conn.close()
        self.conn = None


def timed(rec, client, method, path, body=None, ctype="application/json", docs=0):
    t0 = time.monotonic()
    try:
        status, data = client.request(method, path, body, ctype)
    except OSError as e:
        rec.fail(str(e))
        return None, None
    t1 = time.monotonic()
    if docs and status == 200:
        failed = json.loads(data).get("failed", 0)
        if failed:
            with rec.lock:
                rec.item_failures += failed
                rec.last_error = data[:300].decode(errors="replace")
    elif not 200 <= status < 300:
        with rec.lock:
            rec.last_error = "%d %s" % (status, data[:300].decode(errors="replace"))
    rec.ok(t1, (t1 - t0) * 1000.0, status, docs)
    return status, data


def paced(stop, per_s, fn):
    """Calls fn() per_s times a second until stop; a late call does not cause a burst."""
    period, nxt = 1.0 / per_s, time.monotonic()
    while not stop.is_set():
        fn()
        nxt = max(nxt + period, time.monotonic())
        stop.wait(max(0.0, nxt - time.monotonic()))


# ------------------------------------------------------------------ workload
class Corpus:
    """Document bodies to write and search requests built from their words (seeded)."""

    def __init__(self, path, limit, seed=17):
        self.docs = []
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    d = json.loads(line)
                    self.docs.append({"title": d.get("title", ""), "body": d.get("body", ""),
                                      "source": d.get("source", "")})
                    if len(self.docs) >= limit:
                        break
        self.rng = random.Random(seed)
        self.searches = self._searches()

    def ndjson(self, ids, rng):
        return "".join(json.dumps(dict(rng.choice(self.docs), id=i)) + "\n" for i in ids).encode()

    def _searches(self, per_kind=30):
        rng, freq, pairs = self.rng, collections.Counter(), []
        for d in self.docs[:5000]:
            words = re.findall(r"[a-z]+", d["body"].lower())
            freq.update(w for w in words if len(w) >= 5)
            pairs += [(a, b) for a, b in zip(words, words[1:]) if len(a) >= 4 and len(b) >= 4][:2]
        common = [w for w, _ in freq.most_common(600)][50:] or [w for w, _ in freq.most_common(50)]
        pick = lambda: rng.choice(common)  # noqa: E731
        typo = lambda w: w[:2] + ("x" if w[2] != "x" else "y") + w[3:]  # noqa: E731
        kinds = {
            "term": lambda: {"query": {"match": {"body": pick()}}},
            "and": lambda: {"query": {"match": {"body": {"query": "%s %s" % (pick(), pick()),
                                                         "operator": "and"}}}},
            "phrase": lambda: {"query": {"match_phrase": {"body": "%s %s" % rng.choice(pairs)}}},
            "prefix": lambda: {"query": {"prefix": {"body": pick()[:4]}}},
            "fuzzy": lambda: {"query": {"fuzzy": {"body": typo(pick())}}},
            "facets": lambda: {"query": {"match": {"body": pick()}},
                               "facets": {"src": {"terms": {"field": "source"}}}},
            "simple": lambda: {"q": "%s %s" % (pick(), pick())},
        }
        out = [(k, json.dumps(fn()).encode()) for k, fn in kinds.items() for _ in range(per_kind)]
        rng.shuffle(out)
        return out


def check_searches(port, searches):
    c = Client(port)
    for kind, body in searches:
        status, data = c.request("POST", "/v1/indexes/%s/search" % INDEX, body)
        if status != 200:
            raise BenchError("%s search %s -> %d %s" % (kind, body, status, data[:300]))
    c.close()


def load_index(srv, corpus, n, log):
    rng, c = random.Random(1), Client(srv.port)
    for lo in range(1, n + 1, 1000):
        ids = range(lo, min(n, lo + 999) + 1)
        status, data = c.request("POST", "/v1/indexes/%s/docs" % INDEX, corpus.ndjson(ids, rng),
                                 "application/x-ndjson")
        if status != 200 or json.loads(data)["failed"]:
            raise BenchError("initial load -> %d %s" % (status, data[:300]))
    c.request("POST", "/v1/indexes/%s/refresh" % INDEX)
    c.close()
    log("loaded %d documents" % n)


def workers(port, corpus, n, stop, rec):
    """The load threads (not started)."""
    docs = "/v1/indexes/%s/docs" % INDEX
    nd = "application/x-ndjson"
    live, live_lock = collections.deque(), threading.Lock()

    def search(k):
        c, i = Client(port), k
        while not stop.is_set():
            timed(rec["search"], c, "POST", "/v1/indexes/%s/search" % INDEX,
                  corpus.searches[i % len(corpus.searches)][1])
            i += SEARCH_THREADS
        c.close()

    def bulk():
        c, rng = Client(port), random.Random(2)
        paced(stop, BULK_PER_S, lambda: timed(
            rec["bulk"], c, "POST", docs, corpus.ndjson(rng.sample(range(1, n + 1), BULK_BATCH), rng),
            nd, BULK_BATCH))

    def churn():
        c, rng, nxt = Client(port), random.Random(3), [10_000_000]

        def once():
            ids = list(range(nxt[0], nxt[0] + CHURN_BATCH))
            nxt[0] += CHURN_BATCH
            status, _ = timed(rec["churn"], c, "POST", docs, corpus.ndjson(ids, rng), nd, CHURN_BATCH)
            if status == 200:
                with live_lock:
                    live.extend(ids)
        paced(stop, CHURN_PER_S, once)

    def delete():
        c = Client(port)

        def once():
            with live_lock:
                doc_id = live.popleft() if len(live) > CHURN_LIVE else None
            if doc_id is not None:
                timed(rec["delete"], c, "DELETE", "%s/%d" % (docs, doc_id))
        paced(stop, DELETES_PER_S, once)

    def storm():
        c, rng, start = Client(port), random.Random(4), time.monotonic()

        def once():
            if (time.monotonic() - start) % STORM_EVERY_S >= STORM_ON_S:
                return
            timed(rec["storm bulk"], c, "POST", docs,
                  corpus.ndjson(rng.sample(range(1, n + 1), STORM_BATCH), rng), nd, STORM_BATCH)
            timed(rec["storm refresh"], c, "POST", "/v1/indexes/%s/refresh" % INDEX)
        paced(stop, STORM_PER_S, once)

    fns = [(search, (k,)) for k in range(SEARCH_THREADS)] + [(f, ()) for f in (bulk, churn, delete, storm)]
    return [threading.Thread(target=f, args=a, daemon=True) for f, a in fns]


# ------------------------------------------------------------------ watch streams (child process)
def watch_stream(port, query, stop, st, lock, t0):
    last_id = None
    while not stop.is_set():
        params = dict(query, heartbeat_ms=str(HEARTBEAT_MS))
        path = "/v1/indexes/%s/watch?%s" % (INDEX, urllib.parse.urlencode(params))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WATCH_SILENCE_S)
        why = None
        try:
            conn.request("GET", path, headers={"Last-Event-ID": last_id} if last_id else {})
            r = conn.getresponse()
            if r.status != 200:
                why = "status %d" % r.status
                r.read()
            else:
                with lock:
                    st["connects"] += 1
                event = None
                while not stop.is_set():
                    line = r.readline()
                    if not line:
                        why = "end of stream"
                        break
                    line = line.rstrip(b"\r\n")
                    if line.startswith(b"id:"):
                        last_id = line[3:].strip().decode()
                    elif line.startswith(b"event:"):
                        event = line[6:].strip().decode()
                    elif line == b"" and event:
                        with lock:
                            st["events"][event] += 1
                            st["per_s"][int(time.monotonic() - t0)] += 1
                        if event == "dropped":
                            why = "event: dropped"
                            break
                        event = None
        except (OSError, http.client.HTTPException) as e:
            why = "silent > %d s" % WATCH_SILENCE_S if "timed out" in str(e) else type(e).__name__
        finally:
            conn.close()
        if why and not stop.is_set():
            with lock:
                st["drops"][why] += 1
            stop.wait(0.5)


def watch_process(port, queries, n, stop, ready, t0, out):
    st = {"events": collections.Counter(), "drops": collections.Counter(),
          "per_s": collections.Counter(), "connects": 0}
    lock = threading.Lock()
    ts = [threading.Thread(target=watch_stream, args=(port, queries[i % len(queries)], stop, st, lock, t0),
                           daemon=True) for i in range(n)]
    for t in ts:
        t.start()
    ready.set()
    stop.wait()
    for t in ts:
        t.join(WATCH_SILENCE_S + 5)
    out.send({"events": dict(st["events"]), "drops": dict(st["drops"]), "connects": st["connects"],
              "per_s": dict(st["per_s"]), "alive_at_end": sum(t.is_alive() for t in ts)})


# ------------------------------------------------------------------ sampling
def proc_status(pid):
    s = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
                s[k] = int(v.split()[0]) / 1024.0  # MiB
            elif k == "Threads":
                s[k] = int(v)
    s["fds"] = len(os.listdir("/proc/%d/fd" % pid))
    return s


def sample(srv, c, rec, marks, t0):
    """One row of the timeline: server process, index stats, per-kind window figures."""
    row = {"t": round(time.monotonic() - t0, 1)}
    row.update(proc_status(srv.proc.pid))
    row["cpu_s"] = srv.cpu_seconds()
    try:
        status, data = c.request("GET", "/v1/indexes/%s" % INDEX)
        stats = json.loads(data)["stats"] if status == 200 else {}
    except (OSError, ValueError, KeyError):
        stats = {}
    for k in ("docs", "segments", "merges", "wal_bytes", "bytes_on_disk"):
        row[k] = stats.get(k)
    for kind, r in rec.items():
        with r.lock:
            n, docs = len(r.lat), r.docs
            lat = sorted(r.lat[marks[kind][0]:n])
        row[kind] = {"ops": n - marks[kind][0], "docs": docs - marks[kind][1], "p99_ms": pct(lat, 99)}
        marks[kind] = (n, docs)
    return row


def slope_mb_per_min(rows, key):
    pts = [(r["t"] / 60.0, r[key]) for r in rows]
    if len(pts) < 3:
        return None
    mx, my = sum(x for x, _ in pts) / len(pts), sum(y for _, y in pts) / len(pts)
    den = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / den if den else None


# ------------------------------------------------------------------ the run
def run(srv, corpus, queries, args, res, log):
    duration, n = args.soak_duration, min(LOAD, len(corpus.docs))
    interval = 5.0 if duration >= 300 else 1.0
    rec = {k: Recorder() for k in KINDS}
    stop = threading.Event()
    ctx = multiprocessing.get_context("fork")
    wstop, wready, (wout, win) = ctx.Event(), ctx.Event(), ctx.Pipe(duplex=False)
    t0 = time.monotonic()
    wproc = ctx.Process(target=watch_process, args=(srv.port, queries, args.soak_watch_streams,
                                                    wstop, wready, t0, win), daemon=True)
    wproc.start()
    if not wready.wait(30):
        raise BenchError("watch process did not start")
    threads = workers(srv.port, corpus, n, stop, rec)
    cpu0, busy0, client0 = srv.cpu_seconds(), machine_busy(), proc_cpu(os.getpid(), children=True)
    for t in threads:
        t.start()
    c, rows, marks = Client(srv.port), [], {k: (0, 0) for k in KINDS}
    crashed = None
    try:
        nxt = t0 + interval
        while nxt <= t0 + duration + 1e-6:
            time.sleep(max(0.0, nxt - time.monotonic()))
            nxt += interval
            if srv.proc.poll() is not None:
                crashed = "meridian serve exited %d during the run: %s" % (srv.proc.returncode,
                                                                           srv.log_tail())
                break
            rows.append(sample(srv, c, rec, marks, t0))
            r = rows[-1]
            if len(rows) % max(1, int(60 / interval)) == 0:
                log("t=%4.0fs RSS %.0f MiB (anon %.0f) segments %s, %s searches/s, %s docs/s" % (
                    r["t"], r["VmRSS"], r["RssAnon"], r["segments"], r["search"]["ops"] / interval,
                    sum(r[k]["docs"] for k in KINDS) / interval))
    finally:
        stop.set()
        for t in threads:
            t.join(70)
        wstop.set()
        watch = wout.recv() if wout.poll(WATCH_SILENCE_S + 20) else None
        wproc.join(5)
        if wproc.is_alive():
            wproc.kill()
        c.close()
    wall = time.monotonic() - t0
    if crashed:
        raise BenchError(crashed)
    if watch is None:
        raise BenchError("the watch process sent no result")
    cpu = {"meridian_cpu_s": round(srv.cpu_seconds() - cpu0, 1),
           "machine_busy_cpu_s": round(machine_busy() - busy0, 1),
           "bench_client_cpu_s": round(proc_cpu(os.getpid(), children=True) - client0, 1),
           "wall_s": round(wall, 1)}
    return rec, rows, watch, cpu


def report(res, rec, rows, watch, cpu, args, n_load, interval):
    duration = args.soak_duration
    total_errors = 0
    for kind in KINDS:
        r = rec[kind]
        lat = sorted(r.lat)
        ok = sum(v for s, v in r.status.items() if 200 <= s < 300)
        admission = sum(r.status.get(s, 0) for s in (429, 503))
        other = sum(r.status.values()) - ok - admission
        total_errors += other + sum(r.transport.values()) + r.item_failures
        res.add(kind, "requests", len(lat))
        res.add(kind, "throughput", round(len(lat) / duration, 1), "req/s")
        if r.docs:
            res.add(kind, "documents written", r.docs)
        res.add(kind, "p50 / p99 / max", "%.1f / %.1f / %.1f" % (pct(lat, 50) or 0, pct(lat, 99) or 0,
                                                                 lat[-1] if lat else 0), "ms")
        res.add(kind, "non-2xx (429/503 apart)", other)
        res.add(kind, "429 / 503", "%d / %d" % (r.status.get(429, 0), r.status.get(503, 0)))
        if r.transport or r.item_failures:
            res.add(kind, "transport errors / failed bulk items",
                    "%s / %d" % (json.dumps(dict(r.transport)), r.item_failures))
        if r.last_error:
            res.notes.append("%s: last error: %s" % (kind, r.last_error))
    drops = sum(watch["drops"].values())
    res.add("watch", "streams", args.soak_watch_streams)
    res.add("watch", "events received", sum(watch["events"].values()))
    res.add("watch", "events by kind", json.dumps(watch["events"]))
    res.add("watch", "streams dropped (target 0)", drops)
    if drops:
        res.add("watch", "drops by cause", json.dumps(watch["drops"]))
    half = [r for r in rows if r["t"] >= duration / 2.0]
    slope, slope_anon = slope_mb_per_min(half, "VmRSS"), slope_mb_per_min(half, "RssAnon")
    flat = slope is not None and slope <= RSS_SLOPE_MAX
    if rows:
        res.add("server", "VmRSS first / peak / last sample", "%.0f / %.0f / %.0f" % (
            rows[0]["VmRSS"], max(r["VmRSS"] for r in rows), rows[-1]["VmRSS"]), "MiB")
        res.add("server", "RssAnon first / last sample", "%.0f / %.0f" % (rows[0]["RssAnon"],
                                                                    rows[-1]["RssAnon"]), "MiB")
        res.add("server", "threads / open files, first / last sample", "%d / %d, %d / %d" % (
            rows[0]["Threads"], rows[0]["fds"], rows[-1]["Threads"], rows[-1]["fds"]))
        res.add("server", "segments min / max, merges during the run", "%s / %s, %s" % (
            min(r["segments"] or 0 for r in rows), max(r["segments"] or 0 for r in rows),
            (rows[-1]["merges"] or 0) - (rows[0]["merges"] or 0)))
        res.add("server", "docs first / last sample", "%s / %s" % (rows[0]["docs"], rows[-1]["docs"]))
    res.add("server", "VmRSS slope, second half (flat: <= %.1f)" % RSS_SLOPE_MAX,
            None if slope is None else round(slope, 2), "MiB/min")
    res.add("server", "RssAnon slope, second half", None if slope_anon is None else round(slope_anon, 2),
            "MiB/min")
    res.add("server", "RSS flat after warm-up", "PASS" if flat else "FAIL")
    res.add("all", "errors: non-2xx (not 429/503) + transport + failed items (target 0)", total_errors)
    for k, v in cpu.items():
        res.add("machine", k, v, "s")
    res.runs.append({"side": "soak", "duration_s": duration, "sample_interval_s": interval,
                     "initial_docs": n_load, "watch": watch, "cpu": cpu,
                     "status": {k: dict(rec[k].status) for k in KINDS}, "timeline": rows})
    res.extra_md = timeline_table(rows, watch, duration)
    return total_errors, drops, flat


def timeline_table(rows, watch, duration, slices=10):
    lines = ["", "Timeline (one row per tenth of the run; rates and p99 over that slice):", "",
             "| until s | searches/s | search p99 ms | docs written/s | bulk p99 ms | deletes/s | "
             "refresh p99 ms | watch events/s | VmRSS MiB | RssAnon MiB | segments | threads | fds |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    step = duration / float(slices)
    for i in range(slices):
        lo, hi = i * step, (i + 1) * step
        part = [r for r in rows if lo < r["t"] <= hi + 1e-6]
        if not part:
            continue
        span = part[-1]["t"] - (part[0]["t"] - (rows[1]["t"] - rows[0]["t"] if len(rows) > 1 else 1))
        ops = lambda k: sum(r[k]["ops"] for r in part)  # noqa: E731
        p99 = lambda k: max((r[k]["p99_ms"] or 0) for r in part)  # noqa: E731
        docs = sum(r[k]["docs"] for r in part for k in KINDS)
        ev = sum(v for s, v in watch["per_s"].items() if lo <= int(s) < hi)
        last = part[-1]
        lines.append("| %.0f | %.0f | %.1f | %.0f | %.1f | %.0f | %.1f | %.0f | %.0f | %.0f | %s | %s | %s |" % (
            hi, ops("search") / span, p99("search"), docs / span, p99("bulk"), ops("delete") / span,
            p99("storm refresh"), ev / step, last["VmRSS"], last["RssAnon"], last["segments"],
            last["Threads"], last["fds"]))
    lines.append("")
    lines.append("p99 columns: the highest of the sample windows' p99 in the slice.")
    return lines


def plot(path, rows, watch, title):
    """Three panels over time: RSS, throughput, p99. False when gnuplot is missing."""
    if not shutil.which("gnuplot") or len(rows) < 2:
        return False
    iv = rows[1]["t"] - rows[0]["t"]
    with tempfile.NamedTemporaryFile("w", suffix=".dat", delete=False) as f:
        for r in rows:
            ev = sum(v for s, v in watch["per_s"].items() if r["t"] - iv <= int(s) < r["t"])
            docs = sum(r[k]["docs"] for k in KINDS)
            f.write("%.3f %.1f %.1f %.1f %.1f %.1f %.1f %.1f %s %s %s %s\n" % (
                r["t"] / 60.0, r["VmRSS"], r["RssAnon"], r["RssFile"], r["search"]["ops"] / iv,
                docs / iv, r["delete"]["ops"] / iv, ev / iv,
                *(("%.2f" % r[k]["p99_ms"]) if r[k]["p99_ms"] else "NaN"
                  for k in ("search", "bulk", "storm refresh")), r["segments"] or 0))
        dat = f.name
    script = "\n".join([
        "set terminal pngcairo size 1000,1000 noenhanced",
        "set output '%s'" % path,
        "set multiplot layout 3,1 title '%s'" % title.replace("'", ""),
        "set grid", "set key outside right", "set xlabel 'minutes'",
        "set ylabel 'MiB'", "set yrange [0:*]", "set y2label 'segments'", "set y2range [0:*]",
        "set y2tics",
        "plot '{0}' u 1:2 w l lw 2 t 'VmRSS', '' u 1:3 w l t 'RssAnon', '' u 1:4 w l t 'RssFile', "
        "'' u 1:12 axes x1y2 w l dt 2 t 'segments (right)'",
        "unset y2tics", "unset y2label",
        "set ylabel 'per second'", "set logscale y",
        "plot '{0}' u 1:5 w l t 'searches', '' u 1:6 w l t 'docs written', '' u 1:7 w l t 'deletes', "
        "'' u 1:8 w l t 'watch events'",
        "set ylabel 'p99 ms (window)'",
        "plot '{0}' u 1:9 w l t 'search', '' u 1:10 w l t 'bulk', '' u 1:11 w l t 'refresh'",
        "unset multiplot"]).replace("{0}", dat)
    try:
        p = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True, timeout=60)
        return p.returncode == 0 and os.path.exists(path)
    finally:
        os.unlink(dat)


def suite_soak(ctx, log):
    a = ctx.args
    data = ctx.dataset("text.ndjson")
    res = Result("soak", "soak: %d s of mixed load on one server (%d watch streams)"
                 % (a.soak_duration, a.soak_watch_streams), data)
    corpus = Corpus(os.path.join(ctx.root, data["path"]), 50_000)
    with open(os.path.join(ctx.root, QUERIES)) as f:
        queries = [json.loads(line) for line in f if line.strip()]
    tmp = make_tempdir("meridian-bench-soak-")
    srv = Meridian(ctx.binary("meridian"), os.path.join(tmp, "data"), os.path.join(tmp, "server.log"), res)
    try:
        with open(os.path.join(ctx.root, SCHEMA)) as f:
            srv.call("PUT", "/v1/indexes/" + INDEX, json.load(f))
        n = min(LOAD, len(corpus.docs))
        load_index(srv, corpus, n, log)
        check_searches(srv.port, corpus.searches)
        log("soak: %d s, %d watch streams" % (a.soak_duration, a.soak_watch_streams))
        rec, rows, watch, cpu = run(srv, corpus, queries, a, res, log)
        interval = rows[1]["t"] - rows[0]["t"] if len(rows) > 1 else 1
        errors, drops, flat = report(res, rec, rows, watch, cpu, a, n, interval)
        srv.proc.terminate()
        code = srv.proc.wait(120)
        res.add("server", "exit status after SIGTERM", code)
        res.notes.append("Load: %d search threads (closed loop), bulk %d x %d docs/s, churn %d x %d docs/s "
                         "with one DELETE per churned doc (%d/s once %d are live), merge storm %d/s "
                         "(%d-doc bulk + POST refresh) during the first %d s of every %d s, %d watch streams on the %d queries of %s." % (
                             SEARCH_THREADS, BULK_PER_S, BULK_BATCH, CHURN_PER_S, CHURN_BATCH,
                             DELETES_PER_S, CHURN_LIVE, STORM_PER_S, STORM_BATCH, STORM_ON_S, STORM_EVERY_S,
                             a.soak_watch_streams,
                             len(queries), QUERIES))
        res.notes.append("RSS flat = least-squares slope of VmRSS over the second half <= %.1f MiB/min."
                         % RSS_SLOPE_MAX)
        machine = "%d CPUs, %s" % (os.cpu_count(), time.strftime("%Y-%m-%d", time.gmtime()))
        res.plot = lambda path, _line: plot(path, rows, watch, "%s (%s)" % (res.title, machine))
        if code != 0:
            raise BenchError("meridian serve exited %d after SIGTERM: %s" % (code, srv.log_tail()))
        log("soak: errors %d, streams dropped %d, RSS %s" % (errors, drops, "flat" if flat else "NOT flat"))
        return res
    finally:
        srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
