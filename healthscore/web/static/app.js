/* healthscore web app: charts (Chart.js, vendored) and small conveniences.
   Chart data travels in <script type="application/json"> blocks, so no inline script runs. */
(function () {
  "use strict";
  var TONES = { bad: "#c2362b", warn: "#d08a0b", good: "#2f9e55", none: "#8a93a3" };
  var SOFT = { bad: "rgba(194,54,43,0.10)", warn: "rgba(208,138,11,0.10)", good: "rgba(47,158,85,0.10)" };

  function tone(i, n) { return i === 0 ? "bad" : i === n - 1 ? "good" : "warn"; }
  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  function drawn(canvas) { canvas.setAttribute("data-drawn", "1"); }

  function distribution() {
    var canvas = document.getElementById("dist-chart");
    var d = data("dist-data");
    if (!canvas || !d || !window.Chart || canvas.getAttribute("data-drawn")) return;
    var n = d.series.length;
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: d.labels,
        datasets: d.series.map(function (s, i) {
          return { label: s.band, data: s.counts, backgroundColor: TONES[tone(i, n)], borderWidth: 0, stack: "a" };
        })
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
        scales: {
          x: { stacked: true, title: { display: true, text: "score" }, grid: { display: false } },
          y: { stacked: true, title: { display: true, text: "accounts" }, ticks: { precision: 0 } }
        }
      }
    });
    drawn(canvas);
  }

  // Shades the score bands behind the trend line.
  var bandAreas = {
    id: "bandAreas",
    beforeDraw: function (chart, args, opts) {
      var bands = opts.bands || [];
      var y = chart.scales.y, area = chart.chartArea, ctx = chart.ctx;
      if (!y || !area) return;
      ctx.save();
      bands.forEach(function (b, i) {
        var lo = b.min, hi = i + 1 < bands.length ? bands[i + 1].min : 100;
        var top = y.getPixelForValue(hi), bottom = y.getPixelForValue(lo);
        ctx.fillStyle = SOFT[tone(i, bands.length)] || "rgba(0,0,0,0.03)";
        ctx.fillRect(area.left, top, area.right - area.left, bottom - top);
      });
      ctx.restore();
    }
  };

  function trend() {
    var canvas = document.getElementById("trend-chart");
    var d = data("trend-data");
    if (!canvas || !d || !window.Chart || canvas.getAttribute("data-drawn")) return;
    var markers = [
      { key: "tickets", label: "ticket opened", color: "#8f1c13", style: "triangle", y: 4 },
      { key: "surveys", label: "NPS / CSAT answer", color: "#5b21b6", style: "rectRot", y: 10 },
      { key: "touches", label: "CSM touch", color: "#0f766e", style: "circle", y: 16 },
      { key: "band_changes", label: "band change", color: "#111827", style: "star", y: null }
    ];
    var sets = [{
      type: "line", label: "score", data: d.points, borderColor: "#1f5fbf", backgroundColor: "#1f5fbf",
      pointRadius: 2.5, tension: 0.25, borderWidth: 2.5, order: 0
    }];
    markers.forEach(function (m) {
      var pts = (d[m.key] || []).map(function (p) { return { x: p.x, y: m.y === null ? p.y : m.y, text: p.text }; });
      if (!pts.length) return;
      sets.push({
        type: "scatter", label: m.label, data: pts, pointStyle: m.style, pointRadius: m.key === "band_changes" ? 7 : 5,
        borderColor: m.color, backgroundColor: m.color, order: 1
      });
    });
    var scales = {
      x: { type: "category", labels: d.labels, grid: { display: false }, ticks: { maxTicksLimit: 10 } },
      y: { min: 0, max: 100, title: { display: true, text: "health score" } }
    };
    if ((d.sentiment || []).length) {
      sets.push({
        type: "line", label: "text sentiment", data: d.sentiment, yAxisID: "s", borderColor: "#b45309",
        backgroundColor: "#b45309", borderDash: [6, 4], pointRadius: 3, tension: 0.2, borderWidth: 2, order: 0
      });
      scales.s = { position: "right", min: -1, max: 1, grid: { display: false }, title: { display: true, text: "sentiment" } };
    }
    new Chart(canvas, {
      data: { datasets: sets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false, parsing: true,
        interaction: { mode: "nearest", intersect: true },
        scales: scales,
        plugins: {
          bandAreas: { bands: d.bands },
          legend: { position: "bottom", labels: { usePointStyle: true, boxWidth: 8 } },
          tooltip: { callbacks: { label: function (c) { return c.raw && c.raw.text ? c.raw.text : c.dataset.label + ": " + c.formattedValue; } } }
        }
      },
      plugins: [bandAreas]
    });
    drawn(canvas);
  }

  function leadTime() {
    var canvas = document.getElementById("lead-chart");
    var d = data("lead-data");
    if (!canvas || !d || !window.Chart || canvas.getAttribute("data-drawn")) return;
    var palette = ["#1f5fbf", "#2f9e55", "#d08a0b", "#8e44ad", "#8a93a3"];
    new Chart(canvas, {
      type: "line",
      data: { labels: d.labels, datasets: d.series.map(function (s, i) {
        return { label: s.label, data: s.values, borderColor: palette[i % palette.length], backgroundColor: palette[i % palette.length], tension: 0.2, pointRadius: 2 };
      }) },
      options: { responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
        scales: { x: { title: { display: true, text: "days before churn" } }, y: { min: 0, max: 1, title: { display: true, text: "share of churners flagged" } } } }
    });
    drawn(canvas);
  }

  function all() { distribution(); trend(); leadTime(); }
  document.addEventListener("DOMContentLoaded", all);
  document.addEventListener("htmx:afterSettle", all);
})();
