// The explorer on "/" (docs/PAGES.md): without JavaScript it is two plain GET forms; with it,
// ticking a facet applies the filters at once, and the compare button counts the ticked models.
"use strict";

(function () {
  // On a narrow screen the filters fold away above the table (their summary says how many are set).
  var panel = document.querySelector("details.filter-panel");
  if (panel && window.matchMedia("(max-width: 900px)").matches) {
    panel.open = false;
  }
  var filters = document.getElementById("filters");
  if (filters) {
    filters.addEventListener("change", function (event) {
      if (event.target.type === "checkbox" || event.target.tagName === "SELECT") {
        filters.requestSubmit();
      }
    });
  }
  var compare = document.getElementById("compare");
  if (!compare) {
    return;
  }
  var hint = compare.querySelector(".hint");
  var button = compare.querySelector("button");
  function ticked() {
    return document.querySelectorAll("input[form=compare]:checked").length;
  }
  function update() {
    var n = ticked();
    hint.textContent = n === 0 ? "tick 2 to 8 models" : n + " ticked" + (n > 8 ? " (8 at most)" : "");
    button.disabled = n < 2 || n > 8;
  }
  document.addEventListener("change", function (event) {
    if (event.target.getAttribute("form") === "compare") {
      update();
    }
  });
  update();
})();
