#!/usr/bin/env python3
"""The OpenSearch-compatible API (docs/COMPAT.md) with the official OpenSearch
JavaScript client: starts `meridian serve` on a free loopback port and runs
tests/compat/opensearch_client_test.js against it (an index with a mapping,
the bulk helper on 10,000 documents, bool/geo_distance searches with
aggregations, update, delete-by-query, alias swap, _cat/indices, _count,
_msearch; every result asserted there). Then a few checks of the raw HTTP
answers a client library hides (HEAD, the error shape, _cat text, GET /
for a browser without the console).

Needs node (Debian nodejs) and tests/compat/node_modules: run scripts/setup
(npm ci). Without them the test FAILS, it does not skip.

Usage: compat_client_test.py PATH/TO/meridian
Prints "N passed, M failed"; exits non-zero on failure.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request

from server_test import RESULTS, Server, check, req

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
COMPAT = os.path.join(ROOT, "tests", "compat")
SCRIPT = os.path.join(COMPAT, "opensearch_client_test.js")


def raw(srv, method, path, body=None, headers=None):
    r = urllib.request.Request(srv.base + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


MASTER = "compat-master-key-0123456789"


def check_auth(data):
    """The compatible routes use the keys and scopes of /v1 (docs/COMPAT.md, General)."""
    srv = Server(data, extra=["--master-key", MASTER])
    try:
        def auth(key):
            return {"Authorization": "Bearer " + key}

        def key(scopes, indexes):
            s, b, _ = req(srv, "POST", "/v1/keys", {"scopes": scopes, "indexes": indexes}, auth(MASTER))
            assert s == 201, (s, b)
            return b["key"]

        search = key(["search"], ["*"])
        writer = key(["write", "search"], ["wa"])
        s, b, _ = req(srv, "GET", "/")
        check("auth: GET / is public", s == 200 and b["version"]["distribution"] == "opensearch", (s, b))
        s, b, _ = req(srv, "GET", "/wa/_search")
        check("auth: a search without a key is 401", s == 401, (s, b))
        for name in ("wa", "other"):
            s, b, _ = req(srv, "PUT", "/" + name, {"mappings": {"properties": {"n": {"type": "integer"}}}}, auth(MASTER))
            check("auth: the master key creates " + name, s == 200, (s, b))
        s, b, _ = req(srv, "PUT", "/wb", {}, auth(writer))
        check("auth: creating an index needs admin", s == 403, (s, b))
        bulk = ('{"index": {"_index": "wa", "_id": "1"}}\n{"n": 1}\n'
                '{"index": {"_index": "other", "_id": "1"}}\n{"n": 2}\n'
                '{"index": {"_index": "wnew", "_id": "1"}}\n{"n": 3}\n')
        s, b, _ = req(srv, "POST", "/_bulk?refresh=true", bulk, dict(auth(writer), **{"Content-Type": "application/x-ndjson"}))
        statuses = [list(it.values())[0]["status"] for it in b["items"]] if s == 200 else None
        check("auth: bulk items outside the key's indexes are 403 each; no index is created without admin",
              s == 200 and statuses == [201, 403, 403] and b["errors"] is True, (s, b))
        s, b, _ = req(srv, "POST", "/_bulk", bulk, dict(auth(search), **{"Content-Type": "application/x-ndjson"}))
        check("auth: a search key cannot bulk", s == 403, (s, b))
        s, b, _ = req(srv, "GET", "/wnew", None, auth(MASTER))
        check("auth: wnew was not created", s == 404, (s, b))
        ms = '{"index": "wa"}\n{"query": {"match_all": {}}}\n{"index": "other"}\n{"query": {"match_all": {}}}\n'
        s, b, _ = req(srv, "POST", "/_msearch", ms, dict(auth(writer), **{"Content-Type": "application/x-ndjson"}))
        check("auth: msearch checks each search's index",
              s == 200 and b["responses"][0]["hits"]["total"]["value"] == 1 and b["responses"][1]["status"] == 403, (s, b))
        s, b, _ = req(srv, "POST", "/_aliases", {"actions": [{"add": {"index": "wa", "alias": "x"}}]}, auth(writer))
        check("auth: _aliases needs admin", s == 403, (s, b))
        s, h, b = raw(srv, "GET", "/_cat/indices?format=json", headers=auth(writer))
        check("auth: _cat/indices lists the indexes the key may search", s == 200 and b'"index":"wa"' in b and b"other" not in b, b)
    finally:
        srv.stop()


def main():
    node = shutil.which("node")
    if not node or not os.path.isdir(os.path.join(COMPAT, "node_modules", "@opensearch-project", "opensearch")):
        print("FAIL: node or tests/compat/node_modules is missing: run scripts/setup "
              "(installs nodejs and runs npm ci in tests/compat)")
        print("0 passed, 1 failed")
        return 1
    tmp = tempfile.mkdtemp(prefix="meridian-e2e-compat-")
    srv = Server(os.path.join(tmp, "data"))
    try:
        p = subprocess.run([node, SCRIPT, srv.base], cwd=COMPAT, capture_output=True, text=True, timeout=600)
        sys.stdout.write(p.stdout)
        sys.stderr.write(p.stderr)
        check("the OpenSearch client test passes", p.returncode == 0 and " 0 failed" in p.stdout, p.stdout[-500:])

        # What the client library does not show.
        s, h, b = raw(srv, "GET", "/")
        check("GET / without Accept: text/html is the cluster info", s == 200 and b'"distribution":"opensearch"' in b, b[:200])
        s, h, b = raw(srv, "HEAD", "/places")
        check("HEAD /places: 200, no body", s == 200 and b == b"", (s, b))
        s, h, b = raw(srv, "HEAD", "/nope")
        check("HEAD /nope: 404", s == 404, s)
        s, body, _ = req(srv, "GET", "/nope/_search")
        check("error shape: root_cause, type, reason, status",
              s == 404 and body["status"] == 404 and body["error"]["type"] == "index_not_found_exception"
              and body["error"]["root_cause"][0]["type"] == "index_not_found_exception" and "reason" in body["error"], body)
        s, body, _ = req(srv, "PUT", "/_bulk")
        check("a segment starting with '_' is never an index: PUT /_bulk is 405", s == 405, (s, body))
        s, native, _ = req(srv, "GET", "/v1/indexes/places")
        s, body, _ = req(srv, "POST", "/_search", {"query": {"match_all": {}}, "size": 1})
        check("/_search without an index searches every index (only places is left)",
              s == 200 and body["hits"]["total"]["value"] == native["stats"]["docs"]
              and body["hits"]["hits"][0]["_index"] == "places", body)
        s, h, b = raw(srv, "GET", "/_cat/indices")
        check("_cat/indices text: a row for places", s == 200 and re.match(r"green +open +places +1 +0 +\d+ ", b.decode()), b)
        s, body, _ = req(srv, "POST", "/places/_bulk", None)
        check("an empty bulk: no items, no errors", s == 200 and body["items"] == [] and body["errors"] is False, body)
        s, h, b = raw(srv, "POST", "/places/_bulk", b'{"index": {}}\n{"x": 1}\n{"bogus": {}}\n{}\n',
                      {"Content-Type": "application/x-ndjson"})
        check("a malformed action line fails the bulk, naming the line", s == 400 and b"line 3" in b, (s, b))
        s, body, _ = req(srv, "POST", "/places/_search?rest_total_hits_as_int=true&size=0", {"query": {"match_all": {}}})
        check("rest_total_hits_as_int: hits.total is a number", s == 200 and body["hits"]["total"] == native["stats"]["docs"], body)
        s, body, _ = req(srv, "PUT", "/places/_doc/occ?if_seq_no=1&if_primary_term=1", {"name": "x"})
        check("optimistic concurrency is refused, not ignored", s == 400 and "if_seq_no" in body["error"]["reason"], body)
        s, body, _ = req(srv, "GET", "/places/_doc/occ")
        check("the refused write did not happen", s == 404 and body["found"] is False, body)
        s, body, _ = req(srv, "PUT", "/places/_mapping", {"properties": {"country": {"type": "keyword"}, "extra": {"type": "float"}}})
        check("put mapping: an unchanged field and a new one", s == 200 and body["acknowledged"] is True, body)
        s, body, _ = req(srv, "PUT", "/places/_mapping", {"properties": {"country": {"type": "integer"}}})
        check("put mapping: a changed type is a 400 illegal_argument_exception",
              s == 400 and body["error"]["type"] == "illegal_argument_exception", body)
        s, body, _ = req(srv, "GET", "/places/_mapping")
        check("put mapping: the new field is mapped", s == 200 and body["places"]["mappings"]["properties"]["extra"]["type"] == "double", body)
        s, body, _ = req(srv, "GET", "/v1/indexes/places")
        check("the native API sees the same index", s == 200 and body["stats"]["docs"] > 0, s)
    finally:
        srv.stop()
    try:
        check_auth(os.path.join(tmp, "auth"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]))
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
