"""The `relevance` suite of scripts/bench (issue 16): typo tolerance of `q` on the text corpus.

Pairs come from datasets/full/misspellings.tsv (Wikipedia's common misspellings, npm
`misspellings`): misspelling -> intended word, both one word, where
  - the intended word occurs in text.ndjson (title or body) in 1..2,000 documents,
  - the misspelling occurs in no document,
  - the misspelling is within the AUTO budget (3,6: 1 edit from 3 code points, 2 from 6;
    optimal string alignment distance, case-folded) of the intended word.
Words are maximal runs of letters and digits, lowercased (the suite's own tokenizer, so that
it does not depend on the engine it measures).

The corpus is loaded with `meridian import --merge` (bench/text_schema.json) and served by
`meridian serve --cache-bytes 0` on loopback. Each pair's misspelling is searched with
`GET /v1/indexes/text/search?q=<misspelling>&size=10`; a hit is a top-10 document whose title
or body contains the intended word. Reported: recall@10 (share of pairs with a hit), MRR
(mean of 1/rank of the first such document, 0 when none), the p50 and p95 of the server's
took_ms over those queries (no cache), and the index size on disk.

With --relevance-baseline DIR (a build directory of another commit, e.g. main's) the same
runs with DIR/meridian as well, and the summary shows both ("before" = baseline, "after" =
--build-dir). Python 3 stdlib only.
"""
import json
import os
import re
import time
import urllib.parse

from bench_common import BenchError, Result, dir_bytes, make_tempdir, median
from bench_http import Server, http_get
from bench_import import meridian_import

WORD = re.compile(r"[^\W_]+")
MAX_DF = 2000


def words_of(text):
    return WORD.findall(text.lower())


def osa(a, b):
    """Optimal string alignment distance (adjacent transposition = one edit)."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            c = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + c)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def auto_edits(word):
    n = len(word)
    return 0 if n < 3 else 1 if n < 6 else 2


def doc_freqs(corpus):
    df = {}
    with open(corpus, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            d = json.loads(line)
            for w in set(words_of("%s %s" % (d.get("title", ""), d.get("body", "")))):
                df[w] = df.get(w, 0) + 1
    return df


def pairs_of(tsv, df):
    out, seen = [], set()
    with open(tsv, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 2:
                continue
            wrong, right = parts[0].lower(), parts[1].lower()
            if words_of(wrong) != [wrong] or words_of(right) != [right] or (wrong, right) in seen:
                continue
            if not (1 <= df.get(right, 0) <= MAX_DF) or df.get(wrong, 0) != 0:
                continue
            if osa(wrong, right) > auto_edits(wrong):
                continue
            seen.add((wrong, right))
            out.append((wrong, right))
    return out


def measure(ctx, res, exe_build, label, corpus, pairs, log):
    work = make_tempdir("bench-relevance-")
    data = os.path.join(work, "meridian-data")
    saved = ctx.build
    ctx.build = exe_build
    try:
        run = meridian_import(ctx, res, "text", corpus, data, "%s load" % label, merge=True)
    finally:
        ctx.build = saved
    index_bytes = dir_bytes(data)
    server = Server(os.path.join(exe_build, "meridian"), data, "0", res, log)
    hits, rr, took, misses = 0, 0.0, [], []
    try:
        for wrong, right in pairs:
            path = "/v1/indexes/text/search?" + urllib.parse.urlencode({"q": wrong, "size": 10})
            status, body = http_get(server.port, path, timeout=60)
            if status != 200:
                raise BenchError("%s: HTTP %d" % (path, status))
            r = json.loads(body)
            took.append(r.get("took_ms", 0.0))
            rank = None
            for i, h in enumerate(r.get("hits", [])):
                src = h.get("source") or {}
                if right in words_of("%s %s" % (src.get("title", ""), src.get("body", ""))):
                    rank = i + 1
                    break
            if rank:
                hits += 1
                rr += 1.0 / rank
            else:
                misses.append("%s->%s" % (wrong, right))
    finally:
        server.stop()
    took.sort()
    out = {"side": label, "pairs": len(pairs), "recall_at_10": hits / len(pairs), "mrr": rr / len(pairs),
           "q_took_p50_ms": median(took), "q_took_p95_ms": took[int(0.95 * (len(took) - 1))],
           "index_bytes": index_bytes, "import_seconds": run["seconds"], "misses_sample": misses[:40]}
    res.runs.append(out)
    log("  %s: recall@10 %.1f %%, MRR %.3f, q p50 %.2f ms, index %d bytes" % (
        label, 100 * out["recall_at_10"], out["mrr"], out["q_took_p50_ms"], index_bytes))
    return out


def suite_relevance(ctx, log):
    data = ctx.dataset("text.ndjson")
    res = Result("relevance", "typo recall@10 of q (text.ndjson, misspellings.tsv)", data)
    corpus = os.path.join(ctx.root, data["path"])
    tsv = os.path.join(ctx.dataset_dir, "misspellings.tsv")
    if not os.path.exists(tsv):
        raise BenchError("%s is missing (scripts/fetch-datasets)" % tsv)
    t0 = time.perf_counter()
    pairs = pairs_of(tsv, doc_freqs(corpus))
    log("  %d pairs (%.0f s to count words)" % (len(pairs), time.perf_counter() - t0))
    if not pairs:
        raise BenchError("no misspelling pairs qualify")
    sides = []
    base = getattr(ctx.args, "relevance_baseline", None)
    if base:
        sides.append(("before", os.path.abspath(os.path.join(ctx.root, base))))
    sides.append(("after" if base else "this build", ctx.build))
    got = {}
    for label, build in sides:
        if not os.access(os.path.join(build, "meridian"), os.X_OK):
            raise BenchError("%s/meridian is not built" % build)
        got[label] = measure(ctx, res, build, label, corpus, pairs, log)
    for label, r in got.items():
        res.add(label, "typo recall@10", round(100 * r["recall_at_10"], 1), "%")
        res.add(label, "MRR", round(r["mrr"], 3))
        res.add(label, "q took p50", r["q_took_p50_ms"], "ms")
        res.add(label, "q took p95", r["q_took_p95_ms"], "ms")
        res.add(label, "index size", r["index_bytes"], "bytes")
    if "before" in got and "after" in got:
        b, a = got["before"], got["after"]
        res.add("after / before", "q took p50", round(a["q_took_p50_ms"] / b["q_took_p50_ms"], 3), "x")
        res.add("after / before", "index size", round(a["index_bytes"] / b["index_bytes"], 4), "x")
    res.notes.append("%d pairs: intended word in 1..%d documents, misspelling in none, within AUTO "
                     "(3,6) edits; a hit = a top-10 document of q=<misspelling> containing the intended "
                     "word; one query per pair, server cache off (--cache-bytes 0), latency = took_ms."
                     % (len(pairs), MAX_DF))
    res.chart = ("typo recall@10, %", [(k, 100 * v["recall_at_10"]) for k, v in got.items()])
    return res
