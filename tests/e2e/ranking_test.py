#!/usr/bin/env python3
"""End-to-end tests of q ranking rules and matching strategies (docs/QUERY.md,
"Ranking rules" and "Matching strategy") over real HTTP.

Usage: ranking_test.py PATH/TO/meridian
Covers the default rules (words, typo, proximity, attribute, exactness, bm25)
through GET and POST searches, hits' "sort" values, search_after over ranked
hits, a custom rule set with PATCH settings applying to the next search, the
sort rule, matching_strategy last (default) and all, a 400 naming a bad
matching_strategy, and the DSL keeping plain BM25.
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

SCHEMA = {"fields": {"title": {"type": "text", "language": "none", "stem": False},
                     "body": {"type": "text", "language": "none", "stem": False},
                     "stars": "int"}}
DOCS = [
    {"id": "adj", "title": "lamp", "body": "a green lamp on a desk with a long description of many other words", "stars": 1},
    {"id": "gap", "title": "lamp", "body": "green metal lamp", "stars": 5},
    {"id": "rev", "title": "lamp", "body": "lamp green", "stars": 3},
    {"id": "typo", "title": "lamp", "body": "grean lamp", "stars": 4},
    {"id": "only_green", "title": "shirt", "body": "green shirt", "stars": 2},
    {"id": "blue", "title": "lamp", "body": "blue lamp", "stars": 5},
]


def get_ids(srv, **params):
    s, b, _ = req(srv, "GET", "/v1/indexes/shop/search?%s" % urllib.parse.urlencode(params))
    assert s == 200, (s, b)
    return [h["id"] for h in b["hits"]]


def post(srv, body):
    s, b, _ = req(srv, "POST", "/v1/indexes/shop/search", body)
    assert s == 200, (s, b)
    return b


def load(srv):
    s, b, _ = req(srv, "PUT", "/v1/indexes/shop", SCHEMA)
    check("create", s == 201, (s, b))
    body = "\n".join(json.dumps(d) for d in DOCS)
    s, b, _ = req(srv, "POST", "/v1/indexes/shop/docs?refresh=wait_for", body,
                  headers={"Content-Type": "application/x-ndjson"})
    check("bulk", s == 200 and b["indexed"] == len(DOCS), (s, b))


def test_default_rules(srv):
    # "green lamp": adjacent in order, then one word apart, then reversed; the
    # typo ("grean") after every exact match; "blue lamp" lacks "green".
    got = get_ids(srv, q="green lamp", matching_strategy="all")
    check("typo then proximity", got == ["adj", "gap", "rev", "typo"], got)
    b = post(srv, {"q": "green lamp", "matching_strategy": "all"})
    check("POST equals GET", [h["id"] for h in b["hits"]] == got, b)
    sort = b["hits"][0]["sort"]
    check("hit sort: 5 rule values, the score, the tiebreaker", len(sort) == 7 and sort[:5] == [2, 0, 0, 0, 2]
          and abs(sort[5] - b["hits"][0]["score"]) < 1e-9, sort)
    check("hit sort: the typo counted", b["hits"][3]["sort"][1] == 1, b["hits"][3])
    # search_after pages through the same order.
    paged, after = [], None
    for _ in range(10):
        body = {"q": "green lamp", "matching_strategy": "all", "size": 1}
        if after:
            body["search_after"] = after
        hits = post(srv, body)["hits"]
        if not hits:
            break
        paged.append(hits[0]["id"])
        after = hits[0]["sort"]
    check("search_after over ranked hits", paged == got, paged)


def test_matching_strategy(srv):
    # Strategy last (default): every word first, then the first word alone.
    got = get_ids(srv, q="green lamp")
    check("last: relaxed hits after the full ones", got == ["adj", "gap", "rev", "typo", "only_green"], got)
    b = post(srv, {"q": "green lamp"})
    check("last: total counts the relaxed hits", b["total"]["value"] == 5, b["total"])
    check("last: a full page keeps every word", get_ids(srv, q="green lamp", size=2) == ["adj", "gap"])
    check("all: every word", len(get_ids(srv, q="green lamp", matching_strategy="all")) == 4)
    s, b, _ = req(srv, "POST", "/v1/indexes/shop/search", {"q": "green", "matching_strategy": "most"})
    check("400 for a bad strategy", s == 400 and is_error(b) and "matching_strategy" in b["error"]["reason"], (s, b))
    s, b, _ = req(srv, "GET", "/v1/indexes/shop/search?q=green&matching_strategy=any")
    check("400 for a bad strategy (GET)", s == 400 and is_error(b) and "matching_strategy" in b["error"]["reason"], (s, b))


def test_custom_rules(srv):
    s, b, _ = req(srv, "PATCH", "/v1/indexes/shop/settings", {"ranking_rules": ["words", "stars:desc", "bm25"]})
    check("patch ranking_rules", s == 200 and b["settings"]["ranking_rules"] == ["words", "stars:desc", "bm25"], (s, b))
    got = get_ids(srv, q="green lamp", matching_strategy="all")
    check("custom rule: stars desc after words", got == ["gap", "typo", "rev", "adj"], got)
    check("custom rule: the hit sort holds the field", post(srv, {"q": "green lamp", "matching_strategy": "all"})["hits"][0]["sort"][1] == 5)
    # Without a sort rule a request sort replaces the rules; with one it goes there.
    got = get_ids(srv, q="lamp", sort="stars:asc", matching_strategy="all")
    check("request sort replaces the rules", got[0] == "adj", got)
    req(srv, "PATCH", "/v1/indexes/shop/settings", {"ranking_rules": ["words", "typo", "sort", "bm25"]})
    got = get_ids(srv, q="green lamp", sort="stars:desc", matching_strategy="all")
    check("the sort rule: after typo", got == ["gap", "rev", "adj", "typo"], got)
    req(srv, "PATCH", "/v1/indexes/shop/settings", {"ranking_rules": None})
    got = get_ids(srv, q="green lamp", matching_strategy="all")
    check("null restores the default rules", got == ["adj", "gap", "rev", "typo"], got)


def test_dsl_keeps_bm25(srv):
    b = post(srv, {"query": {"match": {"body": {"query": "green lamp", "operator": "and"}}}})
    scores = [h["score"] for h in b["hits"]]
    check("DSL: by score only", scores == sorted(scores, reverse=True) and all(len(h["sort"]) == 2 for h in b["hits"]), b)
    check("DSL: 'rev' (shortest body) first", b["hits"][0]["id"] == "rev", b["hits"][0])


def main():
    tmp = tempfile.mkdtemp(prefix="meridian-e2e-ranking-")
    srv = None
    try:
        srv = Server(os.path.join(tmp, "core"))
        load(srv)
        for name, fn in [("default_rules", test_default_rules), ("matching_strategy", test_matching_strategy),
                         ("custom_rules", test_custom_rules), ("dsl", test_dsl_keeps_bm25)]:
            run(name, lambda fn=fn: fn(srv))
    finally:
        if srv:
            srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
