"""Speed of the smp kernel against KTAB (issue 4, item 6). Run: ``make bench`` or
``.venv/bin/python benchmarks/bench_smp.py [--quick]``.

KTAB's figures are its -O2 wall times on the same kind of machine (PEERS.md §1.5, quiet runs
in the reference README), not re-measured here. The KTAB sample CSVs are read from
``../shared/reference/ktab`` or ``$DETENTE_KTAB_DIR`` (the two parity cases also ship in
``tests/fixtures/ktab``). For 160 actors KTAB's own ``dummyData-a160.csv`` is not shipped, so
the 80-actor sample is extended with 80 seeded actors drawn from the same ranges (capability
0.4-5.1, position 40-85, salience 8-78).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from detente.compile import Batch, compile_scenario
from detente.models.smp import SMPModel, SMPOptions
from detente.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DETENTE_KTAB_DIR", ROOT.parent / "shared" / "reference" / "ktab"))
FIXTURES = ROOT / "tests" / "fixtures" / "ktab"
KTAB_O2_SECONDS = {"SOE-Pol-Comp": 0.58, "dummyData_6Dim": 3.34, "dummyData-a040": 7.56,
                   "dummyData-a080": 85.0}


def case_path(name: str) -> Path | None:
    for folder in (FIXTURES, SHARED):
        if (folder / f"{name}.csv").exists():
            return folder / f"{name}.csv"
    return None


def extended(batch: Batch, n: int, seed: int = 160) -> Batch:
    """``batch`` with seeded extra actors drawn from the sample's own ranges."""
    from dataclasses import replace

    rng = np.random.default_rng(seed)
    extra = n - batch.position.shape[1]
    pos = rng.uniform(40, 85, (1, extra, 1))
    sal = rng.uniform(0.08, 0.78, (1, extra, 1))
    cap = np.broadcast_to(rng.uniform(0.4, 5.1, (1, extra, 1)), (1, extra, 1))
    cat = lambda a, b: np.concatenate([a, b], axis=1)  # noqa: E731
    return replace(batch, actors=batch.actors + tuple(f"X{k}" for k in range(extra)),
                   position=cat(batch.position, pos), salience=cat(batch.salience, sal),
                   capability=cat(batch.capability, cap),
                   mask=np.ones((1, n, 1), dtype=bool))


def timed(batch: Batch, repeat: int, engine: str = "auto") -> tuple[float, int]:
    model, opts = SMPModel(), SMPOptions(engine=engine)
    model.run(batch, opts)  # warm-up: numba's cached code is loaded on the first call
    best, turns = float("inf"), 0
    for _ in range(repeat):
        t = time.perf_counter()
        traj = model.run(batch, opts)
        best = min(best, time.perf_counter() - t)
        turns = int(traj.turns[0])
    return best, turns


def ktab_csv(batch: Batch) -> str:
    """``batch`` (one draw, one dimension, 0-100) in KTAB's CSV format, for a whole-process run."""
    rows = [f"XYZ,  XYZ Issue,  {len(batch.actors)},  1,  ",
            "Actor,  Description,  Influence,  XYZ Position,  XYZ Salience"]
    rows += [f"{a},  {a},  {c:.2f},  {x:.2f},  {100 * s:.2f}" for a, c, x, s in zip(
        batch.actors, batch.capability[0, :, 0], batch.position[0, :, 0], batch.salience[0, :, 0],
        strict=True)]
    return "\n".join(rows) + "\n"


def whole_process(path: Path, repeat: int = 3) -> float:
    """Best wall time of ``detente run PATH -m smp --json`` in a fresh process (start-up, reading
    KTAB's CSV, the model, the JSON), with this checkout's sources first on the path."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    cmd = [sys.executable, "-m", "detente.cli", "run", str(path), "-m", "smp", "--json"]
    subprocess.run(cmd, env=env, check=True, capture_output=True)  # byte-compiles the sources
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        best = min(best, time.perf_counter() - t)
    return best


def whole_processes(a080: Batch) -> None:
    from detente.models.smp import prebuilt

    engine = "prebuilt compiled turns" if prebuilt() is not None else "without the prebuilt module"
    print(f"\nwhole process, `detente run CSV -m smp --json` ({engine}; best of 3; load "
          f"{os.getloadavg()[0]:.1f}):")
    with tempfile.TemporaryDirectory() as tmp:
        a160 = Path(tmp) / "dummyData-a160.csv"
        a160.write_text(ktab_csv(extended(a080, 160)))
        for label, path, ktab in (("dummyData-a080", case_path("dummyData-a080"), 85.0),
                                  ("a080 + 80 seeded actors", a160, None)):
            seconds = whole_process(path)
            versus = f"{ktab / seconds:.0f}x KTAB -O2 ({ktab:.0f} s)" if ktab else \
                "KTAB did not finish in 10 min"
            print(f"  {label:<24} {seconds:6.2f} s  {versus}")


def main(quick: bool = False) -> None:
    print("smp against KTAB -O2 (same results; KTAB times from the reference runs; detente times "
          "in-process, best of 3)")
    print(f"{'case':<17} {'N x D':>7} {'turns':>5} {'numpy s':>8} {'compiled s':>11} "
          f"{'KTAB s':>8} {'speed-up':>9} {'ms/turn':>8}")
    a080 = None
    for name, ktab in KTAB_O2_SECONDS.items():
        path = case_path(name)
        if path is None:
            print(f"{name:<17} (input not found; skipped)")
            continue
        batch = compile_scenario(load_scenario(path))
        if name == "dummyData-a080":
            a080 = batch
        repeat = 1 if quick or batch.shape[1] >= 80 else 3
        slow, _ = timed(batch, repeat, "numpy")
        seconds, turns = timed(batch, repeat, "compiled")
        n, d = batch.shape[1], batch.shape[2]
        print(f"{name:<17} {f'{n}x{d}':>7} {turns:>5} {slow:>8.3f} {seconds:>11.4f} {ktab:>8.2f} "
              f"{ktab / seconds:>8.0f}x {1000 * seconds / max(turns, 1):>8.2f}")
    path = case_path("SOE-Pol-Comp")
    if path is not None:
        from detente.compile import batch_from_arrays

        base = compile_scenario(load_scenario(path))
        draws = 200
        rng = np.random.default_rng(1)
        pos = np.clip(np.repeat(base.position, draws, 0) + rng.normal(0, 2, (draws, 13, 2)), 0,
                      100)
        many = batch_from_arrays(pos, np.repeat(base.salience, draws, 0),
                                 np.repeat(base.capability, draws, 0), low=0, high=100)
        for engine in ("numpy", "auto"):
            seconds, _ = timed(many, 1, engine)
            print(f"SOE-Pol-Comp, {draws} Monte Carlo draws (positions +/- 2) in one call, "
                  f"engine {engine}: {seconds:.2f} s = {1000 * seconds / draws:.2f} ms per draw "
                  f"({KTAB_O2_SECONDS['SOE-Pol-Comp'] * draws / seconds:.0f}x KTAB per run)")
    if a080 is not None:
        whole_processes(a080)
        sizes = (10, 20, 40, 80, 160)
        print("\ncompiled: time per turn against N (1 dimension; prefixes of the 80-actor sample, "
              "extended to 160):")
        print(f"{'N':>5} {'turns':>5} {'seconds':>8} {'ms/turn':>9} {'ratio to N/2':>13}")
        previous = None
        for n in sizes:
            if quick and n > 80:
                break
            if n <= 80:
                from dataclasses import replace

                sub = replace(a080, actors=a080.actors[:n], position=a080.position[:, :n],
                              salience=a080.salience[:, :n], capability=a080.capability[:, :n],
                              mask=a080.mask[:, :n])
            else:
                sub = extended(a080, n)
            seconds, turns = timed(sub, 1, "compiled")
            per_turn = seconds / max(turns, 1)
            ratio = "" if previous is None else f"{per_turn / previous:.1f}x"
            print(f"{n:>5} {turns:>5} {seconds:>8.2f} {1000 * per_turn:>9.1f} {ratio:>13}")
            previous = per_turn


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
