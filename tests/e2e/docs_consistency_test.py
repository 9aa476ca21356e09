#!/usr/bin/env python3
"""The manuals agree with the code and with each other:
- docs/FORMAT.md's sample manifest has the keys of a manifest the binary
  writes (top level, segments, schema, text field options);
- the refresh and commit intervals the docs state are the defaults in
  include/meridian/index/index.h, and no doc states another bound;
- 413 means one thing (the body is over --max-body): no doc gives it to a
  query error;
- docs/API.md lists every search request key of src/query/search_request.cpp;
- docs/CLI.md has a section for every command `meridian --help` lists;
- no internal references: no "issue N", and every repository path a doc
  names as code (`src/...`) exists (generated paths such as build/ and
  datasets/full/ aside).

Usage: docs_consistency_test.py PATH/TO/meridian
Prints "N passed, M failed"; exits non-zero on failure.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/meridian"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RESULTS = {"passed": 0, "failed": 0}
DOCS = sorted(glob.glob(os.path.join(ROOT, "docs", "*.md"))) + [os.path.join(ROOT, "README.md")]


def check(name, cond, detail=""):
    if cond:
        RESULTS["passed"] += 1
    else:
        RESULTS["failed"] += 1
        print("FAIL: %s %s" % (name, str(detail)[:2000]))


def read(rel):
    return open(os.path.join(ROOT, rel), encoding="utf-8").read()


def keys(obj, prefix=""):
    """Key paths of a JSON value (arrays: their elements' keys under [])."""
    out = set()
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.add(prefix + k)
            out |= keys(v, prefix + k + ".")
    elif isinstance(obj, list):
        for v in obj:
            out |= keys(v, prefix + "[].")
    return out


def test_manifest(tmp):
    data = os.path.join(tmp, "data")
    src = os.path.join(tmp, "docs.ndjson")
    with open(src, "w") as f:
        f.write('{"id": "1", "title": "hello", "pop": 3}\n{"id": "2", "title": "world", "pop": 4}\n')
    schema = os.path.join(tmp, "schema.json")
    with open(schema, "w") as f:
        json.dump({"fields": {"title": "text", "pop": "int"}}, f)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MERIDIAN_")}
    p = subprocess.run([BIN, "import", "t", src, "--data", data, "--schema", schema, "--quiet"], capture_output=True,
                       text=True, timeout=60, env=env)
    check("import for a manifest", p.returncode == 0, p.stderr)
    manifests = sorted(glob.glob(os.path.join(data, "indexes", "t", "MANIFEST-*")))
    check("a manifest is written", manifests, os.listdir(data))
    if not manifests:
        return
    body = open(manifests[-1], "rb").read()
    # The JSON sits between a binary header and a binary trailer (CRC32, end magic); the CRC's bytes
    # may include '}', so decode one JSON value from the first '{' rather than up to the last '}'.
    real, _ = json.JSONDecoder().raw_decode(body[body.index(b"{"):].decode("utf-8", "replace"))
    fmt = read("docs/FORMAT.md")
    m = re.search(r"^## Manifest.*?```json\n(.*?)```", fmt, re.M | re.S)
    check("FORMAT.md has a sample manifest", m)
    if not m:
        return
    sample = json.loads(m.group(1))
    real_keys = {k for k in keys(real) if not k.startswith("schema.fields.") and not k.startswith("sources.")}
    sample_keys = {k for k in keys(sample) if not k.startswith("schema.fields.") and not k.startswith("sources.")}
    check("the sample manifest has the written manifest's keys", real_keys == sample_keys,
          (sorted(real_keys ^ sample_keys)))
    text_opts = set(real["schema"]["fields"]["title"])
    sample_text = [v for v in sample["schema"]["fields"].values() if v.get("type") == "text"]
    check("the sample's text field shows every analysis option", sample_text and set(sample_text[0]) == text_opts,
          (text_opts, sample_text))
    check("the import position is in sources as FORMAT.md says",
          any(k.startswith("import:") for k in real["sources"]) and
          any(k.startswith("import:") for k in sample["sources"]), (real["sources"], sample["sources"]))


def test_intervals():
    h = read("include/meridian/index/index.h")
    refresh = int(re.search(r"refresh_interval_ms = (\d+)", h).group(1))
    commit = int(re.search(r"commit_interval_ms = (\d+)", h).group(1))
    check("defaults read", (refresh, commit) == (500, 10000), (refresh, commit))
    api = read("docs/API.md")
    arch = read("docs/ARCHITECTURE.md")
    check("API.md states the refresh interval", "refresh interval (%d ms)" % refresh in api.replace("\n", " "))
    check("API.md states the commit interval", "every %d s" % (commit // 1000) in api.replace("\n", " "), "")
    check("ARCHITECTURE.md states both", "refresh (≤ %d ms" % refresh in arch and "commit (%d s" % (commit // 1000) in arch)
    check("CLI.md: the server's refresh interval", "refresh\ninterval (%d ms)" % refresh in read("docs/CLI.md"))
    for f in DOCS:
        t = open(f, encoding="utf-8").read().replace("\n", " ")
        bad = re.findall(r"refresh interval \((?!%d ms)[^)]*\)" % refresh, t)
        check("%s: no other refresh interval" % os.path.basename(f), not bad, bad)


def test_413():
    api = read("docs/API.md")
    check("API.md: 413 is the body limit", "| 413 | `too_large` | body larger than `--max-body` |" in api)
    for f in DOCS:
        t = open(f, encoding="utf-8").read()
        for m in re.finditer(r"413", t):
            ctx = t[max(0, m.start() - 300):m.end() + 100]
            check("%s: 413 only for the body size" % os.path.basename(f),
                  re.search(r"body|max-body|401, 403, 413", ctx) is not None, ctx)


def test_search_keys():
    src = read("src/query/search_request.cpp")
    m = re.search(r"kRequestKeys = \{(.*?)\};", src, re.S)
    code_keys = set(re.findall(r'"(\w+)"', m.group(1)))
    api = read("docs/API.md")
    m = re.search(r"- `POST /v1/indexes/\{index\}/search` with `\{(.*?)\}`", api)
    doc_keys = set(re.findall(r'"(\w+)"', m.group(1))) if m else set()
    check("API.md lists every search key", code_keys == doc_keys, sorted(code_keys ^ doc_keys))


def test_cli_sections():
    p = subprocess.run([BIN, "--help"], capture_output=True, text=True, timeout=30)
    commands = re.findall(r"^  ([a-z]+)\s{2,}\S", p.stdout, re.M)
    cli = read("docs/CLI.md")
    headings = "\n".join(l for l in cli.splitlines() if l.startswith("#"))
    for c in commands:
        if c == "version":
            continue
        check("CLI.md has a section for %s" % c, re.search(r"\b%s\b" % c, headings, re.I), headings)


def test_no_internal_references():
    generated = ("build/", "build-asan/", "datasets/full/")
    for f in DOCS:
        t = open(f, encoding="utf-8").read()
        bad = re.findall(r"(?i)\bissue #?\d+|\bsee issue\b", t)
        check("%s: no issue references" % os.path.basename(f), not bad, bad)
        # paths written as code (`src/...`), which is how the manuals name files
        for m in re.finditer(r"(?<=`)((?:docs|src|include|tests|scripts|bench|datasets|subprojects)/[\w./-]+)", t):
            path = m.group(1).rstrip(".,)")
            glob_like = t[m.end():m.end() + 1] in ("*", "{", "<")
            if glob_like or any(path.startswith(g) for g in generated) or re.search(r"/\d+$", path):
                continue
            check("%s names an existing path %s" % (os.path.basename(f), path), os.path.exists(os.path.join(ROOT, path)))


def main():
    tmp = tempfile.mkdtemp(prefix="meridian-e2e-docs-")
    try:
        for t in (test_intervals, test_413, test_search_keys, test_cli_sections, test_no_internal_references):
            t()
        test_manifest(tmp)
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
