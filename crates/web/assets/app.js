// Small progressive enhancements; every page works without them.
(function () {
  const saved = localStorage.getItem("prospector-theme");
  if (saved) document.documentElement.dataset.theme = saved;
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("time[data-ms]").forEach(function (t) {
      const ms = Number(t.dataset.ms);
      if (ms > 0) { const d = new Date(ms); t.textContent = d.toLocaleString(); t.title = d.toISOString(); }
    });
    const sw = document.querySelector("[data-switcher]");
    if (sw) sw.addEventListener("change", function () { window.location = sw.value; });
    const menu = document.querySelector("[data-menu]");
    if (menu) menu.addEventListener("click", function () { document.getElementById("sidebar").classList.toggle("open"); });
    const toggle = document.querySelector("[data-theme-toggle]");
    if (toggle) toggle.addEventListener("click", function () {
      const dark = document.documentElement.dataset.theme === "dark" ||
        (!document.documentElement.dataset.theme && matchMedia("(prefers-color-scheme: dark)").matches);
      const next = dark ? "light" : "dark";
      document.documentElement.dataset.theme = next;
      localStorage.setItem("prospector-theme", next);
    });
    document.querySelectorAll("form[data-confirm]").forEach(function (f) {
      f.addEventListener("submit", function (e) { if (!confirm(f.dataset.confirm)) e.preventDefault(); });
    });
    document.querySelectorAll("[data-copy]").forEach(function (c) {
      c.addEventListener("click", function () { if (navigator.clipboard) navigator.clipboard.writeText(c.textContent.trim()); });
    });
    columnChooser();
    bulkForms();
    uploadForm();
    importProgress();
    const reload = document.querySelector("[data-reload-after]");
    if (reload) setTimeout(function () { window.location.reload(); }, 1000 * Number(reload.dataset.reloadAfter || 3));
  });

  // Contacts and companies tables: show or hide columns, remembered per table.
  function columnChooser() {
    document.querySelectorAll("[data-columns]").forEach(function (box) {
      const name = box.dataset.columns;
      const key = "prospector-hidden-columns-" + name;
      const table = document.querySelector('[data-table="' + name + '"]');
      const toggles = box.querySelectorAll("[data-col-toggle]");
      let saved = null;
      try { saved = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { saved = null; }
      function apply() {
        const hidden = [];
        toggles.forEach(function (t) { if (!t.checked) hidden.push(t.dataset.colToggle); });
        if (table) table.querySelectorAll("[data-col]").forEach(function (c) { c.hidden = hidden.indexOf(c.dataset.col) >= 0; });
        return hidden;
      }
      toggles.forEach(function (t) {
        t.checked = Array.isArray(saved) ? saved.indexOf(t.dataset.colToggle) < 0 : t.hasAttribute("data-default-on");
        t.addEventListener("change", function () { localStorage.setItem(key, JSON.stringify(apply())); });
      });
      apply();
      box.hidden = false;
      document.addEventListener("click", function (e) { if (box.open && !box.contains(e.target)) box.open = false; });
    });
  }

  // Row checkboxes, "select all matching", and a confirmation before a bulk delete.
  function bulkForms() {
    document.querySelectorAll("form[data-bulk]").forEach(function (f) {
      const all = f.querySelector("[data-pick-all]");
      const rows = f.querySelectorAll("input[name=id]");
      const matching = f.querySelector("[data-select-matching]");
      if (all) all.addEventListener("change", function () {
        rows.forEach(function (r) { r.checked = all.checked; });
        if (!all.checked && matching) matching.checked = false;
      });
      if (matching) matching.addEventListener("change", function () {
        if (matching.checked) { rows.forEach(function (r) { r.checked = true; }); if (all) all.checked = true; }
      });
      rows.forEach(function (r) { r.addEventListener("change", function () { if (!r.checked && matching) matching.checked = false; }); });
      f.addEventListener("submit", function (e) {
        const action = f.querySelector("[data-bulk-action]");
        if (!action || action.value !== "delete") return;
        const count = f.querySelector("[data-count]");
        const n = matching && matching.checked
          ? "all " + (count ? count.textContent.trim() : "matching rows")
          : f.querySelectorAll("input[name=id]:checked").length + " selected";
        if (!confirm("Delete " + n + "? This cannot be undone.")) e.preventDefault();
      });
    });
  }

  // CSV upload: drag and drop, a size check, and a progress bar while the file is sent.
  function uploadForm() {
    const form = document.querySelector("form[data-upload]");
    if (!form || !window.FormData || !window.XMLHttpRequest) return;
    const input = form.querySelector("input[type=file]");
    const zone = form.querySelector("[data-dropzone]");
    const label = form.querySelector("[data-file-name]");
    const errorBox = document.querySelector("[data-upload-error]");
    const bar = form.querySelector("[data-upload-progress]");
    const percent = form.querySelector("[data-upload-percent]");
    const button = form.querySelector("button[type=submit]");
    const max = Number(form.dataset.max || 0);
    function fail(msg) {
      if (errorBox) { errorBox.textContent = msg; errorBox.hidden = false; }
      if (bar) bar.hidden = true;
      if (button) button.disabled = false;
    }
    function size(n) { return n >= 1048576 ? (n / 1048576).toFixed(1) + " MB" : Math.max(1, Math.round(n / 1024)) + " KB"; }
    function show() { label.textContent = input.files.length ? input.files[0].name + " (" + size(input.files[0].size) + ")" : ""; }
    input.addEventListener("change", show);
    ["dragenter", "dragover"].forEach(function (t) { zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add("over"); }); });
    ["dragleave", "dragend", "drop"].forEach(function (t) { zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.remove("over"); }); });
    zone.addEventListener("drop", function (e) {
      if (e.dataTransfer && e.dataTransfer.files.length) { input.files = e.dataTransfer.files; show(); }
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!input.files.length) { fail("Choose a CSV file first."); return; }
      if (max && input.files[0].size > max) { fail("This file is larger than the upload limit of " + form.dataset.maxMb + " MB."); return; }
      if (errorBox) errorBox.hidden = true;
      const xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      const token = document.querySelector("meta[name=csrf-token]");
      if (token) xhr.setRequestHeader("X-CSRF-Token", token.content);
      if (bar) bar.hidden = false;
      if (button) button.disabled = true;
      xhr.upload.addEventListener("progress", function (ev) {
        if (!ev.lengthComputable) return;
        const p = Math.round(ev.loaded * 100 / ev.total);
        if (bar) bar.querySelector("progress").value = p;
        if (percent) percent.textContent = p + "%";
      });
      xhr.addEventListener("load", function () {
        if (xhr.status >= 200 && xhr.status < 300 && xhr.responseURL && xhr.responseURL !== form.action) {
          window.location.href = xhr.responseURL;
          return;
        }
        const doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
        const msg = doc.querySelector("[data-upload-error]:not([hidden]), .flash.error, main p");
        fail(msg && msg.textContent.trim() ? msg.textContent.trim() : "The upload failed (HTTP " + xhr.status + ").");
      });
      xhr.addEventListener("error", function () { fail("The upload failed: the connection was lost or the file is too large for this server."); });
      xhr.send(new FormData(form));
    });
  }

  // Import progress: figures from the server's event stream; the report loads when it ends.
  function importProgress() {
    const box = document.querySelector("[data-events]");
    if (!box || !window.EventSource) return;
    const root = box.closest("[data-import]") || document;
    let finished = false;
    const es = new EventSource(box.dataset.events);
    es.addEventListener("progress", function (ev) {
      let d;
      try { d = JSON.parse(ev.data); } catch (e) { return; }
      const show = d.show || {};
      root.querySelectorAll("[data-k]").forEach(function (el) {
        const v = show[el.dataset.k];
        if (v !== undefined) el.textContent = v;
      });
      root.querySelectorAll("[data-k-value]").forEach(function (el) {
        const v = d[el.dataset.kValue];
        if (typeof v === "number") el.value = v;
      });
      const badge = root.querySelector("[data-state-badge]");
      if (badge) badge.className = "badge state-" + d.state;
      if (d.final) finished = true;
    });
    es.addEventListener("gone", function () { finished = true; });
    // The server ends the stream after the final event; then show the report (without the
    // notice of the form that led here, which is stale by now).
    es.addEventListener("error", function () {
      if (finished) { es.close(); window.location.replace(window.location.pathname); }
    });
  }
})();

// Outreach pages: live counts refreshed by htmx keep local times and confirmations; sender
// fields follow the chosen kind; buttons that ask before they act.
(function () {
  function localTimes(root) {
    root.querySelectorAll("time[data-ms]").forEach(function (t) {
      const ms = Number(t.dataset.ms);
      if (ms > 0) { const d = new Date(ms); t.textContent = d.toLocaleString(); t.title = d.toISOString(); }
    });
  }
  function bindConfirms(root) {
    root.querySelectorAll("form[data-confirm]:not([data-confirm-bound])").forEach(function (f) {
      f.dataset.confirmBound = "1";
      f.addEventListener("submit", function (e) { if (!confirm(f.dataset.confirm)) e.preventDefault(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    // The forms present now were given their confirmation by the code above.
    document.querySelectorAll("form[data-confirm]").forEach(function (f) { f.dataset.confirmBound = "1"; });
    document.body.addEventListener("htmx:afterSettle", function () { localTimes(document); bindConfirms(document); });
    document.addEventListener("click", function (e) {
      const b = e.target.closest && e.target.closest("[data-confirm-click]");
      if (b && !confirm(b.dataset.confirmClick)) e.preventDefault();
    });
    document.querySelectorAll("form[data-sender-form]").forEach(function (f) {
      const kind = f.querySelector("[data-sender-kind]");
      if (!kind) return;
      function apply() {
        f.querySelectorAll("[data-kind-only]").forEach(function (el) {
          el.hidden = el.dataset.kindOnly.split(" ").indexOf(kind.value) < 0;
        });
      }
      kind.addEventListener("change", apply);
      apply();
    });
  });
})();

// Campaign builder: a step shows the fields of its channel (email, WhatsApp, SMS); without
// JavaScript the server renders the chosen channel's fields after any builder action.
document.querySelectorAll("[data-channel-select]").forEach((sel) => {
  const step = sel.closest("[data-step]");
  if (!step) return;
  const apply = () => {
    step.dataset.stepChannel = sel.value;
    step.querySelectorAll("[data-for-channel]").forEach((el) => {
      el.hidden = el.dataset.forChannel !== sel.value;
    });
    const body = step.querySelector("textarea[name$='.body']");
    const label = body && body.closest("label");
    if (label && label.firstChild && label.firstChild.nodeType === Node.TEXT_NODE) {
      label.firstChild.textContent = { email: "Body", whatsapp: "Free text (when no template is chosen)", sms: "Message" }[sel.value] || "Body";
    }
    const legend = step.querySelector("legend");
    if (legend) {
      const label = { email: "Email", whatsapp: "WhatsApp", sms: "SMS" }[sel.value] || sel.value;
      legend.textContent = legend.textContent.replace(/·.*$/, "· " + label);
    }
  };
  sel.addEventListener("change", apply);
});

// WhatsApp previews (messaging page): the new-template form and the broadcast form redraw
// their chat bubble while the member types, with the server's markup rules (wa_markup in
// pages/whatsapp.rs): escape, then *bold*, _italic_, ~strike~ and ```mono``` on one line.
(function () {
  const ENT = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  const esc = (s) => s.replace(/[&<>"']/g, (c) => ENT[c]);
  const lines = (s) => s.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  function markup(text) {
    let out = esc(text);
    [["```", "code"], ["*", "strong"], ["_", "em"], ["~", "s"]].forEach(([d, tag]) => {
      // Only `*` is special in a pattern (and escaping others is an error with the u flag).
      const q = d.replace(/\*/g, "\\*");
      const re = new RegExp("(?<![\\p{L}\\p{N}])" + q + "(?!\\s)([^\\n]*?\\S)" + q + "(?![\\p{L}\\p{N}])", "gu");
      out = out.replace(re, "<" + tag + ">$1</" + tag + ">");
    });
    return out;
  }
  // {{1}}, {{2}}… (or named variables in order of appearance) from `values`.
  function fill(body, values) {
    const order = [];
    body.replace(/\{\{\s*([^{}]+?)\s*\}\}/g, (m, v) => { if (order.indexOf(v) < 0) order.push(v); return m; });
    return body.replace(/\{\{\s*([^{}]+?)\s*\}\}/g, (m, v) => {
      const i = /^\d+$/.test(v) ? Number(v) - 1 : order.indexOf(v);
      const x = values[i];
      return x === undefined || x === "" ? m : x;
    });
  }
  function draw(root, p) {
    if (!root) return;
    const h = root.querySelector("[data-bubble-header]");
    const b = root.querySelector("[data-bubble-body]");
    const f = root.querySelector("[data-bubble-footer]");
    const bs = root.querySelector("[data-bubble-buttons]");
    h.textContent = p.header; h.hidden = p.header === "";
    b.innerHTML = markup(p.body);
    f.textContent = p.footer; f.hidden = p.footer === "";
    bs.replaceChildren(...p.buttons.map((t) => {
      const d = document.createElement("div"); d.className = "wa-button"; d.textContent = t; return d;
    }));
  }
  function parse(json) { try { const v = JSON.parse(json || "[]"); return Array.isArray(v) ? v : []; } catch (e) { return []; } }

  document.querySelectorAll("form[data-template-form]").forEach((form) => {
    const preview = form.parentElement && form.parentElement.querySelector("[data-live-preview]");
    if (!preview) return;
    const val = (n) => { const el = form.querySelector("[name=" + n + "]"); return el ? el.value : ""; };
    const apply = () => {
      const examples = lines(val("examples"));
      draw(preview, {
        header: fill(val("header").trim(), examples.slice(0, 1)),
        body: fill(val("body").trim(), examples),
        footer: val("footer").trim(),
        buttons: lines(val("buttons")),
      });
    };
    form.addEventListener("input", apply);
    apply();
  });

  document.querySelectorAll("form[data-broadcast-form]").forEach((form) => {
    const sel = form.querySelector("[data-template-picker]");
    const params = form.querySelector("[data-picker-params]");
    const preview = form.parentElement && form.parentElement.querySelector("[data-picker-preview]");
    if (!sel || !preview) return;
    // A parameter source as the preview shows it: the literal, or the field in brackets.
    const shown = (src) => {
      const m = /^(field|custom|fact):(.+)$/.exec(src);
      if (m) return "[" + m[2].trim() + "]";
      return src.replace(/^literal:/, "");
    };
    const apply = () => {
      const o = sel.selectedOptions[0];
      if (!o) return;
      const examples = parse(o.dataset.examples);
      const typed = params ? lines(params.value).map(shown) : [];
      const values = examples.map((e, i) => (typed[i] !== undefined ? typed[i] : e));
      typed.slice(examples.length).forEach((t) => values.push(t));
      draw(preview, {
        header: o.dataset.header || "",
        body: fill(o.dataset.body || "", values),
        footer: o.dataset.footer || "",
        buttons: parse(o.dataset.buttons),
      });
    };
    sel.addEventListener("change", apply);
    if (params) params.addEventListener("input", apply);
    apply();
  });
})();
