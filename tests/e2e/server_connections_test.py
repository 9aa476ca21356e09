#!/usr/bin/env python3
"""End-to-end: connections are bounded (docs/API.md "Connections").

Idle keep-alive connections, slow senders and live-query streams must not
starve new clients; connection limits answer 503 with Retry-After; idle and
half-sent connections are closed after their timeouts. Runs `meridian serve`
on loopback; about 15 s.

usage: server_connections_test.py /path/to/meridian
"""
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_util import free_port, stop_process, wait_health  # noqa: E402

EXE = sys.argv[1]
FAILURES = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILURES.append(what)


class Server:
    def __init__(self, data, *flags):
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.proc = subprocess.Popen([EXE, "serve", "--data", data, "--listen", "127.0.0.1:%d" % self.port,
                                      "--no-access-log"] + list(flags),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if not wait_health(self.url):
            stop_process(self.proc)
            raise SystemExit("server did not start: " + self.proc.stderr.read().decode()[-2000:])

    def stop(self):
        stop_process(self.proc)


def call(url, method="GET", body=None):
    req = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode())
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, json.loads(r.read() or b"null")


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_response(s):
    """(status, headers dict lower-case, body bytes) of one HTTP/1.1 response."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed before a response head")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    while len(rest) < n:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed inside a body")
        rest += chunk
    return int(lines[0].split()[1]), headers, rest[:n]


def timed_get(port, path):
    """Seconds for connect + GET path + whole response on a new connection, and the status."""
    t0 = time.monotonic()
    s = connect(port)
    try:
        s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode())
        status, _, _ = read_response(s)
    finally:
        s.close()
    return time.monotonic() - t0, status


def admitted(port):
    """A keep-alive connection that has been served (retrying while a just-closed
    connection of an earlier step may still count against a limit)."""
    deadline = time.monotonic() + 10
    while True:
        s = connect(port)
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        status = read_response(s)[0]
        if status == 200:
            return s
        s.close()
        if time.monotonic() > deadline:
            raise AssertionError("no connection admitted within 10 s (last status %d)" % status)
        time.sleep(0.05)


def closed_by_peer(s, wait):
    """True when the server closes s within wait seconds."""
    s.settimeout(wait)
    try:
        while True:
            data = s.recv(4096)
            if not data:
                return True
    except socket.timeout:
        return False
    except OSError:
        return True


def crowd_test(tmp):
    """1,000 idle connections and 200 slow senders: /health and a search within 100 ms."""
    srv = Server(os.path.join(tmp, "crowd"), "--keep-alive-timeout", "120", "--read-timeout", "120")
    idle, slow = [], []
    stop = threading.Event()
    try:
        call(srv.url + "/v1/indexes/docs", "PUT", {"fields": {"title": "text"}})
        call(srv.url + "/v1/indexes/docs/docs/1?refresh=wait_for", "PUT", {"title": "hello world"})
        search = "/v1/indexes/docs/search?q=hello"
        for i in range(1000):
            s = connect(srv.port)
            if i % 2 == 0:  # half of them have served a request and are idle keep-alive now
                s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                check(read_response(s)[0] == 200, "idle connection %d answered its first request" % i) if i == 0 else None
            idle.append(s)
        request = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 400 + b"\r\n\r\n"
        for _ in range(200):
            s = connect(srv.port)
            s.sendall(request[:1])
            slow.append(s)

        def trickle():  # one more byte per second on every slow connection
            k = 1
            while not stop.wait(1.0):
                for s in slow:
                    try:
                        s.send(request[k:k + 1])
                    except OSError:
                        pass
                k += 1
        t = threading.Thread(target=trickle, daemon=True)
        t.start()
        time.sleep(1.5)  # let the crowd settle and the trickle start
        for path, what in (("/health", "/health"), (search, "a search")):
            times = []
            for _ in range(10):
                secs, status = timed_get(srv.port, path)
                check(status == 200, "%s answers 200 beside 1000 idle and 200 slow connections" % what) \
                    if status != 200 else None
                times.append(secs)
            times.sort()
            print("     %s: new connection + request, ms: %s" % (what, " ".join("%.1f" % (x * 1000) for x in times)))
            check(times[8] < 0.100, "%s answers within 100 ms on a new connection beside 1000 idle and 200 slow "
                                    "ones (9 of 10; slowest %.1f ms)" % (what, times[-1] * 1000))
        # The crowd is still served: an idle keep-alive connection and a fresh one on the same server.
        idle[0].sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % search).encode())
        status, _, body = read_response(idle[0])
        check(status == 200 and json.loads(body)["total"]["value"] == 1, "an idle keep-alive connection still answers")
        _, m = None, urllib.request.urlopen(srv.url + "/metrics", timeout=10).read().decode()
        open_line = [l for l in m.splitlines() if l.startswith("meridian_http_connections ")]
        check(bool(open_line) and float(open_line[0].split()[1]) >= 1200,
              "/metrics counts the open connections (%s)" % (open_line[0] if open_line else "missing"))
    finally:
        stop.set()
        for s in idle + slow:
            s.close()
        srv.stop()


def limits_test(tmp):
    """Per-client and global limits answer 503 with Retry-After; timeouts close idle and half-sent connections."""
    srv = Server(os.path.join(tmp, "limits"), "--max-client-connections", "4", "--keep-alive-timeout", "60")
    held = []
    try:
        held = [admitted(srv.port) for _ in range(4)]
        extra = connect(srv.port)
        extra.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        status, headers, body = read_response(extra)
        err = json.loads(body).get("error", {})
        check(status == 503, "the 5th connection of one client is answered 503 (got %d)" % status)
        check(headers.get("retry-after") == "1", "the 503 carries Retry-After: 1")
        check(err.get("type") == "unavailable" and "per client" in err.get("reason", ""),
              "the 503 body names the limit: %r" % err)
        check(closed_by_peer(extra, 3), "the refused connection is closed")
        extra.close()
        # A held connection still works; once one closes, a new connection is admitted.
        held[0].sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        check(read_response(held[0])[0] == 200, "connections within the limit are served")
        held.pop(0).close()
        status, deadline = 0, time.monotonic() + 5
        while status != 200 and time.monotonic() < deadline:  # the server notices the close
            time.sleep(0.05)
            secs, status = timed_get(srv.port, "/health")
        check(status == 200, "after one closes, a new connection is admitted")
    finally:
        for s in held:
            s.close()
        srv.stop()
    # Idle keep-alive connections end after --keep-alive-timeout; a half-sent head after --read-timeout.
    srv = Server(os.path.join(tmp, "timeouts"), "--keep-alive-timeout", "1", "--read-timeout", "1")
    try:
        idle = connect(srv.port)
        idle.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        read_response(idle)
        t0 = time.monotonic()
        check(closed_by_peer(idle, 5), "an idle keep-alive connection is closed after --keep-alive-timeout 1")
        waited = time.monotonic() - t0
        check(0.8 < waited < 4.0, "... after about 1 s (%.2f s)" % waited)
        half = connect(srv.port)
        half.sendall(b"GET /health HTTP/1.1\r\nHos")
        t0 = time.monotonic()
        check(closed_by_peer(half, 5), "a request head not finished within --read-timeout 1 is dropped")
        check(time.monotonic() - t0 < 4.0, "... after about 1 s")
    finally:
        srv.stop()
    srv = Server(os.path.join(tmp, "global"), "--max-connections", "3")
    held = []
    try:
        held = [admitted(srv.port) for _ in range(3)]
        extra = connect(srv.port)
        extra.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        status, headers, body = read_response(extra)
        check(status == 503 and headers.get("retry-after") == "1", "beyond --max-connections: 503 + Retry-After")
        check("too many open connections" in json.loads(body)["error"]["reason"], "... naming the global limit")
        extra.close()
    finally:
        for s in held:
            s.close()
        srv.stop()


def streams_test(tmp):
    """Live-query streams take threads beyond --threads; new clients still get answers."""
    srv = Server(os.path.join(tmp, "streams"), "--threads", "2")
    streams = []
    try:
        call(srv.url + "/v1/indexes/docs", "PUT", {"fields": {"title": "text"}})
        for _ in range(16):
            s = connect(srv.port)
            s.sendall(b"GET /v1/indexes/docs/watch?q=hello HTTP/1.1\r\nHost: x\r\n\r\n")
            s.settimeout(10)
            head = s.recv(4096)
            check(head.startswith(b"HTTP/1.1 200"), "watch stream opened") if not head.startswith(b"HTTP/1.1 200") else None
            streams.append(s)
        times = sorted(timed_get(srv.port, "/health")[0] for _ in range(5))
        check(times[2] < 0.100, "with 16 watch streams on --threads 2, /health answers within 100 ms (%.1f ms)"
              % (times[2] * 1000))
        status, _ = call(srv.url + "/v1/indexes/docs/docs/1?refresh=wait_for", "PUT", {"title": "hello there"})
        got = b""
        streams[0].settimeout(5)
        try:
            while b"hello there" not in got:
                chunk = streams[0].recv(4096)
                if not chunk:
                    break
                got += chunk
        except socket.timeout:
            pass
        check(b"hello there" in got, "a stream still delivers its match")
    finally:
        for s in streams:
            s.close()
        srv.stop()


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4096:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    tmp = tempfile.mkdtemp(prefix="meridian-conn-")
    try:
        t0 = time.monotonic()
        crowd_test(tmp)
        limits_test(tmp)
        streams_test(tmp)
        print("took %.1f s" % (time.monotonic() - t0))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILURES:
        print("%d check(s) failed" % len(FAILURES))
        sys.exit(1)


if __name__ == "__main__":
    main()
