/* Hukou Desk 「统计」: draws every <div data-hk-chart="{ECharts option as JSON}"> with the bundled ECharts
   (app/static/vendor/echarts, Apache-2.0). No inline script: the CSP allows scripts from this site only. */
(function () {
  "use strict";
  if (!window.echarts) { return; }
  var charts = [];
  var nodes = document.querySelectorAll("[data-hk-chart]");
  for (var i = 0; i < nodes.length; i++) {
    var option = JSON.parse(nodes[i].getAttribute("data-hk-chart"));
    var chart = window.echarts.init(nodes[i], null, {renderer: "canvas"});
    chart.setOption(option);
    charts.push(chart);
  }
  window.addEventListener("resize", function () {
    for (var j = 0; j < charts.length; j++) { charts[j].resize(); }
  });
}());
