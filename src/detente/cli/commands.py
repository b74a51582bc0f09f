"""The ``detente`` command line's typer app: every command and its options (the helpers they share
and the console script's ``main`` are in :mod:`detente.cli`)."""

# No `from __future__ import annotations` here or in the command modules: typer would then eval
# every annotation string while it builds the commands, a fifth of `detente --help`'s time.
import contextlib
import copy
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from detente.cli import (
    _load,
    backend_from,
    err,
    located_in,
    memory_limit,
    out,
    parse_pairs,
    print_json,
    reports_input_errors,
    run_negotiation,
    warn,
)
from detente.cli.backend_options import DaskLocalOpt, SchedulerOpt, WorkersOpt
from detente.errors import InputError

app = typer.Typer(
    name="detente",
    help="Model, stress-test and forecast negotiations and the ends of wars.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    # click's plain help: typer's rich help imports rich's Markdown, Syntax and tracebacks,
    # which was half of the time `detente --help` took
    rich_markup_mode=None,
    context_settings={"max_content_width": 120},  # click's help as wide as the terminal, to 120
)



def _version(value: bool) -> None:
    if value:
        from detente import __version__

        sys.stdout.write(f"detente {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")]
        = False) -> None:
    """Model, stress-test and forecast negotiations and the ends of wars."""



FormatOpt = Annotated[
    str | None,
    typer.Option("--format", "-f", help="Input format: yaml, json, bdm-csv, ktab-csv, ktab-xml, "
                 "decide, grid-csv, grid-xlsx (default: detected)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
MaxMemoryOpt = Annotated[str | None, typer.Option(
    "--max-memory", help="Refuse requests estimated to need more memory than this (e.g. 4G, "
    "500M; default: half the machine's memory).")]
OutOpt = Annotated[Path | None, typer.Option(
    "--out", help="Write the full Results (.parquet, .nc, .csv, .zarr).")]



@app.command()
@reports_input_errors
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (YAML/JSON or a peer format).")],
    model: Annotated[str, typer.Option("--model", "-m", help="Model name (see `detente models`).")]
    = "eum",
    rounds: Annotated[int | None, typer.Option(help="Rounds for dynamic models.", min=1,
                                               max=10_000)] = None,
    draws: Annotated[int, typer.Option(help="Monte Carlo draws (draw 0 = point estimates).",
                                       min=1, max=1_000_000)] = 1,
    seed: Annotated[int, typer.Option(help="Seed of the one random generator.", min=0)] = 0,
    option: Annotated[list[str] | None, typer.Option("--option", "-O",
                                                     help="Model option key=value (repeat).")]
    = None,
    fmt: FormatOpt = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    dask_local: DaskLocalOpt = None,
    out_file: OutOpt = None,
    max_memory: MaxMemoryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a negotiation model and print its forecast per round and issue."""
    run_negotiation(scenario, model, rounds, draws, seed, option, fmt, workers, scheduler,
                    dask_local, out_file, max_memory, as_json)


@app.command()
@reports_input_errors
def models(as_json: JsonOpt = False) -> None:
    """List the negotiation models and their options with defaults."""
    from detente.options import describe
    from detente.registry import MODELS

    rows = [{"name": name, "kind": spec.kind, "summary": spec.summary,
             "options": describe(spec.options)} for name, spec in MODELS.items()]
    if as_json:
        print_json(rows)
        return
    from rich.table import Table

    table = Table(title="Models (options: default, allowed values or range; -O key=value)")
    table.add_column("model", style="bold")
    table.add_column("what it is")
    table.add_column("options")
    for r in rows:
        table.add_row(r["name"], f"{r['summary']} [{r['kind']}]",
                      "\n".join(_option_line(o) for o in r["options"]))
    out.print(table, markup=False)


def _option_line(o: dict[str, Any]) -> str:
    """``name=default (choices | range)``, as ``detente models`` lists it."""
    from detente.options import allowed_text

    allowed = (" | ".join(map(str, o["choices"])) if "choices" in o
               else allowed_text(o).removeprefix("must ").removeprefix("lie ").removeprefix("be "))
    return f"{o['name']}={o['default']} ({allowed})"


@app.command()
@reports_input_errors
def validate(
    file: Annotated[Path, typer.Argument(help="Scenario file to check.")],
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check a scenario file; report every problem with its line and field, all in one pass
    (with --json: {"valid": false, "errors": [{file, line, field, value, allowed, message}]})."""
    from detente.scenario.schema import iter_quantities

    try:
        sc = _load(file, fmt)
    except InputError as e:
        if not as_json:
            raise
        located = e if e.file is not None else e.located(str(file))
        print_json({"file": str(file), "valid": False, "errors": located.records()})
        raise typer.Exit(2) from None
    quantities = list(iter_quantities(sc))
    summary = {
        "file": str(file),
        "valid": True,
        "name": sc.name,
        "actors": len(sc.actors),
        "issues": len(sc.issues),
        "stances": len(sc.stances),
        "uncertain_values": sum(q.uncertain for _, q in quantities),
        "values_with_evidence": sum(q.has_evidence for _, q in quantities),
        "values": len(quantities),
        "scenario_sha256": sc.sha256(),
    }
    if as_json:
        print_json(summary)
        return
    out.print(f"[green]valid[/]: {file} — {summary['actors']} actors, {summary['issues']} issues, "
              f"{summary['stances']} stances; {summary['uncertain_values']} of "
              f"{summary['values']} values uncertain, {summary['values_with_evidence']} with "
              f"evidence; sha256 {summary['scenario_sha256'][:16]}…", highlight=False)


@app.command("import")
@reports_input_errors
def import_(
    file: Annotated[Path, typer.Argument(help="A peer's file: BDM CSV, KTAB CSV, decide rows, "
                                         "an actors x issues table (CSV, XLSX).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Scenario file to write "
                                         "(.yaml or .json).")],
    fmt: FormatOpt = None,
) -> None:
    """Convert a peer's input file into a detente scenario."""
    from detente.scenario.write import write_scenario

    sc = _load(file, fmt)
    write_scenario(sc, output)
    err.print(f"wrote {output}: {len(sc.actors)} actors, {len(sc.issues)} issues",
              highlight=False)


RunsOpt = Annotated[int, typer.Option(help="Monte Carlo runs.", min=1, max=2_000_000)]
SeedOpt = Annotated[int, typer.Option(help="Seed of the random generator.", min=0)]
HorizonOpt = Annotated[int | None, typer.Option(help="Weeks to simulate (default: the "
                                                "scenario's horizon).", min=1, max=1040)]
WarOptionOpt = Annotated[list[str] | None, typer.Option(
    "--option", "-O", help="War-kernel option key=value, e.g. variant=powell (repeat).")]


@app.command()
@reports_input_errors
def simulate(
    scenario: Annotated[Path, typer.Argument(help="Scenario with a `war` section.")],
    runs: RunsOpt = 10_000,
    seed: SeedOpt = 0,
    hypothesis: Annotated[str | None, typer.Option(help="Hypothesis id (default: baseline).")]
    = None,
    lever: Annotated[list[str] | None, typer.Option("--lever", "-l", help="Lever to switch on "
                                                    "(repeat).")] = None,
    horizon: HorizonOpt = None,
    option: WarOptionOpt = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    dask_local: DaskLocalOpt = None,
    max_memory: MaxMemoryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Simulate bargaining while fighting: chance of agreement, end modes, duration, terms."""
    from detente.analysis.compare import simulate_summary, war_options

    sc = _load(scenario, None)
    with located_in(scenario), backend_from(workers, scheduler, dask_local) as backend, \
            _spinner(not as_json and runs >= 50_000, f"simulating {runs:,} runs"):
        opts = war_options(parse_pairs(option))
        summary = simulate_summary(sc, hypothesis, lever or [], runs, seed, opts, horizon,
                                   backend=backend, max_memory=memory_limit(max_memory))
    warn(summary["warnings"])
    if as_json:
        print_json(summary)
        return
    from detente.views.war_text import render_simulation

    render_simulation(out, summary, sc)


@app.command()
@reports_input_errors
def compare(
    scenario: Annotated[Path, typer.Argument(help="Scenario with levers and hypotheses.")],
    hypothesis: Annotated[str, typer.Option(help="'all', or a comma list of hypothesis ids "
                                            "('baseline' = the scenario as written).")] = "all",
    levers: Annotated[str, typer.Option(help="'all', or a comma list of lever ids.")] = "all",
    runs: RunsOpt = 5_000,
    seed: SeedOpt = 0,
    horizon: HorizonOpt = None,
    option: WarOptionOpt = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    dask_local: DaskLocalOpt = None,
    robust: Annotated[bool, typer.Option("--robust", help="Also rank levers and pairs across "
                                         "hypotheses and 32 input samples (expected, worst, "
                                         "regret) on P(deal) at the last checkpoint.")] = False,
    max_memory: MaxMemoryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Compare each lever with the baseline under each hypothesis (common random numbers)."""
    from detente.analysis.compare import compare as run_compare
    from detente.analysis.compare import resolve_names, war_options

    sc = _load(scenario, None)
    opts = war_options(parse_pairs(option))
    with located_in(scenario):
        hyps = resolve_names(hypothesis, [h.id for h in sc.hypotheses], "hypothesis",
                             ["baseline"])
        names = resolve_names(levers, [lv.id for lv in sc.levers], "levers")
    if hypothesis == "all" and sc.hypotheses:
        hyps = [h.id for h in sc.hypotheses]
    from rich.progress import Progress

    with Progress(console=err.real(), transient=True, disable=as_json or runs < 2_000) as bar, \
            located_in(scenario), backend_from(workers, scheduler, dask_local) as backend:
        task = bar.add_task("comparing levers", total=len(hyps) * (len(names) + 1))
        result = run_compare(sc, hyps, names, runs, seed, opts, horizon,
                             progress=lambda label: bar.update(task, advance=1,
                                                               description=label),
                             backend=backend, max_memory=memory_limit(max_memory))
    warn(w for entry in result["hypotheses"].values() for w in entry["warnings"])
    if robust:
        from detente.analysis.coupled import checkpoints
        from detente.analysis.robust import robust_ranking

        week = checkpoints(horizon or sc.war.horizon)[-1]  # the comparison's headline week
        with located_in(scenario), backend_from(workers, scheduler, dask_local) as backend:
            result["robust"] = robust_ranking(sc, hyps, names, week,
                                              runs_per_sample=max(2, runs // 32),
                                              seed=seed, options=opts, horizon=horizon,
                                              backend=backend)
    if as_json:
        print_json(result)
        return
    from detente.views.war_text import render_comparison

    render_comparison(out, result, sc)
    if robust:
        _sensitivity.render_robust(out, result["robust"])


class _spinner:
    """A status spinner on stderr for long runs (a view concern, never inside a kernel)."""

    def __init__(self, show: bool, label: str) -> None:
        self.status = err.status(label) if show else None

    def __enter__(self) -> None:
        if self.status is not None:
            self.status.__enter__()

    def __exit__(self, *exc: object) -> None:
        if self.status is not None:
            self.status.__exit__(*exc)


@app.command()
@reports_input_errors
def report(
    scenario: Annotated[Path, typer.Argument(help="Scenario file.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML file to write.")]
    = Path("report.html"),
    runs: Annotated[int, typer.Option(help="Runs per war variant.", min=10, max=200_000)]
    = 5_000,
    draws: Annotated[int, typer.Option(help="Monte Carlo draws of the negotiation models.",
                                       min=1, max=10_000)] = 200,
    seed: SeedOpt = 0,
    fmt: FormatOpt = None,
    sensitivity: Annotated[list[str] | None, typer.Option(
        help="A war outcome (e.g. p_deal@26: adds a quick tornado and robust ranking; costs "
             "time), or a FILE.json written by `detente sensitivity --json` (repeat).")] = None,
    discover: Annotated[list[Path] | None, typer.Option(
        help="Add the PRIM box and peeling curve of `detente discover --json` FILE (repeat).")]
    = None,
    robust: Annotated[list[Path] | None, typer.Option(
        help="Add the robust ranking of `detente compare --robust --json` FILE (repeat).")]
    = None,
    ledger: Annotated[str | None, typer.Option(
        help="Add this forecast ledger's questions, forecasts, scores and reliability.")] = None,
    workers: WorkersOpt = None,
) -> None:
    """Write a self-contained HTML report (opens offline; Plotly.js inlined)."""
    import warnings

    from detente.evidence.cache import CacheWarning
    from detente.report import render_report
    from detente.report.data import analysis_requests, missing_text_warnings, report_document
    from detente.scenario.write import write_text_atomic

    sc = _load(scenario, fmt)
    outcome, analyses = analysis_requests(sensitivity, discover, robust)
    if workers and workers > 1 and sc.war is None:
        warn(["--workers has no effect: the scenario has no war part (the negotiation models "
              "run in this process)"])
    with _spinner(True, "computing the report"), located_in(scenario), \
            backend_from(workers, None, None) as backend, \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CacheWarning)
        data = report_document(sc, scenario, runs=runs, seed=seed, draws=draws,
                               sensitivity=outcome, ledger=ledger, analyses=analyses,
                               backend=backend)
    for w in caught:  # the cache's warning as one of ours; any other as Python shows it
        if not issubclass(w.category, CacheWarning):
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    warn([str(w.message) for w in caught if issubclass(w.category, CacheWarning)]
         + missing_text_warnings(data.get("cited_text", {})))
    write_text_atomic(output, render_report(data))
    err.print(f"wrote {output.resolve()} ({output.stat().st_size / 1e6:.1f} MB)", highlight=False)


@app.command()
@reports_input_errors
def serve(
    scenarios: Annotated[list[Path] | None, typer.Argument(
        help="Scenario files or folders to serve (default: ./scenarios).")] = None,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.", min=1, max=65535)] = 8000,
    token: Annotated[str | None, typer.Option(envvar="DETENTE_TOKEN", help="Access token; "
                                              "required to bind anything but loopback.")] = None,
    ledger: Annotated[str | None, typer.Option(help="Forecast ledger (file or URL) to show on "
                                               "the dashboard's ledger page.")] = None,
) -> None:
    """Serve the dashboard and its JSON API (OpenAPI at /openapi.json)."""
    import ipaddress

    from detente.errors import problem

    loopback = host == "localhost"
    with contextlib.suppress(ValueError):  # a host name other than localhost is not loopback
        loopback = loopback or ipaddress.ip_address(host).is_loopback
    if not loopback and not token:
        raise InputError([problem("binding an address other than loopback needs an access "
                                  "token (--token or DETENTE_TOKEN)", ("host",), value=host)])
    folders = scenarios or [Path("scenarios")]
    for f in folders:
        if not f.exists():
            raise InputError([problem("no such file or folder", ("scenarios",), value=str(f))])
    import uvicorn

    from detente.web.app import create_app

    app_ = create_app(folders, token, ledger=ledger)
    err.print(f"detente dashboard on http://{host}:{port}/"
              + (" (token required for POST requests)" if token else ""), highlight=False)
    uvicorn.run(app_, host=host, port=port, log_level="warning")


@app.command()
def schema() -> None:
    """Print the JSON Schema of the scenario language (model options included)."""
    from detente.scenario.schema import json_schema

    print_json(json_schema())


# Command groups that live in their own modules register themselves here (one line each);
# each module imports only typer at import time, so `detente --help` stays fast.
from detente.cli import check as _check  # noqa: E402
from detente.cli import evidence as _evidence  # noqa: E402
from detente.cli import forecast as _forecast  # noqa: E402
from detente.cli import sensitivity as _sensitivity  # noqa: E402

_check.register(app)
_forecast.register(app)
_evidence.register(app)
_sensitivity.register(app)


def dispatching(argv: list[str]) -> typer.Typer:
    """The app that will run ``argv``: for ``detente COMMAND ...`` the same app holding only that
    command (typer builds every command's parameters before it dispatches, a tenth of a small
    command's start-up), else the whole app (help, groups, completion, misspelt names)."""
    from typer.main import get_command_name

    named = {c.name or get_command_name(c.callback.__name__): c
             for c in app.registered_commands if c.callback is not None}
    if not argv or argv[0] not in named:
        return app
    only = copy.copy(app)
    only.registered_commands, only.registered_groups = [named[argv[0]]], []
    return only
