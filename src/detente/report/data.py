"""The report's whole document: :func:`detente.analysis.report_data.report_data` plus the parts
that read the user's own files at report time (cited paragraphs from the article files, the
forecast ledger) and the optional sensitivity part. Plain data; the templates render it.

The article text is never stored in the repository: it is read here, from ``sources[].file``
(relative to the scenario file, then to the working directory), each time a report is made.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from detente.errors import InputError, problem


def cited_text(scenario: Any, scenario_path: Path) -> dict[str, Any]:
    """Every cited paragraph keyed ``"SOURCE#PARAGRAPH"``: ``{"text", "numbers": [{"start",
    "end", ...}]}`` (offsets into ``text``, :func:`detente.evidence.view.cited_paragraph`), or
    ``{"missing": why}`` when the article file is absent, unreadable or too short."""
    from detente.evidence.check import iter_citations
    from detente.evidence.extract import extract
    from detente.evidence.read import read_article
    from detente.evidence.sources import locate
    from detente.evidence.view import cited_paragraph

    declared = {s.id: s.file for s in scenario.sources}
    files = {s.id: s.file for s in locate(scenario, Path(scenario_path), [])}
    read: dict[str, Any] = {}
    out: dict[str, Any] = {}
    for _, _, c in iter_citations(scenario):
        key = f"{c.source}#{c.paragraph}"
        if c.paragraph is None or key in out:
            continue
        file = files.get(c.source)
        if file is None:
            named = declared.get(c.source)
            out[key] = {"missing": f"article file {named} not found" if named
                        else "no article file given for this source"}
            continue
        if c.source not in read:
            try:
                read[c.source] = extract(read_article(file))
            except InputError as e:
                read[c.source] = f"cannot read {file}: {e.problems[0].message}"
        if isinstance(read[c.source], str):
            out[key] = {"missing": read[c.source]}
            continue
        shown = cited_paragraph(c, file, read[c.source])
        out[key] = shown if shown is not None else {
            "missing": f"{file} has no paragraph {c.paragraph}"}
    return out


def ledger_section(ledger: str | Path) -> dict[str, Any]:
    """The forecast ledger's questions, forecasts over time, scores and reliability diagram
    (:func:`detente.forecast.report.ledger_view`); a ledger file must already exist."""
    from detente.forecast.ledger import open_ledger
    from detente.forecast.report import ledger_view

    text = str(ledger)
    if "://" not in text and not Path(text).is_file():
        raise InputError([problem("no such ledger file", ("ledger",), value=text)])
    return ledger_view(open_ledger(ledger).entries())


def report_document(scenario: Any, scenario_path: Path, runs: int = 5000, seed: int = 0,
                    draws: int = 200, sensitivity: str | None = None,
                    ledger: str | Path | None = None) -> dict[str, Any]:
    """Everything the report shows: the scenario's analyses, the cited paragraphs' text, and
    with ``sensitivity`` (an outcome such as ``p_deal@26``) a tornado and a robust lever
    ranking, with ``ledger`` the forecast ledger's section."""
    from detente.analysis.report_data import report_data, sensitivity_outcome, sensitivity_section

    if sensitivity is not None:
        sensitivity_outcome(scenario, sensitivity)  # bad input fails before the long runs
    ledger_part = ledger_section(ledger) if ledger is not None else None
    data = report_data(scenario, runs=runs, seed=seed, draws=draws)
    data["cited_text"] = cited_text(scenario, scenario_path)
    if sensitivity is not None:
        data["sensitivity"] = sensitivity_section(scenario, sensitivity, seed=seed)
    if ledger_part is not None:
        data["ledger"] = ledger_part
    return data
