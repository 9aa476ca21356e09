// Meridian console: the router (#/ the index list, #/i/<index> a search
// page) and the index list with document counts, schema and stats.
"use strict";
(function (M) {
  const el = M.el;
  const view = () => document.getElementById("view");

  function bytes(n) {
    const u = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (n >= 1024 && i < u.length - 1) {
      n /= 1024;
      i++;
    }
    return (i ? n.toFixed(1) : n) + " " + u[i];
  }
  M.bytes = bytes;

  async function showIndexes() {
    M.search.close();
    document.getElementById("crumb").textContent = "";
    const v = view();
    v.replaceChildren(el("p", { class: "muted" }, "Loading indexes…"));
    const list = await M.api.call("GET", "/v1/indexes");
    if (!list.ok) {
      v.replaceChildren(el("p", { class: "error" }, "Cannot list indexes: " + M.api.errorText(list)));
      return;
    }
    const names = (list.json.indexes || []).map((i) => i.name);
    const details = await Promise.all(names.map((n) => M.api.call("GET", "/v1/indexes/" + encodeURIComponent(n))));
    const rows = names.map((name, i) => {
      const d = details[i].ok ? details[i].json : { schema: { fields: {} }, stats: {} };
      const s = d.stats || {};
      const fields = Object.entries((d.schema && d.schema.fields) || {});
      return el("tr", { class: "index-row", "data-index": name },
        el("td", {}, el("a", { href: "#/i/" + encodeURIComponent(name), class: "index-link" }, name)),
        el("td", { class: "num docs" }, (s.docs ?? list.json.indexes[i].docs ?? 0).toLocaleString("en")),
        el("td", { class: "num" }, s.deleted ?? ""),
        el("td", { class: "num" }, s.segments ?? ""),
        el("td", { class: "num" }, s.bytes_on_disk !== undefined ? bytes(s.bytes_on_disk) : ""),
        el("td", { class: "fields" }, fields.map(([f, spec]) =>
          el("span", { class: "field type-" + spec.type, title: JSON.stringify(spec) }, f, el("small", {}, spec.type)))),
        el("td", {}, el("details", {}, el("summary", {}, "stats"),
          el("pre", { class: "json" }, JSON.stringify({ schema: d.schema, stats: d.stats }, null, 2)))));
    });
    v.replaceChildren(
      el("h1", {}, "Indexes"),
      names.length === 0
        ? el("p", { class: "muted" }, "No index yet. Create one with PUT /v1/indexes/{name} or `meridian import`.")
        : el("table", { class: "indexes", id: "index-table" },
            el("thead", {}, el("tr", {}, ["index", "docs", "deleted", "segments", "on disk", "fields", ""].map((h) => el("th", {}, h)))),
            el("tbody", {}, rows)));
  }

  function route() {
    const m = /^#\/i\/([^/?]+)/.exec(location.hash);
    if (m) M.search.open(decodeURIComponent(m[1]), view());
    else showIndexes();
  }

  document.getElementById("key-button").addEventListener("click", () => M.api.askKey("Enter an API key (or Forget to clear it).").then(route));
  document.getElementById("key-forget").addEventListener("click", () => {
    document.getElementById("key-input").value = "";
    document.getElementById("key-dialog").close();
  });
  window.addEventListener("hashchange", route);
  route();
})(window.Meridian);
