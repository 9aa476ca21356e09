"""Throwaway peer servers for scripts/bench: a PostgreSQL 15 + PostGIS cluster
and a Redis server, each started on 127.0.0.1 on a free port in a temporary
directory and stopped (and deleted) by stop(). Use them as context managers.

Each object owns exactly the process it started and stops only that one.
Python 3 stdlib only; single-threaded.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time

from bench_common import BenchError, stop_process

PG_BIN = "/usr/lib/postgresql/15/bin"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _as_postgres(argv):
    """Runs argv as the `postgres` user when we are root (initdb refuses root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + argv
    return argv


class Postgres:
    """initdb + pg_ctl start in a temp dir; conninfo for libpq; stop() removes it.

    logical=True (the cdc suite) sets wal_level=logical and synchronous_commit=on:
    a walsender only ships flushed WAL, so with asynchronous commit a committed
    change could wait for the WAL writer (wal_writer_delay) before any subscriber
    sees it. fsync stays off either way (PostgreSQL's disk is not what is measured).
    """

    def __init__(self, log, logical=False):
        self.log = log
        self.logical = logical
        self.dir = None
        self.port = None
        self.version = None

    def __enter__(self):
        initdb = os.path.join(PG_BIN, "initdb")
        if not os.access(initdb, os.X_OK):
            raise BenchError("PostgreSQL 15 is not installed (%s); run scripts/setup" % initdb)
        self.dir = tempfile.mkdtemp(prefix="bench-pg-")
        os.chmod(self.dir, 0o755)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        data = os.path.join(self.dir, "data")
        self.port = free_port()
        self._run([initdb, "-D", data, "--auth=trust", "-U", "postgres", "-E", "UTF8",
                   "--locale=C.UTF-8"], "initdb")
        opts = ("-c listen_addresses=127.0.0.1 -p %d -k %s -c shared_buffers=1GB "
                "-c fsync=off -c synchronous_commit=%s -c full_page_writes=off "
                "-c maintenance_work_mem=512MB -c max_wal_size=4GB" % (
                    self.port, self.dir, "on" if self.logical else "off"))
        if self.logical:
            opts += " -c wal_level=logical -c max_wal_senders=10 -c max_replication_slots=10"
        self.options = opts
        self._run([os.path.join(PG_BIN, "pg_ctl"), "-D", data, "-o", opts, "-w", "-t", "60",
                   "-l", os.path.join(self.dir, "log"), "start"], "pg_ctl start")
        self.log("postgres 15 on 127.0.0.1:%d (%s%s)" % (
            self.port, self.dir, ", wal_level=logical" if self.logical else ""))
        return self

    def _run(self, argv, what):
        p = subprocess.run(_as_postgres(argv), capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            raise BenchError("%s failed: %s" % (what, (p.stdout + p.stderr).strip()[-1500:]))

    def conninfo(self):
        return "host=127.0.0.1 port=%d user=postgres dbname=postgres" % self.port

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        if not self.dir:
            return
        data = os.path.join(self.dir, "data")
        if os.path.exists(os.path.join(data, "postmaster.pid")):
            subprocess.run(_as_postgres([os.path.join(PG_BIN, "pg_ctl"), "-D", data, "-m", "fast",
                                         "-w", "stop"]), capture_output=True, timeout=120)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None


class Redis:
    """redis-server on a free loopback port, no persistence; stop() ends it."""

    def __init__(self, log):
        self.log = log
        self.proc = None
        self.dir = None
        self.port = None
        self.version = None

    def __enter__(self):
        exe = shutil.which("redis-server")
        if not exe:
            raise BenchError("redis-server is not installed; run scripts/setup bench")
        self.dir = tempfile.mkdtemp(prefix="bench-redis-")
        self.port = free_port()
        self.proc = subprocess.Popen([exe, "--bind", "127.0.0.1", "--port", str(self.port),
                                      "--save", "", "--appendonly", "no", "--dir", self.dir,
                                      "--protected-mode", "yes", "--daemonize", "no"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64).startswith(b"+PONG"):
                        break
            except OSError:
                time.sleep(0.1)
        else:
            self.stop()
            raise BenchError("redis-server did not answer on port %d" % self.port)
        v = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout
        self.version = v.split("v=")[1].split()[0] if "v=" in v else v.strip()
        self.log("redis %s on 127.0.0.1:%d (pid %d)" % (self.version, self.port, self.proc.pid))
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        stop_process(self.proc, 30)
        self.proc = None
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
