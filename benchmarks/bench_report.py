"""Where `detente report` of the flagship spends its time (issue 14, report row). Run:
``.venv/bin/python benchmarks/bench_report.py [--runs 2000] [--before SRC] [--pairs N]
[--workers N]`` (prints only; no assertions).

First the stages in this process, wall and CPU seconds: imports, loading the scenario, the
negotiation models, the war comparison (the coupled kernel itself; compiling the variants;
folding each variant's blocks into its digest; the summaries and lever effects; the rest), the
cited paragraphs, rendering the HTML. ``--stages-only`` stops there (run it with another
tree's ``src`` first on PYTHONPATH to compare stages in turn). Then, with ``--before SRC``
(another checkout's ``src``), the whole command ``detente report`` timed for that tree and
this one in turn (A B A B ...), each with the load average at its start, since the machine is
shared, and the ratio of the best walls; ``--workers N`` runs both with ``report --workers N``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "ukraine-2025.yaml"


def stages(runs: int) -> None:
    """Seconds per stage of one report, in this process: wall and this process's CPU (on a
    shared machine the CPU seconds move less)."""
    t0, c0 = time.perf_counter(), time.process_time()
    import detente.analysis.compare as comparison
    import detente.analysis.coupled as digests
    import detente.cli  # noqa: F401  (what the command imports before it runs)
    import detente.compile.coupled as compiler
    import detente.war.coupled as kernel
    import detente.war.stacked as stacked
    from detente.analysis import report_data as rd
    from detente.report import render_report
    from detente.report.data import cited_text
    from detente.scenario import load_scenario

    keys = ("kernel", "compile", "fold", "summaries")
    clock = {k: [0.0, 0.0] for k in keys}

    def clocked(owner, name, key):  # time every call of owner.name into clock[key]
        fn = getattr(owner, name)

        def timed(*args, **kwargs):
            t, c = time.perf_counter(), time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                clock[key][0] += time.perf_counter() - t
                clock[key][1] += time.process_time() - c

        setattr(owner, name, timed)

    clocked(kernel, "simulate_coupled", "kernel")
    clocked(stacked, "simulate_stacked", "kernel")  # the variants of a hypothesis in one pass
    clocked(compiler, "compile_coupled", "compile")
    clocked(digests.DigestFold, "add", "fold")  # each variant's blocks into its digest
    clocked(digests.DigestFold, "finish", "fold")
    clocked(comparison, "summarize", "summaries")  # each variant's summary and lever effects
    clocked(digests, "lever_effects", "summaries")
    marks = [("imports", time.perf_counter() - t0, time.process_time() - c0)]

    def stage(name: str, fn: Any) -> Any:
        t, c = time.perf_counter(), time.process_time()
        value = fn()
        marks.append((name, time.perf_counter() - t, time.process_time() - c))
        return value

    sc = stage("load scenario", lambda: load_scenario(FLAGSHIP))
    collections = [0, 0.0]  # the cyclic garbage collector's passes while the models run
    began = [0.0]

    def collected(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            began[0] = time.perf_counter()
        else:
            collections[0] += 1
            collections[1] += time.perf_counter() - began[0]

    # as report_data runs them: with the collector paused where this tree pauses it
    paused = getattr(rd, "collector_paused", contextlib.nullcontext)
    gc.callbacks.append(collected)
    with paused():
        data = stage("negotiation models (200 draws)", lambda: {
            "scenario": rd.scenario_overview(sc), "negotiation": rd.negotiation_runs(sc, 200, 0),
            "provenance": {"scenario_sha256": sc.sha256(), "version": "bench", "seed": 0,
                           "runs": runs, "draws": 200}})
        t, c = time.perf_counter(), time.process_time()
        data["war"] = rd.war_section(sc, runs, 0)
        war = (time.perf_counter() - t, time.process_time() - c)
    gc.callbacks.remove(collected)
    rest = [war[i] - sum(clock[k][i] for k in keys) for i in (0, 1)]
    marks += [(f"coupled kernel ({runs} runs x variants)", *clock["kernel"]),
              ("compiling the variants", *clock["compile"]),
              ("digests (folding each variant's blocks)", *clock["fold"]),
              ("summaries and lever effects", *clock["summaries"]),
              ("rest of the comparison (provenance, ...)", *rest)]
    data["cited_text"] = stage("cited paragraphs", lambda: cited_text(sc, FLAGSHIP))
    t = time.perf_counter()
    cited_text(sc, FLAGSHIP)  # again: from the evidence cache the first call filled
    warm_cited = time.perf_counter() - t
    html = stage("render", lambda: render_report(data))
    name, *secs = marks[-1]
    marks[-1] = (f"render ({len(html) / 1e6:.1f} MB)", *secs)
    total = sum(s for _, s, _ in marks)
    cpu = sum(c for _, _, c in marks)
    print(f"  {'stage':<44} {'wall':>7}    {'share':>5}   {'CPU':>7}")
    for name, s, c in marks:
        print(f"  {name:<44} {s:7.2f} s  {100 * s / total:5.1f} %  {c:7.2f} s")
    print(f"  {'total':<44} {total:7.2f} s           {cpu:7.2f} s")
    print(f"  {'(cited paragraphs again, evidence cache warm)':<44} {warm_cited:7.2f} s")
    print(f"  {'(garbage collector while the models ran)':<44} {collections[1]:7.2f} s "
          f"in {collections[0]} passes")


def whole(src: str, runs: int, out: Path, extra: list[str]) -> tuple[float, float, float]:
    """Wall and CPU seconds (this process's children: the workers too) of `detente report`
    with ``src`` first on the path and the flags ``extra``, and the load average at its start."""
    env = {**os.environ, "PYTHONPATH": src}
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "detente.cli", "report", str(FLAGSHIP), "--runs",
                    str(runs), "-o", str(out), *extra], env=env, check=True, capture_output=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu, load


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--before", help="another checkout's src folder, timed in turn with this")
    ap.add_argument("--pairs", type=int, default=1)
    ap.add_argument("--workers", type=int, help="run both as `report --workers N`")
    ap.add_argument("--stages-only", action="store_true", help="the stages in this process only")
    args = ap.parse_args()
    extra = ["--workers", str(args.workers)] if args.workers else []
    print(f"detente report {FLAGSHIP.name} --runs {args.runs}: stages in-process "
          f"(load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores)")
    stages(args.runs)
    if not args.before or args.stages_only:
        return
    here = str(ROOT / "src")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.html"
        whole(here, 10, out, extra)  # warm: compiled caches on disk for both trees
        whole(args.before, 10, out, extra)
        print(f"whole process{' ' + ' '.join(extra) if extra else ''}, in turn (wall, CPU, "
              "load average at start):")
        best = {"before": float("inf"), "after": float("inf")}
        for k in range(args.pairs):
            for name, src in (("before", args.before), ("after", here)):
                wall, cpu, load = whole(src, args.runs, out, extra)
                best[name] = min(best[name], wall)
                print(f"  pair {k + 1} {name:<7} {wall:6.2f} s wall {cpu:6.2f} s CPU   "
                      f"load {load:.1f}")
        print(f"  best: before {best['before']:.2f} s, after {best['after']:.2f} s, "
              f"{best['before'] / best['after']:.2f}x")


if __name__ == "__main__":
    main()
