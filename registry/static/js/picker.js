// Small improvements over plain forms that already work without JavaScript (docs/PAGES.md):
// - a model picked from a type-ahead list (<datalist>) is added at once, without pressing the button;
// - "Show only differences" flips the comparison table in place (and the address, to share it);
// - the description under a fit <select> follows the choice.
// Strict-CSP friendly: no inline code, no eval.
"use strict";

(function () {
  function pickers() {
    document.querySelectorAll("form[data-picker]").forEach(function (form) {
      var input = form.querySelector("input[list]");
      var list = input && document.getElementById(input.getAttribute("list"));
      if (!list) {
        return;
      }
      var names = new Set(Array.prototype.map.call(list.options, function (o) { return o.value; }));
      input.addEventListener("input", function (event) {
        // Choosing a suggestion replaces the text in one go; typing never submits by itself.
        var picked = !event.inputType || event.inputType === "insertReplacementText";
        if (picked && names.has(input.value)) {
          form.requestSubmit();
        }
      });
    });
  }

  function differencesToggle() {
    var link = document.getElementById("only-differences");
    var table = document.getElementById("compare-table");
    if (!link || !table) {
      return;
    }
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var on = table.classList.toggle("only-differences");
      link.dataset.only = on ? "on" : "off";
      link.textContent = on ? "Show every row" : "Show only differences";
      var url = new URL(window.location.href);
      if (on) {
        url.searchParams.set("only", "differences");
      } else {
        url.searchParams.delete("only");
      }
      window.history.replaceState(null, "", url);
      link.href = new URL(link.href, url).pathname + "?" + (function () {
        var next = new URLSearchParams(url.search);
        if (on) { next.delete("only"); } else { next.set("only", "differences"); }
        return next.toString();
      })();
      document.querySelectorAll("form input[name=only]").forEach(function (hidden) {
        hidden.disabled = !on;
      });
    });
  }

  function fitHelp() {
    document.querySelectorAll("select[data-fit-select]").forEach(function (select) {
      var help = select.closest("form") && select.closest("form").querySelector("[data-fit-help]");
      if (!help) {
        return;
      }
      select.addEventListener("change", function () {
        help.textContent = select.selectedOptions[0].dataset.description || "";
      });
    });
  }

  function start() {
    pickers();
    differencesToggle();
    fitHelp();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
