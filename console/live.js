// Meridian console: the live list. A "watch" toggle opens
// GET /v1/indexes/{index}/watch (Server-Sent Events, read with fetch so the
// API key goes in the Authorization header) with the page's query and
// filters, and lists each matching document as it arrives.
"use strict";
(function (M) {
  const el = M.el;
  const KEEP = 50;

  function create(list, state, cb) {
    let stream = null;
    let url = null;
    const setState = (s) => {
      state.textContent = s === "open" ? " (watching)" : s === "closed" ? "" : " (" + s + ")";
      state.dataset.state = s;
    };
    function add(kind, data) {
      const title = cb.title(data.source);
      const li = el("li", { class: "live-" + kind, "data-id": data.id, "data-seq": data.seq },
        el("span", { class: "badge" }, kind), " ", title !== null && title !== undefined ? String(title) : data.id,
        el("small", { class: "muted" }, " #" + data.id + " · seq " + data.seq));
      list.prepend(li);
      while (list.children.length > KEEP) list.lastChild.remove();
    }
    return {
      running: () => stream !== null,
      start(path) {
        if (stream && path === url) return;
        if (stream) stream.close();
        url = path;
        stream = M.api.stream(path, (ev) => {
          let data = {};
          try {
            data = ev.data ? JSON.parse(ev.data) : {};
          } catch (e) {
            return;
          }
          if (ev.event === "match") {
            add("match", data);
            cb.onMatch(data);
          } else if (ev.event === "delete") add("delete", data);
          else if (ev.event === "truncate" || ev.event === "reset" || ev.event === "dropped") add(ev.event, { id: "", seq: ev.id || "" });
        }, setState);
      },
      stop() {
        if (stream) stream.close();
        stream = null;
        url = null;
        setState("closed");
      },
    };
  }

  M.live = { create };
})(window.Meridian);
