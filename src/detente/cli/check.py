"""`detente check`: a coupled scenario's stylised facts under every hypothesis (MODELS.md §7.7)."""

from pathlib import Path
from typing import Annotated

import typer

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
RunsOpt = Annotated[int, typer.Option(help="Monte Carlo runs.", min=10, max=1_000_000)]
SeedOpt = Annotated[int, typer.Option(help="Seed of the random generator.", min=0)]


def register(app: typer.Typer) -> None:
    """Add the `check` command to ``app``."""
    from detente.cli import _load, located_in, out, print_json, reports_input_errors

    @app.command()
    @reports_input_errors
    def check(
        scenario: Annotated[Path, typer.Argument(help="Coupled scenario with `war.checks`.")],
        runs: RunsOpt = 2_000,
        seed: SeedOpt = 0,
        as_json: JsonOpt = False,
    ) -> None:
        """Run the scenario's stylised-fact checks under the baseline and every hypothesis:
        pass/fail with Monte Carlo standard errors; exit status 1 when one fails."""
        from detente.analysis.coupled import run_checks

        sc = _load(scenario, None)
        with located_in(scenario):
            result = run_checks(sc, runs, seed)
        if as_json:
            print_json(result)
        else:
            _render(out, result)
        if not result["passed"]:
            raise typer.Exit(1)


def _render(console: object, result: dict) -> None:
    from rich.table import Table

    table = Table(title="stylised facts (§7.7)")
    for col in ("hypothesis", "check", "week", "estimate ± se", "threshold", "result"):
        table.add_column(col)
    for hyp, checks in result["hypotheses"].items():
        for c in checks:
            verdict = "[green]pass[/]" if c["passed"] else "[red]FAIL[/]"
            if c["close"]:
                verdict += " (within 2 se)"
            table.add_row(hyp, c["id"], str(c["week"]),
                          f"{c['estimate']:.3g} ± {c['se']:.1g}",
                          f"{c['compare']} {c['threshold']:g}", verdict)
    console.print(table)  # type: ignore[attr-defined]
