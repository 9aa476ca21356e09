// Meridian console: the search page of one index. Search-as-you-type (q),
// facet panels built from the schema (terms checkboxes, numeric ranges), a
// result list with highlighted fragments, paging, sort, the map (map.js),
// the live watch (live.js) and a query-DSL editor with the raw response.
"use strict";
(function (M) {
  const el = M.el;
  const NUMERIC = new Set(["int", "long", "float", "double", "number", "date"]);
  const TERMS = new Set(["keyword", "bool", "boolean"]);
  const PRE = "\u0001", POST = "\u0002";  // highlight tags, escaped apart from the text
  let page = null;  // the open page's state

  const search = {};
  M.search = search;
  M._page = () => page;  // the open page's state, for debugging and the browser test

  search.close = () => {
    if (!page) return;
    page.live.stop();
    page.map.remove();
    page = null;
  };

  search.open = async (index, root) => {
    search.close();
    document.getElementById("crumb").textContent = "/ " + index;
    root.replaceChildren(el("p", { class: "muted" }, "Loading " + index + "…"));
    const info = await M.api.call("GET", "/v1/indexes/" + encodeURIComponent(index));
    if (!info.ok) {
      root.replaceChildren(el("p", { class: "error" }, "Cannot open " + index + ": " + M.api.errorText(info)));
      return;
    }
    const fields = (info.json.schema && info.json.schema.fields) || {};
    const p = {
      index, fields, seq: 0, from: 0, size: 10, q: "", sort: "", terms: {}, ranges: {}, area: null,
      geoField: Object.keys(fields).find((f) => fields[f].type === "geo_point") || null,
      textFields: Object.keys(fields).filter((f) => fields[f].type === "text"),
      numericFields: Object.keys(fields).filter((f) => NUMERIC.has(fields[f].type)),
      stats: {}, lastBody: null,
    };
    p.titleField = ["name", "title"].find((f) => fields[f]) || p.textFields[0] || null;
    // Terms panels: keyword and bool fields; text fields only when their
    // values repeat (categories such as a country code), decided below.
    p.termFields = Object.keys(fields).filter((f) => TERMS.has(fields[f].type) || fields[f].type === "text");
    page = p;
    build(p, root);
    await loadStats(p);
    if (page !== p) return;
    run(p);
  };

  function build(p, root) {
    const sortSel = el("select", { id: "sort", title: "sort" },
      el("option", { value: "" }, "relevance"),
      p.numericFields.flatMap((f) => [el("option", { value: f + ":desc" }, f + " ↓"), el("option", { value: f + ":asc" }, f + " ↑")]),
      p.termFields.filter((f) => fields(p, f).type !== "text").map((f) => el("option", { value: f + ":asc" }, f + " A→Z")),
      p.geoField ? el("option", { value: "_geo_distance" }, "nearest to map centre") : null);
    sortSel.addEventListener("change", () => {
      p.sort = sortSel.value;
      p.from = 0;
      run(p);
    });
    const q = el("input", { id: "q", type: "search", placeholder: "Search " + p.index + "… (typos welcome)", autocomplete: "off", spellcheck: "false" });
    let timer = null;
    q.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        p.q = q.value;
        p.from = 0;
        run(p);
      }, 120);
    });
    const watch = el("input", { type: "checkbox", id: "watch" });
    watch.addEventListener("change", () => (watch.checked ? p.live.start(watchParams(p)) : p.live.stop()));
    const mapBox = el("div", { id: "map", class: "map" });
    const dslIn = el("textarea", { id: "dsl-in", spellcheck: "false", rows: 16 });
    const dslOut = el("pre", { id: "dsl-out", class: "json" });
    root.replaceChildren(el("section", { class: "search", id: "search-page", "data-index": p.index },
      el("div", { class: "toolbar" }, q, el("label", {}, "sort ", sortSel),
        el("span", { id: "total", class: "muted" }),
        el("label", { class: "watch", title: "show new matching documents as they are written" }, watch, " watch",
          el("span", { id: "watch-state", class: "muted small" }))),
      el("div", { class: "cols" },
        el("aside", { id: "facets" }),
        el("div", { class: "results" }, el("p", { id: "search-error", class: "error", hidden: true }),
          el("ol", { id: "hits", class: "hits" }),
          el("div", { class: "pager" },
            el("button", { type: "button", id: "prev", onclick: () => turn(p, -1) }, "‹ previous"),
            el("span", { id: "page-info" }),
            el("button", { type: "button", id: "next", onclick: () => turn(p, 1) }, "next ›"))),
        el("div", { class: "side" },
          p.geoField ? el("div", { class: "maptools" },
            el("button", { type: "button", id: "draw-box", title: "drag a box on the map (or shift-drag)" }, "▭ draw box"),
            el("button", { type: "button", id: "draw-circle", title: "drag from the centre" }, "◯ draw circle"),
            el("button", { type: "button", id: "clear-area" }, "clear area"),
            el("span", { id: "area-info", class: "muted small" })) : null,
          p.geoField ? mapBox : el("p", { class: "muted" }, "No geo_point field: no map."),
          el("div", { id: "live", class: "live" }, el("h3", {}, "Live"), el("ol", { id: "live-list" })))),
      el("details", { class: "dsl", id: "dsl" }, el("summary", {}, "Query DSL"),
        el("div", { class: "dsl-cols" },
          el("div", {}, dslIn, el("div", {},
            el("button", { type: "button", id: "dsl-run", onclick: () => runDsl(p, dslIn, dslOut) }, "Run ▶"), " ",
            el("button", { type: "button", id: "dsl-reset", onclick: () => (dslIn.value = JSON.stringify(p.lastBody, null, 2)) }, "from the current search"))),
          dslOut))));
    p.map = M.map.create(p.geoField ? mapBox : null, {
      onArea: (area) => {
        p.area = area;
        p.from = 0;
        document.getElementById("area-info").textContent = area ? describeArea(area) : "";
        run(p);
        if (p.live.running()) p.live.start(watchParams(p));
      },
      onZoomBand: () => run(p, { keepPage: true }),
    });
    if (p.geoField) {
      document.getElementById("draw-box").addEventListener("click", () => p.map.draw("box"));
      document.getElementById("draw-circle").addEventListener("click", () => p.map.draw("circle"));
      document.getElementById("clear-area").addEventListener("click", () => p.map.setArea(null));
    }
    p.live = M.live.create(document.getElementById("live-list"), document.getElementById("watch-state"), {
      title: (src) => (p.titleField && src ? src[p.titleField] : null),
      onMatch: (hit) => p.map.flash(hit, p.geoField, p.titleField),
    });
    q.focus();
  }

  const fields = (p, f) => p.fields[f] || {};

  // Numeric bounds for the range panels, from a stats facet over everything.
  async function loadStats(p) {
    if (!p.numericFields.length) return;
    const facets = {};
    for (const f of p.numericFields) facets["s_" + f] = { stats: { field: f } };
    const r = await M.api.call("POST", searchPath(p), { size: 0, facets, track_total_hits: false });
    if (!r.ok) return;
    for (const f of p.numericFields) p.stats[f] = r.json.facets["s_" + f];
  }

  const searchPath = (p) => "/v1/indexes/" + encodeURIComponent(p.index) + "/search";

  function describeArea(a) {
    if (a.type === "box") return "box " + [a.top, a.left, a.bottom, a.right].map((x) => x.toFixed(2)).join(", ");
    return "circle " + (a.radius_m / 1000).toFixed(1) + " km around " + a.lat.toFixed(2) + ", " + a.lon.toFixed(2);
  }

  // The search body of the page's state (also shown in the DSL editor).
  function requestBody(p) {
    const body = { size: p.size, from: p.from };
    if (p.q.trim()) body.q = p.q;
    const filter = [];
    for (const [f, set] of Object.entries(p.terms)) if (set.size) filter.push({ terms: { [f]: [...set] } });
    for (const [f, r] of Object.entries(p.ranges)) {
      const range = {};
      if (r.gte !== null && r.gte !== undefined) range.gte = r.gte;
      if (r.lte !== null && r.lte !== undefined) range.lte = r.lte;
      if (Object.keys(range).length) filter.push({ range: { [f]: range } });
    }
    if (p.area && p.geoField) {
      const a = p.area;
      if (a.type === "box") filter.push({ geo_bounding_box: { [p.geoField]: { top: a.top, left: a.left, bottom: a.bottom, right: a.right } } });
      else filter.push({ geo_distance: { distance: Math.round(a.radius_m) + "m", [p.geoField]: { lat: a.lat, lon: a.lon } } });
    }
    if (filter.length) body.filter = filter;
    if (p.sort === "_geo_distance") {
      const c = p.map.center();
      body.sort = [{ _geo_distance: { [p.geoField]: { lat: c.lat, lon: c.lon }, order: "asc", unit: "km" } }];
    } else if (p.sort) {
      const [f, order] = p.sort.split(":");
      body.sort = [{ [f]: order }];
    }
    const facets = {};
    for (const f of p.termFields) facets["t_" + f] = { terms: { field: f, size: 10 } };
    if (p.geoField) facets.grid = { geohash_grid: { field: p.geoField, precision: p.map.gridPrecision(), size: 2000 } };
    body.facets = facets;
    const hl = p.textFields;
    if (hl.length) body.highlight = { fields: hl, pre_tag: PRE, post_tag: POST, number_of_fragments: 2 };
    return body;
  }

  // The watch stream's GET parameters: the same selection as the search.
  function watchParams(p) {
    const ps = new URLSearchParams();
    if (p.q.trim()) ps.set("q", p.q);
    const parts = [];
    const quote = (v) => '"' + String(v).replace(/["\\]/g, "\\$&") + '"';
    for (const [f, set] of Object.entries(p.terms))
      if (set.size) parts.push(f + ":(" + [...set].map((v) => (typeof v === "string" ? quote(v) : v)).join(" OR ") + ")");
    for (const [f, r] of Object.entries(p.ranges)) {
      const lo = r.gte ?? "*", hi = r.lte ?? "*";
      if (lo !== "*" || hi !== "*") parts.push(f + ":[" + lo + " TO " + hi + "]");
    }
    if (parts.length) ps.set("filter", parts.join(" AND "));
    if (p.area && p.geoField) {
      ps.set("geo_field", p.geoField);
      const a = p.area;
      if (a.type === "box") ps.set("bbox", [a.top, a.left, a.bottom, a.right].join(","));
      else {
        ps.set("near", a.lat + "," + a.lon);
        ps.set("radius", Math.round(a.radius_m) + "m");
      }
    }
    return "/v1/indexes/" + encodeURIComponent(p.index) + "/watch?" + ps.toString();
  }

  async function run(p, opts) {
    const seq = ++p.seq;
    const body = requestBody(p);
    p.lastBody = body;
    const dslIn = document.getElementById("dsl-in");
    if (dslIn && document.activeElement !== dslIn) dslIn.value = JSON.stringify(body, null, 2);
    const r = await M.api.call("POST", searchPath(p), body);
    if (page !== p || seq !== p.seq) return;  // a newer search is under way
    const err = document.getElementById("search-error");
    if (!r.ok) {
      err.hidden = false;
      err.textContent = M.api.errorText(r);
      return;
    }
    err.hidden = true;
    renderHits(p, r.json);
    renderFacets(p, r.json.facets || {});
    if (p.geoField) p.map.show(r.json.hits, p.geoField, p.titleField, (r.json.facets || {}).grid);
    if (p.live.running() && !(opts && opts.keepPage)) p.live.start(watchParams(p));
  }
  search.run = () => page && run(page);

  function turn(p, dir) {
    p.from = Math.max(0, p.from + dir * p.size);
    run(p, { keepPage: true });
  }

  // Escapes a fragment and turns the highlight tags into <mark>.
  function highlighted(text) {
    const esc = String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
    const span = document.createElement("span");
    span.innerHTML = esc.split(PRE).join("<mark>").split(POST).join("</mark>");
    return span;
  }

  function renderHits(p, res) {
    const total = res.total ? res.total.value + (res.total.relation === "gte" ? "+" : "") : "?";
    document.getElementById("total").textContent = total + " hits · " + (res.took_ms ?? 0).toFixed(1) + " ms";
    const n = res.total ? res.total.value : 0;
    document.getElementById("page-info").textContent = res.hits.length ? p.from + 1 + "–" + (p.from + res.hits.length) + " of " + total : "no hits";
    document.getElementById("prev").disabled = p.from === 0;
    document.getElementById("next").disabled = p.from + p.size >= n;
    const list = document.getElementById("hits");
    list.replaceChildren(...res.hits.map((h) => {
      const src = h.source || {};
      const hl = h.highlight || {};
      const title = p.titleField && hl[p.titleField] ? highlighted(hl[p.titleField][0])
        : document.createTextNode(p.titleField && src[p.titleField] !== undefined ? String(src[p.titleField]) : h.id);
      const frags = Object.entries(hl).filter(([f]) => f !== p.titleField)
        .map(([f, fr]) => el("div", { class: "frag" }, el("small", {}, f + ": "), highlighted(fr.join(" … "))));
      const meta = Object.entries(src).filter(([f, v]) => f !== p.titleField && f !== p.geoField && v !== "" && typeof v !== "object")
        .slice(0, 6).map(([f, v]) => el("span", { class: "kv" }, el("small", {}, f), " ", String(v)));
      const pt = p.geoField ? M.map.point(src[p.geoField]) : null;
      const li = el("li", { class: "hit" + (pt ? " has-geo" : ""), "data-id": h.id },
        el("div", { class: "hit-title" }, title, h.score !== null && h.score !== undefined ? el("span", { class: "score" }, h.score.toFixed(2)) : null,
          h.distance_m !== undefined ? el("span", { class: "score" }, (h.distance_m / 1000).toFixed(1) + " km") : null),
        frags, el("div", { class: "meta" }, meta));
      if (pt) li.addEventListener("click", () => p.map.flyTo(h.id));
      return li;
    }));
  }

  function renderFacets(p, facets) {
    const box = document.getElementById("facets");
    const panels = [];
    const total = Math.max(1, Number((document.getElementById("total").textContent.match(/^\d+/) || [1])[0]));
    for (const f of p.termFields) {
      const fc = facets["t_" + f];
      const sel = p.terms[f] || new Set();
      let buckets = fc ? fc.buckets.filter((b) => b.key !== "") : [];
      // A text field is a category when its values repeat; a name is not.
      const covered = buckets.reduce((s, b) => s + b.count, 0);
      if (fields(p, f).type === "text" && !sel.size && (buckets.length === 0 || buckets[0].count < 2 || covered < total * 0.2)) continue;
      for (const v of sel) if (!buckets.some((b) => b.key === v)) buckets = buckets.concat([{ key: v, count: 0 }]);
      if (!buckets.length) continue;
      panels.push(el("fieldset", { class: "facet terms", "data-field": f }, el("legend", {}, f),
        buckets.map((b) => {
          const cb = el("input", { type: "checkbox", value: String(b.key), "data-field": f, checked: sel.has(b.key) });
          cb.addEventListener("change", () => {
            const s = p.terms[f] || (p.terms[f] = new Set());
            if (cb.checked) s.add(b.key);
            else s.delete(b.key);
            p.from = 0;
            run(p);
          });
          return el("label", { class: "bucket" }, cb, " ", String(b.key), el("span", { class: "count" }, b.count));
        })));
    }
    for (const f of p.numericFields) {
      const st = p.stats[f];
      if (!st || st.min === undefined || st.min === null || st.min === st.max) continue;
      // Built once and kept: a re-render must not replace a slider being dragged.
      p.rangePanels = p.rangePanels || {};
      panels.push(p.rangePanels[f] || (p.rangePanels[f] = rangePanel(p, f, st)));
    }
    box.replaceChildren(...panels);
  }

  // Two number inputs and two sliders over [min, max] of the field.
  function rangePanel(p, f, st) {
    const cur = p.ranges[f] || {};
    const step = fields(p, f).type === "int" || fields(p, f).type === "long" ? 1 : "any";
    const lo = el("input", { type: "number", class: "range-min", "data-field": f, step, placeholder: String(st.min), value: cur.gte ?? "" });
    const hi = el("input", { type: "number", class: "range-max", "data-field": f, step, placeholder: String(st.max), value: cur.lte ?? "" });
    const sLo = el("input", { type: "range", min: st.min, max: st.max, step, value: cur.gte ?? st.min, "aria-label": f + " from" });
    const sHi = el("input", { type: "range", min: st.min, max: st.max, step, value: cur.lte ?? st.max, "aria-label": f + " to" });
    let timer = null;
    const apply = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const num = (x) => (x.value === "" ? null : Number(x.value));
        p.ranges[f] = { gte: num(lo), lte: num(hi) };
        p.from = 0;
        run(p);
      }, 250);
    };
    sLo.addEventListener("input", () => { lo.value = sLo.value; apply(); });
    sHi.addEventListener("input", () => { hi.value = sHi.value; apply(); });
    for (const box of [lo, hi]) {
      box.addEventListener("input", apply);  // as you type, like the search box
      box.addEventListener("change", apply);
    }
    return el("fieldset", { class: "facet range", "data-field": f }, el("legend", {}, f),
      el("div", { class: "range-row" }, lo, "–", hi), sLo, sHi);
  }

  async function runDsl(p, input, out) {
    let body;
    try {
      body = JSON.parse(input.value);
    } catch (e) {
      out.textContent = "invalid JSON: " + e.message;
      out.classList.add("error");
      return;
    }
    const r = await M.api.call("POST", searchPath(p), body);
    out.classList.toggle("error", !r.ok);
    out.textContent = "HTTP " + r.status + "\n" + JSON.stringify(r.json, null, 2);
    if (r.ok && p.geoField) p.map.show(r.json.hits, p.geoField, p.titleField, (r.json.facets || {}).grid);
  }
})(window.Meridian);
