#!/usr/bin/env python3
"""End-to-end test of `meridian backup` / `meridian restore` (docs/CLI.md):
an online backup taken while a writer keeps writing, restored into a new data
directory, served, and compared document by document.

Usage: cli_backup_test.py PATH/TO/meridian
Prints "N passed, M failed"; exits non-zero on failure.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import traceback

from server_test import BIN, RESULTS, Server, check, req


def run(*args):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def all_docs(srv, index):
    docs, after = {}, None
    while True:
        s, b, _ = req(srv, "GET", "/v1/indexes/%s/docs?size=1000%s" % (index, "&after=" + after if after else ""))
        assert s == 200, (s, b)
        for d in b["docs"]:
            docs[d["id"]] = d["source"]
        after = b["next"]
        if after is None:
            return docs


def test_backup_restore(tmp):
    for cmd in ("backup", "restore"):
        code, out, err = run(cmd, "--help")
        check(cmd + " --help: stdout, exit 0", code == 0 and "usage: meridian " + cmd in out and "--" in out, (code, out, err))
    srv = Server(os.path.join(tmp, "live"))
    written = {}
    try:
        req(srv, "PUT", "/v1/indexes/books", {"fields": {"title": "text", "n": "int"}})
        docs = [{"id": "b%05d" % i, "title": "book %d" % i, "n": i} for i in range(3000)]
        body = "\n".join(json.dumps(d) for d in docs)
        s, b, _ = req(srv, "POST", "/v1/indexes/books/docs", body, headers={"Content-Type": "application/x-ndjson"})
        check("bulk", s == 200 and b["indexed"] == 3000, (s, b))
        for d in docs:
            written[d["id"]] = d
        req(srv, "PUT", "/v1/aliases/library", {"index": "books"})
        s, _, _ = req(srv, "DELETE", "/v1/indexes/books/docs/b00007")
        del written["b00007"]
        s, _, _ = req(srv, "PATCH", "/v1/indexes/books/docs/b00008", {"title": "patched"})
        written["b00008"]["title"] = "patched"
        # A writer keeps writing during the backup.
        stop = threading.Event()
        during = {}

        def writer():
            i = 0
            while not stop.is_set():
                d = {"id": "w%05d" % i, "title": "late %d" % i, "n": -i}
                if req(srv, "PUT", "/v1/indexes/books/docs/" + d["id"], d)[0] in (200, 201):
                    during[d["id"]] = d
                i += 1
        t = threading.Thread(target=writer)
        t.start()
        while len(during) < 20:
            pass
        before = dict(during)
        out_dir = os.path.join(tmp, "bak")
        code, out, err = run("backup", "--url", srv.base, "--out", out_dir)
        after_count = len(during)
        while len(during) < after_count + 20:
            pass
        stop.set()
        t.join()
        check("backup: exit 0", code == 0, (code, out, err))
        check("backup: writes never stopped", len(during) >= after_count + 20)
        check("backup: BACKUP.json", os.path.exists(os.path.join(out_dir, "BACKUP.json")))
        code2, out2, err2 = run("backup", "--url", srv.base, "--out", out_dir)
        check("backup: refuses a non-empty directory", code2 == 2 and "not an empty directory" in err2, (code2, err2))
    finally:
        srv.stop()
    data2 = os.path.join(tmp, "restored")
    code, out, err = run("restore", "--from", out_dir, "--data", data2)
    check("restore: exit 0", code == 0 and "books" in out, (code, out, err))
    code, out, err = run("restore", "--from", out_dir, "--data", data2)
    check("restore: refuses to overwrite without --force", code == 2 and "--force" in err, (code, err))
    srv2 = Server(data2)
    try:
        got = all_docs(srv2, "books")
        missing = [k for k in list(written) + list(before) if k not in got]
        check("restore: every document acknowledged before the backup", not missing, missing[:5])
        wrong = [k for k, d in got.items() if k in written and d != written[k]]
        check("restore: every document identical", not wrong, wrong[:5])
        extra = [k for k in got if k not in written and k not in during]
        check("restore: nothing that was never written", not extra and "b00007" not in got, extra[:5])
        late = [k for k in got if k.startswith("w")]
        check("restore: writes during the backup are a prefix", late == ["w%05d" % i for i in range(len(late))], late[-3:])
        s, b, _ = req(srv2, "GET", "/v1/aliases/library")
        check("restore: aliases", s == 200 and b["index"] == "books", (s, b))
        s, b, _ = req(srv2, "POST", "/v1/indexes/library/search", {"q": "patched"})
        check("restore: searchable", s == 200 and [h["id"] for h in b["hits"]] == ["b00008"], b)
    finally:
        srv2.stop()


def main():
    tmp = tempfile.mkdtemp(prefix="meridian-e2e-backup-")
    try:
        test_backup_restore(tmp)
    except Exception:  # noqa: BLE001
        RESULTS["failed"] += 1
        print("FAIL: backup raised:\n%s" % traceback.format_exc())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]))
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
