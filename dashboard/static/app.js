// Progressive enhancement only: every page works without it.
// Pages marked data-refresh reload themselves every N seconds, unless the
// user is typing in a form field or has opened a <details> (the chart's
// table). A button stops and restarts it, remembered in this browser
// (RGAA 13.1, WCAG 2.2.1: a time limit the user can turn off).
(function () {
  "use strict";
  var s = document.body && document.body.getAttribute("data-refresh");
  if (!s) return;
  var every = Math.max(5, parseInt(s, 10) || 15) * 1000;
  var key = "chorusbill-refresh-paused";
  var paused = false;
  try { paused = window.localStorage.getItem(key) === "1"; } catch (e) { /* storage refused: not remembered */ }
  var main = document.querySelector("main") || document.body;
  var button = document.createElement("button");
  button.type = "button";
  button.className = "refresh-toggle";
  var label = function () {
    button.textContent = paused ? "Reprendre l'actualisation automatique" : "Suspendre l'actualisation automatique (toutes les " + every / 1000 + " s)";
    button.setAttribute("aria-pressed", paused ? "true" : "false");
  };
  label();
  button.addEventListener("click", function () {
    paused = !paused;
    try { window.localStorage.setItem(key, paused ? "1" : "0"); } catch (e) { /* not remembered */ }
    label();
  });
  main.insertBefore(button, main.firstChild);
  setInterval(function () {
    if (paused) return;
    var a = document.activeElement;
    if (a && (a.tagName === "INPUT" || a.tagName === "TEXTAREA" || a.tagName === "SELECT")) return;
    if (document.querySelector("details[open]")) return;
    if (document.visibilityState === "hidden") return;
    window.location.reload();
  }, every);
})();

// A "select all on the page" checkbox (data-select-all="NAME") ticks or
// unticks the page's checkboxes named NAME of the same form; unticking one
// of them unticks it. Without script the server reads it as "the whole
// page" (bulk.go).
(function () {
  "use strict";
  var boxes = document.querySelectorAll("input[data-select-all]");
  Array.prototype.forEach.call(boxes, function (all) {
    var form = all.getAttribute("form");
    var sel = 'input[type="checkbox"][name="' + all.getAttribute("data-select-all") + '"]' + (form ? '[form="' + form + '"]' : "");
    var rows = document.querySelectorAll(sel);
    all.addEventListener("change", function () {
      Array.prototype.forEach.call(rows, function (r) { r.checked = all.checked; });
    });
    Array.prototype.forEach.call(rows, function (r) {
      r.addEventListener("change", function () { if (!r.checked) all.checked = false; });
    });
  });
})();
