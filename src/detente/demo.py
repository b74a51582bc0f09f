"""``make demo``: the shipped cases end to end, printed as tables (a view; no model code here)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from detente.analysis.compare import compare, simulate_summary, war_options
from detente.runtime import negotiate
from detente.scenario import Scenario, load_scenario
from detente.views.war_text import render_comparison, render_simulation

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


def flagship_war(console: Console, scenario: Scenario, runs: int) -> None:
    """The fighting: the simulated war as written, then every lever under both hypotheses."""
    console.rule(f"[bold]{scenario.name}: the fighting")
    opts = war_options()
    render_simulation(console, simulate_summary(scenario, None, (), runs, 0, opts), scenario)
    console.print()
    hypotheses = [h.id for h in scenario.hypotheses]
    result = compare(scenario, hypotheses, [lv.id for lv in scenario.levers], runs, 0, opts)
    render_comparison(console, result, scenario)


def flagship_report(console: Console, scenario: Scenario, runs: int) -> Path:
    """Write the flagship's HTML report next to the checkout's build folder."""
    from detente.analysis.report_data import report_data
    from detente.report import render_report
    from detente.scenario.write import write_text_atomic

    out = scenarios_dir().parent / "build" / "ukraine-2025-report.html"
    out.parent.mkdir(exist_ok=True)
    write_text_atomic(out, render_report(report_data(scenario, runs=runs, seed=0, draws=200)))
    return out


def main() -> None:
    console = Console(width=120)
    emissions_comparison(console)
    flagship = load_scenario(scenarios_dir() / "ukraine-2025.yaml")
    flagship_negotiation(console, flagship, draws=1000)
    flagship_war(console, flagship, runs=10_000)
    path = flagship_report(console, flagship, runs=5_000)
    console.rule("[bold]Report")
    console.print(f"The flagship report (opens offline in any browser): {path}", highlight=False)


if __name__ == "__main__":
    main()
