#!/usr/bin/env python3
"""End-to-end tests of Debezium ingestion (docs/CDC.md) through the real binary.

Usage: cdc_debezium_test.py PATH/TO/meridian
POST /v1/indexes/{index}/changes with every op, with and without the
schema/payload envelope, as one event, an array and NDJSON; replays and
out-of-order positions; malformed events (400 naming the event, nothing
applied); a debezium source's mapping; `meridian import --format debezium`.
Prints "N passed, M failed"; exits non-zero on failure.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from e2e_util import free_port

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/meridian"
RESULTS = {"passed": 0, "failed": 0}


def check(name, cond, detail=""):
    if cond:
        RESULTS["passed"] += 1
    else:
        RESULTS["failed"] += 1
        print("FAIL: %s %s" % (name, detail))


class Server:
    def __init__(self, data):
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("MERIDIAN_")}
        self.proc = subprocess.Popen([BIN, "serve", "--data", data, "--listen", "127.0.0.1:%d" % self.port],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        self.base = "http://127.0.0.1:%d" % self.port
        for _ in range(600):
            try:
                if self.req("GET", "/health")[0] == 200:
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def req(self, method, path, body=None):
        data = None
        if body is not None:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        r = urllib.request.Request(self.base + path, data=data, method=method,
                                   headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(r, timeout=30) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)


def ev(op, lsn, before=None, after=None, table="items", snapshot=False):
    return {"op": op, "before": before, "after": after, "ts_ms": 1700000000000,
            "source": {"connector": "postgresql", "name": "srv", "db": "shop", "schema": "public",
                       "table": table, "lsn": lsn, "snapshot": "true" if snapshot else "false"}}


def docs(srv, index, ids):
    out = {}
    for i in ids:
        s, b = srv.req("GET", "/v1/indexes/%s/docs/%s" % (index, i))
        if s == 200:
            out[str(i)] = b["source"]
    return out


def test_ops(srv):
    srv.req("PUT", "/v1/indexes/items", {})
    nd = "\n".join(json.dumps(e) for e in [
        ev("r", 5, after={"id": 1, "name": "one"}, snapshot=True),
        ev("r", 5, after={"id": 2, "name": "two"}, snapshot=True),
        ev("c", 10, after={"id": 3, "name": "three"}),
        ev("u", 11, before={"id": 1}, after={"id": 1, "name": "uno"}),
        ev("u", 12, before={"id": 2}, after={"id": 20, "name": "twenty"}),
        ev("d", 13, before={"id": 3}),
    ]) + "\n"
    s, b = srv.req("POST", "/v1/indexes/items/changes?refresh=wait_for", nd)
    check("ndjson 200", s == 200, b)
    check("ndjson counts", b.get("events") == 6 and b.get("upserts") == 5 and b.get("deletes") == 1, b)
    check("position reported", b.get("positions") == {"debezium:postgresql/public.items": "13"}, b)
    got = docs(srv, "items", [1, 2, 3, 20])
    check("ops applied", {k: v["name"] for k, v in got.items()} == {"1": "uno", "20": "twenty"}, got)
    # replay: everything skipped
    s, b = srv.req("POST", "/v1/indexes/items/changes", nd)
    check("replay skipped", s == 200 and b.get("skipped") == 6 and b.get("applied") == 0, b)
    check("replay unchanged", set(docs(srv, "items", [1, 2, 3, 20])) == {"1", "20"})
    # out of order: an older update is skipped, a newer one applies
    s, b = srv.req("POST", "/v1/indexes/items/changes",
                   [ev("u", 9, before={"id": 1}, after={"id": 1, "name": "stale"}),
                    ev("u", 14, before={"id": 1}, after={"id": 1, "name": "fresh"})])
    check("array out of order", s == 200 and b.get("skipped") == 1 and b.get("upserts") == 1, b)
    check("fresh wins", docs(srv, "items", [1])["1"]["name"] == "fresh")
    # with the envelope and schema, one event
    env = {"schema": {"type": "struct", "fields": [
        {"field": "after", "type": "struct", "fields": [
            {"field": "id", "type": "int32"}, {"field": "born", "type": "int32", "name": "io.debezium.time.Date"}]}]},
        "payload": ev("c", 15, after={"id": 7, "name": "seven", "born": 19844})}
    s, b = srv.req("POST", "/v1/indexes/items/changes", env)
    check("envelope 200", s == 200 and b.get("upserts") == 1, b)
    check("logical date", docs(srv, "items", [7]).get("7", {}).get("born") == "2024-05-01T00:00:00.000Z")
    # without schema but with payload envelope; plus a tombstone
    s, b = srv.req("POST", "/v1/indexes/items/changes",
                   json.dumps({"payload": ev("d", 16, before={"id": 7})}) + "\nnull\n")
    check("payload without schema", s == 200 and b.get("deletes") == 1 and b.get("tombstones") == 1, b)
    # truncate
    s, b = srv.req("POST", "/v1/indexes/items/changes", ev("t", 17))
    check("truncate", s == 200 and b.get("truncates") == 1, b)
    check("truncate empties", docs(srv, "items", [1, 20]) == {})


def test_malformed(srv):
    srv.req("PUT", "/v1/indexes/bad", {})
    body = "\n".join([json.dumps(ev("c", 1, after={"id": 1, "name": "ok"})),
                      json.dumps(ev("c", 2, after={"name": "no id"})),
                      "{not json",
                      json.dumps(ev("x", 4, after={"id": 4}))]) + "\n"
    s, b = srv.req("POST", "/v1/indexes/bad/changes", body)
    err = (b or {}).get("error", {})
    check("malformed 400", s == 400, b)
    check("names first event", err.get("event") == 1 and err.get("line") == 2 and "event 1" in err.get("reason", ""), err)
    check("lists every bad event", [e.get("event") for e in err.get("errors", [])] == [1, 2, 3], err)
    check("nothing applied", docs(srv, "bad", [1]) == {})
    s, b = srv.req("POST", "/v1/indexes/nope/changes", ev("c", 1, after={"id": 1}))
    check("unknown index 404", s == 404, b)


def test_debezium_source(srv):
    srv.req("PUT", "/v1/indexes/mapped", {})
    s, b = srv.req("PUT", "/v1/indexes/mapped/sources/orders", {
        "type": "debezium", "id_column": "sku",
        "mapping": {"columns": {"title": "name", "price": {"type": "float"}, "secret": None},
                    "geo": [{"field": "location", "lat": "lat", "lon": "lon"}]}})
    check("debezium source created", s == 201, b)
    s, b = srv.req("POST", "/v1/indexes/mapped/changes?source=orders&refresh=wait_for",
                   ev("c", 3, after={"sku": "A1", "title": "Tea", "price": "2.5", "secret": "x", "lat": 48.85, "lon": 2.35}))
    check("mapped 200", s == 200, b)
    check("mapped position key", b.get("positions") == {"debezium:orders": "3"}, b)
    d = docs(srv, "mapped", ["A1"]).get("A1", {})
    check("mapped doc", d.get("name") == "Tea" and d.get("price") == 2.5 and "secret" not in d
          and d.get("location") == {"lat": 48.85, "lon": 2.35}, d)
    s2, b2 = srv.req("GET", "/v1/indexes/mapped/sources/orders")
    check("get source", s2 == 200 and b2.get("type") == "debezium" and b2.get("id_column") == "sku", b2)
    s3, b3 = srv.req("DELETE", "/v1/indexes/mapped/sources/orders")
    check("delete source", s3 == 200, b3)
    check("deleted source 404", srv.req("GET", "/v1/indexes/mapped/sources/orders")[0] == 404)
    s4, b4 = srv.req("PUT", "/v1/indexes/mapped/sources/x", {"type": "mysql"})
    check("bad source type 400", s4 == 400, b4)


def test_offline_import(tmp):
    data = os.path.join(tmp, "offline")
    f = os.path.join(tmp, "events.ndjson")
    with open(f, "w") as out:
        for e in [ev("c", 1, after={"id": 1, "name": "a"}), ev("c", 2, after={"id": 2, "name": "b"}),
                  ev("d", 3, before={"id": 1})]:
            out.write(json.dumps(e) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MERIDIAN_")}
    p = subprocess.run([BIN, "import", "items", f, "--format", "debezium", "--data", data],
                       capture_output=True, text=True, env=env)
    check("import exit 0", p.returncode == 0, p.stderr)
    p2 = subprocess.run([BIN, "import", "items", f, "--format", "debezium", "--data", data],
                        capture_output=True, text=True, env=env)
    check("import replay skipped", p2.returncode == 0 and "3 skipped" in p2.stderr, p2.stderr)
    d = subprocess.run([BIN, "dump", "items", "--data", data], capture_output=True, text=True, env=env)
    rows = [json.loads(l) for l in d.stdout.splitlines() if l.strip()]
    check("import result", rows == [{"id": "2", "name": "b"}], rows)
    bad = os.path.join(tmp, "bad.ndjson")
    with open(bad, "w") as out:
        out.write(json.dumps(ev("c", 9, after={"id": 9})) + "\n" + "{oops\n")
    p3 = subprocess.run([BIN, "import", "items", bad, "--format", "debezium", "--data", data],
                        capture_output=True, text=True, env=env)
    check("import malformed exit 1", p3.returncode == 1 and "event 1" in p3.stderr, (p3.returncode, p3.stderr))


def main():
    tmp = tempfile.mkdtemp(prefix="meridian-cdc-e2e-")
    srv = None
    try:
        srv = Server(os.path.join(tmp, "data"))
        for fn in (test_ops, test_malformed, test_debezium_source):
            try:
                fn(srv)
            except Exception as e:  # noqa: BLE001
                check(fn.__name__, False, repr(e))
        srv.stop()
        srv = None
        try:
            test_offline_import(tmp)
        except Exception as e:  # noqa: BLE001
            check("offline import", False, repr(e))
    finally:
        if srv:
            srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]))
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
