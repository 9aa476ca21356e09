#!/usr/bin/env python3
"""docs/API.md and the OpenAPI document the server serves agree: every route
(method and path) and every query parameter written in docs/API.md is in the
OpenAPI document, and every OpenAPI operation and query parameter is in
docs/API.md. Also checks operationIds (unique, on every operation) and the
search operations' parameters and body keys against the lists in docs/API.md.

Usage: docs_openapi_test.py PATH/TO/meridian
Prints "N passed, M failed"; exits non-zero on failure.
"""
import os
import re
import shutil
import sys
import tempfile

from server_test import RESULTS, Server, check, req

API_MD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "API.md")
METHODS = ("get", "put", "post", "patch", "delete")


def template_regex(tmpl):
    return re.compile("^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(tmpl)) + "$")


def op_query_params(item, op):
    out = set()
    for p in item.get("parameters", []) + op.get("parameters", []):
        if "$ref" in p:
            p = DOC["components"]["parameters"][p["$ref"].split("/")[-1]]
        if p.get("in") == "query":
            out.add(p["name"])
    return out


def main():
    global DOC
    tmp = tempfile.mkdtemp(prefix="meridian-e2e-docs-")
    srv = Server(os.path.join(tmp, "data"))
    try:
        s, DOC, _ = req(srv, "GET", "/v1/openapi.json")
    finally:
        srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    check("openapi served", s == 200, s)
    text = open(API_MD, encoding="utf-8").read()
    ops = {}
    ids = []
    for tmpl, item in DOC["paths"].items():
        for m, op in item.items():
            if m in METHODS:
                ops[(m.upper(), tmpl)] = (item, op)
                ids.append(op.get("operationId"))
    check("every operation has an operationId", all(ids), ids)
    check("operationIds are unique", len(set(ids)) == len(ids), ids)

    # Forward: routes written in docs/API.md as `METHOD /path[?a=..&b=..]`.
    documented = set()
    for m in re.finditer(r"`(GET|POST|PUT|PATCH|DELETE|OPTIONS) (/[^`\s]*)", text):
        method, target = m.group(1), m.group(2)
        if method == "OPTIONS":
            continue
        path = re.split(r"[?\[]", target, 1)[0]
        params = set(re.findall(r"[?&]([a-z_]+)=", target))
        found = [(mm, t) for (mm, t) in ops if mm == method and template_regex(t).match(path)]
        check("docs route %s %s is in the OpenAPI document" % (method, path), found, target)
        for key in found:
            documented.add(key)
            item, op = ops[key]
            missing = params - op_query_params(item, op)
            check("docs parameters of %s %s are in the OpenAPI document" % key, not missing, sorted(missing))
    # Reverse: every operation is documented with its template, every query parameter named.
    for key, (item, op) in ops.items():
        check("OpenAPI %s %s is documented in docs/API.md" % key, key in documented and key[1] in text, key)
        for p in op_query_params(item, op):
            check("OpenAPI parameter %s of %s %s is in docs/API.md" % ((p,) + key),
                  re.search(r"[?&`]%s[=`]" % re.escape(p), text) is not None, p)
    # The search operations: GET parameters and POST body keys, both ways.
    line = re.search(r"`GET /v1/indexes/\{index\}/search\?([^`]*)`", text)
    doc_params = set(re.findall(r"(?:^|&)([a-z_]+)=", line.group(1))) if line else set()
    item, op = ops[("GET", "/v1/indexes/{index}/search")]
    check("search GET parameters: docs == OpenAPI", doc_params == op_query_params(item, op),
          (sorted(doc_params ^ op_query_params(item, op))))
    body = re.search(r"`POST /v1/indexes/\{index\}/search` with `\{([^`]*)\}`", text)
    doc_keys = set(re.findall(r'"([a-z_]+)"', body.group(1))) if body else set()
    api_keys = set(DOC["components"]["schemas"]["SearchRequest"]["properties"])
    check("search body keys: docs == OpenAPI", doc_keys == api_keys, sorted(doc_keys ^ api_keys))
    hit = DOC["components"]["schemas"]["SearchResponse"]["properties"]["hits"]["items"]["properties"]
    check("score is nullable", hit["score"].get("nullable") is True, hit["score"])
    print("%d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]))
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
