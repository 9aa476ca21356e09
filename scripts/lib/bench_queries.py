"""Deterministic query sets for `scripts/bench query`, drawn from the text corpus.

Every engine of the query suite reads the same file (one JSON object per line):

  {"class": "term_high", "words": ["system"], "filter": null}

Classes (QUERY_CLASSES): term_high / term_mid / term_low (one word whose document
frequency is in a band), and2 (two words that co-occur in one document, all must
match), or3 (three words from one document, any may match), phrase (two adjacent
words of one document), prefix (the first 4 letters of a frequent word), fuzzy
(a mid-frequency word of >= 6 letters with one edit applied: each engine that
supports it searches with edit distance 1), filter (a mid-frequency word,
restricted to documents whose `source` equals "filter"), sort (a high-frequency
word, top 10 by `id` descending), facets (a high-frequency word plus counts of the
matching documents per `source`).

Words are lower-case ASCII letters, 4..12 long, not in STOPWORDS (so stopword
handling, which differs between engines, does not matter). Document frequency is
counted over title + body with this simple tokenizer; engines that stem see
slightly different frequencies, which does not change the band.

Python 3 stdlib only. Same corpus + seed -> byte-identical file.
"""
import json
import random
import re

QUERY_CLASSES = ["term_high", "term_mid", "term_low", "and2", "or3", "phrase", "prefix",
                 "fuzzy", "filter", "sort", "facets"]

STOPWORDS = set("""a about above after again against all am an and any are as at be because
been before being below between both but by can did do does doing down during each few for
from further had has have having he her here hers herself him himself his how i if in into is
it its itself just me more most my myself no nor not now of off on once only or other our ours
ourselves out over own same she should so some such than that the their theirs them themselves
then there these they this those through to too under until up very was we were what when
where which while who whom why will with you your yours yourself yourselves also used use may
one two see""".split())

WORD = re.compile(r"[a-z]+")
# Document-frequency bands as fractions of the corpus (190k docs: >= 3000, 190..1900, 3..19).
HIGH_DF = (0.0158, 1.0)
MID_DF = (0.001, 0.01)
LOW_DF = (0.0000158, 0.0001)
SOURCES = ["gcide", "debian-descriptions"]


def _words(text):
    return [w for w in WORD.findall(text.lower())]


def _ok(w):
    return 4 <= len(w) <= 12 and w not in STOPWORDS


def _one_edit(word, rng):
    """A deterministic single edit away from `word`: substitution, deletion or transposition."""
    i = rng.randrange(1, len(word) - 2)
    kind = rng.randrange(3)
    if kind == 0:
        c = "e" if word[i] != "e" else "a"
        return word[:i] + c + word[i + 1:]
    if kind == 1:
        return word[:i] + word[i + 1:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def generate(corpus_path, out_path, per_class=50, seed=42):
    """Writes the query set; returns {class: count}."""
    rng = random.Random(seed)
    df = {}
    docs = []
    with open(corpus_path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            d = json.loads(line)
            text = (d.get("title") or "") + " " + (d.get("body") or "")
            toks = _words(text)
            for w in set(toks):
                if _ok(w):
                    df[w] = df.get(w, 0) + 1
            docs.append(toks)

    def band(lo, hi):
        lo_n, hi_n = max(1, int(lo * len(docs))), max(2, int(hi * len(docs)))
        return sorted(w for w, n in df.items() if lo_n <= n <= hi_n)

    high, mid, low = band(*HIGH_DF), band(*MID_DF), band(*LOW_DF)
    queries = []

    def add(cls, words, flt=None):
        queries.append({"class": cls, "words": words, "filter": flt})

    for w in rng.sample(high, min(per_class, len(high))):
        add("term_high", [w])
    for w in rng.sample(mid, min(per_class, len(mid))):
        add("term_mid", [w])
    for w in rng.sample(low, min(per_class, len(low))):
        add("term_low", [w])

    def from_docs(cls, n, min_df, adjacent):
        seen = set()
        tries = 0
        while sum(1 for q in queries if q["class"] == cls) < per_class and tries < 200000:
            tries += 1
            toks = docs[rng.randrange(len(docs))]
            if adjacent:
                if len(toks) < 2:
                    continue
                i = rng.randrange(len(toks) - 1)
                pick = toks[i:i + 2]
            else:
                cand = sorted({w for w in toks if _ok(w) and df.get(w, 0) >= min_df})
                if len(cand) < n:
                    continue
                pick = rng.sample(cand, n)
            if not all(_ok(w) and df.get(w, 0) >= min_df for w in pick) or len(set(pick)) < n:
                continue
            key = tuple(pick)
            if key in seen:
                continue
            seen.add(key)
            add(cls, list(pick))

    from_docs("and2", 2, 100, False)
    from_docs("or3", 3, 100, False)
    from_docs("phrase", 2, 50, True)
    prefixes = sorted({w[:4] for w in high + mid if len(w) >= 6})
    for p in rng.sample(prefixes, min(per_class, len(prefixes))):
        add("prefix", [p])
    fuzzy_src = [w for w in mid if len(w) >= 6]
    for w in rng.sample(fuzzy_src, min(per_class, len(fuzzy_src))):
        add("fuzzy", [_one_edit(w, rng)])
    for i, w in enumerate(rng.sample(mid, min(per_class, len(mid)))):
        add("filter", [w], SOURCES[i % 2])
    frequent = high + mid[: len(mid) // 4]
    for w in rng.sample(frequent, min(per_class, len(frequent))):
        add("sort", [w])
    for w in rng.sample(frequent, min(per_class, len(frequent))):
        add("facets", [w])

    with open(out_path, "w", encoding="utf-8") as f:
        for q in queries:
            f.write(json.dumps(q, sort_keys=True) + "\n")
    counts = {}
    for q in queries:
        counts[q["class"]] = counts.get(q["class"], 0) + 1
    return counts


if __name__ == "__main__":
    import sys
    print(generate(sys.argv[1], sys.argv[2]))
