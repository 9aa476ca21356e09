"""The `suggest` suite: the cost and accuracy of "Did you mean" (docs/QUERY.md).

The text corpus is loaded with `meridian import --merge` (bench/text_schema.json) and
bench/suggest_bench runs every one-word pair of misspellings.tsv through query::search()
and query::suggest() in-process (the fastest of --suggest-passes calls each): the latency
of suggest() on misspelt queries (all, and those with zero hits), of the known-word test a
correctly spelled q pays, next to search() of the same misspelt q; and how often the first
(or any) suggestion is the intended word, over the pairs whose intended word is a word of
the corpus within the typo's budget.
"""
import os
import shutil

from bench_common import Result, make_tempdir, run_json
from bench_import import meridian_import


def suite_suggest(ctx, log):
    data = ctx.dataset("text.ndjson")
    res = Result("suggest", "did you mean: query::suggest cost and accuracy (text.ndjson, misspellings.tsv)", data)
    corpus = os.path.join(ctx.root, data["path"])
    tsv = os.path.join(ctx.dataset_dir, "misspellings.tsv")
    work = make_tempdir("bench-suggest-")
    store = os.path.join(work, "meridian-data")
    try:
        meridian_import(ctx, res, "text", corpus, store, "load", merge=True)
        r = run_json(res, [ctx.binary("bench/suggest_bench"), store, "text", tsv,
                           "--passes", str(ctx.args.suggest_passes)], label="suggest_bench")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for name, key in [("search() of the misspelt q", "search"), ("suggest(), misspelt q", "suggest"),
                      ("suggest(), misspelt q with zero hits", "suggest_zero_hits"),
                      ("suggest(), q = a word of the index", "suggest_known")]:
        res.add(name, "p50", r[key].get("p50_us"), "us")
        res.add(name, "p95", r[key].get("p95_us"), "us")
    judged = r["judged"] or 1
    res.add("accuracy", "judged pairs", r["judged"])
    res.add("accuracy", "with a suggestion", round(100.0 * r["with_suggestion"] / judged, 1), "%")
    res.add("accuracy", "top-1 is the intended word", round(100.0 * r["top1"] / judged, 1), "%")
    res.add("accuracy", "intended word among the suggestions", round(100.0 * r["top3"] / judged, 1), "%")
    res.notes.append("%d documents in %d segment(s); %d one-word pairs, %d of them with zero hits." % (
        r["docs"], r["segments"], r["pairs"], r["zero_hits"]))
    log("  suggest p50 %.0f us (zero hits %.0f us) vs search %.0f us; top-1 %d / %d" % (
        r["suggest"]["p50_us"], r["suggest_zero_hits"]["p50_us"], r["search"]["p50_us"], r["top1"], judged))
    return res
