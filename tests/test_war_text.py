"""The terminal comparison headlines the checkpoints the run has, not a fixed week 26."""

from __future__ import annotations

from rich.console import Console

from detente.scenario.load import load_scenario
from detente.views.war_text import lever_verdicts, render_comparison

FLAGSHIP = "scenarios/ukraine-2025.yaml"


def _delta(mean: float, lo: float, hi: float) -> dict:
    return {"mean": mean, "ci95": [lo, hi]}


def test_a_lever_clear_only_late_is_reported_at_that_week():
    deltas = {"13": _delta(0.0, 0.0, 0.0), "26": _delta(0.0, 0.0, 0.0),
              "104": _delta(0.05, 0.03, 0.07)}
    said = lever_verdicts(deltas)
    assert said.startswith("raises the chance of a deal in force at week 104 by 5.0 points")
    assert "week 26" not in said


def test_no_clear_effect_names_every_checkpoint():
    deltas = {"13": _delta(0.0, 0.0, 0.0), "52": _delta(0.01, -0.01, 0.03)}
    said = lever_verdicts(deltas)
    assert said.startswith("no clear effect at weeks 13, 52")
    assert "+1.0 points" in said


def test_the_table_headlines_the_last_checkpoint():
    sc = load_scenario(FLAGSHIP)
    lever = sc.levers[0].name
    base = {"p_agreement": {"13": 0.0, "52": 0.1}, "terms": {}}
    entry = {"p_agreement": {"13": 0.0, "52": 0.2}, "terms": {},
             "delta_p_agreement": {"13": _delta(0.0, 0.0, 0.0), "52": _delta(0.1, 0.05, 0.15)}}
    result = {"provenance": {"runs": 100, "seed": 0},
              "hypotheses": {"h": {"baseline": base, "levers": {lever: entry}}}}
    console = Console(width=200, record=True)
    render_comparison(console, result, sc)
    text = console.export_text()
    assert "change at wk 52" in text and "wk 26" not in text
    assert "+10.0 (+5.0, +15.0)" in text


def test_a_coupled_simulation_prints_terms_refusals_and_engagement():
    import json
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "detente.cli", "simulate", FLAGSHIP, "--runs",
                          "200", "--hypothesis", "limited-leverage", "--json"],
                         capture_output=True, text=True, timeout=600, check=True)
    summary = json.loads(out.stdout)
    console = Console(width=200, record=True)
    from detente.views.war_text import render_simulation

    render_simulation(console, summary, load_scenario(FLAGSHIP))
    text = console.export_text()
    coupled = summary["coupled"]
    for issue, t in coupled["terms"].items():  # one row per issue, its deal count and median
        row = next(ln for ln in text.splitlines()
                   if ln.strip("│ ").startswith(issue + " ") and " / " in ln)
        assert f"{t['deal']['n']:,}" in row
        if t["deal"]["n"]:
            assert f"/ {t['deal']['quantiles']['p50']:.0f} /" in row
    for actor, why in coupled["vetoes"]["by_actor"].items():
        row = next(ln for ln in text.splitlines() if ln.strip("│ ").startswith(actor + " "))
        assert f"{100 * why['red_line']:.1f}%" in row
    us = next(ln for ln in text.splitlines() if ln.strip("│ ").startswith("US "))
    assert f"{100 * coupled['third_parties']['US']['engaged']['52']['p']:.1f}%" in us
