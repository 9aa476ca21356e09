#!/usr/bin/env python3
"""End-to-end test of README.md's quick start: the ```sh blocks under
"## Quick start" that run `build/meridian` are executed as written, in a
fresh directory holding the repository's datasets/, with `build/meridian`
replaced by the binary under test and port 7700 by a free port (the server
gets it through MERIDIAN_LISTEN, so the README's `serve` line is unchanged).
Each command's output is checked. The build block must build
`build/meridian`, and the schemas the README shows must be the files in
datasets/schemas/.

Usage: readme_quickstart_test.py PATH/TO/meridian
Prints "N passed, M failed"; exits non-zero on failure.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from e2e_util import free_port

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/meridian")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RESULTS = {"passed": 0, "failed": 0}
MARK = "@@@ command "


def check(name, cond, detail=""):
    if cond:
        RESULTS["passed"] += 1
    else:
        RESULTS["failed"] += 1
        print("FAIL: %s %s" % (name, str(detail)[:3000]))


def quick_start_section(readme):
    m = re.search(r"^## Quick start\n(.*?)(?=^## )", readme, re.M | re.S)
    return m.group(1) if m else ""


def sh_blocks(section):
    return re.findall(r"^```sh\n(.*?)^```", section, re.M | re.S)


def commands(block):
    """Lines of a block, continuation lines joined, blank lines and comments dropped."""
    out, cur = [], ""
    for line in block.splitlines():
        if line.rstrip().endswith("\\") and not line.rstrip().endswith("\\\\"):
            cur += line.rstrip()[:-1] + " "
            continue
        cur += line
        if cur.strip() and not cur.strip().startswith("#"):
            out.append(cur.strip())
        cur = ""
    return out


def json_lines(text):
    out = []
    for line in text.splitlines():
        if line.startswith('{"total"'):
            out.append(json.loads(line))
    return out


def main():
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    section = quick_start_section(readme)
    check("README has a Quick start section", section, "")
    blocks = sh_blocks(section)
    build = [b for b in blocks if "build/meridian" not in b]
    run_blocks = [b for b in blocks if "build/meridian" in b]
    check("the build block builds build/meridian", build and "meson setup build" in build[0]
          and "ninja -C build meridian" in build[0], build)
    check("one block to run", len(run_blocks) == 1, blocks)
    if not run_blocks:
        return
    cmds = commands(run_blocks[0])
    # the schemas shown are the files
    for name in ("cities", "text"):
        path = "datasets/schemas/%s.json" % name
        m = re.search(re.escape("`" + path + "`") + r"[^`]*`(\{.*?\})`\n", section, re.S)
        shown = json.loads(m.group(1)) if m else None
        check("README shows %s as it is" % path, shown == json.load(open(os.path.join(ROOT, path))), shown)
        check("the quick start imports with %s" % path, any(path in c for c in cmds), cmds)

    port = free_port()
    tmp = tempfile.mkdtemp(prefix="meridian-e2e-readme-")
    try:
        os.symlink(os.path.join(ROOT, "datasets"), os.path.join(tmp, "datasets"))
        script = ["set -euo pipefail", "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT"]
        for i, c in enumerate(cmds):
            c = c.replace("build/meridian", BIN).replace("127.0.0.1:7700", "127.0.0.1:%d" % port)
            script.append("printf '\\n%s%d\\n'" % (MARK, i))  # curl's answers end without a newline
            script.append(c)
        script.append("wait")
        env = {k: v for k, v in os.environ.items() if not k.startswith("MERIDIAN_")}
        env["MERIDIAN_LISTEN"] = "127.0.0.1:%d" % port
        env["NO_COLOR"] = "1"
        p = subprocess.run(["bash", "-c", "\n".join(script)], cwd=tmp, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=180)
        out = p.stdout.decode()
        check("the quick start runs to the end with exit 0", p.returncode == 0, (p.returncode, out[-3000:]))
        parts = re.split(r"^" + re.escape(MARK) + r"(\d+)\n", out, flags=re.M)
        by_cmd = {int(parts[i]): parts[i + 1] for i in range(1, len(parts) - 1, 2)}

        def output_of(pred):
            return "".join(by_cmd.get(i, "") for i, c in enumerate(cmds) if pred(c))

        for name in ("cities", "text"):
            o = output_of(lambda c, n=name: c.startswith("build/meridian import " + n + " "))
            check("import %s: 3000 documents, none rejected" % name, "imported 3000, replaced 0, rejected 0" in o, o)
        o = output_of(lambda c: c.startswith("build/meridian shell cities"))
        check("shell: tokio finds Tokyo", "1850147 " in o and "Tokyo" in o, o)
        check("shell: country:FR population:>1000000 is Paris alone",
              re.search(r"^2988507 .*\n\(1 hit\)", o, re.M) is not None, o)
        check("shell: near without radius, nearest first with a distance column",
              "distance" in o and "(3000 hits, showing 3)" in o and o.find("Paris") < o.find("Reims") < o.find("Angers"), o)
        o = output_of(lambda c: c.startswith("curl") and "cities/search" in c)
        hits = json_lines(o)
        check("curl GET search: Paris with the fields asked for",
              hits and hits[0]["hits"][0]["id"] == "2988507" and
              set(hits[0]["hits"][0]["source"]) == {"name", "country", "population"}, o)
        o = output_of(lambda c: c.startswith("curl") and "text/search" in c)
        hits = json_lines(o)
        want = {str(d["id"]) for d in map(json.loads, open(os.path.join(ROOT, "datasets/samples/text.ndjson")))
                if d["source"] == "debian-descriptions"}
        check("curl POST search: package descriptions only, titles only",
              hits and hits[0]["hits"] and all(h["id"] in want and set(h["source"]) == {"title"}
                                                for h in hits[0]["hits"]), o)
        o = output_of(lambda c: c.startswith("build/meridian shell --url"))
        check("shell --url: paris OR lyon", "2988507 " in o and "2996944 " in o and "(2 hits)" in o, o)
        check("the data went to ./meridian-data", os.path.isdir(os.path.join(tmp, "meridian-data", "indexes", "cities")),
              os.listdir(tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001
        RESULTS["failed"] += 1
        print("FAIL: raised %r" % e)
    print("%d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]))
    sys.exit(1 if RESULTS["failed"] else 0)
