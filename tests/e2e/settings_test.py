#!/usr/bin/env python3
"""End-to-end tests of index settings (docs/API.md, "Index settings"):
GET/PATCH /v1/indexes/{index}/settings over real HTTP.

Usage: settings_test.py PATH/TO/meridian
Covers the round trip (defaults, a merge patch, null restoring a default),
settings given at index creation, changes that apply to the very next search
(synonyms, stop words, typo tolerance, q_fields, distinct, refresh_interval),
400s naming the bad key, scopes, and persistence across a server restart.
Prints "N passed, M failed"; exits non-zero on failure.
"""
import os
import shutil
import sys
import tempfile
import time
import urllib.parse

import server_test
from server_test import MASTER, Server, check, is_error, req, run, summary

server_test.BIN = sys.argv[1] if len(sys.argv) > 1 else "build/meridian"

SCHEMA = {"fields": {"title": {"type": "text", "language": "en"}, "body": {"type": "text", "language": "en"},
                     "brand": "keyword", "price": "float"}}
DOCS = [
    {"id": "1", "title": "Flat screen TV", "body": "a big television for the living room", "brand": "acme", "price": 300},
    {"id": "2", "title": "Television stand", "body": "oak furniture", "brand": "woody", "price": 80},
    {"id": "3", "title": "New York guide", "body": "walks in the big apple", "brand": "maps", "price": 12},
    {"id": "4", "title": "NYC subway map", "body": "every line", "brand": "maps", "price": 5},
    {"id": "5", "title": "Paris guide", "body": "the city of light", "brand": "maps", "price": 15},
    {"id": "6", "title": "Smart TV remote", "body": "works with any tv", "brand": "acme", "price": 20},
]


def ids(srv, q, index="shop", **params):
    params["q"] = q
    s, b, _ = req(srv, "GET", "/v1/indexes/%s/search?%s" % (index, urllib.parse.urlencode(params)))
    assert s == 200, (s, b)
    return sorted(h["id"] for h in b["hits"])


def search(srv, body, index="shop"):
    s, b, _ = req(srv, "POST", "/v1/indexes/%s/search" % index, body)
    assert s == 200, (s, b)
    return b


def patch(srv, body, index="shop", headers=None):
    return req(srv, "PATCH", "/v1/indexes/%s/settings" % index, body, headers=headers)


def load(srv):
    s, b, _ = req(srv, "PUT", "/v1/indexes/shop", SCHEMA)
    check("create", s == 201, (s, b))
    body = "\n".join(__import__("json").dumps(d) for d in DOCS)
    s, b, _ = req(srv, "POST", "/v1/indexes/shop/docs?refresh=wait_for", body,
                  headers={"Content-Type": "application/x-ndjson"})
    check("bulk", s == 200 and b["indexed"] == len(DOCS), (s, b))


def test_round_trip(srv):
    s, b, _ = req(srv, "GET", "/v1/indexes/shop/settings")
    check("get: 200", s == 200, (s, b))
    st = b["settings"]
    check("get: every key", list(st) == ["synonyms", "q_fields", "typo_tolerance", "stop_words", "distinct",
                                         "refresh_interval", "ranking_rules"], list(st))
    check("get: defaults", st["synonyms"] == {"multi_way": [], "one_way": {}} and st["q_fields"] == {}
          and st["stop_words"] == [] and st["distinct"] is None and st["refresh_interval"] == "500ms"
          and st["typo_tolerance"] == {"enabled": True, "min_word_length_one_typo": 5, "min_word_length_two_typos": 9,
                                       "disable_on_words": [], "disable_on_fields": []}
          and st["ranking_rules"] == ["words", "typo", "proximity", "attribute", "exactness", "bm25"], st)
    s, b, _ = patch(srv, {"stop_words": ["the"], "typo_tolerance": {"min_word_length_one_typo": 4},
                          "ranking_rules": ["words", "typo", "price:desc"]})
    check("patch: 200 with the new settings", s == 200 and b["settings"]["stop_words"] == ["the"]
          and b["settings"]["typo_tolerance"]["min_word_length_one_typo"] == 4
          and b["settings"]["typo_tolerance"]["min_word_length_two_typos"] == 9
          and b["settings"]["ranking_rules"] == ["words", "typo", "price:desc"], (s, b))
    s, b, _ = req(srv, "GET", "/v1/indexes/shop/settings")
    check("get after patch", b["settings"]["stop_words"] == ["the"], b)
    s, b, _ = patch(srv, {"stop_words": None, "typo_tolerance": None, "ranking_rules": None},
                    headers={"Content-Type": "application/merge-patch+json"})
    check("patch: null restores defaults", s == 200 and b["settings"]["stop_words"] == []
          and b["settings"]["typo_tolerance"]["min_word_length_one_typo"] == 5
          and len(b["settings"]["ranking_rules"]) == 6, (s, b))


def test_applies_at_once(srv):
    check("before: tv finds only tv", ids(srv, "tv") == ["1", "6"], ids(srv, "tv"))
    s, b, _ = patch(srv, {"synonyms": [["tv", "television"], {"nyc": ["new york"]}]})
    check("synonyms: patch", s == 200 and b["settings"]["synonyms"] == {
        "multi_way": [["tv", "television"]], "one_way": {"nyc": ["new york"]}}, (s, b))
    check("synonyms: multi-way tv", ids(srv, "tv") == ["1", "2", "6"], ids(srv, "tv"))
    check("synonyms: multi-way television", ids(srv, "television") == ["1", "2", "6"], ids(srv, "television"))
    check("synonyms: one-way multi-word nyc", ids(srv, "nyc") == ["3", "4"], ids(srv, "nyc"))
    check("synonyms: not the other way", ids(srv, "new york") == ["3"], ids(srv, "new york"))
    patch(srv, {"synonyms": None})
    check("synonyms: removed at once", ids(srv, "nyc") == ["4"], ids(srv, "nyc"))

    check("stop words: before", ids(srv, "cheap guide") == [], ids(srv, "cheap guide"))
    patch(srv, {"stop_words": ["cheap"]})
    check("stop words: dropped", ids(srv, "cheap guide") == ["3", "5"], ids(srv, "cheap guide"))
    check("stop words: all stop words", ids(srv, "cheap") == [], ids(srv, "cheap"))
    patch(srv, {"stop_words": None})

    check("typos: remoet finds remote", ids(srv, "remoet") == ["6"], ids(srv, "remoet"))
    patch(srv, {"typo_tolerance": {"enabled": False}})
    check("typos: disabled", ids(srv, "remoet") == [], ids(srv, "remoet"))
    patch(srv, {"typo_tolerance": {"enabled": True, "disable_on_fields": ["title"]}})
    check("typos: not on the title", ids(srv, "remoet") == [], ids(srv, "remoet"))
    check("typos: still on the body", ids(srv, "furnitre") == ["2"], ids(srv, "furnitre"))
    patch(srv, {"typo_tolerance": None})

    patch(srv, {"q_fields": {"body": 1}})
    check("q_fields: body only", ids(srv, "guide") == [], ids(srv, "guide"))
    check("q_fields: a request's q_fields win", ids(srv, "guide", q_fields="title") == ["3", "5"])
    patch(srv, {"q_fields": None})
    check("q_fields: back to every text field", ids(srv, "guide") == ["3", "5"], ids(srv, "guide"))

    patch(srv, {"distinct": "brand"})
    b = search(srv, {"q": "tv", "size": 10})
    hits = [h["id"] for h in b["hits"]]
    check("distinct: one acme tv", len(hits) == 1 and hits[0] in ("1", "6") and b["total"]["value"] == 1, b)
    b = search(srv, {"q": "maps", "q_fields": ["brand"], "sort": [{"price": "asc"}]})
    check("distinct: the first of the group in sort order", [h["id"] for h in b["hits"]] == ["4"]
          and b["total"]["value"] == 1, b)
    b = search(srv, {"q": "guide"})
    check("distinct: total counts groups", b["total"]["value"] == 1, b)
    patch(srv, {"distinct": None})
    check("distinct: off", search(srv, {"q": "guide"})["total"]["value"] == 2)

    # refresh_interval applies to the live index at once. A fresh index: its
    # first background commit (which also refreshes) is 10 s away.
    s, b, _ = req(srv, "PUT", "/v1/indexes/clock", SCHEMA)
    s, b, _ = patch(srv, {"refresh_interval": "1h"}, index="clock")
    check("refresh_interval: 1h", s == 200 and b["settings"]["refresh_interval"] == "3600s", (s, b))
    time.sleep(0.2)
    req(srv, "PUT", "/v1/indexes/clock/docs/7", {"title": "zanzibar atlas"})
    time.sleep(1.5)
    check("refresh_interval: no refresh within 1.5 s", ids(srv, "zanzibar", index="clock") == [])
    s, b, _ = patch(srv, {"refresh_interval": 50}, index="clock")
    check("refresh_interval: 50 ms", s == 200 and b["settings"]["refresh_interval"] == "50ms", (s, b))
    deadline = time.time() + 2
    while time.time() < deadline and ids(srv, "zanzibar", index="clock") != ["7"]:
        time.sleep(0.05)
    check("refresh_interval: visible at once", ids(srv, "zanzibar", index="clock") == ["7"])
    req(srv, "PUT", "/v1/indexes/clock/docs/8", {"title": "zanzibar beaches"})
    time.sleep(0.3)
    check("refresh_interval: a write visible within 300 ms", ids(srv, "zanzibar", index="clock") == ["7", "8"])


def test_bad_input(srv):
    cases = [
        ({"synonym": []}, "synonym"),
        ({"synonyms": [["tv"]]}, "synonyms"),
        ({"q_fields": {"nope": 1}}, "q_fields"),
        ({"typo_tolerance": {"enabled": "yes"}}, "typo_tolerance"),
        ({"typo_tolerance": {"disable_on_fields": ["nope"]}}, "typo_tolerance"),
        ({"stop_words": "the"}, "stop_words"),
        ({"distinct": "nope"}, "distinct"),
        ({"distinct": "title"}, "distinct"),
        ({"refresh_interval": "soon"}, "refresh_interval"),
        ({"ranking_rules": ["words", "fame"]}, "ranking_rules"),
        ({"ranking_rules": ["title:desc"]}, "ranking_rules"),
    ]
    for body, key in cases:
        s, b, _ = patch(srv, body)
        check("400 for %s" % body, s == 400 and is_error(b) and b["error"].get("key") == key
              and b["error"]["reason"].startswith(key), (s, b))
    s, b, _ = patch(srv, [1])
    check("400 for a non-object", s == 400 and is_error(b), (s, b))
    s, b, _ = patch(srv, "{nope")
    check("400 for bad JSON", s == 400 and is_error(b), (s, b))
    s, b, _ = req(srv, "GET", "/v1/indexes/shop/settings")
    check("a refused patch changed nothing", b["settings"]["distinct"] is None and b["settings"]["synonyms"]["one_way"] == {}, b)
    s, b, _ = req(srv, "GET", "/v1/indexes/nope/settings")
    check("404 for an unknown index", s == 404 and is_error(b), (s, b))
    s, b, _ = req(srv, "PUT", "/v1/indexes/bad", dict(SCHEMA, settings={"distinct": "nope"}))
    check("create with bad settings: 400", s == 400 and is_error(b) and "distinct" in b["error"]["reason"], (s, b))
    s, b, _ = req(srv, "GET", "/v1/indexes/bad")
    check("create with bad settings: no index", s == 404, (s, b))


def test_create_with_settings(srv):
    s, b, _ = req(srv, "PUT", "/v1/indexes/catalog", dict(SCHEMA, settings={"stop_words": ["the"], "distinct": "brand"}))
    check("create with settings: 201", s == 201 and b["settings"]["distinct"] == "brand", (s, b))
    s, b, _ = req(srv, "GET", "/v1/indexes/catalog/settings")
    check("create with settings: stored", b["settings"]["stop_words"] == ["the"], b)


def test_persistence(tmp):
    data = os.path.join(tmp, "persist")
    srv = Server(data)
    try:
        load(srv)
        s, b, _ = patch(srv, {"synonyms": {"one_way": {"nyc": ["new york"]}}, "distinct": "brand",
                              "refresh_interval": "2s", "stop_words": ["the"], "q_fields": ["title^2", "body"]})
        check("persist: patch", s == 200, (s, b))
        before = b["settings"]
    finally:
        check("persist: clean stop", srv.stop() == 0)
    srv = Server(data)
    try:
        s, b, _ = req(srv, "GET", "/v1/indexes/shop/settings")
        check("persist: same settings after a restart", s == 200 and b["settings"] == before, (b, before))
        got = ids(srv, "nyc")  # new york (3) or nyc (4): one hit, distinct by brand
        check("persist: synonyms and distinct still apply", len(got) == 1 and got[0] in ("3", "4"), got)
    finally:
        srv.stop()
    check("persist: a SETTINGS file", os.path.exists(os.path.join(data, "indexes", "shop", "SETTINGS")))


def test_scopes(tmp):
    srv = Server(os.path.join(tmp, "auth"), extra=["--master-key", MASTER])
    auth = {"Authorization": "Bearer " + MASTER}
    try:
        req(srv, "PUT", "/v1/indexes/shop", SCHEMA, headers=auth)
        s, b, _ = req(srv, "POST", "/v1/keys", {"scopes": ["search"]}, headers=auth)
        search_key = {"Authorization": "Bearer " + b["key"]}
        s, b, _ = req(srv, "POST", "/v1/keys", {"scopes": ["write"]}, headers=auth)
        write_key = {"Authorization": "Bearer " + b["key"]}
        s, b, _ = req(srv, "GET", "/v1/indexes/shop/settings", headers=search_key)
        check("scopes: GET with a search key", s == 200, (s, b))
        s, b, _ = patch(srv, {"stop_words": ["a"]}, headers=search_key)
        check("scopes: PATCH with a search key is 403", s == 403 and is_error(b), (s, b))
        s, b, _ = patch(srv, {"stop_words": ["a"]}, headers=write_key)
        check("scopes: PATCH with a write key is 403 (admin)", s == 403 and is_error(b), (s, b))
        s, b, _ = patch(srv, {"stop_words": ["a"]}, headers=auth)
        check("scopes: PATCH with an admin key", s == 200, (s, b))
        s, b, _ = req(srv, "GET", "/v1/indexes/shop/settings")
        check("scopes: GET without a key is 401", s == 401, (s, b))
    finally:
        srv.stop()


def main():
    tmp = tempfile.mkdtemp(prefix="meridian-e2e-settings-")
    srv = None
    try:
        srv = Server(os.path.join(tmp, "core"))
        load(srv)
        for name, fn in [("round_trip", test_round_trip), ("applies_at_once", test_applies_at_once),
                         ("bad_input", test_bad_input), ("create", test_create_with_settings)]:
            run(name, lambda fn=fn: fn(srv))
        srv.stop()
        srv = None
        for name, fn in [("persistence", test_persistence), ("scopes", test_scopes)]:
            run(name, lambda fn=fn: fn(tmp))
    finally:
        if srv:
            srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
