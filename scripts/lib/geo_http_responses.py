#!/usr/bin/env python3
"""Writes every response of the geo suite's queries over HTTP, to compare two
builds' answers byte for byte (took_ms masked):

  scripts/lib/geo_http_responses.py PORT QUERIES.tsv OUT [SIZE]

against `meridian serve` holding the cities index (bench/README.md, "geo and
http"). Per query of QUERIES.tsv (scripts/lib/bench_geo.py cities_files): the
GET form (radius: near + radius, box: bbox) and the POST form (geo_distance,
geo_bounding_box, text_radius: match + geo_distance), SIZE hits (default
10000, every id), source false, track_total_hits; for radius queries also a
page sorted by distance (sort=_geo_distance, size 50, from 7). One line per
response: method, path or body, status, body."""
import http.client, json, re, sys
port, qfile, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
size = int(sys.argv[4]) if len(sys.argv) > 4 else 10000
num = lambda v: "%.17g" % v
c = http.client.HTTPConnection("127.0.0.1", port)
mask = re.compile(r'"took_ms":[^,}]*')
with open(qfile) as f, open(out, "w") as o:
    for line in f:
        cls, kind, lat, lon, rad, top, left, bottom, right, word = line.rstrip("\n").split("\t")
        lat, lon, rad, top, left, bottom, right = map(float, (lat, lon, rad, top, left, bottom, right))
        reqs = []
        p = "/v1/indexes/cities/search?geo_field=location&size=%d&source=false&track_total_hits=true" % size
        if kind == "radius":
            reqs.append(("GET", p + "&near=%s,%s&radius=%sm" % (num(lat), num(lon), num(rad)), None))
            filt = {"geo_distance": {"distance": rad, "location": {"lat": lat, "lon": lon}}}
        elif kind == "box":
            reqs.append(("GET", p + "&bbox=%s,%s,%s,%s" % (num(top), num(left), num(bottom), num(right)), None))
            filt = {"geo_bounding_box": {"location": {"top": top, "left": left, "bottom": bottom, "right": right}}}
        else:
            filt = {"geo_distance": {"distance": rad, "location": {"lat": lat, "lon": lon}}}
        body = {"filter": filt, "size": size, "track_total_hits": True, "source": False}
        if kind == "text_radius":
            body["query"] = {"match": {"name": word}}
        reqs.append(("POST", "/v1/indexes/cities/search", json.dumps(body)))
        if kind == "radius":  # also sorted by distance, paged
            reqs.append(("GET", p.replace("size=%d" % size, "size=50&from=7") + "&near=%s,%s&radius=%sm&sort=_geo_distance" % (num(lat), num(lon), num(rad)), None))
        for m, path, b in reqs:
            c.request(m, path, body=b, headers={"Content-Type": "application/json"} if b else {})
            r = c.getresponse()
            data = r.read().decode()
            o.write("%s %s %d %s\n" % (m, path if m == "GET" else b, r.status, mask.sub('"took_ms":X', data)))
