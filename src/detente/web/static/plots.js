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
    legend: {orientation: "h", y: -0.25, traceorder: "normal"},
    font: {family: "system-ui, sans-serif", size: 12},
  }, extra || {});
}

// An axis on the issue's own scale: numbered ticks at its ends and labelled points, and the
// meaning of each end written under it (annotations: Plotly hides long tick labels at the edges).
function issueAxis(issue, title) {
  const ticks = [issue.low, ...Object.keys(issue.points || {}).map(Number), issue.high];
  const pad = 0.02 * (issue.high - issue.low);
  return {title: {text: title, standoff: 4}, range: [issue.low - pad, issue.high + pad],
    tickvals: ticks, ticktext: ticks.map(v => String(v)), zeroline: false};
}

function short(text, limit) {
  limit = limit || 34;
  return !text ? "" : text.length <= limit ? text : text.slice(0, limit - 1) + "…";
}

function scaleEnds(issue, axis) {
  const note = (x, text, anchor) => ({xref: axis === "y" ? "paper" : "x",
    yref: axis === "y" ? "y" : "paper", x: axis === "y" ? 0 : x, y: axis === "y" ? x : 1,
    xanchor: axis === "y" ? "left" : anchor, yanchor: axis === "y" ? (anchor === "left" ? "bottom" : "top") : "bottom",
    text: short(text), hovertext: text || undefined, showarrow: false,
    font: {size: 10, color: "#555"}});
  return [note(issue.low, issue.low_label ? "◀ " + issue.low_label : "", "left"),
          note(issue.high, issue.high_label ? issue.high_label + " ▶" : "", "right")];
}

function percentile(sorted, q) {
  if (!sorted.length) return NaN;
  const at = q * (sorted.length - 1), lo = Math.floor(at), hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

// Every model's forecast on one issue, side by side on the issue's scale: a violin over the
// Monte Carlo draws, the point estimate (draw 0) as a diamond, the 5-95 % range as a bar.
function plotForecasts(div, runs, scenario, issueIndex) {
  const issue = scenario.issues[issueIndex];
  const models = Object.keys(runs).filter(m => !runs[m].skipped);
  const traces = [];
  models.forEach((m, k) => {
    const values = runs[m].forecast_draws ? runs[m].forecast_draws[issue.id] : [runs[m].forecast[issue.id]];
    const color = DETENTE_COLORS[k % DETENTE_COLORS.length];
    const sorted = [...values].sort((a, b) => a - b);
    const p05 = percentile(sorted, 0.05), p95 = percentile(sorted, 0.95);
    traces.push({type: "violin", orientation: "h", x: values, y: values.map(() => m), name: m,
      legendgroup: m, showlegend: false, line: {color: color, width: 1}, fillcolor: color,
      opacity: 0.35, points: false, spanmode: "hard", width: 0.8, meanline: {visible: false},
      hoverinfo: "x", scalemode: "width"});
    traces.push({type: "scatter", mode: "markers", x: [values[0]], y: [m], name: m,
      legendgroup: m, showlegend: false, marker: {symbol: "diamond", size: 11, color: color,
        line: {color: "black", width: 1}},
      error_x: {type: "data", symmetric: false, array: [p95 - values[0]],
        arrayminus: [values[0] - p05], color: color, thickness: 2, width: 6},
      hovertemplate: `${m}: %{x:.3g} (5-95 %: ${p05.toFixed(3)}–${p95.toFixed(3)})<extra></extra>`});
  });
  Plotly.newPlot(div, traces, detenteLayout(`Forecasts: ${issue.name}`, {
    xaxis: issueAxis(issue, "forecast on the issue's scale"),
    yaxis: {automargin: true, categoryorder: "array", categoryarray: [...models].reverse()},
    height: Math.max(260, 70 + 40 * models.length), violinmode: "overlay",
    margin: {l: 80, r: 20, t: 56, b: 50}, annotations: scaleEnds(issue, "x"),
  }), {displayModeBar: false, responsive: true});
}

// Actor positions by round on one issue (draw 0), the 5-95 % band across draws of the
// weighted mean position, and the model's forecast as a dashed line.
function plotTrajectory(div, run, scenario, issueIndex, modelName) {
  const issue = scenario.issues[issueIndex];
  const rounds = run.positions.map((_, t) => t);
  const traces = [];
  const band = run.bands && run.bands[issue.id];
  if (band) {
    const r = band.p05.map((_, t) => t);
    traces.push({x: r, y: band.p05, mode: "lines", line: {width: 0}, showlegend: false,
      hoverinfo: "skip", name: "p05"});
    traces.push({x: r, y: band.p95, mode: "lines", line: {width: 0}, fill: "tonexty",
      fillcolor: "rgba(0,0,0,0.12)", name: "weighted mean, 5-95 % of draws",
      hovertemplate: "round %{x}: p95 %{y:.3g}<extra></extra>"});
  }
  scenario.actors.forEach((actor, a) => traces.push({
    x: rounds, y: run.positions.map(step => step[a][issueIndex]), mode: "lines+markers",
    name: actor.name, line: {color: DETENTE_COLORS[a % DETENTE_COLORS.length]},
  }));
  const forecast = run.forecast[issue.id];
  const last = Math.max(rounds[rounds.length - 1], band ? band.p05.length - 1 : 0, 1);
  traces.push({x: [0, last], y: [forecast, forecast], mode: "lines",
    name: "forecast", line: {dash: "dash", color: "black"}});
  const axis = issueAxis(issue, "position");
  Plotly.newPlot(div, traces, detenteLayout(`${modelName}: ${issue.name}`, {
    xaxis: {title: {text: "round"}}, yaxis: axis, height: 380,
    margin: {l: 60, r: 20, t: 40, b: 45},
    annotations: [{xref: "paper", yref: "y", x: 1, y: forecast, xanchor: "right",
      text: `forecast ${forecast.toFixed(2)}`, showarrow: false, font: {size: 11},
      bgcolor: "rgba(255,255,255,0.8)"}, ...scaleEnds(issue, "y")],
  }), {displayModeBar: false, responsive: true});
}

// The chance that an agreement is in force, week by week: one curve per variant. The headline
// gives the first variant's chance at every checkpoint it has (13/26/52 and, on a two-year
// coupled horizon, 104), not one week that may be before any deal can come.
function plotAgreement(div, summaries, title) {
  const names = Object.keys(summaries);
  const traces = names.map((name, k) => ({
    x: summaries[name].agreement_curve.map((_, t) => t + 1),
    y: summaries[name].agreement_curve, mode: "lines", name: name,
    line: {color: DETENTE_COLORS[k % DETENTE_COLORS.length], width: 2},
  }));
  const at = Object.entries(summaries[names[0]].p_agreement)
    .filter(([, p]) => p !== null && p !== undefined)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([w, p]) => `week ${w}: ${(100 * p).toFixed(1)}%`);
  Plotly.newPlot(div, traces, detenteLayout(title || "Chance an agreement is in force", {
    xaxis: {title: {text: "week"}}, yaxis: {title: {text: "share of runs"}, range: [0, 1]},
    annotations: at.length ? [{
      xref: "paper", yref: "paper", x: 0.02, y: 0.98, xanchor: "left", showarrow: false,
      text: `P(deal in force) ${at.join(" · ")}`,
      font: {size: 12}, bgcolor: "rgba(255,255,255,0.85)",
    }] : [],
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

// Weeks until the final state: small multiples, one row per variant, each with the first
// variant (the baseline) as a grey outline so that no distribution hides another.
function plotDurations(div, summaries) {
  const names = Object.keys(summaries);
  const share = d => {
    const total = d.counts.reduce((a, b) => a + b, 0) || 1;
    return {x: d.counts.map((_, i) => (d.edges[i] + d.edges[i + 1]) / 2),
            y: d.counts.map(c => c / total), w: d.edges.length > 1 ? d.edges[1] - d.edges[0] : 1};
  };
  const base = share(summaries[names[0]].durations);
  const traces = [];
  names.forEach((name, k) => {
    const axis = k === 0 ? "" : String(k + 1);
    const h = share(summaries[name].durations);
    traces.push({type: "bar", name: name, x: h.x, y: h.y, width: h.w * 0.95, xaxis: "x" + axis,
      yaxis: "y" + axis, marker: {color: DETENTE_COLORS[k % DETENTE_COLORS.length]}, opacity: 0.8});
    if (k > 0) traces.push({type: "scatter", mode: "lines", line: {shape: "hvh", color: "#555",
      width: 1.5}, x: base.x, y: base.y, xaxis: "x" + axis, yaxis: "y" + axis,
      name: names[0] + " (outline)", showlegend: k === 1});
  });
  const layout = detenteLayout("Weeks until the final state", {
    grid: {rows: names.length, columns: 1, pattern: "independent", roworder: "top to bottom"},
    height: 120 + 110 * names.length, bargap: 0.05,
  });
  names.forEach((name, k) => {
    const axis = k === 0 ? "" : String(k + 1);
    layout["xaxis" + axis] = {matches: k ? "x" : undefined,
      title: k === names.length - 1 ? {text: "weeks"} : undefined};
    layout["yaxis" + axis] = {title: {text: name, font: {size: 10}}, rangemode: "tozero"};
  });
  Plotly.newPlot(div, traces, layout, {displayModeBar: false, responsive: true});
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
