#!/usr/bin/env python3
"""End-to-end tests of the command line help (docs/CLI.md): every
subcommand answers --help on stdout with exit 0 and describes every option
its synopsis names; `dump` on a directory a server holds does not suggest
--url (which it does not take).

Usage: cli_help_test.py PATH/TO/meridian
Prints "N passed, M failed"; exits non-zero on failure.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

from e2e_util import free_port, stop_process, wait_health

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/meridian"
RESULTS = {"passed": 0, "failed": 0}
COMMANDS = ["version", "analyze", "serve", "import", "dump", "backup", "restore", "shell"]


def check(name, cond, detail=""):
    if cond:
        RESULTS["passed"] += 1
    else:
        RESULTS["failed"] += 1
        print("FAIL: %s %s" % (name, detail))


def run(*args, **kw):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MERIDIAN_")}
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=30, env=env, **kw)


def described_options(text):
    """Options with a description line: '  --flag ARG   words...' (or '-x, --flag')."""
    out = set()
    for line in text.splitlines():
        m = re.match(r"^\s+((?:-\w, )?(--[\w-]+)(?:, -\w)?)(?: [A-Z\[][^ ]*)?\s{2,}\S", line)
        if m:
            out.add(m.group(2))
    return out


def test_help():
    for cmd in COMMANDS:
        for flag in ("--help", "-h"):
            p = run(cmd, flag)
            check("%s %s exits 0" % (cmd, flag), p.returncode == 0, (p.returncode, p.stderr))
            check("%s %s on stdout" % (cmd, flag), p.stdout.startswith("usage: meridian " + cmd) and p.stderr == "",
                  (p.stdout[:80], p.stderr))
        text = run(cmd, "--help").stdout
        named = set(re.findall(r"(--[a-z][\w-]*)", text))
        described = described_options(text)
        missing = named - described
        check("%s --help describes every option it names" % cmd, not missing, sorted(missing))
    p = run("--help")
    check("meridian --help lists every command", p.returncode == 0 and all(c in p.stdout for c in COMMANDS), p.stdout)
    listed = re.findall(r"^  ([a-z]+)\s{2,}\S", p.stdout, re.M)
    check("every command meridian --help lists is covered here", sorted(listed) == sorted(COMMANDS), listed)
    for cmd in ("backup", "restore"):
        p = run(cmd, "--bogus")
        check("%s: an unknown option is exit 2 with the usage on stderr" % cmd,
              p.returncode == 2 and "--bogus" in p.stderr and ("usage: meridian " + cmd) in p.stderr, p.stderr)
    p = run("backup", "--out", "/tmp/x")
    check("backup without --url: exit 2 naming --url", p.returncode == 2 and "--url" in p.stderr, p.stderr)
    p = run("restore", "--data", "x")
    check("restore without --from: exit 2 naming --from", p.returncode == 2 and "--from" in p.stderr, p.stderr)
    p = run("import", "--bogus")
    check("import: an unknown option is exit 2 with the usage on stderr",
          p.returncode == 2 and "unknown option '--bogus'" in p.stderr and "--geo" in p.stderr, p.stderr)
    p = run("dump")
    check("dump without an index: exit 2 and usage", p.returncode == 2 and "usage: meridian dump" in p.stderr, p.stderr)


def test_dump_busy(tmp):
    data = os.path.join(tmp, "data")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MERIDIAN_")}
    srv = subprocess.Popen([BIN, "serve", "--data", data, "--listen", "127.0.0.1:%d" % port],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        check("server up", wait_health("http://127.0.0.1:%d" % port))
        p = run("dump", "cities", "--data", data)
        check("dump on a busy directory: exit 2", p.returncode == 2, p.stderr)
        check("dump on a busy directory says to stop the server", "stop the server" in p.stderr, p.stderr)
        check("dump does not suggest --url", "--url" not in p.stderr, p.stderr)
        p = run("import", "cities", os.devnull, "--data", data)
        check("import on a busy directory suggests --url", p.returncode == 2 and "--url" in p.stderr, p.stderr)
    finally:
        stop_process(srv)


def main():
    tmp = tempfile.mkdtemp(prefix="meridian-e2e-help-")
    try:
        test_help()
        test_dump_busy(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]))
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
