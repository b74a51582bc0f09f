// detente's plots, shared by the HTML report and the dashboard. They draw data that the Python
// side computed (a view never runs a model). Plotly renders them as SVG, which tests read.
"use strict";

const DETENTE_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
  "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

function detenteLayout(title, extra) {
  return Object.assign({
    title: {text: title, font: {size: 14}},
    margin: {l: 55, r: 20, t: 40, b: 45},
    height: 320,
    legend: {orientation: "h", y: -0.25},
    font: {family: "system-ui, sans-serif", size: 12},
  }, extra || {});
}

// Actor positions by round on one issue, with the model's forecast as a dashed line.
function plotTrajectory(div, run, scenario, issueIndex, modelName) {
  const issue = scenario.issues[issueIndex];
  const rounds = run.positions.map((_, t) => t);
  const traces = scenario.actors.map((actor, a) => ({
    x: rounds, y: run.positions.map(step => step[a][issueIndex]), mode: "lines+markers",
    name: actor.name, line: {color: DETENTE_COLORS[a % DETENTE_COLORS.length]},
  }));
  const forecast = run.forecast[issue.id];
  traces.push({x: [0, rounds[rounds.length - 1]], y: [forecast, forecast], mode: "lines",
    name: "forecast", line: {dash: "dash", color: "black"}});
  const end = (value, label, anchor) => ({xref: "paper", yref: "y", x: 0, y: value,
    xanchor: "left", yanchor: anchor, text: label || "", showarrow: false,
    font: {size: 9, color: "#666"}});
  Plotly.newPlot(div, traces, detenteLayout(`${modelName}: ${issue.name}`, {
    xaxis: {title: {text: "round"}}, yaxis: {title: {text: "position"},
      range: [issue.low, issue.high]},
    annotations: [{xref: "paper", yref: "y", x: 1, y: forecast, xanchor: "right",
      text: `forecast ${forecast.toFixed(2)}`, showarrow: false, font: {size: 11},
      bgcolor: "rgba(255,255,255,0.8)"}, end(issue.low, issue.low_label, "bottom"),
      end(issue.high, issue.high_label, "top")],
  }), {displayModeBar: false, responsive: true});
}

// The chance that an agreement is in force, week by week: one curve per variant.
function plotAgreement(div, summaries, title) {
  const names = Object.keys(summaries);
  const traces = names.map((name, k) => ({
    x: summaries[name].agreement_curve.map((_, t) => t + 1),
    y: summaries[name].agreement_curve, mode: "lines", name: name,
    line: {color: DETENTE_COLORS[k % DETENTE_COLORS.length], width: 2},
  }));
  const first = summaries[names[0]];
  const at26 = first.p_agreement["26"];
  Plotly.newPlot(div, traces, detenteLayout(title || "Chance an agreement is in force", {
    xaxis: {title: {text: "week"}}, yaxis: {title: {text: "share of runs"}, range: [0, 1]},
    annotations: at26 === null || at26 === undefined ? [] : [{
      xref: "paper", yref: "paper", x: 0.02, y: 0.98, xanchor: "left", showarrow: false,
      text: `P(deal in force at week 26) = ${(100 * at26).toFixed(1)}%`,
      font: {size: 12}, bgcolor: "rgba(255,255,255,0.85)",
    }],
  }), {displayModeBar: false, responsive: true});
}

// How wars end, as grouped bars per variant.
function plotEndModes(div, summaries) {
  const modes = [...new Set(Object.values(summaries).flatMap(s => Object.keys(s.end_mode)))];
  const traces = Object.keys(summaries).map((name, k) => ({
    type: "bar", name: name, x: modes, y: modes.map(m => summaries[name].end_mode[m] || 0),
    marker: {color: DETENTE_COLORS[k % DETENTE_COLORS.length]},
  }));
  Plotly.newPlot(div, traces, detenteLayout("How the war ends", {
    barmode: "group", yaxis: {title: {text: "share of runs"}, range: [0, 1]},
  }), {displayModeBar: false, responsive: true});
}

// Weeks until the final state, as overlaid histograms.
function plotDurations(div, summaries) {
  const traces = Object.keys(summaries).map((name, k) => {
    const d = summaries[name].durations;
    const mids = d.counts.map((_, i) => (d.edges[i] + d.edges[i + 1]) / 2);
    const total = d.counts.reduce((a, b) => a + b, 0) || 1;
    return {type: "bar", name: name, x: mids, y: d.counts.map(c => c / total), opacity: 0.6,
      marker: {color: DETENTE_COLORS[k % DETENTE_COLORS.length]}};
  });
  Plotly.newPlot(div, traces, detenteLayout("Weeks until the final state", {
    barmode: "overlay", xaxis: {title: {text: "weeks"}}, yaxis: {title: {text: "share of runs"}},
  }), {displayModeBar: false, responsive: true});
}

// Settlement terms per issue: mean with its 5-95 % band, per variant.
function plotTerms(div, summaries, scenario) {
  const issues = scenario.issues.map(i => i.id);
  const traces = Object.keys(summaries).map((name, k) => {
    const t = summaries[name].terms;
    return {
      type: "scatter", mode: "markers", name: name, y: issues,
      x: issues.map(i => t[i].mean), marker: {size: 10,
        color: DETENTE_COLORS[k % DETENTE_COLORS.length]},
      error_x: {type: "data", symmetric: false, array: issues.map(i => t[i].p95 - t[i].mean),
        arrayminus: issues.map(i => t[i].mean - t[i].p05)},
    };
  });
  Plotly.newPlot(div, traces, detenteLayout("Settlement terms (mean, 5-95 %)", {
    xaxis: {title: {text: "position on the issue's scale"}}, height: 360,
    margin: {l: 110, r: 20, t: 40, b: 45},
  }), {displayModeBar: false, responsive: true});
}

// Forest plot: each lever's effect on P(deal in force at week 26), with 95 % intervals.
function plotForest(div, comparison, week) {
  week = week || "26";
  const hyps = Object.keys(comparison.hypotheses);
  const traces = hyps.map((h, k) => {
    const levers = comparison.hypotheses[h].levers;
    const names = Object.keys(levers);
    const d = names.map(n => levers[n].delta_p_agreement[week]);
    return {
      type: "scatter", mode: "markers", name: h, y: names, x: d.map(v => 100 * v.mean),
      marker: {size: 9, color: DETENTE_COLORS[k % DETENTE_COLORS.length]},
      error_x: {type: "data", symmetric: false,
        array: d.map(v => 100 * (v.ci95[1] - v.mean)),
        arrayminus: d.map(v => 100 * (v.mean - v.ci95[0]))},
    };
  });
  Plotly.newPlot(div, traces, detenteLayout(
    `Lever effects on P(deal in force at week ${week}), points, 95 % CI`, {
      xaxis: {title: {text: "change in percentage points"}, zeroline: true},
      height: 380, margin: {l: 140, r: 20, t: 40, b: 45},
    }), {displayModeBar: false, responsive: true});
}
