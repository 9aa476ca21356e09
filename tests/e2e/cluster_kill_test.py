#!/usr/bin/env python3
"""The cluster kill test of issue 15 (docs/CLUSTER.md, "The kill test").

Usage: cluster_kill_test.py PATH/TO/meridian
Three nats-servers in one JetStream cluster and three `meridian serve --cluster`
nodes, all on 127.0.0.1 and started here (scripts/lib/bench_cluster_procs.py, the
process management of `scripts/bench cluster`); one index with 3 shards x 2 replicas.

1. Writers: WRITERS threads bulk-write N documents (unique ids, a text field) through
   all three nodes, paced at RATE docs/s so that the kills fall mid-stream. Half of them
   give up on a bulk after SHORT_TIMEOUT_S (the others after WRITE_TIMEOUT_S). A bulk answered
   200 acknowledges every item it does not list in "errors"; a listed item, a non-200
   answer, a timeout or a connection lost after the request was sent leaves its ids
   "unknown" (maybe stored). A request that never reached a node whole (connection
   refused, or the send failed) cannot have been processed: that bulk goes to the next node.
2. Mid-stream (by the writers' progress): SIGKILL of Meridian node n2, restarted DOWN_S
   later on the same port and data directory; then SIGKILL of one nats-server, restarted
   DOWN_S later on the same store. The test asserts that writes were still in flight.
3. A searcher runs the whole time, through every node that is up: every search must
   answer 200 within SEARCH_TIMEOUT_S, with "shards" {"total","successful","failed"}
   (failures listed when partial). Only a request to the killed node around its kill
   may fail to connect.
4. Afterwards, once every replica is in sync (GET /v1/cluster of every node): through
   every node, paging every document by id: every acknowledged id is there, every id
   there was written (acknowledged or unknown), none twice, and the total equals the
   distinct ids; a sample of GET by id answers on every node. Every replica of a shard
   (read by its own node's internal route POST .../shards/{shard}/select) holds exactly
   the same ids, and the shard streams hold one message per stored document (no
   duplicated publish).

Environment: MERIDIAN_KILL_TEST_DOCS (default 50000; the sanitizer build sets fewer in
tests/e2e/meson.build) scales N and the pace with it. Skips (exit 0, saying so) when
nats-server is not installed. Bounded: every wait has a deadline.
"""
import http.client
import json
import os
import random
import shutil
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "lib"))
from bench_cluster_procs import NatsCluster, Node, Procs, http_json, nats_binary  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/meridian")
INDEX = "kt"
N_DOCS = int(os.environ.get("MERIDIAN_KILL_TEST_DOCS", "50000"))
BATCH = 100
WRITERS = 6
RATE = max(200, N_DOCS // 40)  # docs/s: the writes last ~40 s, the kills fall inside
DOWN_S = 4.0                   # a killed process stays down this long (over the 3 s membership TTL)
WRITE_TIMEOUT_S = 60
SHORT_TIMEOUT_S = 3
SEARCH_TIMEOUT_S = 15
SYNC_TIMEOUT_S = 180
WORDS = ["river", "stone", "bridge", "harbor", "castle", "forest", "market", "tower", "garden", "valley",
         "north", "old", "green", "quiet", "lake", "mill"]
T0 = time.monotonic()


def log(msg):
    print("[%6.1f s] %s" % (time.monotonic() - T0, msg), flush=True)


class NotSent(Exception):
    """The request never reached the node whole (connection refused, or the send failed):
    it cannot have been processed."""


class Conn:
    """One keep-alive HTTP connection to a node, reopened after any error and before a
    reuse after IDLE_S (the server may have closed it meanwhile)."""
    IDLE_S = 2.0

    def __init__(self, port, timeout):
        self.port, self.timeout, self.c, self.used = port, timeout, None, 0.0

    def request(self, method, path, body, ctype="application/json", retry_stale=False):
        """(status, parsed body). Raises NotSent when the node cannot have processed the
        request, OSError/HTTPException when the outcome is unknown (sent, no answer). With
        retry_stale (idempotent requests), a failure on a reused connection is retried once
        on a new one, as HTTP clients do."""
        if self.c is not None and time.monotonic() - self.used > self.IDLE_S:
            self.close()
        if retry_stale and self.c is not None:
            try:
                return self.request(method, path, body, ctype)
            except (OSError, http.client.HTTPException, NotSent) as e:
                if isinstance(e, socket.timeout):
                    raise
        try:
            if self.c is None:
                self.c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
                self.c.connect()
                self.c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.c.request(method, path, body=body, headers={"Content-Type": ctype})
        except (OSError, http.client.HTTPException) as e:
            self.close()
            raise NotSent("%s: %s" % (type(e).__name__, e)) from e
        try:
            r = self.c.getresponse()
            raw = r.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        self.used = time.monotonic()
        try:
            return r.status, json.loads(raw or b"null")
        except ValueError:
            return r.status, raw[:300].decode(errors="replace")

    def close(self):
        if self.c is not None:
            self.c.close()
            self.c = None


def doc_id(i):
    return "d%06d" % i


def document(i, rng):
    return {"id": doc_id(i), "body": " ".join(rng.choice(WORDS) for _ in range(3 + rng.randrange(8))), "n": i}


class Writers:
    """WRITERS threads sharing one queue of bulk requests, paced at RATE docs/s in all."""

    def __init__(self, nodes):
        self.nodes = nodes
        self.batches = [list(range(s, min(s + BATCH, N_DOCS))) for s in range(0, N_DOCS, BATCH)]
        self.lock = threading.Lock()
        self.next = 0
        self.done_batches = 0
        self.acked, self.unknown = set(), set()
        self.errors = []  # (node, what) of requests whose outcome is unknown
        self.refused = 0
        self.threads = []
        self.t_start = None

    def progress(self):
        with self.lock:
            return self.done_batches / float(len(self.batches))

    def finished(self):
        return all(not t.is_alive() for t in self.threads)

    def _take(self):
        with self.lock:
            if self.next >= len(self.batches):
                return None, None
            k = self.next
            self.next += 1
        due = self.t_start + k * BATCH / float(RATE)
        if due > time.monotonic():
            time.sleep(due - time.monotonic())
        return k, self.batches[k]

    def _run(self, w):
        # Odd writers give up after SHORT_TIMEOUT_S, as an impatient client does: a bulk
        # slowed down by a broker failover then has an unknown outcome, yet may be stored.
        timeout = WRITE_TIMEOUT_S if w % 2 == 0 else SHORT_TIMEOUT_S
        conns = [Conn(n.port, timeout) for n in self.nodes]
        rng = random.Random(1000 + w)
        while True:
            k, ids = self._take()
            if ids is None:
                break
            body = "".join(json.dumps(document(i, rng)) + "\n" for i in ids).encode()
            start = (w + k) % len(conns)
            outcome = None
            deadline = time.monotonic() + WRITE_TIMEOUT_S
            attempt = 0
            while outcome is None:
                c = conns[(start + attempt) % len(conns)]
                node = self.nodes[(start + attempt) % len(conns)].name
                attempt += 1
                try:
                    status, out = c.request("POST", "/v1/indexes/%s/docs" % INDEX, body, "application/x-ndjson")
                except NotSent:
                    with self.lock:
                        self.refused += 1
                    if time.monotonic() > deadline:
                        outcome = ("lost", node, "no node took the request")
                    elif attempt % len(conns) == 0:
                        time.sleep(0.2)
                    continue
                except (OSError, http.client.HTTPException) as e:
                    outcome = ("unknown", node, "%s: %s" % (type(e).__name__, e))
                    break
                if status == 200 and isinstance(out, dict):
                    bad = {str(e.get("id")) for e in out.get("errors", [])}
                    outcome = ("ok", node, bad, out)
                else:
                    outcome = ("unknown", node, "%d %s" % (status, json.dumps(out)[:200]))
            with self.lock:
                self.done_batches += 1
                if outcome[0] == "ok":
                    bad = outcome[2]
                    for i in ids:
                        (self.unknown if doc_id(i) in bad else self.acked).add(doc_id(i))
                    if bad:
                        self.errors.append((round(time.monotonic() - T0, 1), outcome[1], "%d items failed: %s" % (
                            len(bad), json.dumps(outcome[3].get("errors", [])[:2]))))
                elif outcome[0] == "unknown":
                    self.unknown.update(doc_id(i) for i in ids)
                    self.errors.append((round(time.monotonic() - T0, 1), outcome[1], outcome[2]))
                else:  # nothing was sent: these ids were never written
                    self.errors.append((round(time.monotonic() - T0, 1), outcome[1], outcome[2]))
        for c in conns:
            c.close()

    def start(self):
        self.t_start = time.monotonic()
        self.threads = [threading.Thread(target=self._run, args=(w,), daemon=True) for w in range(WRITERS)]
        for t in self.threads:
            t.start()


class Searcher:
    """Searches through the nodes in turn, skipping a node marked down; records every answer."""

    def __init__(self, nodes):
        self.nodes = nodes
        self.down = set()
        self.stop_ev = threading.Event()
        self.results = []  # (t_start, t_end, node, status or None, shards or None, error)
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        conns = {n.name: Conn(n.port, SEARCH_TIMEOUT_S) for n in self.nodes}
        rng = random.Random(5)
        i = 0
        while not self.stop_ev.is_set():
            node = self.nodes[i % len(self.nodes)]
            i += 1
            if node.name in self.down:
                conns[node.name].close()  # its keep-alive connection dies with it
                time.sleep(0.005)
                continue
            body = json.dumps({"q": rng.choice(WORDS), "size": 10}).encode()
            s = time.monotonic()
            try:
                status, out = conns[node.name].request("POST", "/v1/indexes/%s/search" % INDEX, body, retry_stale=True)
                err = None if status == 200 else json.dumps(out)[:300]
                shards = out.get("shards") if isinstance(out, dict) else None
                if isinstance(shards, dict) and shards.get("failed"):
                    shards = dict(shards, failures=out.get("failures"))
                if status == 200 and (not isinstance(shards, dict) or shards.get("total") != 3 or
                                      shards.get("successful", -1) + shards.get("failed", -1) != 3 or
                                      (shards.get("failed") and not out.get("failures"))):
                    err = "bad shards object: %s" % json.dumps(shards)
            except (OSError, http.client.HTTPException, NotSent) as e:
                status, shards, err = None, None, "%s: %s" % (type(e).__name__, e)
            self.results.append((s, time.monotonic(), node.name, status, shards, err))
            time.sleep(0.02)
        for c in conns.values():
            c.close()


# ------------------------------------------------------------------ cluster state
def cluster_view(node):
    try:
        status, body = http_json(node.port, "GET", "/v1/cluster", timeout=5)
    except OSError:
        return None
    return body if status == 200 else None


def index_view(body):
    for ix in body.get("indexes", []):
        if ix["index"] == INDEX:
            return ix
    return None


def in_sync(nodes):
    """Every node sees the 3 members, the same assignment (2 nodes per shard) and the same
    stream heads, and every replica in_sync at lag 0: (True, assignment, heads) or (False, why)."""
    names = sorted(n.name for n in nodes)
    views = [cluster_view(n) for n in nodes]
    if any(v is None for v in views):
        return False, "a node does not answer /v1/cluster"
    seen = None
    for v in views:
        if sorted(n["id"] for n in v.get("nodes", [])) != names:
            return False, "%s sees members %s" % (v.get("node_id"), [n["id"] for n in v.get("nodes", [])])
        ix = index_view(v)
        if ix is None:
            return False, "%s does not list the index" % v.get("node_id")
        assignment = {s["shard"]: [r["node"] for r in s["replicas"]] for s in ix["shard_list"]}
        heads = {s["shard"]: s["last_seq"] for s in ix["shard_list"]}
        for s in ix["shard_list"]:
            if len(s["replicas"]) != 2:
                return False, "shard %d has replicas %s" % (s["shard"], s["replicas"])
            for r in s["replicas"]:
                if r.get("state") != "in_sync" or r.get("lag") != 0 or r.get("applied_seq") != s["last_seq"]:
                    return False, "as seen by %s, shard %d replica %s" % (v["node_id"], s["shard"], json.dumps(r))
        if seen is not None and seen != (assignment, heads):
            return False, "nodes disagree: %s vs %s" % (seen, (assignment, heads))
        seen = (assignment, heads)
    return True, seen[0], seen[1]


def wait(what, fn, timeout, period=0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last and (not isinstance(last, tuple) or last[0]):
            return last
        time.sleep(period)
    raise AssertionError("timed out after %d s waiting for %s (last: %s)" % (timeout, what, last))


# ------------------------------------------------------------------ final checks
def all_ids_through(node):
    """Every document id through one node's search route, paged by id: (ids in order, total)."""
    ids, after, total = [], None, None
    conn = Conn(node.port, 60)
    try:
        while True:
            q = {"sort": ["id"], "size": 1000, "source": False, "track_total_hits": True}
            if after is not None:
                q["search_after"] = after
            status, out = conn.request("POST", "/v1/indexes/%s/search" % INDEX, json.dumps(q).encode())
            assert status == 200, (node.name, status, out)
            assert out["shards"]["failed"] == 0, (node.name, out["shards"], out.get("failures"))
            if total is None:
                total = out["total"]["value"]
                assert out["total"]["relation"] == "eq", (node.name, out["total"])
            ids.extend(h["id"] for h in out["hits"])
            if len(out["hits"]) < 1000:
                return ids, total
            after = out["hits"][-1]["sort"]
    finally:
        conn.close()


def replica_ids(node, shard):
    status, out = http_json(node.port, "POST", "/v1/indexes/%s/shards/%d/select" % (INDEX, shard), {"query": {}},
                            timeout=60)
    assert status == 200, (node.name, shard, status, out)
    return out["ids"]


def check_final(nodes, writers, assignment, heads):
    acked, unknown = writers.acked, writers.unknown
    by_name = {n.name: n for n in nodes}
    # every replica of a shard holds the same documents
    stored = set()
    for shard, reps in sorted(assignment.items()):
        lists = {r: replica_ids(by_name[r], shard) for r in reps}
        first = lists[reps[0]]
        assert len(first) == len(set(first)), ("an id twice in a replica", shard, reps[0])
        for r in reps[1:]:
            a, b = set(first), set(lists[r])
            assert a == b, ("replicas of shard %d differ" % shard, reps[0], r, len(a), len(b),
                            sorted(a - b)[:5], sorted(b - a)[:5])
        assert not (stored & set(first)), ("an id on two shards", sorted(stored & set(first))[:5])
        stored |= set(first)
        # no publish stored twice: one message per document (the test only puts new ids)
        assert heads[shard] == len(first), ("shard %d: stream holds %d messages for %d documents" % (
            shard, heads[shard], len(first)))
    log("replicas: %s ids per shard, every replica equal" % [heads[s] for s in sorted(heads)])
    missing = acked - stored
    assert not missing, ("acknowledged writes lost", len(missing), sorted(missing)[:10])
    extra = stored - acked - unknown
    assert not extra, ("documents never written", sorted(extra)[:10])
    # through every node: every stored id once, the total right
    for n in nodes:
        ids, total = all_ids_through(n)
        assert len(ids) == len(set(ids)), (n.name, "an id twice in the hits", len(ids) - len(set(ids)))
        assert set(ids) == stored, (n.name, len(ids), len(stored), sorted(stored - set(ids))[:5])
        assert total == len(stored), (n.name, total, len(stored))
        conn = Conn(n.port, 30)
        for i in random.Random(n.name).sample(sorted(acked), min(200, len(acked))):
            status, out = conn.request("GET", "/v1/indexes/%s/docs/%s" % (INDEX, i), None)
            assert status == 200 and out["found"] and out["source"]["id"] == i, (n.name, i, status, out)
        conn.close()
    log("every node: %d documents (%d acknowledged + %d of %d unknown), each once; GET by id ok" % (
        len(stored), len(acked), len(stored & unknown), len(unknown)))


def check_searches(searcher, windows):
    """Every search answered 200 in time, except a request to a killed node around its kill."""
    bad = []
    for s, e, node, status, shards, err in searcher.results:
        if err is None:
            continue
        tolerated = any(node == victim and e >= k - 0.5 and s <= up for victim, k, up in windows)
        if not tolerated:
            bad.append((round(s - T0, 2), round(e - s, 2), node, status, err))
    lat = sorted(e - s for s, e, *_ in searcher.results)
    partial = sum(1 for r in searcher.results if r[4] and r[4].get("failed"))
    log("searches: %d answered, %d partial (failed shards reported), max %.2f s, p99 %.2f s" % (
        len(lat), partial, lat[-1] if lat else 0, lat[int(0.99 * (len(lat) - 1))] if lat else 0))
    parts = [(round(r[0] - T0, 1), r[2], json.dumps(r[4].get("failures"))[:160]) for r in searcher.results
             if r[4] and r[4].get("failed")]
    if parts:
        log("partial answers (start, node, failures): %s" % parts[:6])
    slow = [(round(s - T0, 1), round(e - s, 2), node) for s, e, node, *_ in searcher.results if e - s > 1.0]
    if slow:
        log("searches over 1 s (start, seconds, node): %s" % slow[:20])
    assert not bad, ("searches failed or timed out", len(bad), bad[:8])
    assert lat and lat[-1] < SEARCH_TIMEOUT_S, lat[-1:]
    for victim, k, up in windows:
        during = [r for r in searcher.results if r[0] >= k and r[1] <= up + 1.0 and r[2] != victim]
        assert len(during) >= 5, ("too few searches while %s was down" % victim, len(during))


def main():
    if not nats_binary():
        print("SKIP: nats-server not installed (scripts/setup installs it)")
        return 0
    tmp = tempfile.mkdtemp(prefix="meridian-cluster-kill-")
    procs = Procs()
    ok = False
    try:
        log("N=%d documents, %d writers, %d docs/s, bulks of %d" % (N_DOCS, WRITERS, RATE, BATCH))
        nats = NatsCluster(procs, tmp)
        nats.wait_ready()
        nodes = [Node(procs, BIN, tmp, "n%d" % i, None, nats.urls) for i in (1, 2, 3)]
        for n in nodes:  # one after the other (docs/CLUSTER.md: concurrent first start)
            n.start()
            n.wait_health()
        names = sorted(n.name for n in nodes)
        wait("every node to see 3 members", lambda: all(
            sorted(x["id"] for x in (cluster_view(n) or {}).get("nodes", [])) == names for n in nodes), 30)
        status, out = http_json(nodes[0].port, "PUT", "/v1/indexes/" + INDEX,
                                {"fields": {"body": "text", "n": "int"}, "shards": 3, "replicas": 2}, timeout=30)
        assert status == 201, (status, out)
        _, assignment0, _ = wait("the index placed and in sync", lambda: in_sync(nodes), 60)
        log("cluster up, assignment %s" % json.dumps(assignment0))

        writers, searcher = Writers(nodes), Searcher(nodes)
        searcher.thread.start()
        writers.start()
        windows = []

        def kill_node(victim, at):
            wait("writes %.0f %% done" % (100 * at), lambda: writers.progress() >= at, 300, 0.05)
            p = writers.progress()
            searcher.down.add(victim.name)
            t_kill = time.monotonic()
            victim.kill()
            log("SIGKILL %s at %.0f %% of the writes" % (victim.name, 100 * p))
            time.sleep(DOWN_S)
            victim.start()
            victim.wait_health()
            t_up = time.monotonic()
            searcher.down.discard(victim.name)
            windows.append((victim.name, t_kill, t_up))
            log("%s restarted, answering /health after %.1f s down" % (victim.name, t_up - t_kill))
            return p

        def kill_nats(i, at):
            wait("writes %.0f %% done" % (100 * at), lambda: writers.progress() >= at, 300, 0.05)
            p = writers.progress()
            nats.kill(i)
            log("SIGKILL nats%d at %.0f %% of the writes" % (i, 100 * p))
            time.sleep(DOWN_S)
            nats.start(i)
            nats.wait_ready()
            log("nats%d restarted and healthy" % i)
            return p

        p_node = kill_node(nodes[1], 0.2)
        p_nats = kill_nats(0, 0.55)
        p_after = writers.progress()
        for t in writers.threads:
            t.join(WRITE_TIMEOUT_S * 4 + 300)
        assert writers.finished(), "writers did not finish"
        t_writes = time.monotonic() - writers.t_start
        log("writes done in %.1f s: %d acknowledged, %d unknown, %d requests not sent (retried); %d with errors" % (
            t_writes, len(writers.acked), len(writers.unknown), writers.refused, len(writers.errors)))
        for t, node, what in writers.errors[:12]:
            print("    at %.1f s through %s: %s" % (t, node, what[:240]))
        assert p_node < 1.0 and p_nats < 1.0 and p_after < 1.0, ("a kill came after the writes", p_node, p_nats)
        assert len(writers.acked) + len(writers.unknown) == N_DOCS, "some bulk was never sent"
        assert len(writers.acked) >= N_DOCS // 4, ("too few writes acknowledged to test anything", len(writers.acked))

        _, assignment, heads = wait("every replica in sync", lambda: in_sync(nodes), SYNC_TIMEOUT_S, 0.5)
        assert assignment == assignment0, ("placement did not come back", assignment0, assignment)
        log("every replica in sync")
        time.sleep(1.0)  # searches after the recovery, too
        searcher.stop_ev.set()
        searcher.thread.join(SEARCH_TIMEOUT_S + 5)
        assert not searcher.thread.is_alive(), "a search hangs"
        check_searches(searcher, windows)
        check_final(nodes, writers, {int(k): v for k, v in assignment.items()}, {int(k): v for k, v in heads.items()})
        ok = True
    finally:
        searcher_stop = locals().get("searcher")
        if searcher_stop:
            searcher_stop.stop_ev.set()
        procs.stop_all()
        if not ok:
            for name in ("n1", "n2", "n3", "nats0", "nats1", "nats2"):
                try:
                    with open(os.path.join(tmp, name + ".log"), "rb") as f:
                        tail = f.read()[-(2500 if name[0] == "n" and name[1] != "a" else 800):].decode(errors="replace")
                    print("---- %s.log (tail)\n%s" % (name, tail))
                except OSError:
                    pass
        shutil.rmtree(tmp, ignore_errors=True)
    log("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
