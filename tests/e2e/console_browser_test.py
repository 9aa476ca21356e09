#!/usr/bin/env python3
"""The web console in a real browser: headless Chromium (Debian `chromium` +
`chromium-driver`) driven by Debian's python3-selenium against the real
`meridian serve` on loopback, with auth on and the bundled cities sample.

It enters the API key in the console's dialog, checks the index list, types a
misspelled city (typo tolerance finds it, highlighted), ticks a country facet,
draws a box on the map (mouse drag through the "draw box" control), checks
the hit list and the markers against the server's own answer, clicks a hit
(the map flies to it), runs a query in the DSL editor, toggles watch and sees
a document PUT over HTTP appear live. Screenshots go to
<build dir>/console-screenshots/. The browser may reach nothing but the
server: every other host resolves to nothing, and the page's resource
timings must all be on the server's origin.

Usage: console_browser_test.py PATH/TO/meridian   (about 15-30 s)
Prints "N passed, M failed"; exits non-zero on failure."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from e2e_util import free_port, stop_process, wait_health

# python3-selenium is a Debian package: it lives in the system Python's
# dist-packages. Under another python3 (a pyenv or venv first on PATH),
# run again with the system one.
try:
    import selenium  # noqa: F401
except ImportError:
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/meridian")
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
CITIES = os.path.join(ROOT, "datasets", "samples", "cities.ndjson")
SHOTS = os.path.join(os.path.dirname(BIN), "console-screenshots")
MASTER = "console-test-master-key-0123456789"
RESULTS = {"passed": 0, "failed": 0}


def check(name, cond, detail=""):
    if cond:
        RESULTS["passed"] += 1
        print("ok   " + name)
    else:
        RESULTS["failed"] += 1
        print("FAIL " + name + (": " + str(detail)[:500] if detail != "" else ""))
    return cond


def http(base, method, path, body=None, ctype="application/json"):
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
    r = urllib.request.Request(base + path, data=data, method=method,
                               headers={"Authorization": "Bearer " + MASTER, "Content-Type": ctype})
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1400,900", "--no-proxy-server", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--disable-default-apps", "--disable-extensions", "--metrics-recording-only",
              # Every host but loopback resolves to nothing: the console must need no network.
              "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
    d = webdriver.Chrome(service=service, options=opts)
    d.set_page_load_timeout(20)
    d.set_script_timeout(10)
    return d


def wait(d, pred, what, timeout=10):
    """pred(d) until truthy; its value, or None after timeout (checked by the caller)."""
    end = time.time() + timeout
    last = None
    while time.time() < end:
        try:
            last = pred(d)
            if last:
                return last
        except Exception as e:  # stale elements while the page re-renders
            last = e
        time.sleep(0.1)
    print("  (timed out waiting for %s: %r)" % (what, last))
    return None


def shot(d, name):
    os.makedirs(SHOTS, exist_ok=True)
    d.save_screenshot(os.path.join(SHOTS, name))


def hits(d):
    """[(id, title text, meta text)] of the result list."""
    return d.execute_script(
        "return [...document.querySelectorAll('#hits li.hit')].map(li => [li.dataset.id,"
        " li.querySelector('.hit-title').firstChild.textContent, li.querySelector('.meta').textContent])")


def total(d):
    t = d.find_element("id", "total").text
    return int(t.split()[0].rstrip("+")) if t and t[0].isdigit() else None


def run(d, base):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    # 1. The page, the key dialog (auth is on), the index list.
    d.get(base + "/")
    dlg = wait(d, lambda d: d.find_element(By.ID, "key-dialog").get_attribute("open") is not None, "key dialog")
    check("auth on: the console asks for a key", dlg)
    d.find_element(By.ID, "key-input").send_keys(MASTER)
    d.find_element(By.ID, "key-save").click()
    row = wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, 'tr[data-index="cities"] td.docs'), "index list")
    check("index list shows cities with 3000 documents", row and row[0].text.replace(",", "") == "3000",
          row and row[0].text)
    check("index list shows the schema", "geo_point" in d.find_element(By.ID, "index-table").text)
    stored = d.execute_script("return [sessionStorage.getItem('meridian.key'), localStorage.length, document.cookie]")
    check("the key is kept in sessionStorage only", stored == [MASTER, 0, ""], stored)
    shot(d, "01-indexes.png")

    # 2. Search as you type, with a typo.
    d.find_element(By.CSS_SELECTOR, 'tr[data-index="cities"] a.index-link').click()
    box = wait(d, lambda d: d.find_element(By.ID, "q"), "search box")
    wait(d, lambda d: total(d) == 3000, "all documents listed")
    box.send_keys("Philadelpia")
    first = wait(d, lambda d: hits(d) and hits(d)[0][1] == "Philadelphia" and hits(d), "typo search")
    check("a misspelled city is found (Philadelpia -> Philadelphia)", first, hits(d)[:3])
    marks = d.find_elements(By.CSS_SELECTOR, "#hits li.hit mark")
    check("the hit is highlighted", marks and "Philadelphia" in marks[0].text, [m.text for m in marks])
    shot(d, "02-typo.png")

    # 3. A facet: tick country US.
    box.send_keys(Keys.CONTROL + "a", Keys.DELETE)
    wait(d, lambda d: total(d) == 3000, "cleared search")
    us = wait(d, lambda d: d.find_element(By.CSS_SELECTOR, 'fieldset[data-field="country"] input[value="US"]'), "US facet")
    us.click()
    status, want = http(base, "POST", "/v1/indexes/cities/search", {"filter": {"term": {"country": "US"}}, "size": 0})
    got = wait(d, lambda d: total(d) == want["total"]["value"], "facet applied")
    check("ticking country US filters the hits (%d)" % want["total"]["value"], got, total(d))
    check("every listed hit is in the US", all("countryUS" in h[2].replace(" ", "") for h in hits(d)), hits(d))

    # Sort, paging and a numeric range on the facet's result.
    from selenium.webdriver.support.ui import Select
    Select(d.find_element(By.ID, "sort")).select_by_value("population:desc")
    _, want = http(base, "POST", "/v1/indexes/cities/search",
                   {"filter": {"term": {"country": "US"}}, "sort": [{"population": "desc"}], "size": 20})
    ids = [h["id"] for h in want["hits"]]
    got = wait(d, lambda d: [h[0] for h in hits(d)] == ids[:10], "sorted by population")
    check("the sort selector sorts (population, largest first)", got, ([h[0] for h in hits(d)], ids[:10]))
    d.find_element(By.ID, "next").click()
    got = wait(d, lambda d: [h[0] for h in hits(d)] == ids[10:20], "page 2")
    check("next page shows hits 11-20", got and d.find_element(By.ID, "page-info").text.startswith("11–20 of"),
          d.find_element(By.ID, "page-info").text)
    Select(d.find_element(By.ID, "sort")).select_by_value("")
    wait(d, lambda d: d.find_element(By.ID, "page-info").text.startswith("1–10 of"), "relevance again")
    lo = d.find_element(By.CSS_SELECTOR, 'fieldset.range[data-field="population"] input.range-min')
    lo.send_keys("1000000", Keys.TAB)
    _, want = http(base, "POST", "/v1/indexes/cities/search",
                   {"filter": [{"term": {"country": "US"}}, {"range": {"population": {"gte": 1000000}}}], "size": 0})
    got = wait(d, lambda d: total(d) == want["total"]["value"], "population range")
    check("a numeric range (population >= 1,000,000) filters (%d)" % want["total"]["value"], got, total(d))
    lo = d.find_element(By.CSS_SELECTOR, 'fieldset.range[data-field="population"] input.range-min')
    lo.send_keys(Keys.CONTROL + "a", Keys.DELETE, Keys.TAB)
    wait(d, lambda d: total(d) == 175, "range cleared")
    check("page and range reset", total(d) == 175 and d.find_element(By.ID, "page-info").text.startswith("1–10 of"),
          (total(d), d.find_element(By.ID, "page-info").text))

    # 4. Draw a box over the eastern US with the mouse.
    mapel = d.find_element(By.ID, "map")
    wait(d, lambda d: int(mapel.get_attribute("data-land") or 0) > 100, "land outlines")
    check("land outlines drawn from the bundled Natural Earth file", int(mapel.get_attribute("data-land") or 0) > 100,
          mapel.get_attribute("data-land"))
    check("density layer (geohash_grid) when zoomed out", int(mapel.get_attribute("data-density") or 0) > 5,
          mapel.get_attribute("data-density"))
    corners = d.execute_script(
        "const m = document.querySelector('#map'); const map = window.Meridian._page().map.leaflet;"
        "const s = map.getSize(); const a = map.latLngToContainerPoint([47, -95]), b = map.latLngToContainerPoint([30, -70]);"
        "return [a.x - s.x / 2, a.y - s.y / 2, b.x - a.x, b.y - a.y];")
    d.find_element(By.ID, "draw-box").click()
    ActionChains(d).move_to_element_with_offset(mapel, int(corners[0]), int(corners[1])).click_and_hold() \
        .move_by_offset(int(corners[2]) // 2, int(corners[3]) // 2).move_by_offset(int(corners[2]) - int(corners[2]) // 2,
                                                                                int(corners[3]) - int(corners[3]) // 2) \
        .release().perform()
    area = wait(d, lambda d: mapel.get_attribute("data-area") == "box" and d.execute_script(
        "return window.Meridian._page().area"), "box drawn")
    check("a box drawn on the map becomes the area filter", area and area.get("type") == "box", area)
    if area:
        check("the box is where it was drawn", abs(area["top"] - 47) < 3 and abs(area["left"] + 95) < 3
              and abs(area["bottom"] - 30) < 3 and abs(area["right"] + 70) < 3, area)
        status, want = http(base, "POST", "/v1/indexes/cities/search", {
            "filter": [{"term": {"country": "US"}},
                       {"geo_bounding_box": {"location": {k: area[k] for k in ("top", "left", "bottom", "right")}}}],
            "size": 10})
        n = want["total"]["value"]
        got = wait(d, lambda d: total(d) == n, "box applied")
        check("the hit list is the server's answer for country US inside the box (%d hits)" % n,
              got and 0 < n < 175 and [h[0] for h in hits(d)] == [h["id"] for h in want["hits"]],
              (total(d), [h[0] for h in hits(d)], [h["id"] for h in want["hits"]]))
        markers = d.execute_script("return document.querySelectorAll('#map path.hit-marker').length")
        check("one map marker per hit on the page", markers == len(want["hits"]) == int(mapel.get_attribute("data-markers")),
              (markers, len(want["hits"])))
        inside = d.execute_script(
            "const map = window.Meridian._page().map.leaflet; const out = [];"
            "map.eachLayer(l => { if (l.options && l.options.className === 'hit-marker') out.push([l.getLatLng().lat, l.getLatLng().lng]); });"
            "return out;")
        check("every marker lies inside the box", inside and all(
            area["bottom"] <= la <= area["top"] and area["left"] <= lo <= area["right"] for la, lo in inside), inside)
    shot(d, "03-facet-box.png")
    # The picture in README.md (docs/console.png): this state, a smaller window.
    d.set_window_size(1200, 720)
    time.sleep(0.5)
    shot(d, "console.png")
    d.set_window_size(1400, 900)
    time.sleep(0.3)

    # 5. Click a hit: the map flies to it.
    first_id = hits(d)[0][0]
    d.find_element(By.CSS_SELECTOR, '#hits li.hit[data-id="%s"]' % first_id).click()
    check("clicking a hit flies the map to it", wait(d, lambda d: mapel.get_attribute("data-flown") == first_id, "fly"))
    check("zoomed in, the density layer gives way to the markers",
          wait(d, lambda d: mapel.get_attribute("data-density") == "0", "density hidden"), mapel.get_attribute("data-density"))

    # 6. The query-DSL editor with the response beside it.
    d.find_element(By.CSS_SELECTOR, "details#dsl summary").click()
    ed = d.find_element(By.ID, "dsl-in")
    body = json.loads(ed.get_attribute("value"))
    check("the DSL editor shows the current search", body.get("filter") and body["size"] == 10, body)
    d.execute_script("arguments[0].value = arguments[1]", ed,
                     json.dumps({"query": {"match": {"name": "chicago"}}, "size": 1}))
    d.find_element(By.ID, "dsl-run").click()
    out = wait(d, lambda d: "Chicago" in d.find_element(By.ID, "dsl-out").text and d.find_element(By.ID, "dsl-out").text,
               "DSL response")
    check("a DSL query runs and its JSON response is shown", out and out.startswith("HTTP 200"), out and out[:200])
    d.find_element(By.CSS_SELECTOR, "details#dsl summary").click()

    # 7. Live: watch, then PUT a matching document (US, inside the box) and one outside.
    d.find_element(By.ID, "watch").click()
    opened = wait(d, lambda d: d.find_element(By.ID, "watch-state").get_attribute("data-state") == "open", "watch open")
    check("the watch stream opens (fetch + Authorization)", opened,
          d.find_element(By.ID, "watch-state").get_attribute("data-state"))
    lat, lon = ((area["top"] + area["bottom"]) / 2, (area["left"] + area["right"]) / 2) if area else (40, -80)
    s1, _ = http(base, "PUT", "/v1/indexes/cities/docs/990001", {"id": 990001, "name": "Outsideville", "country": "FR",
                                                               "population": 5, "location": {"lat": 46, "lon": 2}})
    s2, _ = http(base, "PUT", "/v1/indexes/cities/docs/990002", {"id": 990002, "name": "Meridianville", "country": "US",
                                                               "population": 1234, "location": {"lat": lat, "lon": lon}})
    check("documents written over HTTP", s1 in (200, 201) and s2 in (200, 201), (s1, s2))
    live = wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, '#live-list li.live-match[data-id="990002"]'), "live match",
                timeout=10)
    check("the new matching document appears live", live and "Meridianville" in live[0].text, live and live[0].text)
    time.sleep(0.3)
    check("the document outside the filter does not",
          not d.find_elements(By.CSS_SELECTOR, '#live-list li[data-id="990001"]'))
    check("the live document is pulsed on the map",
          d.execute_script("return document.querySelectorAll('#map path.live-marker').length") == 1)
    shot(d, "04-live.png")
    d.find_element(By.ID, "watch").click()

    # 8. A circle: clear the box, zoom out, drag from Chicago eastwards.
    d.find_element(By.ID, "clear-area").click()
    d.execute_script("window.Meridian._page().map.leaflet.setView([40, -90], 4, {animate: false})")
    time.sleep(0.3)
    pts = d.execute_script(
        "const map = window.Meridian._page().map.leaflet; const s = map.getSize();"
        "const c = map.latLngToContainerPoint([41.85, -87.65]), e = map.latLngToContainerPoint([41.85, -81.65]);"
        "return [c.x - s.x / 2, c.y - s.y / 2, e.x - c.x, e.y - c.y];")
    d.find_element(By.ID, "draw-circle").click()
    ActionChains(d).move_to_element_with_offset(mapel, int(pts[0]), int(pts[1])).click_and_hold() \
        .move_by_offset(int(pts[2]) // 2, 0).move_by_offset(int(pts[2]) - int(pts[2]) // 2, int(pts[3])).release().perform()
    circle = wait(d, lambda d: mapel.get_attribute("data-area") == "circle" and d.execute_script(
        "return window.Meridian._page().area"), "circle drawn")
    check("a circle drawn on the map becomes a geo_distance filter", circle and circle.get("type") == "circle", circle)
    if circle:
        check("the circle is centred where the drag began, ~500 km wide",
              abs(circle["lat"] - 41.85) < 1 and abs(circle["lon"] + 87.65) < 1 and 350e3 < circle["radius_m"] < 650e3,
              circle)
        _, want = http(base, "POST", "/v1/indexes/cities/search", {
            "filter": [{"term": {"country": "US"}}, {"geo_distance": {
                "distance": "%dm" % round(circle["radius_m"]), "location": {"lat": circle["lat"], "lon": circle["lon"]}}}],
            "size": 10})
        got = wait(d, lambda d: total(d) == want["total"]["value"] and [h[0] for h in hits(d)] == [h["id"] for h in want["hits"]],
                   "circle applied")
        check("the hit list is the server's answer inside the circle (%d hits)" % want["total"]["value"],
              got and want["total"]["value"] > 0, (total(d), want["total"]["value"]))
    shot(d, "05-circle.png")

    # 9. Nothing but the server was contacted; no script errors.
    urls = d.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    foreign = [u for u in urls if not u.startswith(base + "/")]
    check("every resource came from the server (%d)" % len(urls), urls and not foreign, foreign)
    logs = [e for e in d.get_log("browser") if e["level"] == "SEVERE" and "/v1/" not in e["message"]]
    check("no script errors in the browser console", not logs, logs)


def main():
    tmp = tempfile.mkdtemp(prefix="meridian-e2e-console-")
    port = free_port()
    base = "http://127.0.0.1:%d" % port
    proc = subprocess.Popen([BIN, "serve", "--data", os.path.join(tmp, "data"), "--listen", "127.0.0.1:%d" % port,
                             "--master-key", MASTER, "--no-access-log"],
                            stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "server.log"), "wb"))
    d = None
    started = time.time()
    try:
        check("server up", wait_health(base))
        s, _ = http(base, "PUT", "/v1/indexes/cities", {"id_field": "id", "fields": {
            "name": "text", "alt_name": "text", "country": "keyword", "admin_code": "keyword",
            "feature_code": "keyword", "population": "int", "location": "geo_point"}})
        check("index created", s == 201, s)
        s, r = http(base, "POST", "/v1/indexes/cities/docs?refresh=wait_for", open(CITIES, "rb").read(),
                    "application/x-ndjson")
        check("cities sample imported", s == 200 and r["indexed"] == 3000, r)
        d = browser()
        run(d, base)
    except Exception as e:  # a selenium timeout or a missing element is a failure, with the page kept
        import traceback
        traceback.print_exc()
        check("browser run completed", False, repr(e))
        if d:
            shot(d, "failure.png")
    finally:
        if d:
            d.quit()
        stop_process(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    print("screenshots in %s; %.1f s" % (SHOTS, time.time() - started))
    print("%d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]))
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
