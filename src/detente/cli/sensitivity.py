"""Commands `sensitivity`, `discover` and `power`: which numbers decide a verdict.

Imports only typer and the standard library at import time; the analysis modules load inside
the commands so `detente --help` stays fast.
"""

from pathlib import Path
from typing import Annotated, Any

import typer

from detente.cli.backend_options import DaskLocalOpt, SchedulerOpt, WorkersOpt

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
SeedOpt = Annotated[int, typer.Option(help="The one seed of every draw and stream.", min=0)]
HypOpt = Annotated[str | None, typer.Option(help="Hypothesis id (default: baseline).")]
LeverOpt = Annotated[list[str] | None, typer.Option("--lever", "-l", help="Lever switched on "
                                                    "(repeat).")]
RunsPerOpt = Annotated[int, typer.Option(help="Runs per input sample (inner Monte Carlo; every "
                                         "sample uses the same streams).", min=2, max=100_000)]
InputOpt = Annotated[list[str] | None, typer.Option(
    "--input", help="NAME=LO:HI: study NAME (a war parameter such as R.belief.a, or "
    "LEVER:PARAM) over a uniform range (repeat).")]
WidenOpt = Annotated[float | None, typer.Option(
    help="Also study every point value that rests on an assumption, over ± this share of its "
    "value (e.g. 0.5).", min=0.01, max=0.99)]
OptionOpt = Annotated[list[str] | None, typer.Option(
    "--option", "-O", help="War-kernel option key=value (repeat).")]


def _inputs(given: list[str] | None) -> dict[str, tuple[float, float]]:
    from detente.errors import InputError, problem

    out, problems = {}, []
    for text in given or []:
        name, _, span = text.partition("=")
        lo, _, hi = span.partition(":")
        try:
            out[name.strip()] = (float(lo), float(hi))
        except ValueError:
            problems.append(problem("--input takes NAME=LO:HI", ("input",), value=text))
    if problems:
        raise InputError(problems)
    return out


def _problem(scenario: Any, outcome: str, hypothesis: str | None, levers: list[str] | None,
             inputs: list[str] | None, option: list[str] | None, widen: float | None) -> Any:
    from detente.analysis.compare import war_options
    from detente.analysis.outcomes import parse_outcome
    from detente.analysis.sensitivity import war_problem
    from detente.cli import parse_pairs

    parsed = parse_outcome(outcome, scenario)
    return war_problem(scenario, parsed, hypothesis, levers or [], _inputs(inputs),
                       war_options(parse_pairs(option)), widen=widen)


def _plain(result: dict[str, Any]) -> dict[str, Any]:
    """Without the sample matrix and outcomes (those go to --out)."""
    return {k: v for k, v in result.items() if k not in ("x", "y")}


def register(app: typer.Typer) -> None:
    """Add the commands of this module to ``app``."""
    from detente.cli import reports_input_errors

    app.command()(reports_input_errors(sensitivity))
    app.command()(reports_input_errors(discover))
    app.command()(reports_input_errors(power))


def sensitivity(
    scenario: Annotated[Path, typer.Argument(help="Scenario with a `war` section (with "
                                         "`war.talks`: the coupled model).")],
    outcome: Annotated[str, typer.Option(help="p_deal@W, p_partial@W[:SUBSET] (coupled), "
                                         "terms@W:ISSUE[:Q], duration[:Q], "
                                         "delta_p_deal@W:LEVER.")] = "p_deal@26",
    method: Annotated[str, typer.Option(help="sobol, morris or tornado.")] = "sobol",
    samples: Annotated[int, typer.Option(help="Sobol base samples N (a power of 2; N (k + 2) "
                                         "evaluations) or Morris trajectories.", min=2,
                                         max=1 << 20)] = 256,
    runs_per_sample: RunsPerOpt = 200,
    hypothesis: HypOpt = None,
    lever: LeverOpt = None,
    input_: InputOpt = None,
    widen: WidenOpt = None,
    seed: SeedOpt = 0,
    option: OptionOpt = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    dask_local: DaskLocalOpt = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write the sample matrix and "
                                                  "outcomes to this Parquet file.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Which uncertain inputs decide an outcome: Sobol, Morris or a tornado, with evidence."""
    from detente.analysis.sensitivity import analyse, write_parquet
    from detente.cli import _load, backend_from, err, located_in, print_json
    from detente.cli import out as console

    if method == "tornado" and samples != 256:
        err.print("warning: --samples has no effect with --method tornado (2k + 1 evaluations)")
    sc = _load(scenario, None)
    with located_in(scenario), backend_from(workers, scheduler, dask_local) as backend:
        prob = _problem(sc, outcome, hypothesis, lever, input_, option, widen)
        with err.status(f"{method}: {len(prob.inputs)} inputs") if not as_json else _null():
            result = analyse(prob, method, samples, runs_per_sample, seed, backend)
    for warning in result["warnings"]:
        err.print(f"warning: {warning}", markup=False, highlight=False)
    if out_file is not None:
        write_parquet(str(out_file), result)
    if as_json:
        print_json(_plain(result))
        return
    render_sensitivity(console, result)


def discover(
    scenario: Annotated[Path, typer.Argument(help="Scenario with a `war` section.")],
    where: Annotated[str, typer.Option(help="OUTCOME OP NUMBER, e.g. 'delta_p_deal@26 >= "
                                       "0.05' (the lever from --lever).")],
    lever: Annotated[str | None, typer.Option("--lever", "-l", help="The lever studied.")]
    = None,
    samples: Annotated[int, typer.Option(help="Latin-hypercube input samples.", min=20,
                                         max=1_000_000)] = 1000,
    runs_per_sample: RunsPerOpt = 200,
    hypothesis: HypOpt = None,
    input_: InputOpt = None,
    widen: WidenOpt = None,
    alpha: Annotated[float, typer.Option(help="Share peeled per step.", min=0.01, max=0.5)]
    = 0.05,
    threshold: Annotated[float, typer.Option(help="Density the chosen box must reach.",
                                             min=0.0, max=1.0)] = 0.8,
    pasting: Annotated[bool, typer.Option(help="Widen the chosen box where that raises its "
                                          "density.")] = False,
    seed: SeedOpt = 0,
    option: OptionOpt = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    dask_local: DaskLocalOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Scenario discovery (PRIM): in which input region does the condition hold?"""
    from detente.analysis.outcomes import parse_condition
    from detente.analysis.sensitivity import discover as run_discover
    from detente.cli import _load, backend_from, err, located_in, print_json
    from detente.cli import out as console

    sc = _load(scenario, None)
    with located_in(scenario), backend_from(workers, scheduler, dask_local) as backend:
        condition = parse_condition(where, lever)
        on = [lever] if lever and lever not in condition.outcome.split(":") else []
        prob = _problem(sc, condition.outcome, hypothesis, on, input_, option, widen)
        with err.status("sampling inputs") if not as_json else _null():
            result = run_discover(prob, condition, samples, runs_per_sample, seed, alpha,
                                  threshold, pasting, backend)
    if as_json:
        print_json(_plain(result))
        return
    render_discovery(console, result)


def power(
    scenario: Annotated[Path, typer.Argument(help="Scenario file.")],
    quota: Annotated[float, typer.Option(help="Share of the total capability a coalition needs "
                                         "to win.", min=0.0, max=1.0)] = 0.5,
    as_json: JsonOpt = False,
) -> None:
    """Voting power (Shapley-Shubik, Banzhaf) beside capability shares: an aid, never an input."""
    from detente.analysis.power import scenario_power
    from detente.cli import _load, located_in, print_json
    from detente.cli import out as console

    sc = _load(scenario, None)
    with located_in(scenario):
        result = scenario_power(sc, quota)
    if as_json:
        print_json(result)
        return
    render_power(console, result)


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


# -- views ----------------------------------------------------------------------------------------

def _f(v: float | None, fmt: str = ".3f") -> str:
    return "-" if v is None else format(v, fmt)


def render_sensitivity(console: Any, result: dict[str, Any]) -> None:
    """Text view of ``detente sensitivity``."""
    from rich.table import Table

    console.print(f"[bold]{result['outcome']['name']}[/]: {result['outcome']['doc']}; "
                  f"{result['model']} model, hypothesis {result['hypothesis']}, levers "
                  f"{', '.join(result['levers']) or 'none'}; {result['evaluations']} samples x "
                  f"{result['runs_per_sample']} runs")
    method = result["method"]
    table = Table(show_edge=False)
    if method == "sobol":
        for col in ("input", "evidence", "S1 (95% CI)", "ST (95% CI)", "ST CI holds 0"):
            table.add_column(col)
        for r in result["indices"]:
            table.add_row(r["name"], r["evidence"], f"{r['S1']:.3f} ± {r['S1_conf']:.3f}",
                          f"{r['ST']:.3f} ± {r['ST_conf']:.3f}",
                          "yes" if r["indistinguishable_from_zero"] else "")
    elif method == "morris":
        for col in ("input", "evidence", "mu* (95% CI)", "sigma"):
            table.add_column(col)
        for r in result["indices"]:
            table.add_row(r["name"], r["evidence"], f"{r['mu_star']:.4f} ± "
                          f"{r['mu_star_conf']:.4f}", f"{r['sigma']:.4f}")
    else:
        console.print(f"point values give {result['base']:.3f}")
        for col in ("input", "evidence", "at p05 -> outcome", "at p95 -> outcome", "swing"):
            table.add_column(col)
        for b in result["bars"]:
            table.add_row(b["name"], b["evidence"], f"{b['at_p05']:.4g} -> {b['low']:.3f}",
                          f"{b['at_p95']:.4g} -> {b['high']:.3f}", f"{b['swing']:.3f}")
    console.print(table)
    share = result.get("assumption_share")
    if share is not None:
        console.print(f"share of the effect carried by inputs resting on assumptions: {share:.0%}")
    console.print(f"[dim]{result['noise']['note']}[/]")


def render_discovery(console: Any, result: dict[str, Any]) -> None:
    """Text view of ``detente discover``."""
    from rich.table import Table

    box = result["box"]
    console.print(f"[bold]{result['where']}[/] holds in {result['share_true']:.0%} of "
                  f"{result['samples']} samples; box (step {result['chosen_step']}): coverage "
                  f"{box['coverage']:.0%}, density {box['density']:.0%}, mass {box['mass']:.0%}")
    table = Table(show_edge=False)
    for col in ("input", "evidence", "lower", "upper", "sampled range"):
        table.add_column(col)
    for lim in box["limits"]:
        table.add_row(lim["name"], lim["evidence"], _f(lim["lower"], ".4g"),
                      _f(lim["upper"], ".4g"),
                      f"{lim['sampled'][0]:.4g} .. {lim['sampled'][1]:.4g}")
    console.print(table)
    steps = result["trajectory"][:: max(1, len(result["trajectory"]) // 8)]
    console.print("peeling trade-off (coverage / density): " + ", ".join(
        f"{s['coverage']:.2f}/{s['density']:.2f}" for s in steps))


def render_power(console: Any, result: dict[str, Any]) -> None:
    """Text view of ``detente power``."""
    from rich.table import Table

    console.print(f"weighted voting, quota {result['quota_share']:.0%} of capability "
                  f"({result['method']}); an aid beside capabilities, not an input")
    table = Table(show_edge=False)
    for col in ("actor", "capability share", "Shapley-Shubik", "Banzhaf"):
        table.add_column(col)
    for r in result["actors"]:
        table.add_row(r["actor"], f"{r['share']:.3f}", f"{r['shapley_shubik']:.3f}",
                      f"{r['banzhaf']:.3f}")
    console.print(table)


def render_robust(console: Any, result: dict[str, Any]) -> None:
    """Text view of ``detente compare --robust``."""
    from rich.table import Table

    console.print(f"[bold]robust ranking[/] on {result['outcome']} over "
                  f"{', '.join(result['hypotheses'])} x {result['samples']} input samples")
    table = Table(show_edge=False)
    for col in ("option", "expected", "worst", "max regret", "ranks (E/W/R)"):
        table.add_column(col)
    for r in result["ranking"]:
        rk = r["rank"]
        table.add_row(r["option"], f"{r['expected']:+.3f}", f"{r['worst']:+.3f}",
                      f"{r['max_regret']:.3f}", f"{rk['expected']}/{rk['worst']}/{rk['regret']}")
    console.print(table)
    tops = ", ".join(f"{h}: {o}" for h, o in result["top_by_hypothesis"].items())
    verdict = "changes" if result["ranking_changes"] else "does not change"
    console.print(f"the top option {verdict} across hypotheses ({tops})")
