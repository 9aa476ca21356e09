"""Processes of the `cluster` suite (scripts/lib/bench_cluster.py), all on 127.0.0.1:
a 3-server NATS JetStream cluster and `meridian serve` nodes (single or clustered,
restartable on the same port and data directory after a SIGKILL).

Every process is registered in a Procs set; Procs.stop_all() stops the Meridian nodes
first (SIGTERM, then SIGKILL after a timeout), then the nats-servers. Children get
PR_SET_PDEATHSIG (SIGTERM), so they also go when the bench process itself is killed.
A nats-server too can be SIGKILLed and restarted (NatsCluster.kill/start).

Also used by tests/e2e/cluster_kill_test.py (which passes no Result: `res` is optional).
"""
import ctypes
import http.client
import json
import os
import shutil
import signal
import subprocess
import time

from bench_common import BenchError, stop_process
from bench_peers import free_port

PR_SET_PDEATHSIG = 1


def _die_with_parent():
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def nats_binary():
    for p in ("/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"):
        if os.access(p, os.X_OK):
            return p
    return shutil.which("nats-server")


def clean_env():
    return {k: v for k, v in os.environ.items() if not k.startswith("MERIDIAN_")}


def http_json(port, method, path, body=None, timeout=10, ctype="application/json"):
    """(status, parsed body) of one request on a fresh connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
        conn.request(method, path, body=data, headers={"Content-Type": ctype} if data is not None else {})
        r = conn.getresponse()
        raw = r.read()
        try:
            return r.status, json.loads(raw or b"null")
        except ValueError:
            return r.status, raw[:300].decode(errors="replace")
    finally:
        conn.close()


class Procs:
    """Every process the suite started, stopped in order by stop_all()."""

    def __init__(self):
        self.nodes, self.nats = [], []

    def stop_all(self):
        for n in self.nodes:
            n.stop()
        for p in self.nats:
            stop_process(p, 10)


class NatsCluster:
    """Three nats-servers in one JetStream cluster (cluster name meridian-bench), each with
    a client port, a route port, a monitoring port and its own store directory."""

    def __init__(self, procs, tmp, res=None, n=3):
        exe = nats_binary()
        if not exe:
            raise BenchError("nats-server is not installed (scripts/setup installs it)")
        self.client_ports = [free_port() for _ in range(n)]
        route_ports = [free_port() for _ in range(n)]
        self.monitor_ports = [free_port() for _ in range(n)]
        self.logs, self.argv, self._procs, self._slots = [], [], procs, []
        for i in range(n):
            routes = ",".join("nats://127.0.0.1:%d" % p for j, p in enumerate(route_ports) if j != i)
            argv = [exe, "-js", "-a", "127.0.0.1", "-p", str(self.client_ports[i]), "-m", str(self.monitor_ports[i]),
                    "-sd", os.path.join(tmp, "nats%d" % i), "--server_name", "nats%d" % i,
                    "--cluster_name", "meridian-bench", "--cluster", "nats://127.0.0.1:%d" % route_ports[i],
                    "--routes", routes]
            log = open(os.path.join(tmp, "nats%d.log" % i), "ab")
            self.logs.append(log)
            self.argv.append(argv)
            self._slots.append(len(procs.nats))
            procs.nats.append(None)
            self.start(i)
            cmd = " ".join(argv).replace(tmp, "$TMP")
            for port in self.client_ports + route_ports + self.monitor_ports:
                cmd = cmd.replace(":%d" % port, ":$PORT").replace(" %d" % port, " $PORT")
            if res is not None:
                res.commands.append(cmd)
        self.urls = ",".join("nats://127.0.0.1:%d" % p for p in self.client_ports)

    @property
    def procs(self):
        return [self._procs.nats[k] for k in self._slots]

    def start(self, i):
        """Starts server i (again after kill(i): same ports, same store directory)."""
        p = subprocess.Popen(self.argv[i], stdout=subprocess.DEVNULL, stderr=self.logs[i], preexec_fn=_die_with_parent)
        self._procs.nats[self._slots[i]] = p
        return p

    def kill(self, i):
        """SIGKILL of server i, as a crash."""
        p = self._procs.nats[self._slots[i]]
        p.send_signal(signal.SIGKILL)
        p.wait()

    def wait_ready(self, timeout=60):
        """Until every server's /healthz says JetStream is up (a meta leader is elected)."""
        deadline = time.monotonic() + timeout
        for proc, port in zip(self.procs, self.monitor_ports):
            while True:
                if proc.poll() is not None:
                    raise BenchError("nats-server exited %d" % proc.returncode)
                try:
                    if http_json(port, "GET", "/healthz", timeout=2)[0] == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise BenchError("the NATS cluster was not healthy within %d s" % timeout)
                time.sleep(0.2)


class Node:
    """`meridian serve` on a fixed loopback port and data directory; with `cluster`
    (nats URLs) and a node id it joins the cluster. start() may be called again after kill()."""

    def __init__(self, procs, exe, tmp, name, res=None, cluster=None):
        self.exe, self.name, self.cluster = exe, name, cluster
        self.port = free_port()
        self.data = os.path.join(tmp, name)
        self.log_path = os.path.join(tmp, name + ".log")
        self.proc, self.log_file = None, None
        self.argv = [exe, "serve", "--data", self.data, "--listen", "127.0.0.1:%d" % self.port, "--no-access-log"]
        if cluster:
            self.argv += ["--cluster", cluster, "--node-id", name]
        cmd = " ".join(self.argv).replace(tmp, "$TMP").replace(str(self.port), "$PORT")
        if cluster:
            cmd = cmd.replace(cluster, "$NATS_URLS")
        if res is not None and cmd not in res.commands:
            res.commands.append(cmd)
        procs.nodes.append(self)

    def start(self):
        """Starts the process; returns at once (see wait_health)."""
        self.log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL, stderr=self.log_file, env=clean_env(),
                                     preexec_fn=_die_with_parent)
        return time.monotonic()

    def wait_health(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError("%s exited %d: %s" % (self.name, self.proc.returncode, self.log_tail()))
            try:
                if http_json(self.port, "GET", "/health", timeout=2)[0] == 200:
                    return time.monotonic()
            except OSError:
                time.sleep(0.05)
        raise BenchError("%s did not answer /health within %d s" % (self.name, timeout))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        """SIGKILL, as a crash."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.log_file.close()

    def cpu_seconds(self):
        try:
            with open("/proc/%d/stat" % self.proc.pid) as f:
                x = f.read().rsplit(")", 1)[1].split()
            return (int(x[11]) + int(x[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, AttributeError):
            return 0.0

    def log_tail(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-1500:].decode(errors="replace")
        except OSError:
            return ""

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            stop_process(self.proc, 15)
        if self.log_file and not self.log_file.closed:
            self.log_file.close()
