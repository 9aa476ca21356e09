#!/usr/bin/env python3
"""End-to-end test of live queries under a bulk write: several
GET /v1/indexes/{index}/watch streams on a few distinct queries stay open
while 5,000 documents arrive in one bulk request; none is dropped, each
receives exactly the documents that match its query, once. Bounded: about
20 s at most. Usage: watch_test.py path/to/meridian"""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from e2e_util import free_port, stop_process, wait_health

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/src/cli/meridian"
FAILED = []

WORDS = ["apple", "pear", "plum", "fig", "kiwi", "lime"]
# (query parameters, predicate on a generated document)
QUERIES = [
    ({"q": "apple"}, lambda d: "apple" in d["title"].split()),
    ({"q": "pear plum"}, lambda d: "pear" in d["title"].split() and "plum" in d["title"].split()),
    ({"q": "fig", "filter": "n:[500 TO *]"}, lambda d: "fig" in d["title"].split() and d["n"] >= 500),
]
WATCHERS_PER_QUERY = 3
DOCS = 5000


def check(name, cond, detail=None):
    if cond:
        print("ok   " + name)
    else:
        FAILED.append(name)
        print("FAIL " + name + ("" if detail is None else ": " + str(detail)[:400]))


def make_docs():
    rng = random.Random(20)
    docs = []
    for i in range(DOCS):
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))
        docs.append({"id": str(i), "title": title, "n": rng.randrange(1000)})
    return docs


def reader(base, path, out, ready):
    """Collects SSE events (dicts) into out until the stream ends."""
    r = urllib.request.Request(base + path, headers={"Accept": "text/event-stream"})
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            ready.set()
            ev = {}
            for raw in resp:
                line = raw.decode().rstrip("\n")
                if line == "":
                    if ev:
                        out.append(ev)
                    ev = {}
                elif not line.startswith(":"):
                    k, _, v = line.partition(": ")
                    ev[k] = v
    except Exception as e:  # noqa: BLE001 - the stream ends when the server stops
        out.append({"closed": str(e)})
    ready.set()


def main():
    tmp = tempfile.mkdtemp(prefix="meridian-e2e-watch-")
    port = free_port()
    base = "http://127.0.0.1:%d" % port
    env = {k: v for k, v in os.environ.items() if not k.startswith("MERIDIAN_")}
    log = open(os.path.join(tmp, "server.log"), "wb")
    proc = subprocess.Popen([BIN, "serve", "--data", os.path.join(tmp, "data"), "--listen", "127.0.0.1:%d" % port],
                            stdout=subprocess.DEVNULL, stderr=log, env=env)
    try:
        if not wait_health(base):
            check("server starts", False)
            return 1
        body = json.dumps({"fields": {"title": "text", "n": "int"}}).encode()
        urllib.request.urlopen(urllib.request.Request(base + "/v1/indexes/w", data=body, method="PUT",
                                                      headers={"Content-Type": "application/json"}), timeout=30)
        streams = []
        for params, pred in QUERIES:
            for _ in range(WATCHERS_PER_QUERY):
                out, ready = [], threading.Event()
                path = "/v1/indexes/w/watch?" + urllib.parse.urlencode(dict(params, heartbeat_ms="500"))
                t = threading.Thread(target=reader, args=(base, path, out, ready), daemon=True)
                t.start()
                streams.append((params, pred, out, ready))
        for s in streams:
            s[3].wait(10)
        time.sleep(0.3)  # the streams are subscribed once their first bytes arrived
        docs = make_docs()
        ndjson = "".join(json.dumps(d) + "\n" for d in docs).encode()
        t0 = time.time()
        with urllib.request.urlopen(urllib.request.Request(
                base + "/v1/indexes/w/docs", data=ndjson, method="POST",
                headers={"Content-Type": "application/x-ndjson"}), timeout=60) as resp:
            check("bulk write of %d documents accepted" % DOCS, resp.status in (200, 201, 202))
        want = [set(d["id"] for d in docs if pred(d)) for _, pred, _, _ in streams]
        check("every query selects documents", all(0 < len(w) < DOCS for w in want), [len(w) for w in want])
        deadline = time.time() + 15

        def matches(out):
            return [json.loads(e["data"])["id"] for e in list(out) if e.get("event") == "match"]
        while time.time() < deadline:
            if all(len(matches(s[2])) >= len(w) for s, w in zip(streams, want)):
                break
            if any(e.get("event") == "dropped" for s in streams for e in list(s[2])):
                break
            time.sleep(0.1)
        elapsed = time.time() - t0
        time.sleep(0.5)  # anything extra (a duplicate) would arrive now
        for i, ((params, _, out, _), w) in enumerate(zip(streams, want)):
            got = matches(out)
            name = "watcher %d (%s)" % (i, urllib.parse.urlencode(params))
            check(name + " not dropped", not any(e.get("event") == "dropped" for e in out),
                  [e for e in out if e.get("event") == "dropped"])
            check(name + " receives exactly its %d matches" % len(w), set(got) == w,
                  (len(set(got)), len(w), sorted(set(got) ^ w)[:5]))
            check(name + " receives each once", len(got) == len(set(got)), len(got) - len(set(got)))
            check(name + " sends nothing else", all(e.get("event") == "match" for e in out if "event" in e),
                  [e for e in out if e.get("event") not in (None, "match")][:3])
        print("all matches delivered %.2f s after the bulk write started" % elapsed)
    finally:
        stop_process(proc)
        log.close()
        if FAILED:
            with open(os.path.join(tmp, "server.log"), "rb") as f:
                sys.stdout.write(f.read().decode("utf-8", "replace")[-2000:])
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failed" % len(FAILED))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
