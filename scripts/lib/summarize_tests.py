#!/usr/bin/env python3
"""Adds up test results from meson's testlog.json files of the given build
directories and prints one line 'N passed, M failed'. doctest executables
count their test cases; other tests (end-to-end scripts) report their own
'N passed, M failed' line, or count as one test by exit status."""
import json
import os
import re
import sys

DOCTEST = re.compile(r"test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed")
PLAIN = re.compile(r"^(\d+) passed, (\d+) failed", re.M)


def main(dirs):
    passed = failed = 0
    for d in dirs:
        try:
            lines = open(f"{d}/meson-logs/testlog.json").read().splitlines()
        except OSError:
            print(f"summarize: no test log in {d}", file=sys.stderr)
            failed += 1
            continue
        for line in lines:
            t = json.loads(line)
            out = t.get("stdout") or ""
            ok = t.get("result") == "OK"
            m = DOCTEST.findall(out)
            p = PLAIN.findall(out)
            if m:
                tp, tf = int(m[-1][1]), int(m[-1][2])
            elif p:
                tp, tf = int(p[-1][0]), int(p[-1][1])
            else:
                tp, tf = (1, 0) if ok else (0, 1)
            if not ok and tf == 0:
                tf = 1  # crashed or timed out after its last report
            passed += tp
            failed += tf
    # Checks run by scripts/test outside meson (the demo).
    passed += int(os.environ.get("MERIDIAN_EXTRA_PASSED", "0"))
    failed += int(os.environ.get("MERIDIAN_EXTRA_FAILED", "0"))
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
