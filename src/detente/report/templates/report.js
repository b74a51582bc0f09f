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

// -- the coupled model (MODELS.md §7.8): one set of charts per hypothesis ------------------------
const weeksOf = curve => curve.map((_, t) => t + 1);
const colourOf = k => DETENTE_COLORS[k % DETENTE_COLORS.length];

// A weekly share with its Monte Carlo band: the band as a filled pair, then the line.
function bandTraces(curve, name, colour, dash) {
  const x = weeksOf(curve.p);
  return [
    {x, y: curve.lo, mode: "lines", line: {width: 0}, hoverinfo: "skip", showlegend: false,
     name: `${name} (lower)`},
    {x, y: curve.hi, mode: "lines", line: {width: 0}, fill: "tonexty", hoverinfo: "skip",
     fillcolor: colour + "33", showlegend: false, name: `${name} (upper)`},
    {x, y: curve.p, mode: "lines", name, line: {color: colour, width: 2, dash: dash || "solid"}},
  ];
}

function plotDealCurve(div, hyp) {
  const traces = bandTraces(hyp.deal_curve, "deal in force", colourOf(0));
  Object.entries(hyp.partial_curves).forEach(([pid, curve], j) =>
    traces.push(...bandTraces(curve, `partial: ${pid}`, colourOf(j + 2), "dash")));
  const marks = hyp.checkpoints.map((w, i) => ({x: w, y: hyp.p_deal[String(w)].p, xref: "x", yref: "y",
    text: `wk ${w}: ${(100 * hyp.p_deal[String(w)].p).toFixed(1)}%`, showarrow: true,
    arrowhead: 0, ax: 0, ay: -22 - 18 * (i % 2), font: {size: 10}, bgcolor: "rgba(255,255,255,0.8)"}));
  Plotly.newPlot(div, traces, detenteLayout("P(deal in force) and P(partial deal), 95 % band", {
    xaxis: {title: {text: "week"}}, yaxis: {title: {text: "share of runs"}, range: [0, 1]},
    annotations: marks}), {displayModeBar: false, responsive: true});
}

// Terms on one issue: the baseline's histogram on top, a quantile box per variant below, all on
// the issue's own scale, so no variant hides another.
function plotIssueTerms(div, byVariant, issue) {
  const base = byVariant.baseline;
  const traces = [];
  if (base.histogram) {
    const e = base.histogram.edges, total = base.n || 1;
    traces.push({type: "bar", name: "baseline histogram", x: e.slice(0, -1).map((v, i) => (v + e[i + 1]) / 2),
      y: base.histogram.counts.map(c => c / total), width: (e[1] - e[0]) * 0.95,
      marker: {color: colourOf(0)}, xaxis: "x", yaxis: "y2", showlegend: false,
      hovertemplate: "%{x}: %{y:.1%} of deals<extra></extra>"});
  }
  const variants = Object.keys(byVariant).reverse();  // baseline on top
  variants.forEach((name, k) => {
    const s = byVariant[name];
    const label = `${name} (n=${s.n})`;
    if (!s.quantiles) return;
    const q = s.quantiles;
    traces.push({type: "box", orientation: "h", name: label, y: [label], q1: [q.p25],
      median: [q.p50], q3: [q.p75], lowerfence: [q.p5], upperfence: [q.p95], mean: [s.mean],
      xaxis: "x", yaxis: "y", showlegend: false,
      marker: {color: name === "baseline" ? colourOf(0) : colourOf(k + 1)}});
  });
  const axis = issueAxis(issue, issue.name);
  Plotly.newPlot(div, traces, detenteLayout(`${issue.name}: terms of the deals`, {
    height: 170 + 22 * variants.length, margin: {l: 190, r: 20, t: 40, b: 45},
    xaxis: axis, yaxis: {domain: [0, 0.7], type: "category", categoryorder: "array",
      categoryarray: variants.map(n => `${n} (n=${byVariant[n].n})`), tickfont: {size: 10}},
    yaxis2: {domain: [0.75, 1], title: {text: "share", font: {size: 10}}, rangemode: "tozero"},
    annotations: variants.filter(n => !byVariant[n].quantiles).length ? [{xref: "paper",
      yref: "paper", x: 1, y: 0, xanchor: "right", showarrow: false, font: {size: 10},
      text: "no deal in: " + variants.filter(n => !byVariant[n].quantiles).join(", ")}] : [],
  }), {displayModeBar: false, responsive: true});
}

function plotEngagement(div, hyp) {
  const traces = Object.entries(hyp.third_parties).map(([party, v], j) => ({
    x: weeksOf(v.mean_curve), y: v.mean_curve, mode: "lines", name: party,
    line: {color: colourOf(j + 3), width: 2},
    hovertemplate: `${party}, week %{x}: %{y:.2f}<extra></extra>`}));
  Plotly.newPlot(div, traces, detenteLayout("Third parties' engagement (mean over runs)", {
    xaxis: {title: {text: "week"}}, yaxis: {title: {text: "engagement"}, rangemode: "tozero"}}),
    {displayModeBar: false, responsive: true});
}

// The front: median path, and its 5-95 % and 25-75 % spread at the checkpoints.
function plotFront(div, hyp) {
  const med = hyp.front.median_curve, weeks = Object.keys(hyp.front.quantiles).map(Number);
  const q = w => hyp.front.quantiles[String(w)];
  const spreadTrace = (lo, hi, name, width) => ({
    x: weeks, y: weeks.map(w => q(w).p50), mode: "markers", name, marker: {size: 1},
    error_y: {type: "data", symmetric: false, thickness: width, width: 6,
      array: weeks.map(w => q(w)[hi] - q(w).p50), arrayminus: weeks.map(w => q(w).p50 - q(w)[lo])}});
  Plotly.newPlot(div, [
    {x: med.map((_, t) => t), y: med, mode: "lines", name: "median", line: {color: colourOf(1)}},
    spreadTrace("p5", "p95", "5–95 %", 1.5), spreadTrace("p25", "p75", "25–75 %", 4)],
  detenteLayout("Front: share of the contested area held by R", {
    xaxis: {title: {text: "week"}}, yaxis: {title: {text: "share"}, range: [0, 1]}}),
  {displayModeBar: false, responsive: true});
}

function plotRevenue(div, hyp) {
  const r = hyp.revenue_R, weeks = Object.keys(r.median).map(Number);
  Plotly.newPlot(div, [
    {x: weeksOf(r.mean_curve), y: r.mean_curve, mode: "lines", name: "mean",
     line: {color: colourOf(5)}},
    {x: weeks, y: weeks.map(w => r.median[String(w)]), mode: "markers", name: "median",
     marker: {size: 8, color: colourOf(5), symbol: "diamond"}}],
  detenteLayout("R's war revenue (1 = today's)", {
    xaxis: {title: {text: "week"}}, yaxis: {title: {text: "revenue"}, rangemode: "tozero"}}),
  {displayModeBar: false, responsive: true});
}

// Each lever's paired effect on P(deal in force), one panel per checkpoint, one colour per
// hypothesis: the point is the mean paired difference, the bar its 95 % interval.
function plotLeverEffects(div, coupled) {
  const hyps = Object.keys(coupled.hypotheses), first = coupled.hypotheses[hyps[0]];
  const weeks = first.checkpoints, levers = Object.keys(first.effects);
  const traces = [];
  weeks.forEach((w, c) => hyps.forEach((h, k) => {
    const d = levers.map(lv => coupled.hypotheses[h].effects[lv].delta_p_deal[String(w)]);
    traces.push({type: "scatter", mode: "markers", name: h, legendgroup: h, showlegend: c === 0,
      x: d.map(v => v.mean === null ? null : 100 * v.mean),
      y: levers.map((_, i) => i + 0.24 * (k - (hyps.length - 1) / 2)), text: levers,
      hovertemplate: `%{text}, ${h}, week ${w}: %{x:+.1f} points<extra></extra>`,
      xaxis: c ? `x${c + 1}` : "x", yaxis: "y", marker: {size: 8, color: colourOf(k)},
      error_x: {type: "data", symmetric: false,
        array: d.map(v => v.ci95 ? 100 * (v.ci95[1] - v.mean) : 0),
        arrayminus: d.map(v => v.ci95 ? 100 * (v.mean - v.ci95[0]) : 0)}});
  }));
  const layout = detenteLayout("Lever effects on P(deal in force), percentage points, 95 % CI", {
    grid: {rows: 1, columns: weeks.length, pattern: "coupled"},
    height: 160 + 26 * levers.length, margin: {l: 150, r: 20, t: 60, b: 45},
    legend: {orientation: "h", y: 1.08, x: 0},
    yaxis: {tickvals: levers.map((_, i) => i), ticktext: levers, zeroline: false,
      range: [-0.6, levers.length - 0.4]},
  });
  weeks.forEach((w, c) => {
    layout[c ? `xaxis${c + 1}` : "xaxis"] = {title: {text: `week ${w}`}, zeroline: true,
      zerolinecolor: "#888"};
  });
  Plotly.newPlot(div, traces, layout, {displayModeBar: false, responsive: true});
}

function plotCoupled(coupled, scenario) {
  if (document.getElementById("effects")) plotLeverEffects("effects", coupled);
  Object.values(coupled.hypotheses).forEach((hyp, k) => {
    plotDealCurve(`deal-${k}`, hyp);
    plotEndModes(`endmodes-${k}`, {[hyp.name]: hyp});
    coupled.issues.forEach((d, j) =>
      plotIssueTerms(`terms-${k}-${j}`, hyp.terms[d], scenario.issues.find(i => i.id === d)));
    plotEngagement(`engagement-${k}`, hyp);
    plotFront(`front-${k}`, hyp);
    plotRevenue(`revenue-${k}`, hyp);
  });
}

// -- analysis files: Sobol, Morris, tornado, PRIM, robust ranking --------------------------------
const statusColours = rows => rows.map(r => STATUS_COLOUR[r.evidence] || "#999");

// Sobol first-order (S1) and total (ST) indices with SALib's 95 % intervals, largest ST on top.
function plotSobol(div, a) {
  const rows = [...a.indices].reverse();
  const names = rows.map(r => `${r.name} [${r.evidence}]`);
  const index = (key, name, opacity) => ({type: "bar", orientation: "h", name, y: names,
    x: rows.map(r => r[key]), marker: {color: statusColours(rows), opacity},
    error_x: {type: "data", array: rows.map(r => r[key + "_conf"]), visible: true}});
  Plotly.newPlot(div, [index("S1", "first order S1", 0.5), index("ST", "total ST", 1.0)],
    detenteLayout(`Sobol indices of ${a.outcome.name} (95 % CI); colour: evidence`, {
      barmode: "group", height: 140 + 30 * rows.length, margin: {l: 230, r: 20, t: 40, b: 60},
      xaxis: {title: {text: "share of the outcome's variance"}}}),
    {displayModeBar: false, responsive: true});
}

function plotMorris(div, a) {
  const rows = [...a.indices].reverse();
  Plotly.newPlot(div, [{type: "bar", orientation: "h", name: "μ*",
    y: rows.map(r => `${r.name} [${r.evidence}]`), x: rows.map(r => r.mu_star),
    marker: {color: statusColours(rows)},
    error_x: {type: "data", array: rows.map(r => r.mu_star_conf), visible: true},
    customdata: rows.map(r => r.sigma), hovertemplate: "%{y}: μ* %{x:.4f}, σ %{customdata:.4f}<extra></extra>"}],
  detenteLayout(`Morris μ* of ${a.outcome.name} (95 % CI); colour: evidence`, {
    showlegend: false, height: 120 + 24 * rows.length, margin: {l: 230, r: 20, t: 40, b: 45},
    xaxis: {title: {text: "mean absolute elementary effect μ*"}}}),
  {displayModeBar: false, responsive: true});
}

// The PRIM box: each restricted input's kept interval as a share of its sampled range.
function plotPrimBox(div, a) {
  const lims = a.box.limits;
  Plotly.newPlot(div, [{type: "bar", orientation: "h", y: lims.map(l => `${l.name} [${l.evidence}]`),
    base: lims.map(l => l.from), x: lims.map(l => l.to - l.from),
    marker: {color: statusColours(lims)},
    customdata: lims.map(l => `${l.lower === null ? "…" : l.lower.toPrecision(4)} to ` +
                              `${l.upper === null ? "…" : l.upper.toPrecision(4)}`),
    hovertemplate: "%{y}: %{customdata}<extra></extra>"}],
  detenteLayout(`The box (step ${a.chosen_step}): coverage ${(100 * a.box.coverage).toFixed(0)} %, ` +
                `density ${(100 * a.box.density).toFixed(0)} %`, {
    showlegend: false, height: 140 + 28 * Math.max(lims.length, 1),
    margin: {l: 200, r: 20, t: 40, b: 45},
    xaxis: {range: [0, 1], title: {text: "share of the sampled range kept"}}}),
  {displayModeBar: false, responsive: true});
}

// The peeling trade-off: coverage against density at each step, the chosen box marked.
function plotPeeling(div, a) {
  const t = a.trajectory, chosen = t.find(s => s.step === a.chosen_step);
  Plotly.newPlot(div, [
    {x: t.map(s => s.coverage), y: t.map(s => s.density), mode: "lines+markers", name: "peeling",
     text: t.map(s => `step ${s.step}: ${s.restricted} inputs restricted, mass ${s.mass.toFixed(2)}`),
     hovertemplate: "%{text}<br>coverage %{x:.2f}, density %{y:.2f}<extra></extra>",
     marker: {color: colourOf(0), size: 6}},
    {x: [chosen.coverage], y: [chosen.density], mode: "markers", name: "chosen box",
     marker: {color: colourOf(1), size: 14, symbol: "star"}}],
  detenteLayout("Peeling trade-off: coverage vs density", {
    xaxis: {title: {text: "coverage"}, range: [0, 1.02]},
    yaxis: {title: {text: "density"}, range: [0, 1.02]}}),
  {displayModeBar: false, responsive: true});
}

// Robust ranking: each option's expected effect (bar) and its effect in each hypothesis (dots).
function plotRobust(div, a) {
  const rows = [...a.ranking].reverse(), y = rows.map(r => r.option);
  const traces = [{type: "bar", orientation: "h", name: "expected", y, x: rows.map(r => r.expected),
    marker: {color: "#bbb"}},
    {type: "scatter", mode: "markers", name: "worst case", y, x: rows.map(r => r.worst),
     marker: {symbol: "x", size: 9, color: "#333"}}];
  a.hypotheses.forEach((h, k) => traces.push({type: "scatter", mode: "markers", name: h, y,
    x: rows.map(r => r.by_hypothesis[h]), marker: {size: 8, color: colourOf(k)}}));
  Plotly.newPlot(div, traces, detenteLayout(`Robust ranking on ${a.outcome} (best on top)`, {
    height: 140 + 20 * rows.length, margin: {l: 260, r: 20, t: 40, b: 60},
    xaxis: {title: {text: "paired effect"}, zeroline: true},
    legend: {orientation: "h", y: -60 / (140 + 20 * rows.length)}}),
  {displayModeBar: false, responsive: true});
}

function plotAnalyses(analyses) {
  analyses.forEach((a, k) => {
    if (a.kind === "sobol") plotSobol(`sobol-${k}`, a);
    else if (a.kind === "morris") plotMorris(`morris-${k}`, a);
    else if (a.kind === "tornado") plotTornado(`tornado-${k}`, a);
    else if (a.kind === "discover") { plotPrimBox(`prim-box-${k}`, a); plotPeeling(`prim-peel-${k}`, a); }
    else plotRobust(`robust-${k}`, a);
  });
}
