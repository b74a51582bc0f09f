"use strict";
// The scenario overview with its cited values (hover: the paragraph, read now from the article,
// with its numbers marked) and the forecast ledger page. Uses the report's plots (report.js).

// The paragraph as DOM nodes: text with each number span in a <mark> (never parsed as HTML).
function markedParagraph(shown) {
  const box = document.createElement("div");
  box.className = "para-text";
  if (shown.missing !== undefined) {
    box.className = "para-missing";
    box.textContent = "paragraph text missing: " + shown.missing;
    return box;
  }
  let at = 0;
  for (const n of [...shown.numbers].sort((a, b) => a.start - b.start)) {
    if (n.start < at) continue;
    box.append(shown.text.slice(at, n.start));
    const mark = document.createElement("mark");
    mark.textContent = shown.text.slice(n.start, n.end);
    box.append(mark);
    at = n.end;
  }
  box.append(shown.text.slice(at));
  return box;
}

function citedCell(value, evidence, citations, sources) {
  const cell = document.createElement("td");
  cell.textContent = value === null ? "—" : Number(value).toPrecision(3);
  const cites = evidence.filter(e => e.source !== undefined && e.paragraph !== null);
  if (!cites.length) return cell;
  cell.className = "cited";
  cell.tabIndex = 0;
  cell.dataset.cite = cites.map(c => `${c.source}#${c.paragraph}`).join(" ");
  const show = () => {
    const pop = document.getElementById("cite-pop");
    pop.innerHTML = "";
    for (const c of cites) {
      const head = document.createElement("div");
      head.className = "para-head";
      head.textContent = `${(sources[c.source] || {}).title || c.source}, para ${c.paragraph}: ${c.says}`;
      pop.append(head, markedParagraph(citations[`${c.source}#${c.paragraph}`] ||
                                       {missing: "not read"}));
    }
    const r = cell.getBoundingClientRect();
    pop.style.left = `${r.left + window.scrollX}px`;
    pop.style.top = `${r.bottom + window.scrollY + 4}px`;
    pop.hidden = false;
  };
  cell.addEventListener("mouseenter", show);
  cell.addEventListener("focus", show);
  cell.addEventListener("mouseleave", () => { document.getElementById("cite-pop").hidden = true; });
  cell.addEventListener("blur", () => { document.getElementById("cite-pop").hidden = true; });
  return cell;
}

function row(cells) {
  const tr = document.createElement("tr");
  for (const c of cells) {
    if (c instanceof HTMLElement) { tr.append(c); continue; }
    const td = document.createElement("td"); td.textContent = c; tr.append(td);
  }
  return tr;
}

// The overview table of ``scenario`` (GET /api/scenarios/{name}); cited values are hoverable.
async function showOverview(container, name, scenario) {
  const response = await fetch(`/api/scenarios/${encodeURIComponent(name)}/citations`);
  const citations = response.ok ? await response.json() : {};
  const actors = Object.fromEntries(scenario.actors.map(a => [a.id, a]));
  const issues = Object.fromEntries(scenario.issues.map(i => [i.id, i.name]));
  container.innerHTML = "<h2>Scenario overview</h2><p class=\"small\">Hover a cited value " +
    "(underlined) for its paragraph, read now from the article, numbers marked.</p>";
  const table = document.createElement("table");
  table.id = "overview-table";
  table.innerHTML = "<tr><th>actor</th><th>capability</th><th>issue</th><th>position</th><th>salience</th></tr>";
  for (const st of scenario.stances) {
    const a = actors[st.actor];
    table.append(row([a.name, citedCell(a.capability, a.capability_evidence, citations, scenario.sources),
      issues[st.issue], citedCell(st.position, st.position_evidence, citations, scenario.sources),
      citedCell(st.salience, st.salience_evidence, citations, scenario.sources)]));
  }
  container.append(table);
  container.dataset.citations = String(Object.keys(citations).length);
}

function headline(f) {
  if (f.p !== undefined) return `p = ${f.p.toFixed(3)}`;
  if (f.probabilities !== undefined) return f.probabilities.map(p => p.toFixed(3)).join(" / ");
  return `quantiles ${JSON.stringify(f.quantiles)}`;
}

// The forecast ledger (GET /api/ledger): questions, forecasts over time, Brier, reliability.
async function showLedger(container) {
  const response = await fetch("/api/ledger");
  const data = await response.json();
  container.innerHTML = "<h2>Forecast ledger</h2>";
  if (!response.ok) {
    const p = document.createElement("p");
    p.id = "ledger-off";
    p.textContent = data.error;
    container.append(p);
    return;
  }
  const table = document.createElement("table");
  table.id = "ledger-questions";
  table.innerHTML = "<tr><th>question</th><th>closes</th><th>forecasts</th><th>resolution</th><th>Brier</th></tr>";
  for (const q of data.questions) {
    const scored = (data.scores.questions[q.id] || {scores: {}}).scores;
    const brier = Object.entries(scored).filter(([, s]) => s.brier !== undefined)
      .map(([m, s]) => `${m}: ${s.brier.toFixed(4)}`).join("; ") || "—";
    table.append(row([`${q.id} v${q.version}: ${q.text}`, q.close_date,
      q.forecasts.map(f => `${f.created_at.slice(0, 10)} ${f.model}: ${headline(f.forecast)}`).join("; "),
      q.resolution ? String(q.resolution.outcome) : "open", brier]));
  }
  container.append(table);
  const plots = document.createElement("div");
  plots.className = "plots";
  plots.innerHTML = '<div class="plot" id="ledger-history"></div><div class="plot" id="reliability"></div>';
  container.append(plots);
  plotLedgerHistory("ledger-history", data);
  plotReliability("reliability", data.reliability);
}
