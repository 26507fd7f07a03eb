// Dashboard charts, drawn with the vendored Chart.js (static/vendor/chart.umd.min.js) from each canvas's
// data-chart attribute: {"kind", "labels", "keys", "series": [{"key", "label", "data"}], "totals"?}.
// The CSP forbids inline script and style attributes, so the data comes in data-* attributes and sizes are set
// through the CSSOM (element.style), which the CSP allows. Every chart has a table with the same numbers.
"use strict";

(() => {
  // Grade colours as the site's grade letters (.grade-A … in static/css/app.css), the rest from its palette.
  const COLOURS = {
    A: "#2e7d32",
    B: "#1565c0",
    C: "#b26a00",
    D: "#c62828",
    none: "#9aa5b1",
    up: "#2e7d32",
    down: "#c62828",
    "02": "#f2a900",
    "04": "#6a1b9a",
    "09": "#e65100",
    "13": "#1565c0",
    "14": "#b71c1c",
  };
  const PALETTE = ["#0b57a4", "#b26a00", "#2e7d32", "#6a1b9a", "#c62828", "#00838f", "#5d6b7a"];
  const ROW_HEIGHT = 30; // px per category of a horizontal bar chart
  const LEGEND_LINE = 22; // px per legend entry when the legend wraps to one entry a line

  const colour = (key, i) => COLOURS[key] || PALETTE[i % PALETTE.length];

  function options(spec) {
    const horizontal = spec.kind === "hbar";
    const stacked = horizontal || spec.kind === "stacked";
    const reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    const base = {
      responsive: true,
      animation: reduced ? false : undefined,
      plugins: { legend: { position: "bottom" } },
    };
    if (spec.kind === "doughnut") {
      return { ...base, maintainAspectRatio: true, aspectRatio: 1.6 };
    }
    const count = { beginAtZero: true, stacked, ticks: { precision: 0 } };
    const category = { stacked };
    return {
      ...base,
      indexAxis: horizontal ? "y" : "x",
      // A horizontal chart grows with its categories (its holder's height is set below); the others keep 2:1.
      maintainAspectRatio: !horizontal,
      aspectRatio: 2,
      scales: horizontal ? { x: count, y: category } : { x: category, y: count },
    };
  }

  function draw(canvas) {
    let spec;
    try {
      spec = JSON.parse(canvas.dataset.chart);
    } catch (err) {
      return; // the table below the chart still has the numbers
    }
    const doughnut = spec.kind === "doughnut";
    const datasets = spec.series
      .map((s, i) => ({
        label: s.label,
        data: s.data,
        backgroundColor: doughnut ? spec.labels.map((_, j) => colour(spec.keys[j], j)) : colour(s.key, i),
        borderWidth: doughnut ? 1 : 0,
      }))
      // A series with nothing in it only lengthens the legend; the table still lists it.
      .filter((d) => doughnut || spec.kind === "bar" || d.data.some((n) => n > 0));
    const holder = canvas.parentElement;
    holder.style.position = "relative";
    if (spec.kind === "hbar") {
      // Room for every category and for the legend, one line per series on a narrow card.
      const height = spec.labels.length * ROW_HEIGHT + 60 + datasets.length * LEGEND_LINE;
      holder.style.height = `${Math.max(180, height)}px`;
    }
    new window.Chart(canvas, {
      type: doughnut ? "doughnut" : "bar",
      data: { labels: spec.labels, datasets },
      options: options(spec),
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (typeof window.Chart !== "function") {
      return; // the library did not load: the tables remain
    }
    const font = window.getComputedStyle(document.body).fontFamily;
    if (font) {
      window.Chart.defaults.font.family = font; // the page's CJK font stack, not Chart.js's Helvetica
    }
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  });
})();
