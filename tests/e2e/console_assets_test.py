#!/usr/bin/env python3
"""The web console as `meridian serve` serves it, over real HTTP:

- GET / with a browser's Accept answers the page (HTML, CSP); without
  text/html it answers JSON (clients and tools are not sent a page);
- every file under console/ in the source tree is served at
  /_console/<path>, byte for byte, with its content type, an ETag and a 304
  on If-None-Match; an unknown one is a JSON 404;
- with auth on, the page and its files need no key, the API still does;
- no served file names an http:// or https:// URL (no CDN, no tile server,
  no attribution link): the only exception is the SVG namespace identifier
  Leaflet passes to createElementNS, which browsers never fetch.

Usage: console_assets_test.py PATH/TO/meridian
Prints "N passed, M failed"; exits non-zero on failure."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

from e2e_util import free_port, stop_process, wait_health

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/meridian"
CONSOLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "console")
MASTER = "console-assets-master-key-0123456789"
URL = re.compile(rb"https?://[^\s\"'<>)]*", re.I)
NOT_FETCHED = {b"http://www.w3.org/2000/svg"}  # an XML namespace name, not a location
RESULTS = {"passed": 0, "failed": 0}
TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".json": "application/json",
         ".png": "image/png", "LICENSE": "text/plain"}


def check(name, cond, detail=""):
    RESULTS["passed" if cond else "failed"] += 1
    print(("ok   " if cond else "FAIL ") + name + ("" if cond or detail == "" else ": " + str(detail)[:400]))


def get(base, path, headers=None):
    r = urllib.request.Request(base + path, headers=headers or {})
    try:
        with urllib.request.urlopen(r, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def served_files():
    """Every file of console/ the build embeds (all but meson.build and READMEs)."""
    out = []
    for d, _, names in os.walk(CONSOLE):
        for n in names:
            if n == "meson.build" or n.endswith(".md"):
                continue
            out.append(os.path.relpath(os.path.join(d, n), CONSOLE).replace(os.sep, "/"))
    return sorted(out)


def main():
    tmp = tempfile.mkdtemp(prefix="meridian-e2e-console-assets-")
    port = free_port()
    base = "http://127.0.0.1:%d" % port
    proc = subprocess.Popen([BIN, "serve", "--data", os.path.join(tmp, "data"), "--listen", "127.0.0.1:%d" % port,
                             "--master-key", MASTER, "--no-access-log"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        check("server up", wait_health(base))
        browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
        s, h, page = get(base, "/", browser)
        check("GET / from a browser is the console page (no key needed)",
              s == 200 and h.get("Content-Type", "").startswith("text/html") and b"<title>Meridian console" in page,
              (s, h.get("Content-Type")))
        check("the page has a Content-Security-Policy limited to this server",
              "default-src 'self'" in h.get("Content-Security-Policy", ""), h.get("Content-Security-Policy"))
        s, h, body = get(base, "/", {"Accept": "application/json"})
        check("GET / from a client is JSON", s == 200 and h.get("Content-Type", "").startswith("application/json"),
              (s, h.get("Content-Type"), body[:100]))
        s, _, _ = get(base, "/v1/indexes")
        check("the API still needs a key", s == 401, s)

        files = served_files()
        check("console/ has the page, the app and the vendored files", len(files) >= 15 and "index.html" in files
              and "third_party/leaflet/leaflet.js" in files and "third_party/world-atlas/countries-110m.json" in files,
              files)
        bodies = {"/": page}
        for rel in files:
            path = "/_console/" + rel
            s, h, body = get(base, path)
            want = next((t for suffix, t in TYPES.items() if rel.endswith(suffix)), None)
            on_disk = open(os.path.join(CONSOLE, rel), "rb").read()
            check("%s: served byte for byte, %s" % (path, want),
                  s == 200 and body == on_disk and want and h.get("Content-Type", "").startswith(want),
                  (s, h.get("Content-Type"), len(body), len(on_disk)))
            etag = h.get("ETag", "")
            s2, _, b2 = get(base, path, {"If-None-Match": etag})
            check("%s: 304 on its ETag" % path, etag.startswith('"') and s2 == 304 and not b2, (etag, s2))
            bodies[path] = body
        s, h, body = get(base, "/_console/nope.js")
        check("an unknown console file is a JSON 404", s == 404 and b'"error"' in body, (s, body[:120]))
        s, h, body = get(base, "/_console/third_party/leaflet/images/nope.png")
        check("an unknown image is a 404", s == 404, s)

        # No URL anywhere in what the server sends.
        found = []
        for path, body in bodies.items():
            for m in URL.finditer(body):
                if m.group(0) not in NOT_FETCHED:
                    found.append("%s: %s" % (path, m.group(0).decode("latin-1")))
        check("no served file names an http(s) URL (%d files)" % len(bodies), not found, found)
        js = b"".join(b for p, b in bodies.items() if p.endswith(".js"))
        check("Leaflet's attribution link is gone", b"leafletjs.com" not in js)
        check("the map is created without an attribution control", b"attributionControl: false" in bodies["/_console/map.js"])
        check("no tile layer is used", b"L.tileLayer" not in js)
    finally:
        stop_process(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]))
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
