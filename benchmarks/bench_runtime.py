"""What the runner's backends cost and buy (issue 10). Run:
``.venv/bin/python benchmarks/bench_runtime.py [--quick]``.

1. dask LocalCluster overhead on a 10,000-draw eum batch: the same experiment in this process
   and on a 2-worker LocalCluster (cluster start-up timed separately), identical numbers.
2. Scaling of 100,000 war runs of the flagship from 1 to 2 workers (local processes), against one
   in-process thread measured in the same run.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from timing import best_of

from detente.runtime import Experiment, run
from detente.runtime.backends import Dask, InProcess, Processes
from detente.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def main(quick: bool = False) -> None:
    emissions = load_scenario(ROOT / "scenarios" / "bdm1994-emissions.yaml")
    draws = 2_000 if quick else 10_000
    eum = Experiment(emissions, "eum", draws=draws, seed=1)
    t_here = best_of(lambda: run(eum, InProcess()), 2)
    start = time.perf_counter()
    with Dask(local=2) as cluster:
        cluster.client()
        t_start = time.perf_counter() - start
        run(eum, cluster)  # workers import detente once
        t_dask = best_of(lambda: run(eum, cluster), 2)
        same = np.array_equal(run(eum, cluster).output.positions, run(eum).output.positions)
    print(f"eum, emissions case, {draws:,} draws: in-process {t_here:.2f} s; dask LocalCluster "
          f"(2 workers) {t_dask:.2f} s (+{t_dask - t_here:+.2f} s), cluster start {t_start:.2f} s; "
          f"identical numbers: {same}")

    flagship = load_scenario(ROOT / "scenarios" / "ukraine-2025.yaml")
    runs = 20_000 if quick else 100_000
    war = Experiment(flagship, "war", draws=runs, seed=0)
    one = best_of(lambda: run(war, InProcess(threads=1)), 2)
    print(f"war, flagship, {runs:,} runs x 104 weeks:")
    print(f"  1 worker (one thread)    {one:6.2f} s")
    for label, backend in (("2 threads", InProcess(threads=2)), ("2 processes", Processes(2))):
        t = best_of(lambda b=backend: run(war, b), 2)
        print(f"  {label:<24} {t:6.2f} s  ({one / t:.2f}x)")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
