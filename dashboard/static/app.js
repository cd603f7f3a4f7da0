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
