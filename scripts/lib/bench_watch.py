"""The `watch` suite of scripts/bench: live queries under a steady write.

`meridian serve` on loopback; bench/watch_bench opens --watch-streams (100)
GET /v1/indexes/{index}/watch streams over the 20 distinct queries of
bench/watch_queries.ndjson (streams i and i+20 watch the same query), then
writes text.ndjson documents (cycled, fresh ids) at --watch-rate (5,000/s)
in bulk requests of --watch-batch (250) for --watch-duration (60 s).
Afterwards every stream is checked against a real search of its query: no
stream dropped, each matching document received exactly once, nothing else.
Event latency = arrival minus the acknowledgment of the bulk request that
wrote the document (it includes the index's refresh interval, 500 ms: an
event is sent once its write is visible). The same write without streams,
on a fresh index of the same server, is the throughput baseline.
"""
import json
import os
import shutil
import time

from bench_cdc import Meridian, machine_busy, proc_cpu
from bench_common import BenchError, Result, make_tempdir, run_json

QUERIES = os.path.join("bench", "watch_queries.ndjson")
SCHEMA = os.path.join("bench", "text_schema.json")


def suite_watch(ctx, log):
    a = ctx.args
    data = ctx.dataset("text.ndjson")
    res = Result("watch", "live queries: %d streams on 20 queries while %d docs/s are written for %d s"
                 % (a.watch_streams, a.watch_rate, a.watch_duration), data)
    exe = ctx.binary("bench/watch_bench")
    tmp = make_tempdir("meridian-bench-watch-")
    srv = Meridian(ctx.binary("meridian"), os.path.join(tmp, "data"), os.path.join(tmp, "server.log"), res)
    try:
        with open(os.path.join(ctx.root, SCHEMA)) as f:
            schema = json.load(f)
        runs = {}
        # Baseline first, then the watched run, each on a fresh index of the same server.
        for label, index, streams in (("no watchers", "watch_base", 0), ("watchers", "watch_live", a.watch_streams)):
            srv.call("PUT", "/v1/indexes/" + index, schema)
            log("%s: %d streams, %d docs/s for %d s" % (label, streams, a.watch_rate, a.watch_duration))
            argv = [exe, "--port", str(srv.port), "--index", index,
                    "--docs", os.path.join(ctx.root, data["path"]),
                    "--queries", os.path.join(ctx.root, QUERIES), "--streams", str(streams),
                    "--rate", str(a.watch_rate), "--duration", str(a.watch_duration),
                    "--batch", str(a.watch_batch), "--schema", os.path.join(ctx.root, SCHEMA)]
            cpu0, busy0, wall0 = srv.cpu_seconds(), machine_busy(), time.monotonic()
            client0 = proc_cpu(os.getpid(), children=True)
            with open("/proc/loadavg") as f:
                load0 = float(f.read().split()[0])
            out = run_json(res, argv, timeout=a.watch_duration + 600, label=label)
            wall = time.monotonic() - wall0
            with open("/proc/loadavg") as f:
                load1 = float(f.read().split()[0])
            # CPU of the run: meridian's, and the whole machine's (2 cores = 2 s per s);
            # what neither meridian nor watch_bench (a child of this script) used was
            # other work on the machine.
            out["meridian_cpu_s"] = round(srv.cpu_seconds() - cpu0, 2)
            out["machine_busy_cpu_s"] = round(machine_busy() - busy0, 2)
            out["bench_client_cpu_s"] = round(proc_cpu(os.getpid(), children=True) - client0, 2)
            out["wall_s"] = round(wall, 1)
            out["loadavg_before_after"] = [load0, load1]
            runs[label] = out
            log("%s: %s" % (label, json.dumps(out)))
        base, live = runs["no watchers"], runs["watchers"]
        res.commands[:] = [c.replace(str(srv.port), "$PORT") for c in res.commands]
        ratio = live["docs_per_s"] / base["docs_per_s"]
        res.add("watchers", "streams dropped", live["dropped_streams"])
        res.add("watchers", "matches expected (sum over streams)", live["expected_events"])
        res.add("watchers", "matches missing", live["missing"])
        res.add("watchers", "matches delivered twice", live["duplicates"])
        res.add("watchers", "events not matching", live["unexpected"])
        # Where the whole-index search and the per-document watch differ, the
        # document alone decided (watch_bench --schema).
        res.add("watchers", "not sent, document alone does not match", live["not_sent_judged_alone"])
        res.add("watchers", "sent, document alone matches", live["sent_judged_alone"])
        res.add("watchers", "event latency from ack p50", round(live["latency_p50_ms"], 1), "ms")
        res.add("watchers", "event latency from ack p99", round(live["latency_p99_ms"], 1), "ms")
        res.add("watchers", "event latency from ack max", round(live["latency_max_ms"], 1), "ms")
        for label, r in runs.items():
            res.add(label, "write throughput", round(r["docs_per_s"]), "docs/s")
            res.add(label, "bulk ack p50", round(r["bulk_ack_p50_ms"], 1), "ms")
            res.add(label, "bulk ack p99", round(r["bulk_ack_p99_ms"], 1), "ms")
        res.add("watchers / no watchers", "write throughput ratio", round(ratio, 3))
        for label, r in runs.items():
            res.add(label, "meridian CPU", r["meridian_cpu_s"], "CPU-s")
            res.add(label, "watch_bench CPU", r["bench_client_cpu_s"], "CPU-s")
            res.add(label, "machine busy CPU (2 cores)", r["machine_busy_cpu_s"], "CPU-s")
            res.add(label, "load average before / after", "%.1f / %.1f" % tuple(r["loadavg_before_after"]))
        res.notes.append("Latency includes the refresh interval (100 ms on an index with watchers): "
                         "a write becomes an event once it is visible, as for a search.")
        res.notes.append("A watch judges each document alone; documents where that differs from the "
                         "whole-index search (a q typo that matches a word elsewhere) are judged on a "
                         "scratch index holding only that document.")
        res.chart = ("docs/s", [(k, v["docs_per_s"]) for k, v in runs.items()])
        ok = (live["dropped_streams"] == 0 and live["missing"] == 0 and live["duplicates"] == 0
              and live["unexpected"] == 0)
        if not ok:
            raise BenchError("live queries lost, repeated or invented events: %s" % json.dumps(live))
        return res
    finally:
        srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
