/* Dashboard charts (Apache ECharts), fed by /dashboard/data. */
(function () {
  "use strict";
  var box = document.getElementById("dashboard-charts");
  if (!box || !window.echarts) { return; }
  var label = box.dataset;
  var charts = [];

  function chart(id, option) {
    var element = document.getElementById(id);
    var instance = echarts.init(element, null, { renderer: "canvas" });
    instance.setOption(option);
    element.dataset.ready = "1";
    charts.push(instance);
  }

  function bars(items) {
    // horizontal bars: long Chinese county names fit on a phone
    var reversed = items.slice().reverse();
    return {
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis" },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: reversed.map(function (i) { return i.name; }) },
      series: [{ type: "bar", name: label.labelCustomers, data: reversed.map(function (i) { return i.count; }) }]
    };
  }

  fetch(box.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(function (response) { return response.json(); })
    .then(function (data) {
      chart("chart-growth", {
        grid: { left: 8, right: 8, top: 40, bottom: 8, containLabel: true },
        tooltip: { trigger: "axis" },
        legend: { top: 0, data: [label.labelNew, label.labelTotal] },
        xAxis: { type: "category", data: data.growth.months },
        yAxis: [{ type: "value", minInterval: 1 }, { type: "value", minInterval: 1 }],
        series: [
          { type: "bar", name: label.labelNew, data: data.growth.new },
          { type: "line", name: label.labelTotal, yAxisIndex: 1, data: data.growth.total }
        ]
      });
      chart("chart-funnel", {
        tooltip: { trigger: "item", formatter: "{b}: {c}" },
        series: [{
          type: "funnel", sort: "none", left: "5%", width: "90%", minSize: "30%",
          label: { position: "inside", formatter: "{b} {c}", color: "#fff" },
          data: data.funnel.stages.map(function (s) { return { name: s.name, value: s.count }; })
        }]
      });
      document.getElementById("lost-count").textContent = data.funnel.lost;
      chart("chart-counties", bars(data.counties));
      chart("chart-industries", bars(data.industries));
      box.dataset.loaded = "1";
    });

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
