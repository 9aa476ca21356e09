#!/usr/bin/env python3
"""Checks subprojects/: every library meson.build looks up has a wrap file
as its fallback (or is one of the Debian-only libraries named in README.md),
each wrap is well formed (a release tarball with its SHA-256, a [provide]
section or a CMake build meson.build calls), a plain `meson setup` finds the
Debian packages and uses no subproject, and with --wrap-mode=nodownload a
forced fallback stops at "downloading is disabled" instead of fetching.

Usage: build_wraps_test.py [PATH/TO/meridian]   (the binary is not used)
Prints "N passed, M failed"; exits non-zero on failure.
"""
import configparser
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SUB = os.path.join(ROOT, "subprojects")
RESULTS = {"passed": 0, "failed": 0}
# meson dependency name -> wrap file; None: Debian only (no upstream or WrapDB meson build)
DEPENDENCIES = {
    "icu-uc": "icu", "icu-i18n": "icu", "roaring": "croaring", "cpp-httplib": "cpp-httplib",
    "simdjson": "simdjson", "doctest": "doctest", "libzstd": "zstd", "zlib": "zlib",
    "stemmer": None, "libedit": None, "libpq": None, "libnats": None, "threads": None,
    # Optional: without it the programs keep the C library's malloc.
    "mimalloc": None,
}


def check(name, cond, detail=""):
    if cond:
        RESULTS["passed"] += 1
    else:
        RESULTS["failed"] += 1
        print("FAIL: %s %s" % (name, str(detail)[:2000]))


def meson_setup(*args):
    tmp = tempfile.mkdtemp(prefix="meridian-wraps-")
    try:
        p = subprocess.run(["meson", "setup", os.path.join(tmp, "b"), *args], cwd=ROOT, capture_output=True,
                           text=True, timeout=300)
        return p.returncode, p.stdout + p.stderr
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    meson_build = open(os.path.join(ROOT, "meson.build")).read()
    looked_up = set(re.findall(r"(?<![.\w])dependency\('([\w-]+)'", meson_build)) | set(
        re.findall(r"find_library\('([\w-]+)'", meson_build))
    check("every library meson.build looks up is accounted for", looked_up <= set(DEPENDENCIES),
          sorted(looked_up - set(DEPENDENCIES)))
    provided = []
    for dep, wrap in sorted(DEPENDENCIES.items()):
        if wrap is None:
            continue
        path = os.path.join(SUB, wrap + ".wrap")
        check("%s has subprojects/%s.wrap" % (dep, wrap), os.path.exists(path))
        if not os.path.exists(path):
            continue
        c = configparser.ConfigParser(interpolation=None)
        c.read(path)
        w = c["wrap-file"] if c.has_section("wrap-file") else {}
        check("%s.wrap: a release tarball with its sha256" % wrap,
              w.get("source_url", "").startswith("https://") or w.get("source_url", "").startswith("http://zlib.net/"), dict(w))
        check("%s.wrap: source_hash is a sha256" % wrap, re.fullmatch(r"[0-9a-f]{64}", w.get("source_hash", "")), dict(w))
        if "patch_url" in w:
            check("%s.wrap: patch_hash is a sha256" % wrap, re.fullmatch(r"[0-9a-f]{64}", w.get("patch_hash", "")))
        if "patch_directory" in w:
            check("%s.wrap: its packagefiles exist" % wrap,
                  os.path.isdir(os.path.join(SUB, "packagefiles", w["patch_directory"])))
        if c.has_section("provide"):
            names = set(c["provide"].keys()) | {n.strip() for n in c["provide"].get("dependency_names", "").split(",")}
            check("%s.wrap provides %s" % (wrap, dep), dep in names, names)
            if dep != "doctest":  # doctest is looked up with required: false
                provided.append(dep)
        else:
            check("%s.wrap without [provide] is built by meson.build's cmake module" % wrap,
                  "cmake_mod.subproject('%s'" % wrap in meson_build)
    if not shutil.which("meson"):
        check("meson installed", False)
        return
    rc, log = meson_setup()
    check("plain meson setup succeeds", rc == 0, log[-2000:])
    check("plain meson setup finds the system libraries and uses no subproject",
          not re.search(r"(?i)download|subproject|fallback", log), [l for l in log.splitlines()
                                                                   if re.search(r"(?i)download|subproject|fallback", l)])
    for dep in ("cpp-httplib", "simdjson", "zlib"):
        rc, log = meson_setup("--wrap-mode=nodownload", "--force-fallback-for=" + dep)
        check("forced fallback for %s goes to its wrap and does not download" % dep,
              rc != 0 and "Looking for a fallback subproject for the dependency %s" % dep in log and
              "downloading is disabled" in log, log[-1500:])


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001
        RESULTS["failed"] += 1
        print("FAIL: raised %r" % e)
    print("%d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]))
    sys.exit(1 if RESULTS["failed"] else 0)
