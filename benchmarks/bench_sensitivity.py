"""Speed of a Sobol analysis of the flagship's p_deal@26 (issue 17, speed). Run:
``.venv/bin/python benchmarks/bench_sensitivity.py [N] [M]`` (defaults N = 1024, M = 200).

Saltelli's scheme without second order evaluates N (k + 2) input samples of M runs each, all
through one batched kernel call with common random numbers across samples; the kernel's
threads use every core the process may use (pin with ``taskset -c 0,1`` for two cores).
Prints the wall time split into evaluation and SALib's analysis, and runs x weeks per second.
For N below 1024 it also prints the time extrapolated to N = 1024 (the evaluation's cost is
proportional to the number of runs; SALib's part is kept as measured).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from detente.analysis import sensitivity as S
from detente.analysis.outcomes import parse_outcome
from detente.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def main(base: int = 1024, runs_per_sample: int = 200) -> None:
    scenario = load_scenario(ROOT / "tests" / "fixtures" / "war-2025.yaml")  # the war kernel
    problem = S.war_problem(scenario, parse_outcome("p_deal@26", scenario))
    evaluator = S.WarEvaluator(problem, runs_per_sample, 0)
    timed = {"evaluate": 0.0}

    def timed_evaluator(x):
        t = time.perf_counter()
        y = evaluator(x)
        timed["evaluate"] += time.perf_counter() - t
        return y

    S._salib("sobol")  # import SALib (and pandas) before the clock starts
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    t = time.perf_counter()
    result = S.sobol(problem.inputs, timed_evaluator, base, seed=0)
    total = time.perf_counter() - t
    runs = result["evaluations"] * runs_per_sample
    print(f"Sobol of p_deal@26 on the flagship: k = {len(problem.inputs)} inputs, N = {base}, "
          f"M = {runs_per_sample}, {result['evaluations']:,} samples = {runs:,} runs, "
          f"{cores} cores")
    print(f"  total {total:.1f} s (evaluate {timed['evaluate']:.1f} s, sampling and SALib "
          f"{total - timed['evaluate']:.1f} s); {runs * 104 / timed['evaluate']:,.0f} runs x "
          "weeks / s")
    if base < 1024:
        scaled = timed["evaluate"] * 1024 / base + (total - timed["evaluate"])
        print(f"  extrapolated to N = 1024 (evaluation x {1024 // base}): {scaled:.0f} s")
    top = result["indices"][:3]
    print("  top inputs by ST: " + ", ".join(f"{r['name']} {r['ST']:.2f}±{r['ST_conf']:.2f}"
                                              for r in top))


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
