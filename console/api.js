// Meridian console: HTTP calls to the /v1 API (same origin), the API key
// (session storage only) and a Server-Sent Events reader over fetch (so the
// key travels in the Authorization header, which EventSource cannot send).
"use strict";
window.Meridian = window.Meridian || {};
(function (M) {
  const KEY = "meridian.key";
  const api = {};
  M.api = api;

  api.key = () => sessionStorage.getItem(KEY) || "";
  api.setKey = (k) => (k ? sessionStorage.setItem(KEY, k) : sessionStorage.removeItem(KEY));
  api.headers = (extra) => {
    const h = Object.assign({}, extra || {});
    const k = api.key();
    if (k) h.Authorization = "Bearer " + k;
    return h;
  };

  // Shows the key dialog; resolves once the user gave a key (one dialog for
  // all the calls that got a 401 at the same time).
  let pending = null;
  api.askKey = (reason) => {
    if (pending) return pending;
    const dlg = document.getElementById("key-dialog");
    document.getElementById("key-reason").textContent = reason || "This server has authentication on.";
    const input = document.getElementById("key-input");
    input.value = api.key();
    pending = new Promise((resolve) => {
      const done = () => {
        dlg.removeEventListener("close", done);
        api.setKey(input.value.trim());
        pending = null;
        resolve();
      };
      dlg.addEventListener("close", done);
    });
    if (!dlg.open) dlg.showModal();
    input.focus();
    return pending;
  };

  // {status, ok, json} of one call; a 401 asks for a key and tries again.
  api.call = async (method, path, body) => {
    for (let attempt = 0; ; attempt++) {
      const init = { method, headers: api.headers(body !== undefined ? { "Content-Type": "application/json" } : {}) };
      if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
      const r = await fetch(path, init);
      const text = await r.text();
      let json = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch (e) {
        json = { raw: text };
      }
      if (r.status === 401 && attempt < 5) {
        await api.askKey(json && json.error ? json.error.reason : "This server needs an API key.");
        continue;
      }
      return { status: r.status, ok: r.ok, json };
    }
  };

  api.errorText = (res) =>
    res.json && res.json.error ? res.json.error.reason : "HTTP " + res.status;

  // Opens an SSE stream; onEvent({event, id, data}) for each event,
  // onState("open" | "closed" | "error: ...") as it changes. Reconnects
  // with Last-Event-ID after a drop. Returns {close()}.
  api.stream = (path, onEvent, onState) => {
    const ctl = new AbortController();
    let lastId = null;
    let closed = false;
    const run = async () => {
      while (!closed) {
        try {
          const h = api.headers({ Accept: "text/event-stream" });
          if (lastId !== null) h["Last-Event-ID"] = lastId;
          const r = await fetch(path, { headers: h, signal: ctl.signal, cache: "no-store" });
          if (r.status === 401) {
            await api.askKey("The watch stream needs an API key.");
            continue;
          }
          if (!r.ok) {
            let reason = "HTTP " + r.status;
            try {
              reason = (await r.json()).error.reason;
            } catch (e) { /* keep the status */ }
            onState("error: " + reason);
            return;
          }
          onState("open");
          const reader = r.body.getReader();
          const dec = new TextDecoder();
          let buf = "";
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buf += dec.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
            let cut;
            while ((cut = buf.indexOf("\n\n")) >= 0) {
              const ev = parseEvent(buf.slice(0, cut));
              buf = buf.slice(cut + 2);
              if (!ev) continue;
              if (ev.id !== null) lastId = ev.id;
              onEvent(ev);
            }
          }
        } catch (e) {
          if (closed) break;
          onState("error: " + e.message);
        }
        if (!closed) await new Promise((r) => setTimeout(r, 1000));
      }
      onState("closed");
    };
    run();
    return {
      close() {
        closed = true;
        ctl.abort();
      },
    };
  };

  function parseEvent(block) {
    const ev = { event: "message", id: null, data: "" };
    let any = false;
    for (const line of block.split("\n")) {
      if (!line || line[0] === ":") continue;  // comment (heartbeat)
      const i = line.indexOf(":");
      const field = i < 0 ? line : line.slice(0, i);
      let value = i < 0 ? "" : line.slice(i + 1);
      if (value[0] === " ") value = value.slice(1);
      if (field === "event") ev.event = value;
      else if (field === "data") ev.data += (ev.data ? "\n" : "") + value;
      else if (field === "id") ev.id = value;
      any = true;
    }
    return any ? ev : null;
  }
  api.parseEvent = parseEvent;

  // Small DOM helper: el("div", {class: "x", onclick: f}, child, "text", ...).
  M.el = (tag, attrs, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (k === "text") e.textContent = v;
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  };
})(window.Meridian);
