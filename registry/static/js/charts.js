// Redraw each server-rendered chart with vega-embed, adding hover tooltips.
// Strict-CSP friendly: the spec is read from a JSON data block, Vega expressions run through its
// interpreter (ast: true, no eval), and vega-embed's and vega-tooltip's injected styles are turned off
// (site.css carries them instead).
"use strict";

(function () {
  function enhance(figure) {
    var block = figure.querySelector("script.chart-spec");
    var view = figure.querySelector(".chart-view");
    if (!block || !view) {
      return Promise.resolve();
    }
    var spec = JSON.parse(block.textContent);
    // The phone variant when the wide chart (plot, axes and legend) would not fit: text then
    // keeps its size instead of shrinking with a scaled-down drawing.
    var narrowBlock = figure.querySelector("script.chart-spec-narrow");
    var room = figure.clientWidth || window.innerWidth;
    if (narrowBlock && typeof spec.width === "number" && spec.width + 200 > room) {
      spec = JSON.parse(narrowBlock.textContent);
    }
    var target = document.createElement("div");
    var options = {
      renderer: "svg",
      actions: false,
      ast: true, // vega-embed then runs expressions through Vega's interpreter, not eval
      defaultStyle: false,
      tooltip: { disableDefaultStyle: true },
    };
    return window.vegaEmbed(target, spec, options).then(function () {
      view.replaceChildren(target);
      var narrow = figure.querySelector(".chart-narrow");
      if (narrow) {
        narrow.remove();
      }
      figure.dataset.enhanced = "true";
    }).catch(function (error) {
      figure.dataset.enhanced = "failed";
      console.error("chart " + figure.id + ": " + error);
    });
  }

  function start() {
    if (!window.vegaEmbed) {
      return;
    }
    var figures = Array.prototype.slice.call(document.querySelectorAll("figure.chart[data-chart]"));
    Promise.all(figures.map(enhance)).then(function () {
      document.documentElement.dataset.charts = "ready";
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
