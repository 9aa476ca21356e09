#!/usr/bin/env python3
"""End-to-end test of the native PostgreSQL CDC source (docs/CDC.md).

Usage: cdc_pg_test.py PATH/TO/meridian
Needs MERIDIAN_TEST_PG_DSN (a PostgreSQL 15 with wal_level=logical, e.g. from
scripts/lib/pg_test_cluster.sh) and the `psql` binary; without the DSN it
prints "0 passed, 0 failed" and a SKIP note. MERIDIAN_TEST_PG_CTL ("pg_ctl
... -D DIR", as set by that script) lets it restart PostgreSQL once.

A table with text, numbers and a point gets an initial load (the source's
snapshot), then a random workload of inserts, updates (some changing the
key), deletes and one truncate, while `meridian serve` is SIGKILLed and
restarted at random moments and PostgreSQL is restarted once. After catching
up, `meridian dump` must equal SELECT * FROM the table exactly: same ids,
every mapped value, no duplicates, no resurrected deletes.
Prints "N passed, M failed"; exits non-zero on failure.
"""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from e2e_util import free_port

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/meridian"
DSN = os.environ.get("MERIDIAN_TEST_PG_DSN", "")
PG_CTL = os.environ.get("MERIDIAN_TEST_PG_CTL", "")
RESULTS = {"passed": 0, "failed": 0}
SEED = int(os.environ.get("MERIDIAN_TEST_SEED", str(int(time.time()))))
rng = random.Random(SEED)


def check(name, cond, detail=""):
    if cond:
        RESULTS["passed"] += 1
    else:
        RESULTS["failed"] += 1
        print("FAIL: %s %s (seed %d)" % (name, str(detail)[:2000], SEED))


def psql(sql, check_errors=True):
    p = subprocess.run(["psql", DSN, "-qtAX", "-v", "ON_ERROR_STOP=%d" % (1 if check_errors else 0)],
                       input=sql, capture_output=True, text=True, timeout=60)
    if check_errors and p.returncode != 0:
        raise RuntimeError("psql failed: %s" % p.stderr)
    return p.stdout


class Server:
    def __init__(self, data, log):
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("MERIDIAN_")}
        self.proc = subprocess.Popen([BIN, "serve", "--data", data, "--listen", "127.0.0.1:%d" % self.port],
                                     stdout=subprocess.DEVNULL, stderr=log, env=env)
        self.base = "http://127.0.0.1:%d" % self.port
        for _ in range(600):
            if self.proc.poll() is not None:
                raise RuntimeError("server exited with %d" % self.proc.returncode)
            try:
                if self.req("GET", "/health")[0] == 200:
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def req(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        r = urllib.request.Request(self.base + path, data=data, method=method,
                                   headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(r, timeout=30) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.kill()


def table_rows():
    out = psql("SELECT coalesce(json_agg(json_build_object('id', id, 'name', name, 'price', price, 'qty', qty, "
               "'lat', ST_Y(geom), 'lon', ST_X(geom))), '[]') FROM cdc_items")
    return {str(r["id"]): r for r in json.loads(out)}


def index_rows(data):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MERIDIAN_")}
    p = subprocess.run([BIN, "dump", "items", "--data", data], capture_output=True, text=True, env=env, timeout=120)
    if p.returncode != 0:
        raise RuntimeError("dump failed: %s" % p.stderr)
    docs = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
    return docs


def same(table, docs):
    ids = [d.get("id") for d in docs]
    if len(ids) != len(set(ids)):
        return False, "duplicate ids"
    got = {d["id"]: d for d in docs}
    if set(got) != set(table):
        return False, "ids differ: only in index %s, only in table %s" % (
            sorted(set(got) - set(table))[:10], sorted(set(table) - set(got))[:10])
    for k, r in table.items():
        d = got[k]
        loc = d.get("location") or {}
        ok = (d.get("name") == r["name"] and abs(float(d.get("price", -1)) - float(r["price"])) < 1e-9
              and d.get("qty") == r["qty"] and abs(loc.get("lat", 999) - r["lat"]) < 1e-9
              and abs(loc.get("lon", 999) - r["lon"]) < 1e-9)
        if not ok:
            return False, "row %s: table %s index %s" % (k, r, d)
    return True, ""


def random_sql(n, next_id):
    stmts = []
    for _ in range(n):
        x = rng.random()
        i = rng.randint(1, next_id[0])
        if x < 0.4:
            next_id[0] += 1
            stmts.append("INSERT INTO cdc_items VALUES (%d, 'item %d %s', %.2f, %d, "
                         "ST_SetSRID(ST_MakePoint(%.6f, %.6f), 4326)) ON CONFLICT DO NOTHING;" % (
                             next_id[0], next_id[0], rng.choice(["red", "blue", "green"]), rng.uniform(1, 500),
                             rng.randint(0, 100), rng.uniform(-180, 180), rng.uniform(-90, 90)))
        elif x < 0.7:
            stmts.append("UPDATE cdc_items SET name = name || ' v', qty = qty + 1, price = price + 1 WHERE id = %d;" % i)
        elif x < 0.8:
            next_id[0] += 1
            stmts.append("UPDATE cdc_items SET id = %d WHERE id = %d;" % (next_id[0], i))
        elif x < 0.9:
            stmts.append("DELETE FROM cdc_items WHERE id = %d;" % i)
        else:
            stmts.append("BEGIN; UPDATE cdc_items SET qty = qty * 2 WHERE id %% 7 = %d; DELETE FROM cdc_items WHERE id = %d; COMMIT;"
                         % (rng.randint(0, 6), rng.randint(1, next_id[0])))
    return "\n".join(stmts) + "\n"


def main():
    if not DSN:
        print("SKIP: MERIDIAN_TEST_PG_DSN is not set (scripts/test starts a cluster)")
        print("0 passed, 0 failed")
        return 0
    tmp = tempfile.mkdtemp(prefix="meridian-cdc-pg-")
    data = os.path.join(tmp, "data")
    log = open(os.path.join(tmp, "server.log"), "ab")
    srv = None
    try:
        psql("CREATE EXTENSION IF NOT EXISTS postgis;")
        psql("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'meridian_e2e';"
             "DROP PUBLICATION IF EXISTS meridian_e2e; DROP TABLE IF EXISTS cdc_items;"
             "CREATE TABLE cdc_items (id int PRIMARY KEY, name text NOT NULL, price numeric(10,2) NOT NULL,"
             " qty int NOT NULL, geom geometry(Point, 4326) NOT NULL);")
        next_id = [300]
        psql("INSERT INTO cdc_items SELECT g, 'item ' || g, (g % 100) + 0.25, g % 13,"
             " ST_SetSRID(ST_MakePoint((g % 360) - 180 + 0.5, (g % 180) - 90 + 0.25), 4326) FROM generate_series(1, 300) g;")
        srv = Server(data, log)
        check("create index", srv.req("PUT", "/v1/indexes/items", {})[0] == 201)
        s, b = srv.req("PUT", "/v1/indexes/items/sources/pg", {
            "type": "postgres", "dsn": DSN, "table": "public.cdc_items", "publication": "meridian_e2e",
            "slot": "meridian_e2e", "id_column": "id",
            "mapping": {"columns": {"price": {"type": "float"}, "qty": {"type": "int"}, "name": {"type": "text"}},
                        "geo": [{"field": "location", "column": "geom"}]}})
        check("create source", s == 201, b)
        # Wait for the snapshot and streaming.
        state = None
        for _ in range(300):
            state = srv.req("GET", "/v1/indexes/items/sources/pg")[1]
            if state.get("state") == "streaming":
                break
            time.sleep(0.1)
        check("source streams after the snapshot", state.get("state") == "streaming" and state.get("snapshot_rows") == 300, state)
        deadline = time.time() + 35
        kills = 0
        pg_restarted = False
        truncated = False
        while time.time() < deadline:
            psql(random_sql(rng.randint(5, 40), next_id), check_errors=False)
            r = rng.random()
            if r < 0.12:
                srv.kill()
                kills += 1
                time.sleep(rng.uniform(0, 0.5))
                srv = Server(data, log)
            if not truncated and time.time() > deadline - 25:
                psql("TRUNCATE cdc_items; INSERT INTO cdc_items SELECT g, 'again ' || g, 1.5, g %% 5,"
                     " ST_SetSRID(ST_MakePoint(10, 20), 4326) FROM generate_series(%d, %d) g;" % (next_id[0] + 1, next_id[0] + 50),
                     check_errors=False)
                next_id[0] += 50
                truncated = True
            if PG_CTL and not pg_restarted and time.time() > deadline - 15:
                subprocess.run(PG_CTL.split() + ["-m", "fast", "restart"], capture_output=True, timeout=60)
                pg_restarted = True
            time.sleep(rng.uniform(0, 0.3))
        check("workload killed the server", kills >= 1, kills)
        check("postgres restarted", pg_restarted or not PG_CTL)
        # Catch up: compare until equal (or time out).
        ok, why = False, ""
        for attempt in range(12):
            time.sleep(2.5)
            state = srv.req("GET", "/v1/indexes/items/sources/pg")[1]
            srv.stop()
            srv = None
            table = table_rows()
            docs = index_rows(data)
            ok, why = same(table, docs)
            if ok:
                break
            srv = Server(data, log)
        check("index equals the table after catching up", ok, why)
        check("table not empty", len(table_rows()) > 0)
        srv = Server(data, log)
        s, m = srv.req("GET", "/v1/indexes/items/sources/pg")
        check("state after restart", s == 200 and m.get("type") == "postgres" and "lag_bytes" in m and "lag_seconds" in m, m)
        check("dsn shown", "dsn" in m, m)
        r = urllib.request.urlopen(srv.base + "/metrics", timeout=10).read().decode()
        check("lag on /metrics", 'meridian_cdc_lag_bytes{index="items",source="pg"}' in r, r[-500:])
        # The published table idles while another table is written: the
        # slot must still advance (else the server keeps its WAL forever).
        psql("DROP TABLE IF EXISTS cdc_other; CREATE TABLE cdc_other (x int);"
             "INSERT INTO cdc_other SELECT generate_series(1, 5000);")
        target = psql("SELECT pg_current_wal_lsn()").strip()
        advanced = "f"
        for _ in range(200):
            advanced = psql("SELECT confirmed_flush_lsn >= '%s'::pg_lsn FROM pg_replication_slots"
                            " WHERE slot_name = 'meridian_e2e'" % target).strip()
            if advanced == "t":
                break
            time.sleep(0.1)
        check("idle source: slot confirmed past other tables' writes", advanced == "t", (target, advanced))
        s, b = srv.req("DELETE", "/v1/indexes/items/sources/pg?drop_slot=true")
        check("delete source", s == 200, b)
        slots = psql("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'meridian_e2e'").strip()
        check("slot dropped", slots == "0", slots)
    except Exception as e:  # noqa: BLE001
        check("exception", False, repr(e))
    finally:
        if srv:
            srv.stop()
        log.close()
        if RESULTS["failed"]:
            with open(os.path.join(tmp, "server.log"), "rb") as f:
                sys.stdout.write(f.read().decode("utf-8", "replace")[-4000:])
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]))
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
