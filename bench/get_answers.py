#!/usr/bin/env python3
"""get_answers.py PORT OUT: GET search requests of the cities index (q words, prefixes and typos,
plain and encoded, with filters, facets, sorts, highlight, geo, and error cases) over one
keep-alive connection; writes per request the path, status, headers and body with took_ms,
Content-Length and X-Request-Id masked, so two servers' answers can be compared with diff."""
import http.client
import re
import sys
import urllib.parse

P = "/v1/indexes/cities/search?"
WORDS = ["paris", "london", "berlin", "tokyo", "zq", "zzqxj", "zzqxjvw", "pariss", "londn", "new york", "san",
         "sao paulo", "mexico", "rio", "los angeles", "st", "saint", "bad", "ber", "mos", "moscow", "kyiv", "wien",
         "münchen", "zürich", "são", "québec", "a", "the", "de la", "x", "xy", "springfield", "portland", "lyon",
         "marseille", "nice", "ham", "hamburg"]
OPTIONS = ["&filter=country:FR", "&facets=country,feature_code", "&sort=population:desc",
           "&sort=population:desc,_score,name", "&highlight=name,alt_name", "&q_fields=name^2,alt_name",
           "&matching_strategy=all", "&explain=true&size=2", "&fields=name,population&size=2",
           "&track_total_hits=false", "&track_total_hits=5", "&source=0", "&near=48.85,2.35&sort=_geo_distance",
           "&near=48.85%2C2.35&radius=500km", "&near=48.85,2.35&decay=gauss&scale=100km"]
OTHERS = ["filter=population:>1000000&size=3&sort=population:desc", "bbox=50,1,48,3&size=5&sort=population:desc",
          "bbox=50%2C1%2C48%2C3&size=5", "near=48.85,2.35&radius=10km&sort=_geo_distance:desc&size=4",
          "near=48.85,2.35&radius=10km&geo_field=location&decay=exp&scale=5km&offset=1km&decay_value=0.3",
          "facets=country&size=0", "",
          # errors: each must keep its status and body
          "q=paris&q=london", "size=abc", "size=20000", "from=9995&size=10", "sizee=1", "limit=1", "near=bad&size=x",
          "near=100,0&radius=1km", "radius=1km", "near=1,2", "radius=wide&near=1,2", "bbox=1,2,3", "bbox=10,0,20,1",
          "explain=maybe&zzz=1", "sort=_geo_distance", "scale=1km", "decay=gauss", "decay=gauss&near=1,2",
          "decay=cubic&near=1,2&scale=1km", "matching_strategy=most", "q=a&filter=country:(", "track_total_hits=-1",
          "sort=name:up", "q=%FF", "q=%u00e9t%u00e9", "q=caf%C3%A9", "q=a%2", "q=100%", "q=a&&&b=",
          "q=paris&filter=nosuchfield:x", "sort=nosuch:asc", "facets=nosuch", "highlight=nosuch&q=paris",
          "q=paris&q_fields=nosuch", "q=paris&size=2&size=2", "q=paris&size=2&size=3"]
PATHS = ["/v1/indexes/nosuch/search?q=paris", "/v1/indexes/_bad/search?q=x", "/v1/indexes/cities/search/x",
         "/v1/indexes/cities?x=1", "/health", "/v1/indexes/cities", "/v1/indexes/ci%74ies/search?q=paris"]


def requests():
    for w in WORDS:
        yield P + "q=" + urllib.parse.quote(w)
        yield P + "q=" + urllib.parse.quote_plus(w)
        yield P + "q=" + urllib.parse.quote(w) + "&size=3&from=1"
    for w in WORDS[:15]:
        for o in OPTIONS:
            yield P + "q=" + urllib.parse.quote(w) + o
    for o in OTHERS:
        yield P + o
    yield from PATHS


def main():
    port, out = int(sys.argv[1]), sys.argv[2]
    c = http.client.HTTPConnection("127.0.0.1", port)
    took = re.compile(r'"took_ms":[^,}]*')
    with open(out, "w") as o:
        for p in requests():
            c.request("GET", p)
            r = c.getresponse()
            body = r.read().decode(errors="replace")
            heads = ";".join("%s=%s" % (k, "X" if k.lower() in ("x-request-id", "content-length") else v)
                             for k, v in r.getheaders())
            o.write("%s %d %s %s\n" % (p, r.status, heads, took.sub('"took_ms":X', body)))


if __name__ == "__main__":
    main()
