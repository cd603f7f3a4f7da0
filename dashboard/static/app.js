// Progressive enhancement only: every page works without it.
// Pages marked data-refresh reload themselves every N seconds, unless the
// user is typing in a form field.
(function () {
  "use strict";
  var s = document.body && document.body.getAttribute("data-refresh");
  if (!s) return;
  var every = Math.max(5, parseInt(s, 10) || 15) * 1000;
  setInterval(function () {
    var a = document.activeElement;
    if (a && (a.tagName === "INPUT" || a.tagName === "TEXTAREA" || a.tagName === "SELECT")) return;
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
