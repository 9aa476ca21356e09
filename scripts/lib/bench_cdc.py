"""The `cdc` suite of scripts/bench: Meridian's native PostgreSQL source
(docs/CDC.md) under a steady stream of committed changes, and its end-to-end
lag: commit acknowledged by PostgreSQL -> the change visible in search.

Setup: a throwaway PostgreSQL 15 (bench_peers.Postgres, wal_level=logical,
synchronous_commit=on, fsync=off) with a table cdc_docs(id bigint primary key,
seq bigint, title text, body text) preloaded with --cdc-preload rows; `meridian
serve` on a free loopback port with a fresh data directory (--no-access-log);
an index `cdc` (title/body text, seq int) fed by a postgres source on the table.
The suite waits for the source's snapshot, for `streaming` and for the preload
to be searchable before any phase starts.

Workload: every change (an INSERT of a new row, or an UPDATE of a random
existing row: --cdc-update-share, default 0.2) sets `seq` to the next value of
one global counter. One producer connection commits one transaction every 10 ms
holding the changes due by then at the target rate (so 2,000/s = 20 changes per
transaction, 10,000/s = 100), for --cdc-duration seconds per rate; when a commit
is late the next transaction carries the backlog, so the offered rate holds on
average. Commit time = when the producer received ReadyForQuery after COMMIT
(time.monotonic()). The producer speaks the PostgreSQL wire protocol itself
(PgWire below: simple query, trust auth, stdlib only) so no driver is needed.

Visibility: a separate poller process (so the producer's timing is not
disturbed by the GIL) sends GET /v1/indexes/cdc/search?sort=seq:desc&size=1
&track_total_hits=true every --cdc-poll-ms (default 5) over one keep-alive
connection and records (time the response arrived, highest visible seq, total).
One connection commits in seq order and Meridian applies each transaction whole
and in commit order, so a visible seq S means every change with seq <= S is
visible; a change's lag = the first poll response covering its seq - its commit
time. That is an upper bound, late by at most one poll period plus one request
(both reported). Every change is measured, none sampled. The method's own
assumption is checked at each poll: the highest visible seq must be the last seq
of some transaction (no half-visible transaction) and the total must equal the
preload plus the inserts of the transactions up to it (no gap); violations are
counted and reported.

Burst: --cdc-burst changes committed as fast as one connection can (1,000 per
transaction, same mix); changes/s applied = changes / (first commit sent -> last
change visible).

Also per phase: the lag p50 of the first and the last quarter of the changes
(a growing lag means the source falls behind) and the machine's busy CPU time
split between meridian, the PostgreSQL cluster, this script and everything else
(a phase where others took over 25 % is flagged CONTENDED). At the end the
index is compared with the table in count and sum(seq) (every insert and every
update applied) and the source's reconnects and last error are reported.
Meridian is stopped before PostgreSQL (see the comment in suite_cdc).
"""
import http.client
import json
import multiprocessing
import os
import random
import shutil
import socket
import struct
import subprocess
import time

from bench_common import BenchError, Result, make_tempdir, stop_process
from bench_peers import Postgres, free_port

INDEX = "cdc"
TABLE = "cdc_docs"
SOURCE = "pg"
TICK_S = 0.010
VOCABULARY = 20000  # generated words (distinct ones fewer)
POOL = 8192  # generated titles and bodies each
BURST_TXN = 1000
POLL_PATH = "/v1/indexes/%s/search?sort=seq:desc&size=1&fields=seq&track_total_hits=true" % INDEX
SYLLABLES = ("ka", "lo", "mer", "di", "an", "sea", "rch", "ten", "vo", "ri", "pa", "qu", "el",
             "ost", "in", "dex", "nu", "ma", "tor", "bel", "cis", "on", "fra", "gu")


# ------------------------------------------------------------------ PostgreSQL wire client
class PgWire:
    """A minimal PostgreSQL frontend: protocol 3.0, trust authentication, simple
    query protocol. query() sends one Query message (any number of statements)
    and returns when ReadyForQuery arrives, i.e. once a COMMIT in it is done.
    Stdlib only, so the suite runs under whichever python3 runs scripts/bench
    (Debian's python3-psycopg2 only serves /usr/bin/python3)."""

    def __init__(self, port, user="postgres", database="postgres"):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=120)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rf = self.sock.makefile("rb")
        params = b"user\0%s\0database\0%s\0\0" % (user.encode(), database.encode())
        self.sock.sendall(struct.pack("!ii", 8 + len(params), 196608) + params)
        self._until_ready()

    def _read(self, n):
        data = self.rf.read(n)
        if data is None or len(data) != n:
            raise BenchError("postgres: connection closed")
        return data

    def _until_ready(self):
        rows, error = [], None
        while True:
            kind = self._read(1)
            body = self._read(struct.unpack("!i", self._read(4))[0] - 4)
            if kind == b"R" and struct.unpack("!i", body[:4])[0] != 0:
                raise BenchError("postgres: authentication other than trust requested")
            if kind == b"E":
                fields = dict((f[:1], f[1:].decode(errors="replace"))
                              for f in body.split(b"\0") if f)
                error = error or fields.get(b"M", "error")
            elif kind == b"D":
                n, off, row = struct.unpack("!h", body[:2])[0], 2, []
                for _ in range(n):
                    size = struct.unpack("!i", body[off:off + 4])[0]
                    off += 4
                    row.append(None if size < 0 else body[off:off + size].decode())
                    off += max(size, 0)
                rows.append(row)
            elif kind == b"Z":
                if error:
                    raise BenchError("postgres: " + error)
                return rows

    def query(self, sql):
        data = sql.encode() + b"\0"
        self.sock.sendall(b"Q" + struct.pack("!i", 4 + len(data)) + data)
        return self._until_ready()

    def close(self):
        try:
            self.sock.sendall(b"X" + struct.pack("!i", 4))
        except OSError:
            pass
        self.rf.close()
        self.sock.close()


# ------------------------------------------------------------------ workload
class Txn:
    """One committed transaction: seqs first_seq..last_seq, inserts of them new rows."""
    __slots__ = ("first_seq", "last_seq", "inserts", "sent", "ack")

    def __init__(self, first_seq, last_seq, inserts, sent, ack):
        self.first_seq, self.last_seq, self.inserts = first_seq, last_seq, inserts
        self.sent, self.ack = sent, ack

    @property
    def changes(self):
        return self.last_seq - self.first_seq + 1


class Workload:
    """Generates transactions of inserts and updates; owns the id and seq counters."""

    def __init__(self, seed, update_share, pool=POOL):
        self.rng = random.Random(seed)
        self.update_share = update_share
        self.next_id = 1
        self.seq = 0
        self.inserted = 0
        # Texts are drawn from pools generated once, so the producer spends its CPU on
        # committing, not on making up words.
        vocab = sorted({self.word() for _ in range(VOCABULARY)})
        self.titles = [" ".join(self.rng.choices(vocab, k=self.rng.randint(3, 7)))
                       for _ in range(pool)]
        self.bodies = [" ".join(self.rng.choices(vocab, k=self.rng.randint(15, 30)))
                       for _ in range(pool)]

    def word(self):
        return "".join(self.rng.choice(SYLLABLES) for _ in range(self.rng.randint(1, 4)))

    def row(self, id_, seq):
        return "(%d,%d,'%s','%s')" % (id_, seq, self.rng.choice(self.titles),
                                      self.rng.choice(self.bodies))

    def batch(self, n, updates=True):
        """SQL for one transaction of n changes; inserts take the lower seqs (they come first
        in the WAL), then the updates. Returns (sql, first_seq, last_seq, inserts)."""
        n_upd = 0
        if updates and self.next_id > 1:
            expect = n * self.update_share
            n_upd = int(expect) + (1 if self.rng.random() < expect - int(expect) else 0)
            n_upd = min(n_upd, self.next_id - 1)
        n_ins = n - n_upd
        first = self.seq + 1
        parts = ["BEGIN;"]
        if n_ins:
            rows = [self.row(self.next_id + i, first + i) for i in range(n_ins)]
            parts.append("INSERT INTO %s (id, seq, title, body) VALUES %s;" % (
                TABLE, ",".join(rows)))
        if n_upd:
            ids = self.rng.sample(range(1, self.next_id), n_upd)
            rows = [self.row(id_, first + n_ins + i) for i, id_ in enumerate(ids)]
            parts.append("UPDATE %s t SET seq = v.seq, title = v.title, body = v.body FROM "
                         "(VALUES %s) AS v(id, seq, title, body) WHERE t.id = v.id;" % (
                             TABLE, ",".join(rows)))
        parts.append("COMMIT;")
        self.next_id += n_ins
        self.seq += n
        self.inserted += n_ins
        return " ".join(parts), first, self.seq, n_ins


def commit(pg, wl, n, updates=True):
    sql, first, last, inserts = wl.batch(n, updates)
    sent = time.monotonic()
    pg.query(sql)
    return Txn(first, last, inserts, sent, time.monotonic())


def produce_steady(pg, wl, rate, duration):
    """Commits rate*duration changes, one transaction per TICK_S with what is due."""
    total = int(rate * duration)
    txns, sent = [], 0
    start = time.monotonic()
    tick = 0
    while sent < total:
        due = min(total, int((time.monotonic() - start) * rate))
        if due > sent:
            txns.append(commit(pg, wl, due - sent))
            sent = due
        tick = max(tick + 1, int((time.monotonic() - start) / TICK_S))
        delay = start + tick * TICK_S - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    return txns


def produce_burst(pg, wl, total):
    txns, sent = [], 0
    while sent < total:
        n = min(BURST_TXN, total - sent)
        txns.append(commit(pg, wl, n))
        sent += n
    return txns


# ------------------------------------------------------------------ meridian
class Meridian:
    """`meridian serve` on a free loopback port, stderr to a log file; stop() sends SIGTERM
    to that process only."""

    def __init__(self, exe, data, log_path, res):
        self.port = free_port()
        argv = [exe, "serve", "--data", data, "--listen", "127.0.0.1:%d" % self.port,
                "--no-access-log"]
        res.commands.append(" ".join(argv).replace(data, "$DATA").replace(str(self.port), "$PORT"))
        self.log_path = log_path
        self.log_file = open(log_path, "ab")
        env = {k: v for k, v in os.environ.items() if not k.startswith("MERIDIAN_")}
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=self.log_file, env=env)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise BenchError("meridian serve exited %d: %s" % (self.proc.returncode,
                                                                   self.log_tail()))
            try:
                if self.request("GET", "/health")[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise BenchError("meridian serve did not answer /health within 60 s")

    def request(self, method, path, body=None, timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=None if body is None else json.dumps(body),
                         headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            return r.status, json.loads(r.read() or b"null")
        finally:
            conn.close()

    def call(self, method, path, body=None, ok=(200, 201)):
        status, out = self.request(method, path, body)
        if status not in ok:
            raise BenchError("%s %s -> %d %s" % (method, path, status, json.dumps(out)[:500]))
        return out

    def cpu_seconds(self):
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_tail(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-1500:].decode(errors="replace")
        except OSError:
            return ""

    def stop(self):
        stop_process(self.proc, 60)
        self.proc = None
        self.log_file.close()


def poll_loop(port, interval, target, stop, out, give_up_s):
    """Poller process: records (sent, received, max seq, total) whenever the answer changes."""
    obs, durations, last, conn = [], [], None, None
    stop_seen, cpu0, first = None, time.process_time(), time.monotonic()
    while True:
        t0 = time.monotonic()
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", POLL_PATH)
            r = conn.getresponse()
            body = r.read()
            t1 = time.monotonic()
            if r.status != 200:
                out.send({"error": "search -> %d %s" % (r.status, body[:300])})
                return
            if r.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException):
            if conn:
                conn.close()
            conn = None  # the server ends keep-alive connections after N requests
            continue
        doc = json.loads(body)
        hits = doc["hits"]
        seq = int(hits[0]["source"]["seq"]) if hits else 0
        state = (seq, doc["total"]["value"])
        durations.append(t1 - t0)
        if state != last:
            obs.append((t0, t1) + state)
            last = state
        if stop.is_set():
            stop_seen = stop_seen or t1
            if seq >= target.value or t1 - stop_seen > give_up_s:
                break
        delay = t0 + interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    if conn:
        conn.close()
    out.send({"obs": obs, "durations": durations, "cpu_s": time.process_time() - cpu0,
              "span_s": time.monotonic() - first})


class Poller:
    def __init__(self, port, interval_s, give_up_s=60):
        ctx = multiprocessing.get_context("fork")
        self.target = ctx.Value("q", 0)
        self.stop_evt = ctx.Event()
        self.rx, tx = ctx.Pipe(duplex=False)
        self.proc = ctx.Process(target=poll_loop, args=(port, interval_s, self.target,
                                                        self.stop_evt, tx, give_up_s))
        self.proc.start()

    def finish(self, target_seq, timeout):
        """Tells the poller the last seq; returns its observations once it saw it (or gave up)."""
        self.target.value = target_seq
        self.stop_evt.set()
        if not self.rx.poll(timeout):
            self.proc.kill()
            self.proc.join()
            raise BenchError("the poller did not finish within %d s" % timeout)
        got = self.rx.recv()
        self.proc.join()
        if "error" in got:
            raise BenchError("poller: " + got["error"])
        return got


# ------------------------------------------------------------------ analysis
def percentile(sorted_values, p):
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return None
    k = max(0, min(len(sorted_values) - 1, int(-(-p * len(sorted_values) // 100)) - 1))
    return sorted_values[k]


def analyse(txns, polled, base_total, base_seq):
    """Lag per change (weighted by transaction size) and the prefix checks."""
    obs = polled["obs"]
    last_seqs = {t.last_seq for t in txns}
    inserts_upto, total = {}, base_total
    for t in txns:
        total += t.inserts
        inserts_upto[t.last_seq] = total
    not_txn_end = gaps = 0
    for _, _, seq, n in obs:
        if seq > base_seq:
            if seq not in last_seqs:
                not_txn_end += 1
            elif inserts_upto[seq] != n:
                gaps += 1
    lags, i = [], 0
    visible_at = {}
    for t in txns:
        while i < len(obs) and obs[i][2] < t.last_seq:
            i += 1
        if i == len(obs):
            break
        visible_at[t.last_seq] = obs[i][1]
        lags += [obs[i][1] - t.ack] * t.changes
    # Lags in commit order: the first and the last quarter show whether the lag grows
    # (the source falls behind) or holds steady.
    quarter = len(lags) // 4
    trend = [sorted(lags[:quarter]), sorted(lags[-quarter:])] if quarter else [[], []]
    lags.sort()
    d = sorted(polled["durations"])
    period = polled["span_s"] / max(1, len(d))
    last = txns[-1]
    return {
        "changes": sum(t.changes for t in txns), "transactions": len(txns),
        "measured": len(lags), "not_visible": sum(t.changes for t in txns) - len(lags),
        "first_sent": txns[0].sent, "last_ack": last.ack,
        "last_visible": visible_at.get(last.last_seq),
        "lag_ms": {p: 1000 * percentile(lags, p) for p in (50, 95, 99)} if lags else {},
        "lag_min_ms": 1000 * lags[0] if lags else None,
        "lag_max_ms": 1000 * lags[-1] if lags else None,
        "lag_mean_ms": 1000 * sum(lags) / len(lags) if lags else None,
        "lag_p50_first_quarter_ms": 1000 * percentile(trend[0], 50) if trend[0] else None,
        "lag_p50_last_quarter_ms": 1000 * percentile(trend[1], 50) if trend[1] else None,
        "polls": len(d), "poll_period_ms": 1000 * period,
        "poll_request_p50_ms": 1000 * percentile(d, 50), "poll_request_max_ms": 1000 * d[-1],
        "half_visible_txn_polls": not_txn_end, "gap_polls": gaps,
        "max_txn_changes": max(t.changes for t in txns),
        "max_commit_ms": 1000 * max(t.ack - t.sent for t in txns),
    }


# ------------------------------------------------------------------ CPU accounting
TICK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid, children=False):
    """CPU seconds of a process (plus its reaped children when asked); 0 once it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            x = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(x[11]) + int(x[12]) + ((int(x[13]) + int(x[14])) if children else 0)
    return ticks / TICK


def postgres_cpu(pg):
    """The cluster's CPU: the postmaster with its reaped children plus every live child."""
    try:
        with open(os.path.join(pg.dir, "data", "postmaster.pid")) as f:
            master = int(f.readline())
    except (OSError, ValueError):
        return 0.0
    total = proc_cpu(master, children=True)
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open("/proc/%s/stat" % name) as f:
                    x = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(x[1]) == master:
                total += (int(x[11]) + int(x[12])) / TICK
    return total


def machine_busy():
    """CPU seconds all CPUs spent busy (not idle, not waiting for I/O) since boot."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return (sum(v) - v[3] - v[4]) / TICK


def cpu_sample(srv, pg):
    return {"meridian": srv.cpu_seconds(), "postgres": postgres_cpu(pg),
            "bench": time.process_time(), "machine": machine_busy(), "wall": time.monotonic()}


def cpu_delta(a, b, poller_cpu):
    d = {k: b[k] - a[k] for k in a}
    d["bench"] += poller_cpu
    d["other"] = max(0.0, d["machine"] - d["meridian"] - d["postgres"] - d["bench"])
    d["available"] = d["wall"] * (os.cpu_count() or 1)
    return d


# ------------------------------------------------------------------ phases
def wait_for(what, fn, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = fn()
        if got:
            return got
        time.sleep(0.05)
    raise BenchError("timed out after %d s waiting for %s" % (timeout, what))


def visible_state(srv):
    out = srv.call("GET", POLL_PATH)
    return (int(out["hits"][0]["source"]["seq"]) if out["hits"] else 0), out["total"]["value"]


def run_phase(label, srv, pg, wl, produce, poll_s, log):
    base_seq, base_total = wl.seq, wl.inserted
    poller = Poller(srv.port, poll_s)
    time.sleep(0.2)  # the poller is connected and has a baseline
    cpu0 = cpu_sample(srv, pg)
    try:
        txns = produce()
    finally:
        polled = poller.finish(wl.seq, timeout=180)
    cpu = cpu_delta(cpu0, cpu_sample(srv, pg), polled["cpu_s"])
    out = analyse(txns, polled, base_total, base_seq)
    out["phase"] = label
    out["cpu_s"] = cpu
    out["meridian_cpu_s"] = cpu["meridian"]
    out["offered_per_s"] = out["changes"] / (out["last_ack"] - out["first_sent"])
    if out["last_visible"] is None:
        source = srv.call("GET", "/v1/indexes/%s/sources/%s" % (INDEX, SOURCE))
        raise BenchError("%s: the last change (seq %d) never became visible; last seen %s; "
                         "source %s" % (label, wl.seq, polled["obs"][-1:], source))
    out["applied_per_s"] = out["changes"] / (out["last_visible"] - out["first_sent"])
    lag = out["lag_ms"]
    log("  %s: %d changes in %d txns, offered %.0f/s, applied %.0f/s, lag p50 %.0f p95 %.0f "
        "p99 %.0f max %.0f ms (p50 first / last quarter %.0f / %.0f ms)" % (
            label, out["changes"], out["transactions"], out["offered_per_s"],
            out["applied_per_s"], lag[50], lag[95], lag[99], out["lag_max_ms"],
            out["lag_p50_first_quarter_ms"], out["lag_p50_last_quarter_ms"]))
    log("  CPU-s over %.1f s wall: meridian %.1f, postgres %.1f, producer+poller %.1f, other "
        "processes %.1f (of %.0f)" % (cpu["wall"], cpu["meridian"], cpu["postgres"], cpu["bench"],
                                      cpu["other"], cpu["available"]))
    if cpu["other"] > 0.25 * cpu["available"]:
        log("  WARNING: other processes kept %.0f%% of the CPU busy: this phase is contended"
            % (100 * cpu["other"] / cpu["available"]))
    return out


def setup_source(srv, pg, wl, preload, res, log):
    conn = PgWire(pg.port)
    try:
        conn.query("CREATE TABLE %s (id bigint PRIMARY KEY, seq bigint NOT NULL, "
                   "title text NOT NULL, body text NOT NULL)" % TABLE)
        while wl.inserted < preload:
            conn.query(wl.batch(min(5000, preload - wl.inserted), updates=False)[0])
    finally:
        conn.close()
    index_body = {"fields": {"title": "text", "body": "text", "seq": "int"}}
    source_body = {
        "type": "postgres", "dsn": pg.conninfo(), "table": "public." + TABLE,
        "publication": "meridian_bench", "slot": "meridian_bench", "id_column": "id",
        "mapping": {"columns": {"seq": {"type": "int"}, "title": {"type": "text"},
                                "body": {"type": "text"}}}}
    srv.call("PUT", "/v1/indexes/" + INDEX, index_body)
    srv.call("PUT", "/v1/indexes/%s/sources/%s" % (INDEX, SOURCE), source_body)
    res.commands += [
        "PUT /v1/indexes/%s %s" % (INDEX, json.dumps(index_body)),
        "PUT /v1/indexes/%s/sources/%s %s" % (INDEX, SOURCE, json.dumps(source_body).replace(
            str(pg.port), "$PGPORT")),
        "GET %s   (the poller, every --cdc-poll-ms)" % POLL_PATH]
    path = "/v1/indexes/%s/sources/%s" % (INDEX, SOURCE)
    t0 = time.monotonic()
    st = wait_for("the source to stream", lambda: (lambda s: s if s.get("state") == "streaming"
                                                   else None)(srv.call("GET", path)), 120)
    if st.get("snapshot_rows") != preload:
        raise BenchError("snapshot copied %s rows, expected %d" % (st.get("snapshot_rows"),
                                                                   preload))
    wait_for("the preload to be searchable",
             lambda: visible_state(srv) == (wl.seq, preload), 60)
    log("  snapshot of %d rows streaming and searchable after %.1f s" % (
        preload, time.monotonic() - t0))
    return time.monotonic() - t0


def verify(srv, pg, wl):
    conn = PgWire(pg.port)
    try:
        count, total, top = conn.query("SELECT count(*), sum(seq), max(seq) FROM %s" % TABLE)[0]
    finally:
        conn.close()
    out = srv.call("POST", "/v1/indexes/%s/search" % INDEX, {
        "size": 0, "track_total_hits": True, "facets": {"seq": {"stats": {"field": "seq"}}}})
    stats = out.get("facets", {}).get("seq", {})
    got = {"table_rows": int(count), "table_seq_sum": int(total), "table_max_seq": int(top),
           "index_docs": out["total"]["value"], "index_seq_sum": stats.get("sum"),
           "expected_rows": wl.inserted, "expected_max_seq": wl.seq}
    got["equal"] = (got["table_rows"] == got["index_docs"] == wl.inserted and
                    got["table_max_seq"] == wl.seq and
                    got["index_seq_sum"] is not None and
                    int(round(got["index_seq_sum"])) == got["table_seq_sum"])
    src = srv.call("GET", "/v1/indexes/%s/sources/%s" % (INDEX, SOURCE))
    got["source"] = {k: src.get(k) for k in ("state", "last_error", "changes", "reconnects",
                                              "snapshot_rows", "lag_bytes")}
    return got


# ------------------------------------------------------------------ suite
def suite_cdc(ctx, log):
    args = ctx.args
    rates = [int(r) for r in str(args.cdc_rates).split(",") if r.strip()]
    if not rates or min(rates) < 1 or args.cdc_duration < 1 or args.cdc_preload < 1:
        raise BenchError("--cdc-rates needs positive rates, --cdc-duration and --cdc-preload >= 1")
    exe = ctx.binary("meridian")
    data_info = {"name": "generated rows", "path": "(generated: %s, seed 8)" % TABLE,
                 "kind": "generated", "bytes": None}
    res = Result("cdc", "CDC lag: PostgreSQL commit -> searchable", data_info)
    work = make_tempdir("bench-cdc-")
    load = [loadavg()]
    try:
        with Postgres(log, logical=True) as pg:
            res.commands.append("postgres -c %s" % pg.options.split(" -c ", 1)[1]
                                .replace(pg.dir, "$PGDIR").replace(str(pg.port), "$PGPORT"))
            srv = Meridian(exe, os.path.join(work, "data"), os.path.join(work, "serve.log"), res)
            try:
                phases, check, snap_s = measure(srv, pg, args, rates, res, log)
            except BenchError:
                log("meridian serve log tail:\n" + srv.log_tail())
                raise
            finally:
                # Before PostgreSQL: a fast shutdown waits for a connected logical
                # walsender's client to confirm the last WAL, which the source does not
                # do (wal_sender_timeout, 60 s).
                srv.stop()
            load.append(loadavg())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    check["loadavg_start_end"] = load
    report(res, phases, check, snap_s, args, rates)
    return res


def measure(srv, pg, args, rates, res, log):
    """Snapshot, the steady phases, the burst and the end-state check."""
    wl = Workload(8, args.cdc_update_share)
    poll_s = args.cdc_poll_ms / 1000.0
    snap_s = setup_source(srv, pg, wl, args.cdc_preload, res, log)
    phases = []
    pgc = PgWire(pg.port)
    try:
        for rate in rates:
            log("cdc: steady %d changes/s for %d s" % (rate, args.cdc_duration))
            phases.append(run_phase("steady %d/s" % rate, srv, pg, wl,
                                    lambda: produce_steady(pgc, wl, rate, args.cdc_duration),
                                    poll_s, log))
            phases[-1]["target_per_s"] = rate
            time.sleep(1.0)
        if args.cdc_burst > 0:
            log("cdc: burst of %d changes" % args.cdc_burst)
            phases.append(run_phase("burst", srv, pg, wl,
                                    lambda: produce_burst(pgc, wl, args.cdc_burst), poll_s, log))
    finally:
        pgc.close()
    check = verify(srv, pg, wl)
    log("  end state: %s" % json.dumps(check))
    return phases, check, snap_s


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def report(res, phases, check, snap_s, args, rates):
    res.runs = phases + [dict(check, phase="end state")]
    for p in phases:
        name = p["phase"]
        res.add(name, "offered changes/s (achieved)" if "target_per_s" in p else
                "committed changes/s (one connection, flat out)", p["offered_per_s"], "changes/s")
        res.add(name, "applied changes/s", p["applied_per_s"], "changes/s")
        lag = p["lag_ms"]
        res.add(name, "lag p50 / p95 / p99 / max", "%.0f / %.0f / %.0f / %.0f" % (
            lag[50], lag[95], lag[99], p["lag_max_ms"]), "ms")
        res.add(name, "changes / transactions", "%d / %d" % (p["changes"], p["transactions"]), "")
        res.add(name, "lag p50 first / last quarter of the changes", "%.0f / %.0f" % (
            p["lag_p50_first_quarter_ms"], p["lag_p50_last_quarter_ms"]), "ms")
        c = p["cpu_s"]
        res.add(name, "CPU-s meridian / postgres / producer+poller / other (of available)",
                "%.1f / %.1f / %.1f / %.1f (of %.0f)" % (c["meridian"], c["postgres"], c["bench"],
                                                        c["other"], c["available"]), "CPU-s")
        res.add(name, "meridian CPU per 1,000 changes", 1000 * p["meridian_cpu_s"] / p["changes"],
                "CPU-s")
        if c["other"] > 0.25 * c["available"]:
            res.notes.append("%s: CONTENDED — other processes kept %.0f%% of the machine's CPU "
                             "busy during this phase; its figures say more about the neighbours "
                             "than about Meridian. Re-run on a quiet machine." % (
                                 name, 100 * c["other"] / c["available"]))
        bad = p["half_visible_txn_polls"] + p["gap_polls"] + p["not_visible"]
        res.add(name, "prefix violations / unseen changes", "%d / %d" % (
            p["half_visible_txn_polls"] + p["gap_polls"], p["not_visible"]), "")
        if bad:
            res.notes.append("%s: the seq-prefix assumption failed (%d half-visible, %d gap polls,"
                             " %d changes never seen): lags of this phase are not exact." % (
                                 name, p["half_visible_txn_polls"], p["gap_polls"],
                                 p["not_visible"]))
    target = [p for p in phases if p.get("target_per_s") == 2000]
    if target:
        p99 = target[0]["lag_ms"][99]
        res.add("target", "p99 lag < 1 s at 2,000 changes/s",
                "%s (p99 %.0f ms)" % ("met" if p99 < 1000 else "NOT met", p99), "")
    res.add("end state", "index = table (rows, sum of seq)", "%s (%d rows)" % (
        "yes" if check["equal"] else "NO", check["index_docs"]), "")
    res.add("end state", "source reconnects / last error", "%s / %s" % (
        check["source"]["reconnects"], check["source"]["last_error"] or "none"), "")
    res.chart = ("commit -> visible lag (ms)",
                 [("%d/s %s" % (p["target_per_s"], q), p["lag_ms"][50 if q == "p50" else 99])
                  for p in phases if "target_per_s" in p for q in ("p50", "p99")])
    polls = phases
    res.notes += [
        "PostgreSQL 15 (throwaway, loopback, wal_level=logical, synchronous_commit=on, fsync=off) "
        "and meridian serve on the same shared 2-core machine as the producer and the poller; "
        "load average %s at the start, %s at the end. The CPU-s row splits the busy time of "
        "the machine (/proc/stat) during each phase between meridian, the PostgreSQL cluster, "
        "this script (producer + poller) and everything else." % tuple(check["loadavg_start_end"]),
        "Table %s(id bigint pk, seq bigint, title text, body text); %d rows preloaded and taken "
        "by the source's initial snapshot (streaming and searchable after %.1f s). Each change is "
        "an INSERT of a new row or, with probability %.2f, an UPDATE of a random existing row; "
        "title 3-7 and body 15-30 generated words; every change sets seq to the next value of "
        "one counter." % (TABLE, args.cdc_preload, snap_s, args.cdc_update_share),
        "Steady phases: one connection commits every %d ms the changes due at the target rate "
        "(%s), %d s per rate. Burst: %d changes in %d-change transactions as fast as one "
        "connection commits; applied changes/s = changes / (first commit sent -> last change "
        "visible). Steady applied changes/s uses the same definition, so it includes the final "
        "lag." % (TICK_S * 1000, ", ".join(str(r) for r in rates), args.cdc_duration,
                  args.cdc_burst, BURST_TXN),
        "Lag = first poll response showing the change (sort=seq:desc&size=1) - COMMIT "
        "acknowledged to the producer, for every change (none sampled). A poll every %g ms "
        "(achieved period %s ms, request p50 %s ms), so each lag is late by at most about one "
        "period plus one request." % (
            args.cdc_poll_ms,
            "/".join("%.1f" % p["poll_period_ms"] for p in polls),
            "/".join("%.2f" % p["poll_request_p50_ms"] for p in polls)),
        "Prefix checks at every poll: the highest visible seq is the last seq of a committed "
        "transaction and the total equals the preload plus the inserts up to it; any violation "
        "is counted in the table.",
        "End state: index documents = table rows = inserts, sum(seq) over the index (stats facet) "
        "= over the table, so every insert and every update arrived.",
    ]
