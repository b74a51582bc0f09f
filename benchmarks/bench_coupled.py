"""Speed of the coupled (talks while fighting) kernel, issue 11 item 6. Run:
``.venv/bin/python benchmarks/bench_coupled.py [--quick] [--models=mean,nash] [--baseline=SRC]``
(prints only; no assertions).

The target case is the test scenario (4 actors, 6 issues, 2 third parties, 2 red lines, 2
partial-deal subsets) with 10,000 runs x 104 weeks and talks every 2 weeks, one model round per
talks week (positions carried over), for each talks model, through the runner in this process
and on two worker processes (jobs of the registry's size: 10,000 runs are two jobs; in this
process they run one after another, the registry's choice); then how time grows with the
number of actors, issues, runs and the talks cadence (mean model, in this process). Times are
the best of a few calls, wall clock; CPU is this process's CPU time over that call; the load
average is printed because the figures move with it on a shared machine.

``--baseline=SRC`` (another checkout's ``src``, e.g. main's) times the target case instead, in
turn with that checkout and this one (A B A B, each in a fresh process, best of the calls), and
prints the ratio: the way to compare two versions on a shared machine.

``--blocks`` times the flagship's coupled kernel by block size (is its time numpy's per-call
overhead, or arithmetic that grows with the runs?) and one block after another against two
threads and two processes.

``--stacked`` times what ``detente report`` of the flagship runs instead: each hypothesis's
variants (the baseline and every lever alone) stacked in one pass of the kernel
(war/stacked.py), 2,000 runs each (1,000 with ``--quick``), CPU seconds of the fastest call;
with ``--baseline=SRC`` in turn with that checkout, as above.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import yaml

from detente.compile.coupled import compile_coupled, talks_model_options
from detente.runtime import run_arrays
from detente.runtime.backends import InProcess, Processes
from detente.scenario.schema import Scenario
from detente.war.coupled import CoupledOptions

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = yaml.safe_load((ROOT / "tests" / "fixtures" / "coupled.yaml").read_text())


def synthetic(actors: int, issues: int, every: int) -> Scenario:
    """The fixture's war with ``actors`` actors (R, U, then third parties) on ``issues`` issues."""
    doc = {k: v for k, v in FIXTURE.items() if k not in ("issues", "actors", "stances")}
    doc["issues"] = [{"id": f"i{d}", "name": f"issue {d}", "reference": 50}
                     for d in range(issues)]
    ids = ["RU", "UA", *(f"T{a}" for a in range(actors - 2))]
    doc["actors"] = [{"id": a, "name": a, "capability": 10 + 5 * k} for k, a in enumerate(ids)]
    doc["stances"] = [{"actor": a, "issue": f"i{d}", "position": (100 if a == "RU" else 0 if
                       a == "UA" else (37 * k + 11 * d) % 100), "salience": 0.5}
                      for k, a in enumerate(ids) for d in range(issues)]
    war = dict(doc["war"])
    war["third_parties"] = [{"actor": a, "aid": 0.05, "exit_base": -6, "exit_slope": 1,
                             "frustration_failed": 0.2} for a in ids[2:]]
    war["red_lines"] = [{"actor": "RU", "issue": "i0", "vetoes": "below", "bound": 60,
                         "softening": 0.5, "threshold": 0.05}]
    war["talks"] = {**war["talks"], "every": every,
                    "partial": [{"id": "first", "issues": [f"i{issues - 1}"]}]}
    war["front"] = {**war["front"], "continuous": {**war["front"]["continuous"],
                                                   "line_issues": ["i0"], "fortified": []}}
    war["checks"] = []
    doc["war"] = war
    doc["levers"] = [lv for lv in doc["levers"] if lv["id"] != "oil-sanctions"]
    doc["hypotheses"] = []
    return Scenario.model_validate(doc)


def timed(scenario: Scenario, runs: int, model: str, repeat: int, workers: int = 1
          ) -> tuple[float, float]:
    """(wall, CPU) seconds of the fastest of ``repeat`` runs through the runner."""
    inputs = compile_coupled(scenario, None, (), runs, 0)
    inputs = replace(inputs, model=model, model_options=talks_model_options(model, {}, 1))
    backend = InProcess() if workers == 1 else Processes(workers)
    best = (float("inf"), float("inf"))
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        run_arrays("coupled", inputs, CoupledOptions(), 0, backend=backend)
        best = min(best, (time.perf_counter() - wall, time.process_time() - cpu))
    return best


def row(label: str, runs: int, weeks: int, seconds: tuple[float, float]) -> None:
    wall, cpu = seconds
    print(f"{label:<34} {runs:>7,} {weeks:>5} {wall:>8.2f} {cpu:>7.2f} "
          f"{runs * weeks / wall:>14,.0f}  load {os.getloadavg()[0]:.1f}", flush=True)


def one(spec: str) -> None:
    """Print the (wall, CPU) seconds of one target case, ``model,workers,runs,repeat``."""
    model, workers, runs, repeat = spec.split(",")
    wall, cpu = timed(Scenario.model_validate(FIXTURE), int(runs), model, int(repeat),
                      int(workers))
    print(wall, cpu)


def against(baseline: str, quick: bool, models: list[str]) -> None:
    """The target case under ``baseline`` (a checkout's src) and this checkout, in turn."""
    runs, repeat = (2_000, 2) if quick else (10_000, 3)
    here = str(ROOT / "src")
    print(f"{'case':<30} {'baseline s':>10} {'CPU s':>7} {'this s':>8} {'CPU s':>7} "
          f"{'ratio':>6}  load")
    for model in models:
        for workers in (1, 2):
            best = {baseline: (float("inf"),) * 2, here: (float("inf"),) * 2}
            for _ in range(2):
                for src in (baseline, here):
                    env = {**os.environ, "PYTHONPATH": src}
                    out = subprocess.run(
                        [sys.executable, __file__, f"--one={model},{workers},{runs},{repeat}"],
                        env=env, capture_output=True, text=True, check=True).stdout.split()
                    best[src] = min(best[src], (float(out[-2]), float(out[-1])))
            (bw, bc), (hw, hc) = best[baseline], best[here]
            print(f"{f'fixture 4x6, {model}, {workers} proc, {runs:,}':<30} {bw:>10.2f} {bc:>7.2f} "
                  f"{hw:>8.2f} {hc:>7.2f} {bw / hw:>5.2f}x  {os.getloadavg()[0]:.1f}",
                  flush=True)


def main(quick: bool, models: list[str]) -> None:
    fixture = Scenario.model_validate(FIXTURE)
    runs, repeat = (2_000, 1) if quick else (10_000, 2)
    print(f"{'case':<34} {'runs':>7} {'weeks':>5} {'seconds':>8} {'CPU s':>7} "
          f"{'run-weeks / s':>14}")
    for model in models:
        for workers in (1, 2):
            row(f"fixture 4x6, every 2, {model}, {workers} proc", runs, 104,
                timed(fixture, runs, model, repeat, workers))
    small = 1_000 if quick else 5_000
    for actors in (2, 4, 8):
        row(f"actors {actors}, 6 issues, mean", small, 104,
            timed(synthetic(actors, 6, 2), small, "mean", 1))
    for issues in (2, 6, 12):
        row(f"4 actors, issues {issues}, mean", small, 104,
            timed(synthetic(4, issues, 2), small, "mean", 1))
    for every in (1, 2, 4, 8):
        row(f"4x6, talks every {every}, mean", small, 104,
            timed(synthetic(4, 6, every), small, "mean", 1))
    for n in ((1_000, 4_000) if quick else (1_000, 10_000, 30_000)):
        row("4x6, every 2, mean (runs)", n, 104, timed(synthetic(4, 6, 2), n, "mean", 1))


def stacked_case(runs: int, repeat: int) -> tuple[float, float]:
    """(wall, CPU) seconds of the fastest of ``repeat`` passes over the flagship's hypotheses,
    each one stacked pass of its variants (the baseline and every lever alone), as the report
    runs them."""
    from detente.scenario import load_scenario
    from detente.seeds import Streams, shared_draws
    from detente.war.stacked import simulate_stacked

    sc = load_scenario(ROOT / "scenarios" / "ukraine-2025.yaml")
    sets = [(), *((lv.id,) for lv in sc.levers)]
    groups = []
    for hyp in (None, *(h.id for h in sc.hypotheses)):  # compiled once, outside the timing
        with shared_draws():
            groups.append([compile_coupled(sc, hyp, lv, runs, 0) for lv in sets])
    best = (float("inf"), float("inf"))
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        for parts in groups:
            streams = Streams.from_seed(0)
            simulate_stacked(parts, CoupledOptions(), lambda key, s=streams: s.rows(key, runs))
        best = min(best, (time.perf_counter() - wall, time.process_time() - cpu))
    return best


def stacked(baseline: str | None, quick: bool) -> None:
    """The report's stacked passes, here or under ``baseline`` and here in turn."""
    runs, repeat = (1_000, 2) if quick else (2_000, 2)
    here = str(ROOT / "src")
    label = f"flagship stacked, {runs:,} x variants"
    if baseline is None:
        wall, cpu = stacked_case(runs, repeat)
        print(f"{label:<34} {wall:>8.2f} s wall {cpu:>7.2f} s CPU  load {os.getloadavg()[0]:.1f}")
        return
    best = {baseline: (float("inf"),) * 2, here: (float("inf"),) * 2}
    for _ in range(2):
        for src in (baseline, here):
            env = {**os.environ, "PYTHONPATH": src}
            out = subprocess.run([sys.executable, __file__, f"--stacked-one={runs},{repeat}"],
                                 env=env, capture_output=True, text=True, check=True).stdout
            best[src] = min(best[src], tuple(float(v) for v in out.split()[-2:]))
    (bw, bc), (hw, hc) = best[baseline], best[here]
    print(f"{'case':<34} {'baseline s':>10} {'CPU s':>7} {'this s':>8} {'CPU s':>7} {'ratio':>6}")
    print(f"{label:<34} {bw:>10.2f} {bc:>7.2f} {hw:>8.2f} {hc:>7.2f} {bc / hc:>5.2f}x CPU  "
          f"load {os.getloadavg()[0]:.1f}")


def blocks_case(quick: bool) -> None:
    """What the flagship's coupled kernel costs by block size and by backend, in this process:
    whether its time is numpy's per-call overhead (then larger blocks, fewer calls a week,
    would be much faster) or arithmetic that grows with the runs; and how one block after
    another compares with two threads and two processes (the blocks of the registry's size).
    A block size other than the registry's changes the numbers' stream layout, not the work."""
    from dataclasses import replace as with_block

    from detente import registry
    from detente.scenario import load_scenario

    runs = 10_240 if quick else 40_960
    sc = load_scenario(ROOT / "scenarios" / "ukraine-2025.yaml")
    inputs = compile_coupled(sc, None, (), runs, 0)
    spec = registry.MODELS["coupled"]
    print(f"flagship, coupled, {runs:,} runs x {inputs.horizon} weeks, best of 2")
    try:
        for block in sorted(b for b in {1_280, spec.block, 4 * spec.block, runs} if b <= runs):
            registry.MODELS["coupled"] = with_block(spec, block=block, threads=True)
            wall, cpu = _best(lambda: run_arrays("coupled", inputs, CoupledOptions(), 0,
                                                 backend=InProcess(threads=1)))
            print(f"  block {block:>6,} runs, one after another   {wall:>6.2f} s wall "
                  f"{cpu:>6.2f} s CPU  load {os.getloadavg()[0]:.1f}", flush=True)
        registry.MODELS["coupled"] = with_block(spec, threads=True)
        for label, backend in (("two threads", InProcess(threads=2)),
                               ("two processes", Processes(2))):
            wall, cpu = _best(lambda b=backend: run_arrays("coupled", inputs, CoupledOptions(),
                                                           0, backend=b))
            print(f"  block {spec.block:>6,} runs, {label:<19} {wall:>6.2f} s wall {cpu:>6.2f} s "
                  f"CPU (this process)  load {os.getloadavg()[0]:.1f}", flush=True)
    finally:
        registry.MODELS["coupled"] = spec


def _best(call: Callable[[], object], repeat: int = 2) -> tuple[float, float]:
    best = (float("inf"), float("inf"))
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        call()
        best = min(best, (time.perf_counter() - wall, time.process_time() - cpu))
    return best


if __name__ == "__main__":
    flags = dict(a[2:].split("=", 1) for a in sys.argv[1:] if "=" in a)
    chosen = flags.get("models", "mean,nash,smp,eum").split(",")
    if "stacked-one" in flags:
        n_runs, n_repeat = (int(v) for v in flags["stacked-one"].split(","))
        print(*stacked_case(n_runs, n_repeat))
    elif "--blocks" in sys.argv:
        blocks_case("--quick" in sys.argv)
    elif "--stacked" in sys.argv:
        stacked(flags.get("baseline"), "--quick" in sys.argv)
    elif "one" in flags:
        one(flags["one"])
    elif "baseline" in flags:
        against(flags["baseline"], "--quick" in sys.argv, chosen)
    else:
        main("--quick" in sys.argv, chosen)
