"""Speed of the war kernel on the flagship (issue 3, item 8). Run: ``make bench`` or
``.venv/bin/python benchmarks/bench_war.py [--quick]``.

Prints runs x weeks per second and how time scales with the number of runs and the horizon.
The baseline measured in the same run is the kernel on one block of runs, so the table shows
what batching and threads buy, not a figure from another machine.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from timing import best_of

from detente.compile import compile_war
from detente.runtime import run_arrays
from detente.scenario import load_scenario
from detente.war.kernel import WarOptions

ROOT = Path(__file__).resolve().parents[1]


def simulate(inputs, opts, seed):
    return run_arrays("war", inputs, opts, seed)


def main(quick: bool = False) -> None:
    scenario = load_scenario(ROOT / "scenarios" / "ukraine-2025.yaml")
    opts = WarOptions()
    levers = ("oil-sanctions", "deadline")
    print("war kernel, flagship scenario (baseline + oil-sanctions + deadline), smith-stam:")
    print(f"{'runs':>9} {'weeks':>6} {'seconds':>8} {'runs x weeks / s':>17}")
    sizes = (1_000, 10_000, 100_000) if quick else (1_000, 10_000, 100_000, 300_000)
    for runs in sizes:
        inputs = compile_war(scenario, None, levers, runs, 0)
        t = best_of(lambda i=inputs: simulate(i, opts, 0), 1 if runs > 100_000 else 3)
        print(f"{runs:>9,} {104:>6} {t:>8.3f} {runs * 104 / t:>17,.0f}")
    inputs = compile_war(scenario, None, levers, 20_000, 0)
    for weeks in (26, 52, 104, 208, 520):
        longer = replace(inputs, horizon=weeks)
        t = best_of(lambda i=longer: simulate(i, opts, 0), 2)
        print(f"{20_000:>9,} {weeks:>6} {t:>8.3f} {20_000 * weeks / t:>17,.0f}")
    t = best_of(lambda: compile_war(scenario, None, levers, 100_000, 0), 2)
    print(f"compiling 100,000 runs (sampling every parameter): {t:.3f} s")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
