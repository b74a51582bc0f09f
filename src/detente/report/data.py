"""The report's whole document: :func:`detente.analysis.report_data.report_data` plus the parts
that read the user's own files at report time (cited paragraphs from the article files, the
forecast ledger) and the optional sensitivity part. Plain data; the templates render it.

The article text is never stored in the repository: it is read here, from ``sources[].file``
(relative to the scenario file, then to the working directory), each time a report is made.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from detente.errors import InputError, problem


def cited_text(scenario: Any, scenario_path: Path) -> dict[str, Any]:
    """Every cited paragraph keyed ``"SOURCE#PARAGRAPH"``: ``{"text", "numbers": [{"start",
    "end", ...}]}`` (offsets into ``text``, :func:`detente.evidence.view.cited_paragraph`), or
    ``{"missing": why}`` when the article file is absent, unreadable or too short.

    Each article's number and quote spans come from the evidence cache
    (:mod:`detente.evidence.cache`) when it holds them for this article's content, else from
    :func:`detente.evidence.extract.extract` (then stored)."""
    from detente.evidence.check import iter_citations
    from detente.evidence.read import read_article
    from detente.evidence.sources import locate

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
                article = read_article(file)
                read[c.source] = (article.paragraphs, paragraph_spans(article))
            except InputError as e:
                read[c.source] = f"cannot read {file}: {e.problems[0].message}"
        if isinstance(read[c.source], str):
            out[key] = {"missing": read[c.source]}
            continue
        texts, spans = read[c.source]
        if c.paragraph > len(texts):
            out[key] = {"missing": f"{file} has no paragraph {c.paragraph}"}
            continue
        shown = spans[c.paragraph - 1]
        out[key] = {"source": c.source, "paragraph": c.paragraph, "says": c.says,
                    "text": texts[c.paragraph - 1], "numbers": shown["numbers"],
                    "quotes": shown["quotes"]}
    return out


# the extraction options the cached spans depend on (part of the cache key)
SPAN_OPTIONS = "report-spans-v1;scenario=none;resolve_dates=false"


def paragraph_spans(article: Any) -> list[dict[str, Any]]:
    """For each paragraph of ``article``, ``{"numbers": [{"start", "end", "value", "unit"}],
    "quotes": [{"start", "end", "speaker"}]}`` exactly as
    :func:`detente.evidence.view.cited_paragraph` gives them, from the evidence cache when it
    holds this article's content, else extracted now and stored."""
    from detente.evidence import cache

    key = cache.entry_key(cache.paragraphs_digest(article.paragraphs), SPAN_OPTIONS)
    hit = cache.load(key)
    if _well_formed(hit, len(article.paragraphs)):
        return hit
    from detente.evidence.extract import extract

    paragraphs = extract(article, resolve_dates=False).paragraphs
    spans = [{"numbers": [{"start": n.start, "end": n.end,
                           "value": list(n.value) if isinstance(n.value, tuple) else n.value,
                           "unit": n.unit} for n in p.numbers],
              "quotes": [{"start": q.start, "end": q.end, "speaker": q.speaker}
                         for q in p.quotes]} for p in paragraphs]
    cache.store(key, spans)
    return spans


def _well_formed(spans: Any, n: int) -> bool:
    """Is a cached value ``n`` paragraphs' spans as :func:`paragraph_spans` makes them (else it is
    recomputed)? Offsets are checked as ints; values and units are shown as they are."""
    if not isinstance(spans, list) or len(spans) != n:
        return False
    for item in spans:
        if not isinstance(item, dict) or not isinstance(item.get("numbers"), list) \
                or not isinstance(item.get("quotes"), list):
            return False
        for span in (*item["numbers"], *item["quotes"]):
            if not isinstance(span, dict) or not isinstance(span.get("start"), int) \
                    or not isinstance(span.get("end"), int):
                return False
    return True


def ledger_section(ledger: str | Path) -> dict[str, Any]:
    """The forecast ledger's questions, forecasts over time, scores and reliability diagram
    (:func:`detente.forecast.report.ledger_view`); a ledger file must already exist."""
    from detente.forecast.ledger import open_ledger
    from detente.forecast.report import ledger_view

    text = str(ledger)
    if "://" not in text and not Path(text).is_file():
        raise InputError([problem("no such ledger file", ("ledger",), value=text)])
    return ledger_view(open_ledger(ledger).entries())


# What each kind of analysis file must hold for its charts: `detente sensitivity --json` (by
# method), `detente discover --json`, and `detente compare --robust --json` (its "robust" part).
NEEDS: dict[str, tuple[str, ...]] = {
    "sobol": ("outcome", "inputs", "indices"), "morris": ("outcome", "inputs", "indices"),
    "tornado": ("outcome", "inputs", "bars", "base"),
    "discover": ("where", "inputs", "box", "trajectory", "chosen_step"),
    "robust": ("outcome", "hypotheses", "ranking", "ranking_changes"),
}
SENSITIVITY_METHODS = ("sobol", "morris", "tornado")
# ... and what each row of its lists must hold: (list, fields) per kind.
ROWS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "sobol": (("indices", ("name", "evidence", "S1", "S1_conf", "ST", "ST_conf",
                           "indistinguishable_from_zero")), ("inputs", ("name",))),
    "morris": (("indices", ("name", "evidence", "mu_star", "mu_star_conf", "sigma")),
               ("inputs", ("name",))),
    "tornado": (("bars", ("name", "evidence", "at_p05", "at_p95", "low", "high", "swing")),
                ("inputs", ("name",))),
    "discover": (("trajectory", ("step", "coverage", "density", "mass", "restricted")),
                 ("inputs", ("name",))),
    "robust": (("ranking", ("option", "levers", "expected", "worst", "max_regret", "rank",
                            "by_hypothesis")),),
}


def analysis_requests(sensitivity: Sequence[str] | None, discover: Sequence[Path] | None,
                      robust: Sequence[Path] | None
                      ) -> tuple[str | None, list[tuple[str, str | Path]]]:
    """The report's analysis options: at most one ``--sensitivity`` outcome (computed here) and
    the (option, file) pairs of the ``.json`` files given to ``--sensitivity``, ``--discover``
    and ``--robust``, in that order."""
    files = [v for v in sensitivity or [] if v.endswith(".json") or Path(v).is_file()]
    outcomes = [v for v in sensitivity or [] if v not in files]
    if len(outcomes) > 1:
        raise InputError([problem("--sensitivity takes one outcome (and any number of .json "
                                  "files)", ("sensitivity",), value=o) for o in outcomes[1:]])
    pairs: list[tuple[str, str | Path]] = [("sensitivity", f) for f in files]
    pairs += [("discover", f) for f in discover or []] + [("robust", f) for f in robust or []]
    return (outcomes[0] if outcomes else None), pairs


def read_analysis(option: str, file: str | Path) -> dict[str, Any]:
    """The ``--json`` output of `detente sensitivity` (``option`` "sensitivity"), `detente
    discover` ("discover") or `detente compare --robust` ("robust") read from ``file``, with
    ``kind`` (sobol, morris, tornado, discover, robust) and ``file`` added. InputError when the
    file is missing, is not JSON, or is not the output that option takes."""
    import json

    path = Path(file)
    where = (f"--{option}",)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise InputError([problem(f"cannot read the {option} file: {e.strerror}", where,
                                  value=str(file))]) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError([problem(f"not JSON: {e.msg}", where, line=e.lineno)], str(file)) \
            from None
    if option == "robust" and isinstance(doc, dict) and isinstance(doc.get("robust"), dict):
        doc = doc["robust"]  # the whole `compare --robust --json` object
    kind = _kind(option, doc)
    missing = [k for k in NEEDS.get(kind or "", ()) if k not in doc]
    if kind is None or missing:
        what = {"sensitivity": "`detente sensitivity --json`", "discover":
                "`detente discover --json`", "robust": "`detente compare --robust --json`"}
        detail = f"; it lacks {', '.join(missing)}" if missing else ""
        raise InputError([problem(f"not the output of {what[option]}{detail}", where,
                                  value=str(file))], str(file))
    problems = _row_problems(kind, doc, where)
    if problems:
        raise InputError(problems, str(file))
    return {**doc, "kind": kind, "file": path.name}


def _kind(option: str, doc: Any) -> str | None:
    if not isinstance(doc, dict):
        return None
    if option == "sensitivity":
        return doc.get("method") if doc.get("method") in SENSITIVITY_METHODS else None
    return option if all(k in doc for k in NEEDS[option][:2]) else None


def _row_problems(kind: str, doc: dict[str, Any], where: tuple[str, ...]) -> list[Any]:
    """Every row of the file's lists (and a PRIM box's limits) that lacks a field its chart
    draws, all in one pass."""
    lists = [(key, doc[key], fields) for key, fields in ROWS[kind]]
    if kind == "discover":
        box = doc["box"] if isinstance(doc["box"], dict) else {}
        lists.append(("box.limits", box.get("limits"),
                      ("name", "evidence", "lower", "upper", "sampled")))
    out = []
    for key, rows, fields in lists:
        if not isinstance(rows, list):
            out.append(problem("must be a list", (*where, key)))
            continue
        for k, row in enumerate(rows):
            lacks = [f for f in fields if not isinstance(row, dict) or f not in row]
            if lacks:
                out.append(problem(f"lacks {', '.join(lacks)}", (*where, key, k)))
    return out


def analysis_view(doc: dict[str, Any], scenario: Any) -> dict[str, Any]:
    """One analysis file shaped for its chart: Sobol rows by total index, Morris rows by mu*,
    tornado bars by swing (largest first); a PRIM box with each restricted input's limits as
    shares of its sampled range; a robust ranking with each lever's evidence status from this
    scenario. ``notes`` say where the file does not match the scenario."""
    kind, notes = doc["kind"], []
    out = {k: v for k, v in doc.items() if k not in ("x", "y")}
    if kind == "sobol":
        out["indices"] = sorted(doc["indices"], key=lambda r: -r["ST"])
    elif kind == "morris":
        out["indices"] = sorted(doc["indices"], key=lambda r: -r["mu_star"])
    elif kind == "tornado":
        out["bars"] = sorted(doc["bars"], key=lambda b: -b["swing"])
    elif kind == "discover":
        out["box"] = {**doc["box"], "limits": [_shares(lim) for lim in doc["box"]["limits"]]}
    else:
        out["ranking"], unknown = _lever_evidence(doc["ranking"], scenario)
        if unknown:
            notes.append(f"lever(s) {', '.join(unknown)} are not in this scenario: the ranking "
                         "was computed on another scenario file")
    if kind in ("sobol", "morris", "tornado", "discover"):
        absent = [i["name"] for i in doc["inputs"] if not _known_input(i["name"], scenario)]
        if absent:
            notes.append(f"input(s) {', '.join(absent)} are not in this scenario's war part: "
                         "the analysis was computed on another scenario file")
    out["notes"] = notes
    return out


def _shares(limit: dict[str, Any]) -> dict[str, Any]:
    """A PRIM limit with ``from``/``to``: where the box's bounds sit in the sampled range (0-1;
    an open side is the range's end)."""
    lo, hi = limit["sampled"]
    span = (hi - lo) or 1.0
    low = lo if limit["lower"] is None else limit["lower"]
    high = hi if limit["upper"] is None else limit["upper"]
    return {**limit, "from": (low - lo) / span, "to": (high - lo) / span}


def _lever_evidence(ranking: list[dict[str, Any]], scenario: Any
                    ) -> tuple[list[dict[str, Any]], list[str]]:
    from detente.analysis.sensitivity import evidence_status

    status = {lv.id: evidence_status(lv) for lv in scenario.levers}
    unknown = sorted({lv for r in ranking for lv in r.get("levers", []) if lv not in status})
    rows = [{**r, "evidence": {lv: status.get(lv, "none") for lv in r.get("levers", [])}}
            for r in ranking]
    return rows, unknown


def _known_input(name: str, scenario: Any) -> bool:
    """Whether an input name of `detente sensitivity` (a war parameter such as ``R.cost``, a
    hypothesis parameter, or ``LEVER:...``) names something in this scenario."""
    from detente.scenario.war import parameter_quantities

    if ":" in name:
        return name.split(":", 1)[0] in {lv.id for lv in scenario.levers}
    if scenario.war is None:
        return False
    return name in parameter_quantities(scenario.war) or any(
        name in h.parameters for h in scenario.hypotheses)


def missing_text_warnings(cited: dict[str, Any]) -> list[str]:
    """One warning per reason a cited paragraph is shown without its text (an article file not
    found, unreadable, or too short), with how many paragraphs it leaves out: a report made
    where the articles cannot be found would otherwise look complete."""
    counts: dict[str, int] = {}
    for entry in cited.values():
        if "missing" in entry:
            counts[entry["missing"]] = counts.get(entry["missing"], 0) + 1
    hint = (" (a source's file is looked for beside the scenario file, then in the working "
            "directory)")
    return [f"{n} cited paragraph{'s' if n > 1 else ''} shown without {'their' if n > 1 else 'its'}"
            f" text: {why}{hint if 'not found' in why else ''}" for why, n in counts.items()]


def report_document(scenario: Any, scenario_path: Path, runs: int = 5000, seed: int = 0,
                    draws: int = 200, sensitivity: str | None = None,
                    ledger: str | Path | None = None,
                    analyses: Sequence[tuple[str, str | Path]] = (),
                    backend: Any = None) -> dict[str, Any]:
    """Everything the report shows: the scenario's analyses, the cited paragraphs' text, and
    with ``sensitivity`` (an outcome such as ``p_deal@26``) a tornado and a robust lever
    ranking, with ``ledger`` the forecast ledger's section, with ``analyses`` (option, file)
    pairs the charts of those `sensitivity`, `discover` and `compare --robust` outputs; the war
    variants' blocks run on ``backend`` (default this process)."""
    from detente.analysis.report_data import report_data, sensitivity_outcome, sensitivity_section

    if sensitivity is not None:
        sensitivity_outcome(scenario, sensitivity)  # bad input fails before the long runs
    files = [read_analysis(option, file) for option, file in analyses]
    ledger_part = ledger_section(ledger) if ledger is not None else None
    data = report_data(scenario, runs=runs, seed=seed, draws=draws, backend=backend)
    data["cited_text"] = cited_text(scenario, scenario_path)
    if sensitivity is not None:
        data["sensitivity"] = sensitivity_section(scenario, sensitivity, seed=seed)
    if files:
        data["analyses"] = [analysis_view(doc, scenario) for doc in files]
    if ledger_part is not None:
        data["ledger"] = ledger_part
    return data
