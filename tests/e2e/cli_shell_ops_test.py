#!/usr/bin/env python3
"""End-to-end test of the shell's write operations (docs/CLI.md): \\patch,
\\upsert, \\delete QUERY, \\refresh, \\schema (add), \\alias and \\unalias,
with --data and with --url.

Usage: cli_shell_ops_test.py PATH/TO/meridian
Prints "N passed, M failed"; exits non-zero on failure.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback

from server_test import BIN, RESULTS, Server, check, req


def shell(target, *cmds):
    args = [BIN, "shell", *target, "t"]
    for c in cmds:
        args += ["-c", c]
    p = subprocess.run(args, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def exercise(name, target, get):
    rc, out, err = shell(target, '\\patch 1 {"pop": 5, "tags": null}', '\\upsert 9 {"name": "Nice", "pop": 3}',
                         "\\delete pop:<3", "\\refresh")
    check(name + ": exit 0", rc == 0, (rc, out, err))
    check(name + ": patch answered", '"result":"updated"' in out and '"result":"created"' in out, out)
    check(name + ": delete count", '"deleted":2' in out, out)
    d1 = get("1")
    check(name + ": merged", d1 == {"id": "1", "name": "Paris", "pop": 5} or d1 == {"name": "Paris", "pop": 5, "id": "1"}, d1)
    check(name + ": upserted", (get("9") or {}).get("name") == "Nice", get("9"))
    check(name + ": deleted by query", get("2") is None and get("0") is None, (get("2"), get("0")))
    rc, out, err = shell(target, '\\patch 77 {"pop": 1}')
    check(name + ": missing document is an error", rc != 0 and "77" in (out + err), (rc, out, err))


def exercise_schema_and_aliases(name, target, server=None):
    """\\schema shows and adds fields, a changed field is refused with the
    reindex pointer; \\alias sets and lists, \\unalias deletes."""
    rc, out, err = shell(target, "\\schema add color keyword", "\\schema add color keyword", "\\schema")
    check(name + ": \\schema add", rc == 0 and "field color added to t" in out and "field color unchanged in t" in out, (out, err))
    check(name + ": \\schema lists the new field", any(l.split("|")[0].strip() == "color" and "keyword" in l
                                                         for l in out.splitlines()), out)
    rc, out, err = shell(target, '\\patch 1 {"color": "red"}', "color:red")
    check(name + ": the added field is indexed", rc == 0 and "Paris" in out and "(1 hit)" in out, (out, err))
    rc, out, err = shell(target, "\\schema add pop text")
    check(name + ": changing a field's type is refused with the recipe", rc == 1 and "pop" in err and "reindex" in err, err)
    rc, out, err = shell(target, "\\alias towns", "\\alias")
    check(name + ": \\alias NAME points at the current index and \\alias lists it",
          rc == 0 and "alias towns -> t" in out and any(l.replace(" ", "") == "towns|t" for l in out.splitlines()), (out, err))
    if server is not None:
        s, b, _ = req(server, "GET", "/v1/aliases/towns")
        check(name + ": the server has the alias", s == 200 and b.get("index") == "t", (s, b))
        p = subprocess.run([BIN, "shell", *target, "towns", "-c", "\\format csv", "-c", "color:red"],
                           capture_output=True, text=True, timeout=60)
        check(name + ": search through the alias", p.returncode == 0 and "Paris" in p.stdout, (p.stdout, p.stderr))
    rc, out, err = shell(target, "\\unalias towns", "\\alias", "\\unalias towns")
    check(name + ": \\unalias deletes, twice is an error", rc == 1 and "alias towns deleted" in out and
          "towns |" not in out and "towns" in err, (out, err))


def exercise_settings(name, target):
    """\\settings shows the index settings; \\settings JSON patches them, the
    next search uses them, a bad patch is an error naming the key."""
    rc, out, err = shell(target, "\\settings")
    check(name + ": \\settings shows every key", rc == 0 and "settings of t" in out and "stop_words: []" in out
          and '"min_word_length_one_typo":5' in out and 'ranking_rules: ["words"' in out, (out, err))
    rc, out, err = shell(target, "capital")
    check(name + ": no synonym yet", rc == 0 and "Paris" not in out, (out, err))
    rc, out, err = shell(target, '\\settings {"synonyms": {"one_way": {"capital": ["paris"]}}}', "capital")
    check(name + ": \\settings JSON changes them", rc == 0 and "settings changed: t" in out
          and 'synonyms: {"multi_way":[],"one_way":{"capital":["paris"]}}' in out, (out, err))
    check(name + ": the next search uses them", "Paris" in out and "(1 hit)" in out, (out, err))
    rc, out, err = shell(target, "\\format json", "\\settings")
    check(name + ": \\settings in json format", rc == 0 and '"settings":{"synonyms"' in out, (out, err))
    rc, out, err = shell(target, '\\settings {"distinct": "nope"}')
    check(name + ": a bad patch names the key", rc == 1 and "distinct" in err and "nope" in err, (out, err))
    rc, out, err = shell(target, "\\settings [1]")
    check(name + ": a patch must be an object", rc == 1 and "JSON object" in err, (out, err))


def seed_docs():
    return [{"id": str(i), "name": n, "pop": i, "tags": ["x"]} for i, n in enumerate(["Oslo", "Paris", "Rome", "Lyon"])]


def main():
    tmp = tempfile.mkdtemp(prefix="meridian-e2e-shell-ops-")
    try:
        srv = Server(os.path.join(tmp, "srv"))
        try:
            req(srv, "PUT", "/v1/indexes/t", {"fields": {"name": "text", "pop": "int", "tags": "keyword"}})
            body = "\n".join(json.dumps(d) for d in seed_docs())
            req(srv, "POST", "/v1/indexes/t/docs?refresh=wait_for", body, headers={"Content-Type": "application/x-ndjson"})

            def get(i):
                s, b, _ = req(srv, "GET", "/v1/indexes/t/docs/" + i)
                return b["source"] if s == 200 else None
            exercise("url", ["--url", srv.base], get)
            exercise_schema_and_aliases("url", ["--url", srv.base], srv)
            exercise_settings("url", ["--url", srv.base])
        finally:
            srv.stop()
        # The same through --data, on a directory no server holds.
        data = os.path.join(tmp, "local")
        srv = Server(data)
        try:
            req(srv, "PUT", "/v1/indexes/t", {"fields": {"name": "text", "pop": "int", "tags": "keyword"}})
            body = "\n".join(json.dumps(d) for d in seed_docs())
            req(srv, "POST", "/v1/indexes/t/docs?refresh=wait_for", body, headers={"Content-Type": "application/x-ndjson"})
        finally:
            srv.stop()

        def get_local(i):
            p = subprocess.run([BIN, "dump", "t", "--data", data], capture_output=True, text=True, timeout=60)
            for line in p.stdout.splitlines():
                d = json.loads(line)
                if d.get("id") == i:
                    return d
            return None
        exercise("data", ["--data", data], get_local)
        exercise_schema_and_aliases("data", ["--data", data])
        exercise_settings("data", ["--data", data])
        rc, out, err = shell(["--data", data], "\\alias keep")
        check("data: \\alias", rc == 0, (out, err))
        srv = Server(data)
        try:
            s, b, _ = req(srv, "GET", "/v1/aliases/keep")
            check("data: a server started on the directory has the alias", s == 200 and b.get("index") == "t", (s, b))
            s, b, _ = req(srv, "GET", "/v1/indexes/t/settings")
            check("data: ... and the settings the shell set", s == 200 and
                  b["settings"]["synonyms"]["one_way"] == {"capital": ["paris"]}, (s, b))
        finally:
            srv.stop()
    except Exception:  # noqa: BLE001
        RESULTS["failed"] += 1
        print("FAIL: raised:\n%s" % traceback.format_exc())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]))
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
