// Atelier's small enhancements. Everything here is optional: each page
// works without it. No inline handlers, so the page's CSP can forbid them.
(function () {
  "use strict";

  // Ctrl/Cmd+Enter in the prompt submits the form.
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || !(e.ctrlKey || e.metaKey)) return;
    var t = e.target;
    if (t && t.id === "prompt" && t.form) {
      e.preventDefault();
      t.form.requestSubmit();
    }
  });

  // Copy buttons carry their text in data-copy.
  document.addEventListener("click", function (e) {
    var b = e.target.closest("[data-copy]");
    if (!b || !navigator.clipboard) return;
    navigator.clipboard.writeText(b.getAttribute("data-copy")).then(function () {
      var old = b.textContent;
      b.textContent = "Copied";
      setTimeout(function () { b.textContent = old; }, 1500);
    });
  });

  // Forms that need a confirmation carry it in data-confirm.
  document.addEventListener("submit", function (e) {
    var f = e.target;
    var msg = f.getAttribute && f.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) e.preventDefault();
  }, true);

  // A plain form shows it is working once submitted.
  document.addEventListener("submit", function (e) {
    if (e.defaultPrevented || e.target.hasAttribute("hx-post")) return;
    var b = e.target.querySelector("button[type=submit]");
    if (b) b.setAttribute("aria-busy", "true");
  });

  // Relative times stay fresh; the exact time is in the title.
  function ago(t) {
    var s = (Date.now() - t) / 1000;
    if (s < 10) return "just now";
    if (s < 60) return Math.floor(s) + " s ago";
    if (s < 3600) return Math.floor(s / 60) + " min ago";
    if (s < 86400) return Math.floor(s / 3600) + " h ago";
    return null;
  }
  function refresh() {
    document.querySelectorAll("time[datetime]").forEach(function (el) {
      var t = Date.parse(el.getAttribute("datetime"));
      var text = isNaN(t) ? null : ago(t);
      if (text && el.textContent !== text && el.closest(".job, .tile, td, dd")) {
        el.textContent = text;
      }
    });
  }
  setInterval(refresh, 15000);

  // After a successful post the prompt form clears its errors.
  document.addEventListener("htmx:afterRequest", function (e) {
    var f = e.detail.elt;
    if (f.id === "prompt-form" && e.detail.successful) {
      f.querySelectorAll(".error").forEach(function (el) { el.remove(); });
      f.querySelectorAll(".invalid").forEach(function (el) { el.classList.remove("invalid"); });
      var empty = document.getElementById("no-jobs");
      if (empty) empty.remove();
    }
  });
})();
