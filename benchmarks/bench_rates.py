"""The operations a second behind :data:`detente.budget.RATE` for eum and the coupled model.
Run: ``.venv/bin/python benchmarks/bench_rates.py`` (prints only, about half a minute).

Work is :func:`detente.budget.estimate`'s (eum: T B D N^3; coupled: runs x weeks x N D), time the
best of two warm calls, wall and CPU; the rate a request is costed at should sit below the
slowest line, with room for a loaded machine (the load average is printed).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from detente.analysis import sensitivity as S
from detente.analysis.compare import run_variant, war_options
from detente.analysis.coupled import coupled_options
from detente.analysis.outcomes import parse_outcome
from detente.budget import RATE, estimate, for_scenario
from detente.compile import batch_from_arrays
from detente.models.eum import EUMOptions
from detente.runtime import run_arrays
from detente.runtime.backends import InProcess
from detente.scenario import load_scenario

FLAGSHIP = Path(__file__).resolve().parents[1] / "scenarios" / "ukraine-2025.yaml"


def best(call: Any) -> tuple[float, float]:
    """Best wall and CPU seconds of two calls after a warm-up."""
    call()
    wall = cpu = float("inf")
    for _ in range(2):
        t, c = time.perf_counter(), time.process_time()
        call()
        wall, cpu = min(wall, time.perf_counter() - t), min(cpu, time.process_time() - c)
    return wall, cpu


def line(label: str, work: float, wall: float, cpu: float) -> None:
    print(f"{label:46s} wall {wall:6.3f} s  cpu {cpu:6.3f} s  {work / wall:9.3g} ops/s  "
          f"load {os.getloadavg()[0]:.1f}")


def eum() -> None:
    rng = np.random.default_rng(1)
    for engine in ("compiled", "numpy"):
        opts = EUMOptions(engine=engine)
        for n, draws in ((10, 500), (30, 100), (60, 20), (100, 8)):
            batch = batch_from_arrays(rng.uniform(0, 100, (draws, n, 1)),
                                      rng.uniform(0.1, 1, (draws, n, 1)),
                                      rng.uniform(1, 10, (draws, n)), low=0, high=100)
            wall, cpu = best(lambda b=batch, o=opts: run_arrays("eum", b, o, 0, InProcess()))
            work = estimate("eum", actors=n, issues=1, draws=draws, rounds=opts.rounds).work
            line(f"eum {engine} N {n} x {draws} draws", work, wall, cpu)
    print(f"RATE['eum'] = {RATE['eum']:.3g}")


def coupled() -> None:
    sc = load_scenario(FLAGSHIP)
    opts = coupled_options(war_options())[0]
    for runs in (2000, 8000):
        wall, cpu = best(lambda r=runs: run_variant(sc, None, ("oil-sanctions",), r, 0, opts))
        line(f"coupled kernel {runs} runs x {sc.war.horizon} weeks",
             for_scenario(sc, "coupled", runs=runs).work, wall, cpu)
    for outcome, runs in (("p_deal@26", 40), ("p_deal@26", 200), ("p_deal@104", 200)):
        prob = S.war_problem(sc, parse_outcome(outcome, sc), options=war_options())
        x = S.tornado_design(prob.inputs)
        wall, cpu = best(lambda p=prob, m=runs, rows=x: S.evaluate(p, rows, m, 0))
        work = for_scenario(sc, "coupled", runs=x.shape[0] * runs, weeks=prob.sim_weeks).work
        line(f"coupled tornado rows {outcome} {x.shape[0]} x {runs} runs", work, wall, cpu)
    print(f"RATE['coupled'] = {RATE['coupled']:.3g}")


if __name__ == "__main__":
    eum()
    coupled()
