// Meridian console: the offline map. Leaflet with no tile server: country
// outlines from Natural Earth (world-atlas, TopoJSON → GeoJSON through
// topojson-client), the hits as markers, the geohash_grid facet as a
// density layer when zoomed out, and a box or circle drawn to filter.
"use strict";
(function (M) {
  const WORLD = "/_console/third_party/world-atlas/countries-110m.json";
  const DENSITY_MAX_ZOOM = 4;  // density cells up to this zoom, markers always
  let world = null;  // the outlines, fetched once per page load

  // {lat, lon} of a geo_point value in any accepted form, or null.
  function point(v) {
    if (v === null || v === undefined) return null;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === "number") return { lat: v[1], lon: v[0] };
    if (Array.isArray(v)) return point(v[0]);
    if (typeof v === "string") {
      const m = /^\s*(-?[\d.]+)\s*,\s*(-?[\d.]+)\s*$/.exec(v);
      return m ? { lat: Number(m[1]), lon: Number(m[2]) } : null;
    }
    if (typeof v === "object" && typeof v.lat === "number" && typeof v.lon === "number") return { lat: v.lat, lon: v.lon };
    return null;
  }

  // Natural Earth cuts countries at the antimeridian; a ring that jumps
  // from +180 to -180 (Russia's Chukotka, Fiji) would draw a line across the
  // world, so its western points move east by 360°. Antarctica (a band
  // along the bottom edge, no cities) is left out.
  function unwrap(geo) {
    geo.features = geo.features.filter((f) => f.id !== "010");
    for (const f of geo.features) {
      const g = f.geometry;
      if (!g) continue;
      const polys = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
      for (const poly of polys)
        for (const ring of poly) {
          let jumps = false;
          for (let i = 1; i < ring.length; i++) if (Math.abs(ring[i][0] - ring[i - 1][0]) > 180) jumps = true;
          if (jumps) for (const pt of ring) if (pt[0] < 0) pt[0] += 360;
        }
    }
    return geo;
  }

  function create(container, cb) {
    if (!container) return nullMap();
    const map = L.map(container, {
      attributionControl: false, worldCopyJump: false, minZoom: 1, maxZoom: 14,
      zoomSnap: 0.25, boxZoom: false, maxBounds: [[-89, -400], [89, 400]],
    });
    map.setView([25, 10], 1.5);
    map.createPane("density").style.zIndex = 350;  // under the hits and the area (overlayPane, 400)
    const land = L.layerGroup().addTo(map);
    const density = L.layerGroup().addTo(map);
    const markers = L.featureGroup().addTo(map);
    const areaLayer = L.layerGroup().addTo(map);
    const byId = new Map();
    let lastGrid = null;
    let band = precision();

    (world || (world = fetch(WORLD).then((r) => r.json()))).then((topo) => {
      const geo = unwrap(topojson.feature(topo, topo.objects.countries));
      L.geoJSON(geo, { interactive: false, style: { color: "#8795a8", weight: 0.6, fillColor: "#eef1ea", fillOpacity: 1 } }).addTo(land);
      container.dataset.land = String(geo.features.length);
    });

    function precision() {
      const z = map.getZoom();
      return z < 2.5 ? 2 : z < 4.5 ? 3 : 4;
    }
    map.on("zoomend", () => {
      drawDensity();
      const b = precision();
      if (b !== band) {
        band = b;
        cb.onZoomBand();
      }
    });

    function drawDensity() {
      density.clearLayers();
      const zoomedOut = map.getZoom() <= DENSITY_MAX_ZOOM;
      container.dataset.density = zoomedOut && lastGrid ? String(lastGrid.buckets.length) : "0";
      if (!zoomedOut || !lastGrid) return;
      const max = Math.max(1, ...lastGrid.buckets.map((b) => b.count));
      for (const b of lastGrid.buckets) {
        const c = b.centroid;
        if (!c) continue;
        const t = Math.sqrt(b.count / max);
        L.circleMarker([c.lat, c.lon], {
          radius: 3 + 11 * t, stroke: false, fillColor: "#e8590c", fillOpacity: 0.12 + 0.38 * t, interactive: false,
          className: "density-cell", pane: "density",
        }).addTo(density);
      }
    }

    // Drawing: the "draw" buttons arm a mode; shift-drag always draws a box.
    let mode = null, start = null, shape = null;
    function draw(kind) {
      mode = kind;
      container.classList.add("drawing");
      map.dragging.disable();
    }
    function endDraw() {
      mode = null;
      start = null;
      container.classList.remove("drawing");
      map.dragging.enable();
    }
    map.on("mousedown", (e) => {
      if (!mode && e.originalEvent.shiftKey) draw("box");
      if (!mode) return;
      start = e.latlng;
      areaLayer.clearLayers();
      shape = null;
    });
    map.on("mousemove", (e) => {
      if (!mode || !start) return;
      areaLayer.clearLayers();
      shape = mode === "box"
        ? L.rectangle(L.latLngBounds(start, e.latlng), { color: "#1c7ed6", weight: 2, fillOpacity: 0.08, interactive: false })
        : L.circle(start, { radius: map.distance(start, e.latlng), color: "#1c7ed6", weight: 2, fillOpacity: 0.08, interactive: false });
      shape.addTo(areaLayer);
    });
    map.on("mouseup", (e) => {
      if (!mode || !start) return;
      const kind = mode;
      const a = start, b = e.latlng;
      endDraw();
      if (kind === "box") {
        const bb = L.latLngBounds(a, b);
        if (bb.getNorth() - bb.getSouth() < 1e-6 || bb.getEast() - bb.getWest() < 1e-6) return areaLayer.clearLayers();
        setArea({ type: "box", top: clampLat(bb.getNorth()), bottom: clampLat(bb.getSouth()), left: wrapLon(bb.getWest()), right: wrapLon(bb.getEast()) });
      } else {
        const r = map.distance(a, b);
        if (r < 1) return areaLayer.clearLayers();
        setArea({ type: "circle", lat: a.lat, lon: wrapLon(a.lng), radius_m: r });
      }
    });
    const clampLat = (x) => Math.max(-90, Math.min(90, x));
    const wrapLon = (x) => Math.max(-180, Math.min(180, x));

    function setArea(area) {
      areaLayer.clearLayers();
      if (area && area.type === "box")
        L.rectangle([[area.bottom, area.left], [area.top, area.right]], { color: "#1c7ed6", weight: 2, fillOpacity: 0.08, interactive: false }).addTo(areaLayer);
      else if (area) L.circle([area.lat, area.lon], { radius: area.radius_m, color: "#1c7ed6", weight: 2, fillOpacity: 0.08, interactive: false }).addTo(areaLayer);
      container.dataset.area = area ? area.type : "";
      cb.onArea(area);
    }

    function popupText(src, id, titleField) {
      const t = titleField && src && src[titleField] !== undefined ? String(src[titleField]) : String(id);
      return t;
    }

    return {
      draw,
      setArea,
      gridPrecision: () => precision(),
      center: () => {
        const c = map.getCenter();
        return { lat: c.lat, lon: ((c.lng + 540) % 360) - 180 };
      },
      show(hits, geoField, titleField, grid) {
        markers.clearLayers();
        byId.clear();
        for (const h of hits) {
          const pt = point(h.source && h.source[geoField]);
          if (!pt) continue;
          const m = L.circleMarker([pt.lat, pt.lon], { radius: 6, color: "#fff", weight: 1.5, fillColor: "#1971c2", fillOpacity: 0.95, className: "hit-marker" })
            .bindTooltip(popupText(h.source, h.id, titleField));
          m.on("click", () => {
            const li = document.querySelector('#hits li[data-id="' + CSS.escape(h.id) + '"]');
            if (li) {
              li.scrollIntoView({ block: "nearest" });
              li.classList.add("selected");
              setTimeout(() => li.classList.remove("selected"), 1500);
            }
          });
          m.addTo(markers);
          byId.set(String(h.id), m);
        }
        container.dataset.markers = String(byId.size);
        lastGrid = grid || null;
        drawDensity();
      },
      flyTo(id) {
        const m = byId.get(String(id));
        if (!m) return;
        map.flyTo(m.getLatLng(), Math.max(map.getZoom(), 7), { duration: 0.6 });
        m.openTooltip();
        container.dataset.flown = String(id);
      },
      // A live match: a short-lived pulse at its point.
      flash(hit, geoField, titleField) {
        const pt = point(hit.source && geoField ? hit.source[geoField] : null);
        if (!pt) return;
        const m = L.circleMarker([pt.lat, pt.lon], { radius: 10, color: "#2f9e44", weight: 3, fillColor: "#51cf66", fillOpacity: 0.8, className: "live-marker" })
          .bindTooltip("live: " + popupText(hit.source, hit.id, titleField)).addTo(areaLayer);
        setTimeout(() => areaLayer.removeLayer(m), 15000);
      },
      remove() {
        map.remove();
      },
      leaflet: map,
    };
  }

  // A page without a geo_point field: the same calls, doing nothing.
  function nullMap() {
    const noop = () => {};
    return { draw: noop, setArea: noop, gridPrecision: () => 3, center: () => ({ lat: 0, lon: 0 }), show: noop, flyTo: noop, flash: noop, remove: noop };
  }

  M.map = { create, point };
})(window.Meridian);
