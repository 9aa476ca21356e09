#!/usr/bin/env python3
"""End-to-end tests of `meridian serve` (docs/API.md).

Usage: server_test.py PATH/TO/meridian
Starts the real binary on a free loopback port with a temporary data dir and
exercises every route, error status, auth and scopes, rate limiting, bulk
writes, refresh=wait_for, SSE delivery and resume, graceful shutdown and
restart. Prints "N passed, M failed"; exits non-zero on failure.
"""
import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
from e2e_util import free_port

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/meridian"
MASTER = "master-key-for-tests-0123456789"
RESULTS = {"passed": 0, "failed": 0}


class Server:
    def __init__(self, data, extra=(), env=None):
        self.port = free_port()
        self.data = data
        e = dict(os.environ)
        for k in list(e):
            if k.startswith("MERIDIAN_"):
                del e[k]
        e.update(env or {})
        self.log = open(os.path.join(os.path.dirname(data), "server-%d.log" % self.port), "wb")
        self.proc = subprocess.Popen(
            [BIN, "serve", "--data", data, "--listen", "127.0.0.1:%d" % self.port, *extra],
            stdout=subprocess.DEVNULL, stderr=self.log, env=e)
        self.base = "http://127.0.0.1:%d" % self.port
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited with %d" % self.proc.returncode)
            try:
                if req(self, "GET", "/health")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server did not become healthy")

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def logtext(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log.name, "rb") as f:
            return f.read().decode("utf-8", "replace")


def req(srv, method, path, body=None, headers=None, raw=False, timeout=30):
    h = dict(headers or {})
    data = None
    if body is not None:
        if isinstance(body, (bytes, bytearray)):
            data = bytes(body)
            h.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            data = body.encode()
            h.setdefault("Content-Type", "application/json")
        else:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
    r = urllib.request.Request(srv.base + path, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(r, timeout=timeout) as resp:
            status, hdrs, payload = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        status, hdrs, payload = e.code, e.headers, e.read()
    if raw:
        return status, hdrs, payload
    try:
        parsed = json.loads(payload) if payload else None
    except ValueError:
        parsed = payload
    return status, parsed, hdrs


def check(name, cond, detail=""):
    if cond:
        RESULTS["passed"] += 1
    else:
        RESULTS["failed"] += 1
        print("FAIL: %s %s" % (name, detail))


def run(name, fn):
    """Runs one group of checks; an exception counts as one failure and the next group runs."""
    try:
        fn()
    except Exception:  # noqa: BLE001 - report and continue with the other groups
        RESULTS["failed"] += 1
        print("FAIL: %s raised:\n%s" % (name, traceback.format_exc()))


def summary():
    """Prints the counts; the exit code of a test script (1 when anything failed)."""
    print("%d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]))
    return 1 if RESULTS["failed"] else 0


def is_error(body, typ=None):
    return (isinstance(body, dict) and isinstance(body.get("error"), dict) and "type" in body["error"]
            and "reason" in body["error"] and (typ is None or body["error"]["type"] == typ))


def test_core(srv):
    s, b, h = req(srv, "GET", "/health")
    check("health", s == 200 and b == {"status": "ok"}, b)
    check("request id generated", len(h.get("X-Request-Id", "")) == 32)
    s, b, h = req(srv, "GET", "/health", headers={"X-Request-Id": "my-req-1"})
    check("request id echoed", h.get("X-Request-Id") == "my-req-1")
    s, b, _ = req(srv, "GET", "/v1/openapi.json")
    check("openapi", s == 200 and b.get("openapi", "").startswith("3.") and "/v1/indexes/{index}/search" in b["paths"])

    s, b, _ = req(srv, "PUT", "/v1/indexes/cities", {"fields": {"name": "text", "country": "keyword", "pop": "int",
                                                               "location": "geo_point"}, "id_field": "id"})
    check("create index", s == 201, (s, b))
    s, b, _ = req(srv, "PUT", "/v1/indexes/cities", {})
    check("create existing 409", s == 409 and is_error(b), (s, b))
    s, b, _ = req(srv, "PUT", "/v1/indexes/..%2Fetc", {})
    check("bad index name 400", s in (400, 404) and is_error(b), (s, b))
    s, b, _ = req(srv, "PUT", "/v1/indexes/Bad!Name", {})
    check("bad index name charset 400", s == 400 and is_error(b), (s, b))
    s, b, _ = req(srv, "PUT", "/v1/indexes/dyn")
    check("create index without schema", s == 201, (s, b))
    s, b, _ = req(srv, "PUT", "/v1/indexes/bad", {"fields": {"x": "nonsense"}})
    check("bad schema 400", s == 400 and is_error(b), (s, b))
    s, b, _ = req(srv, "GET", "/v1/indexes")
    names = [i["name"] for i in b["indexes"]]
    check("list indexes", s == 200 and "cities" in names and "dyn" in names, b)
    s, b, _ = req(srv, "GET", "/v1/indexes/nope")
    check("unknown index 404", s == 404 and is_error(b, "not_found"), (s, b))

    # documents
    s, b, _ = req(srv, "PUT", "/v1/indexes/cities/docs/1?refresh=wait_for",
                  {"name": "Paris", "country": "FR", "pop": 2100000, "location": {"lat": 48.85, "lon": 2.35}})
    check("put doc 201", s == 201 and b["result"] == "created", (s, b))
    s, b, _ = req(srv, "PUT", "/v1/indexes/cities/docs/1", {"name": "Paris", "country": "FR", "pop": 2200000,
                                                           "location": {"lat": 48.85, "lon": 2.35}})
    check("replace doc 200", s == 200 and b["result"] == "updated", (s, b))
    s, b, _ = req(srv, "GET", "/v1/indexes/cities/docs/1")
    check("get doc", s == 200 and b["source"]["pop"] == 2200000 and b["id"] == "1", (s, b))
    s, b, _ = req(srv, "GET", "/v1/indexes/cities/docs/404")
    check("get unknown doc 404", s == 404 and is_error(b, "not_found"), (s, b))
    s, b, _ = req(srv, "PUT", "/v1/indexes/cities/docs/2", {"id": "3", "name": "x"})
    check("id mismatch 400", s == 400 and is_error(b), (s, b))
    s, b, _ = req(srv, "PUT", "/v1/indexes/cities/docs/2", "[1,2]")
    check("non-object doc 400", s == 400 and is_error(b), (s, b))
    s, b, _ = req(srv, "PUT", "/v1/indexes/cities/docs/2", '{"name": "unterminated')
    check("malformed json 400", s == 400 and is_error(b), (s, b))
    s, b, _ = req(srv, "PUT", "/v1/indexes/cities/docs/2", b'{"name": "bad \xff utf8"}')
    check("invalid utf-8 400 with column", s == 400 and is_error(b) and b["error"].get("column") == 15, (s, b))
    s, b, _ = req(srv, "PUT", "/v1/indexes/cities/docs/2", "[" * 100000 + "]" * 100000)
    check("deep nesting 400", s == 400 and is_error(b), (s, b))
    s, b, _ = req(srv, "PUT", "/v1/indexes/cities/docs/2", {"pop": "not a number"})
    check("wrong field type 400", s == 400 and is_error(b), (s, b))
    s, b, _ = req(srv, "PUT", "/v1/indexes/cities/docs/2?refresh=sometimes", {"name": "x"})
    check("bad refresh 400", s == 400 and is_error(b), (s, b))
    s, b, _ = req(srv, "DELETE", "/v1/indexes/cities/docs/1?refresh=wait_for")
    check("delete doc", s == 200 and b["result"] == "deleted", (s, b))
    s, b, _ = req(srv, "DELETE", "/v1/indexes/cities/docs/1")
    check("delete unknown doc 404", s == 404 and is_error(b), (s, b))

    # bulk: NDJSON with mixed lines
    lines = [
        json.dumps({"id": "p", "name": "Paris", "country": "FR", "pop": 2100000, "location": {"lat": 48.85, "lon": 2.35}}),
        "{not json",
        json.dumps({"id": "b", "name": "Berlin", "country": "DE", "pop": 3600000, "location": {"lat": 52.52, "lon": 13.4}}),
        "",
        json.dumps({"id": "x", "pop": "many"}),
        "42",
        json.dumps({"id": "l", "name": "Lyon", "country": "FR", "pop": 500000, "location": {"lat": 45.76, "lon": 4.83}}),
    ]
    s, b, _ = req(srv, "POST", "/v1/indexes/cities/docs?refresh=wait_for", "\n".join(lines) + "\n",
                  headers={"Content-Type": "application/x-ndjson"})
    check("bulk status", s == 200, (s, b))
    errs = {e["line"]: e for e in b.get("errors", [])}
    check("bulk counts", b.get("indexed") == 3 and len(errs) == 3, b)
    check("bulk error lines", sorted(errs) == [2, 5, 6], errs)
    check("bulk error id", errs.get(5, {}).get("id") == "x" and errs.get(2, {}).get("id") is None, errs)
    check("bulk error text", all(isinstance(e.get("error"), str) and e["error"] for e in errs.values()), errs)
    s, b, _ = req(srv, "POST", "/v1/indexes/cities/docs?refresh=wait_for",
                  [{"id": "m", "name": "Madrid", "country": "ES", "pop": 3200000}, "nope"])
    check("bulk json array", s == 200 and b["indexed"] == 1 and b["errors"][0]["line"] == 2, b)
    s, b, _ = req(srv, "POST", "/v1/indexes/cities/docs", "<xml/>", headers={"Content-Type": "application/xml"})
    check("bulk wrong content type 415", s == 415 and is_error(b), (s, b))

    # search finds what wait_for made visible
    s, b, _ = req(srv, "POST", "/v1/indexes/cities/search", {"q": "paris"})
    check("search post", s == 200 and b["total"]["value"] == 1 and b["hits"][0]["id"] == "p"
          and "took_ms" in b and "score" in b["hits"][0] and b["hits"][0]["source"]["name"] == "Paris", (s, b))
    s, b, _ = req(srv, "GET", "/v1/indexes/cities/search?q=lyon&size=5")
    check("search get", s == 200 and [h["id"] for h in b["hits"]] == ["l"], (s, b))
    s, b, _ = req(srv, "POST", "/v1/indexes/cities/search", {"filter": {"term": {"country": "FR"}}, "size": 10})
    check("search filter", s == 200 and sorted(h["id"] for h in b["hits"]) == ["l", "p"], (s, b))
    # The same filter again (another size, so not from the query cache): its bitmap comes from the filter cache.
    s, b, _ = req(srv, "POST", "/v1/indexes/cities/search", {"filter": {"term": {"country": "FR"}}, "size": 9})
    check("search filter again", s == 200 and sorted(h["id"] for h in b["hits"]) == ["l", "p"], (s, b))
    s, _, payload = req(srv, "GET", "/metrics", raw=True)
    fc = {l.split()[0]: float(l.split()[1]) for l in payload.decode().splitlines()
          if l.startswith("meridian_filter_cache_")}
    check("filter cache on /metrics", fc.get("meridian_filter_cache_hits_total", 0) >= 1
          and fc.get("meridian_filter_cache_entries", 0) >= 1 and 0 < fc.get("meridian_filter_cache_bytes", 0) <= 64 << 20,
          fc)
    s, b, _ = req(srv, "GET", "/v1/indexes/cities/search?near=48.85,2.35&radius=600km&sort=_geo_distance:asc")
    check("search geo", s == 200 and b["hits"] and b["hits"][0]["id"] == "p", (s, b))
    s, b, _ = req(srv, "GET", "/v1/indexes/cities/search?near=48.85,2.35&radius=600km&sort=_geo_distance:asc"
                  "&source=false")
    check("search source=false", s == 200 and b["hits"] and b["hits"][0]["id"] == "p"
          and all("source" not in h and "distance_m" in h for h in b["hits"]), (s, b))
    s, b, _ = req(srv, "POST", "/v1/indexes/cities/search", {"q": "paris", "source": False})
    check("search source false", s == 200 and b["total"]["value"] == 1 and b["hits"][0]["id"] == "p"
          and "source" not in b["hits"][0], (s, b))
    # Every match of a geo filter alone: constant scores, so in write order; GET and POST write the
    # same bytes (the response is written straight into the body), took_ms aside.
    s1, _, g = req(srv, "GET", "/v1/indexes/cities/search?bbox=60,-10,40,20&size=10000&source=false", raw=True)
    s2, _, pb = req(srv, "POST", "/v1/indexes/cities/search", {"filter": {"geo_bounding_box": {"location": {
        "top": 60, "left": -10, "bottom": 40, "right": 20}}}, "size": 10000, "source": False}, raw=True)
    gj = json.loads(g)
    orders = [h["sort"][1] for h in gj["hits"]]
    masked = [re.sub(rb'"took_ms":[^,}]*', b"", x) for x in (g, pb)]
    check("geo filter: every id in write order", s1 == 200 and s2 == 200
          and sorted(h["id"] for h in gj["hits"]) == ["b", "l", "p"] and gj["total"]["value"] == 3
          and orders == sorted(orders) and len(set(orders)) == 3
          and b'"score":1.0,"sort":[1.0,' in g and masked[0] == masked[1], (g, pb))
    s, b, _ = req(srv, "POST", "/v1/indexes/cities/search", {"q": "paris", "source": "no"})
    check("search bad source 400", s == 400 and is_error(b) and b["error"].get("path") == "source", (s, b))
    s, b, _ = req(srv, "POST", "/v1/indexes/cities/search", {"size": "ten"})
    check("search bad size 400 with path", s == 400 and is_error(b) and b["error"].get("path") == "size", (s, b))
    s, b, _ = req(srv, "POST", "/v1/indexes/cities/search", "{")
    check("search malformed 400", s == 400 and is_error(b), (s, b))
    s, b, _ = req(srv, "GET", "/v1/indexes/cities/search?bogus=1")
    check("search unknown param 400", s == 400 and is_error(b), (s, b))
    s, b, _ = req(srv, "POST", "/v1/indexes/nope/search", {"q": "x"})
    check("search unknown index 404", s == 404 and is_error(b), (s, b))
    # cache: second identical request is a hit; a write + refresh invalidates
    req(srv, "POST", "/v1/indexes/cities/search", {"q": "berlin"})
    s, b, h = req(srv, "POST", "/v1/indexes/cities/search", {"q": "berlin"})
    check("cache hit", h.get("X-Cache") == "hit" and b["total"]["value"] == 1, dict(h))
    req(srv, "PUT", "/v1/indexes/cities/docs/b2?refresh=wait_for", {"name": "Berlin", "country": "US"})
    s, b, h = req(srv, "POST", "/v1/indexes/cities/search", {"q": "berlin"})
    check("cache invalidated by refresh", b["total"]["value"] == 2, b)

    # gzip when asked
    s, hd, payload = req(srv, "GET", "/v1/openapi.json", headers={"Accept-Encoding": "gzip"}, raw=True)
    check("gzip", hd.get("Content-Encoding") == "gzip" and json.loads(gzip.decompress(payload))["openapi"], dict(hd))

    # analyze
    s, b, _ = req(srv, "POST", "/v1/analyze", {"text": "The running dogs", "language": "en"})
    check("analyze", s == 200 and [t["token"] for t in b["tokens"]] == ["the", "run", "dog"], (s, b))
    s, b, _ = req(srv, "POST", "/v1/analyze", {"text": 5})
    check("analyze bad text 400", s == 400 and b["error"].get("path") == "text", (s, b))
    s, b, _ = req(srv, "POST", "/v1/analyze", {"text": "x", "language": "!!"})
    check("analyze bad language 400", s == 400 and is_error(b), (s, b))

    # index info and drop
    s, b, _ = req(srv, "GET", "/v1/indexes/cities")
    check("get index", s == 200 and "fields" in b["schema"] and b["stats"]["docs"] >= 4, (s, b))
    s, b, _ = req(srv, "GET", "/v1/nothing")
    check("unknown route 404 json", s == 404 and is_error(b), (s, b))
    s, b, _ = req(srv, "DELETE", "/v1/indexes/dyn")
    check("drop index", s == 200, (s, b))
    s, b, _ = req(srv, "DELETE", "/v1/indexes/dyn")
    check("drop unknown index 404", s == 404 and is_error(b), (s, b))

    s, _, payload = req(srv, "GET", "/metrics", raw=True)
    text = payload.decode()
    check("metrics", s == 200 and 'meridian_http_requests_total{route="/v1/indexes/{index}/search",method="POST",status="200"}' in text
          and 'meridian_index_documents{index="cities"}' in text and "meridian_cache_hit_ratio" in text
          and "meridian_http_request_duration_seconds_bucket" in text, text[:500])
    log = srv.logtext()
    line = [l for l in log.splitlines() if '"my-req-1"' in l]
    check("access log line", line and json.loads(line[0])["route"] == "/health", line)


def test_body_limit(tmp):
    srv = Server(os.path.join(tmp, "limit"), ["--max-body", "1K"])
    try:
        req(srv, "PUT", "/v1/indexes/t")
        s, b, _ = req(srv, "POST", "/v1/indexes/t/docs", "x" * 5000, headers={"Content-Type": "application/x-ndjson"})
        check("413 body too large", s == 413 and is_error(b), (s, b))
        check("still healthy after 413", req(srv, "GET", "/health")[0] == 200)
    finally:
        srv.stop()


def test_auth(tmp):
    srv = Server(os.path.join(tmp, "auth"), ["--master-key", MASTER])
    M = {"Authorization": "Bearer " + MASTER}
    try:
        check("health needs no key", req(srv, "GET", "/health")[0] == 200)
        s, b, _ = req(srv, "GET", "/v1/indexes")
        check("401 missing key", s == 401 and is_error(b, "unauthorized"), (s, b))
        s, b, _ = req(srv, "GET", "/v1/indexes", headers={"Authorization": "Bearer wrong"})
        check("401 unknown key", s == 401 and is_error(b), (s, b))
        check("master can create", req(srv, "PUT", "/v1/indexes/cities", headers=M)[0] == 201)
        check("master can create 2", req(srv, "PUT", "/v1/indexes/towns", headers=M)[0] == 201)
        s, key, _ = req(srv, "POST", "/v1/keys", {"name": "app", "scopes": ["search"], "indexes": ["cities*"]}, headers=M)
        check("create key", s == 201 and key["key"] and key["scopes"] == ["search"], (s, key))
        s, wkey, _ = req(srv, "POST", "/v1/keys", {"scopes": ["write", "search"], "indexes": ["cities"]}, headers=M)
        s2, bad, _ = req(srv, "POST", "/v1/keys", {"scopes": ["god"]}, headers=M)
        check("bad scope 400", s2 == 400 and is_error(bad), bad)
        S = {"Authorization": "Bearer " + key["key"]}
        W = {"Authorization": "Bearer " + wkey["key"]}
        s, b, _ = req(srv, "GET", "/v1/keys", headers=M)
        check("list keys without secrets", s == 200 and len(b["keys"]) == 2 and all("key" not in k and "hash" not in k
                                                                                  for k in b["keys"]), b)
        check("search key can search", req(srv, "POST", "/v1/indexes/cities/search", {"q": "x"}, headers=S)[0] == 200)
        s, b, _ = req(srv, "POST", "/v1/indexes/towns/search", {"q": "x"}, headers=S)
        check("403 other index", s == 403 and is_error(b, "forbidden"), (s, b))
        check("403 other index names the pattern, not the scope",
              b["error"]["reason"] == "this key's index patterns [\"cities*\"] do not cover index 'towns'", b)
        s, b, _ = req(srv, "PUT", "/v1/indexes/cities/docs/1", {"name": "x"}, headers=S)
        check("403 search key writes", s == 403, (s, b))
        check("403 search key writes names the scope",
              b["error"]["reason"] == "this key lacks the 'write' scope (it has: search)", b)
        s, b, _ = req(srv, "POST", "/v1/multi-search", {"searches": [{"index": "towns", "q": "x"}]}, headers=S)
        check("multi-search 403 names the pattern", s == 200 and "do not cover index 'towns'" in b["responses"][0]["error"]["reason"], (s, b))
        s, b, _ = req(srv, "PUT", "/v1/indexes/cities/docs/1", {"name": "x"}, headers=W)
        check("write key writes", s == 201, (s, b))
        s, b, _ = req(srv, "DELETE", "/v1/indexes/cities", headers=W)
        check("403 write key drops index", s == 403, (s, b))
        s, b, _ = req(srv, "POST", "/v1/keys", {"scopes": ["admin"]}, headers=W)
        check("403 write key manages keys", s == 403, (s, b))
        s, b, _ = req(srv, "GET", "/v1/indexes", headers=S)
        check("list filtered by key patterns", [i["name"] for i in b["indexes"]] == ["cities"], b)
        with open(os.path.join(srv.data, "keys.json"), "rb") as f:
            stored = f.read()
        check("keys stored as hashes only", key["key"].encode() not in stored and MASTER.encode() not in stored)
        s, b, _ = req(srv, "DELETE", "/v1/keys/" + key["id"], headers=M)
        check("revoke key", s == 200, (s, b))
        check("revoked key 401", req(srv, "POST", "/v1/indexes/cities/search", {}, headers=S)[0] == 401)
        check("delete unknown key 404", req(srv, "DELETE", "/v1/keys/nope", headers=M)[0] == 404)
    finally:
        srv.stop()
    # keys persist across a restart
    srv = Server(os.path.join(tmp, "auth"), [], env={"MERIDIAN_MASTER_KEY": MASTER})
    try:
        W = {"Authorization": "Bearer " + wkey["key"]}
        check("key survives restart", req(srv, "GET", "/v1/indexes/cities/docs/1", headers=W)[0] == 200)
    finally:
        srv.stop()


def test_refuses_public_without_key(tmp):
    p = subprocess.run([BIN, "serve", "--data", os.path.join(tmp, "pub"), "--listen", "0.0.0.0:%d" % free_port()],
                       capture_output=True, timeout=30)
    check("refuses non-loopback without key", p.returncode != 0 and b"master key" in p.stderr, p.stderr)
    p = subprocess.run([BIN, "serve", "--threads", "zero"], capture_output=True, timeout=30)
    check("bad flag exit 2", p.returncode == 2 and b"--threads" in p.stderr, p.stderr)


def test_rate_limit(tmp):
    srv = Server(os.path.join(tmp, "rate"), ["--rate-limit", "2", "--rate-burst", "3"])
    try:
        codes = [req(srv, "GET", "/v1/indexes")[0] for _ in range(6)]
        check("burst then 429", codes[:3] == [200] * 3 and 429 in codes[3:], codes)
        s, b, h = req(srv, "GET", "/v1/indexes")
        check("429 body and Retry-After", s == 429 and is_error(b, "rate_limited") and int(h.get("Retry-After", "0")) >= 1,
              (s, b, dict(h)))
        check("health not limited", req(srv, "GET", "/health")[0] == 200)
        # A refused request with a large body on a keep-alive connection: the
        # body must not be read as the next request on that connection.
        import http.client
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
        big = json.dumps({"q": "x", "pad": "y" * 2_000_000})
        c.request("POST", "/v1/indexes/nope/search", body=big, headers={"Content-Type": "application/json"})
        r = c.getresponse()
        body = r.read()
        check("429 with a large body", r.status == 429 and is_error(json.loads(body), "rate_limited"), (r.status, body[:200]))
        time.sleep(1.1)
        c.request("GET", "/health")
        r = c.getresponse()
        check("same connection still in sync after the refused body", r.status == 200 and b"ok" in r.read(), r.status)
        c.close()
        time.sleep(1.1)
        check("refills", req(srv, "GET", "/v1/indexes")[0] == 200)
    finally:
        srv.stop()


def sse_reader(srv, path, events, stop, headers=None):
    h = {"Accept": "text/event-stream"}
    h.update(headers or {})
    r = urllib.request.Request(srv.base + path, headers=h)
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            ev = {}
            for raw in resp:
                if stop.is_set():
                    break
                line = raw.decode().rstrip("\n")
                if line == "":
                    if ev:
                        events.append(ev)
                    ev = {}
                elif line.startswith(":"):
                    events.append({"comment": line})
                else:
                    k, _, v = line.partition(": ")
                    ev[k] = v
    except Exception as e:  # noqa: BLE001 - the stream ends when the server stops
        events.append({"closed": str(e)})


def wait_for(pred, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def test_watch(tmp):
    srv = Server(os.path.join(tmp, "watch"))
    try:
        req(srv, "PUT", "/v1/indexes/w", {"fields": {"title": "text", "kind": "keyword"}})
        events, stop = [], threading.Event()
        t = threading.Thread(target=sse_reader, args=(srv, "/v1/indexes/w/watch?q=apple&heartbeat_ms=200", events, stop),
                             daemon=True)
        t.start()
        wait_for(lambda: any("comment" in e for e in events))
        req(srv, "PUT", "/v1/indexes/w/docs/1?refresh=wait_for", {"title": "red apple", "kind": "fruit"})
        req(srv, "PUT", "/v1/indexes/w/docs/2?refresh=wait_for", {"title": "banana", "kind": "fruit"})
        req(srv, "DELETE", "/v1/indexes/w/docs/1?refresh=wait_for")
        req(srv, "DELETE", "/v1/indexes/w/docs/2?refresh=wait_for")
        got = lambda: [e for e in events if e.get("event") in ("match", "delete")]
        check("sse match + delete", wait_for(lambda: len(got()) >= 2), events)
        evs = got()
        check("sse match carries the document", evs and evs[0]["event"] == "match"
              and json.loads(evs[0]["data"])["source"]["title"] == "red apple", evs)
        check("sse delete of the matching doc only", len(evs) == 2 and evs[1]["event"] == "delete"
              and json.loads(evs[1]["data"])["id"] == "1", evs)
        check("sse heartbeat", wait_for(lambda: any(e.get("comment") == ": heartbeat" for e in events)))
        first_id = int(evs[0]["id"])
        stop.set()
        # resume from the first event: the delete is replayed, nothing before it
        events2, stop2 = [], threading.Event()
        t2 = threading.Thread(target=sse_reader, args=(srv, "/v1/indexes/w/watch?q=apple&heartbeat_ms=200", events2, stop2,
                                                        {"Last-Event-ID": str(first_id - 1)}), daemon=True)
        t2.start()
        check("sse resume replays", wait_for(lambda: len([e for e in events2 if e.get("event") in ("match", "delete")]) >= 2),
              events2)
        r = [e for e in events2 if e.get("event") in ("match", "delete")]
        check("sse resume order", [e["event"] for e in r[:2]] == ["match", "delete"] and int(r[0]["id"]) == first_id, r)
        stop2.set()
        s, b, _ = req(srv, "GET", "/v1/indexes/w/watch?q=apple", headers={"Last-Event-ID": "x"})
        check("sse bad Last-Event-ID 400", s == 400 and is_error(b), (s, b))
        # Dropping the index ends its streams, with a last event saying so.
        events3, stop3 = [], threading.Event()
        t3 = threading.Thread(target=sse_reader, args=(srv, "/v1/indexes/w/watch?q=apple&heartbeat_ms=200", events3, stop3),
                              daemon=True)
        t3.start()
        wait_for(lambda: any("comment" in e for e in events3))
        req(srv, "DELETE", "/v1/indexes/w")
        t3.join(10)
        closed = [e for e in events3 if e.get("event") == "closed"]
        check("sse ends with event: closed when its index is dropped", not t3.is_alive() and len(closed) == 1
              and json.loads(closed[0]["data"]) == {"reason": "index 'w' was dropped"}, events3[-3:])
    finally:
        code = srv.stop()
        check("stops with open streams, exit 0", code == 0, code)


def test_shutdown_and_restart(tmp):
    data = os.path.join(tmp, "durable")
    srv = Server(data)
    acked = set()
    lock = threading.Lock()
    try:
        req(srv, "PUT", "/v1/indexes/d", {"fields": {"n": "int"}})

        def writer(wid):
            for i in range(100000):
                doc_id = "w%d-%d" % (wid, i)
                try:
                    s, _, _ = req(srv, "PUT", "/v1/indexes/d/docs/" + doc_id, {"n": i}, timeout=10)
                except Exception:  # noqa: BLE001 - the server went away mid-request
                    return
                if s in (200, 201):
                    with lock:
                        acked.add(doc_id)
        threads = [threading.Thread(target=writer, args=(w,), daemon=True) for w in range(4)]
        for t in threads:
            t.start()
        time.sleep(1.5)
        code = srv.stop(signal.SIGTERM)
        for t in threads:
            t.join(10)
        check("SIGTERM with in-flight writes exits 0", code == 0, code)
        check("some writes were acknowledged", len(acked) > 10, len(acked))
        check("clean shutdown logged", "stopped cleanly" in srv.logtext())
    finally:
        srv.stop()
    srv = Server(data)
    try:
        missing = [d for d in sorted(acked) if req(srv, "GET", "/v1/indexes/d/docs/" + d)[0] != 200]
        check("restart keeps every acknowledged write", not missing, missing[:5])
        s, b, _ = req(srv, "GET", "/v1/indexes/d")
        check("restart doc count", s == 200 and b["stats"]["docs"] >= len(acked), (b, len(acked)))
    finally:
        srv.stop()


def test_typos(tmp):
    """Typo tolerance of q on surface words (docs/QUERY.md, "Typo tolerance"), and the
    seg-N.words file on disk."""
    data = os.path.join(tmp, "typos")
    srv = Server(data)
    try:
        s, b, _ = req(srv, "PUT", "/v1/indexes/t", {"fields": {"body": {"type": "text", "language": "en"}}})
        check("typos: create", s == 201, (s, b))
        docs = {"c": "The constitution of the republic", "k": "constant values", "p": "Paris",
                "m": "Mary", "b": "Bari", "r": "RDF reader library", "d": "PDF reader for documents",
                "run": "running shoes"}
        for i, text in docs.items():
            s, b, _ = req(srv, "PUT", "/v1/indexes/t/docs/%s?refresh=wait_for" % i, {"body": text})
            check("typos: put " + i, s in (200, 201), (s, b))

        def ids(q):
            s, b, _ = req(srv, "GET", "/v1/indexes/t/search?q=" + urllib.request.quote(q))
            check("typos: search " + q, s == 200, (s, b))
            return [h["id"] for h in b.get("hits", [])]
        check("typos: constituion finds constitution first", ids("constituion")[:1] == ["c"], ids("constituion"))
        check("typos: paris is Paris only", ids("paris") == ["p"], ids("paris"))
        check("typos: pdf reader ranks PDF first, never RDF", ids("pdf reader") == ["d"], ids("pdf reader"))
        check("typos: runs matches running through its stem", ids("runs") == ["run"], ids("runs"))
    finally:
        code = srv.stop()
    check("typos: clean stop", code == 0, code)
    idx_dir = os.path.join(data, "indexes", "t")
    words = [n for n in os.listdir(idx_dir) if n.endswith(".words")]
    check("typos: segments carry a .words file", len(words) >= 1, os.listdir(idx_dir))


def test_term_cache(tmp):
    """A common word's bitmap is decoded once per segment and kept (meridian_term_cache_*);
    --term-cache-bytes 0 keeps nothing; a bad size is refused naming the flag."""
    def term_cache(srv):
        _, _, payload = req(srv, "GET", "/metrics", raw=True)
        return {l.split()[0]: float(l.split()[1]) for l in payload.decode().splitlines()
                if l.startswith("meridian_term_cache_")}

    def load(srv):
        req(srv, "PUT", "/v1/indexes/t", {"fields": {"body": {"type": "text"}}})
        # 6,000 documents, every other one with "river" (3,000 scattered documents: a
        # bitmap of ~6 KB, kept), the others with "lake".
        lines = [json.dumps({"id": str(i), "body": "river bank" if i % 2 == 0 else "lake shore"})
                 for i in range(6000)]
        s, b, _ = req(srv, "POST", "/v1/indexes/t/docs?refresh=wait_for", "\n".join(lines) + "\n",
                      headers={"Content-Type": "application/x-ndjson"})
        check("term cache: bulk", s == 200 and b.get("indexed") == 6000, (s, b))
        for size in (3, 4, 5, 6):  # distinct sizes: not answered by the query cache
            s, b, _ = req(srv, "GET", "/v1/indexes/t/search?q=river&size=%d&track_total_hits=true" % size)
            check("term cache: search %d" % size, s == 200 and b["total"]["value"] == 3000 and len(b["hits"]) == size,
                  (s, b.get("total")))

    srv = Server(os.path.join(tmp, "termcache"))
    try:
        load(srv)
        tc = term_cache(srv)
        check("term cache on /metrics", tc.get("meridian_term_cache_entries", 0) >= 1
              and tc.get("meridian_term_cache_hits_total", 0) >= 1
              and 1024 <= tc.get("meridian_term_cache_bytes", 0) <= 32 << 20
              and "meridian_term_cache_misses_total" in tc and "meridian_term_cache_evictions_total" in tc, tc)
    finally:
        srv.stop()
    srv = Server(os.path.join(tmp, "termcache-off"), ["--term-cache-bytes", "0"])
    try:
        load(srv)
        tc = term_cache(srv)
        check("term cache off", tc.get("meridian_term_cache_entries") == 0 and tc.get("meridian_term_cache_bytes") == 0, tc)
    finally:
        srv.stop()
    p = subprocess.run([BIN, "serve", "--data", os.path.join(tmp, "termcache-bad"), "--term-cache-bytes", "lots"],
                       capture_output=True, text=True, timeout=30)
    check("term cache bad size", p.returncode != 0 and "--term-cache-bytes" in p.stderr, (p.returncode, p.stderr))


def main():
    tmp = tempfile.mkdtemp(prefix="meridian-e2e-server-")
    srv = None
    try:
        srv = Server(os.path.join(tmp, "core"))
        for name, fn in [("core", lambda: test_core(srv))]:
            run(name, fn)
        srv.stop()
        srv = None
        for name, fn in [("body_limit", test_body_limit), ("auth", test_auth),
                         ("public", test_refuses_public_without_key), ("rate_limit", test_rate_limit),
                         ("watch", test_watch), ("shutdown", test_shutdown_and_restart),
                         ("typos", test_typos), ("term_cache", test_term_cache)]:
            run(name, lambda fn=fn: fn(tmp))
    finally:
        if srv:
            srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
