// An item's captures over the runs (the JSON in #history): price with in-stock shading, and rank.
(function () {
  "use strict";
  var source = document.getElementById("history");
  if (!source || typeof uPlot === "undefined") return;
  var points = JSON.parse(source.textContent);
  var symbol = source.dataset.currency || "";
  function money(v) { return v == null ? "–" : symbol + v.toLocaleString(undefined, { maximumFractionDigits: 2 }); }
  var xs = points.map(function (p) { return Date.parse(p.at) / 1000; });
  var price = points.map(function (p) { return p.price_major; });
  var stock = points.map(function (p) { return p.in_stock == null ? null : (p.in_stock ? 1 : 0); });
  var rank = points.map(function (p) { return p.rank == null ? null : p.rank; });

  function width(el) { return Math.max(280, el.clientWidth || 600); }

  function draw(id, series, data, axes, scales) {
    var el = document.getElementById(id);
    if (!el) return null;
    var opts = { width: width(el), height: 260, series: [{}].concat(series), axes: axes, scales: scales || {},
                 cursor: { focus: { prox: 16 } }, legend: { live: true } };
    var chart = new uPlot(opts, [xs].concat(data), el);
    window.addEventListener("resize", function () { chart.setSize({ width: width(el), height: 260 }); });
    return chart;
  }

  draw("chart-price", [
    { label: "Price", stroke: "#1d4ed8", width: 2, scale: "$", spanGaps: false,
      value: function (u, v) { return money(v); }, points: { show: true } },
    { label: "In stock", stroke: "rgba(22,163,74,0.7)", fill: "rgba(22,163,74,0.12)", scale: "stock",
      paths: uPlot.paths.stepped({ align: 1 }), value: function (u, v) { return v == null ? "–" : (v ? "yes" : "no"); } }
  ], [price, stock], [
    {}, { scale: "$", size: 70, values: function (u, vals) { return vals.map(money); } },
    { scale: "stock", side: 1, show: false }
  ], { stock: { range: [0, 1.05] } });

  draw("chart-rank", [
    { label: "Rank", stroke: "#b45309", width: 2, scale: "rank", points: { show: true },
      value: function (u, v) { return v == null ? "–" : "#" + Math.round(v).toLocaleString(); } }
  ], [rank], [{}, { scale: "rank", size: 90, values: function (u, vals) { return vals.map(function (v) { return "#" + Math.round(v).toLocaleString(); }); } }],
  { rank: { dir: -1 } });
})();
