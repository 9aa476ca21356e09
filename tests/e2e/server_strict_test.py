#!/usr/bin/env python3
"""End-to-end tests of `meridian serve` being strict and unsurprising
(issue 18 "Defects"): a port in use, requests without a body, bodies without
a Content-Type, unknown fields and keys, bad ids and query parameters, geo
sorts without a radius, error details.

Usage: server_strict_test.py PATH/TO/meridian
Prints "N passed, M failed"; exits non-zero on failure.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from e2e_util import free_port
from server_test import BIN, Server, check, is_error, req, run, summary


def raw_request(srv, head, timeout=5):
    """Sends `head` (request line + headers, no body) as is; returns
    (status, body bytes, seconds taken) of the answer."""
    t0 = time.time()
    with socket.create_connection(("127.0.0.1", srv.port), timeout=timeout) as s:
        s.sendall(head.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        head_part, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head_part.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v.strip())
        while len(body) < length:
            chunk = s.recv(65536)
            if not chunk:
                break
            body += chunk
    status = int(head_part.split(b" ")[1]) if head_part else 0
    return status, body, time.time() - t0


def test_port_in_use(tmp):
    srv = Server(os.path.join(tmp, "first"))
    try:
        p = subprocess.run([BIN, "serve", "--data", os.path.join(tmp, "second"), "--listen",
                            "127.0.0.1:%d" % srv.port], capture_output=True, text=True, timeout=30)
        check("second serve on a used port exits 2", p.returncode == 2, (p.returncode, p.stderr))
        check("second serve says address already in use", "address already in use" in p.stderr, p.stderr)
        s, _, _ = req(srv, "GET", "/health")
        check("first server still serves", s == 200)
    finally:
        srv.stop()


def test_missing_body(srv):
    s, b, t = raw_request(srv, "PUT /v1/indexes/nobody HTTP/1.1\r\nHost: x\r\n\r\n")
    check("PUT index without body: created at once", s == 201 and t < 2, (s, b, t))
    s, b, t = raw_request(srv, "POST /v1/indexes/nobody/search HTTP/1.1\r\nHost: x\r\n\r\n")
    check("POST search without body: answered at once", s == 200 and b'"hits"' in b and t < 2, (s, b, t))
    s, b, t = raw_request(srv, "POST /v1/analyze HTTP/1.1\r\nHost: x\r\n\r\n")
    check("POST analyze without body: 400 at once", s == 400 and b"got nothing" in b and t < 2, (s, b, t))


def test_body_without_content_type(srv):
    text = "word " * 4000  # > 8 KiB
    body = ('{"text": "%s"}' % text).encode()
    s, b, _ = req(srv, "POST", "/v1/analyze", body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    check("big form-urlencoded JSON body accepted", s == 200 and len(b["tokens"]) == 4000, (s, str(b)[:200]))
    s, b, _ = req(srv, "PUT", "/v1/indexes/nobody/docs/1?refresh=true", b'{"t": "hello"}',
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    check("form-urlencoded document accepted", s == 201, (s, b))
    s, b, _ = req(srv, "GET", "/v1/indexes/nobody/docs/1")
    check("form-urlencoded document stored", s == 200 and b["source"]["t"] == "hello", (s, b))


CITIES = [
    {"id": "paris", "name": "Paris", "country": "FR", "population": 2100000, "location": {"lat": 48.8566, "lon": 2.3522}},
    {"id": "lyon", "name": "Lyon", "country": "FR", "population": 516000, "location": {"lat": 45.764, "lon": 4.8357}},
    {"id": "berlin", "name": "Berlin", "country": "DE", "population": 3600000, "location": {"lat": 52.52, "lon": 13.405}},
    {"id": "lille", "name": "Lille", "country": "FR", "population": 232000, "location": {"lat": 50.6292, "lon": 3.0573}},
]


def make_cities(srv):
    s, b, _ = req(srv, "PUT", "/v1/indexes/cities", {"fields": {"name": "text", "country": "keyword",
                                                               "population": "int", "location": "geo_point"}})
    check("create cities", s == 201, (s, b))
    body = "\n".join(__import__("json").dumps(c) for c in CITIES) + "\n"
    s, b, _ = req(srv, "POST", "/v1/indexes/cities/docs?refresh=wait_for", body,
                  headers={"Content-Type": "application/x-ndjson"})
    check("bulk cities", s == 200 and b["indexed"] == 4, (s, b))


def error_of(s, b, status=400):
    return b["error"]["reason"] if s == status and is_error(b) else "status %s: %s" % (s, b)


def test_unknown_fields(srv):
    cases = [
        ({"filter": "colour:red"}, "filter[0]: unknown field 'colour'", "filter[0]"),
        ({"filter": "countyr:FR"}, "(did you mean 'country'?)", "filter[0]"),
        ({"q": "paris", "q_fields": ["nme"]}, "q_fields[0]: unknown field 'nme' (did you mean 'name'?)", "q_fields[0]"),
        ({"query": {"match": {"nmae": "paris"}}}, "unknown field 'nmae' (did you mean 'name'?)", "query"),
        ({"near": "48.85,2.35", "radius": "900km", "geo_field": "locaton"},
         "geo_field: unknown field 'locaton' (did you mean 'location'?)", "geo_field"),
        ({"q": "paris", "highlight": {"fields": ["nam"]}}, "unknown field 'nam' (did you mean 'name'?)",
         "highlight.fields.nam"),
        ({"fields": ["name", "populaton"]}, "unknown field 'populaton' (did you mean 'population'?)", "fields[1]"),
        ({"limit": 5}, "unknown key 'limit' (did you mean 'size'?)", "limit"),
        ({"_source": False}, "unknown key '_source' (did you mean 'source'?)", "_source"),
    ]
    for body, want, path in cases:
        s, b, _ = req(srv, "POST", "/v1/indexes/cities/search", body)
        reason = error_of(s, b)
        check("unknown in %s: 400 naming it" % list(body), want in reason and b["error"].get("path") == path,
              (body, s, b))
    s, b, _ = req(srv, "GET", "/v1/indexes/cities/search?filter=colour:red")
    check("GET filter unknown field: 400", "unknown field 'colour'" in error_of(s, b), (s, b))
    s, b, _ = req(srv, "POST", "/v1/indexes/cities/search", {"filter": "country:FR", "fields": ["name"]})
    check("known fields still answer", s == 200 and b["total"]["value"] == 3, (s, b))


def test_geo_sort_without_radius(srv):
    s, b, _ = req(srv, "GET", "/v1/indexes/cities/search?near=48.85,2.35&sort=_geo_distance")
    ids = [h["id"] for h in b.get("hits", [])] if s == 200 else (s, b)
    check("GET near + sort=_geo_distance, no radius: nearest first", ids == ["paris", "lille", "lyon", "berlin"], ids)
    s, b, _ = req(srv, "POST", "/v1/indexes/cities/search", {"near": "52.5,13.4", "sort": ["_geo_distance"]})
    ids = [h["id"] for h in b.get("hits", [])] if s == 200 else (s, b)
    check("POST near + sort _geo_distance, no radius", ids == ["berlin", "lille", "paris", "lyon"], ids)
    s, b, _ = req(srv, "GET", "/v1/indexes/cities/search?near=48.85,2.35")
    check("near alone still says what is missing", "expected 'radius' with 'near'" in error_of(s, b), (s, b))


def test_error_details(srv):
    s, b, _ = req(srv, "POST", "/v1/indexes/cities/search", {"size": -1})
    check("size -1 names the limit 10000", "[0, 10000]" in error_of(s, b) and b["error"]["path"] == "size", (s, b))
    s, b, _ = req(srv, "POST", "/v1/indexes/cities/search", {"from": 10 ** 12})
    check("huge from reported at from", s == 400 and b["error"].get("path") == "from", (s, b))
    s, b, _ = req(srv, "GET", "/v1/indexes/cities/search?from=99999999")
    check("GET huge from reported at from", s == 400 and b["error"].get("path") == "from", (s, b))
    s, b, _ = req(srv, "POST", "/v1/indexes/cities/search", '{\n  "q": "paris",\n  "size": 3,\n}')
    check("trailing comma: line and column in the reason and the body",
          "malformed JSON at line 3, column 12: trailing comma before '}'" in error_of(s, b) and b["error"].get("line") == 3
          and b["error"].get("column") == 12, (s, b))
    s, b, _ = req(srv, "POST", "/v1/indexes/cities/search", {"size": 0, "facets": {"p": {"range": {
        "field": "population", "ranges": [{"to": 100000}, {"from": 100000, "to": 2500000.5}, {"from": 2500000.5}]}}}})
    keys = [(x["key"], x["count"]) for x in b["facets"]["p"]["buckets"]] if s == 200 else (s, b)
    check("range facet keys without exponents", keys == [("*-100000", 0), ("100000-2500000.5", 3), ("2500000.5-*", 1)], keys)
    s, b, _ = req(srv, "PUT", "/v1/indexes/badjson", '{"fields": {"a": "text",}}')
    check("index create with a trailing comma: position named", "line 1, column 24: trailing comma" in error_of(s, b), (s, b))
    s, b, _ = req(srv, "POST", "/v1/indexes/cities/docs", '{"id": "t1", "name": "x",}\n',
                  headers={"Content-Type": "application/x-ndjson"})
    check("bulk line with a trailing comma: position in its error",
          s == 200 and "line 1, column 25: trailing comma" in b["errors"][0]["error"], (s, b))


def test_values_accepted(srv):
    """Defect 4: an integer in a float field and ISO-8601 strings under dynamic mapping."""
    import json as _json
    s, b, _ = req(srv, "PUT", "/v1/indexes/geo", {"fields": {"lon": "float", "pop": "int"}})
    check("create geo", s == 201, (s, b))
    s, b, _ = req(srv, "PUT", "/v1/indexes/geo/docs/a?refresh=true", {"lon": 20.5})
    check("float into float field", s == 201, (s, b))
    s, b, _ = req(srv, "PUT", "/v1/indexes/geo/docs/b?refresh=true", {"lon": 20, "pop": 3.0})
    check("integer into float field, 3.0 into int field: accepted", s == 201, (s, b))
    s, b, _ = req(srv, "PUT", "/v1/indexes/geo/docs/c", {"lon": 1, "pop": 3.5})
    check("3.5 into int field: 400 naming the field", "'pop' has type int" in error_of(s, b), (s, b))
    s, b, _ = req(srv, "POST", "/v1/indexes/geo/search", {"filter": "lon:[19.5 TO 20.1]"})
    check("integer stored as 20.0 is in a float range", s == 200 and [h["id"] for h in b["hits"]] == ["b"], (s, b))
    s, b, _ = req(srv, "POST", "/v1/indexes/geo/search", {"sort": [{"lon": "desc"}]})
    check("sort by lon: 20.5 before 20", s == 200 and [h["id"] for h in b["hits"]] == ["a", "b"], (s, b))
    s, b, _ = req(srv, "POST", "/v1/indexes/geo/search", {"filter": "pop:3"})
    check("3.0 stored as int 3", s == 200 and [h["id"] for h in b["hits"]] == ["b"], (s, b))
    # Dynamic mapping: the first document of a batch types lon as float, the second sends 20.
    s, b, _ = req(srv, "PUT", "/v1/indexes/dyn")
    check("create dyn (dynamic mapping)", s == 201, (s, b))
    docs = [{"id": "x", "lon": 20.5, "when": "2024-05-01", "at": "2024-05-01T12:30:00Z"},
            {"id": "y", "lon": 20, "when": "2024-05-03T01:00:00+02:00", "at": "2024-05-02T12:30:00.250-05:00"},
            {"id": "z", "note": "2024-05-01 is a date in text"}]
    s, b, _ = req(srv, "POST", "/v1/indexes/dyn/docs?refresh=wait_for", "\n".join(_json.dumps(d) for d in docs),
                  headers={"Content-Type": "application/x-ndjson"})
    check("dynamic batch: float then integer both indexed", s == 200 and b["indexed"] == 3 and b["failed"] == 0, (s, b))
    s, b, _ = req(srv, "GET", "/v1/indexes/dyn")
    fields = b["schema"]["fields"] if s == 200 else {}
    typ = lambda f: fields.get(f) if isinstance(fields.get(f), str) else (fields.get(f) or {}).get("type")
    check("dynamic: lon is float", typ("lon") == "float", fields)
    check("dynamic: ISO-8601 strings are dates", typ("when") == "date" and typ("at") == "date", fields)
    check("dynamic: other strings are text", typ("note") == "text", fields)
    s, b, _ = req(srv, "POST", "/v1/indexes/dyn/search", {"filter": 'when:["2024-05-02" TO *]'})
    check("date range on a detected date (offset applied)", s == 200 and [h["id"] for h in b["hits"]] == ["y"], (s, b))
    s, b, _ = req(srv, "POST", "/v1/indexes/dyn/search", {"sort": ["at"]})
    check("sort by detected date-time", s == 200 and [h["id"] for h in b["hits"]][:2] == ["x", "y"], (s, b))


def test_bad_ids(srv):
    """Defect 5a: an id that is not UTF-8 is a 400 on every document route, and CSV ids too."""
    for method, body in [("PUT", {"t": "x"}), ("GET", None), ("DELETE", None), ("PATCH", {"t": "y"})]:
        s, b, _ = req(srv, method, "/v1/indexes/cities/docs/%FF", body)
        check("%s docs/%%FF: 400 naming the id" % method,
              "document id: invalid UTF-8" in error_of(s, b) and b["error"].get("path") == "id", (s, b))
    s, b, _ = req(srv, "PUT", "/v1/indexes/cities/docs/ok%C3%A9", {"name": "Évry"})
    check("a UTF-8 id still works", s == 201, (s, b))
    s, b, _ = req(srv, "GET", "/v1/indexes/cities/docs/ok%C3%A9")
    check("and is fetched back", s == 200 and b["id"] == "oké", (s, b))
    s, b, _ = req(srv, "POST", "/v1/indexes/cities/docs", b'{"id": "a\xff", "name": "x"}\n',
                  headers={"Content-Type": "application/x-ndjson"})
    check("bulk line with a non-UTF-8 id: reported failed", s == 200 and b["failed"] == 1 and b["indexed"] == 0
          and "invalid UTF-8" in b["errors"][0]["error"], (s, b))
    s, b, _ = req(srv, "POST", "/v1/indexes/cities/docs", b'{"id": "a\\udcff", "name": "x"}\n{"id": "fine"}\n',
                  headers={"Content-Type": "application/x-ndjson"})
    check("bulk line with a lone-surrogate escaped id: reported failed, the next indexed",
          s == 200 and b["failed"] == 1 and b["indexed"] == 1, (s, b))
    s, b, _ = req(srv, "GET", "/v1/indexes/cities/docs/%FF")
    check("nothing stored under the bad id", s == 400, (s, b))


def test_unknown_params(srv):
    """Defect 5b: unknown query parameters on write routes are a 400 with the closest known one."""
    cases = [
        ("PUT", "/v1/indexes/cities/docs/p1?refersh=true", {"name": "P"}, "'refersh' (did you mean 'refresh'?)"),
        ("POST", "/v1/indexes/cities/docs?refersh=wait_for", '{"id": "p2"}\n', "did you mean 'refresh'?"),
        ("PATCH", "/v1/indexes/cities/docs/paris?upsrt=true", {"name": "P"}, "did you mean 'upsert'?"),
        ("DELETE", "/v1/indexes/cities/docs/paris?refesh=true", None, "did you mean 'refresh'?"),
        ("POST", "/v1/indexes/cities/delete-by-query?refrsh=true", {"q": "nothing"}, "did you mean 'refresh'?"),
        ("POST", "/v1/indexes/cities/refresh?wait=true", None, "this route takes no query parameters"),
        ("POST", "/v1/indexes/cities/changes?id_colum=id", '{"op": "c", "after": {"id": 1}}', "did you mean 'id_column'?"),
        ("PUT", "/v1/indexes/newone?shards=2", {"fields": {}}, "unknown parameter 'shards'"),
        ("PATCH", "/v1/indexes/cities?dry_run=true", {"fields": {}}, "unknown parameter 'dry_run'"),
        ("DELETE", "/v1/indexes/cities?force=true", None, "unknown parameter 'force'"),
        ("PUT", "/v1/aliases/al?x=1", {"index": "cities"}, "unknown parameter 'x'"),
        ("GET", "/v1/indexes/cities/docs?limit=5", None, "did you mean 'size'?"),
        ("GET", "/v1/indexes/cities/watch?q=x&heartbeat=100", None, "did you mean 'heartbeat_ms'?"),
    ]
    for method, path, body, want in cases:
        s, b, _ = req(srv, method, path, body)
        param = path.split("?")[1].split("&")[-1].split("=")[0]
        check("%s %s: 400 naming the parameter" % (method, path),
              want in error_of(s, b) and b["error"].get("path") == param, (s, b))
    s, b, _ = req(srv, "GET", "/v1/indexes/cities/docs/p1")
    check("the refused write did nothing", s == 404, (s, b))
    s, b, _ = req(srv, "GET", "/v1/indexes/newone")
    check("the refused create did nothing", s == 404, (s, b))
    # The documented parameters keep working.
    s, b, _ = req(srv, "PUT", "/v1/indexes/cities/docs/p1?refresh=true", {"name": "P"})
    check("refresh=true accepted", s == 201, (s, b))
    s, b, _ = req(srv, "PATCH", "/v1/indexes/cities/docs/p9?upsert=true&refresh=wait_for", {"name": "Q"})
    check("upsert + refresh accepted", s == 201, (s, b))
    s, b, _ = req(srv, "GET", "/v1/indexes/cities/docs?size=2&after=a&source=false")
    check("list parameters accepted", s == 200 and len(b["docs"]) == 2, (s, b))
    s, b, _ = req(srv, "DELETE", "/v1/indexes/cities/docs/p9?refresh=true")
    check("delete with refresh accepted", s == 200, (s, b))


def test_get_params(srv):
    """GET search parameters: decoded from the URL, each once, into the request a POST body gives."""
    s, b, _ = req(srv, "GET", "/v1/indexes/cities/search?q=paris&q=lyon")
    check("a parameter given twice: 400 naming it", error_of(s, b) == "q: given more than once" and
          b["error"].get("path") == "q", (s, b))
    s, b, _ = req(srv, "GET", "/v1/indexes/cities/search?q=paris&q=paris")
    check("the same pair twice counts once", s == 200 and [h["id"] for h in b["hits"]] == ["paris"], (s, b))
    s, b, _ = req(srv, "GET", "/v1/indexes/cities/search?near=48.85%2C2.35&radius=500km&sort=_geo_distance")
    ids = [h["id"] for h in b.get("hits", [])] if s == 200 else (s, b)
    check("percent-encoded near: the nearest first within the radius", ids == ["paris", "lille", "lyon"], ids)
    s, b, _ = req(srv, "GET", "/v1/indexes/cities/search?q=%u004c%u0079on+")
    ids = [h["id"] for h in b.get("hits", [])] if s == 200 else (s, b)
    check("%uXXXX escapes and '+' decoded", ids == ["lyon"], ids)
    s, b, _ = req(srv, "GET", "/v1/indexes/cities/search?near=bad&size=x")
    check("errors in the order the parameters are read: size before near",
          error_of(s, b).startswith("size: expected an integer") and b["error"].get("path") == "size", (s, b))
    s, g, _ = req(srv, "GET", "/v1/indexes/cities/search?bbox=51,2,45,5&source=false&track_total_hits=true&size=50")
    s2, p, _ = req(srv, "POST", "/v1/indexes/cities/search",
                   {"bbox": "51,2,45,5", "source": False, "track_total_hits": True, "size": 50})
    for x in (g, p):
        x.pop("took_ms", None)
    check("GET bbox = POST bbox", s == 200 and s2 == 200 and g == p and g["total"]["value"] == 3, (s, g, s2, p))


def main():
    tmp = tempfile.mkdtemp(prefix="meridian-e2e-strict-")
    srv = None
    try:
        run("port_in_use", lambda: test_port_in_use(tmp))
        srv = Server(os.path.join(tmp, "core"))
        make_cities(srv)
        for name, fn in [("unknown_fields", test_unknown_fields), ("geo_sort_without_radius", test_geo_sort_without_radius),
                         ("error_details", test_error_details), ("values_accepted", test_values_accepted),
                         ("bad_ids", test_bad_ids), ("unknown_params", test_unknown_params),
                         ("missing_body", test_missing_body),
                         ("body_without_content_type", test_body_without_content_type),
                         ("get_params", test_get_params)]:
            run(name, lambda fn=fn: fn(srv))
    finally:
        if srv:
            srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
