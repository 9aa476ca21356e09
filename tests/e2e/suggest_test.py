#!/usr/bin/env python3
"""End-to-end tests of "Did you mean" (docs/QUERY.md "Did you mean", docs/API.md
"suggest"): the "suggest" field of search responses over real HTTP.

Usage: suggest_test.py PATH/TO/meridian
Covers GET and POST /v1/indexes/{index}/search, /v1/multi-search, the query
cache, the field's absence for correctly spelled queries and for "query"
searches, typo_tolerance settings applying at once, and that bad input still
gets a 400 with a JSON error.
Prints "N passed, M failed"; exits non-zero on failure.
"""
import json
import os
import shutil
import sys
import tempfile
import urllib.parse

import server_test
from server_test import Server, check, is_error, req, run, summary

server_test.BIN = sys.argv[1] if len(sys.argv) > 1 else "build/meridian"

SCHEMA = {"fields": {"title": {"type": "text", "language": "en"}, "body": {"type": "text", "language": "en"}}}
DOCS = [
    {"id": "1", "title": "Republic", "body": "the constitution of the republic"},
    {"id": "2", "title": "Courts", "body": "a constitutional court"},
    {"id": "3", "title": "Amendments", "body": "an amendment to the constitution"},
    {"id": "4", "title": "Kitchen", "body": "cooking recipes"},
]


def get(srv, q, index="law", **params):
    params["q"] = q
    return req(srv, "GET", "/v1/indexes/%s/search?%s" % (index, urllib.parse.urlencode(params)))


def load(srv):
    s, b, _ = req(srv, "PUT", "/v1/indexes/law", SCHEMA)
    check("create", s == 201, (s, b))
    body = "\n".join(json.dumps(d) for d in DOCS)
    s, b, _ = req(srv, "POST", "/v1/indexes/law/docs?refresh=wait_for", body,
                  headers={"Content-Type": "application/x-ndjson"})
    check("bulk", s == 200 and b["indexed"] == len(DOCS), (s, b))


def test_search(srv):
    s, b, _ = get(srv, "constituion")
    check("get: 200", s == 200, (s, b))
    check("get: typo hits and a suggestion", b["total"]["value"] == 3
          and b.get("suggest") == [{"text": "constitution", "score": 0.75}], b)
    s, b, _ = get(srv, "pizza Constituion amendmnet")
    check("get: several words re-spelled, known ones kept", s == 200 and b["total"]["value"] == 0
          and b.get("suggest") == [{"text": "pizza constitution amendment", "score": 0.1875}], b)
    s, b, _ = req(srv, "POST", "/v1/indexes/law/search", {"q": "constituion", "size": 1})
    check("post: suggestion", s == 200 and b.get("suggest") == [{"text": "constitution", "score": 0.75}], b)
    for q in ["constitution", "the constitution", "constitutions", "court constitu"]:
        s, b, _ = get(srv, q)
        check("no suggest for %r" % q, s == 200 and "suggest" not in b, b)
    s, b, _ = req(srv, "POST", "/v1/indexes/law/search", {"query": {"match": {"body": "constituion"}}})
    check("no suggest without q", s == 200 and "suggest" not in b, b)
    s, b, _ = req(srv, "POST", "/v1/indexes/law/search", {"q": "constituion", "q_fields": ["title"]})
    check("only the searched fields", s == 200 and "suggest" not in b, b)


def test_cache(srv):
    _, first, h1 = get(srv, "amendmnet")
    _, second, h2 = get(srv, "amendmnet")
    check("cache: same suggestion on a hit", first.get("suggest") == second.get("suggest")
          == [{"text": "amendment", "score": 0.25}] and h2.get("X-Cache") == "hit", (first, second, dict(h2)))


def test_multi_search(srv):
    s, b, _ = req(srv, "POST", "/v1/multi-search", {"searches": [
        {"index": "law", "q": "constituion"}, {"index": "law", "q": "constitution"}]})
    check("multi-search: 200", s == 200 and len(b["responses"]) == 2, (s, b))
    r = b["responses"]
    check("multi-search: suggestion on the misspelt one only",
          r[0].get("suggest") == [{"text": "constitution", "score": 0.75}] and "suggest" not in r[1], r)


def test_settings(srv):
    s, b, _ = req(srv, "PATCH", "/v1/indexes/law/settings", {"typo_tolerance": {"enabled": False}})
    check("patch: 200", s == 200, (s, b))
    s, b, _ = get(srv, "constituion")
    check("typo tolerance off: no hits, no suggestion", s == 200 and b["total"]["value"] == 0
          and "suggest" not in b, b)
    s, b, _ = req(srv, "PATCH", "/v1/indexes/law/settings",
                  {"typo_tolerance": {"enabled": True, "disable_on_words": ["constituion"]}})
    check("patch 2: 200", s == 200, (s, b))
    s, b, _ = get(srv, "constituion")
    check("disable_on_words: no suggestion", s == 200 and "suggest" not in b, b)
    s, b, _ = req(srv, "PATCH", "/v1/indexes/law/settings", {"typo_tolerance": None})
    s, b, _ = get(srv, "constituion")
    check("default again: suggestion", s == 200 and b.get("suggest") == [{"text": "constitution", "score": 0.75}], b)


def test_bad_input(srv):
    s, b, _ = req(srv, "POST", "/v1/indexes/law/search", {"q": 12})
    check("q not a string: 400 with a JSON error", s == 400 and is_error(b) and "q" in b["error"]["reason"], (s, b))
    s, b, _ = get(srv, "constituion", index="nope")
    check("unknown index: 404", s == 404 and is_error(b), (s, b))


def main():
    tmp = tempfile.mkdtemp(prefix="meridian-e2e-suggest-")
    srv = None
    try:
        srv = Server(os.path.join(tmp, "core"))
        load(srv)
        for name, fn in [("search", test_search), ("cache", test_cache), ("multi_search", test_multi_search),
                         ("settings", test_settings), ("bad_input", test_bad_input)]:
            run(name, lambda fn=fn: fn(srv))
    finally:
        if srv:
            srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
