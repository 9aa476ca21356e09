#!/usr/bin/env python3
"""End-to-end tests of `meridian import` (and `meridian dump` to read back):
every input format, compressed input, the rejects file, exit codes, a locked
data directory, and --resume after SIGKILL with no document lost or doubled."""
import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from e2e_util import stop_process, wait_health

MERIDIAN = sys.argv[1]
results = {"passed": 0, "failed": 0}


def check(name, cond, detail=""):
    if cond:
        results["passed"] += 1
    else:
        results["failed"] += 1
        print(f"FAIL {name} {detail}")


def run(*args, stdin=None, timeout=120):
    return subprocess.run([MERIDIAN, *args], input=stdin, capture_output=True, timeout=timeout)


def dump(data, index):
    p = run("dump", index, "--data", data)
    assert p.returncode == 0, p.stderr
    return [json.loads(l) for l in p.stdout.decode().splitlines() if l.strip()]


def test_ndjson_with_rejects(tmp):
    data = os.path.join(tmp, "d1")
    src = os.path.join(tmp, "in.ndjson")
    with open(src, "w") as f:
        f.write('{"id": 1, "name": "Paris", "pop": 2100000}\n')
        f.write('{"id": 2, "name": "Lyon", "pop": "many"}\n')   # wrong type -> rejected
        f.write('not json\n')                                     # malformed -> rejected
        f.write('\n')
        f.write('{"id": 3, "name": "Nice", "pop": 340000}\n')
        f.write('{"id": 1, "name": "Paris", "pop": 2200000}\n')   # replaces id 1
    p = run("import", "cities", src, "--data", data)
    check("ndjson exit code 1 when some rejected", p.returncode == 1, p.stderr)
    err = p.stderr.decode()
    check("summary line", "imported 3, replaced 1, rejected 2" in err, err)
    rej = [json.loads(l) for l in open(src + ".rejects")]
    check("two rejects", len(rej) == 2, rej)
    check("reject names file and line", rej[0]["file"] == src and rej[0]["line"] == 2 and "pop" in rej[0]["reason"], rej)
    check("second reject line", rej[1]["line"] == 3, rej)
    docs = {d["id"]: d for d in dump(data, "cities")}
    check("three live docs", sorted(docs) == [1, 3], docs)
    check("latest copy wins", docs[1]["pop"] == 2200000, docs)


def test_json_array_csv_and_compressed(tmp):
    data = os.path.join(tmp, "d2")
    arr = os.path.join(tmp, "a.json")
    json.dump([{"id": "a", "t": "x"}, {"id": "b", "t": "y"}], open(arr, "w"))
    p = run("import", "mixed", arr, "--data", data)
    check("json array exit 0", p.returncode == 0, p.stderr)
    csv = os.path.join(tmp, "c.csv.gz")
    with gzip.open(csv, "wt") as f:
        f.write('id,name,population,lat,lon\n')
        f.write('10,"Saint-Denis, Réunion",150000,-20.88,55.45\n')
        f.write('11,"Multi\nline",5,1.5,2.5\n')
    p = run("import", "places", csv, "--data", data, "--geo", "lat,lon")
    check("csv.gz exit 0", p.returncode == 0, p.stderr)
    docs = {d["id"]: d for d in dump(data, "places")}
    check("csv typed values", docs.get(10, {}).get("population") == 150000, docs)
    check("csv quoted comma", docs.get(10, {}).get("name") == "Saint-Denis, Réunion", docs)
    check("csv quoted newline", docs.get(11, {}).get("name") == "Multi\nline", docs)
    check("csv geo column pair", docs.get(10, {}).get("location") == {"lat": -20.88, "lon": 55.45}, docs)
    zst = shutil.which("zstd")
    if zst:
        nd = os.path.join(tmp, "z.ndjson")
        with open(nd, "w") as f:
            for i in range(500):
                f.write(json.dumps({"id": i, "body": f"document {i}"}) + "\n")
        subprocess.run([zst, "-q", "-f", nd, "-o", nd + ".zst"], check=True)
        p = run("import", "zs", nd + ".zst", "--data", data)
        check("zstd exit 0", p.returncode == 0, p.stderr)
        check("zstd all docs", len(dump(data, "zs")) == 500)
    p = run("import", "stdin", "-", "--data", data, stdin=b'{"id":1}\n{"id":2}\n')
    check("stdin import", p.returncode == 0 and len(dump(data, "stdin")) == 2, p.stderr)


def test_fatal_and_usage(tmp):
    data = os.path.join(tmp, "d3")
    p = run("import", "x", os.path.join(tmp, "missing.ndjson"), "--data", data)
    check("missing file exit 2", p.returncode == 2 and b"missing.ndjson" in p.stderr, p.stderr)
    p = run("import", "x", "--data", data)
    check("usage exit 2", p.returncode == 2)
    p = run("import", "Bad/Name", __file__, "--data", data)
    check("bad index name exit 2", p.returncode == 2)
    bad_schema = os.path.join(tmp, "schema.json")
    open(bad_schema, "w").write('{"fields": {"a": "nonsense"}}')
    src = os.path.join(tmp, "one.ndjson")
    open(src, "w").write('{"id":1,"a":"x"}\n')
    p = run("import", "x", src, "--data", data, "--schema", bad_schema)
    check("bad schema exit 2", p.returncode == 2 and b"nonsense" in p.stderr, p.stderr)


N_BIG = 100000


def test_locked_directory(tmp):
    data = os.path.join(tmp, "d4")
    big = os.path.join(tmp, "big.ndjson")
    with open(big, "w") as f:
        for i in range(N_BIG):
            f.write(json.dumps({"id": i, "body": f"some words for document number {i}"}) + "\n")
    first = subprocess.Popen([MERIDIAN, "import", "big", big, "--data", data, "--quiet"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # As soon as the first importer has created the index (it holds the
        # lock from then on), a second one must be refused; no fixed sleep, so
        # a fast machine cannot finish the first import before the check.
        deadline = time.time() + 60
        while not os.path.isdir(os.path.join(data, "indexes", "big")) and time.time() < deadline:
            time.sleep(0.005)
        p = run("import", "big", big, "--data", data)
        check("second importer refused", p.returncode == 2 and b"in use" in p.stderr, p.stderr)
        # Kill the first one mid-way, then resume: no document lost or doubled.
        first.send_signal(signal.SIGKILL)
        first.wait()
        p = run("import", "big", big, "--data", data, "--resume", "--quiet", timeout=600)
        check("resume exit 0", p.returncode == 0, p.stderr)
        docs = dump(data, "big")
        ids = [d["id"] for d in docs]
        check("resume: every document once", len(ids) == N_BIG and len(set(ids)) == N_BIG, len(ids))
    finally:
        if first.poll() is None:
            first.kill()


def test_online(tmp):
    """--url: a real `meridian serve` on a random loopback port."""
    import socket
    import urllib.request
    data = os.path.join(tmp, "online-data")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    url = "http://127.0.0.1:%d" % port
    env = {k: v for k, v in os.environ.items() if not k.startswith("MERIDIAN_")}
    log = open(os.path.join(tmp, "online-serve.log"), "wb")
    srv = subprocess.Popen([MERIDIAN, "serve", "--data", data, "--listen", "127.0.0.1:%d" % port, "--no-access-log"],
                           stdout=subprocess.DEVNULL, stderr=log, env=env)
    try:
        wait_health(url)
        src = os.path.join(tmp, "online.ndjson")
        n = 2500
        with open(src, "w") as f:
            for i in range(n):
                if i == 700:
                    f.write('{"id": "bad", "pop": "many"}\n')    # line 701: rejected by the server
                elif i == 1900:
                    f.write('{broken\n')                         # line 1901: rejected while reading
                else:
                    f.write(json.dumps({"id": i, "name": "city %d" % i, "pop": i}) + "\n")
        p = run("import", "online", src, "--url", url, "--batch", "100", "--concurrency", "3")
        err = p.stderr.decode()
        check("online: exit 1 with rejects", p.returncode == 1, err)
        check("online: summary", "imported %d, rejected 2" % (n - 2) in err, err)
        rej = sorted((r["line"], r["reason"]) for r in map(json.loads, open(src + ".rejects")))
        check("online: rejects mapped to input lines", [l for l, _ in rej] == [701, 1901] and "pop" in rej[0][1], rej)
        for _ in range(50):  # visible within the server's refresh interval (<= 1 s)
            body = json.loads(urllib.request.urlopen(url + "/v1/indexes/online").read())
            if body["stats"]["docs"] >= n - 2:
                break
            time.sleep(0.1)
        check("online: every good document on the server", body["stats"]["docs"] == n - 2, body["stats"])
        q = urllib.request.Request(url + "/v1/indexes/online/search", data=b'{"q": "city 1234", "size": 1}',
                                   headers={"Content-Type": "application/json"})
        for _ in range(50):  # visible within the server's refresh interval
            hit = json.loads(urllib.request.urlopen(q).read())["hits"]
            if hit:
                break
            time.sleep(0.1)
        check("online: searchable", hit and str(hit[0]["id"]) == "1234", hit)
        ok = os.path.join(tmp, "online-ok.csv")
        with open(ok, "w") as f:
            f.write("id,name,lat,lon\n1,A,1.5,2.5\n2,B,3,4\n")
        p = run("import", "places", ok, "--url", url, "--geo", "lat,lon", "--quiet")
        check("online: csv exit 0, index created", p.returncode == 0, p.stderr)
        p = run("import", "online", src, "--url", url, "--resume")
        check("online: --resume refused", p.returncode == 2 and b"offline" in p.stderr, p.stderr)
        p = run("import", "online", src, "--url", "http://127.0.0.1:1", "--quiet", "--retries", "1")
        check("online: unreachable server is fatal", p.returncode == 2 and b"cannot reach" in p.stderr,
              p.stderr)
        p = run("import", "online", src, "--url", url, "--retries", "x")
        check("online: bad --retries is a usage error", p.returncode == 2 and b"--retries" in p.stderr, p.stderr)
    finally:
        stop_process(srv)
        log.close()
    # A rate-limited server answers 429 + Retry-After: every batch still lands.
    srv = subprocess.Popen([MERIDIAN, "serve", "--data", data, "--listen", "127.0.0.1:%d" % port, "--no-access-log",
                            "--rate-limit", "3", "--rate-burst", "1"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, env=env)
    try:
        wait_health(url)
        src = os.path.join(tmp, "limited.ndjson")
        with open(src, "w") as f:
            for i in range(60):
                f.write(json.dumps({"id": "r%d" % i, "name": "x"}) + "\n")
        p = run("import", "limited", src, "--url", url, "--batch", "10", "--concurrency", "3")
        err = p.stderr.decode()
        retries = int(err.split(" retries")[0].rsplit(" ", 1)[-1]) if " retries" in err else 0
        check("online: 429 retried until accepted", p.returncode == 0 and "imported 60, rejected 0" in err and retries > 0, err)
    finally:
        stop_process(srv)


def test_parallel_last_copy_wins_and_merge(tmp):
    # Two workers, small batches: ids repeat across many batches, which the
    # two workers index into separate in-memory segments; the last copy in
    # input order must win everywhere.
    src = os.path.join(tmp, "repeat.ndjson")
    n, ids = 20000, 5000
    with open(src, "w") as f:
        for i in range(n):
            f.write(json.dumps({"id": i % ids, "v": i, "text": "word%d common" % (i % 97)}) + "\n")
    for merge in (False, True):
        data = os.path.join(tmp, "par-merge" if merge else "par")
        args = ["import", "rep", src, "--data", data, "--threads", "2", "--batch", "100"]
        p = run(*args, *(["--merge"] if merge else []))
        tag = "merge" if merge else "parallel"
        check(f"{tag}: exit 0", p.returncode == 0, p.stderr)
        err = p.stderr.decode()
        check(f"{tag}: summary counts replacements", f"imported {n}, replaced {n - ids}, rejected 0" in err, err)
        docs = {d["id"]: d["v"] for d in dump(data, "rep")}
        check(f"{tag}: one live copy per id", len(docs) == ids, len(docs))
        check(f"{tag}: the last copy in input order wins", all(docs[k] == k + n - ids for k in range(ids)),
              [(k, v) for k, v in docs.items() if v != k + n - ids][:5])
        segs = [x for x in os.listdir(os.path.join(data, "indexes", "rep")) if x.endswith(".meta")]
        if merge:
            check("merge: one segment after --merge", len(segs) == 1, segs)
        else:
            check("parallel: at most one segment per worker", 1 <= len(segs) <= 2, segs)
    p = run("import", "rep", src, "--url", "http://127.0.0.1:9", "--merge")
    check("--merge refused online", p.returncode == 2 and b"offline" in p.stderr, p.stderr)


def test_geo_json_inputs(tmp):
    """--geo lat,lon combines two fields of NDJSON and JSON array documents too; a radius search finds them."""
    import socket
    import urllib.request
    data = os.path.join(tmp, "geo-data")
    nd = os.path.join(tmp, "geo.ndjson")
    with open(nd, "w") as f:
        f.write('{"id": "paris", "lat": 48.8566, "lon": 2.3522}\n')
        f.write('{"id": "versailles", "lat": "48.8049", "lon": "2.1204"}\n')   # numbers as strings
        f.write('{"id": "tokyo", "lat": 35.68, "lon": 139.69}\n')
        f.write('{"id": "half", "lat": 10}\n')                                  # no lon -> rejected
        f.write('{"id": "nogeo", "name": "x"}\n')                               # neither: kept, no point
    p = run("import", "geond", nd, "--data", data, "--geo", "lat,lon")
    err = p.stderr.decode()
    check("geo ndjson: exit 1, one rejected", p.returncode == 1 and "rejected 1" in err, err)
    rej = [json.loads(l) for l in open(nd + ".rejects")]
    check("geo ndjson: reject names the fields", len(rej) == 1 and rej[0]["line"] == 4 and "'lat','lon'" in rej[0]["reason"], rej)
    docs = {d["id"]: d for d in dump(data, "geond")}
    check("geo ndjson: location object, lat/lon moved", docs.get("paris", {}).get("location") == {"lat": 48.8566, "lon": 2.3522}
          and "lat" not in docs.get("paris", {}), docs)
    arr = os.path.join(tmp, "geo.json")
    json.dump([{"id": 1, "latitude": 48.8566, "longitude": 2.3522}, {"id": 2, "latitude": -33.87, "longitude": 151.21}],
              open(arr, "w"))
    p = run("import", "geoarr", arr, "--data", data, "--geo", "pos=latitude,longitude")
    check("geo json array: exit 0", p.returncode == 0, p.stderr)
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    url = "http://127.0.0.1:%d" % port
    env = {k: v for k, v in os.environ.items() if not k.startswith("MERIDIAN_")}
    srv = subprocess.Popen([MERIDIAN, "serve", "--data", data, "--listen", "127.0.0.1:%d" % port, "--no-access-log"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        wait_health(url)
        info = json.loads(urllib.request.urlopen(url + "/v1/indexes/geond").read())
        loc = info["schema"]["fields"].get("location")
        check("geo ndjson: location is a geo_point", (loc if isinstance(loc, str) else (loc or {}).get("type")) == "geo_point", info)
        hits = json.loads(urllib.request.urlopen(url + "/v1/indexes/geond/search?near=48.85,2.35&radius=50km&sort=_geo_distance").read())["hits"]
        check("geo ndjson: radius search finds the NDJSON points", [h["id"] for h in hits] == ["paris", "versailles"], hits)
        hits = json.loads(urllib.request.urlopen(url + "/v1/indexes/geoarr/search?near=48.85,2.35&radius=50km&geo_field=pos").read())["hits"]
        check("geo json array: radius search on FIELD=", [h["id"] for h in hits] in ([1], ["1"]), hits)
        ond = os.path.join(tmp, "geo-online.ndjson")
        with open(ond, "w") as f:
            f.write('{"id": "lyon", "lat": 45.764, "lon": 4.8357}\n')
        p = run("import", "geoonline", ond, "--url", url, "--geo", "lat,lon", "--quiet")
        check("geo ndjson online: exit 0", p.returncode == 0, p.stderr)
        hit = []
        for _ in range(50):  # visible within the refresh interval
            hit = json.loads(urllib.request.urlopen(url + "/v1/indexes/geoonline/search?near=45.76,4.83&radius=10km").read())["hits"]
            if hit:
                break
            time.sleep(0.1)
        check("geo ndjson online: radius search finds it (no 400 before the refresh)", [h["id"] for h in hit] == ["lyon"], hit)
    finally:
        stop_process(srv)


def main():
    tmp = tempfile.mkdtemp(prefix="meridian-e2e-import-")
    try:
        for t in [test_ndjson_with_rejects, test_json_array_csv_and_compressed, test_fatal_and_usage,
                  test_locked_directory, test_online, test_parallel_last_copy_wins_and_merge, test_geo_json_inputs]:
            try:
                t(tmp)
            except Exception as e:  # a crash of one test is a failure, not the end of the run
                results["failed"] += 1
                print(f"FAIL {t.__name__}: {e!r}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{results['passed']} passed, {results['failed']} failed")
    sys.exit(1 if results["failed"] else 0)


if __name__ == "__main__":
    main()
