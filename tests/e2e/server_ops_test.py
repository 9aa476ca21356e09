#!/usr/bin/env python3
"""End-to-end tests of the write and maintenance operations (docs/API.md):
partial update (merge patch, upsert), delete by query, explicit refresh,
listing documents with a cursor, schema evolution, aliases (atomic swap,
search and write through an alias, persisted across a restart),
multi-search and CORS.

Usage: server_ops_test.py PATH/TO/meridian
Prints "N passed, M failed"; exits non-zero on failure.
"""
import os
import shutil
import sys
import tempfile
import traceback

from server_test import RESULTS, Server, check, is_error, req


def bulk(srv, index, docs):
    body = "\n".join(__import__("json").dumps(d) for d in docs)
    s, b, _ = req(srv, "POST", "/v1/indexes/%s/docs?refresh=wait_for" % index, body,
                  headers={"Content-Type": "application/x-ndjson"})
    assert s == 200 and b["failed"] == 0, (s, b)


def hits(srv, index, body):
    s, b, _ = req(srv, "POST", "/v1/indexes/%s/search" % index, body)
    assert s == 200, (s, b)
    return sorted(h["id"] for h in b["hits"])


def test_patch(srv):
    s, _, _ = req(srv, "PUT", "/v1/indexes/p", {"fields": {"name": "text", "pop": "int", "tags": "keyword"}})
    check("patch: create", s == 201, s)
    req(srv, "PUT", "/v1/indexes/p/docs/1", {"name": "Paris", "pop": 1, "tags": ["a", "b"], "meta": {"x": 1, "y": 2}})
    s, b, _ = req(srv, "PATCH", "/v1/indexes/p/docs/1?refresh=wait_for", {"pop": 5, "tags": None, "meta": {"y": None}})
    check("patch: 200 updated", s == 200 and b["result"] == "updated" and b["id"] == "1", (s, b))
    s, b, _ = req(srv, "GET", "/v1/indexes/p/docs/1")
    check("patch: merged (RFC 7396)", s == 200 and b["source"] == {"name": "Paris", "pop": 5, "meta": {"x": 1}, "id": "1"}
          or b["source"] == {"id": "1", "name": "Paris", "pop": 5, "meta": {"x": 1}}, b)
    check("patch: searchable with refresh=wait_for", hits(srv, "p", {"filter": "pop:5"}) == ["1"])
    s, b, _ = req(srv, "PATCH", "/v1/indexes/p/docs/2", {"pop": 7})
    check("patch: missing document is 404 without upsert", s == 404 and is_error(b, "not_found") and "upsert" in b["error"]["reason"], (s, b))
    s, b, _ = req(srv, "PATCH", "/v1/indexes/p/docs/2?upsert=true", {"name": "Lyon", "pop": 7})
    check("patch: upsert creates (201)", s == 201 and b["result"] == "created", (s, b))
    s, b, _ = req(srv, "GET", "/v1/indexes/p/docs/2")
    check("patch: upserted document", s == 200 and b["source"].get("name") == "Lyon" and b["source"].get("id") == "2", b)
    s, b, _ = req(srv, "PATCH", "/v1/indexes/p/docs/1", {"id": "9"})
    check("patch: cannot change the id", s == 400 and is_error(b, "invalid_argument"), (s, b))
    s, b, _ = req(srv, "PATCH", "/v1/indexes/p/docs/1", [1, 2])
    check("patch: not an object is 400", s == 400, (s, b))
    s, b, _ = req(srv, "PATCH", "/v1/indexes/p/docs/1?upsrt=true", {"pop": 1})
    check("patch: unknown parameter is 400", s == 400 and "upsrt" in b["error"]["reason"], (s, b))
    s, b, _ = req(srv, "PATCH", "/v1/indexes/p/docs/1", {"pop": "many"})
    check("patch: a bad value is 400 and the stored document is kept", s == 400, (s, b))
    s, b, _ = req(srv, "GET", "/v1/indexes/p/docs/1")
    check("patch: kept", b["source"]["pop"] == 5, b)


def test_delete_by_query_refresh_list(srv):
    req(srv, "PUT", "/v1/indexes/d", {"fields": {"n": "int", "kind": "keyword"}})
    bulk(srv, "d", [{"id": "k%02d" % i, "n": i, "kind": "even" if i % 2 == 0 else "odd"} for i in range(25)])
    s, b, _ = req(srv, "POST", "/v1/indexes/d/delete-by-query", {"filter": "n:<10"})
    check("delete-by-query: count", s == 200 and b["deleted"] == 10, (s, b))
    s, b, _ = req(srv, "GET", "/v1/indexes/d/docs/k03")
    check("delete-by-query: gone at once (realtime get)", s == 404, s)
    s, b, _ = req(srv, "POST", "/v1/indexes/d/delete-by-query?refresh=wait_for", {"query": {"term": {"kind": "odd"}}})
    check("delete-by-query: DSL query", s == 200 and b["deleted"] == 7, (s, b))
    check("delete-by-query: the rest stays", hits(srv, "d", {"size": 100}) == ["k%02d" % i for i in range(10, 25, 2)])
    s, b, _ = req(srv, "POST", "/v1/indexes/d/delete-by-query", {"q": "x", "size": 5})
    check("delete-by-query: size is refused", s == 400 and b["error"].get("path") == "size", (s, b))
    s, b, _ = req(srv, "POST", "/v1/indexes/d/delete-by-query", {"query": {"bogus": {}}})
    check("delete-by-query: a bad query is 400", s == 400, (s, b))
    s, b, _ = req(srv, "POST", "/v1/indexes/d/delete-by-query", {"filter": "n:>1000"})
    check("delete-by-query: nothing matches", s == 200 and b["deleted"] == 0, (s, b))
    # Explicit refresh.
    s, _, _ = req(srv, "PUT", "/v1/indexes/d/docs/zz?refresh=false", {"n": 99})
    s, b, _ = req(srv, "POST", "/v1/indexes/d/refresh")
    check("refresh: 200", s == 200 and b["result"] == "refreshed" and b["visible_seq"] > 0, (s, b))
    check("refresh: the write is searchable", "zz" in hits(srv, "d", {"filter": "n:99"}))
    s, b, _ = req(srv, "POST", "/v1/indexes/nope/refresh")
    check("refresh: unknown index 404", s == 404, s)
    # Listing in id order with a cursor.
    ids, after, pages = [], None, 0
    while True:
        path = "/v1/indexes/d/docs?size=3" + ("&after=" + after if after else "")
        s, b, _ = req(srv, "GET", path)
        if s != 200:
            break
        pages += 1
        ids += [d["id"] for d in b["docs"]]
        check("list: sources", all("source" in d for d in b["docs"]))
        after = b["next"]
        if after is None or pages > 20:
            break
    expect = ["k%02d" % i for i in range(10, 25, 2)] + ["zz"]
    check("list: every document once, in id order", ids == expect, ids)
    check("list: pages of 3", pages == 3, pages)
    s, b, _ = req(srv, "GET", "/v1/indexes/d/docs?size=0")
    check("list: size 0 is 400", s == 400 and b["error"].get("path") == "size", (s, b))
    s, b, _ = req(srv, "GET", "/v1/indexes/d/docs?source=false&size=2")
    check("list: source=false", s == 200 and b["docs"] == [{"id": "k10"}, {"id": "k12"}] and b["next"] == "k12", b)


def test_schema_evolution(srv):
    req(srv, "PUT", "/v1/indexes/s", {"fields": {"name": "text", "pop": "int"}})
    req(srv, "PUT", "/v1/indexes/s/docs/1?refresh=wait_for", {"name": "Oslo", "pop": 1})
    s, b, _ = req(srv, "PATCH", "/v1/indexes/s", {"fields": {"colour": "keyword",
                                                         "title": {"type": "text", "language": "fr"}}})
    check("schema: fields added", s == 200 and b["added"] == ["colour", "title"]
          and b["schema"]["fields"]["colour"]["type"] == "keyword", (s, b))
    check("schema: analyzer of the new field", b["schema"]["fields"]["title"].get("language") == "fr", b)
    req(srv, "PUT", "/v1/indexes/s/docs/2?refresh=wait_for", {"name": "Rome", "pop": 2, "colour": "red",
                                                             "title": "les chevaux"})
    check("schema: new field filterable", hits(srv, "s", {"filter": "colour:red"}) == ["2"])
    check("schema: new field analysed in French", hits(srv, "s", {"q": "cheval", "q_fields": ["title"]}) == ["2"])
    check("schema: old documents still there", hits(srv, "s", {"size": 10}) == ["1", "2"])
    s, b, _ = req(srv, "PATCH", "/v1/indexes/s", {"fields": {"pop": "text"}})
    check("schema: type change refused (409) with the reindex recipe", s == 409 and "reindex" in b["error"]["reason"]
          and b["error"].get("path") == "fields.pop", (s, b))
    s, b, _ = req(srv, "PATCH", "/v1/indexes/s", {"fields": {"pop": "int"}})
    check("schema: unchanged field is fine", s == 200 and b["result"] == "unchanged", (s, b))
    s, b, _ = req(srv, "PATCH", "/v1/indexes/s", {"feilds": {}})
    check("schema: unknown key 400", s == 400, (s, b))
    s, b, _ = req(srv, "GET", "/v1/indexes/s")
    check("schema: GET shows the new fields", "colour" in b["schema"]["fields"], b)


def test_aliases_and_multi_search(srv):
    for name, city in (("v1", "Berlin"), ("v2", "Madrid")):
        req(srv, "PUT", "/v1/indexes/" + name, {"fields": {"name": "text"}})
        req(srv, "PUT", "/v1/indexes/%s/docs/1?refresh=wait_for" % name, {"name": city})
    s, b, _ = req(srv, "PUT", "/v1/aliases/live", {"index": "v1"})
    check("alias: created", s == 201 and b["index"] == "v1", (s, b))
    check("alias: search through it", hits(srv, "live", {"q": "berlin"}) == ["1"])
    s, b, _ = req(srv, "PUT", "/v1/indexes/live/docs/2?refresh=wait_for", {"name": "Hamburg"})
    check("alias: write through it", s == 201, (s, b))
    s, b, _ = req(srv, "GET", "/v1/indexes/v1/docs/2")
    check("alias: the write went to the index", s == 200, s)
    s, b, _ = req(srv, "POST", "/v1/aliases", {"actions": [{"remove": {"alias": "live", "index": "v1"}},
                                                          {"add": {"alias": "live", "index": "v2"}},
                                                          {"add": {"alias": "old", "index": "v1"}}]})
    check("alias: atomic swap", s == 200 and b["acknowledged"] is True, (s, b))
    check("alias: now the new index", hits(srv, "live", {"q": "madrid"}) == ["1"])
    s, b, _ = req(srv, "POST", "/v1/aliases", {"actions": [{"add": {"alias": "x1", "index": "v1"}},
                                                          {"add": {"alias": "x2", "index": "missing"}}]})
    check("alias: a failing action applies nothing", s == 404 and req(srv, "GET", "/v1/aliases/x1")[0] == 404, (s, b))
    s, b, _ = req(srv, "GET", "/v1/aliases")
    check("alias: list", s == 200 and b["aliases"] == {"live": "v2", "old": "v1"}, b)
    s, b, _ = req(srv, "PUT", "/v1/aliases/v1", {"index": "v2"})
    check("alias: cannot take an index's name", s == 409, (s, b))
    s, b, _ = req(srv, "PUT", "/v1/indexes/live", {})
    check("alias: an index cannot take an alias's name", s == 409, (s, b))
    s, b, _ = req(srv, "DELETE", "/v1/indexes/live")
    check("alias: DELETE index through an alias is refused", s == 400 and "alias" in b["error"]["reason"], (s, b))
    s, b, _ = req(srv, "POST", "/v1/multi-search", {"searches": [
        {"index": "v1", "q": "hamburg"}, {"index": "live", "q": "madrid"}, {"index": "nope", "q": "x"},
        {"index": "v1", "sise": 1}]})
    r = b["responses"] if s == 200 else []
    check("multi-search: one answer per search, in order", s == 200 and len(r) == 4, (s, b))
    if len(r) == 4:
        check("multi-search: hits", [h["id"] for h in r[0]["hits"]] == ["2"] and [h["id"] for h in r[1]["hits"]] == ["1"], r)
        check("multi-search: errors are per search", r[2]["status"] == 404 and r[3]["status"] == 400
              and "sise" in r[3]["error"]["reason"], r[2:])
    s, b, _ = req(srv, "POST", "/v1/multi-search", {"searches": [{"q": "x"}]})
    check("multi-search: index required", s == 400 and "searches[0].index" in b["error"]["reason"], (s, b))


def test_restart_and_cors(tmp, data):
    srv = Server(data, extra=["--cors-origin", "https://app.example"])
    try:
        s, b, _ = req(srv, "GET", "/v1/aliases/live")
        check("alias: persisted across a restart", s == 200 and b["index"] == "v2", (s, b))
        s, b, _ = req(srv, "DELETE", "/v1/indexes/v2")
        s, b, _ = req(srv, "GET", "/v1/aliases/live")
        check("alias: dropped with its index", s == 404, (s, b))
        s, h, b = req(srv, "OPTIONS", "/v1/indexes/v1/search", headers={
            "Origin": "https://app.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type"}, raw=True)
        check("cors: preflight 204", s == 204, s)
        check("cors: preflight headers", h.get("Access-Control-Allow-Origin") == "https://app.example"
              and "POST" in h.get("Access-Control-Allow-Methods", "")
              and "Authorization" in h.get("Access-Control-Allow-Headers", "")
              and h.get("Access-Control-Max-Age") == "600", dict(h))
        s, b, h = req(srv, "GET", "/v1/indexes/v1", headers={"Origin": "https://app.example"})
        check("cors: allowed origin on a response", h.get("Access-Control-Allow-Origin") == "https://app.example"
              and "X-Request-Id" in h.get("Access-Control-Expose-Headers", ""), dict(h))
        s, b, h = req(srv, "GET", "/v1/nope", headers={"Origin": "https://app.example"})
        check("cors: also on errors", s == 404 and h.get("Access-Control-Allow-Origin") == "https://app.example", dict(h))
        s, b, h = req(srv, "GET", "/v1/indexes/v1", headers={"Origin": "https://evil.example"})
        check("cors: other origins get nothing", h.get("Access-Control-Allow-Origin") is None, dict(h))
    finally:
        srv.stop()
    srv = Server(data, env={"MERIDIAN_CORS_ORIGIN": "*"})
    try:
        s, b, h = req(srv, "GET", "/health", headers={"Origin": "https://any.example"})
        check("cors: MERIDIAN_CORS_ORIGIN=*", h.get("Access-Control-Allow-Origin") == "*", dict(h))
    finally:
        srv.stop()
    srv = Server(data)
    try:
        s, b, h = req(srv, "GET", "/health", headers={"Origin": "https://any.example"})
        check("cors: off by default", h.get("Access-Control-Allow-Origin") is None, dict(h))
    finally:
        srv.stop()


def main():
    tmp = tempfile.mkdtemp(prefix="meridian-e2e-ops-")
    data = os.path.join(tmp, "data")
    srv = None
    try:
        srv = Server(data)
        for name, fn in [("patch", test_patch), ("delete_by_query", test_delete_by_query_refresh_list),
                         ("schema", test_schema_evolution), ("aliases", test_aliases_and_multi_search)]:
            try:
                fn(srv)
            except Exception:  # noqa: BLE001 - report and continue
                RESULTS["failed"] += 1
                print("FAIL: %s raised:\n%s" % (name, traceback.format_exc()))
        srv.stop()
        srv = None
        try:
            test_restart_and_cors(tmp, data)
        except Exception:  # noqa: BLE001
            RESULTS["failed"] += 1
            print("FAIL: restart_and_cors raised:\n%s" % traceback.format_exc())
    finally:
        if srv:
            srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]))
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
