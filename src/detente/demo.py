"""``make demo``: the shipped cases end to end, printed as tables (a view; no model code here)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from rich.console import Console
from rich.table import Table

from detente.results import negotiate
from detente.scenario import load_scenario

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


def main() -> None:
    console = Console(width=110)
    emissions_comparison(console)


if __name__ == "__main__":
    main()
