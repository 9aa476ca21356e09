#!/usr/bin/env python3
"""End-to-end test of background errors (docs/ARCHITECTURE.md, Guarantees):
the real `meridian serve` runs with a file-size limit (RLIMIT_FSIZE, with
SIGXFSZ ignored), so writing past it fails like a full disk (EFBIG). A bulk
write that cannot be logged is a 503 io_error naming the file and the errno
text; the index is degraded (writes refused, /health "degraded", the
meridian_index_degraded gauge 1, one JSON log line) while reads go on; once
the limit is lifted (space returns) it recovers by itself.

Usage: server_faults_test.py PATH/TO/meridian
"""
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from e2e_util import free_port, stop_process

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/meridian"
RESULTS = {"passed": 0, "failed": 0}
LIMIT = 256 * 1024


def check(name, cond, detail=""):
    if cond:
        RESULTS["passed"] += 1
    else:
        RESULTS["failed"] += 1
        print("FAIL %s %s" % (name, detail))


def req(base, method, path, body=None):
    data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
    r = urllib.request.Request(base + path, data=data, method=method,
                               headers={"Content-Type": "application/json"} if data is not None else {})
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            raw = resp.read()
            return resp.status, raw
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def jreq(base, method, path, body=None):
    s, raw = req(base, method, path, body)
    try:
        return s, json.loads(raw)
    except ValueError:
        return s, raw.decode("utf-8", "replace")


def limit_files():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # stays ignored across exec
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, resource.RLIM_INFINITY))


def main():
    tmp = tempfile.mkdtemp(prefix="meridian-faults-")
    port = free_port()
    base = "http://127.0.0.1:%d" % port
    env = {k: v for k, v in os.environ.items() if not k.startswith("MERIDIAN_")}
    log_path = os.path.join(tmp, "server.log")
    log = open(log_path, "wb")
    proc = subprocess.Popen([BIN, "serve", "--data", os.path.join(tmp, "data"), "--listen", "127.0.0.1:%d" % port,
                             "--no-access-log"], stdout=subprocess.DEVNULL, stderr=log, env=env,
                            preexec_fn=limit_files)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if req(base, "GET", "/health")[0] == 200:
                    break
            except OSError:
                time.sleep(0.05)
        s, b = jreq(base, "GET", "/health")
        check("healthy at start", s == 200 and b == {"status": "ok"}, b)
        check("create", jreq(base, "PUT", "/v1/indexes/t")[0] == 201)
        check("small put", jreq(base, "PUT", "/v1/indexes/t/docs/a", {"body": "hello world"})[0] == 201)

        # About 1 MB of incompressible text: its WAL record, and any segment
        # holding it, are larger than the limit.
        rnd = random.Random(7)
        lines = []
        for i in range(200):
            words = " ".join("%016x" % rnd.getrandbits(64) for _ in range(300))
            lines.append(json.dumps({"id": "big%d" % i, "body": words}))
        s, b = jreq(base, "POST", "/v1/indexes/t/docs", ("\n".join(lines) + "\n").encode())
        err = b.get("error", {}) if isinstance(b, dict) else {}
        reason = err.get("reason", "")
        check("bulk past the limit is 503", s == 503, (s, str(b)[:300]))
        check("error type io_error", err.get("type") == "io_error", str(b)[:300])
        check("reason names the file and errno text", "wal-" in reason and reason.endswith(os.strerror(27)), reason)

        s, b = jreq(base, "GET", "/health")
        check("health degraded", s == 200 and b.get("status") == "degraded", b)
        check("health reason", b.get("reason") == reason and b.get("indexes", {}).get("t") == reason, b)
        s, b = jreq(base, "PUT", "/v1/indexes/t/docs/c", {"body": "refused"})
        check("writes refused while degraded", s == 503 and b["error"]["type"] == "io_error"
              and b["error"]["reason"] == reason, (s, b))
        s, b = jreq(base, "GET", "/v1/indexes/t/docs/a")
        check("reads go on", s == 200 and b.get("found") is True, (s, b))
        s, raw = req(base, "GET", "/metrics")
        check("gauge 1", 'meridian_index_degraded{index="t"} 1\n' in raw.decode(), raw[-600:])
        log.flush()
        text = open(log_path, encoding="utf-8", errors="replace").read()
        degraded = [json.loads(l) for l in text.splitlines() if '"index_degraded"' in l]
        check("one log line per transition", len(degraded) == 1 and degraded[0].get("index") == "t"
              and degraded[0].get("reason") == reason, text[-2000:])

        # Space returns: the index recovers by itself.
        resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        deadline = time.time() + 20
        while time.time() < deadline and jreq(base, "GET", "/health")[1].get("status") != "ok":
            time.sleep(0.1)
        s, b = jreq(base, "GET", "/health")
        check("health ok again", b == {"status": "ok"}, b)
        check("writes accepted again",
              jreq(base, "PUT", "/v1/indexes/t/docs/d?refresh=wait_for", {"body": "after"})[0] == 201)
        s, raw = req(base, "GET", "/metrics")
        check("gauge 0", 'meridian_index_degraded{index="t"} 0\n' in raw.decode())
        text = open(log_path, encoding="utf-8", errors="replace").read()
        check("recovery logged", sum('"index_recovered"' in l for l in text.splitlines()) == 1, text[-1000:])
        # The failed bulk is there entirely or not at all.
        s, b = jreq(base, "GET", "/v1/indexes/t")
        docs = b.get("stats", {}).get("docs") if isinstance(b, dict) else None
        check("failed bulk all or nothing", docs in (2, 202), (s, b))
    finally:
        stop_process(proc)
        log.close()
        if RESULTS["failed"]:
            sys.stdout.write(open(log_path, errors="replace").read()[-3000:])
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]))
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
