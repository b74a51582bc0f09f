// The report's own plots: the tornado, the ledger's forecasts over time and its reliability.
const STATUS_COLOUR = {cited: "#2b7bba", inferred: "#7fb2dc", assumption: "#e39b2b", none: "#999"};

function plotTornado(div, t) {
  const bars = [...t.bars].reverse();  // largest swing on top
  const names = bars.map(b => `${b.name} [${b.evidence}]`);
  const end = (key, ci) => ({
    type: "bar", orientation: "h", y: names, base: bars.map(() => t.base),
    x: bars.map(b => b[key] - t.base), name: key === "low" ? "input at p05" : "input at p95",
    marker: {color: bars.map(b => STATUS_COLOUR[b.evidence] || "#999"),
             opacity: key === "low" ? 0.55 : 1.0},
    error_x: {type: "data", symmetric: false, visible: bars.some(b => b[ci]),
              array: bars.map(b => b[ci] ? b[ci][1] - b[key] : 0),
              arrayminus: bars.map(b => b[ci] ? b[key] - b[ci][0] : 0)},
    hovertemplate: "%{y}: %{customdata}<extra></extra>",
    customdata: bars.map(b => `${(key === "low" ? b.at_p05 : b.at_p95).toPrecision(3)} → ` +
                              `${b[key].toFixed(3)}`)});
  Plotly.newPlot(div, [end("low", "low_ci95"), end("high", "high_ci95")], {
    title: {text: `${t.outcome.name}, one input at a time: pale bar at its p05, solid at its ` +
                  "p95; colour: its evidence"},
    barmode: "overlay", showlegend: false, height: 120 + 24 * bars.length, margin: {l: 220},
    xaxis: {title: {text: t.outcome.name}},
    shapes: [{type: "line", x0: t.base, x1: t.base, yref: "paper", y0: 0, y1: 1,
              line: {dash: "dot", color: "#333"}}]}, {responsive: true});
}

function plotLedgerHistory(div, ledger) {
  const traces = ledger.questions.filter(q => q.forecasts.some(f => f.forecast.p !== undefined))
    .map(q => ({type: "scatter", mode: "lines+markers", line: {shape: "hv"}, name: q.id,
                x: q.forecasts.map(f => f.created_at.slice(0, 10)),
                y: q.forecasts.map(f => f.forecast.p)}));
  Plotly.newPlot(div, traces, {title: {text: "Binary forecasts over time"},
                               yaxis: {range: [-0.05, 1.05], title: {text: "p"}}}, {responsive: true});
}

function plotReliability(div, reliability) {
  const traces = Object.entries(reliability).map(([name, d]) => ({
    type: "scatter", mode: "markers+lines", name, x: d.forecast, y: d.observed,
    marker: {size: d.count.map(n => 6 + 2 * Math.sqrt(n))}, text: d.count.map(n => `n = ${n}`)}));
  traces.push({type: "scatter", mode: "lines", x: [0, 1], y: [0, 1], name: "perfect",
               line: {dash: "dot", color: "#999"}});
  Plotly.newPlot(div, traces, {title: {text: "Reliability (binary forecasts)"},
                               xaxis: {range: [-0.05, 1.05], title: {text: "forecast"}},
                               yaxis: {range: [-0.05, 1.05], title: {text: "observed frequency"}}},
                 {responsive: true});
}
