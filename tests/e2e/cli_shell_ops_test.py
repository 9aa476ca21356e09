#!/usr/bin/env python3
"""End-to-end test of the shell's write operations (docs/CLI.md): \\patch,
\\upsert, \\delete QUERY and \\refresh, with --data and with --url.

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
    except Exception:  # noqa: BLE001
        RESULTS["failed"] += 1
        print("FAIL: raised:\n%s" % traceback.format_exc())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]))
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
