// The dashboard's panels for the coupled talks-while-fighting model (MODELS.md §7.8) and the
// sensitivity views (issue 17). They draw what the API computed (a view never runs a model);
// the tornado is the report's plotTornado (report.js), shared rather than copied.
"use strict";

const PANEL_CONFIG = {displayModeBar: false, responsive: true};
const VETO_COLOURS = {red_line: "#c0392b", value_of_fighting: "#e39b2b"};

// A weekly probability with its 95 % band: the band's two edges (the upper filled down to the
// lower) and the curve; ``dash`` draws a reference (the baseline) without its band.
function bandTraces(band, name, color, dash) {
  const weeks = band.p.map((_, t) => t + 1);
  const line = {x: weeks, y: band.p, mode: "lines", name: name, legendgroup: name,
    line: {color: color, width: 2, dash: dash || "solid"},
    hovertemplate: `${name}, week %{x}: %{y:.3f}<extra></extra>`};
  if (dash) return [line];
  return [
    {x: weeks, y: band.lo, mode: "lines", line: {width: 0}, showlegend: false,
     legendgroup: name, hoverinfo: "skip", name: name + " lo"},
    {x: weeks, y: band.hi, mode: "lines", line: {width: 0}, fill: "tonexty",
     fillcolor: color + "33", showlegend: false, legendgroup: name, hoverinfo: "skip",
     name: name + " 95 %"},
    line];
}

function pct(v) {
  return v === null || v === undefined ? "–" : (100 * v).toFixed(1) + "%";
}

// P(deal in force) and P(each partial deal) by week, each with its 95 % Wilson band; with levers
// on, the baseline's curves dashed. The annotation gives every checkpoint and the levers' paired
// effect on P(deal) there.
function plotDealBands(div, view, baseline, effects) {
  const series = [["deal in force", view.bands.deal, baseline && baseline.bands.deal],
    ...Object.keys(view.bands.partial).map(id => [`partial: ${id}`, view.bands.partial[id],
      baseline && baseline.bands.partial[id]])];
  const traces = [];
  series.forEach(([name, band, base], k) => {
    const color = DETENTE_COLORS[k % DETENTE_COLORS.length];
    traces.push(...bandTraces(band, name, color));
    if (base) traces.push(...bandTraces(base, name + " (baseline)", color, "dash"));
  });
  const lines = view.checkpoints.map(w => {
    const eff = effects && effects.delta_p_deal[String(w)];
    const delta = eff && eff.mean !== null ? `, levers ${eff.mean >= 0 ? "+" : ""}` +
      `${(100 * eff.mean).toFixed(1)} pp [${(100 * eff.ci95[0]).toFixed(1)}, ` +
      `${(100 * eff.ci95[1]).toFixed(1)}]` : "";
    return `week ${w}: ${pct(view.p_deal[String(w)].p)}${delta}`;
  });
  Plotly.newPlot(div, traces, detenteLayout("Chance of a deal in force and of partial deals " +
    `(95 % bands, ${view.bands.runs.toLocaleString()} runs)`, {
    xaxis: {title: {text: "week"}}, yaxis: {title: {text: "share of runs"}, rangemode: "tozero"},
    height: 360, annotations: [{xref: "paper", yref: "paper", x: 0.02, y: 0.98, xanchor: "left",
      yanchor: "top", align: "left", showarrow: false, text: "P(deal in force) " +
      lines.join("<br>"), font: {size: 11}, bgcolor: "rgba(255,255,255,0.85)"}],
  }), PANEL_CONFIG);
}

// The terms on every issue as a histogram on the issue's own scale, one panel per issue: the
// share of all runs in each bin (so the bars of "deal" sum to P(deal)), the baseline outlined.
function plotIssueTerms(div, view, baseline, scenario, kind) {
  const issues = scenario.issues;
  const columns = Math.min(3, issues.length), rows = Math.ceil(issues.length / columns);
  const runs = view.bands.runs;
  const traces = [];
  const layout = detenteLayout(`Terms per issue (${kind.replace("_", " ")}): share of runs ` +
    "per bin" + (baseline ? "; outline: baseline" : ""), {
    grid: {rows: rows, columns: columns, pattern: "independent"}, height: 90 + 190 * rows,
    bargap: 0.05, margin: {l: 45, r: 15, t: 40, b: 40}, showlegend: Boolean(baseline)});
  issues.forEach((issue, d) => {
    const axis = d === 0 ? "" : String(d + 1);
    const mine = view.terms[issue.id][kind];
    const add = (spread, name, bar) => {
      if (!spread.histogram) return;
      const h = spread.histogram;
      const x = h.counts.map((_, i) => (h.edges[i] + h.edges[i + 1]) / 2);
      const y = h.counts.map(c => c / runs);
      traces.push(bar ? {type: "bar", x: x, y: y, name: name, legendgroup: name,
        showlegend: d === 0, width: (h.edges[1] - h.edges[0]) * 0.95, xaxis: "x" + axis,
        yaxis: "y" + axis, marker: {color: DETENTE_COLORS[0]}, opacity: 0.8,
        hovertemplate: `${issue.id}: %{x:.3g}: %{y:.3f}<extra>${name}</extra>`}
        : {type: "scatter", mode: "lines", line: {shape: "hvh", color: "#333", width: 1.5},
          x: x, y: y, name: name, legendgroup: name, showlegend: d === 0, xaxis: "x" + axis,
          yaxis: "y" + axis});
    };
    add(mine, baseline ? "with levers" : "runs", true);
    if (baseline) add(baseline.terms[issue.id][kind], "baseline", false);
    const q = mine.quantiles;
    const median = q ? `median ${q.p50.toFixed(1)} (5-95 %: ${q.p5.toFixed(1)}–${q.p95.toFixed(1)})`
      : "no runs";
    layout["xaxis" + axis] = {range: [issue.low, issue.high], title: {text:
      `${short(issue.name, 26)}: ${median}`, font: {size: 10}, standoff: 2}};
    layout["yaxis" + axis] = {rangemode: "tozero"};
  });
  Plotly.newPlot(div, traces, layout, PANEL_CONFIG);
}

// Of the talks rounds held, the share each veto player refused, by reason (red line or the
// value of fighting), stacked; with levers on, a bar for the baseline below each.
function plotVetoes(div, view, baseline) {
  const variants = baseline ? [["with levers", view], ["baseline", baseline]] : [["", view]];
  const actors = Object.keys(view.vetoes.by_actor);
  const labels = variants.flatMap(([name]) => actors.map(a => name ? `${a} (${name})` : a));
  const traces = Object.keys(VETO_COLOURS).map(reason => ({
    type: "bar", orientation: "h", name: reason.replace(/_/g, " "), y: labels,
    x: variants.flatMap(([, v]) => actors.map(a => v.vetoes.by_actor[a][reason])),
    marker: {color: VETO_COLOURS[reason]},
    hovertemplate: `%{y}: %{x:.3f} of rounds (${reason.replace(/_/g, " ")})<extra></extra>`,
  }));
  Plotly.newPlot(div, traces, detenteLayout("Vetoes: share of talks rounds refused " +
    `(${view.vetoes.rounds_held.toLocaleString()} rounds held)`, {
    barmode: "stack", xaxis: {title: {text: "share of rounds held"}, rangemode: "tozero"},
    yaxis: {automargin: true}, height: Math.max(260, 150 + 34 * labels.length),
    legend: {orientation: "h", y: -0.35}, margin: {l: 55, r: 20, t: 40, b: 80},
  }), PANEL_CONFIG);
}

// Each third party's engagement by week: its mean over runs with a 95 % band, and (dotted) the
// share of runs in which it is still engaged; with levers on, the baseline's mean dashed.
function plotEngagement(div, view, baseline) {
  const parties = Object.keys(view.bands.engagement);
  const traces = [];
  parties.forEach((party, k) => {
    const e = view.bands.engagement[party];
    const color = DETENTE_COLORS[(k + 2) % DETENTE_COLORS.length];
    traces.push(...bandTraces(e, party, color));
    traces.push(...bandTraces(e.engaged, party + " still engaged", color, "dot"));
    if (baseline) traces.push(...bandTraces(baseline.bands.engagement[party],
      party + " (baseline)", color, "dash"));
  });
  Plotly.newPlot(div, traces, detenteLayout("Third parties' engagement (mean, 95 % band)", {
    xaxis: {title: {text: "week"}}, yaxis: {title: {text: "engagement"}, range: [0, 1.02]},
    height: 360, margin: {l: 55, r: 20, t: 40, b: 90}, legend: {orientation: "h", y: -0.3},
  }), PANEL_CONFIG);
}

// Each lever's paired effect on P(deal in force) at every checkpoint, with 95 % intervals.
function plotLeverEffects(div, cmp) {
  const levers = Object.keys(cmp.levers);
  const traces = cmp.checkpoints.map((w, k) => {
    const d = levers.map(l => cmp.levers[l].delta_p_deal[String(w)]);
    return {type: "scatter", mode: "markers", orientation: "h", name: `week ${w}`, y: levers,
      x: d.map(v => 100 * v.mean), marker: {size: 9, color: DETENTE_COLORS[k % DETENTE_COLORS.length]},
      error_x: {type: "data", symmetric: false, array: d.map(v => 100 * (v.ci95[1] - v.mean)),
        arrayminus: d.map(v => 100 * (v.mean - v.ci95[0]))},
      hovertemplate: `%{y}, week ${w}: %{x:.1f} pp<extra></extra>`};
  });
  Plotly.newPlot(div, traces, detenteLayout(`Lever effects on P(deal in force), ${cmp.hypothesis}` +
    " (paired, 95 % CI)", {
    xaxis: {title: {text: "change in percentage points"}, zeroline: true, zerolinecolor: "#888"},
    yaxis: {automargin: true, categoryorder: "array", categoryarray: [...levers].reverse()},
    height: Math.max(300, 110 + 30 * levers.length), scattermode: "group",
  }), PANEL_CONFIG);
}

// Sobol first-order (S1) and total (ST) indices with SALib's bootstrap 95 % intervals.
function plotSobol(div, s) {
  const rows = [...s.indices].reverse();  // the largest total index on top
  const names = rows.map(r => `${r.name} [${r.evidence}]`);
  const trace = (key, color) => ({type: "bar", orientation: "h", name: key, y: names,
    x: rows.map(r => r[key]), marker: {color: color},
    error_x: {type: "data", array: rows.map(r => r[key + "_conf"]), visible: true},
    hovertemplate: `%{y}: ${key} %{x:.3f}<extra></extra>`});
  Plotly.newPlot(div, [trace("S1", "#7fb2dc"), trace("ST", "#1f4fa0")], detenteLayout(
    `Sobol indices of ${s.outcome.name} (N = ${s.base_samples}, ${s.evaluations} samples x ` +
    `${s.runs_per_sample} runs)`, {barmode: "group", height: 130 + 26 * rows.length,
    xaxis: {title: {text: "index (95 % CI)"}}, yaxis: {automargin: true}}), PANEL_CONFIG);
}

// PRIM's peeling trajectory: density against coverage at every step, the chosen box marked.
function plotPrimTradeoff(div, d) {
  const t = d.trajectory;
  const chosen = t.find(s => s.step === d.chosen_step) || t[t.length - 1];
  Plotly.newPlot(div, [
    {type: "scatter", mode: "lines+markers", name: "peeling steps", x: t.map(s => s.coverage),
     y: t.map(s => s.density), marker: {color: t.map(s => s.restricted), colorscale: "Viridis",
       showscale: true, colorbar: {title: {text: "inputs<br>restricted"}, thickness: 10}},
     customdata: t.map(s => [s.step, s.mass]),
     hovertemplate: "step %{customdata[0]}: coverage %{x:.2f}, density %{y:.2f}, mass " +
       "%{customdata[1]:.2f}<extra></extra>"},
    {type: "scatter", mode: "markers", name: `chosen box (step ${d.chosen_step})`,
     x: [chosen.coverage], y: [chosen.density],
     marker: {symbol: "star", size: 16, color: "#c0392b", line: {color: "black", width: 1}}}],
  detenteLayout(`PRIM peeling trade-off<br><sub>${d.where}: holds in ${pct(d.share_true)} of ` +
    `${d.samples} samples</sub>`, {
    xaxis: {title: {text: "coverage"}, range: [0, 1.02]},
    yaxis: {title: {text: "density"}, range: [0, 1.02]}, height: 340}), PANEL_CONFIG);
}

function cellRow(cells, head) {
  const tr = document.createElement("tr");
  for (const c of cells) {
    const td = document.createElement(head ? "th" : "td");
    td.textContent = c;
    tr.appendChild(td);
  }
  return tr;
}

function fmt(v, digits) {
  return v === null || v === undefined ? "–" : Number(v).toPrecision(digits || 4);
}

// The chosen PRIM box: coverage, density and each restricted input with its evidence.
function showPrimBox(el, d) {
  el.innerHTML = "";
  const box = d.box;
  const p = document.createElement("p");
  p.className = "small";
  p.textContent = `Box at step ${d.chosen_step}: coverage ${pct(box.coverage)}, density ` +
    `${pct(box.density)}, mass ${pct(box.mass)}; ${box.limits.length} input(s) restricted.`;
  el.appendChild(p);
  const table = document.createElement("table");
  table.id = "prim-limits";
  table.appendChild(cellRow(["input", "evidence", "lower", "upper", "sampled range"], true));
  for (const lim of box.limits) {
    table.appendChild(cellRow([lim.name, lim.evidence, fmt(lim.lower), fmt(lim.upper),
      `${fmt(lim.sampled[0])} .. ${fmt(lim.sampled[1])}`]));
  }
  el.appendChild(table);
}

// The robust ranking: expected effect, worst case and maximum regret of every option, with the
// ranks and whether the top option changes across hypotheses.
function plotRobust(div, table, r) {
  const rows = r.ranking;
  const names = rows.map(x => x.option);
  const bar = (key, name, color) => ({type: "bar", orientation: "h", name: name, y: names,
    x: rows.map(x => 100 * x[key]), marker: {color: color},
    hovertemplate: `%{y}: ${name} %{x:.1f} pp<extra></extra>`});
  Plotly.newPlot(div, [bar("expected", "expected effect", "#1f77b4"),
    bar("worst", "worst case", "#d62728"), bar("max_regret", "max regret", "#7f7f7f")],
  detenteLayout(`Robust lever ranking on ${r.outcome}<br><sub>over ${r.hypotheses.join(", ")}` +
    ` x ${r.samples} input samples</sub>`, {barmode: "group", height: 140 + 40 * rows.length,
    xaxis: {title: {text: "percentage points"}, zeroline: true},
    yaxis: {automargin: true, categoryorder: "array", categoryarray: [...names].reverse()}}),
  PANEL_CONFIG);
  table.innerHTML = "";
  const t = document.createElement("table");
  t.id = "robust-table";
  t.appendChild(cellRow(["option", "expected", "worst", "max regret", "ranks (E/W/R)",
    ...r.hypotheses], true));
  for (const x of rows) {
    t.appendChild(cellRow([x.option, fmt(x.expected, 3), fmt(x.worst, 3), fmt(x.max_regret, 3),
      `${x.rank.expected}/${x.rank.worst}/${x.rank.regret}`,
      ...r.hypotheses.map(h => fmt(x.by_hypothesis[h], 3))]));
  }
  const note = document.createElement("p");
  note.className = "small";
  note.id = "robust-verdict";
  note.textContent = `The top option ${r.ranking_changes ? "changes" : "does not change"} across ` +
    "hypotheses (" + Object.entries(r.top_by_hypothesis).map(([h, o]) => `${h}: ${o}`).join(", ") +
    `); the three criteria ${r.criteria_agree ? "agree" : "disagree"}.`;
  table.appendChild(note);
  table.appendChild(t);
}

// Each lever's paired effect on the terms of every issue (runs with a deal in both variants,
// issue units, 95 % CI): one trace per issue; a lever without such runs has no point.
function plotTermsEffects(div, cmp, scenario) {
  const levers = Object.keys(cmp.levers).filter(l => cmp.levers[l].delta_terms);
  const traces = scenario.issues.map((issue, k) => {
    const d = levers.map(l => cmp.levers[l].delta_terms[issue.id]);
    const ok = d.map(v => v && v.mean !== null);
    return {type: "scatter", mode: "markers", orientation: "h", name: short(issue.name, 30),
      y: levers.filter((_, i) => ok[i]), x: d.filter((_, i) => ok[i]).map(v => v.mean),
      marker: {size: 8, color: DETENTE_COLORS[k % DETENTE_COLORS.length]},
      error_x: {type: "data", symmetric: false,
        array: d.filter((_, i) => ok[i]).map(v => v.ci95[1] - v.mean),
        arrayminus: d.filter((_, i) => ok[i]).map(v => v.mean - v.ci95[0])},
      customdata: d.filter((_, i) => ok[i]).map(v => v.n),
      hovertemplate: `%{y}, ${issue.id}: %{x:.2f} (%{customdata} paired runs)<extra></extra>`};
  });
  const empty = traces.every(t => t.x.length === 0);
  Plotly.newPlot(div, traces, detenteLayout(`Lever effects on the terms, ${cmp.hypothesis} ` +
    "(runs with a deal in both variants; issue units, 95 % CI)", {
    xaxis: {title: {text: "change on the issue's scale"}, zeroline: true, zerolinecolor: "#888"},
    yaxis: {automargin: true, categoryorder: "array", categoryarray: [...levers].reverse()},
    height: Math.max(300, 110 + 30 * levers.length), scattermode: "group",
    annotations: empty ? [{xref: "paper", yref: "paper", x: 0.5, y: 0.5, showarrow: false,
      text: "no run has a deal in both variants"}] : [],
  }), PANEL_CONFIG);
}
