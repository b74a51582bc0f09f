// The dashboard's scenario editor: actors, issues and stances in plain HTML tables. The server
// validates with detente's own loader; each problem is shown next to the field it names.
"use strict";

const EDITOR = {doc: null, timer: null};
const DEFAULTS = {low: "0 (default)", high: "100 (default)"};  // the scenario language's

const GRIDS = {
  actors: {title: "Actors", columns: [["id", "text"], ["name", "text"], ["capability", "quantity"]],
    blank: doc => ({id: `actor-${doc.actors.length + 1}`, name: "New actor", capability: 1})},
  issues: {title: "Issues", columns: [["id", "text"], ["name", "text"], ["low", "number"],
    ["high", "number"], ["low_label", "text"], ["high_label", "text"]],
    blank: doc => ({id: `issue-${doc.issues.length + 1}`, name: "New issue", low: 0, high: 100})},
  stances: {title: "Stances", columns: [["actor", "text"], ["issue", "text"],
    ["position", "quantity"], ["salience", "quantity"]],
    blank: doc => ({actor: (doc.actors[0] || {}).id || "", issue: (doc.issues[0] || {}).id || "",
      position: 50, salience: 0.5})},
};

async function editorApi(path, body) {
  const opts = {method: "POST", headers: {"content-type": "application/json"},
    body: JSON.stringify(body)};
  const token = new URLSearchParams(location.search).get("token");
  if (token) opts.headers.authorization = "Bearer " + token;
  const response = await fetch(path, opts);
  const data = await response.json();
  return {ok: response.ok, status: response.status, data: data};
}

// A quantity is a number or a mapping (distribution, evidence); the grid edits its point.
function pointOf(q) {
  if (q === null || q === undefined) return "";
  if (typeof q !== "object") return q;
  if (q.value !== undefined) return q.value;
  if (q.mode !== undefined) return q.mode;
  if (q.mean !== undefined) return q.mean;
  if (q.dist === "beta") {
    const lo = q.lo ?? 0, hi = q.hi ?? 1;
    return lo + (hi - lo) * q.a / (q.a + q.b);
  }
  return q.lo !== undefined && q.hi !== undefined ? (q.lo + q.hi) / 2 : "";
}

function parsed(text, kind) {
  if (kind === "text") return text === "" ? null : text;
  const number = Number(text);
  return text.trim() === "" || Number.isNaN(number) ? text : number;  // the server names bad text
}

function setCell(row, key, kind, text) {
  const value = parsed(text, kind === "quantity" ? "number" : kind);
  const old = row[key];
  if (kind === "quantity" && old !== null && typeof old === "object" && typeof value === "number") {
    row[key] = Object.assign({}, old, {value: value});  // keep its distribution and evidence
  } else if (value === null) {
    delete row[key];
  } else {
    row[key] = value;
  }
}

function drawGrid(part) {
  const spec = GRIDS[part];
  const rows = EDITOR.doc[part] || (EDITOR.doc[part] = []);
  const table = document.createElement("table");
  table.className = "grid-table";
  table.id = `editor-${part}`;
  table.innerHTML = "<tr>" + spec.columns.map(([key]) => `<th>${key}</th>`).join("") + "<th></th></tr>";
  rows.forEach((row, k) => {
    const tr = document.createElement("tr");
    tr.dataset.field = `${part}[${k}]`;
    for (const [key, kind] of spec.columns) {
      const td = document.createElement("td");
      const input = document.createElement("input");
      input.type = "text";
      const point = kind === "quantity" ? pointOf(row[key]) : (row[key] ?? "");
      input.value = typeof point === "number" ? String(Number(point.toPrecision(6))) : point;
      input.dataset.field = `${part}[${k}].${key}`;
      if (key in DEFAULTS) input.placeholder = DEFAULTS[key];
      input.setAttribute("aria-label", `${part} ${k + 1} ${key}`);
      if (kind === "quantity" && row[key] && typeof row[key] === "object" && row[key].dist) {
        input.title = `${row[key].dist} distribution: the grid edits its point value`;
      }
      input.addEventListener("change", () => { setCell(row, key, kind, input.value); scheduleCheck(); });
      td.appendChild(input);
      tr.appendChild(td);
    }
    const del = document.createElement("td");
    del.innerHTML = `<button type="button" title="remove this row">×</button>`;
    del.firstChild.addEventListener("click", () => { rows.splice(k, 1); drawEditor(); scheduleCheck(); });
    tr.appendChild(del);
    table.appendChild(tr);
  });
  const box = document.createElement("div");
  box.innerHTML = `<h3>${spec.title}</h3>`;
  box.appendChild(table);
  const add = document.createElement("button");
  add.type = "button";
  add.id = `editor-add-${part}`;
  add.textContent = `+ ${part.replace(/s$/, "")}`;
  add.addEventListener("click", () => { rows.push(spec.blank(EDITOR.doc)); drawEditor(); scheduleCheck(); });
  box.appendChild(add);
  return box;
}

function drawEditor() {
  const grids = document.getElementById("editor-grids");
  grids.innerHTML = "";
  for (const part of Object.keys(GRIDS)) grids.appendChild(drawGrid(part));
  const kept = Object.keys(EDITOR.doc).filter(k => !(k in GRIDS) && !["detente", "name"].includes(k));
  document.getElementById("editor-kept").textContent = kept.length
    ? `Kept as loaded (edit these in the YAML file): ${kept.join(", ")}.` : "";
  document.getElementById("editor-title").value = EDITOR.doc.name || "";
}

// The deepest element naming a prefix of the problem's field path: input, then row, then none.
function placeOf(field) {
  let path = field;
  while (path) {
    const found = document.querySelector(`#editor [data-field="${CSS.escape(path)}"]`);
    if (found) return found;
    const cut = Math.max(path.lastIndexOf("."), path.lastIndexOf("["));
    path = cut > 0 ? path.slice(0, cut) : "";
  }
  return null;
}

function showProblems(problems) {
  document.querySelectorAll("#editor .field-error").forEach(e => e.remove());
  document.querySelectorAll("#editor .invalid").forEach(e => e.classList.remove("invalid"));
  const general = document.getElementById("editor-problems");
  general.innerHTML = "";
  for (const p of problems) {
    const text = p.message + (p.value !== null && p.value !== undefined ? ` (got ${JSON.stringify(p.value)})` : "");
    const place = placeOf(p.field || "");
    const note = document.createElement("div");
    note.className = "field-error";
    note.dataset.for = p.field || "";
    note.textContent = place && place.tagName === "INPUT" ? text : `${p.field || "document"}: ${text}`;
    if (place && place.tagName === "INPUT") {
      place.classList.add("invalid");
      place.parentElement.appendChild(note);
    } else if (place) {
      place.classList.add("invalid");
      place.lastElementChild.appendChild(note);
    } else {
      general.appendChild(note);
    }
  }
  document.getElementById("editor-state").textContent = problems.length
    ? `${problems.length} problem${problems.length > 1 ? "s" : ""}` : "valid";
  document.getElementById("editor-state").className = problems.length ? "bad" : "good";
}

function scheduleCheck() {
  clearTimeout(EDITOR.timer);
  EDITOR.timer = setTimeout(checkDocument, 250);
}

async function checkDocument() {
  EDITOR.doc.name = document.getElementById("editor-title").value;
  const r = await editorApi("/api/editor/validate", {document: EDITOR.doc});
  showProblems(r.ok ? r.data.problems : [{field: r.data.field, message: r.data.error}]);
  document.getElementById("editor").dataset.checked = String(Number(document.getElementById("editor").dataset.checked || 0) + 1);
  return r.ok && r.data.valid;
}

function editorMessage(text, bad) {
  const box = document.getElementById("editor-message");
  box.textContent = text;
  box.className = bad ? "bad" : "good";
}

async function saveAndRun() {
  EDITOR.doc.name = document.getElementById("editor-title").value;
  const name = document.getElementById("editor-name").value.trim();
  const saved = await editorApi("/api/editor/save", {name: name, document: EDITOR.doc,
    overwrite: document.getElementById("editor-overwrite").checked});
  if (!saved.ok) {
    if (saved.data.problems) showProblems(saved.data.problems);
    editorMessage(`not saved: ${saved.data.field ? saved.data.field + ": " : ""}${saved.data.error}`, true);
    Plotly.purge("editor-plot");
    document.getElementById("editor-plot").innerHTML = "";
    return;
  }
  showProblems([]);
  editorMessage(`saved ${saved.data.saved}; running…`, false);
  const model = document.getElementById("editor-model").value;
  const run = await editorApi("/api/editor/run", {name: name, model: model, draws: 50});
  if (!run.ok) {
    editorMessage(`saved ${saved.data.saved}, but ${model} did not run: ${run.data.error}`, true);
    Plotly.purge("editor-plot");
    document.getElementById("editor-plot").innerHTML = "";
    return;
  }
  const sc = run.data.scenario;
  if (run.data.one_round) plotForecasts("editor-plot", {[model]: run.data}, sc, 0);
  else plotTrajectory("editor-plot", run.data, sc, 0, model);
  editorMessage(`saved ${saved.data.saved} and ran ${model}: forecast ` +
    Object.entries(run.data.forecast).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", "), false);
  document.getElementById("editor").dataset.runs = String(Number(document.getElementById("editor").dataset.runs || 0) + 1);
}

async function loadDocument(name) {
  const response = await fetch(`/api/editor/documents/${encodeURIComponent(name)}`);
  const data = await response.json();
  if (!response.ok) { editorMessage(data.error, true); return; }
  EDITOR.doc = data;
  document.getElementById("editor-name").value = `${name}-edited`;
  drawEditor();
  await checkDocument();
}

function startEditor(root, scenarios, models) {
  root.innerHTML = `
<style>
#editor{padding:0 16px 24px} #editor h2{border-top:1px solid #ddd;padding-top:12px}
#editor .grid-table{border-collapse:collapse;font-size:13px} #editor td,#editor th{border:1px solid #ddd;padding:2px 4px;vertical-align:top}
#editor th{background:#f4f4f4} #editor input[type=text]{width:120px}
#editor input.invalid,#editor tr.invalid{outline:2px solid #c33;background:#fff3f3}
#editor .field-error{color:#a00;font-size:12px;max-width:260px;font-weight:600}
#editor .bad{color:#a00;font-weight:600} #editor .good{color:#1a6b1a}
#editor-grids{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:12px}
#editor-grids>div{overflow-x:auto}
#editor .bar{display:flex;gap:10px;align-items:center;flex-wrap:wrap}
#editor .bar label{display:inline;margin:0}
</style>
<h2>Scenario editor</h2>
<div class="bar"><label for="editor-source">Start from</label><select id="editor-source"></select>
  <label for="editor-title">title</label><input type="text" id="editor-title">
  <span id="editor-state"></span></div>
<p id="editor-kept" class="small"></p>
<div id="editor-problems"></div>
<div id="editor-grids"></div>
<div class="bar" style="margin-top:10px"><label for="editor-name">Save as</label>
  <input type="text" id="editor-name" placeholder="file name">.yaml
  <label><input type="checkbox" id="editor-overwrite"> replace a file saved earlier</label>
  <label for="editor-model">then run</label><select id="editor-model"></select>
  <button type="button" id="editor-save">Save and run</button></div>
<p id="editor-message"></p>
<div class="plot" id="editor-plot"></div>`;
  fill(document.getElementById("editor-source"), scenarios.map(s => ({value: s.name, label: s.title})));
  fill(document.getElementById("editor-model"), models.map(m => ({value: m.name, label: m.name})), "mean");
  document.getElementById("editor-source").addEventListener("change", e => loadDocument(e.target.value));
  document.getElementById("editor-title").addEventListener("change", scheduleCheck);
  document.getElementById("editor-save").addEventListener("click", saveAndRun);
  return loadDocument(document.getElementById("editor-source").value);
}
