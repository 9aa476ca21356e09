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
import urllib.error
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


def read_texts(corpus):
    """Each document's "title body", lowercased words later (read once for the whole suite)."""
    texts = []
    with open(corpus, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                d = json.loads(line)
                texts.append("%s %s" % (d.get("title", ""), d.get("body", "")))
    return texts


def doc_freqs(texts):
    df = {}
    for text in texts:
        for w in set(words_of(text)):
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


def exact_queries(texts, df, n_per_len=100, seed=16):
    """Exact-word q queries: n_per_len each of 1, 2 and 3 consecutive words of a random title or
    body (seeded), every word in 5..20,000 documents and at least 3 letters: words people type
    that are spelt right, for the latency of q (issue 16: within 1.25x of before)."""
    import random
    rng = random.Random(seed)
    out = []
    for length in (1, 2, 3):
        got, tries = 0, 0
        while got < n_per_len and tries < 100000:
            tries += 1
            ws = words_of(rng.choice(texts))
            if len(ws) < length:
                continue
            i = rng.randrange(len(ws) - length + 1)
            q = ws[i:i + length]
            if all(len(w) >= 3 and 5 <= df.get(w, 0) <= 20000 and not w.isdigit() for w in q):
                out.append(" ".join(q))
                got += 1
    return out


def load(ctx, res, exe_build, label, corpus):
    """Imports the corpus with exe_build's meridian; returns (data dir, seconds, bytes)."""
    work = make_tempdir("bench-relevance-")
    data = os.path.join(work, "meridian-data")
    saved = ctx.build
    ctx.build = exe_build
    try:
        run = meridian_import(ctx, res, "text", corpus, data, "%s load" % label, merge=True)
    finally:
        ctx.build = saved
    return data, run["seconds"], dir_bytes(data)


def set_typo(port, typo):
    """PATCHes the index's typo_tolerance (typo = (one, two) minimum word lengths)."""
    import urllib.request
    body = json.dumps({"typo_tolerance": {"min_word_length_one_typo": typo[0],
                                          "min_word_length_two_typos": typo[1]}}).encode()
    req = urllib.request.Request("http://127.0.0.1:%d/v1/indexes/text/settings" % port, data=body,
                                 method="PATCH", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        if r.status != 200:
            raise BenchError("PATCH settings: HTTP %d" % r.status)


def search(port, q, size=10):
    path = "/v1/indexes/text/search?" + urllib.parse.urlencode({"q": q, "size": size})
    t0 = time.perf_counter()
    status, body = http_get(port, path, timeout=60)
    wall = (time.perf_counter() - t0) * 1000
    if status != 200:
        raise BenchError("%s: HTTP %d" % (path, status))
    r = json.loads(body)
    return r, r.get("took_ms", 0.0), wall


def p95(xs):
    xs = sorted(xs)
    return xs[int(0.95 * (len(xs) - 1))] if xs else None


def rank_of(r, right):
    """1-based rank of the first hit holding the word `right`, or None."""
    for i, h in enumerate(r.get("hits", [])):
        src = h.get("source") or {}
        if right in words_of("%s %s" % (src.get("title", ""), src.get("body", ""))):
            return i + 1
    return None


def budget_edits(word, typo):
    """Edits the q typo budget (min length for one typo, for two) allows `word`."""
    n = len(word)
    return 0 if n < typo[0] else 1 if n < typo[1] else 2


def measure_all(res, sides, pairs, exact, typo, log):
    """Runs every query on every side in turn (side by side, same moment) and returns per side
    recall, MRR and the latencies of the misspelt and of the exact-word queries. Each miss is
    classified: out of the typo budget (default 5/9, or `typo`), found at ranks 11-100, or absent."""
    servers = {}
    budget = typo or (5, 9)
    acc = {label: {"hits": 0, "rr": 0.0, "took": [], "exact_took": [], "exact_wall": [], "misses": [],
                   "out_of_budget": 0, "ranks_11_100": 0, "absent": 0}
           for label, _, _ in sides}
    try:
        for label, build, data in sides:
            servers[label] = Server(os.path.join(build, "meridian"), data, "0", res, log)
            if typo:
                try:
                    set_typo(servers[label].port, typo)
                except urllib.error.HTTPError as e:  # a build from before index settings
                    log("  %s: typo_tolerance not set (HTTP %d): its own default budget" % (label, e.code))
        for wrong, right in pairs:
            for label, _, _ in sides:
                r, took, _ = search(servers[label].port, wrong)
                a = acc[label]
                a["took"].append(took)
                rank = rank_of(r, right)
                if rank:
                    a["hits"] += 1
                    a["rr"] += 1.0 / rank
                else:
                    a["misses"].append("%s->%s" % (wrong, right))
                    if osa(wrong, right) > budget_edits(wrong, budget):
                        a["out_of_budget"] += 1
                    elif rank_of(search(servers[label].port, wrong, 100)[0], right):
                        a["ranks_11_100"] += 1
                    else:
                        a["absent"] += 1
        for _ in range(2):  # two passes: the first warms the page cache of both sides alike
            for label in acc:
                acc[label]["exact_took"].clear()
                acc[label]["exact_wall"].clear()
            for q in exact:
                for label, _, _ in sides:
                    _, took, wall = search(servers[label].port, q)
                    acc[label]["exact_took"].append(took)
                    acc[label]["exact_wall"].append(wall)
    finally:
        for s in servers.values():
            s.stop()
    out = {}
    for label, a in acc.items():
        out[label] = {"side": label, "pairs": len(pairs), "recall_at_10": a["hits"] / len(pairs),
                      "mrr": a["rr"] / len(pairs), "q_took_p50_ms": median(a["took"]),
                      "q_took_p95_ms": p95(a["took"]), "exact_queries": len(exact),
                      "exact_took_p50_ms": median(a["exact_took"]), "exact_took_p95_ms": p95(a["exact_took"]),
                      "exact_wall_p50_ms": median(a["exact_wall"]), "misses": a["misses"],
                      "misses_out_of_budget": a["out_of_budget"], "misses_ranks_11_100": a["ranks_11_100"],
                      "misses_absent": a["absent"],
                      "recall_at_10_within_budget": a["hits"] / max(1, len(pairs) - a["out_of_budget"])}
        log("  %s: recall@10 %.1f %%, MRR %.3f, misspelt q p50 %.2f ms%s" % (
            label, 100 * out[label]["recall_at_10"], out[label]["mrr"], out[label]["q_took_p50_ms"],
            ", exact q p50 %.3f ms (wall %.3f)" % (out[label]["exact_took_p50_ms"], out[label]["exact_wall_p50_ms"])
            if exact else ""))
        log("  %s: misses: %d out of the %d/%d budget, %d at ranks 11-100, %d not in the top 100; "
            "recall@10 of the pairs within the budget %.1f %%" % (
                label, a["out_of_budget"], budget[0], budget[1], a["ranks_11_100"], a["absent"],
                100 * out[label]["recall_at_10_within_budget"]))
    return out


def suite_relevance(ctx, log):
    data = ctx.dataset("text.ndjson")
    res = Result("relevance", "typo recall@10 of q (text.ndjson, misspellings.tsv)", data)
    corpus = os.path.join(ctx.root, data["path"])
    tsv = os.path.join(ctx.dataset_dir, "misspellings.tsv")
    if not os.path.exists(tsv):
        raise BenchError("%s is missing (scripts/fetch-datasets)" % tsv)
    t0 = time.perf_counter()
    texts = read_texts(corpus)
    df = doc_freqs(texts)
    pairs = pairs_of(tsv, df)
    exact = exact_queries(texts, df)
    del texts
    log("  %d pairs, %d exact-word queries (%.0f s to count words)" % (
        len(pairs), len(exact), time.perf_counter() - t0))
    if not pairs:
        raise BenchError("no misspelling pairs qualify")
    typo = None
    if getattr(ctx.args, "relevance_typo", None):
        one, two = ctx.args.relevance_typo.split(",")
        typo = (int(one), int(two))
    builds = []
    base = getattr(ctx.args, "relevance_baseline", None)
    if base:
        builds.append(("before", os.path.abspath(os.path.join(ctx.root, base))))
    builds.append(("after" if base else "this build", ctx.build))
    sides, loaded = [], {}
    for label, build in builds:
        if not os.access(os.path.join(build, "meridian"), os.X_OK):
            raise BenchError("%s/meridian is not built" % build)
        data_dir, secs, size = load(ctx, res, build, label, corpus)
        loaded[label] = (secs, size)
        sides.append((label, build, data_dir))
    got = measure_all(res, sides, pairs, exact, typo, log)
    # Without --relevance-typo, the same pairs again at the budget they are chosen by (AUTO 3/6):
    # under the default 5/9 some cannot match at all (a misspelling under 5 letters).
    auto = None
    if not typo:
        log("  the same pairs at their own budget, AUTO 3/6 (typo_tolerance set on each side):")
        auto = measure_all(res, sides, pairs, [], (3, 6), log)
    for label, r in got.items():
        r["import_seconds"], r["index_bytes"] = loaded[label]
        misses = r.pop("misses")
        r["misses"] = misses
        res.runs.append(r)
        res.add(label, "typo recall@10", round(100 * r["recall_at_10"], 1), "%")
        res.add(label, "MRR", round(r["mrr"], 3))
        res.add(label, "typo recall@10 of the pairs within the typo budget",
                round(100 * r["recall_at_10_within_budget"], 1), "%")
        res.add(label, "misses out of the typo budget", r["misses_out_of_budget"])
        res.add(label, "misses at ranks 11-100", r["misses_ranks_11_100"])
        res.add(label, "misses not in the top 100", r["misses_absent"])
        res.add(label, "misspelt q took p50", r["q_took_p50_ms"], "ms")
        res.add(label, "misspelt q took p95", r["q_took_p95_ms"], "ms")
        res.add(label, "exact-word q took p50", r["exact_took_p50_ms"], "ms")
        res.add(label, "exact-word q took p95", r["exact_took_p95_ms"], "ms")
        res.add(label, "exact-word q wall p50 (HTTP)", round(r["exact_wall_p50_ms"], 3), "ms")
        res.add(label, "index size", r["index_bytes"], "bytes")
        if auto:
            a = auto[label]
            r["auto_3_6"] = {k: a[k] for k in ("recall_at_10", "mrr", "misses_out_of_budget", "misses_ranks_11_100",
                                                "misses_absent", "misses")}
            res.add(label, "typo recall@10 at the AUTO budget 3/6", round(100 * a["recall_at_10"], 1), "%")
            res.add(label, "MRR at the AUTO budget 3/6", round(a["mrr"], 3))
    if "before" in got and "after" in got:
        b, a = got["before"], got["after"]
        for key, name in (("q_took_p50_ms", "misspelt q took p50"), ("exact_took_p50_ms", "exact-word q took p50"),
                          ("exact_wall_p50_ms", "exact-word q wall p50 (HTTP)"), ("index_bytes", "index size")):
            if b[key]:
                res.add("after / before", name, round(a[key] / b[key], 3), "x")
    res.notes.append("%d pairs: intended word in 1..%d documents, misspelling in none, within AUTO "
                     "(3,6) edits; a hit = a top-10 document of q=<misspelling> containing the intended "
                     "word; one query per pair, server cache off (--cache-bytes 0), latency = took_ms. "
                     "%d exact-word queries (1-3 consecutive words of a random document, each word in "
                     "5..20,000 documents), two passes, the second timed. Sides run side by side: each "
                     "query goes to every side in turn." % (len(pairs), MAX_DF, len(exact)))
    if typo:
        res.notes.append("typo_tolerance set on every side: min_word_length_one_typo %d, "
                         "min_word_length_two_typos %d (--relevance-typo)" % typo)
    if auto:
        res.notes.append("The pairs also run at the AUTO budget 3/6 (the one they are chosen by), "
                         "typo_tolerance PATCHed on each side (a build without the settings route keeps "
                         "its own budget).")
    res.chart = ("typo recall@10, %", [(k, 100 * v["recall_at_10"]) for k, v in got.items()])
    return res
