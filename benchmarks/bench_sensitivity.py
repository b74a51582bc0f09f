"""Speed of a Sobol analysis of the flagship's war outcome p_deal@26 (issue 17, speed). Run:
``.venv/bin/python benchmarks/bench_sensitivity.py [N] [M] [--coupled]`` (defaults N = 1024,
M = 200).

Saltelli's scheme without second order evaluates N (k + 2) input samples of M runs each, in
chunks of batched kernel calls with common random numbers across samples; P(deal at week 26)
needs only 26 simulated weeks (neither kernel's week t depends on the horizon). The kernel's
threads use every core the process may use (pin with ``taskset -c 0,1`` for two cores). The
default is the flagship as it stood on the §5 war kernel (``tests/fixtures/war-2025.yaml``, 15
inputs); ``--coupled`` runs the coupled flagship (``scenarios/ukraine-2025.yaml``) instead.

Prints wall and CPU time (CPU time is what a loaded machine does not inflate), the load
average before and after, and where the time goes: compiling and tiling the inputs, the
kernel, reducing runs to outcomes, and SALib's sampling and analysis. For N below 1024 it also
prints the time extrapolated to N = 1024 (the evaluation's cost is proportional to the number
of runs; SALib's part is kept as measured).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from detente.analysis import sensitivity as S
from detente.analysis.outcomes import Outcome, parse_outcome
from detente.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def timed(table: dict[str, float], key: str, fn):
    """``fn`` that adds its wall time to ``table[key]``."""
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            table[key] += time.perf_counter() - t
    return wrapper


def main(base: int = 1024, runs_per_sample: int = 200, coupled: bool = False) -> None:
    path = ROOT / ("scenarios/ukraine-2025.yaml" if coupled else "tests/fixtures/war-2025.yaml")
    scenario = load_scenario(path)
    problem = S.war_problem(scenario, parse_outcome("p_deal@26", scenario))
    parts = dict.fromkeys(("inputs", "kernel", "reduce", "evaluate"), 0.0)
    S.batched_inputs = timed(parts, "inputs", S.batched_inputs)
    S.batched_coupled = timed(parts, "inputs", S.batched_coupled)
    S.simulate_shared = timed(parts, "kernel", S.simulate_shared)
    Outcome.reduce = timed(parts, "reduce", Outcome.reduce)
    evaluator = timed(parts, "evaluate", S.WarEvaluator(problem, runs_per_sample, 0))

    S._salib("sobol")  # import SALib (and pandas) before the clock starts
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()
    t, cpu = time.perf_counter(), time.process_time()
    result = S.sobol(problem.inputs, evaluator, base, seed=0)
    total, cpu = time.perf_counter() - t, time.process_time() - cpu
    runs = result["evaluations"] * runs_per_sample
    weeks = problem.sim_weeks
    print(f"Sobol of p_deal@26 on {path.name} ({'coupled' if problem.coupled else 'war'} "
          f"kernel): k = {len(problem.inputs)} inputs, N = {base}, M = {runs_per_sample}, "
          f"{result['evaluations']:,} samples = {runs:,} runs x {weeks} weeks, {cores} cores")
    print(f"  total {total:.1f} s wall, {cpu:.1f} s CPU; load average {load[0]:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after")
    other = parts["evaluate"] - parts["inputs"] - parts["kernel"] - parts["reduce"]
    print(f"  compile + tile inputs {parts['inputs']:.2f} s, kernel {parts['kernel']:.1f} s, "
          f"reduce {parts['reduce']:.2f} s, other evaluation {other:.2f} s, sampling and SALib "
          f"{total - parts['evaluate']:.2f} s; {runs * weeks / parts['kernel']:,.0f} run-weeks "
          "/ s in the kernel")
    if base < 1024:
        scaled = parts["evaluate"] * 1024 / base + (total - parts["evaluate"])
        print(f"  extrapolated to N = 1024 (evaluation x {1024 // base}): {scaled:.0f} s wall, "
              f"{cpu * 1024 / base:.0f} s CPU")
    top = result["indices"][:3]
    print("  top inputs by ST: " + ", ".join(f"{r['name']} {r['ST']:.2f}±{r['ST_conf']:.2f}"
                                              for r in top))


if __name__ == "__main__":
    numbers = [int(a) for a in sys.argv[1:] if not a.startswith("--")]
    main(*numbers[:2], coupled="--coupled" in sys.argv)
