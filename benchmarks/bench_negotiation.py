"""Speed of the negotiation kernels (issue 2, item 8). Run: ``make bench`` or
``.venv/bin/python benchmarks/bench_negotiation.py``.

Prints wall times (best of several repeats) and ratios against baselines measured in the same
run: one batched call of K draws against K separate single-draw calls. The Velev/Masad
replication's 5.4 s for the emissions case (PEERS.md §2.5, same kind of machine) is shown for
scale only; it was not measured here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from timing import best_of

from detente.compile import batch_from_arrays, compile_scenario
from detente.models.eum import EUMModel, EUMOptions
from detente.runtime import run_arrays
from detente.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
PEER_VELEV_S = 5.4



def random_case(n: int, draws: int = 1, seed: int = 1):
    rng = np.random.default_rng(seed)
    return batch_from_arrays(rng.uniform(0, 100, (draws, n, 1)), rng.uniform(0.1, 1, (draws, n, 1)),
                             rng.uniform(1, 10, (draws, n)), low=0, high=100)


def main(quick: bool = False) -> None:
    model = EUMModel()
    scenario = load_scenario(ROOT / "scenarios" / "bdm1994-emissions.yaml")
    one = compile_scenario(scenario)
    k = 1000 if quick else 10_000
    many = compile_scenario(scenario, draws=k, seed=1)
    for engine in ("compiled", "numpy"):  # compiled: the prebuilt module, else numba's loops
        opts = EUMOptions(rounds=10, engine=engine)
        model.run(one, opts)  # warm-up
        t1 = best_of(lambda o=opts: model.run(one, o), 20)
        print(f"[{engine}] eum, emissions case (10 actors), 10 rounds, one draw: "
              f"{t1 * 1e3:.2f} ms (Velev/Masad peer: {PEER_VELEV_S} s, x{PEER_VELEV_S / t1:,.0f})")
        tk = best_of(lambda o=opts: run_arrays("eum", many, o), 1 if quick else 3)
        print(f"[{engine}] eum, emissions case, {k:,} draws through the runner (blocks on "
              f"threads): {tk:.2f} s ({tk / k * 1e6:.0f} us per draw)")
        print(f"[{engine}] eum, random actors on 0-100, 10 rounds, one draw: time against N")
        for n in (10, 25, 50, 100) if quick else (10, 25, 50, 100, 200):
            case = random_case(n)
            tn = best_of(lambda c=case, o=opts: model.run(c, o), 3)
            print(f"  N = {n:4d}: {tn * 1e3:9.2f} ms")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
