"""The `cluster` suite of scripts/bench: one `meridian serve` vs a 3-node cluster
(docs/CLUSTER.md) on this machine, same documents, same queries, same k, one run.

Everything runs on 127.0.0.1 and is started here (scripts/lib/bench_cluster_procs.py):

1. single node: `meridian serve` without cluster flags, index `bench` (bench/text_schema.json).
   Ingest --cluster-docs documents of text.ndjson (cycled with fresh ids when the corpus is
   smaller) in bulk requests of --cluster-batch over --cluster-clients keep-alive connections;
   "acked" = every bulk answered 200, "searchable" = then POST .../refresh and a count equal
   to the documents. Then the search list (Corpus.searches of bench_soak: term, and, phrase,
   prefix, fuzzy, facets, simple q; "size": --cluster-k) on one connection: a warm-up pass,
   --cluster-passes timed passes; p50/p99. The node is stopped before the cluster starts.
2. cluster: three nats-servers in one JetStream cluster and three `meridian serve --cluster
   ... --node-id nI`, started one after the other; the index is created with "shards"/"replicas"
   (--cluster-shards 3, --cluster-replicas 2). The same ingest (client i writes through node
   i mod 3; "searchable" = every replica at lag 0 and the count right through every node) and
   the same searches (request i through node i mod 3). Top-k ids and scores are compared with
   the single node's.
3. replica lag: a steady write load (--cluster-rate docs/s of fresh documents in bulk requests of
   --cluster-write-batch, one paced writer per node) for --cluster-lag-duration s; every
   100 ms each node's GET /v1/cluster is read and each node's own replicas' `lag` (stream last
   sequence − applied sequence, both live on that node) is recorded.
4. kill: for each D of --cluster-down (seconds), with the same write load running, node n2 is
   SIGKILLed, the load goes on through n1 and n3 for D s and stops; n2 is restarted (same data,
   same port) and /v1/cluster of every node is read every 50 ms until (a) n2 reports all its
   replicas in_sync at lag 0 and (b) every shard's assignment is back to the one before the
   kill with every replica in_sync at lag 0 on its own node. Then every acknowledged write must
   be searchable through every node.

Output: cluster.json/.md and a side-by-side table printed at the end.
"""
import json
import os
import random
import shutil
import signal
import sys
import threading
import time

from bench_cdc import loadavg, machine_busy
from bench_cluster_procs import NatsCluster, Node, Procs, http_json
from bench_common import BenchError, Result, make_tempdir
from bench_soak import Client, Corpus, paced, pct

SCHEMA = os.path.join("bench", "text_schema.json")
INDEX = "bench"
SAMPLE_S = 0.1      # lag sampling period
SYNC_POLL_S = 0.05  # after a restart
VICTIM = 1          # nodes[1] = n2 is the one killed


# ------------------------------------------------------------------ documents
def load_docs(path, n):
    """n documents with ids 1..n: the corpus in order, cycled when it is shorter."""
    base = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                d = json.loads(line)
                base.append({"title": d.get("title", ""), "body": d.get("body", ""), "source": d.get("source", "")})
                if len(base) >= n:
                    break
    if not base:
        raise BenchError("%s has no documents" % path)
    return base, [dict(base[i % len(base)], id=i + 1) for i in range(n)]


def ndjson(docs):
    return "".join(json.dumps(d) + "\n" for d in docs).encode()


# ------------------------------------------------------------------ ingest and count
def ingest(ports, docs, batch, clients):
    """Bulk-writes docs over `clients` connections (client i to ports[i % len]); seconds until
    every request answered 200 with no failed item."""
    chunks = [docs[i:i + batch] for i in range(0, len(docs), batch)]
    nxt, lock, errors = [0], threading.Lock(), []

    def work(w):
        c = Client(ports[w % len(ports)])
        while True:
            with lock:
                if nxt[0] >= len(chunks) or errors:
                    break
                body, nxt[0] = ndjson(chunks[nxt[0]]), nxt[0] + 1
            try:
                status, data = c.request("POST", "/v1/indexes/%s/docs" % INDEX, body, "application/x-ndjson")
                out = json.loads(data)
                if status != 200 or out.get("failed"):
                    raise OSError("bulk -> %d %s" % (status, data[:300]))
            except (OSError, ValueError) as e:
                with lock:
                    errors.append(str(e))
        c.close()

    t0 = time.monotonic()
    threads = [threading.Thread(target=work, args=(w,), daemon=True) for w in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise BenchError("ingest: %s" % errors[0])
    return time.monotonic() - t0


def count(port):
    """(documents matching everything, failed shards) through one node."""
    status, out = http_json(port, "POST", "/v1/indexes/%s/search" % INDEX, {"size": 0, "track_total_hits": True},
                            timeout=30)
    if status != 200:
        return None, None
    return out["total"]["value"], out.get("shards", {}).get("failed", 0)


def wait_until(what, fn, timeout, period=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = fn()
        if got:
            return time.monotonic()
        time.sleep(period)
    raise BenchError("timed out after %d s waiting for %s" % (timeout, what))


# ------------------------------------------------------------------ cluster state
def own_replicas(port):
    """This node's view of its own replicas of INDEX: {(shard, node): replica}, plus the
    assignment it sees ({shard: [nodes]}); None when it does not answer."""
    try:
        status, body = http_json(port, "GET", "/v1/cluster", timeout=3)
    except OSError:
        return None
    if status != 200:
        return None
    mine, assignment = {}, {}
    for ix in body.get("indexes", []):
        if ix["index"] != INDEX:
            continue
        for s in ix["shard_list"]:
            assignment[s["shard"]] = [r["node"] for r in s["replicas"]]
            for r in s["replicas"]:
                if r["node"] == body["node_id"]:
                    mine[(s["shard"], r["node"])] = r
    return {"node": body["node_id"], "mine": mine, "assignment": assignment,
            "members": sorted(n["id"] for n in body.get("nodes", []))}


def all_in_sync(nodes, want_assignment, want_members):
    """Every node agrees on the members and the assignment, and every replica is in_sync at
    lag 0 on its own node."""
    views = [own_replicas(n.port) for n in nodes]
    if any(v is None for v in views):
        return False
    held = {}
    for v in views:
        if v["members"] != want_members or v["assignment"] != want_assignment:
            return False
        held.update(v["mine"])
    for shard, reps in want_assignment.items():
        for node in reps:
            r = held.get((shard, node))
            if not r or r.get("state") != "in_sync" or r.get("lag") != 0:
                return False
    return True


# ------------------------------------------------------------------ searches
def searches(corpus, k):
    return [(kind, json.dumps(dict(json.loads(body), size=k)).encode()) for kind, body in corpus.searches]


def run_searches(ports, queries, passes):
    """A warm-up pass, then `passes` timed passes on one client, request i to ports[i % len].
    Returns latencies (ms), errors, wall seconds and the hits of the last pass per query."""
    clients = [Client(p) for p in ports]
    lat, errors, hits, i = [], [], {}, 0
    t0 = None
    for p in range(passes + 1):
        if p == 1:
            t0 = time.monotonic()
        for q, (kind, body) in enumerate(queries):
            c = clients[i % len(clients)]
            i += 1
            s = time.monotonic()
            try:
                status, data = c.request("POST", "/v1/indexes/%s/search" % INDEX, body)
            except OSError as e:
                errors.append("%s: %s" % (kind, e))
                continue
            ms = (time.monotonic() - s) * 1000.0
            out = json.loads(data) if status == 200 else None
            if out is None or out.get("shards", {}).get("failed", 0):
                errors.append("%s %s -> %d %s" % (kind, body[:80], status, data[:200]))
                continue
            if p > 0:
                lat.append(ms)
                hits[q] = [(h["id"], rank_key(h)) for h in out["hits"]]
    wall = time.monotonic() - t0
    for c in clients:
        c.close()
    return sorted(lat), errors, wall, hits


def rank_key(hit):
    """What orders a hit: its "sort" values without the tiebreaker (a `q` search ranked by its
    ranking rules, or a sorted search), else its score."""
    if isinstance(hit.get("sort"), list) and len(hit["sort"]) > 1:
        return tuple(hit["sort"][:-1])
    return (hit.get("score"),)


def close(x, y):
    """Rank keys equal, numbers within a relative 1e-5."""
    if isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)):
        return len(x) == len(y) and all(close(a, b) for a, b in zip(x, y))
    if isinstance(x, (int, float)) and isinstance(y, (int, float)):
        return abs(x - y) <= 1e-5 * max(1.0, abs(x))
    return x == y


def same_topk(a, b):
    """Same rank keys place by place (scores within a relative 1e-5) and every id ranked above
    the last key with the same key on both sides; tied hits may come in another order, and which
    of the hits tied with the last one make the cut is not compared."""
    if len(a) != len(b) or not all(close(x[1], y[1]) for x, y in zip(a, b)):
        return False
    if not a:
        return True
    last = a[-1][1]
    sa = {i: s for i, s in a if not close(s, last)}
    sb = {i: s for i, s in b if not close(s, last)}
    return sa.keys() == sb.keys() and all(close(sa[i], sb[i]) for i in sa)


# ------------------------------------------------------------------ steady write load and lag
class SteadyWriter:
    """Fresh documents at `rate` docs/s in bulk requests of `batch`: one paced thread per node
    (rate / nodes each), so a slow answer from one node does not hold back the others; a thread
    whose node is marked down writes through the next live node. Counts acknowledged documents."""

    def __init__(self, nodes, base, next_id, rate, batch):
        self.nodes, self.base, self.next_id = nodes, base, next_id
        self.rate, self.batch = rate, batch
        self.down, self.stop_ev, self.lock = set(), threading.Event(), threading.Lock()
        self.acked, self.failed_requests, self.lat, self.last_error = 0, 0, [], None
        self.threads = []

    def _run(self, k):
        clients = {n.name: Client(n.port) for n in self.nodes}
        rng = random.Random(7 + k)

        def once():
            live = [n for n in self.nodes[k:] + self.nodes[:k] if n.name not in self.down]
            node = live[0]
            with self.lock:
                ids = range(self.next_id, self.next_id + self.batch)
                self.next_id += self.batch
            body = ndjson([dict(rng.choice(self.base), id=i) for i in ids])
            s = time.monotonic()
            try:
                status, data = clients[node.name].request("POST", "/v1/indexes/%s/docs" % INDEX, body,
                                                          "application/x-ndjson")
                out = json.loads(data) if status == 200 else {}
                if status != 200 or out.get("failed"):
                    raise OSError("%d %s" % (status, data[:200]))
                with self.lock:
                    self.acked += self.batch
                    self.lat.append((time.monotonic() - s) * 1000.0)
            except (OSError, ValueError) as e:
                with self.lock:
                    self.failed_requests += 1
                    self.last_error = "%s: %s" % (node.name, e)
        paced(self.stop_ev, self.rate / float(self.batch) / len(self.nodes), once)
        for c in clients.values():
            c.close()

    def start(self):
        self.stop_ev.clear()
        self.threads = [threading.Thread(target=self._run, args=(k,), daemon=True) for k in range(len(self.nodes))]
        for t in self.threads:
            t.start()

    def stop(self):
        self.stop_ev.set()
        for t in self.threads:
            t.join(60)


def sample_lag(nodes, stop, out):
    """Every SAMPLE_S: each node's own replicas' lag, as (t, node, shard, lag, state)."""
    t0 = time.monotonic()
    while not stop.is_set():
        tick = time.monotonic()
        for n in nodes:
            v = own_replicas(n.port)
            if v:
                for (shard, node), r in v["mine"].items():
                    out.append((round(tick - t0, 3), node, shard, r.get("lag"), r.get("state")))
        stop.wait(max(0.0, SAMPLE_S - (time.monotonic() - tick)))


def lag_phase(nodes, writer, duration, log):
    samples, stop = [], threading.Event()
    sampler = threading.Thread(target=sample_lag, args=(nodes, stop, samples), daemon=True)
    writer.start()
    time.sleep(1.0)  # the load is steady before sampling starts
    acked0, lat0, t0 = writer.acked, len(writer.lat), time.monotonic()
    sampler.start()
    time.sleep(duration)
    stop.set()
    acked, wall = writer.acked - acked0, time.monotonic() - t0
    lat = sorted(writer.lat[lat0:])
    sampler.join(10)
    writer.stop()
    lags = sorted(s[3] for s in samples if s[3] is not None)
    out = {"samples": samples, "lags": lags, "acked": acked, "seconds": round(wall, 2),
           "achieved_docs_per_s": acked / wall, "bulk_p50_ms": pct(lat, 50), "bulk_p99_ms": pct(lat, 99)}
    log("lag: %d samples, p50 %s p99 %s max %s records; %.0f docs/s acked (asked %d)" % (
        len(lags), pct(lags, 50), pct(lags, 99), lags[-1] if lags else None, out["achieved_docs_per_s"],
        writer.rate))
    return out


def kill_phase(nodes, writer, down_s, timeout, log):
    victim, others = nodes[VICTIM], [n for i, n in enumerate(nodes) if i != VICTIM]
    before = own_replicas(nodes[0].port)
    want_assignment, want_members = before["assignment"], before["members"]
    acked0, failed0 = writer.acked, writer.failed_requests
    writer.start()
    time.sleep(2.0)
    writer.down.add(victim.name)
    t_kill = time.monotonic()
    victim.kill()
    acked_at_kill = writer.acked
    time.sleep(down_s)
    writer.stop()
    writer.down.discard(victim.name)
    backlog = writer.acked - acked_at_kill
    moved = own_replicas(others[0].port)
    t_restart = victim.start()
    t_health = victim.wait_health()

    def self_sync():
        v = own_replicas(victim.port)
        return bool(v and v["mine"] and all(r.get("state") == "in_sync" and r.get("lag") == 0
                                            for r in v["mine"].values()))
    t_self = wait_until("n2's replicas in sync after the restart", self_sync, timeout, SYNC_POLL_S)
    t_all = wait_until("every replica in sync after the restart",
                       lambda: all_in_sync(nodes, want_assignment, want_members), timeout, SYNC_POLL_S)
    out = {"down_s": down_s, "backlog_docs": backlog, "acked": writer.acked - acked0,
           "killed_to_restart_s": round(t_restart - t_kill, 3),
           "restart_to_http_s": round(t_health - t_restart, 3),
           "restart_to_own_replicas_in_sync_s": round(t_self - t_restart, 3),
           "restart_to_all_in_sync_s": round(t_all - t_restart, 3),
           "assignment_while_down": moved and moved["assignment"],
           "members_while_down": moved and moved["members"],
           "failed_write_requests": writer.failed_requests - failed0, "last_write_error": writer.last_error}
    log("kill %s s: backlog %d docs; restart -> HTTP %.2f s, own replicas in sync %.2f s, all in sync %.2f s" % (
        down_s, backlog, out["restart_to_http_s"], out["restart_to_own_replicas_in_sync_s"],
        out["restart_to_all_in_sync_s"]))
    return out


# ------------------------------------------------------------------ the two sides
def create_index(port, schema, extra):
    status, out = http_json(port, "PUT", "/v1/indexes/" + INDEX, dict(schema, **extra), timeout=30)
    if status not in (200, 201):
        raise BenchError("PUT /v1/indexes/%s -> %d %s" % (INDEX, status, json.dumps(out)[:300]))


def proc_cpu_s(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            x = f.read().rsplit(")", 1)[1].split()
        return (int(x[11]) + int(x[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


def timed_ingest(ports, docs, args, searchable, cpu_of, log):
    """Ingest, then wait until `searchable()`; docs/s acked and searchable, CPU seconds."""
    busy0, cpu0 = machine_busy(), cpu_of()
    t0 = time.monotonic()
    acked_s = ingest(ports, docs, args.cluster_batch, args.cluster_clients)
    t_ack = time.monotonic()
    t_vis = wait_until("all %d documents searchable" % len(docs), searchable, 600, 0.1)
    wall = t_vis - t0
    cpu1 = cpu_of()
    out = {"docs": len(docs), "acked_s": round(acked_s, 3), "searchable_s": round(t_vis - t0, 3),
           "acked_docs_per_s": len(docs) / acked_s, "searchable_docs_per_s": len(docs) / (t_vis - t0),
           "ack_to_searchable_s": round(t_vis - t_ack, 3),
           "machine_busy_pct": round(100.0 * (machine_busy() - busy0) / wall / (os.cpu_count() or 1), 1),
           "cpu_s": {k: round(cpu1[k] - cpu0[k], 1) for k in cpu0}}
    log("ingest %d docs: acked %.0f docs/s, searchable %.0f docs/s (machine busy %.0f %%)" % (
        len(docs), out["acked_docs_per_s"], out["searchable_docs_per_s"], out["machine_busy_pct"]))
    return out


def search_side(ports, queries, passes, log):
    lat, errors, wall, hits = run_searches(ports, queries, passes)
    out = {"queries": len(lat), "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99), "max_ms": lat[-1] if lat else None,
           "queries_per_s": len(lat) / wall if wall else None, "errors": len(errors), "first_errors": errors[:3]}
    log("search: %d queries, p50 %.2f ms, p99 %.2f ms, %d errors" % (len(lat), out["p50_ms"] or 0,
                                                                     out["p99_ms"] or 0, len(errors)))
    return out, hits


def single_side(exe, procs, tmp, schema, docs, queries, args, res, log):
    node = Node(procs, exe, tmp, "single", res)
    node.start()
    node.wait_health()
    create_index(node.port, schema, {})

    def searchable():
        http_json(node.port, "POST", "/v1/indexes/%s/refresh" % INDEX, timeout=60)
        return count(node.port)[0] == len(docs)
    ing = timed_ingest([node.port], docs, args, searchable, lambda: {"meridian": node.cpu_seconds()}, log)
    srch, hits = search_side([node.port], queries, args.cluster_passes, log)
    node.stop()
    return {"ingest": ing, "search": srch}, hits


def cluster_side(exe, procs, tmp, schema, docs, base, queries, args, res, log):
    nats = NatsCluster(procs, tmp, res)
    nats.wait_ready()
    nodes = [Node(procs, exe, tmp, "n%d" % i, res, nats.urls) for i in (1, 2, 3)]
    for n in nodes:  # one after the other: see the notes (concurrent first start)
        n.start()
        n.wait_health()
    names = sorted(n.name for n in nodes)
    wait_until("every node to see 3 members", lambda: all((own_replicas(n.port) or {}).get("members") == names
                                                          for n in nodes), 30)
    create_index(nodes[0].port, schema, {"shards": args.cluster_shards, "replicas": args.cluster_replicas})
    assignment = {}
    wait_until("the index placed on every node", lambda: assignment.update(
        (own_replicas(nodes[0].port) or {}).get("assignment", {})) or len(assignment) == args.cluster_shards, 30)
    wait_until("every replica in sync", lambda: all_in_sync(nodes, assignment, names), 60)
    log("cluster up: assignment %s" % json.dumps(assignment))
    ports = [n.port for n in nodes]

    def cpu():
        return {"meridian": sum(n.cpu_seconds() for n in nodes), "nats": sum(proc_cpu_s(p.pid) for p in nats.procs)}

    def searchable():
        return all_in_sync(nodes, assignment, names) and all(count(p) == (len(docs), 0) for p in ports)
    ing = timed_ingest(ports, docs, args, searchable, cpu, log)
    srch, hits = search_side(ports, queries, args.cluster_passes, log)
    writer = SteadyWriter(nodes, base, len(docs) + 1, args.cluster_rate, args.cluster_write_batch)
    lag = lag_phase(nodes, writer, args.cluster_lag_duration, log)
    kills = [kill_phase(nodes, writer, d, args.cluster_sync_timeout, log) for d in args.cluster_down]
    acked = len(docs) + writer.acked
    counts = {}
    wait_until("every acknowledged write searchable through every node", lambda: counts.update(
        {n.name: count(n.port) for n in nodes}) or all(c[0] is not None and c[0] >= acked and c[1] == 0
                                                       for c in counts.values()), 60)
    final = {"acked_total": acked, "count_by_node": {k: v[0] for k, v in counts.items()}}
    log("after the kills: %d writes acknowledged, counts %s" % (acked, json.dumps(final["count_by_node"])))
    return {"ingest": ing, "search": srch, "lag": lag, "kills": kills, "final": final,
            "assignment": assignment}, hits


# ------------------------------------------------------------------ the suite
def suite_cluster(ctx, log):
    from bench_cluster_report import fill
    a = ctx.args
    data = ctx.dataset("text.ndjson")
    res = Result("cluster", "1 node vs a 3-node cluster on one machine (loopback)", data)
    exe = ctx.binary("meridian")
    base, docs = load_docs(os.path.join(ctx.root, data["path"]), a.cluster_docs)
    corpus = Corpus(os.path.join(ctx.root, data["path"]), 50_000)
    queries = searches(corpus, a.cluster_k)
    with open(os.path.join(ctx.root, SCHEMA)) as fh:
        schema = json.load(fh)
    res.notes.append("Run: scripts/bench " + " ".join(sys.argv[1:]))
    log("cluster: dataset %s (%d distinct documents, %d written), %d queries" % (
        ctx.dataset_kind, len(base), len(docs), len(queries)))
    loads = [loadavg()]
    tmp = make_tempdir("meridian-bench-cluster-")
    procs = Procs()

    def on_term(signum, frame):
        raise KeyboardInterrupt("SIGTERM")
    old = signal.signal(signal.SIGTERM, on_term)
    try:
        single, hits1 = single_side(exe, procs, tmp, schema, docs, queries, a, res, log)
        cl, hits3 = cluster_side(exe, procs, tmp, schema, docs, base, queries, a, res, log)
        differ = [q for q in hits1 if q not in hits3 or not same_topk(hits1[q], hits3[q])]
        top_equal = len(hits1) - len(differ)
        cl["topk_differ_by_kind"] = {}
        for q in differ:
            kind = queries[q][0]
            cl["topk_differ_by_kind"][kind] = cl["topk_differ_by_kind"].get(kind, 0) + 1
        cl["topk_differ_examples"] = [{"query": json.loads(queries[q][1]), "one_node": hits1[q], "cluster": hits3.get(q)}
                                      for q in differ[:40]]
        loads.append(loadavg())
        lines = fill(res, single, cl, a, top_equal, len(queries), ctx.dataset_kind, loads)
        print("", flush=True)
        for line in lines:
            print(line, flush=True)
        print("", flush=True)
        return res
    finally:
        procs.stop_all()
        signal.signal(signal.SIGTERM, old)
        shutil.rmtree(tmp, ignore_errors=True)
