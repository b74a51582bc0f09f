"""``make demo``: the shipped cases end to end, printed as tables (a view; no model code here)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from detente.runtime import negotiate
from detente.scenario import Scenario, load_scenario
from detente.views.progress import Steps
from detente.views.war_text import lever_verdict, render_comparison, render_simulation

BDM_FORECAST = 8.35  # Bueno de Mesquita (1994) p. 98, dominant outcome
ACTUAL_OUTCOME = 8.833  # years, as quoted by Scholz et al. (2011)


def scenarios_dir() -> Path:
    """The repository's scenarios/ folder (the demo runs from a checkout)."""
    here = Path(str(resources.files("detente"))).resolve()
    for parent in here.parents:
        if (parent / "scenarios").is_dir():
            return parent / "scenarios"
    raise FileNotFoundError("scenarios/ folder not found next to the package")


def emissions_comparison(console: Console) -> None:
    """Every negotiation model on the BDM (1994) emissions case beside BDM and the outcome."""
    scenario = load_scenario(scenarios_dir() / "bdm1994-emissions.yaml")
    console.rule("[bold]BDM (1994) EC emission standards: every model against the record")
    table = Table(show_lines=False)
    table.add_column("model")
    table.add_column("forecast (years)", justify="right")
    table.add_column("vs BDM 8.35", justify="right")
    table.add_column("vs actual 8.833", justify="right")
    table.add_column("note")
    notes = {
        "mean": "capability x salience weighted mean (compromise)",
        "median": "weighted median voter",
        "nash": "status quo assumed at 10 years: FR, IT, UK can only lose, so Nash = status quo",
        "eum": "median after round 8 (Scholz Table 2 rounds 1-8: 7/8 medians, 8/8 means)",
    }
    for model in ("mean", "median", "nash", "eum"):
        rounds = 8 if model == "eum" else None
        result = negotiate(scenario, model, rounds=rounds)
        f = float(result.trajectory.forecast[0, 0])
        table.add_row(model, f"{f:.3f}", f"{f - BDM_FORECAST:+.3f}", f"{f - ACTUAL_OUTCOME:+.3f}",
                      notes[model])
    console.print(table)
    eum = negotiate(scenario, "eum", rounds=8)
    path = Table(title="eum round by round against Scholz et al. (2011) Table 2",
                 title_justify="left")
    path.add_column("round", justify="right")
    path.add_column("median", justify="right")
    path.add_column("Table 2", justify="right")
    path.add_column("mean", justify="right")
    path.add_column("Table 2", justify="right")
    published_median = (8.4, 9.9, 9.9, 9.9, 9.9, 7.4, 8.8, 9.6)
    published_mean = (7.4, 7.5, 7.6, 7.3, 7.3, 7.4, 7.5, 7.6)
    median, mean = eum.median_path()[0, :, 0], eum.mean_path()[0, :, 0]
    for k in range(1, 9):
        path.add_row(str(k), f"{median[k]:.3f}", f"{published_median[k - 1]:.1f}",
                     f"{mean[k]:.3f}", f"{published_mean[k - 1]:.1f}")
    console.print(path)


def flagship_negotiation(console: Console, scenario: Scenario, draws: int) -> None:
    """Where each negotiation model puts the deal on each issue, with Monte Carlo bands."""
    console.rule(f"[bold]{scenario.name}: the talking")
    results = {m: negotiate(scenario, m, draws=draws, seed=0) for m in ("mean", "median", "eum")}
    table = Table(title=f"Negotiation forecast per issue (0 = Ukraine's terms, 100 = Russia's; "
                  f"p05–p95 over {draws:,} draws of the uncertain inputs)", title_justify="left")
    table.add_column("issue")
    for m in results:
        table.add_column(m, justify="right")
    for j, issue in enumerate(scenario.issues):
        row = [issue.name]
        for r in results.values():
            f = r.trajectory.forecast[:, j]
            lo, hi = np.percentile(f, [5, 95])
            row.append(f"{f[0]:.0f} ({lo:.0f}–{hi:.0f})")
        table.add_row(*row)
    console.print(table)
    console.print("  mean: capability x salience compromise; median: weighted median voter; "
                  "eum: expected-utility model after 10 rounds (median).", highlight=False)


def baseline_summary(scenario: Scenario, war: dict) -> dict:
    """The war as written, in `simulate --json`'s shape: the report's own baseline summary on a
    §5 scenario; on a coupled one the comparison's baseline (the report runs each variant once)."""
    if "hypotheses" in war:
        return war["hypotheses"]["baseline"]
    assert scenario.war is not None
    comparison = war["comparison"]
    return {**comparison["hypotheses"]["baseline"]["baseline"], "hypothesis": "baseline",
            "levers": [], "horizon": scenario.war.horizon,
            "provenance": comparison["provenance"]}


def flagship_war(console: Console, scenario: Scenario, war: dict) -> None:
    """The fighting, from the report's war runs: the war as written (the baseline), then every
    lever under each named hypothesis."""
    console.rule(f"[bold]{scenario.name}: the fighting")
    render_simulation(console, baseline_summary(scenario, war), scenario)
    console.print()
    named = {h.id for h in scenario.hypotheses}
    comparison = {**war["comparison"],
                  "hypotheses": {h: e for h, e in war["comparison"]["hypotheses"].items()
                                 if h in named}}
    render_comparison(console, comparison, scenario)
    flagship_verdicts(console, comparison)


def _sign(delta: dict) -> int:
    """+1 / -1 when the 95% interval excludes zero on that side, else 0."""
    lo, hi = delta["ci95"]
    return 1 if lo > 0 else -1 if hi < 0 else 0


def flagship_verdicts(console: Console, result: dict) -> None:
    """The coupled model's verdicts in words: each lever's effect on P(deal in force) at the last
    checkpoint under each hypothesis, and whether its direction holds across hypotheses."""
    entries = result["hypotheses"]
    first = next(iter(entries.values()))
    if "coupled" not in first["baseline"]:
        return
    week = str(first["baseline"]["coupled"]["checkpoints"][-1])
    console.rule(f"[bold]Verdicts (coupled model, week {week})")
    for lever in first["levers"]:
        deltas = {h: e["levers"][lever]["coupled"]["effects"]["delta_p_deal"][week]
                  for h, e in entries.items()}
        signs = {_sign(d) for d in deltas.values()}
        robust = ("robust: the same direction under every hypothesis" if len(signs) == 1
                  else "hangs on the hypothesis")
        console.print(f"  • [bold]{lever}[/] ({robust})", highlight=False)
        for hyp, d in deltas.items():
            console.print(f"      {hyp}: {lever_verdict(d, week)}", highlight=False)


def write_report(data: dict) -> Path:
    """Render the flagship's report data into the checkout's build folder."""
    from detente.report import render_report
    from detente.scenario.write import write_text_atomic

    out = scenarios_dir().parent / "build" / "ukraine-2025-report.html"
    out.parent.mkdir(exist_ok=True)
    write_text_atomic(out, render_report(data))
    return out


# Run counts: enough for the verdicts' 95 % intervals to be a point or two wide, small enough
# that a fresh clone's first `make demo` (install included) takes about a minute on two cores;
# `detente report --runs` and `detente compare --runs` go further.
NEGOTIATION_DRAWS = 1000
WAR_RUNS = 1000
REPORT_DRAWS = 200


def main() -> None:
    from detente.analysis.report_data import report_data

    console = Console(width=120)
    step = Steps(console, 4)
    with step("BDM (1994) emissions case: every negotiation model"):
        emissions_comparison(console)
    with step(f"flagship: negotiation models over {NEGOTIATION_DRAWS:,} draws"):
        flagship = load_scenario(scenarios_dir() / "ukraine-2025.yaml")
        flagship_negotiation(console, flagship, draws=NEGOTIATION_DRAWS)
    hypotheses = len(flagship.hypotheses) + 1
    with step(f"flagship: the war, baseline and each of {len(flagship.levers)} levers under "
              f"{hypotheses} hypotheses, {WAR_RUNS:,} runs each; every model over "
              f"{REPORT_DRAWS} draws"):
        data = report_data(flagship, runs=WAR_RUNS, seed=0, draws=REPORT_DRAWS)
        flagship_war(console, flagship, data["war"])
    with step("flagship: the HTML report"):
        path = write_report(data)
    console.rule("[bold]Report")
    console.print(f"The flagship report (opens offline in any browser): {path}", highlight=False)


if __name__ == "__main__":
    main()
