/* rlm-mcp report: draws the chart specs of #chart-data with Chart.js, and runs the timeline's toolbar.
   Data only ever reaches the page as JSON parsed here and handed to Chart.js, which draws on a canvas:
   nothing from a trajectory is turned into markup. */
(function () {
  "use strict";
  var palette = ["#2e90fa", "#7a5af8", "#f79009", "#d92d20", "#12b76a", "#ee46bc", "#667085", "#0e9384"];

  function openStep(number) {
    var item = document.getElementById("step-" + number);
    if (!item) return;
    item.querySelector("details").open = true;
    item.scrollIntoView({ block: "center" });
  }

  function axis(unit, log, stacked, right) {
    return {
      type: log ? "logarithmic" : "linear",
      position: right ? "right" : "left",
      stacked: stacked,
      beginAtZero: !log,
      grid: { drawOnChartArea: !right },
      title: { display: unit !== "", text: unit }
    };
  }

  function draw(spec, index) {
    var canvas = document.getElementById("chart-" + index);
    if (!canvas) return;
    var many = spec.labels.length > 60;
    var datasets = spec.series.map(function (series, number) {
      var colour = palette[number % palette.length];
      return {
        label: series.name,
        data: series.values,
        type: series.type,
        yAxisID: series.axis,
        backgroundColor: colour,
        borderColor: colour,
        borderWidth: series.type === "line" ? 2 : 0,
        borderDash: series.dashed ? [6, 4] : [],
        pointRadius: series.type === "line" && many ? 0 : 2,
        stack: series.type === "bar" && spec.stacked ? "steps" : undefined,
        order: series.type === "line" ? 0 : 1
      };
    });
    var ticks = { autoSkip: many, maxRotation: many ? 0 : 50 };
    var scales = { x: { stacked: spec.stacked, ticks: ticks }, y: axis(spec.unit, spec.log, spec.stacked, false) };
    if (spec.series.some(function (series) { return series.axis === "y2"; })) {
      scales.y2 = axis(spec.unit2, false, false, true);
    }
    new Chart(canvas, {
      type: "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        normalized: true,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
        scales: scales,
        onClick: spec.steps.length ? function (event, elements) {
          if (elements.length) openStep(spec.steps[elements[0].index]);
        } : undefined
      }
    });
  }

  function toolbar() {
    var steps = document.getElementById("steps");
    if (!steps) return;
    document.querySelectorAll("[data-action]").forEach(function (control) {
      var action = control.getAttribute("data-action");
      control.addEventListener(action === "errors" ? "change" : "click", function () {
        if (action === "errors") {
          steps.classList.toggle("errors-only", control.checked);
          return;
        }
        steps.querySelectorAll(".step > details").forEach(function (details) { details.open = action === "open"; });
      });
    });
  }

  var specs = JSON.parse(document.getElementById("chart-data").textContent);
  if (typeof Chart !== "undefined") specs.forEach(draw);
  toolbar();
  document.documentElement.setAttribute("data-rendered", String(specs.length));
})();
