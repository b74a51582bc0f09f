"""Speed of the §5 war kernel on the flagship (issues 3 and 14). Run: ``make bench`` or
``.venv/bin/python benchmarks/bench_war.py [--quick]``.

Prints, each pair measured in turn in this run (best of three):
1. the numpy kernel against the compiled weeks (:mod:`detente.war.fast`, built by ``python -m
   detente.warm``) on the same inputs, one core: runs x weeks per second and the ratio;
2. how the time the runner takes (blocks on threads) scales with the runs and the horizon;
3. compiling 100,000 runs;
4. the whole ``detente simulate --runs 100000 -O variant=smith-stam`` command (start-up,
   compile, kernel, summary, JSON) with the numpy kernel (``DETENTE_WAR_AOT=0``) and with the
   compiled weeks.
The levers are two the §5 kernel reads (a deadline, guarantees), so their code paths are timed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from timing import best_of

from detente.compile import compile_war
from detente.registry import get_spec
from detente.runtime import blocks, run_arrays
from detente.scenario import load_scenario
from detente.seeds import Streams
from detente.war import fast, kernel
from detente.war.kernel import WarOptions

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "ukraine-2025.yaml"
LEVERS = ("deadline", "security-guarantees")


def simulate(inputs, opts, seed):
    return run_arrays("war", inputs, opts, seed)


def one_core(block_fn, inputs, opts) -> None:
    """Every block of the runner's layout through ``block_fn``, one after the other."""
    streams = Streams.from_seed(0)
    for k, sl in enumerate(blocks(inputs.runs, get_spec("war").block)):
        block_fn(inputs.take(sl), opts, streams.for_block(k, sl.start))


def kernels(scenario, opts) -> None:
    inputs = compile_war(scenario, None, LEVERS, 100_000, 0)
    weeks = 100_000 * inputs.horizon
    numpy_s = best_of(lambda: one_core(kernel._simulate_block, inputs, opts), 3)
    print(f"numpy kernel, 100,000 runs, one core: {numpy_s:.3f} s "
          f"({weeks / numpy_s:,.0f} runs x weeks / s)")
    if fast.PREBUILT is None:
        print("compiled weeks: not built (python -m detente.warm builds them; needs numba)")
        return
    compiled_s = best_of(lambda: one_core(fast.simulate_block, inputs, opts), 3)
    print(f"compiled weeks, 100,000 runs, one core: {compiled_s:.3f} s "
          f"({weeks / compiled_s:,.0f} runs x weeks / s), {numpy_s / compiled_s:.1f}x")


def scaling(scenario, opts, quick: bool) -> None:
    print(f"{'runs':>9} {'weeks':>6} {'seconds':>8} {'runs x weeks / s':>17}  (the runner)")
    sizes = (1_000, 10_000, 100_000) if quick else (1_000, 10_000, 100_000, 300_000)
    for runs in sizes:
        inputs = compile_war(scenario, None, LEVERS, runs, 0)
        t = best_of(lambda i=inputs: simulate(i, opts, 0), 1 if runs > 100_000 else 3)
        print(f"{runs:>9,} {104:>6} {t:>8.3f} {runs * 104 / t:>17,.0f}")
    inputs = compile_war(scenario, None, LEVERS, 20_000, 0)
    for weeks in (26, 52, 104, 208, 520):
        longer = replace(inputs, horizon=weeks)
        t = best_of(lambda i=longer: simulate(i, opts, 0), 2)
        print(f"{20_000:>9,} {weeks:>6} {t:>8.3f} {20_000 * weeks / t:>17,.0f}")


def command(numpy_kernel: bool) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    if numpy_kernel:
        env["DETENTE_WAR_AOT"] = "0"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "detente.cli", "simulate", str(FLAGSHIP), "--runs",
                    "100000", "--json", "-O", "variant=smith-stam"], env=env, check=True,
                   capture_output=True)
    return time.perf_counter() - start


def whole_process() -> None:
    times: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(3):  # in turn: A B A B A B
        for numpy_kernel in (True, False):
            times[numpy_kernel].append(command(numpy_kernel))
    a, b = min(times[True]), min(times[False])
    print(f"detente simulate, 100,000 runs, smith-stam, whole process: numpy kernel {a:.2f} s, "
          f"compiled weeks {b:.2f} s ({a / b:.2f}x{'' if fast.PREBUILT else ', not built'})")


def main(quick: bool = False) -> None:
    scenario = load_scenario(FLAGSHIP)
    opts = WarOptions()
    print(f"§5 war kernel, flagship scenario (baseline + {' + '.join(LEVERS)}), smith-stam:")
    kernels(scenario, opts)
    scaling(scenario, opts, quick)
    t = best_of(lambda: compile_war(scenario, None, LEVERS, 100_000, 0), 2)
    print(f"compiling 100,000 runs (sampling every parameter): {t:.3f} s")
    whole_process()


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
