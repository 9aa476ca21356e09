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
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
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


class Node:
    def __init__(self, tmp, name, args, env=None):
        self.port = free_port()
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

        def leave():
            nodes[1].stop()
            ok = eventually(lambda: [n["id"] for n in get_json(nodes[0].base, "/v1/cluster")[1]["nodes"]] == ["n1"])
            assert ok, get_json(nodes[0].base, "/v1/cluster")
        check("a node stopped cleanly leaves the membership", leave)

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
