// Draws every dashboard chart from the ECharts option the server put in data-option; the
// table under each chart holds the same numbers.
(function () {
  "use strict";
  if (typeof echarts === "undefined") {
    return;
  }
  document.querySelectorAll(".chart[data-option]").forEach(function (element) {
    var chart = echarts.init(element);
    chart.setOption(JSON.parse(element.dataset.option));
    window.addEventListener("resize", function () {
      chart.resize();
    });
  });
})();
