"""Which assumed numbers decide the flagship's lever verdicts: a one-at-a-time screen.

    python docs/assumption_screen.py [--runs 1000]

For every war input of `scenarios/ukraine-2025.yaml` that rests on an `assumption:` (and the
front's resolution, a plain number), set it in all runs to the low and then the high end of a
plausible range and recompute each lever's effect on P(deal in force) at week 26, under each
hypothesis, as a paired difference over common random numbers (same seed, same draws of every
other input). Prints the verdicts whose sign flips (the 95% interval excludes zero on the other
side) or whose size changes by more than half. A screen, not a global sensitivity analysis:
interactions between inputs are not explored.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np

from detente.compile import WarInputs, compile_war
from detente.runtime import run_arrays
from detente.scenario import load_scenario
from detente.war.kernel import WarOptions

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "ukraine-2025.yaml"
WEEK = 26
# input -> (low, high); beliefs are set as (a, b) pairs, "front.steps" rescales the front
SETTINGS: dict[str, tuple[object, object]] = {
    "R.forces": (600.0, 750.0),
    "R.lethality": (0.004, 0.006),
    "R.casualty_cost": (2e-5, 5e-5),
    "R.collapse": (0.00025, 0.001),
    "U.recruitment": (3.0, 4.0),
    "U.casualty_cost": (4e-5, 1e-4),
    "U.collapse": (0.00025, 0.001),
    "U.belief (mean 0.40 / 0.50)": ((16.0, 24.0), (20.0, 20.0)),
    "R.belief confidence (20 / 160 weeks)": ((10.3, 9.7), (82.4, 77.6)),
    "breakdown.guarantee_effect": (1.0, 4.0),
    "guarantee_value": (0.025, 0.1),
    "front.steps (10 / 40)": (10, 40),
}


def patched(inputs: WarInputs, name: str, value: object) -> WarInputs:
    """The inputs with one input set to ``value`` in every run."""
    params = dict(inputs.params)
    runs = inputs.runs
    if name.startswith("front.steps"):
        scale = int(value) / inputs.steps  # type: ignore[call-overload]
        params["front.start"] = params["front.start"] * scale
        return replace(inputs, params=params, steps=int(value))  # type: ignore[call-overload]
    if name.startswith(("U.belief", "R.belief")):
        side = name[0]
        a, b = value  # type: ignore[misc]
        params[f"{side}.belief.a"], params[f"{side}.belief.b"] = np.full(runs, a), np.full(runs, b)
    else:
        params[name] = np.full(runs, float(value))  # type: ignore[arg-type]
    return replace(inputs, params=params)


def in_force(scenario, hypothesis: str, levers: tuple[str, ...], runs: int,
             setting: tuple[str, object] | None) -> np.ndarray:
    """(runs,) whether a deal is in force at WEEK."""
    inputs = compile_war(scenario, hypothesis, levers, runs, 0)
    if setting is not None:
        inputs = patched(inputs, *setting)
    return run_arrays("war", inputs, WarOptions(), 0).in_force[:, WEEK].astype(float)


def effect(lever_on: np.ndarray, base: np.ndarray) -> tuple[float, float]:
    """Mean paired change in P(deal in force at WEEK) from a lever, and its 95% half-width."""
    d = lever_on - base
    return float(d.mean()), float(1.96 * d.std(ddof=1) / np.sqrt(d.size))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1000)
    runs = parser.parse_args().runs
    scenario = load_scenario(SCENARIO)
    settings = [None] + [(name, v) for name, pair in SETTINGS.items() for v in pair]
    for hyp in (h.id for h in scenario.hypotheses):
        base = {s: in_force(scenario, hyp, (), runs, s) for s in settings}
        for lever in (lv.id for lv in scenario.levers):
            mean, half = effect(in_force(scenario, hyp, (lever,), runs, None), base[None])
            notes = []
            for s in settings[1:]:
                m, h = effect(in_force(scenario, hyp, (lever,), runs, s), base[s])
                flips = (m - h > 0 > mean + half) or (m + h < 0 < mean - half)
                if flips or abs(m - mean) > 0.5 * abs(mean) + half + h:
                    end = "low" if s[1] == SETTINGS[s[0]][0] else "high"
                    notes.append(f"{s[0]} {end}: {100 * m:+.1f}{' (flips)' if flips else ''}")
            print(f"{hyp:16s} {lever:20s} {100 * mean:+5.1f} ±{100 * half:.1f} | "
                  + ("; ".join(notes) or "robust to every assumption screened"))


if __name__ == "__main__":
    main()
