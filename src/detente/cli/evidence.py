"""``detente evidence``: read articles offline and link them to a scenario's values.

``extract`` lists quotes, numbers, dates and mentions per paragraph; ``suggest`` ranks
paragraphs for the values that cite nothing and can write a copy of the scenario with them;
``check`` tells whether each cited paragraph supports its ``says``. Only typer and the standard
library are imported here; the NLP stack loads inside the commands.
"""

from pathlib import Path
from typing import Annotated, Any

import typer

evidence_app = typer.Typer(help="Read articles offline: quotes, numbers, dates, mentions; link "
                                "them to a scenario's values and check its citations.",
                           no_args_is_help=True)

ArticlesArg = Annotated[list[Path], typer.Argument(help="Article files (plain text or HTML).")]
DateOpt = Annotated[str | None, typer.Option("--date", help="The articles' date, YYYY-MM-DD: "
                                             "relative dates resolve against it.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
ScenarioArg = Annotated[Path, typer.Argument(help="Scenario file (YAML/JSON).")]


def _cli() -> Any:
    import detente.cli as cli

    return cli


def _warn_dates(extractions: list[Any]) -> None:
    cli = _cli()
    for ex in extractions:
        if ex.article.date is None and ex.unresolved_dates:
            cli.err.print(f"warning: {ex.article.path}: {ex.unresolved_dates} relative date(s) "
                          "left unresolved (date null): the article states no date; give "
                          "--date YYYY-MM-DD", highlight=False, soft_wrap=True)


@evidence_app.command("extract")
def extract_cmd(
    articles: ArticlesArg,
    date: DateOpt = None,
    scenario: Annotated[Path | None, typer.Option("--scenario", "-s", help="Scenario whose "
                                                  "actors, issues and levers to find.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Quotes with speakers, numbers with units, dates and mentions, paragraph by paragraph."""
    from detente.evidence.extract import extract
    from detente.evidence.read import parse_date_option, read_article

    day = parse_date_option(date)
    sc = _cli()._load(scenario, None) if scenario is not None else None
    fallback = _source_dates(sc, articles) if sc is not None else {}
    found = [extract(read_article(a, day, fallback.get(a.name)), sc) for a in articles]
    _warn_dates(found)
    if as_json:
        _cli().print_json({"articles": [ex.to_dict() for ex in found]})
        return
    for ex in found:
        _render_extraction(ex)


def _source_dates(sc: Any, articles: list[Path]) -> dict[str, Any]:
    """Article file name -> the date of the scenario source that is that file."""
    names = {a.name for a in articles}
    return {Path(s.file).name: s.date for s in sc.sources
            if s.file and s.date and Path(s.file).name in names}


def _render_extraction(ex: Any) -> None:
    from rich.markup import escape
    from rich.table import Table

    a = ex.article
    when = f"{a.date} (from {a.date_from})" if a.date else "no date"
    table = Table(title=f"{a.path}: {len(a.paragraphs)} paragraphs, {when}", title_justify="left")
    for col in ("¶", "kind", "found", "reads as"):
        table.add_column(col)
    for p in ex.paragraphs:
        rows = [("quote", q.text, q.speaker or "(unnamed)") for q in p.quotes]
        rows += [("number", n.text, f"{_amount(n.value)} {n.unit or ''}".strip())
                 for n in p.numbers]
        rows += [("date", d.text, (d.date or "unresolved") + (" (partial)" if d.partial else ""))
                 for d in p.dates]
        rows += [(m.kind, m.text, m.id) for m in p.mentions]
        for kind, text, value in rows:
            table.add_row(str(p.number), kind, escape(text), escape(str(value)))
    _cli().out.print(table)


def _amount(v: Any) -> str:
    if isinstance(v, tuple):
        return "–".join(_amount(x) for x in v)
    return f"{v:,.10g}"


def _read_for(scenario: Path, articles: list[Path], date: str | None) -> tuple[Any, Any, Any]:
    from detente.evidence.read import parse_date_option
    from detente.evidence.sources import locate, read_sources

    day = parse_date_option(date)
    sc = _cli()._load(scenario, None)
    located = locate(sc, scenario, articles)
    read = read_sources(located, sc, day)
    if not read:
        _cli().err.print(f"warning: {scenario}: none of its sources has an article file here "
                         "(sources[].file, relative to the scenario or the working folder); "
                         "give the articles as arguments", highlight=False, soft_wrap=True)
    _warn_dates(list(read.values()))
    return sc, located, read


@evidence_app.command("suggest")
def suggest_cmd(
    scenario: ScenarioArg,
    articles: Annotated[list[Path] | None, typer.Argument(
        help="Article files (default: the scenario's sources[].file).")] = None,
    top: Annotated[int, typer.Option(help="Paragraphs suggested per value.", min=1, max=20)] = 3,
    write: Annotated[Path | None, typer.Option("--write", help="Write a copy of the scenario "
                                               "with the best suggestion of each value that has "
                                               "neither cite nor assumption as a `cite`.")] = None,
    min_score: Annotated[float | None, typer.Option(
        help="Lowest BM25 score --write accepts (default 2).", min=0.0)] = None,
    date: DateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Paragraphs most likely to support each value that cites nothing (BM25)."""
    from detente.evidence.link import gaps, rank

    sc, located, read = _read_for(scenario, articles or [], date)
    found = rank(read, gaps(sc), top)
    if min_score is not None and write is None:
        _cli().err.print("warning: --min-score only applies with --write; nothing is written",
                         highlight=False)
    written = _write_suggestions(sc, scenario, located, found, write,
                                 2.0 if min_score is None else min_score) if write else None
    if as_json:
        _cli().print_json({"scenario": str(scenario), "values": len(found),
                           "gaps": [g.to_dict() for g in found], "written": written})
        return
    _render_gaps(found)


def _write_suggestions(sc: Any, scenario: Path, located: list[Any], found: list[Any],
                       out: Path, min_score: float) -> dict[str, Any]:
    import os

    from detente.errors import InputError, problem
    from detente.evidence.link import with_citations
    from detente.scenario.schema import Scenario
    from detente.scenario.write import dump_scenario, scenario_document, write_text_atomic

    if out.resolve() == scenario.resolve():
        raise InputError([problem("--write must name a new file; it never overwrites the "
                                  "scenario it reads", ("write",), value=str(out))])
    accepted = [(g, g.suggestions[0]) for g in found
                if g.assumption is None and g.suggestions and g.suggestions[0].score >= min_score]
    kept = sum(1 for g in found if g.assumption is not None and g.suggestions)
    cli = _cli()
    if kept:
        cli.err.print(f"warning: {kept} value(s) rest on an `assumption`; their suggestions are "
                      "listed, not written (a value has either cite or assumption)",
                      highlight=False, soft_wrap=True)
    if not accepted:
        cli.err.print(f"warning: no value with neither cite nor assumption has a suggestion "
                      f"scoring --min-score {min_score:g} or more; {out} is a plain copy of the "
                      "scenario", highlight=False, soft_wrap=True)
    here = out.resolve().parent
    files = {s.id: os.path.relpath(s.file.resolve(), here) for s in located if s.file is not None}
    doc = scenario_document(sc)
    for src in doc.get("sources", []):  # the copy may sit elsewhere: paths relative to it
        if src["id"] in files:
            src["file"] = files[src["id"]]
    new = {s.id: files[s.id] for s in located if not s.declared and s.file is not None}
    doc = with_citations(doc, accepted, new)
    fmt = "json" if out.suffix.lower() == ".json" else "yaml"
    write_text_atomic(out, dump_scenario(Scenario.model_validate(doc), fmt))
    cli.err.print(f"wrote {out}: {len(accepted)} citation(s) added", highlight=False)
    return {"file": str(out), "citations_added": len(accepted)}


def _render_gaps(found: list[Any]) -> None:
    from rich.markup import escape
    from rich.table import Table

    cli = _cli()
    if not found:
        cli.out.print("every value of the scenario cites a source")
        return
    table = Table(title=f"{len(found)} values without a citation", title_justify="left")
    for col in ("value", "now", "suggested ¶ (BM25)", "shared terms", "numbers / quotes there"):
        table.add_column(col)
    for g in found:
        now = "assumption" if g.assumption else "nothing"
        if not g.suggestions:
            table.add_row(g.where, now, "—", "", "")
        for k, s in enumerate(g.suggestions):
            extra = "; ".join([n["text"] for n in s.numbers] +
                              [f"“{q['text'][:40]}…” ({q['speaker'] or 'unnamed'})"
                               for q in s.quotes])
            table.add_row(g.where if k == 0 else "", now if k == 0 else "",
                          f"{s.source} ¶{s.paragraph} ({s.score:.2f})", ", ".join(s.shared),
                          escape(extra))
    cli.out.print(table)


@evidence_app.command("check")
def check_cmd(
    scenario: ScenarioArg,
    articles: Annotated[list[Path] | None, typer.Argument(
        help="Article files (default: the scenario's sources[].file).")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when a value's citations "
                                         "have no support.")] = False,
    date: DateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Does each cited paragraph exist and share the claim's key terms and numbers?"""
    from detente.evidence.check import check, flagged

    sc, located, read = _read_for(scenario, articles or [], date)
    files = {s.id: (str(s.file) if s.file else None) for s in located}
    checks = check(sc, files, read)
    bad = flagged(checks)
    counts = {k: sum(c.support == k for c in checks)
              for k in ("strong", "weak", "none", "unchecked")}
    if as_json:
        _cli().print_json({"scenario": str(scenario), "citations": len(checks),
                           "support": counts, "unsupported_values": bad,
                           "checks": [c.to_dict() for c in checks]})
    else:
        _render_checks(checks, bad, counts)
    if strict and bad:
        raise typer.Exit(1)


def _render_checks(checks: list[Any], bad: list[str], counts: dict[str, int]) -> None:
    from rich.table import Table

    cli = _cli()
    table = Table(title=f"{len(checks)} citations", title_justify="left")
    for col in ("field", "source", "¶", "support", "overlap", "why / missing terms"):
        table.add_column(col)
    colour = {"strong": "green", "weak": "yellow", "none": "red", "unchecked": "dim"}
    for c in checks:
        why = c.reason or ", ".join(c.missing_terms[:6])
        table.add_row(c.field, c.source, str(c.paragraph or "—"),
                      f"[{colour[c.support]}]{c.support}[/]", f"{c.overlap:.2f}", why)
    cli.out.print(table)
    cli.out.print(", ".join(f"{k} {v}" for k, v in counts.items())
                  + f"; {len(bad)} value(s) without support", highlight=False)
    for field in bad:
        cli.out.print(f"[red]unsupported[/]: {field}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the ``evidence`` command group to the main app; bad input exits 2."""
    cli = _cli()
    for command in evidence_app.registered_commands:
        command.callback = cli.reports_input_errors(command.callback)
    app.add_typer(evidence_app, name="evidence")
