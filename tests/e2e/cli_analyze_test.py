#!/usr/bin/env python3
"""End-to-end test of `meridian analyze`: cli_analyze_test.py MERIDIAN_BINARY."""
import json
import subprocess
import sys

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/meridian"
passed = 0
failed = 0


def run(args, stdin=None):
    p = subprocess.run([BIN, "analyze"] + args, input=stdin, capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8", "replace")


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}: {detail}")


def lines(out):
    rows = []
    for line in out.splitlines():
        pos, span, tok = line.split("\t")
        start, end = span.split("-")
        rows.append((int(pos), int(start), int(end), tok))
    return rows


# Plain output: stemming, stopwords with position gaps, byte offsets.
text = "The Quick foxes are running"
rc, out, err = run(["--lang", "en", "--stopwords", text])
check("plain exit code", rc == 0, err)
rows = lines(out)
check("plain tokens", [r[3] for r in rows] == ["quick", "fox", "run"], out)
check("stopword gaps", [r[0] for r in rows] == [1, 2, 4], out)
check("offsets slice the input", all(text.encode()[s:e].decode().lower().startswith(t[:3])
                                       for _, s, e, t in rows), out)

# JSON output with non-ASCII text: offsets are UTF-8 byte offsets.
text = "Ångström visited Ærø — 東京"
rc, out, err = run(["--json", "--no-stem", text])
check("json exit code", rc == 0, err)
try:
    arr = json.loads(out)
except ValueError as e:
    arr = []
    check("json parses", False, str(e))
check("json tokens", [t["token"] for t in arr] == ["angstrom", "visited", "aero", "東京"], out)
raw = text.encode()
check("json offsets", [raw[t["start"]:t["end"]].decode() for t in arr] == ["Ångström", "visited", "Ærø", "東京"], out)
check("json positions", [t["position"] for t in arr] == [0, 1, 2, 3], out)
check("json keys", all(set(t) == {"token", "position", "start", "end"} for t in arr), out)

# --no-fold keeps accents; several args are joined with spaces.
rc, out, _ = run(["--no-fold", "--no-stem", "Crème", "brûlée"])
check("no-fold", [r[3] for r in lines(out)] == ["crème", "brûlée"], out)
check("args joined", [r[1] for r in lines(out)] == [0, 7], out)

# stdin when no text argument, keyword mode.
rc, out, _ = run(["--keyword"], stdin="New York CITY".encode())
check("stdin keyword", rc == 0 and lines(out) == [(0, 0, 13, "new york city")], out)

# Other languages.
rc, out, _ = run(["--lang", "fr", "--stopwords", "des élèves continuellement"])
check("french", [r[3] for r in lines(out)] == ["elev", "continuel"], out)
rc, out, _ = run(["--lang", "th", "--no-stem", "ภาษาไทยง่ายนิดเดียว"])
check("thai", [r[3] for r in lines(out)] == ["ภาษา", "ไทย", "ง่าย", "นิด", "เดียว"], out)

# --lang=CODE form, and "--" ends the options so text may start with '-'.
rc, out, _ = run(["--lang=fr", "--no-stem", "--", "--l'été", "-x"])
check("lang= and --", rc == 0 and [r[3] for r in lines(out)] == ["ete", "x"], out)

# Invalid UTF-8 on stdin does not crash.
rc, out, _ = run([], stdin=b"caf\xc3 ok \xff\xfe bien")
check("invalid utf-8", rc == 0 and "ok" in [r[3] for r in lines(out)], out)

# Empty input: no tokens; JSON: [].
rc, out, _ = run(["--json"], stdin=b"   ")
check("empty json", rc == 0 and json.loads(out) == [], out)

# A language without a Snowball stemmer (Chinese, Japanese) is analyzed, not stemmed.
rc, out, err = run(["--lang", "zh", "東京 running"])
check("lang without stemmer", rc == 0 and [r[3] for r in lines(out)] == ["東京", "running"], f"rc={rc} {out} {err}")

# Usage errors exit 2 with a message.
for bad in (["--bogus", "x"], ["--lang"], ["--lang", "e1", "x"], ["--lang", "English", "x"],
            ["--lang", "ro", "--stopwords", "x"]):
    rc, out, err = run(bad)
    check(f"usage error {bad}", rc == 2 and "meridian analyze:" in err and out == "", f"rc={rc} err={err}")
rc, out, _ = run(["--help"])
check("help", rc == 0 and "--keyword" in out, out)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
