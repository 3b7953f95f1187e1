/* chainwatch charts: ECharts on the cockpit and target pages. Data come from json_script tags. */
(function () {
  "use strict";
  var YEAR_MS = 365.25 * 24 * 3600 * 1000;
  var COLOURS = { red: "#c62828", yellow: "#d4a106", green: "#1a7f37", grey: "#9aa4ae" };
  var LIGHT_NAMES = {
    "zh-hans": { red: "红灯", yellow: "黄灯", green: "绿灯", grey: "无法评价" },
    en: { red: "Red", yellow: "Yellow", green: "Green", grey: "Not rated" }
  };
  var TEXT = {
    "zh-hans": { actual: "实际值", trajectory: "目标路径", milestones: "阶段目标", projection: "预测", band: "预测区间", target: "目标", now: "当前应达" },
    en: { actual: "Actual", trajectory: "Trajectory", milestones: "Milestones", projection: "Projection", band: "Projection band", target: "Target", now: "Expected now" }
  };
  function lang() { return document.documentElement.lang === "en" ? "en" : "zh-hans"; }
  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }
  function init(el) {
    var existing = window.echarts.getInstanceByDom(el);
    if (existing) existing.dispose();
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  }

  function childrenChart() {
    var el = document.getElementById("children-chart");
    var d = data("children-data");
    if (!el || !d || !window.echarts) return;
    if (!d.regions.length) { el.style.display = "none"; return; }
    var names = LIGHT_NAMES[lang()];
    var chart = init(el);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: d.regions, inverse: true },
      series: ["red", "yellow", "green", "grey"].map(function (light) {
        return { name: names[light], type: "bar", stack: "lights", data: d.series[light], itemStyle: { color: COLOURS[light] } };
      })
    });
    chart.on("click", function (params) {
      var code = d.codes[params.dataIndex];
      if (code) window.location.href = "/cockpit/" + encodeURIComponent(code) + "/" + window.location.search;
    });
  }

  function targetChart() {
    var el = document.getElementById("target-chart");
    var d = data("target-data");
    if (!el || !d || !window.echarts) return;
    var t = TEXT[lang()];
    var series = [
      { name: t.actual, type: "line", data: d.actuals.map(function (a) { return [a[0], a[1]]; }), symbolSize: 9,
        lineStyle: { width: 3 }, itemStyle: { color: "#0b5cad" } },
      { name: t.trajectory, type: "line", data: d.trajectory, symbol: "none", lineStyle: { type: "dashed", width: 2 },
        itemStyle: { color: "#5b6775" } },
      { name: t.milestones, type: "scatter", data: d.milestones.map(function (m) { return [m[0], m[1]]; }), symbol: "diamond",
        symbolSize: 16, itemStyle: { color: COLOURS[d.light] || "#5b6775" } }
    ];
    if (d.projection) {
      var p = d.projection;
      series.push({ name: t.projection, type: "line", data: [[p.from, p.from_value], [p.to, p.value]], symbol: "circle",
        lineStyle: { type: "dotted", width: 2 }, itemStyle: { color: "#7b1fa2" } });
      series.push({ name: t.band, type: "line", stack: "band", data: [[p.from, p.from_value], [p.to, p.low]], symbol: "none",
        lineStyle: { opacity: 0 }, itemStyle: { color: "#7b1fa2" } });
      series.push({ name: t.band, type: "line", stack: "band", data: [[p.from, 0], [p.to, p.high - p.low]], symbol: "none",
        lineStyle: { opacity: 0 }, areaStyle: { color: "rgba(123,31,162,0.18)" }, itemStyle: { color: "#7b1fa2" },
        tooltip: { show: false } });
    }
    if (d.expected_now !== null && d.expected_now !== undefined) {
      series.push({ name: t.now, type: "scatter", data: [[d.as_of, d.expected_now]], symbol: "triangle", symbolSize: 12,
        itemStyle: { color: "#5b6775" } });
    }
    var chart = init(el);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "item" },
      legend: { top: 0, data: [t.actual, t.trajectory, t.milestones, t.projection, t.band, t.now] },
      grid: { left: 12, right: 24, top: 40, bottom: 12, containLabel: true },
      // One tick a year, labelled with the year; annual figures sit on their year's tick.
      xAxis: { type: "time", minInterval: YEAR_MS, maxInterval: YEAR_MS, axisLabel: { formatter: "{yyyy}" } },
      yAxis: { type: "value", name: d.unit, scale: false },
      series: series
    });
    el.setAttribute("data-drawn", "1");
  }

  function drawAll() { childrenChart(); targetChart(); }
  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("htmx:afterSwap", drawAll);
})();
