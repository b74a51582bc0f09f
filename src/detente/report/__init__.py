"""A self-contained HTML report: one file that opens offline, Plotly.js inlined from the
installed ``plotly`` package (no CDN). It renders the plain data of
:func:`detente.analysis.report_data.report_data` through the Jinja2 templates in
``report/templates`` (autoescaped); it never runs a model.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import markupsafe


def plotly_js() -> str:
    """Plotly.js as shipped inside the installed plotly package."""
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    return path.read_text(encoding="utf-8")


def plots_js() -> str:
    return resources.files("detente.web").joinpath("static/plots.js").read_text(encoding="utf-8")


def evidence_text(items: list[dict[str, Any]], sources: dict[str, Any]) -> str:
    """Evidence in words, for a tooltip: source title, paragraph, paraphrase, confidence."""
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


def evidence_mark(items: list[dict[str, Any]]) -> str:
    """'cited', 'assumed' or '' (no evidence given: a default or an unsupported number)."""
    if not items:
        return ""
    return "assumed" if "assumption" in items[0] else "cited"


def number(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}g}"


def quantity(row: dict[str, Any]) -> str:
    """'0.3' for a point, '0.3 (triangular 0.1–0.5)' for a distribution."""
    if row["dist"] is None:
        return number(row["point"])
    lo, hi = (number(v) if v is not None else "∞" for v in row["support"])
    return f"{number(row['point'])} ({row['dist']} {lo}–{hi})"


def marked(paragraph: dict[str, Any]) -> markupsafe.Markup:
    """A cited paragraph's text, escaped, with its extracted numbers in ``<mark>`` (the spans of
    :func:`detente.evidence.view.cited_paragraph`, offsets into the text)."""
    text, out, at = paragraph["text"], [], 0
    for n in sorted(paragraph["numbers"], key=lambda n: n["start"]):
        if n["start"] < at:
            continue  # an overlapping span: the first one is marked
        out += [markupsafe.escape(text[at:n["start"]]),
                markupsafe.Markup("<mark>%s</mark>") % text[n["start"]:n["end"]]]
        at = n["end"]
    out.append(markupsafe.escape(text[at:]))
    return markupsafe.Markup("").join(out)


@cache
def environment() -> jinja2.Environment:
    # the compiled templates are cached on disk (jinja's per-user temporary directory): compiling
    # them was a quarter of a second of every report
    env = jinja2.Environment(loader=jinja2.PackageLoader("detente.report", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True,
                             bytecode_cache=jinja2.FileSystemBytecodeCache())
    env.filters.update(evidence_text=evidence_text, evidence_mark=evidence_mark, number=number,
                       quantity=quantity, marked=marked)
    return env


def chart_data(data: dict[str, Any]) -> dict[str, Any]:
    """What the report's scripts read of ``data``: all of it but, on a coupled scenario, the
    lever comparison (its charts and tables are drawn from ``war.coupled``; the comparison's
    numbers are in the page's tables)."""
    war = data.get("war")
    if not war or "coupled" not in war:
        return data
    return {**data, "war": {k: v for k, v in war.items() if k != "comparison"}}


def render_report(data: dict[str, Any]) -> str:
    """The report as one HTML string (Plotly.js inlined, about 5 MB)."""
    payload = json.dumps(chart_data(data), separators=(",", ":")).replace("</", "<\\/")
    return environment().get_template("report.html.j2").render(
        data=data, sc=data["scenario"], sources=data["scenario"]["sources"],
        provenance=json.dumps(data["provenance"], indent=2), payload=payload,
        plotly_js=plotly_js(), plots_js=plots_js())
