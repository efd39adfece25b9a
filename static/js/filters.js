// On narrow screens the filters of a listing (search, catalogue) fold away behind a
// toggle button, so the results come first; on wide screens they stay open beside them.
// Without this script they are simply open.
(function () {
  "use strict";
  var panel = document.querySelector("[data-facets]");
  if (!panel) return;
  var toggle = panel.querySelector(".facets-toggle");
  var content = document.getElementById(toggle.getAttribute("aria-controls"));
  var narrow = window.matchMedia("(max-width: 48rem)");

  function set(open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    content.hidden = !open;
  }
  function fit() {
    panel.classList.toggle("is-folding", narrow.matches);
    toggle.hidden = !narrow.matches;
    set(!narrow.matches);
  }
  toggle.addEventListener("click", function () { set(toggle.getAttribute("aria-expanded") !== "true"); });
  if (narrow.addEventListener) narrow.addEventListener("change", fit);
  fit();
})();
