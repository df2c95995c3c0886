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
  });
})();
