#!/usr/bin/env python3
"""GET by id through a node without the document's replica (forwarded to the
replica's node, docs/CLUSTER.md "Over HTTP") vs through the node holding it,
for several `meridian` binaries side by side in one run.

Usage: python3 scripts/lib/bench_forward_get.py [--n N] LABEL=BIN ...

For each binary: its own nats-server (JetStream, loopback, temporary store)
and two `meridian serve --cluster` nodes; index `g` with 1 shard x 1 replica
and 100 documents. Then one `build/bench/rtt_bench` run measures two
targets per binary over one keep-alive connection each, all taking turns in
blocks of 500 (N requests each, default 5000): GET /v1/indexes/g/docs/d7
through the non-owning node (forwarded) and through the owner (local).
Prints rtt_bench's JSON (µs).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "e2e"))
from e2e_util import free_port, stop_process, wait_health  # noqa: E402

NATS = next(p for p in ("/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server")
            if os.access(p, os.X_OK))


def call(base, method, path, body=None):
    req = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(),
                                 method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def cluster(binary, tmp, tag, procs):
    """Two nodes of `binary` on a nats-server of their own: (owner port, other port)."""
    nport = free_port()
    procs.append(subprocess.Popen([NATS, "-js", "-a", "127.0.0.1", "-p", str(nport), "-sd",
                                   os.path.join(tmp, tag + "-nats")],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    time.sleep(0.5)
    ports = {}
    for n in ("n1", "n2"):
        port = free_port()
        procs.append(subprocess.Popen([binary, "serve", "--data", os.path.join(tmp, tag + n), "--listen",
                                       "127.0.0.1:%d" % port, "--cluster", "nats://127.0.0.1:%d" % nport,
                                       "--node-id", n], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        if not wait_health("http://127.0.0.1:%d" % port, 30):
            raise SystemExit("%s %s did not start" % (tag, n))
        ports[n] = port
    base = "http://127.0.0.1:%d" % ports["n1"]
    for _ in range(100):
        if len(call(base, "GET", "/v1/cluster")["nodes"]) == 2:
            break
        time.sleep(0.1)
    time.sleep(0.6)  # one sync pass of each node with both members
    call(base, "PUT", "/v1/indexes/g", {"fields": {"title": "text"}, "shards": 1, "replicas": 1})
    docs = "\n".join(json.dumps({"id": "d%d" % i, "title": "doc %d" % i}) for i in range(100)) + "\n"
    req = urllib.request.Request(base + "/v1/indexes/g/docs?refresh=wait_for", data=docs.encode(), method="POST",
                                 headers={"Content-Type": "application/x-ndjson"})
    urllib.request.urlopen(req, timeout=30).read()
    owner = call(base, "GET", "/v1/indexes/g")["cluster"]["assignment"][0][0]
    other = "n2" if owner == "n1" else "n1"
    return ports[owner], ports[other]


def main():
    args = sys.argv[1:]
    n = "5000"
    if args[:1] == ["--n"]:
        n, args = args[1], args[2:]
    builds = [a.split("=", 1) for a in args]
    tmp = tempfile.mkdtemp(prefix="meridian-fwd-bench-")
    procs = []
    try:
        targets = []
        path = "/v1/indexes/g/docs/d7"
        ports = [(label, cluster(binary, tmp, label, procs)) for label, binary in builds]
        for label, (owner, other) in ports:
            targets += ["--http", str(other), path, "--name", label + ": forwarded"]
        for label, (owner, other) in ports:
            targets += ["--http", str(owner), path, "--name", label + ": local"]
        rtt = os.path.join(os.path.dirname(__file__), "..", "..", "build", "bench", "rtt_bench")
        out = subprocess.run([rtt, "--n", n, "--warmup", "500", "--block", "500", *targets],
                             capture_output=True, text=True, check=True)
        print(out.stdout)
    finally:
        for p in reversed(procs):
            stop_process(p, 20)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
