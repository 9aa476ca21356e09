#!/usr/bin/env python3
"""End-to-end tests of `meridian shell`: scripted (-c and stdin) against a
data directory holding the cities sample, every backslash command, geo
searches checked against a haversine oracle, errors and recovery, exit
codes, the HTTP backend against a real `meridian serve`, and an interactive
session in a real pseudo-terminal (tmux): completion, history, search, \\q."""
import csv
import io
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from e2e_util import free_port, stop_process, wait_health

MERIDIAN = sys.argv[1]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CITIES = os.path.join(ROOT, "datasets", "samples", "cities.ndjson")
results = {"passed": 0, "failed": 0}


def check(name, cond, detail=""):
    if cond:
        results["passed"] += 1
    else:
        results["failed"] += 1
        print(f"FAIL {name} {str(detail)[:2000]}")


def env():
    e = {k: v for k, v in os.environ.items() if not k.startswith("MERIDIAN_")}
    e["NO_COLOR"] = "1"
    return e


def run(*args, stdin=None, timeout=60):
    p = subprocess.run([MERIDIAN, *args], input=stdin.encode() if stdin is not None else None,
                       capture_output=True, timeout=timeout, env=env())
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def shell(data, *cmds, extra=()):
    args = ["shell", "--data", data, *extra]
    for c in cmds:
        args += ["-c", c]
    return run(*args)


def haversine_m(a, b):
    la1, lo1, la2, lo2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371008.8 * math.asin(math.sqrt(h))


def cities():
    return [json.loads(l) for l in open(CITIES)]


def csv_rows(out):
    """The CSV part of a shell's output: from the header line on."""
    start = out.find("id,")
    return list(csv.DictReader(io.StringIO(out[start:]))) if start >= 0 else []


def test_commands(data, tmp):
    rc, out, err = shell(data, "\\l")
    check("\\l lists the index with its count", rc == 0 and "cities" in out and "3000" in out, out + err)
    rc, out, err = shell(data, "\\d cities")
    check("\\d shows fields and types", rc == 0 and "location" in out and "geo_point" in out and "docs=3000" in out, out + err)
    rc, out, err = shell(data, "\\c cities", "paris")
    check("bare line searches the current index", rc == 0 and "using index cities" in out and "2988507" in out, out + err)
    check("table has id and score columns and a total", "id " in out and "score" in out and ("hits" in out or "(1 hit)" in out), out)
    check("timing shown by default", "Time:" in out, out)
    check("no colours when not a terminal", "\033[" not in out and "\x02" not in out, repr(out))
    rc, out, err = shell(data, "\\c cities", "pariss")
    check("typo tolerance", rc == 0 and "2988507" in out, out + err)
    rc, out, err = shell(data, "\\c cities", "\\timing", "paris")
    check("\\timing toggles the time off", rc == 0 and "timing is off" in out and "Time:" not in out, out)
    rc, out, err = shell(data, "\\c cities", "\\format csv", "\\limit 3", "paris")
    rows = csv_rows(out)
    check("\\format csv and \\limit", rc == 0 and 1 <= len(rows) <= 3 and rows[0]["id"] == "2988507", out)
    rc, out, err = shell(data, "\\c cities", "\\format json", "paris")
    body = json.loads(out.strip().splitlines()[-1]) if rc == 0 else {}
    check("\\format json prints the response", body.get("hits", [{}])[0].get("id") in ("2988507", 2988507), out)
    rc, out, err = shell(data, "\\c cities", "\\facet country", "\\limit 0", "*")
    fr = sum(1 for c in cities() if c["country"] == "FR")
    ru = sum(1 for c in cities() if c["country"] == "RU")
    check("\\facet shows term counts", rc == 0 and f"RU ({ru})" in out and "(3000 hits" in out, out)
    rc, out, err = shell(data, "\\c cities", "\\explain", "paris")
    check("\\explain adds explanations", rc == 0 and "explain is on" in out and "explain 2988507:" in out, out)
    rc, out, err = shell(data, "\\analyze Running Dogs")
    check("\\analyze shows tokens", rc == 0 and "run" in out and "dog" in out and "position" in out, out)
    rc, out, err = shell(data, "\\help")
    check("\\help lists every command", rc == 0 and all("\\" + c in out for c in
          ["l", "d", "c", "timing", "format", "limit", "facet", "explain", "highlight", "analyze", "import", "help", "settings",
           "q", "sources", "cluster", "patch", "upsert", "delete", "refresh", "schema", "alias", "unalias"]), out)
    rc, out, err = shell(data, "\\cluster")
    check("\\cluster on a data directory: not in cluster mode", rc == 0 and "not in cluster mode" in out, out + err)
    rc, out, err = shell(data, "\\c cities", "\\sources")
    check("\\sources lists the import position", rc == 0 and "import:" in out, out + err)
    rc, out, err = shell(data, "\\q", "\\c nope")
    check("\\q stops before the next command", rc == 0 and "nope" not in err, out + err)
    rc, out, err = shell(data, "{\"query\": {\"term\": {\"country\": \"FR\"}}, \"size\": 1}", extra=("cities",))
    check("JSON request line", rc == 0 and f"({fr} hits, showing 1)" in out, out + err)
    # \import into a new index, with one bad record
    src = os.path.join(tmp, "few.ndjson")
    with open(src, "w") as f:
        f.write('{"id": "a", "title": "hello world"}\n{"id": "b", "title": 5, "n": "x"}\nnot json\n'
                '{"id": "c", "title": "world peace"}\n')
    rc, out, err = shell(data, "\\c notes", "\\import " + src)
    check("\\import into the current index counts", "imported 3" in out or "imported 2" in out, out + err)
    check("\\import reports the bad line", src + ":3:" in out and rc == 1, out + err)
    rc, out, err = shell(data, "\\c notes", "world")
    check("imported documents are searchable", rc == 0 and "(2 hits)" in out, out + err)


def test_geo(data):
    paris = (48.85341, 2.3488)
    want = sorted((haversine_m(paris, (c["location"]["lat"], c["location"]["lon"])), c["id"]) for c in cities()
                  if haversine_m(paris, (c["location"]["lat"], c["location"]["lon"])) <= 300000)
    rc, out, err = shell(data, "\\format csv", "\\limit 100", "near 48.85341,2.3488 within 300km", extra=("cities",))
    rows = csv_rows(out)
    got = [int(r["id"]) for r in rows]
    check("near: exactly the cities within the radius, nearest first", rc == 0 and got == [i for _, i in want], (got, want, err))
    check("near: distance column", rows and rows[0]["distance"] in ("0 m", "1 m"), rows[:2])
    box = (-5.0, 42.0, 8.0, 51.0)  # left,bottom,right,top
    want_box = sorted(c["id"] for c in cities() if box[1] <= c["location"]["lat"] <= box[3]
                      and box[0] <= c["location"]["lon"] <= box[2])
    rc, out, err = shell(data, "\\format csv", "\\limit 1000", "in -5,42,8,51", extra=("cities",))
    got_box = sorted(int(r["id"]) for r in csv_rows(out))
    check("in BBOX (left,bottom,right,top)", rc == 0 and got_box == want_box, (len(got_box), len(want_box), err))


def query_syntax_checks(target, label):
    """country:FR and population:>10000000 filter (query-string syntax), plain
    words stay typo tolerant, operators make a query-string query."""
    fr = sorted(c["id"] for c in cities() if c["country"] == "FR")
    big = sorted(c["id"] for c in cities() if c["population"] > 10000000)
    rc, out, err = run("shell", *target, "cities", "-c", "\\format csv", "-c", "\\limit 1000", "-c", "country:FR")
    check(label + ": country:FR finds exactly the French cities", rc == 0 and fr and
          sorted(int(r["id"]) for r in csv_rows(out)) == fr, (out[:300], err))
    rc, out, err = run("shell", *target, "cities", "-c", "\\format csv", "-c", "\\limit 1000", "-c", "population:>10000000")
    check(label + ": population:>10000000 is a range", rc == 0 and big and
          sorted(int(r["id"]) for r in csv_rows(out)) == big, (out[:300], err))
    rc, out, err = run("shell", *target, "cities", "-c", "\\format csv", "-c", "pariss country:FR")
    check(label + ": typo tolerant words with a field clause", rc == 0 and
          [r["id"] for r in csv_rows(out)] == ["2988507"], (out, err))
    rc, out, err = run("shell", *target, "cities", "-c", "\\format csv", "-c", "paris OR lyon")
    check(label + ": operators: a query-string query", rc == 0 and
          sorted(r["id"] for r in csv_rows(out)) == ["2988507", "2996944"], (out, err))
    rc, out, err = run("shell", *target, "cities", "-c", "colour:red")
    check(label + ": an unknown field is an error naming it", rc == 1 and "colour" in err, (out, err))


def test_query_syntax(data):
    query_syntax_checks(("--data", data), "data")


def test_json_output_and_highlight(data):
    rc, out, err = shell(data, "\\format json", "tokyo", extra=("cities",))
    body = json.loads(out.strip().splitlines()[-1]) if rc == 0 else {}
    check("json: no highlight unless asked", rc == 0 and body.get("hits") and
          all("highlight" not in h for h in body["hits"]), out + err)
    rc, out, err = shell(data, "\\format json", "\\highlight on", "tokyo", extra=("cities",))
    body = json.loads(out.strip().splitlines()[-1]) if rc == 0 else {}
    check("json: \\highlight on gives <em> tags, never the marker bytes",
          rc == 0 and "highlight is on" in out and "\\u0002" not in out and "\x02" not in out and
          body["hits"][0]["highlight"]["name"] == ["<em>Tokyo</em>"], out + err)
    rc, out, err = shell(data, "\\format csv", "tokyo", extra=("cities",))
    check("csv: the plain value, no markers", rc == 0 and "\x02" not in out and
          csv_rows(out)[0]["name"] == "Tokyo", out + err)


def test_near_without_radius(data):
    origin = (48.85341, 2.3488)
    want = [i for _, i in sorted((haversine_m(origin, (c["location"]["lat"], c["location"]["lon"])), c["id"])
                                 for c in cities())][:20]
    rc, out, err = shell(data, "\\format csv", "\\limit 20", "near 48.85341,2.3488", extra=("cities",))
    got = [int(r["id"]) for r in csv_rows(out)]
    check("near without within: the nearest first, nothing filtered", rc == 0 and got == want, (got, want, err))
    rc, out, err = shell(data, "near 48.85341,2.3488", extra=("cities",))
    check("near without within: every document counted", rc == 0 and "(3000 hits" in out, out + err)


def test_errors_and_exit_codes(data):
    rc, out, err = shell(data, "\\c nope", "\\l")
    check("error in place, then the next command runs", rc == 1 and "error:" in err and "cities" in out, out + err)
    rc, out, err = shell(data, "paris")
    check("search without an index is an error (two indexes)", rc == 1 and "no index selected" in err, out + err)
    rc, out, err = shell(data, "\\c cities", "paris near 91,0 within 1km", "paris")
    check("bad geo suffix then recovery", rc == 1 and "latitude" in err and "2988507" in out, out + err)
    rc, out, err = shell(data, "\\bogus")
    check("unknown command", rc == 1 and "\\bogus" in err, err)
    rc, out, err = shell(data, "\\c cities", "{\"sise\": 1}")
    check("bad JSON request key", rc == 1 and "sise" in err, err)
    rc, out, err = shell(data, "\\limit x", "\\format xml")
    check("bad settings", rc == 1 and err.count("error:") == 2, err)
    rc, out, err = run("shell", "--data", data, stdin="\\c cities\nparis\n\\c nope\n\\l\n")
    check("stdin script: output and exit code 1", rc == 1 and "2988507" in out and "cities" in out, out + err)
    rc, out, err = run("shell", "--data", data, stdin="\\c cities\nparis\n")
    check("stdin script: exit code 0", rc == 0 and "2988507" in out, out + err)
    rc, out, err = run("shell", "--bogus")
    check("usage error exit 2", rc == 2, err)


def test_http_backend(data, tmp):
    port = free_port()
    url = "http://127.0.0.1:%d" % port
    log = open(os.path.join(tmp, "serve.log"), "wb")
    proc = subprocess.Popen([MERIDIAN, "serve", "--data", data, "--listen", "127.0.0.1:%d" % port, "--no-access-log"],
                            stdout=subprocess.DEVNULL, stderr=log, env=env())
    try:
        wait_health(url)
        rc, out, err = run("shell", "--data", data, "-c", "\\l")
        check("a locked data directory says so and suggests --url", rc == 2 and "--url" in err, err)
        req = urllib.request.Request(url + "/v1/indexes/cities/sources/feed", method="PUT",
                                     data=json.dumps({"type": "debezium", "id_column": "id"}).encode(),
                                     headers={"Content-Type": "application/json"})
        check("define a debezium source", urllib.request.urlopen(req, timeout=10).status == 201)
        rc, out, err = run("shell", "--url", url, "cities", "-c", "\\l", "-c", "paris near 48.85,2.35 within 10km",
                           "-c", "\\d", "-c", "\\analyze cats", "-c", "\\sources")
        check("http backend: list, geo search, describe, analyze", "cities" in out and "2988507" in out and
              "geo_point" in out and "cat" in out, out + err)
        check("http backend: \\sources lists the server's sources", rc == 0 and "feed" in out and "debezium" in out
              and "passive" in out, out + err)
        query_syntax_checks(("--url", url), "url")
        rc, out, err = run("shell", "--url", "http://127.0.0.1:1", "-c", "\\l")
        check("unreachable server exit 2", rc == 2 and "cannot reach" in err, err)
    finally:
        stop_process(proc)
        log.close()


def tmux(*args):
    return subprocess.run(["tmux", "-L", "meridian-e2e-%d" % os.getpid(), *args], capture_output=True, timeout=20)


def wait_screen(pred, timeout=20):
    deadline = time.time() + timeout
    screen = ""
    while time.time() < deadline:
        screen = tmux("capture-pane", "-p", "-t", "sh").stdout.decode()
        if pred(screen):
            return True, screen
        time.sleep(0.2)
    return False, screen


def test_interactive(data, tmp):
    if not shutil.which("tmux"):
        check("tmux installed", False)
        return
    hist = os.path.join(tmp, "history")
    cmd = "env -u MERIDIAN_DATA MERIDIAN_HISTORY=%s PAGER=cat %s shell --data %s" % (hist, MERIDIAN, data)
    tmux("new-session", "-d", "-s", "sh", "-x", "200", "-y", "50", cmd)
    try:
        ok, screen = wait_screen(lambda s: "meridian>" in s)
        check("interactive prompt", ok, screen)
        tmux("send-keys", "-t", "sh", "-l", "\\c ci")
        tmux("send-keys", "-t", "sh", "Tab")
        ok, screen = wait_screen(lambda s: "\\c cities" in s)
        check("tab completes the index name", ok, screen)
        tmux("send-keys", "-t", "sh", "Enter")
        ok, screen = wait_screen(lambda s: "meridian:cities>" in s)
        check("\\c switches the prompt", ok, screen)
        tmux("send-keys", "-t", "sh", "-l", "paris")
        tmux("send-keys", "-t", "sh", "Enter")
        ok, screen = wait_screen(lambda s: "2988507" in s and "Time:" in s)
        check("interactive search", ok, screen)
        tmux("send-keys", "-t", "sh", "Up")
        ok, screen = wait_screen(lambda s: s.rstrip().splitlines()[-1].endswith("meridian:cities> paris"))
        check("up arrow recalls the last line", ok, screen)
        tmux("send-keys", "-t", "sh", "C-u")
        tmux("send-keys", "-t", "sh", "-l", "\\q")
        tmux("send-keys", "-t", "sh", "Enter")
        ok, _ = wait_screen(lambda s: tmux("has-session", "-t", "sh").returncode != 0, timeout=15)
        check("\\q leaves the shell", ok)
        saved = open(hist).read() if os.path.exists(hist) else ""
        check("history is saved", "paris" in saved, saved)
    finally:
        tmux("kill-server")


def main():
    tmp = tempfile.mkdtemp(prefix="meridian-e2e-shell-")
    data = os.path.join(tmp, "data")
    try:
        rc, out, err = run("import", "cities", CITIES, "--data", data, "--quiet")
        assert rc == 0, err
        notes = os.path.join(tmp, "notes0.ndjson")
        with open(notes, "w") as f:
            f.write('{"id": "z", "title": "zebra crossing"}\n')
        rc, out, err = run("import", "notes", notes, "--data", data, "--quiet")
        assert rc == 0, err
        one_arg = (test_geo, test_errors_and_exit_codes, test_query_syntax, test_json_output_and_highlight,
                   test_near_without_radius)
        for t in [test_commands, test_geo, test_query_syntax, test_json_output_and_highlight, test_near_without_radius,
                  test_errors_and_exit_codes, test_http_backend, test_interactive]:
            try:
                if t in one_arg:
                    t(data)
                else:
                    t(data, tmp)
            except Exception as e:  # one crashing test is a failure, not the end of the run
                results["failed"] += 1
                print(f"FAIL {t.__name__}: {e!r}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{results['passed']} passed, {results['failed']} failed")
    sys.exit(1 if results["failed"] else 0)


if __name__ == "__main__":
    main()
