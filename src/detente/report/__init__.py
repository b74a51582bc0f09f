"""A self-contained HTML report: one file that opens offline, Plotly.js inlined from the
installed ``plotly`` package (no CDN). It renders the plain data of
:func:`detente.analysis.report_data.report_data`; it never runs a model.
"""

from __future__ import annotations

import html
import json
from importlib import resources
from pathlib import Path
from typing import Any


def plotly_js() -> str:
    """Plotly.js as shipped inside the installed plotly package."""
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    return path.read_text(encoding="utf-8")


def plots_js() -> str:
    return resources.files("detente.web").joinpath("static/plots.js").read_text(encoding="utf-8")


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _evidence_text(items: list[dict[str, Any]], sources: dict[str, Any]) -> str:
    """Evidence in words, for a tooltip and a footnote."""
    parts = []
    for item in items:
        if "assumption" in item:
            parts.append(f"assumption: {item['assumption']}")
            continue
        src = sources.get(item["source"], {})
        where = f", para {item['paragraph']}" if item.get("paragraph") else ""
        parts.append(f"{src.get('title', item['source'])}{where}: {item['says']} "
                     f"({item.get('confidence', '')})")
    return " | ".join(parts)


def _cell(value: str, items: list[dict[str, Any]], sources: dict[str, Any]) -> str:
    text = _evidence_text(items, sources)
    mark = "assumed" if items and "assumption" in items[0] else ("cited" if items else "")
    badge = f' <span class="ev {mark}">{mark}</span>' if mark else ""
    return f'<td title="{_e(text)}">{_e(value)}{badge}</td>'


def scenario_section(sc: dict[str, Any]) -> str:
    sources = sc["sources"]
    actors = {a["id"]: a for a in sc["actors"]}
    rows = "".join(
        f"<tr><td>{_e(a['name'])}</td>"
        + _cell("—" if a["capability"] is None else f"{a['capability']:.3g}",
                a["capability_evidence"], sources) + "</tr>" for a in sc["actors"])
    issues = "".join(
        f"<tr><td>{_e(i['name'])}</td><td>{i['low']:g} = {_e(i['low_label'])}</td>"
        f"<td>{i['high']:g} = {_e(i['high_label'])}</td>"
        f"<td>{_e('; '.join(f'{k}: {v}' for k, v in i['points'].items()))}</td></tr>"
        for i in sc["issues"])
    stance_rows = "".join(
        f"<tr><td>{_e(actors[s['actor']]['name'])}</td><td>{_e(s['issue'])}</td>"
        + _cell(f"{s['position']:.3g}" + (f" ({s['position_range'][0]:.3g}–"
                                           f"{s['position_range'][1]:.3g})"
                                           if s['position_range'][0] != s['position_range'][1]
                                           else ""), s["position_evidence"], sources)
        + _cell(f"{s['salience']:.2f}", s["salience_evidence"], sources) + "</tr>"
        for s in sc["stances"])
    cited = "".join(
        f"<li><b>{_e(k)}</b>: {_e(v.get('title'))}"
        + (f", {_e(v.get('outlet'))}" if v.get("outlet") else "")
        + (f", {_e(v.get('date'))}" if v.get("date") else "")
        + (f' — <a href="{_e(v.get("url"))}">{_e(v.get("url"))}</a>' if v.get("url") else "")
        + (f' — <a href="{_e(v.get("file"))}">{_e(v.get("file"))}</a>' if v.get("file") else "")
        + (f". {_e(v.get('note'))}" if v.get("note") else "") + "</li>"
        for k, v in sources.items())
    return f"""
<section id="scenario"><h2>The scenario at a glance</h2>
<p>{_e(sc['description'])}</p>
<p class="small">As of {_e(sc['as_of'])}; {sc['values']} values. Hover over a value for its
evidence (source, paragraph, paraphrase, confidence) or the assumption behind it.</p>
<div class="grid"><div><h3>Actors</h3><table><tr><th>actor</th><th>capability</th></tr>{rows}
</table></div><div><h3>Issues and their scales</h3><table><tr><th>issue</th><th>low end</th>
<th>high end</th><th>labelled points</th></tr>{issues}</table></div></div>
<h3>Positions and saliences</h3><table class="stances"><tr><th>actor</th><th>issue</th>
<th>position (range)</th><th>salience</th></tr>{stance_rows}</table>
<h3>Sources</h3><ul>{cited}</ul></section>"""


CSS = """
body{font-family:system-ui,sans-serif;margin:24px auto;max-width:1200px;color:#222;padding:0 16px}
h1{margin-bottom:4px} h2{border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:32px}
table{border-collapse:collapse;font-size:13px;margin:8px 0} td,th{border:1px solid #ddd;
padding:3px 8px;text-align:left} th{background:#f4f4f4} .small{font-size:12px;color:#555}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:16px} .plots{display:grid;
grid-template-columns:1fr 1fr;gap:12px} .plot{border:1px solid #eee;min-height:320px}
.ev{font-size:10px;border-radius:3px;padding:0 3px;margin-left:4px}.cited{background:#e6f2ff}
.assumed{background:#fff2d9} pre{background:#f7f7f7;padding:8px;font-size:12px;overflow:auto}
.skipped{color:#a00;font-size:13px}
"""


def render_report(data: dict[str, Any]) -> str:
    """The report as one HTML string (Plotly.js inlined, about 5 MB)."""
    sc = data["scenario"]
    payload = json.dumps(data).replace("</", "<\\/")
    prov = json.dumps(data["provenance"], indent=2)
    neg = "".join(
        f'<h3>{_e(m)}</h3>' + (f'<p class="skipped">not run: {_e(r["skipped"])}</p>'
                              if "skipped" in r else
                              '<div class="plots">' + "".join(
                                  f'<div class="plot" id="neg-{_e(m)}-{k}"></div>'
                                  for k in range(len(sc["issues"]))) + "</div>")
        for m, r in data["negotiation"].items())
    war = ""
    if "war" in data:
        war = """<section id="war"><h2>The war: bargaining while fighting</h2>
<p class="small">Each hypothesis is a reading of the evidence; every lever is compared with the
baseline of its hypothesis using common random numbers.</p>
<div class="plots"><div class="plot" id="agreement"></div><div class="plot" id="endmodes"></div>
<div class="plot" id="durations"></div><div class="plot" id="terms"></div></div>
<div class="plot" id="forest"></div></section>"""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>detente report: {_e(sc['name'])}</title>
<style>{CSS}</style><script>{plotly_js()}</script><script>{plots_js()}</script></head>
<body><h1>{_e(sc['name'])}</h1><p class="small">detente {_e(data['provenance']['version'])}
report; opens offline.</p>
{scenario_section(sc)}
<section id="negotiation"><h2>The talking: negotiation models</h2>
<p class="small">Actor positions round by round on each issue and each model's forecast
(dashed); draw 0 holds the point estimates.</p>{neg}</section>
{war}
<section id="provenance"><h2>Provenance</h2><pre>{_e(prov)}</pre></section>
<script type="application/json" id="report-data">{payload}</script>
<script>
const DATA = JSON.parse(document.getElementById("report-data").textContent);
const SC = DATA.scenario;
for (const [model, run] of Object.entries(DATA.negotiation)) {{
  if (run.skipped) continue;
  SC.issues.forEach((_, k) => plotTrajectory(`neg-${{model}}-${{k}}`, run, SC, k, model));
}}
if (DATA.war) {{
  plotAgreement("agreement", DATA.war.hypotheses);
  plotEndModes("endmodes", DATA.war.hypotheses);
  plotDurations("durations", DATA.war.hypotheses);
  plotTerms("terms", DATA.war.hypotheses, SC);
  plotForest("forest", DATA.war.comparison);
}}
document.body.dataset.rendered = "yes";
</script></body></html>
"""
