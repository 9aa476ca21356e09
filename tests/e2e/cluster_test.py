#!/usr/bin/env python3
"""End-to-end tests of cluster mode (docs/CLUSTER.md): `meridian serve
--cluster ... --node-id ...` against real nats-server processes started here.

Usage: cluster_test.py PATH/TO/meridian
Starts one nats-server with JetStream (a free loopback port, a temporary
store) and two `meridian serve` nodes, then checks flags and their errors,
GET /v1/cluster (membership, a node leaving), the cluster metrics, and that a
node without --cluster is unchanged. Skips (exit 0, saying so) when
nats-server is not installed. Bounded: every wait has a deadline.
"""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
from e2e_util import free_port, stop_process, wait_health

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/meridian"
RESULTS = {"passed": 0, "failed": 0}


def nats_binary():
    for p in ("/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"):
        if os.access(p, os.X_OK):
            return p
    return shutil.which("nats-server")


def clean_env(extra=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("MERIDIAN_")}
    e.update(extra or {})
    return e


def get_json(base, path):
    with urllib.request.urlopen(base + path, timeout=10) as r:
        return r.status, json.loads(r.read())


def call(base, method, path, body=None, ctype="application/json", timeout=30):
    """(status, parsed JSON body) of any request; HTTP errors are answers too."""
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": ctype})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


WORDS = ["river", "stone", "bridge", "harbor", "castle", "forest", "market", "tower", "garden", "valley", "north",
         "old", "green", "quiet", "lake", "mill"]


def corpus(n):
    import random
    rng = random.Random(11)
    docs = []
    for i in range(n):
        def text(k):
            return " ".join(WORDS[min(rng.randrange(16), rng.randrange(16))] for _ in range(k))
        docs.append({"id": "d%d" % i, "title": text(1 + rng.randrange(4)), "body": text(3 + rng.randrange(10)),
                     "tag": "abcde"[rng.randrange(5)], "year": 1990 + rng.randrange(30)})
    return docs


SCHEMA = {"fields": {"title": "text", "body": "text", "tag": "keyword", "year": "int"}}


def same_hits(a, b, what):
    """Same ids and scores (1e-6); tied scores may come in another order."""
    ha, hb = a["hits"], b["hits"]
    assert len(ha) == len(hb) and ha, (what, len(ha), len(hb))
    assert a["total"] == b["total"], (what, a["total"], b["total"])
    for i, (x, y) in enumerate(zip(ha, hb)):
        assert abs(x["score"] - y["score"]) < 1e-6, (what, i, x, y)
        if x["id"] != y["id"]:
            tied = [h["id"] for h in hb if abs(h["score"] - y["score"]) < 1e-9]
            assert len(tied) > 1 or i == len(hb) - 1, (what, i, x["id"], y["id"])


def paged(base, ix, body, pages=None):
    """The ids of each page of `body`, paged with search_after until a page
    is empty; with `pages` (a list), each whole page is appended to it."""
    out, cursor = [], None
    for _ in range(100):
        b = dict(body, search_after=cursor) if cursor else body
        st, page = call(base, "POST", "/v1/indexes/%s/search" % ix, b)
        assert st == 200, page
        assert page.get("shards", {}).get("failed", 0) == 0, page
        if not page["hits"]:
            return out
        out.append([h["id"] for h in page["hits"]])
        if pages is not None:
            pages.append(page)
        cursor = page["hits"][-1]["sort"]
    raise AssertionError("no end of pages")


def geo_docs(docs):
    """The corpus with a point each and a `series` value on most documents
    (41 values, each on every shard of a 3-shard index)."""
    out = []
    for i, d in enumerate(docs):
        e = dict(d, location={"lat": 40.0 + (i * 37 % 1000) / 1000.0, "lon": -74.0 + (i * 91 % 997) / 997.0})
        if i % 23:
            e["series"] = "s%d" % (i * 7919 % 41)
        out.append(e)
    return out


def call_auth(base, method, path, key, body=None):
    req = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(), method=method,
                                 headers={"Content-Type": "application/json", **({"Authorization": "Bearer " + key} if key else {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def get_text(base, path):
    with urllib.request.urlopen(base + path, timeout=10) as r:
        return r.read().decode()


def eventually(fn, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if fn():
            return True
        time.sleep(0.1)
    return fn()


class Sse:
    """A Server-Sent Events stream read on a thread: .events (dicts with id,
    event, data), .ready once its first line arrived; close() ends it."""

    def __init__(self, base, path, headers=None):
        import http.client
        import socket
        import threading
        import urllib.parse
        u = urllib.parse.urlparse(base)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        self.conn.connect()
        self.sock = self.conn.sock
        self._socket = socket
        self.conn.request("GET", path, headers=dict(headers or {}, Accept="text/event-stream"))
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.events = []
        self.ready = threading.Event()
        self.ended = threading.Event()  # the server ended the stream (or close() did)
        if self.status == 200:
            threading.Thread(target=self._run, daemon=True).start()
        else:
            self.body = self.resp.read()

    def _run(self):
        ev = {}
        try:
            for raw in self.resp:
                self.ready.set()
                line = raw.decode().rstrip("\r\n")
                if line == "":
                    if ev:
                        self.events.append(ev)
                    ev = {}
                elif not line.startswith(":") and not line.startswith("retry"):
                    k, _, v = line.partition(": ")
                    ev[k] = v
        except Exception:  # noqa: BLE001 - closed by close() or the server
            pass
        self.ready.set()
        self.ended.set()

    def data(self, event):
        return [json.loads(e["data"]) for e in list(self.events) if e.get("event") == event]

    def close(self):
        try:
            self.sock.shutdown(self._socket.SHUT_RDWR)
        except OSError:
            pass
        self.conn.close()


class Node:
    def __init__(self, tmp, name, args, env=None, port=None):
        self.port = port or free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.log = open(os.path.join(tmp, name + ".log"), "wb")
        self.proc = subprocess.Popen(
            [BIN, "serve", "--data", os.path.join(tmp, name), "--listen", "127.0.0.1:%d" % self.port, *args],
            stdout=subprocess.DEVNULL, stderr=self.log, env=clean_env(env))
        if not wait_health(self.base, 30):
            raise RuntimeError("node %s did not answer /health" % name)

    def stop(self):
        stop_process(self.proc, 20)
        self.log.close()


def check(name, fn):
    try:
        fn()
        RESULTS["passed"] += 1
        print("ok   " + name)
    except Exception:  # noqa: BLE001 (report every failure, keep going)
        RESULTS["failed"] += 1
        print("FAIL " + name)
        traceback.print_exc()


def main():
    nats = nats_binary()
    if not nats:
        print("SKIP: nats-server not installed (scripts/setup installs it)")
        return 0
    tmp = tempfile.mkdtemp(prefix="meridian-cluster-e2e-")
    nats_port = free_port()
    nats_proc = subprocess.Popen([nats, "-js", "-a", "127.0.0.1", "-p", str(nats_port), "-sd", os.path.join(tmp, "nats")],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = "nats://127.0.0.1:%d" % nats_port
    nodes = []
    try:
        def bad_flags():
            for args, env, needle in [
                (["--cluster", "http://127.0.0.1:1", "--node-id", "a"], None, "nats://"),
                (["--cluster", url], None, "--node-id"),
                (["--node-id", "a"], None, "--cluster"),
                (["--cluster", url, "--node-id", "bad.id"], None, "--node-id"),
                ([], {"MERIDIAN_CLUSTER": url, "MERIDIAN_NODE_ID": "x y"}, "MERIDIAN_NODE_ID"),
            ]:
                p = subprocess.run([BIN, "serve", "--data", os.path.join(tmp, "never"), *args], env=clean_env(env),
                                   capture_output=True, timeout=20)
                err = p.stderr.decode()
                assert p.returncode == 2, (args, p.returncode, err)
                assert needle in err, (needle, err)
        check("bad cluster flags exit 2 naming the flag", bad_flags)

        def unreachable():
            p = subprocess.run([BIN, "serve", "--data", os.path.join(tmp, "never2"), "--listen", "127.0.0.1:%d" % free_port(),
                                "--cluster", "nats://127.0.0.1:%d" % free_port(), "--node-id", "lonely"],
                               env=clean_env(), capture_output=True, timeout=30)
            assert p.returncode == 2, p.returncode
            assert "--cluster" in p.stderr.decode(), p.stderr
        check("an unreachable NATS cluster is an error at start, not a hang", unreachable)

        deadline = time.time() + 10
        while time.time() < deadline:
            import socket
            try:
                socket.create_connection(("127.0.0.1", nats_port), 1).close()
                break
            except OSError:
                time.sleep(0.1)
        nodes.append(Node(tmp, "n1", ["--cluster", url, "--node-id", "n1"]))
        # n2 holds a node-local index "loc" made before it joins (in cluster
        # mode every index created over HTTP is clustered): the corpus,
        # imported offline into its data directory.
        local_path, schema_path = os.path.join(tmp, "loc.ndjson"), os.path.join(tmp, "loc_schema.json")
        with open(local_path, "w") as f:
            f.write("\n".join(json.dumps(d) for d in corpus(300)) + "\n")
        with open(schema_path, "w") as f:
            json.dump(SCHEMA, f)
        p = subprocess.run([BIN, "import", "loc", local_path, "--data", os.path.join(tmp, "n2"), "--schema", schema_path],
                           env=clean_env(), capture_output=True, timeout=60)
        assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
        nodes.append(Node(tmp, "n2", [], {"MERIDIAN_CLUSTER": url, "MERIDIAN_NODE_ID": "n2"}))

        def membership():
            ok = eventually(lambda: len(get_json(nodes[0].base, "/v1/cluster")[1].get("nodes", [])) == 2)
            assert ok, get_json(nodes[0].base, "/v1/cluster")
            st, body = get_json(nodes[1].base, "/v1/cluster")
            assert st == 200
            assert body["enabled"] is True
            assert body["node_id"] == "n2"
            assert body["connected"] is True
            by_id = {n["id"]: n for n in body["nodes"]}
            assert set(by_id) == {"n1", "n2"}, by_id
            assert by_id["n2"]["self"] is True and by_id["n1"]["self"] is False
            assert by_id["n1"]["url"] == nodes[0].base, by_id["n1"]
            assert body["indexes"] == []
        check("GET /v1/cluster lists both nodes with their URLs", membership)

        def metrics():
            text = get_text(nodes[0].base, "/metrics")
            for name in ("meridian_cluster_replicas", "meridian_cluster_replica_lag_max",
                         "meridian_cluster_publishes_total", "meridian_cluster_rebalances_total"):
                assert name in text, name
        check("/metrics has the cluster gauges", metrics)

        docs = corpus(300)
        ndjson = ("\n".join(json.dumps(d) for d in docs) + "\n").encode()
        single = Node(tmp, "single_ref", [])
        nodes.append(single)

        def not_cluster_mode():
            st, body = call(single.base, "PUT", "/v1/indexes/x", dict(SCHEMA, shards=3))
            assert st == 400 and body["error"]["path"] == "shards", body
            assert "not in cluster mode" in body["error"]["reason"], body
            st, body = call(single.base, "PUT", "/v1/indexes/x", dict(SCHEMA, replicas=2))
            assert st == 400 and body["error"]["path"] == "replicas", body
            st, body = call(single.base, "PUT", "/v1/indexes/ref", dict(SCHEMA, shards=1, replicas=1))
            assert st == 201, body
            st, body = call(single.base, "POST", "/v1/indexes/ref/docs?refresh=wait_for", ndjson, "application/x-ndjson")
            assert st == 200 and body["indexed"] == 300, body
        check("without --cluster, shards/replicas > 1 is a 400 naming the field", not_cluster_mode)

        def create():
            for bad, field in ((0, "shards"), (257, "shards"), ("3", "shards")):
                st, body = call(nodes[0].base, "PUT", "/v1/indexes/bad", dict(SCHEMA, **{field: bad}))
                assert st == 400 and body["error"]["path"] == field, (bad, body)
            st, body = call(nodes[0].base, "PUT", "/v1/indexes/bad", dict(SCHEMA, replicas=17))
            assert st == 400 and body["error"]["path"] == "replicas", body
            st, body = call(nodes[0].base, "PUT", "/v1/indexes/books", dict(SCHEMA, shards=3, replicas=2))
            assert st == 201 and body["shards"] == 3 and body["replicas"] == 2, body
            st, body = call(nodes[1].base, "PUT", "/v1/indexes/books", dict(SCHEMA, shards=3, replicas=2))
            assert st == 409, body
            st, body = call(nodes[1].base, "GET", "/v1/indexes/books")
            assert st == 200 and body["cluster"]["shards"] == 3 and len(body["cluster"]["assignment"]) == 3, body
            assert all(len(a) == 2 for a in body["cluster"]["assignment"]), body
            st, body = call(nodes[1].base, "GET", "/v1/cluster")
            assert [i["index"] for i in body["indexes"]] == ["books"], body
            st, body = call(nodes[1].base, "GET", "/v1/indexes")
            assert {"name": "books", "docs": 0, "clustered": True, "shards": 3, "replicas": 2, "shards_failed": 0} \
                in body["indexes"], body
        check("PUT /v1/indexes with shards/replicas creates a clustered index seen by every node", create)

        def writes_and_search():
            t0 = time.time()
            st, body = call(nodes[1].base, "POST", "/v1/indexes/books/docs?refresh=wait_for", ndjson, "application/x-ndjson")
            assert st == 200 and body["indexed"] == 300 and body["failed"] == 0, body
            print("     bulk of 300 through n2 with refresh=wait_for: %.2f s" % (time.time() - t0))
            queries = [{"q": "river"}, {"q": "castle garden", "size": 20}, {"query": {"match": {"body": {"query": "quiet lake mill", "operator": "or"}}}, "size": 15},
                       {"query": {"match_phrase": {"body": "river stone"}}},
                       {"q": "stone", "q_fields": ["title^3", "body"], "from": 5, "size": 10},
                       {"q": "tower", "filter": "tag:b", "size": 10},
                       {"q": "castel gard", "size": 20}, {"query": {"fuzzy": {"body": "harbr"}}, "size": 20}]
            for q in queries:
                st, a = call(nodes[0].base, "POST", "/v1/indexes/books/search", q)
                assert st == 200, a
                assert a["shards"] == {"total": 3, "successful": 3, "failed": 0}, a["shards"]
                st, b = call(single.base, "POST", "/v1/indexes/ref/search", q)
                same_hits(a, b, q)
            # 200 random text queries, through both nodes: the top-10 ids and scores of one node;
            # every 4th with facets, every 5th sorted by year then id.
            rq = random.Random(200)
            for i in range(200):
                words = " ".join(rq.choice(WORDS) for _ in range(1 + rq.randrange(3)))
                kind = i % 3
                q = ({"q": words} if kind == 0 else
                     {"query": {"match": {"body": {"query": words, "operator": rq.choice(["or", "and"])}}}} if kind == 1 else
                     {"query": {"multi_match": {"query": words, "fields": ["title^2", "body"]}}})
                q["size"] = 10
                if i % 4 == 0:
                    q["facets"] = {"tag": {"terms": {"field": "tag"}}}
                if i % 5 == 0:
                    q["sort"] = [{"year": "desc"}, "id"]
                st, a = call(nodes[i % 2].base, "POST", "/v1/indexes/books/search", q)
                st2, b = call(single.base, "POST", "/v1/indexes/ref/search", q)
                assert st == 200 == st2 and a["shards"]["failed"] == 0, (q, a)
                assert a["total"] == b["total"], (q, a["total"], b["total"])
                if "sort" in q or not b["hits"]:
                    assert [h["id"] for h in a["hits"]] == [h["id"] for h in b["hits"]], (q, a["hits"], b["hits"])
                else:
                    same_hits(a, b, q)
                assert a.get("facets") == b.get("facets"), (q, a.get("facets"), b.get("facets"))
            # GET search, sorts and facets merge too.
            st, a = call(nodes[1].base, "GET", "/v1/indexes/books/search?q=river&sort=year:desc,id&size=7&facets=tag")
            st2, b = call(single.base, "GET", "/v1/indexes/ref/search?q=river&sort=year:desc,id&size=7&facets=tag")
            assert st == 200 and st2 == 200, (a, b)
            assert a["shards"]["failed"] == 0, (a["shards"], a.get("failures"))
            assert [h["id"] for h in a["hits"]] == [h["id"] for h in b["hits"]], (a["hits"], b["hits"])
            assert a["facets"] == b["facets"], (a["facets"], b["facets"])
            # A single write through n1 is searchable through n2 once acknowledged with wait_for.
            st, body = call(nodes[0].base, "PUT", "/v1/indexes/books/docs/new1?refresh=wait_for",
                            {"title": "zeppelin", "body": "zeppelin hangar", "tag": "z", "year": 2001})
            assert st == 200 and body["result"] == "acknowledged" and body["seq"] >= 1, body
            st, a = call(nodes[1].base, "GET", "/v1/indexes/books/search?q=zeppelin")
            assert [h["id"] for h in a["hits"]] == ["new1"], a
            st, body = call(nodes[1].base, "DELETE", "/v1/indexes/books/docs/new1?refresh=wait_for")
            assert st == 200, body
            st, a = call(nodes[0].base, "GET", "/v1/indexes/books/search?q=zeppelin")
            assert a["total"]["value"] == 0, a
            # GET by id through either node: the local replica, or the owning node's.
            for d in docs[:12]:
                for n in nodes[:2]:
                    st, got = call(n.base, "GET", "/v1/indexes/books/docs/" + d["id"])
                    assert st == 200 and got["source"] == d, (n.base, d["id"], got)
            st, got = call(nodes[0].base, "GET", "/v1/indexes/books/docs/missing%20one")
            assert st == 404 and "missing one" in got["error"]["reason"], got
            # A bad query is the client's 400, not a shard failure.
            st, a = call(nodes[0].base, "POST", "/v1/indexes/books/search", {"q": "x", "sort": [{"nope": "asc"}]})
            assert st == 400 and "nope" in a["error"]["reason"], a
            st, a = call(nodes[0].base, "POST", "/v1/indexes/books/search",
                         {"q": "x", "sort": [{"year": "asc"}], "search_after": [1]})
            assert st == 400 and a["error"]["path"] == "search_after" and "tiebreaker" in a["error"]["reason"], a
            # search_after pages through n2 are exactly the single node's pages.
            body = {"q": "river", "sort": [{"year": "desc"}, {"id": "asc"}], "size": 9}
            a, b = paged(nodes[1].base, "books", body), paged(single.base, "ref", body)
            assert len(a) > 3 and a == b, (a, b)
            body = {"sort": [{"year": "asc"}], "size": 11}  # every page ends inside a tie
            a, b = paged(nodes[0].base, "books", body), paged(single.base, "ref", body)
            flat = [i for p in a for i in p]
            assert len(flat) == len(set(flat)) == 300 and set(flat) == {i for p in b for i in p}, (len(flat), len(set(flat)))
            # Listing documents in id order through a node: the single node's pages, cursor and all.
            def listing(base, ix, size):
                pages, after = [], None
                for _ in range(100):
                    st, page = call(base, "GET", "/v1/indexes/%s/docs?size=%d%s" % (ix, size, "&after=" + after if after else ""))
                    assert st == 200, page
                    pages.append(page)
                    after = page["next"]
                    if after is None:
                        return pages
                raise AssertionError("no end of the listing")
            a, b = listing(nodes[1].base, "books", 37), listing(single.base, "ref", 37)
            assert a == b and sum(len(p["docs"]) for p in a) == 300, ([p["next"] for p in a], [p["next"] for p in b])
            assert a[0]["docs"][0]["source"] == next(d for d in docs if d["id"] == a[0]["docs"][0]["id"]), a[0]["docs"][0]
            st, a = call(nodes[0].base, "GET", "/v1/indexes/books/docs?size=5&source=false")
            assert st == 200 and all(set(d) == {"id"} for d in a["docs"]) and len(a["docs"]) == 5, a
            st, a = call(nodes[0].base, "GET", "/v1/indexes/books/docs?size=0")
            assert st == 400 and a["error"]["path"] == "size", a
            # GET /v1/indexes counts a clustered index's documents across its shards.
            st, a = call(nodes[1].base, "GET", "/v1/indexes")
            books = [i for i in a["indexes"] if i["name"] == "books"]
            assert st == 200 and len(books) == 1 and books[0]["docs"] == 300 and books[0]["shards_failed"] == 0 \
                and books[0]["clustered"] is True and books[0]["shards"] == 3, a
        check("bulk through n2, search through n1: same ids and scores as one node; read your writes", writes_and_search)

        def shell():
            p = subprocess.run([BIN, "shell", "--url", nodes[0].base, "books", "-c", "\\cluster", "-c", "\\format json",
                                "-c", "castle garden"], env=clean_env(), capture_output=True, timeout=30)
            out = p.stdout.decode()
            assert p.returncode == 0, (p.returncode, out, p.stderr)
            assert "connected to NATS: true" in out and nodes[1].base in out, out
            assert out.count("books") >= 6 and "in_sync" in out, out  # 3 shards x 2 replicas
            st, a = call(nodes[0].base, "POST", "/v1/indexes/books/search", {"q": "castle garden"})
            assert a["hits"] and a["hits"][0]["id"] in out, (a["hits"][:1], out)
        check("meridian shell --url: \\cluster shows the replicas; searches a clustered index", shell)

        def import_url():
            path = os.path.join(tmp, "docs.ndjson")
            with open(path, "wb") as f:
                f.write(ndjson)
            p = subprocess.run([BIN, "import", "imported", path, "--url", nodes[1].base], env=clean_env(),
                               capture_output=True, timeout=60)
            assert p.returncode == 0 and b"imported 300" in p.stdout + p.stderr, (p.returncode, p.stdout, p.stderr)
            st, body = call(nodes[0].base, "GET", "/v1/indexes/imported")
            assert st == 200 and body["cluster"]["shards"] == 1, body  # created clustered by the import
            want = call(single.base, "GET", "/v1/indexes/ref/search?q=river&size=0")[1]["total"]
            # The import does not wait for the replica: eventually every document is searchable.
            ok = eventually(lambda: call(nodes[0].base, "GET", "/v1/indexes/imported/search?q=river&size=0")[1]
                            .get("total") == want, 10)
            assert ok, call(nodes[0].base, "GET", "/v1/indexes/imported/search?q=river&size=0")
            assert call(nodes[0].base, "DELETE", "/v1/indexes/imported")[0] == 200
        check("meridian import --url into a cluster node creates a clustered index and writes it", import_url)

        def changes():
            def ev(op, lsn, before, after):
                return {"op": op, "before": before, "after": after, "ts_ms": 1700000000000,
                        "source": {"connector": "postgresql", "name": "srv", "schema": "public", "table": "items",
                                   "lsn": lsn}}
            batch = [ev("c", 10, None, {"id": "cdc1", "title": "walrus", "body": "walrus tusk", "year": 1990}),
                     ev("c", 11, None, {"id": "cdc2", "title": "walrus", "body": "walrus pup", "year": 1991}),
                     ev("u", 12, {"id": "cdc2"}, {"id": "cdc3", "title": "walrus", "body": "walrus pup", "year": 1992}),
                     ev("c", 13, None, {"id": "cdc4", "title": "walrus", "body": "walrus bull", "year": 1993}),
                     ev("d", 14, {"id": "cdc4"}, None)]
            nd = ("\n".join(json.dumps(e) for e in batch) + "\n").encode()
            st, body = call(nodes[0].base, "POST", "/v1/indexes/books/changes?refresh=wait_for", nd, "application/x-ndjson")
            assert st == 200, body
            assert (body["events"], body["upserts"], body["deletes"], body["skipped"]) == (5, 4, 1, 0), body
            assert body["positions"] == {"debezium:postgresql/public.items": "14"}, body
            assert body["acks"] and all(a["seq"] >= 1 for a in body["acks"]), body
            # The positions are in NATS: the batch resent through either node is skipped, as on one node.
            for n in nodes[:2]:
                st, again = call(n.base, "POST", "/v1/indexes/books/changes?refresh=wait_for", nd, "application/x-ndjson")
                assert st == 200 and (again["skipped"], again["applied"], again["positions"], again["acks"]) == \
                    (5, 0, {}, []), again
            # One newer event after the resent ones: only it is published.
            st, more = call(nodes[1].base, "POST", "/v1/indexes/books/changes?refresh=wait_for",
                            batch + [ev("u", 15, {"id": "cdc1"}, {"id": "cdc1", "title": "walrus", "body": "walrus tusk",
                                                                 "year": 1995})])
            assert st == 200 and (more["skipped"], more["upserts"]) == (5, 1), more
            assert more["positions"] == {"debezium:postgresql/public.items": "15"}, more
            # A named debezium source shows its stored position through any node.
            st, body = call(nodes[0].base, "PUT", "/v1/indexes/books/sources/dbz", {"type": "debezium"})
            assert st == 201, body
            st, body = call(nodes[0].base, "POST", "/v1/indexes/books/changes?source=dbz", [ev("c", 16, None, {
                "id": "cdc5", "title": "walrus", "year": 1996})])
            assert st == 200 and body["positions"] == {"debezium:dbz": "16"}, body
            st, body = call(nodes[1].base, "GET", "/v1/indexes/books/sources/dbz")
            assert st == 200 and body["position"] == "16", body
            assert call(nodes[1].base, "DELETE", "/v1/indexes/books/sources/dbz")[0] == 200
            assert call(nodes[1].base, "DELETE", "/v1/indexes/books/docs/cdc5?refresh=wait_for")[0] == 200
            st, a = call(nodes[1].base, "GET", "/v1/indexes/books/search?q=walrus&sort=year")
            assert st == 200 and [h["id"] for h in a["hits"]] == ["cdc3", "cdc1"], a  # cdc1 updated to 1995
            st, got = call(nodes[1].base, "GET", "/v1/indexes/books/docs/cdc3")
            assert st == 200 and got["source"]["year"] == 1992, got
            assert call(nodes[1].base, "GET", "/v1/indexes/books/docs/cdc1")[1]["source"]["year"] == 1995
            # A value the schema refuses: a 400 naming the event, and nothing of the batch is published.
            bad = [ev("c", 20, None, {"id": "cdc9", "title": "narwhal", "year": 2000}),
                   ev("c", 21, None, {"id": "cdc10", "title": "narwhal", "year": "many"})]
            st, e = call(nodes[1].base, "POST", "/v1/indexes/books/changes?refresh=wait_for", bad)
            assert st == 400 and e["error"]["event"] == 1 and "year" in e["error"]["reason"], e
            assert e["error"]["applied"] == 0, e
            st, body = call(nodes[1].base, "PUT", "/v1/indexes/books/docs/probe?refresh=wait_for",
                            {"title": "probe", "year": 1})
            assert st == 200, body
            st, a = call(nodes[0].base, "GET", "/v1/indexes/books/search?q=narwhal")
            assert st == 200 and a["total"]["value"] == 0, a
            for i in ("cdc1", "cdc3", "probe"):
                assert call(nodes[0].base, "DELETE", "/v1/indexes/books/docs/%s?refresh=wait_for" % i)[0] == 200
        check("POST /changes through n1 is read through n2; positions in NATS skip a resent batch; a bad change is a 400",
              changes)

        def truncate():
            st, body = call(nodes[0].base, "PUT", "/v1/indexes/trunc", dict(SCHEMA, shards=3, replicas=2))
            assert st == 201, body
            st, body = call(nodes[0].base, "POST", "/v1/indexes/trunc/docs?refresh=wait_for", docs[:30])
            assert st == 200 and body["indexed"] == 30, body

            def ev(op, lsn, after=None):
                return {"op": op, "before": None, "after": after, "ts_ms": 1700000000000,
                        "source": {"connector": "postgresql", "name": "srv", "schema": "public", "table": "t", "lsn": lsn}}

            def ids(base):
                st, a = call(base, "POST", "/v1/indexes/trunc/search", {"size": 100, "sort": ["id"]})
                assert st == 200 and a["shards"]["failed"] == 0, a
                return [h["id"] for h in a["hits"]]

            # A write, a truncate, a write: the truncate is on every shard's log between the two.
            batch = [ev("c", 40, {"id": "before", "title": "x", "year": 1}), ev("t", 41),
                     ev("c", 42, {"id": "after", "title": "y", "year": 2})]
            st, body = call(nodes[1].base, "POST", "/v1/indexes/trunc/changes?refresh=wait_for", batch)
            assert st == 200 and (body["upserts"], body["truncates"], body["applied"]) == (2, 1, 3), body
            assert sorted(a["shard"] for a in body["acks"]) == [0, 1, 2], body  # acknowledged on every shard
            for n in nodes[:2]:
                assert ids(n.base) == ["after"], (n.base, ids(n.base))
            # A truncate alone empties the index through every node; a write after it stays.
            st, body = call(nodes[0].base, "POST", "/v1/indexes/trunc/changes?refresh=wait_for", [ev("t", 43)])
            assert st == 200 and body["truncates"] == 1 and body["positions"] == {"debezium:postgresql/public.t": "43"}, body
            for n in nodes[:2]:
                assert ids(n.base) == [], (n.base, ids(n.base))
                st, li = call(n.base, "GET", "/v1/indexes")
                assert {"name": "trunc", "docs": 0, "clustered": True, "shards": 3, "replicas": 2, "shards_failed": 0} \
                    in li["indexes"], li
            st, body = call(nodes[1].base, "PUT", "/v1/indexes/trunc/docs/late?refresh=wait_for", {"title": "z", "year": 3})
            assert st == 200, body
            # Resent, the truncate is skipped by its stored position: the later write stays.
            st, body = call(nodes[1].base, "POST", "/v1/indexes/trunc/changes?refresh=wait_for", [ev("t", 43)])
            assert st == 200 and (body["skipped"], body["truncates"]) == (1, 0), body
            for n in nodes[:2]:
                assert ids(n.base) == ["late"], (n.base, ids(n.base))

            # Every replica of a shard has applied the same sequence, the stream's last.
            def same_applied():
                for n in nodes[:2]:
                    st, c = call(n.base, "GET", "/v1/cluster")
                    shards = [i for i in c["indexes"] if i["index"] == "trunc"][0]["shard_list"]
                    for sh in shards:
                        if len(sh["replicas"]) != 2 or \
                                any(r.get("applied_seq") != sh["last_seq"] or r["state"] != "in_sync" for r in sh["replicas"]):
                            return False
                return True
            assert eventually(same_applied, 10), call(nodes[0].base, "GET", "/v1/cluster")[1]
            assert call(nodes[0].base, "DELETE", "/v1/indexes/trunc")[0] == 200
            # Dropping the index forgot its positions: a re-created index takes the same events again.
            st, body = call(nodes[0].base, "PUT", "/v1/indexes/trunc", dict(SCHEMA, shards=1, replicas=1))
            assert st == 201, body
            st, body = call(nodes[0].base, "POST", "/v1/indexes/trunc/changes", batch)
            assert st == 200 and (body["skipped"], body["applied"]) == (0, 3), body
            assert call(nodes[0].base, "DELETE", "/v1/indexes/trunc")[0] == 200
        check("a truncate through POST /changes empties every shard at its log position, on every replica", truncate)

        def unsupported():
            st, b = call(nodes[0].base, "POST", "/v1/backup", {"path": os.path.join(tmp, "bk"), "indexes": ["books"]})
            assert st == 501 and "clustered" in b["error"]["reason"], (st, b)
        check("a backup naming a clustered index answers 501, never a local copy", unsupported)

        def refresh():
            for n in nodes[:2]:
                st, b = call(n.base, "POST", "/v1/indexes/books/refresh")
                assert st == 200, b
                assert b == {"index": "books", "result": "refreshed", "shards": {"total": 3, "successful": 3, "failed": 0}}, b
            # The internal per-replica route: this node's replica of a shard it holds.
            held = call(nodes[0].base, "GET", "/v1/indexes/books")[1]["cluster"]["assignment"]
            s = next(i for i, a in enumerate(held) if "n1" in a)
            st, b = call(nodes[0].base, "POST", "/v1/indexes/books/shards/%d/refresh" % s, {"seq": 1})
            assert st == 200 and b["node"] == "n1" and b["applied_seq"] >= 1, b
            st, b = call(nodes[0].base, "POST", "/v1/indexes/books/shards/%d/refresh" % s, {"seq": "x"})
            assert st == 400 and b["error"]["path"] == "seq", b
        check("POST /refresh on a clustered index refreshes every in-sync replica and counts the shards", refresh)

        def multi_search():
            # n2's node-local index "loc" (imported before n2 joined) beside the clustered "books".
            st, body = call(nodes[1].base, "GET", "/v1/indexes/loc")
            assert st == 200 and "cluster" not in body, body
            searches = [{"index": "books", "q": "castle garden", "size": 20},
                        {"index": "loc", "q": "river", "size": 15, "facets": {"t": {"terms": {"field": "tag"}}}},
                        {"index": "books", "q": "x", "sort": [{"nope": "asc"}]},
                        {"index": "nowhere", "q": "x"},
                        {"index": "books", "query": {"match": {"body": "quiet lake"}}, "sort": [{"year": "desc"}, "id"], "size": 7}]
            st, ms = call(nodes[1].base, "POST", "/v1/multi-search", {"searches": searches})
            assert st == 200 and len(ms["responses"]) == 5, ms
            r = ms["responses"]
            assert [x["status"] for x in r] == [200, 200, 400, 404, 200], [x["status"] for x in r]
            for k in (0, 1, 4):
                one = dict(searches[k])
                ix = one.pop("index")
                st, alone = call(nodes[1].base, "POST", "/v1/indexes/%s/search" % ix, one)
                assert st == 200 and r[k]["index"] == ix, (k, alone, r[k])
                if "sort" not in searches[k]:
                    same_hits(r[k], alone, searches[k])
                assert [(h["id"], h.get("sort")) for h in r[k]["hits"]] == [(h["id"], h.get("sort")) for h in alone["hits"]], k
                assert r[k]["hits"] and r[k]["total"] == alone["total"], k
                assert r[k].get("shards") == alone.get("shards") and r[k].get("facets") == alone.get("facets"), k
            assert r[0]["shards"] == {"total": 3, "successful": 3, "failed": 0} and "shards" not in r[1], r[:2]
            st, alone = call(nodes[1].base, "POST", "/v1/indexes/books/search", {"q": "x", "sort": [{"nope": "asc"}]})
            assert st == 400 and r[2]["error"]["reason"] == alone["error"]["reason"], (r[2], alone)
            # The clustered search equals the single node's too.
            st, b = call(single.base, "POST", "/v1/indexes/ref/search", {"q": "castle garden", "size": 20})
            same_hits(r[0], b, "multi-search vs one node")
        check("multi-search mixes a clustered and a single-node index: each slot equals its own search", multi_search)

        def aliases():
            a, b = nodes[0].base, nodes[1].base
            st, body = call(a, "PUT", "/v1/aliases/shelf", {"index": "books"})
            assert st == 201 and body["result"] == "created", body
            # Created through n1, usable through n2 once answered (the store waits out the cache TTL).
            for q in ({"q": "river", "size": 20}, {"q": "castel gard", "size": 20}):
                st, x = call(b, "POST", "/v1/indexes/shelf/search", q)
                st2, y = call(b, "POST", "/v1/indexes/books/search", q)
                assert st == 200 and x["shards"]["failed"] == 0, x
                assert [h["id"] for h in x["hits"]] == [h["id"] for h in y["hits"]], q
                same_hits(x, y, q)
            assert call(b, "GET", "/v1/aliases")[1]["aliases"].get("shelf") == "books"
            assert call(b, "GET", "/v1/aliases/shelf")[1] == {"alias": "shelf", "index": "books"}
            st, got = call(b, "GET", "/v1/indexes/shelf/docs/d5")
            assert st == 200 and got["source"] == docs[5], got
            st, got = call(b, "GET", "/v1/indexes/shelf")
            assert st == 200 and got["name"] == "books", got
            # Writes through the alias reach the index; multi-search takes it too.
            st, body = call(b, "PUT", "/v1/indexes/shelf/docs/al1?refresh=wait_for",
                            {"title": "zeppelin", "body": "alias write", "tag": "z", "year": 2002})
            assert st == 200 and body["result"] == "acknowledged", body
            st, x = call(a, "GET", "/v1/indexes/books/search?q=zeppelin")
            assert [h["id"] for h in x["hits"]] == ["al1"], x
            st, ms = call(a, "POST", "/v1/multi-search", {"searches": [{"index": "shelf", "q": "zeppelin"}]})
            assert ms["responses"][0]["index"] == "shelf" and [h["id"] for h in ms["responses"][0]["hits"]] == ["al1"], ms
            assert call(b, "DELETE", "/v1/indexes/shelf/docs/al1?refresh=wait_for")[0] == 200
            # An alias is not an index: not dropped, not re-created as one.
            st, e = call(b, "DELETE", "/v1/indexes/shelf")
            assert st == 400 and "alias" in e["error"]["reason"], e
            st, e = call(b, "PUT", "/v1/indexes/shelf", dict(SCHEMA, shards=1))
            assert st == 409 and "alias" in e["error"]["reason"], e
            # Two stores, one rule: n2's own alias "mine" (of its index "loc")
            # hides the cluster's "mine" on n2 only; a name taken in one store
            # cannot be given in the other through the node that sees both.
            st, e = call(b, "PUT", "/v1/aliases/shelf", {"index": "loc"})
            assert st == 409 and "clustered index 'books'" in e["error"]["reason"], e
            assert call(b, "PUT", "/v1/aliases/mine", {"index": "loc"})[0] == 201
            st, e = call(b, "PUT", "/v1/aliases/mine", {"index": "books"})
            assert st == 409 and "single-node index 'loc'" in e["error"]["reason"], e
            assert call(a, "PUT", "/v1/aliases/mine", {"index": "books"})[0] == 201  # n1 cannot see n2's
            st, x = call(b, "POST", "/v1/indexes/mine/search", {"q": "river"})
            assert st == 200 and "shards" not in x, x  # n2: its own alias, the single-node index
            st, y = call(a, "POST", "/v1/indexes/mine/search", {"q": "river"})
            assert st == 200 and y["shards"]["total"] == 3, y  # n1: the cluster's, the clustered index
            assert call(b, "GET", "/v1/aliases/mine")[1]["index"] == "loc"
            assert call(a, "GET", "/v1/aliases/mine")[1]["index"] == "books"
            st, e = call(b, "POST", "/v1/aliases", {"actions": [{"add": {"alias": "p", "index": "books"}},
                                                                 {"add": {"alias": "q", "index": "loc"}}]})
            assert st == 400 and "separate requests" in e["error"]["reason"], e
            assert call(b, "DELETE", "/v1/aliases/mine")[0] == 200  # n2's own; the cluster's shows through
            assert call(b, "GET", "/v1/aliases/mine")[1]["index"] == "books"
            assert call(b, "DELETE", "/v1/aliases/mine")[0] == 200
            assert call(a, "GET", "/v1/aliases/mine")[0] == 404
            # An atomic switch, and dropping an index removes its aliases cluster-wide.
            assert call(a, "PUT", "/v1/indexes/tmp_al", dict(SCHEMA, shards=1))[0] == 201
            st, body = call(b, "POST", "/v1/aliases", {"actions": [{"remove": {"alias": "shelf", "index": "books"}},
                                                                    {"add": {"alias": "shelf", "index": "tmp_al"}}]})
            assert st == 200, body
            assert call(a, "GET", "/v1/aliases/shelf")[1]["index"] == "tmp_al"
            assert call(a, "DELETE", "/v1/indexes/tmp_al")[0] == 200
            assert call(b, "GET", "/v1/aliases/shelf")[0] == 404
            assert call(b, "POST", "/v1/indexes/shelf/search", {"q": "river"})[0] == 404
        check("an alias of a clustered index: created through n1, searched, read and written through n2; the two-store rule",
              aliases)

        def as_native(os_answer):
            """An OpenSearch search answer's hits and total as same_hits reads them."""
            return {"hits": [{"id": h["_id"], "score": h["_score"]} for h in os_answer["hits"]["hits"]],
                    "total": os_answer["hits"]["total"]}

        def compat_api():
            # The OpenSearch-compatible API on a clustered index: created and
            # bulk-written through n1, read and searched through n2 like the
            # native routes (docs/CLUSTER.md, "The OpenSearch-compatible API").
            a, b = nodes[0].base, nodes[1].base
            props = {"title": {"type": "text"}, "body": {"type": "text"}, "tag": {"type": "keyword"},
                     "year": {"type": "integer"}}
            st, body = call(a, "PUT", "/osx", {"settings": {"number_of_shards": 3, "number_of_replicas": 1},
                                               "mappings": {"properties": props}, "aliases": {"osx_read": {}}})
            assert st == 200 and body == {"acknowledged": True, "shards_acknowledged": True, "index": "osx"}, body
            st, body = call(b, "GET", "/v1/indexes/osx")
            assert st == 200 and (body["cluster"]["shards"], body["cluster"]["replicas"]) == (3, 2), body
            st, body = call(b, "GET", "/osx")
            assert body["osx"]["settings"]["index"]["number_of_shards"] == "3", body
            assert body["osx"]["aliases"] == {"osx_read": {}}, body  # the cluster's alias, seen through n2
            assert body["osx"]["mappings"]["properties"]["year"] == {"type": "long"}, body
            lines = []
            for d in docs:
                lines += [json.dumps({"index": {"_id": d["id"]}}), json.dumps({k: v for k, v in d.items() if k != "id"})]
            lines += [json.dumps({"create": {"_id": docs[0]["id"]}}), json.dumps({"title": "again"}),
                      json.dumps({"update": {"_id": "nobody"}}), json.dumps({"doc": {"year": 1}})]
            st, r = call(a, "POST", "/osx/_bulk?refresh=wait_for", ("\n".join(lines) + "\n").encode(), "application/x-ndjson")
            assert st == 200 and r["errors"] is True and len(r["items"]) == 302, (st, r.get("items", [])[-2:])
            assert all(i["index"]["status"] == 201 for i in r["items"][:300]), r["items"][:3]
            assert r["items"][300]["create"]["status"] == 409, r["items"][300]
            assert r["items"][300]["create"]["error"]["type"] == "version_conflict_engine_exception", r["items"][300]
            assert r["items"][301]["update"]["error"]["type"] == "document_missing_exception", r["items"][301]
            # Through n2: the native clustered search's ids, scores and totals, and its facets as aggregations.
            for q in ({"query": {"match": {"body": {"query": "quiet lake mill", "operator": "or"}}}, "size": 15},
                      {"query": {"bool": {"must": [{"match": {"title": "castle"}}], "filter": [{"term": {"tag": "b"}}]}}},
                      {"query": {"match": {"body": "river"}}, "size": 5, "aggs": {"tags": {"terms": {"field": "tag"}}}}):
                st, x = call(b, "POST", "/osx/_search", q)
                native = {k: v for k, v in q.items() if k != "aggs"}
                if "aggs" in q:
                    native["facets"] = q["aggs"]
                st2, y = call(b, "POST", "/v1/indexes/osx/search", native)
                assert st == 200 == st2, (x, y)
                assert x["_shards"] == {"total": 3, "successful": 3, "skipped": 0, "failed": 0}, x["_shards"]
                same_hits(as_native(x), y, q)
                if "aggs" in q:
                    want = [{"key": k["key"], "doc_count": k["count"]} for k in y["facets"]["tags"]["buckets"]]
                    assert x["aggregations"]["tags"]["buckets"] == want and want, (x["aggregations"], y["facets"])
            # Scores are index-wide: the single node's too.
            st, x = call(b, "POST", "/osx/_search", {"query": {"match": {"body": "castle garden"}}, "size": 20})
            st2, y = call(single.base, "POST", "/v1/indexes/ref/search", {"query": {"match": {"body": "castle garden"}}, "size": 20})
            same_hits(as_native(x), y, "compat vs one node")
            st, body = call(b, "POST", "/_aliases", {"actions": [{"add": {"index": "osx", "alias": "osx_write"}}]})
            assert st == 200 and body == {"acknowledged": True}, body
            assert call(a, "GET", "/osx_write/_count")[1]["count"] == call(a, "GET", "/osx_read/_count")[1]["count"] == 300
            st, c = call(b, "GET", "/osx/_count?q=tag:b")
            want = call(b, "POST", "/v1/indexes/osx/search", {"filter": "tag:b", "size": 0})[1]["total"]["value"]
            assert st == 200 and c == {"count": want, "_shards": {"total": 3, "successful": 3, "failed": 0}} and want, (c, want)
            st, got = call(b, "GET", "/osx/_doc/" + docs[7]["id"])
            assert st == 200 and got["found"] and got["_source"] == {k: v for k, v in docs[7].items() if k != "id"}, got
            st, gone = call(b, "DELETE", "/osx/_doc/%s?refresh=wait_for" % docs[7]["id"])
            assert st == 200 and gone["result"] == "deleted", gone
            assert call(a, "GET", "/osx/_doc/" + docs[7]["id"]) == (404, {"_index": "osx", "_id": docs[7]["id"], "found": False})
            assert call(a, "GET", "/osx/_count")[1]["count"] == 299
            # Several indexes, the clustered "osx" and n2's node-local "loc": each one's hits, merged by score.
            q = {"query": {"match": {"body": "castle garden"}}, "size": 30}
            st, x = call(b, "POST", "/osx,loc/_search", q)
            parts = [call(b, "POST", "/%s/_search" % ix, q)[1] for ix in ("osx", "loc")]
            assert st == 200 and x["_shards"] == {"total": 4, "successful": 4, "failed": 0}, x["_shards"]
            assert x["hits"]["total"]["value"] == sum(p["hits"]["total"]["value"] for p in parts), x["hits"]["total"]
            union = sorted((h["_score"] for p in parts for h in p["hits"]["hits"]), reverse=True)[:30]
            assert [h["_score"] for h in x["hits"]["hits"]] == union, (x["hits"]["hits"][:3], union[:3])
            assert {h["_index"] for h in x["hits"]["hits"]} == {"osx", "loc"}, x["hits"]["hits"]
            st, h = call(a, "GET", "/_cluster/health")
            assert st == 200 and (h["status"], h["number_of_nodes"], h["unassigned_shards"]) == ("green", 2, 0), h
            assert h["active_primary_shards"] >= 6 and h["active_shards"] >= 12, h  # books, osx: 3 shards x 2 copies each
            st, cat = call(b, "GET", "/_cat/indices?format=json")
            row = [r for r in cat if r["index"] == "osx"]
            assert row and (row[0]["pri"], row[0]["rep"], row[0]["docs.count"], row[0]["health"]) == ("3", "1", "299", "green"), cat
            # A bad body is OpenSearch's 400; a first write does not create an index in cluster mode.
            st, e = call(b, "POST", "/osx/_search", {"query": {"nope": {}}})
            assert st == 400 and e["status"] == 400 and e["error"]["type"] == "parsing_exception" \
                and e["error"]["root_cause"][0]["reason"] == e["error"]["reason"], e
            st, e = call(b, "POST", "/osx/_search", b"{not json")
            assert st == 400 and e["error"]["type"] == "parse_exception", e
            st, e = call(a, "PUT", "/nowhere/_doc/1", {"title": "x"})
            assert st == 404 and e["error"]["type"] == "index_not_found_exception" and "PUT /nowhere" in e["error"]["reason"], e
            # A field added through n1's _mapping is searchable through n2 once acknowledged.
            st, body = call(a, "PUT", "/osx/_mapping", {"properties": {"shelf": {"type": "keyword"}}})
            assert st == 200 and body == {"acknowledged": True}, body
            st, e = call(a, "PUT", "/osx/_mapping", {"properties": {"year": {"type": "keyword"}}})
            assert st == 400 and e["error"]["type"] == "illegal_argument_exception" and "year" in e["error"]["reason"], e
            assert call(b, "GET", "/osx/_mapping")[1]["osx"]["mappings"]["properties"]["shelf"] == {"type": "keyword"}
            st, body = call(a, "PUT", "/osx/_doc/shelved?refresh=wait_for", {"title": "shelved", "shelf": "top"})
            assert st == 201, body
            st, x = call(b, "POST", "/osx/_search", {"query": {"term": {"shelf": "top"}}})
            assert st == 200 and [h["_id"] for h in x["hits"]["hits"]] == ["shelved"], x
            st, body = call(b, "DELETE", "/osx")
            assert st == 200 and body == {"acknowledged": True}, body
            assert call(a, "GET", "/osx")[0] == 404 and call(a, "GET", "/osx_read")[0] == 404  # its aliases went with it
        check("the OpenSearch-compatible API on a clustered index: bulk through n1; search, count, get, delete through n2",
              compat_api)

        def settings():
            # Created with settings through n1, the same on one node: searches agree.
            tuned = {"stop_words": ["the"], "synonyms": {"one_way": {"brook": ["river"]}}}
            st, body = call(nodes[0].base, "PUT", "/v1/indexes/tuned", dict(SCHEMA, shards=3, replicas=2, settings=tuned))
            assert st == 201 and body["settings"]["stop_words"] == ["the"], body
            st, ref = call(single.base, "PUT", "/v1/indexes/tuned_ref", dict(SCHEMA, settings=tuned))
            assert st == 201 and ref["settings"] == body["settings"], (ref, body)
            for base, ix in ((nodes[1].base, "tuned"), (single.base, "tuned_ref")):
                st, r = call(base, "POST", "/v1/indexes/%s/docs?refresh=wait_for" % ix, ndjson, "application/x-ndjson")
                assert st == 200 and r["indexed"] == 300, r
            for q in ({"q": "brook", "size": 20}, {"q": "the castle", "size": 20}, {"q": "castel stone", "size": 20}):
                st, a = call(nodes[0].base, "POST", "/v1/indexes/tuned/search", q)
                assert st == 200 and a["shards"]["failed"] == 0, a
                st, b = call(single.base, "POST", "/v1/indexes/tuned_ref/search", q)
                same_hits(a, b, q)
            # PATCH through n2 (validated as on one node, stored cluster-wide),
            # GET through n1 answers it, and searches through n1 use it at once.
            patch = {"typo_tolerance": {"enabled": False}, "ranking_rules": ["words", "year:desc", "bm25"],
                     "synonyms": None}
            st, p2 = call(nodes[1].base, "PATCH", "/v1/indexes/tuned/settings", patch)
            assert st == 200 and p2["settings"]["typo_tolerance"]["enabled"] is False, p2
            st, pr = call(single.base, "PATCH", "/v1/indexes/tuned_ref/settings", patch)
            assert st == 200 and pr["settings"] == p2["settings"], (pr, p2)
            st, g1 = call(nodes[0].base, "GET", "/v1/indexes/tuned/settings")
            assert st == 200 and g1 == {"index": "tuned", "settings": p2["settings"]}, g1
            assert g1["settings"]["stop_words"] == ["the"] and g1["settings"]["synonyms"] == {"multi_way": [], "one_way": {}}, g1
            for q in ({"q": "castel stone", "size": 20}, {"q": "brook"}, {"q": "river", "size": 15}, {"q": "castle garden", "size": 15}):
                st, a = call(nodes[0].base, "POST", "/v1/indexes/tuned/search", q)
                st2, b = call(single.base, "POST", "/v1/indexes/tuned_ref/search", q)
                assert st == 200 and st2 == 200 and a["shards"]["failed"] == 0, (a, b)
                assert a["total"] == b["total"], (q, a["total"], b["total"])
                # Ranked by year first: the same rule values in order (the last
                # "sort" value is the tiebreaker), the same ids within each tie.
                def ranked(r):
                    groups = []
                    for h in r["hits"]:
                        key = [round(v, 9) if isinstance(v, float) else v for v in h["sort"][:-1]]
                        if not groups or groups[-1][0] != key:
                            groups.append((key, set()))
                        groups[-1][1].add(h["id"])
                    return groups
                assert ranked(a) == ranked(b), (q, ranked(a), ranked(b))
            st, a = call(nodes[0].base, "GET", "/v1/indexes/tuned/search?q=castel")
            assert st == 200 and a["total"]["value"] == 0, a  # no typo budget any more
            st, a = call(nodes[0].base, "GET", "/v1/indexes/tuned/search?q=river&size=5")
            years = [h["sort"][1] for h in a["hits"]]
            assert len(years) == 5 and years == sorted(years, reverse=True), a["hits"]
            # A bad PATCH through n2: the single node's 400, naming the field; nothing changes.
            bad = {"typo_tolerance": {"enabled": "yes"}, "stop_words": ["of"]}
            st, e = call(nodes[1].base, "PATCH", "/v1/indexes/tuned/settings", bad)
            st2, e2 = call(single.base, "PATCH", "/v1/indexes/tuned_ref/settings", bad)
            assert st == 400 == st2 and e["error"]["path"] == "typo_tolerance.enabled", e
            assert e["error"] == e2["error"], (e, e2)
            st, e = call(nodes[0].base, "PATCH", "/v1/indexes/tuned/settings", {"q_fields": ["nope"]})
            assert st == 400 and e["error"]["key"] == "q_fields" and "nope" in e["error"]["reason"], e
            for n in nodes[:2]:
                assert call(n.base, "GET", "/v1/indexes/tuned/settings")[1] == g1
            # Bad settings at creation: the single node's 400; no index.
            st, e = call(nodes[0].base, "PUT", "/v1/indexes/tuned2", dict(SCHEMA, shards=2, settings={"stop_words": 3}))
            assert st == 400 and e["error"]["path"] == "settings" and e["error"]["reason"].startswith("settings.stop_words"), e
            assert call(nodes[1].base, "GET", "/v1/indexes/tuned2")[0] == 404
            assert call(nodes[0].base, "DELETE", "/v1/indexes/tuned")[0] == 200
        check("index settings of a clustered index: created, patched through n2, read through n1, used by every shard", settings)

        def distinct():
            gschema = {"fields": dict(SCHEMA["fields"], series="keyword", location="geo_point")}
            gd = geo_docs(docs)
            nd = ("\n".join(json.dumps(d) for d in gd) + "\n").encode()
            st, body = call(nodes[0].base, "PUT", "/v1/indexes/geo", dict(gschema, shards=3, replicas=2))
            assert st == 201, body
            st, body = call(single.base, "PUT", "/v1/indexes/geo_ref", gschema)
            assert st == 201, body
            for base, ix in ((nodes[1].base, "geo"), (single.base, "geo_ref")):
                st, r = call(base, "POST", "/v1/indexes/%s/docs?refresh=wait_for" % ix, nd, "application/x-ndjson")
                assert st == 200 and r["indexed"] == 300, r
            near = {"lat": 40.5, "lon": -73.5}
            # A geo-distance sort paged with search_after across shards: one node's pages, distances included.
            body = {"near": near, "sort": ["_geo_distance"], "size": 13, "source": False}
            pa, pb = [], []
            a, b = paged(nodes[1].base, "geo", body, pa), paged(single.base, "geo_ref", body, pb)
            assert len(a) == 24 and a == b, (a, b)
            assert [h["sort"][0] for p in pa for h in p["hits"]] == [h["sort"][0] for p in pb for h in p["hits"]]
            # distinct set by PATCH through n2 (501 before it was merged), and at creation.
            for base, ix in ((nodes[1].base, "geo"), (single.base, "geo_ref")):
                st, r = call(base, "PATCH", "/v1/indexes/%s/settings" % ix, {"distinct": "series"})
                assert st == 200 and r["settings"]["distinct"] == "series", r
            st, r = call(nodes[0].base, "PUT", "/v1/indexes/geo2", dict(gschema, shards=2, settings={"distinct": "series"}))
            assert st == 201 and r["settings"]["distinct"] == "series", r
            assert call(nodes[1].base, "GET", "/v1/indexes/geo2/settings")[1]["settings"]["distinct"] == "series"
            assert call(nodes[0].base, "DELETE", "/v1/indexes/geo2")[0] == 200
            # One hit per series (41, and 14 documents without one): ids, scores, totals and facets of one node.
            facets = {"t": {"terms": {"field": "tag"}}, "y": {"stats": {"field": "year"}}}
            queries = [{"sort": [{"year": "desc"}, {"id": "asc"}], "size": 12, "facets": facets},
                       {"q": "river", "sort": ["_score", "id"], "size": 15},
                       {"query": {"match": {"body": "stone bridge"}}, "sort": ["_score", "id"], "from": 5, "size": 10},
                       {"near": near, "sort": ["_geo_distance", "id"], "size": 20, "facets": facets},
                       {"q": "castle", "filter": "tag:b", "sort": ["_score", "id"], "size": 10},
                       {"sort": ["id"], "size": 2, "track_total_hits": True},
                       {"q": "river", "sort": ["_score", "id"], "size": 3, "track_total_hits": 10}]
            for q in queries:
                st, x = call(nodes[0].base, "POST", "/v1/indexes/geo/search", q)
                st2, y = call(single.base, "POST", "/v1/indexes/geo_ref/search", q)
                assert st == 200 == st2 and x["shards"]["failed"] == 0, (q, x, y)
                assert [h["id"] for h in x["hits"]] == [h["id"] for h in y["hits"]] and x["hits"], (q, x["hits"], y["hits"])
                assert all(abs(h["score"] - k["score"]) < 1e-6 for h, k in zip(x["hits"], y["hits"]) if h["score"] is not None), q
                assert x["total"] == y["total"] and x["facets"] == y["facets"], (q, x["total"], y["total"])
                series = [h["source"].get("series") for h in x["hits"] if "series" in h["source"]]
                assert len(series) == len(set(series)), (q, series)
            st, x = call(nodes[0].base, "POST", "/v1/indexes/geo/search", {"size": 0})
            assert x["total"] == {"value": 55, "relation": "eq"}, x["total"]
            st, x = call(nodes[1].base, "GET", "/v1/indexes/geo/docs?size=400&source=false")  # a listing: every document
            assert st == 200 and len(x["docs"]) == 300, (st, len(x.get("docs", [])))
            st, x = call(nodes[0].base, "GET", "/v1/indexes")  # documents, not distinct values
            assert [i["docs"] for i in x["indexes"] if i["name"] == "geo"] == [300], x
            # Pages with search_after through n2: one node's pages, each series once.
            for body in ({"sort": [{"year": "desc"}, {"id": "asc"}], "size": 4, "fields": ["series"]},
                         {"near": near, "sort": ["_geo_distance"], "size": 6, "fields": ["series"]},
                         {"q": "river", "sort": ["_score", "id"], "size": 3, "fields": ["series"]}):
                pa, pb = [], []
                a, b = paged(nodes[1].base, "geo", body, pa), paged(single.base, "geo_ref", body, pb)
                assert len(a) > 4 and a == b, (body, a, b)
                assert [p["total"] for p in pa] == [p["total"] for p in pb], body
                series = [h["source"]["series"] for p in pa for h in p["hits"] if "series" in h["source"]]
                assert len(series) == len(set(series)), (body, series)
            assert call(nodes[0].base, "DELETE", "/v1/indexes/geo")[0] == 200
        check("distinct and geo-distance pages on a clustered index: one node's hits, totals, facets and pages", distinct)

        def watch():
            # A live query on a 4-shard, 1-copy index through n1, which holds
            # only some of its shards: the others stream from n2 over the
            # internal route. Writes go through n2.
            name, on_n1 = None, []
            for cand in ("live", "live2", "live3", "live4", "live5"):
                st, body = call(nodes[0].base, "PUT", "/v1/indexes/" + cand, dict(SCHEMA, shards=4, replicas=1))
                assert st == 201, body
                m = call(nodes[0].base, "GET", "/v1/indexes/" + cand)[1]
                on_n1 = [s for s, a in enumerate(m["cluster"]["assignment"]) if a == ["n1"]]
                if 0 < len(on_n1) < 4:
                    name = cand
                    break
                assert call(nodes[0].base, "DELETE", "/v1/indexes/" + cand)[0] == 200
            assert name, "no name placed on both nodes"
            path = "/v1/indexes/%s/watch?q=zeppelin&heartbeat_ms=300" % name
            # Bad input: the single node's 400s, as JSON.
            def refused(p):  # (status, JSON error); a stream that opened instead is closed
                x = Sse(nodes[0].base, p)
                if x.status == 200:
                    x.close()
                    return 200, None
                return x.status, json.loads(x.body)
            st, e = refused("/v1/indexes/%s/watch?near=abc" % name)
            assert st == 400 and e["error"]["path"] == "near", (st, e)
            st, e = refused(path + "&last_event_id=42")
            assert st == 400 and e["error"]["path"] == "Last-Event-ID", (st, e)
            st, e = refused(path + "&nope=1")
            assert st == 400 and "nope" in e["error"]["reason"], (st, e)
            first = Sse(nodes[0].base, path)
            assert first.status == 200 and first.ready.wait(10), (first.status, first.events)
            hits = [{"id": "z%d" % i, "title": "zeppelin", "body": "zeppelin hangar %d" % i, "year": 2000} for i in range(24)]
            misses = [{"id": "m%d" % i, "title": "river", "body": "stone bridge", "year": 2000} for i in range(24)]
            st, body = call(nodes[1].base, "POST", "/v1/indexes/%s/docs?refresh=wait_for" % name, hits + misses)
            assert st == 200 and body["indexed"] == 48, body
            st, body = call(nodes[1].base, "DELETE", "/v1/indexes/%s/docs/z3?refresh=wait_for" % name)
            assert st == 200, body
            st, body = call(nodes[1].base, "DELETE", "/v1/indexes/%s/docs/m3?refresh=wait_for" % name)  # never matched
            assert st == 200, body
            want = {d["id"] for d in hits}
            ok = eventually(lambda: {x["id"] for x in first.data("match")} >= want and first.data("delete"), 10)
            time.sleep(0.3)  # a duplicate or an extra event would arrive now
            matches = first.data("match")
            assert ok, (len(matches), first.events[-3:])
            assert sorted(x["id"] for x in matches) == sorted(want), sorted(x["id"] for x in matches)
            assert [x["id"] for x in first.data("delete")] == ["z3"], first.data("delete")
            assert {e.get("event") for e in first.events} == {"match", "delete"}, first.events[:5]
            shards = {x["shard"] for x in matches}
            assert shards & set(on_n1) and shards - set(on_n1), (shards, on_n1)  # local and remote shards
            assert all(x["source"]["title"] == "zeppelin" for x in matches)
            ids = [e["id"] for e in first.events]
            assert len(set(ids)) == len(ids) and all(i.startswith("c2.") and i.count("~") == 4 for i in ids), ids[:3]
            assert max(len(i) for i in ids) < 100, ids[-1]  # two node ids, each once
            text = get_text(nodes[0].base, "/metrics")
            assert "\nmeridian_watchers 1\n" in text, [l for l in text.splitlines() if "watch" in l]
            # Resume with the id of the first event: the rest again, exactly.
            # Through n2: its own shards in process, n1's from n1's replicas, each
            # from the position the id gives (a delete of the first event's document
            # is not sent: the resumed stream never told it matched, as on one node).
            again = Sse(nodes[1].base, path, {"Last-Event-ID": ids[0]})
            assert again.status == 200
            first_id = json.loads(first.events[0]["data"])["id"]
            rest = sorted((e["event"], json.loads(e["data"])["id"]) for e in first.events[1:]
                          if not (e["event"] == "delete" and json.loads(e["data"])["id"] == first_id))
            ok = eventually(lambda: len(again.events) >= len(rest), 10)
            time.sleep(0.3)
            got = sorted((e["event"], json.loads(e["data"])["id"]) for e in again.events)
            assert ok and got == rest, (got[:5], rest[:5], len(got), len(rest))
            first.close()
            # Dropping the index ends the streams on it, with a last event saying so.
            t0 = time.time()
            assert call(nodes[0].base, "DELETE", "/v1/indexes/" + name)[0] == 200
            assert again.ended.wait(10), again.events[-3:]
            last = again.events[-1]
            assert last.get("event") == "closed" and json.loads(last["data"]) == {
                "reason": "index '%s' was dropped" % name}, again.events[-3:]
            print("  stream closed %.1f s after the drop" % (time.time() - t0))
            again.close()

            def closed():  # no stream, subscription or feed left behind on either node
                for n in nodes[:2]:
                    t = get_text(n.base, "/metrics")
                    if "\nmeridian_watchers 0\n" not in t or "\nmeridian_cluster_watch_shard_streams 0\n" not in t:
                        return False
                return True
            assert eventually(closed, 10), [l for n in nodes[:2] for l in get_text(n.base, "/metrics").splitlines()
                                            if "watch" in l and not l.startswith("#")]
        check("watch on a clustered index through a node holding some shards: each match once, deletes, resume, 400s, drop",
              watch)

        def node_killed():
            st, body = call(nodes[0].base, "PUT", "/v1/indexes/solo", dict(SCHEMA, shards=4, replicas=1))
            assert st == 201, body
            st, body = call(nodes[1].base, "POST", "/v1/indexes/solo/docs?refresh=wait_for", ndjson, "application/x-ndjson")
            assert st == 200 and body["indexed"] == 300, body
            st, m = call(nodes[0].base, "GET", "/v1/indexes/solo")
            on_n2 = [s for s, a in enumerate(m["cluster"]["assignment"]) if a == ["n2"]]
            assert on_n2 and len(on_n2) < 4, m  # rendezvous placement of 4 shards on 2 nodes
            # GET by id is forwarded (one hop) to the node holding the document's only replica.
            for d in docs[:20]:
                for n in nodes[:2]:
                    st, got = call(n.base, "GET", "/v1/indexes/solo/docs/" + d["id"])
                    assert st == 200 and got["source"] == d, (n.base, d["id"], st, got,
                                                              [i for i in call(n.base, "GET", "/v1/cluster")[1]["indexes"] if i["index"] == "solo"])
            # One copy per shard through the compatible API too (number_of_replicas 0).
            st, body = call(nodes[0].base, "PUT", "/solo_os", {"settings": {"number_of_shards": 4, "number_of_replicas": 0},
                                                                "mappings": {"properties": {"title": {"type": "text"}}}})
            assert st == 200, body
            st, body = call(nodes[0].base, "POST", "/solo_os/_bulk?refresh=wait_for", ("\n".join(
                json.dumps(x) for i in range(8) for x in ({"index": {"_id": "s%d" % i}}, {"title": "river"})) + "\n").encode(),
                "application/x-ndjson")
            assert st == 200 and not body["errors"], body
            st, m = call(nodes[0].base, "GET", "/v1/indexes/solo_os")
            os_on_n2 = [s for s, a in enumerate(m["cluster"]["assignment"]) if a == ["n2"]]
            # A live query through n1 across the kill: n2's shards come back with a reset each.
            live = Sse(nodes[0].base, "/v1/indexes/solo/watch?q=zeppelin&heartbeat_ms=300")
            assert live.status == 200 and live.ready.wait(10), live.status
            nodes[1].proc.kill()
            nodes[1].proc.wait()
            st, a = call(nodes[0].base, "POST", "/v1/indexes/solo/search", {"q": "river", "size": 300})
            assert st == 200, a
            assert a["shards"]["total"] == 4 and a["shards"]["failed"] == len(on_n2), a["shards"]
            assert {f["shard"] for f in a["failures"]} == set(on_n2), a["failures"]
            # The compatible search: partial _shards naming the failed shards;
            # a bulk answers per item (a create reads its id on its shard's replica).
            st, x = call(nodes[0].base, "POST", "/solo_os/_search", {"query": {"match": {"title": "river"}}})
            assert st == 200 and x["_shards"]["failed"] == len(os_on_n2) and x["_shards"]["total"] == 4, x["_shards"]
            assert {f["shard"] for f in x["_shards"].get("failures", [])} == set(os_on_n2), x["_shards"]
            ids = ["s%d" % i for i in range(8, 16)]
            owned = {i: call(nodes[0].base, "GET", "/v1/indexes/solo_os/docs/" + i)[0] == 404 for i in ids}  # 503: n2's shard
            st, body = call(nodes[0].base, "POST", "/solo_os/_bulk", ("\n".join(
                json.dumps(x) for i in ids for x in ({"create": {"_id": i}}, {"title": "stone"})) + "\n").encode(),
                "application/x-ndjson")
            assert st == 200 and body["errors"] == (not all(owned.values())), body
            for i, item in zip(ids, body["items"]):
                want = 201 if owned[i] else 503
                assert item["create"]["status"] == want, (i, item)
                assert owned[i] or item["create"]["error"]["type"] == "unavailable_shards_exception", item
            codes = [call(nodes[0].base, "GET", "/v1/indexes/solo/docs/" + d["id"])[0] for d in docs[:60]]
            assert set(codes) == {200, 503}, codes  # n2's shards cannot answer, n1's do
            # A listing is complete or an error: never a page without n2's shards.
            st, lst = call(nodes[0].base, "GET", "/v1/indexes/solo/docs?size=10")
            assert st == 503 and lst["error"]["shards"]["failed"] == len(on_n2) and "shard" in lst["error"]["reason"], (st, lst)
            st, li = call(nodes[0].base, "GET", "/v1/indexes")
            solo = [i for i in li["indexes"] if i["name"] == "solo"]
            assert st == 200 and solo and solo[0]["docs"] is None and solo[0]["shards_failed"] == len(on_n2), li
            st, b = call(single.base, "POST", "/v1/indexes/ref/search", {"q": "river", "size": 300})
            assert 0 < len(a["hits"]) < len(b["hits"]), (len(a["hits"]), len(b["hits"]))
            metric = [l for l in get_text(nodes[0].base, "/metrics").splitlines()
                      if l.startswith("meridian_cluster_search_shard_failures_total ")]
            assert metric and float(metric[0].split()[1]) >= len(on_n2), metric
            # n2's shards move to n1 (membership TTL, rebalance) and are rebuilt from their streams.
            ok = eventually(lambda: call(nodes[0].base, "POST", "/v1/indexes/solo/search",
                                         {"q": "river", "size": 300})[1].get("shards", {}).get("failed") == 0, 20)
            assert ok, call(nodes[0].base, "POST", "/v1/indexes/solo/search", {"q": "river"})[1]
            st, a = call(nodes[0].base, "POST", "/v1/indexes/solo/search", {"q": "river", "size": 300})
            same_hits(a, b, "after failover")

            def reset_shards():
                return {json.loads(e["data"])["shard"] for e in list(live.events) if e.get("event") == "reset"}
            assert eventually(lambda: reset_shards() == set(on_n2), 10), (reset_shards(), on_n2, live.events[-3:])
            zs = [{"id": "zk%d" % i, "title": "zeppelin", "year": 2001} for i in range(12)]
            st, body = call(nodes[0].base, "POST", "/v1/indexes/solo/docs?refresh=wait_for", zs)
            assert st == 200 and body["indexed"] == 12, body
            ok = eventually(lambda: len(live.data("match")) >= 12, 10)
            time.sleep(0.3)
            assert ok and sorted(x["id"] for x in live.data("match")) == sorted(d["id"] for d in zs), live.events
            assert {x["shard"] for x in live.data("match")} & set(on_n2), live.data("match")  # through the moved shards too
            live.close()
            nodes[1] = Node(tmp, "n2", [], {"MERIDIAN_CLUSTER": url, "MERIDIAN_NODE_ID": "n2"})
            assert call(nodes[0].base, "DELETE", "/solo_os")[0] == 200
        check("a killed node: its shards are reported failed, then served again after the rebalance", node_killed)

        def forwarded_get_across_restart():
            # One replica per shard: a GET by id through the node without the
            # shard's replica is forwarded over a kept connection. n2 restarts
            # on the same port (SIGKILL, back within the membership TTL): the
            # kept connection is dead and the forwarded GET goes through on a new one.
            st, body = call(nodes[0].base, "PUT", "/v1/indexes/fwd", dict(SCHEMA, shards=4, replicas=1))
            assert st == 201, body
            st, body = call(nodes[0].base, "POST", "/v1/indexes/fwd/docs?refresh=wait_for", docs[:80])
            assert st == 200 and body["indexed"] == 80, body
            st, m = call(nodes[0].base, "GET", "/v1/indexes/fwd")
            assert any(a == ["n2"] for a in m["cluster"]["assignment"]), m
            for d in docs[:80]:
                st, got = call(nodes[0].base, "GET", "/v1/indexes/fwd/docs/" + d["id"])
                assert st == 200 and got["source"] == d, (d["id"], st, got)
            n2 = nodes[1]
            n2.proc.kill()
            n2.proc.wait()
            n2.log.close()
            nodes[1] = Node(tmp, "n2", [], {"MERIDIAN_CLUSTER": url, "MERIDIAN_NODE_ID": "n2"}, port=n2.port)

            def n2_in_sync():
                st, c = call(nodes[0].base, "GET", "/v1/cluster")
                fwd = [i for i in c.get("indexes", []) if i["index"] == "fwd"]
                reps = [r for sh in fwd[0]["shard_list"] for r in sh["replicas"]] if fwd else []
                return reps and all(r["state"] == "in_sync" for r in reps) and \
                    any(r["node"] == "n2" for r in reps)
            assert eventually(n2_in_sync, 20), call(nodes[0].base, "GET", "/v1/cluster")[1]
            for d in docs[:80]:
                st, got = call(nodes[0].base, "GET", "/v1/indexes/fwd/docs/" + d["id"])
                assert st == 200 and got["source"] == d, (d["id"], st, got)
            assert call(nodes[0].base, "DELETE", "/v1/indexes/fwd")[0] == 200
        check("a GET by id forwarded over a kept connection works across a peer restart", forwarded_get_across_restart)

        def pg_source():
            # The PostgreSQL source on a clustered index (needs MERIDIAN_TEST_PG_DSN,
            # as tests/e2e/cdc_pg_test.py): created through one node, run by one
            # node, every change searchable through every node; the node running
            # it is SIGKILLed mid-stream and restarted: nothing lost, nothing twice.
            dsn = os.environ.get("MERIDIAN_TEST_PG_DSN", "")
            if not dsn or not shutil.which("psql"):
                print("     (PostgreSQL source: skipped, no MERIDIAN_TEST_PG_DSN)")
                return

            def psql(sql):
                p = subprocess.run(["psql", dsn, "-qtAX", "-v", "ON_ERROR_STOP=1"], input=sql, capture_output=True,
                                   text=True, timeout=60)
                assert p.returncode == 0, p.stderr
                return p.stdout

            psql("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'meridian_pgsrc_pg';"
                 "DROP PUBLICATION IF EXISTS meridian_pgsrc_pg; DROP TABLE IF EXISTS clu_items;"
                 "CREATE TABLE clu_items (id int PRIMARY KEY, title text, year int);"
                 "INSERT INTO clu_items SELECT g, 'river ' || g, 1900 + g FROM generate_series(1, 40) g;")

            def table():
                out = psql("SELECT id, title, year FROM clu_items ORDER BY id")
                return {l.split("|")[0]: [l.split("|")[1], int(l.split("|")[2])] for l in out.splitlines() if l}

            def indexed(base):
                st, a = call(base, "POST", "/v1/indexes/pgsrc/search", {"size": 1000})
                if st != 200 or a["shards"]["failed"]:
                    return None
                ids = [h["id"] for h in a["hits"]]
                assert len(ids) == len(set(ids)) == a["total"]["value"], a["total"]  # no document twice
                return {h["id"]: [h["source"]["title"], h["source"]["year"]] for h in a["hits"]}

            def converged(bases, timeout=25):
                want = table()
                ok = eventually(lambda: all(indexed(b) == want for b in bases), timeout)
                assert ok, [(b, sorted(set((indexed(b) or {}).items()) ^ set((k, tuple(v)) for k, v in want.items()),
                                       key=str)[:10]) for b in bases]

            def source(base):
                return call(base, "GET", "/v1/indexes/pgsrc/sources/pg")

            st, body = call(nodes[0].base, "PUT", "/v1/indexes/pgsrc",
                            {"fields": {"title": "text", "year": "int"}, "shards": 3, "replicas": 2})
            assert st == 201, body
            st, body = call(nodes[1].base, "PUT", "/v1/indexes/pgsrc/sources/pg",
                            {"type": "postgres", "dsn": dsn, "table": "clu_items", "id_column": "id"})
            assert st == 201 and body["result"] == "created", body
            converged([n.base for n in nodes[:2]])  # the snapshot
            st, a = source(nodes[0].base)
            st2, b = source(nodes[1].base)
            assert st == st2 == 200 and a["node"] == b["node"] in ("n1", "n2"), (a, b)
            assert a["slot"] == "meridian_pgsrc_pg" and "dsn" in a and a["position"], a
            assert eventually(lambda: source(nodes[0].base)[1].get("state") == "streaming"), source(nodes[0].base)
            st, body = call(nodes[0].base, "GET", "/v1/indexes/pgsrc/sources")
            assert st == 200 and [x["name"] for x in body["sources"]] == ["pg"], body

            psql("UPDATE clu_items SET title = 'stone ' || id WHERE id <= 10;"
                 "DELETE FROM clu_items WHERE id BETWEEN 11 AND 15;"
                 "INSERT INTO clu_items SELECT g, 'harbor ' || g, 2000 + g FROM generate_series(41, 60) g;"
                 "BEGIN; UPDATE clu_items SET id = 100 WHERE id = 16; UPDATE clu_items SET year = 1 WHERE id = 100; COMMIT;")
            converged([n.base for n in nodes[:2]])

            # The node running the source dies while PostgreSQL keeps changing:
            # the other node takes it over from the position stored in NATS.
            owner = source(nodes[0].base)[1]["node"]
            k = 0 if owner == "n1" else 1
            dead = nodes[k]
            dead.proc.kill()
            dead.proc.wait()
            dead.log.close()
            for i in range(20):
                psql("UPDATE clu_items SET title = 'castle %d' WHERE id = %d;" % (i, 17 + i) +
                     "DELETE FROM clu_items WHERE id = %d;" % (41 + i) +
                     "INSERT INTO clu_items VALUES (%d, 'tower %d', %d);" % (200 + i, i, i))
            alive = nodes[1 - k]
            converged([alive.base])
            st, a = source(alive.base)
            assert st == 200 and a["node"] == alive_name(k) and a["state"] == "streaming", a
            nodes[k] = Node(tmp, owner, ["--cluster", url, "--node-id", owner], port=dead.port)
            psql("UPDATE clu_items SET title = 'garden ' || id WHERE id > 200;"
                 "INSERT INTO clu_items SELECT g, 'market ' || g, g FROM generate_series(300, 320) g;")
            converged([n.base for n in nodes[:2]])
            st, a = source(nodes[k].base)
            assert st == 200 and a["node"] in ("n1", "n2") and not a.get("last_dead_letters"), a

            # A TRUNCATE is published to every shard at its transaction's
            # commit, in order with the transaction's other changes.
            psql("BEGIN; UPDATE clu_items SET title = 'lost' WHERE id = 1; TRUNCATE clu_items;"
                 "INSERT INTO clu_items VALUES (900, 'kept 900', 9), (901, 'kept 901', 9); COMMIT;")
            converged([n.base for n in nodes[:2]])
            assert sorted(indexed(nodes[0].base)) == ["900", "901"], indexed(nodes[0].base)
            psql("TRUNCATE clu_items;")
            converged([n.base for n in nodes[:2]])
            assert indexed(nodes[1].base) == {}, indexed(nodes[1].base)
            psql("INSERT INTO clu_items VALUES (902, 'after 902', 9);")
            converged([n.base for n in nodes[:2]])
            assert not source(nodes[0].base)[1].get("last_dead_letters"), source(nodes[0].base)

            st, body = call(nodes[1 - k].base, "DELETE", "/v1/indexes/pgsrc/sources/pg?drop_slot=true")
            assert st == 200 and body["slot_dropped"] is True, body
            assert psql("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'meridian_pgsrc_pg'").strip() == "0"
            assert source(nodes[0].base)[0] == 404
            assert call(nodes[0].base, "DELETE", "/v1/indexes/pgsrc")[0] == 200
            psql("DROP TABLE clu_items; DROP PUBLICATION IF EXISTS meridian_pgsrc_pg;")

            def all_in_sync():
                st, c = call(nodes[0].base, "GET", "/v1/cluster")
                reps = [r for i in c.get("indexes", []) for sh in i["shard_list"] for r in sh["replicas"]]
                return st == 200 and reps and all(r["state"] == "in_sync" for r in reps)
            assert eventually(all_in_sync, 20), call(nodes[0].base, "GET", "/v1/cluster")[1]

        def alive_name(k):
            return "n2" if k == 0 else "n1"
        check("a PostgreSQL source on a clustered index: any node, one runner, its SIGKILL loses and doubles nothing",
              pg_source)

        def drop():
            st, body = call(nodes[0].base, "DELETE", "/v1/indexes/solo")
            assert st == 200, body
            st, body = call(nodes[1].base, "GET", "/v1/indexes/solo")
            assert st == 404, body
        check("DELETE drops a clustered index cluster-wide", drop)

        # After the failover test: its comparison with "ref" needs the corpus untouched.
        def patch_and_delete_by_query():
            # Merge patch through n2 (the patch record applies on every replica),
            # the same patch on the single node: the documents are equal.
            for base, ix in ((nodes[1].base, "books"), (single.base, "ref")):
                st, body = call(base, "PATCH", "/v1/indexes/%s/docs/d3?refresh=wait_for" % ix,
                                {"year": 1899, "title": None, "note": "patched"})
                assert st == 200, body
            st, body = call(nodes[1].base, "PATCH", "/v1/indexes/books/docs/d3", {"year": 1899})
            assert st == 200 and body["result"] == "acknowledged" and body["seq"] >= 1, body
            for n in nodes[:2]:
                st, got = call(n.base, "GET", "/v1/indexes/books/docs/d3")
                want = call(single.base, "GET", "/v1/indexes/ref/docs/d3")[1]
                assert st == 200 and got["source"] == want["source"] and "title" not in got["source"], (got, want)
            # Bad input: 4xx naming the problem, as on one node.
            st, b = call(nodes[0].base, "PATCH", "/v1/indexes/books/docs/nobody", {"year": 1})
            assert st == 404 and "upsert=true" in b["error"]["reason"], b
            st, b = call(nodes[0].base, "PATCH", "/v1/indexes/books/docs/d3", {"year": "soon"})
            assert st == 400 and "year" in b["error"]["reason"], b
            st, b = call(nodes[0].base, "PATCH", "/v1/indexes/books/docs/d3", {"id": "d4"})
            assert st == 400 and b["error"]["path"] == "id", b
            st, b = call(nodes[0].base, "PATCH", "/v1/indexes/books/docs/d3", [1])
            assert st == 400, b
            st, b = call(nodes[0].base, "PATCH", "/v1/indexes/books/docs/up1?upsert=true&refresh=wait_for",
                         {"title": "upserted zeppelin"})
            assert st == 200, b
            st, a = call(nodes[1].base, "GET", "/v1/indexes/books/search?q=zeppelin")
            assert [h["id"] for h in a["hits"]] == ["up1"], a
            assert call(nodes[0].base, "DELETE", "/v1/indexes/books/docs/up1?refresh=wait_for")[0] == 200
            # Delete-by-query: the same deleted count and the same remaining hits as one node.
            q = {"q": "castle", "filter": "tag:c"}
            st, a = call(nodes[0].base, "POST", "/v1/indexes/books/delete-by-query?refresh=wait_for", q)
            st2, b = call(single.base, "POST", "/v1/indexes/ref/delete-by-query?refresh=wait_for", q)
            assert st == 200 and st2 == 200 and a["deleted"] == b["deleted"] > 0, (a, b)
            assert a["shards"] == {"total": 3, "successful": 3, "failed": 0}, a
            for probe in ({"q": "castle", "size": 300}, {"filter": "tag:c", "size": 0}):
                st, x = call(nodes[1].base, "POST", "/v1/indexes/books/search", probe)
                st2, y = call(single.base, "POST", "/v1/indexes/ref/search", probe)
                assert x["total"] == y["total"], (probe, x["total"], y["total"])
                assert sorted(h["id"] for h in x["hits"]) == sorted(h["id"] for h in y["hits"]), probe
            st, a = call(nodes[1].base, "POST", "/v1/indexes/books/delete-by-query", q)
            assert st == 200 and a["deleted"] == 0, a
            st, b = call(nodes[0].base, "POST", "/v1/indexes/books/delete-by-query", {"q": "x", "size": 3})
            assert st == 400 and b["error"]["path"] == "size", b
            st, b = call(nodes[0].base, "POST", "/v1/indexes/books/delete-by-query", {"filter": "nope:1"})
            assert st == 400 and "nope" in b["error"]["reason"], b
        check("merge patch and delete-by-query on a clustered index: same documents as one node", patch_and_delete_by_query)

        def rebuilt_from_peer():
            # n2 restarts with a tiny stream retention, so the index it creates
            # has 16K streams. n2 stops while 280 more documents go through n1:
            # its stream drops what n2 had not applied; back, n2's replica sees
            # the gap, copies n1's snapshot and consumes from what it covers.
            n2 = nodes[1]
            n2.stop()
            env2 = {"MERIDIAN_CLUSTER": url, "MERIDIAN_NODE_ID": "n2"}
            nodes[1] = Node(tmp, "n2", ["--cluster-stream-max-bytes", "16K"], env2, port=n2.port)
            assert eventually(lambda: all(len(get_json(n.base, "/v1/cluster")[1]["nodes"]) == 2 for n in nodes[:2]))
            time.sleep(0.6)  # one more sync pass of every node
            st, body = call(nodes[1].base, "PUT", "/v1/indexes/small", dict(SCHEMA, shards=1, replicas=2))
            assert st == 201, body
            want = {d["id"]: d for d in docs[:20]}
            st, body = call(nodes[0].base, "POST", "/v1/indexes/small/docs?refresh=wait_for", docs[:20])
            assert st == 200 and body["indexed"] == 20, body
            nodes[1].stop()
            for k in range(20, 300, 20):  # a bulk smaller than the retention: n1 applies it before it ages out
                st, body = call(nodes[0].base, "POST", "/v1/indexes/small/docs?refresh=wait_for", docs[k:k + 20])
                assert st == 200, body
                want.update((d["id"], d) for d in docs[k:k + 20])
            for i in range(0, 40, 3):
                assert call(nodes[0].base, "DELETE", "/v1/indexes/small/docs/d%d?refresh=wait_for" % i)[0] == 200
                want.pop("d%d" % i)
            st, c = call(nodes[0].base, "GET", "/v1/cluster")
            shard = [i for i in c["indexes"] if i["index"] == "small"][0]["shard_list"][0]
            assert shard["first_seq"] > 21, shard  # n2 applied 20: the stream no longer holds 21

            nodes[1] = Node(tmp, "n2", [], env2, port=n2.port)

            def n2_in_sync():
                st, c = call(nodes[0].base, "GET", "/v1/cluster")
                reps = [r for i in c["indexes"] if i["index"] == "small" for r in i["shard_list"][0]["replicas"]]
                return len(reps) == 2 and all(r["state"] == "in_sync" for r in reps)
            assert eventually(n2_in_sync, 20), call(nodes[0].base, "GET", "/v1/cluster")[1]
            metrics = {l.split()[0]: float(l.split()[1]) for l in get_text(nodes[1].base, "/metrics").splitlines()
                       if l.startswith("meridian_cluster_") and not l.startswith("#")}
            assert metrics["meridian_cluster_rebuilds_total"] == 1, metrics
            assert metrics["meridian_cluster_replicas_rebuilding"] == 0, metrics
            # n1 served one snapshot and removed it.
            assert os.listdir(os.path.join(tmp, "n1", "cluster", ".snapshots")) == []
            # A write after the rebuild reaches n2's replica (it consumes from the copied sequence + 1).
            late = {"id": "late", "title": "zeppelin", "body": "after the rebuild", "tag": "a", "year": 2020}
            st, body = call(nodes[0].base, "PUT", "/v1/indexes/small/docs/late?refresh=wait_for", late)
            assert st in (200, 201), body
            want["late"] = late
            # Each node's own replica (the internal shard route): exactly the same documents.
            for n in nodes[:2]:
                st, r = call(n.base, "POST", "/v1/indexes/small/shards/0/search",
                             {"phase": "search", "search": {"size": 1000}})
                assert st == 200, r
                got = {h["id"]: h["source"] for h in r["hits"]}
                assert got == want, (n.base, len(got), len(want), sorted(set(got) ^ set(want))[:10])
            # Searches through n2 find them.
            st, a = call(nodes[1].base, "POST", "/v1/indexes/small/search", {"q": "river", "size": 300})
            st2, b = call(nodes[0].base, "POST", "/v1/indexes/small/search", {"q": "river", "size": 300})
            assert st == 200 and a["shards"]["failed"] == 0, a
            same_hits(a, b, "rebuilt replica")
            st, a = call(nodes[1].base, "GET", "/v1/indexes/small/search?q=zeppelin")
            assert [h["id"] for h in a["hits"]] == ["late"], a
            # Load spreads over the replicas: n1 searches its idle local replica in-process, but
            # while its calls are in flight the router sends searches to n2's copy, with the
            # same answers (ids, scores, sort values with the replica-independent tiebreaker).
            router = lambda: call(nodes[0].base, "GET", "/v1/cluster")[1]["router"]
            before = router().get("n2", {}).get("calls", 0)
            body = {"q": "river", "size": 5, "sort": ["year", "id"]}
            st, ref = call(nodes[0].base, "POST", "/v1/indexes/small/search", body)
            assert st == 200 and ref["hits"], ref
            answers, lock = [], threading.Lock()

            def hammer():
                for _ in range(40):
                    got = call(nodes[0].base, "POST", "/v1/indexes/small/search", body)
                    with lock:
                        answers.append(got)
            for _ in range(5):  # rounds of 8 concurrent clients, until n2 took some
                threads = [threading.Thread(target=hammer) for _ in range(8)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                view = router()
                if view.get("n2", {}).get("calls", 0) > before:
                    break
            assert view["n2"]["calls"] > before and view["n1"]["calls"] > 0, view
            for st, got in answers:
                assert st == 200 and got["shards"]["failed"] == 0, got
                assert [(h["id"], h["sort"]) for h in got["hits"]] == [(h["id"], h["sort"]) for h in ref["hits"]], \
                    (got["hits"], ref["hits"])
            assert call(nodes[0].base, "DELETE", "/v1/indexes/small")[0] == 200
        check("a replica behind its stream's retention is rebuilt from a peer's snapshot", rebuilt_from_peer)

        def leave():
            nodes[1].stop()
            ok = eventually(lambda: [n["id"] for n in get_json(nodes[0].base, "/v1/cluster")[1]["nodes"]] == ["n1"])
            assert ok, get_json(nodes[0].base, "/v1/cluster")
        check("a node stopped cleanly leaves the membership", leave)

        def auth():
            key = "cluster-master-key-0123456789"
            a = Node(tmp, "a3", ["--cluster", url, "--node-id", "a3", "--master-key", key])
            nodes.append(a)
            b = Node(tmp, "a4", ["--cluster", url, "--node-id", "a4", "--master-key", key])
            nodes.append(b)
            # Every node sees the three (a node with an older view would rebalance back).
            assert eventually(lambda: all(len(call_auth(n.base, "GET", "/v1/cluster", key)[1]["nodes"]) == 3
                                          for n in (a, b, nodes[0])))
            time.sleep(0.6)  # one more sync pass of every node
            st, body = call_auth(a.base, "PUT", "/v1/indexes/locked", key, dict(SCHEMA, shards=4, replicas=1))
            assert st == 201, body
            st, body = call_auth(b.base, "POST", "/v1/indexes/locked/docs?refresh=wait_for", key, docs[:100])
            assert st == 200 and body["indexed"] == 100, body
            # Shards on a4 (and on n1) are searched over HTTP with the caller's key.
            st, r = call_auth(a.base, "POST", "/v1/indexes/locked/search", key, {"q": "river", "size": 100})
            assert st == 200 and r["shards"]["failed"] == 0, (r["shards"], r.get("failures"))
            st, r = call_auth(a.base, "POST", "/v1/indexes/locked/search", None, {"q": "river"})
            assert st == 401, r
            st, r = call_auth(a.base, "POST", "/v1/indexes/locked/shards/0/search", None, {"phase": "stats", "search": {}})
            assert st == 401, r
        check("with auth on, the router forwards the caller's key to the other nodes", auth)

        def schema_change():
            # Three nodes (n1, a3, a4, with the master key): PATCH through a3,
            # writes through a4, searches through n1; the single node "ref"
            # side by side gets the same PATCH and writes.
            key = "cluster-master-key-0123456789"
            n1, a3, a4 = nodes[0], nodes[-2], nodes[-1]
            st, body = call_auth(a3.base, "PUT", "/v1/indexes/evolve", key, dict(SCHEMA, shards=3, replicas=2))
            assert st == 201, body
            st, body = call(single.base, "PUT", "/v1/indexes/evolve_ref", SCHEMA)
            assert st == 201, body
            add = {"fields": {"genre": "keyword", "pages": "int"}}
            st, p = call_auth(a3.base, "PATCH", "/v1/indexes/evolve", key, add)
            st2, pr = call(single.base, "PATCH", "/v1/indexes/evolve_ref", add)
            assert st == 200 == st2 and p["result"] == "updated" and sorted(p["added"]) == ["genre", "pages"], p
            assert p["schema"] == pr["schema"] and p["added"] == pr["added"], (p, pr)
            # At once, through the other nodes: the new schema, and writes using it.
            for n in (n1, a4):
                st, g = call_auth(n.base, "GET", "/v1/indexes/evolve", key)
                assert st == 200 and g["schema"] == p["schema"] and g["cluster"]["schema_version"] == 1, g
            genres = ["Science Fiction", "History", "Science"]
            new_docs = [dict(d, genre=genres[i % 3], pages=100 + i) for i, d in enumerate(docs[:60])]
            st, body = call_auth(a4.base, "POST", "/v1/indexes/evolve/docs?refresh=wait_for", key, new_docs)
            assert st == 200 and body["indexed"] == 60 and body["failed"] == 0, body
            st, body = call(single.base, "POST", "/v1/indexes/evolve_ref/docs?refresh=wait_for", new_docs)
            assert st == 200 and body["indexed"] == 60, body
            # genre is a keyword on every shard: whole values in facets and filters.
            for q in ({"filter": "genre:Science", "size": 100}, {"filter": "pages:>=150", "size": 100},
                      {"q": "river", "filter": "genre:History", "size": 100, "facets": {"g": {"terms": {"field": "genre"}}}},
                      {"size": 0, "facets": {"g": {"terms": {"field": "genre"}}}}):
                st, a = call_auth(n1.base, "POST", "/v1/indexes/evolve/search", key, q)
                st2, b = call(single.base, "POST", "/v1/indexes/evolve_ref/search", q)
                assert st == 200 == st2 and a["shards"]["failed"] == 0, (q, a)
                assert a["total"] == b["total"] and sorted(h["id"] for h in a["hits"]) == sorted(h["id"] for h in b["hits"]), q
                assert a.get("facets") == b.get("facets"), (q, a.get("facets"), b.get("facets"))
            st, a = call_auth(n1.base, "POST", "/v1/indexes/evolve/search", key, {"filter": "genre:Science", "size": 0})
            assert a["total"]["value"] == 20, a  # not "Science Fiction": a keyword, not text
            # Bad changes: the single node's 4xx naming the problem, and nothing changes.
            for bad in ({"fields": {"pages": "text"}}, {"fields": {"genre": {"type": "text"}}}, {"id_field": "sku"},
                        {"fields": {"x": "colour"}}, {"mappings": {}}, [1]):
                st, e = call_auth(a4.base, "PATCH", "/v1/indexes/evolve", key, bad)
                st2, e2 = call(single.base, "PATCH", "/v1/indexes/evolve_ref", bad)
                assert st == st2 and st in (400, 409) and e["error"] == e2["error"], (bad, e, e2)
            st, e = call_auth(a4.base, "PATCH", "/v1/indexes/evolve", key, {"fields": {"pages": "text"}})
            assert st == 409 and e["error"]["path"] == "fields.pages", e
            for n in (n1, a3, a4):
                st, g = call_auth(n.base, "GET", "/v1/indexes/evolve", key)
                assert g["schema"] == p["schema"] and g["cluster"]["schema_version"] == 1, g
            # The same change again is unchanged (and repairs nothing that was fine).
            st, again = call_auth(n1.base, "PATCH", "/v1/indexes/evolve", key, add)
            assert st == 200 and again["result"] == "unchanged" and again["added"] == [], again
            st, r = call_auth(n1.base, "POST", "/v1/indexes/evolve/refresh", key)
            assert st == 200 and r["shards"] == {"total": 3, "successful": 3, "failed": 0}, r
            assert call_auth(a3.base, "POST", "/v1/indexes/evolve/refresh", None)[0] == 401
            assert call_auth(a3.base, "DELETE", "/v1/indexes/evolve", key)[0] == 200
        check("a schema change through one node: writes through another use it, a third searches it; bad ones change nothing",
              schema_change)

        def fourth_node():
            # Three nodes (n1, a3, a4) hold 24 shards x 2 replicas; a fourth joins while a
            # searcher runs: only the replicas it now ranks first move (about 1/4), all to it,
            # and every search meanwhile answers with every shard and every document.
            key = "cluster-master-key-0123456789"
            n1, a3, a4 = nodes[0], nodes[-2], nodes[-1]
            st, body = call_auth(a3.base, "PUT", "/v1/indexes/grow", key, dict(SCHEMA, shards=24, replicas=2))
            assert st == 201, body
            st, body = call_auth(a4.base, "POST", "/v1/indexes/grow/docs?refresh=wait_for", key, docs[:200])
            assert st == 200 and body["indexed"] == 200, body

            def placement():
                st, c = call_auth(n1.base, "GET", "/v1/cluster", key)
                ix = [i for i in c["indexes"] if i["index"] == "grow"][0]
                return [{r["node"]: r["state"] for r in sh["replicas"]} for sh in ix["shard_list"]]
            before = [set(sh) for sh in placement()]
            assert {n for sh in before for n in sh} == {"n1", "a3", "a4"}, before
            answers, stop = [], threading.Event()

            def searcher():
                while not stop.is_set():
                    answers.append(call_auth(n1.base, "POST", "/v1/indexes/grow/search", key,
                                             {"size": 0, "track_total_hits": True}))
            t = threading.Thread(target=searcher)
            t.start()
            try:
                a5 = Node(tmp, "a5", ["--cluster", url, "--node-id", "a5", "--master-key", key])
                nodes.append(a5)

                def settled():
                    p = placement()
                    return any("a5" in sh for sh in p) and all(
                        len(sh) == 2 and all(v == "in_sync" for v in sh.values()) for sh in p)
                assert eventually(settled, 30), placement()
                time.sleep(0.5)  # searches after the move too
                # A loaded machine may answer slowly: wait (bounded) for a few answers in all.
                assert eventually(lambda: len(answers) >= 5, 30), len(answers)
            finally:
                stop.set()
                t.join(30)
            after = [set(sh) for sh in placement()]
            moved = sum(len(a - b) for a, b in zip(after, before))
            # Every moved replica went to a5; none moved between the old nodes.
            assert all(a - b <= {"a5"} for a, b in zip(after, before)), (before, after)
            # Of 48; 1/4 is 12. A shard gets the new node with probability 2/4, so over 24
            # shards the count is binomial (sd ~2.4 shards): 16 here, fixed by the names.
            # tests/cluster/placement_test.cpp measures 24.1% over 1,280 replicas.
            assert 1 <= moved <= 18, (moved, before, after)
            print("     a fourth node took %d of 48 replicas (%.0f%%); %d searches during the move" % (
                moved, 100.0 * moved / 48, len(answers)))
            assert len(answers) >= 5, len(answers)
            for st, r in answers:
                assert st == 200 and r["shards"]["successful"] == 24 and r["shards"]["failed"] == 0, r
                assert r["total"] == {"value": 200, "relation": "eq"}, r["total"]
            assert call_auth(a3.base, "DELETE", "/v1/indexes/grow", key)[0] == 200
        check("a fourth node takes about 1/4 of the replicas, all moved to it, while searches answer completely",
              fourth_node)

        def single():
            n = Node(tmp, "single", [])
            try:
                st, body = get_json(n.base, "/v1/cluster")
                assert st == 200 and body == {"enabled": False}, body
                assert "meridian_cluster_" not in get_text(n.base, "/metrics")
                assert not os.path.exists(os.path.join(tmp, "single", "cluster"))
            finally:
                n.stop()
        check("without --cluster a node is single and says so", single)
    finally:
        for n in nodes:
            if n.proc.poll() is None:
                n.stop()
        stop_process(nats_proc, 10)
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]))
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
