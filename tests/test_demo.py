"""`make demo`'s war part prints the flagship from the report's own runs (no rerun)."""

from __future__ import annotations

from rich.console import Console

from detente.analysis.report_data import war_section
from detente.demo import flagship_war
from detente.scenario.load import load_scenario


def test_the_demo_prints_the_coupled_flagship_from_the_reports_runs():
    sc = load_scenario("scenarios/ukraine-2025.yaml")
    war = war_section(sc, runs=40, seed=0)
    console = Console(width=160, record=True)
    flagship_war(console, sc, war)
    text = console.export_text()
    assert "40 runs over 104 weeks" in text  # the baseline as written, from the comparison
    assert "Refusals" in text and "Third parties still engaged" in text
    for h in sc.hypotheses:
        assert f"Hypothesis: {h.id}" in text
    assert "Verdicts (coupled model, week 104)" in text
    for lever in sc.levers:
        assert f"• {lever.id} (" in text
