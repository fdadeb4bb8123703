// A product's Buy Box price and sales rank over the catalog's observations (uPlot, two scales).
(function () {
  const data = JSON.parse(document.getElementById("history-data").textContent);
  const box = document.getElementById("history-chart");
  if (!data.t.length) {
    document.getElementById("history-empty").hidden = false;
    return;
  }
  const opts = {
    width: Math.min(box.clientWidth || 900, 1100), height: 320,
    series: [{}, {label: "Buy Box ($)", stroke: "#1e6fd9", scale: "$"},
             {label: "Sales rank", stroke: "#d9731e", scale: "rank"}],
    axes: [{}, {scale: "$", label: "$"}, {scale: "rank", side: 1, label: "rank", grid: {show: false}}],
    scales: {rank: {dir: -1}},
  };
  new uPlot(opts, [data.t, data.price, data.rank], box);
})();
