#!/usr/bin/env python3
"""End-to-end test of the route table (fail-closed routing, docs/API.md).

Usage: server_routes_test.py PATH/TO/meridian
Starts the real binary with auth on, walks the OpenAPI document it serves and
proves over real HTTP that every documented operation demands the scope it
documents (401 without a key, 403 with a key lacking the scope, neither with
a key that has it), and that unknown paths and methods are refused after
authentication. Prints "N passed, M failed"; exits non-zero on failure.
"""
import http.client
import json
import os
import re
import shutil
import sys
import tempfile
import traceback

from server_test import MASTER, RESULTS, Server, check, is_error


def call(srv, method, path, key=None, body=None):
    """(status, headers, parsed JSON or None); never reads a stream's body."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    h = {}
    if key:
        h["Authorization"] = "Bearer " + key
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=h)
    r = conn.getresponse()
    parsed = None
    if "event-stream" not in r.getheader("Content-Type", ""):
        raw = r.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw
    conn.close()
    return r.status, r.headers, parsed


def concrete(tmpl):
    return re.sub(r"\{[a-z_]+\}", "x1", tmpl.replace("{index}", "cities"))


def make_key(srv, scopes):
    s, _, b = call(srv, "POST", "/v1/keys", MASTER, {"name": "+".join(scopes), "scopes": scopes})
    assert s == 201, (s, b)
    return b["key"]


def test_openapi_walk(srv):
    s, _, _ = call(srv, "PUT", "/v1/indexes/cities", MASTER, {"fields": {"name": "text"}})
    check("create index", s in (201, 409), s)
    keys = {"search": make_key(srv, ["search"]), "write": make_key(srv, ["write"]),
            "admin": make_key(srv, ["admin"])}
    lacking = {"search": make_key(srv, ["write"]), "write": make_key(srv, ["search"]),
               "admin": make_key(srv, ["search", "write"])}
    s, _, doc = call(srv, "GET", "/v1/openapi.json")
    check("openapi served without a key", s == 200 and "paths" in doc, s)
    ops = []
    for tmpl, item in doc["paths"].items():
        for method, op in item.items():
            if method in ("get", "put", "post", "patch", "delete"):
                ops.append((tmpl, method.upper(), op))
    check("openapi has operations", len(ops) >= 20, len(ops))
    # Destructive operations last, so the index is there for the others.
    ops.sort(key=lambda o: o[1] == "DELETE")
    for tmpl, method, op in ops:
        path = concrete(tmpl)
        name = "%s %s" % (method, tmpl)
        if op.get("security") == []:
            s, _, _ = call(srv, method, path)
            check(name + ": public", s not in (401, 403), s)
            continue
        scope = op.get("x-meridian-scope")
        check(name + ": documents its scope", scope in keys, op)
        if scope not in keys:
            continue
        s, h, b = call(srv, method, path)
        check(name + ": 401 without a key", s == 401 and is_error(b, "unauthorized")
              and h.get("WWW-Authenticate") == "Bearer", (s, b))
        s, _, b = call(srv, method, path, "not-a-key-at-all-0000")
        check(name + ": 401 with an unknown key", s == 401, s)
        s, _, b = call(srv, method, path, lacking[scope])
        check(name + ": 403 without the '%s' scope" % scope, s == 403 and is_error(b, "forbidden"), (s, b))
        s, _, b = call(srv, method, path, keys[scope])
        check(name + ": allowed with the '%s' scope" % scope, s not in (401, 403), (s, b))


def test_unknown_routes(srv):
    search = make_key(srv, ["search"])
    for method, path in [("GET", "/v1/nope"), ("POST", "/v1/indexes/cities/nope"), ("GET", "/v1/indexes/"),
                         ("DELETE", "/_admin"), ("GET", "/v1/indexes/cities/docs/1/more")]:
        name = "%s %s" % (method, path)
        s, h, b = call(srv, method, path)
        check(name + ": 401 before anything else", s == 401 and is_error(b, "unauthorized"), (s, b))
        s, h, b = call(srv, method, path, search, body={"x": 1} if method == "POST" else None)
        check(name + ": 404 once authenticated", s == 404 and is_error(b, "not_found"), (s, b))
    s, h, b = call(srv, "DELETE", "/v1/indexes")
    check("wrong method: 401 first", s == 401, s)
    s, h, b = call(srv, "DELETE", "/v1/indexes", search)
    check("wrong method: 405 with Allow", s == 405 and h.get("Allow") == "GET" and is_error(b), (s, dict(h), b))
    s, h, b = call(srv, "POST", "/health")
    check("a public path's other methods are not public", s == 401, s)
    s, h, b = call(srv, "OPTIONS", "/v1/indexes/cities/search")
    check("OPTIONS on a known path: no key needed", s == 204 and "POST" in h.get("Allow", ""), (s, dict(h)))
    s, h, b = call(srv, "OPTIONS", "/v1/nope")
    check("OPTIONS on an unknown path: 401", s == 401, s)
    # Refused with a body on a keep-alive connection: the next request still parses.
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    conn.request("POST", "/v1/nope", body=b'{"a": 1}', headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    r.read()
    conn.request("GET", "/health")
    r2 = conn.getresponse()
    check("keep-alive after a refused body", r.status == 401 and r2.status == 200, (r.status, r2.status))
    conn.close()


def test_per_index_checks(srv):
    """Routes whose index is in the body or behind an alias check the key against the real index."""
    for name in ("cities", "towns"):
        call(srv, "PUT", "/v1/indexes/" + name, MASTER, {"fields": {"name": "text"}})
    s, _, b = call(srv, "POST", "/v1/keys", MASTER, {"scopes": ["search"], "indexes": ["cities*"]})
    key = b["key"]
    s, _, b = call(srv, "POST", "/v1/multi-search", key, {"searches": [{"index": "cities", "q": "x"},
                                                                     {"index": "towns", "q": "x"}]})
    statuses = [r.get("status") for r in b["responses"]] if s == 200 else None
    check("multi-search: the key is checked per search", statuses == [200, 403], (s, b))
    s, _, b = call(srv, "PUT", "/v1/aliases/cities-live", MASTER, {"index": "towns"})
    check("alias created", s == 201, (s, b))
    s, _, b = call(srv, "POST", "/v1/indexes/cities-live/search", key, {"q": "x"})
    check("alias: the key needs the scope on the index behind the alias", s == 403, (s, b))
    s, _, b = call(srv, "GET", "/v1/aliases", key)
    check("alias list: only aliases of indexes the key may search", s == 200 and b["aliases"] == {}, (s, b))


def main():
    tmp = tempfile.mkdtemp(prefix="meridian-e2e-routes-")
    srv = None
    try:
        srv = Server(os.path.join(tmp, "data"), extra=["--master-key", MASTER])
        for name, fn in [("unknown", test_unknown_routes), ("per_index", test_per_index_checks),
                         ("openapi_walk", test_openapi_walk)]:
            try:
                fn(srv)
            except Exception:  # noqa: BLE001 - report and continue
                RESULTS["failed"] += 1
                print("FAIL: %s raised:\n%s" % (name, traceback.format_exc()))
    finally:
        if srv:
            srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]))
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
