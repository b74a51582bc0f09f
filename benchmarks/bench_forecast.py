"""Speed of the forecast ledger and scorer. Run: ``.venv/bin/python benchmarks/bench_forecast.py``.

Prints the time per seal in a SQLite ledger (one fsync'd transaction each, WAL,
synchronous=FULL), the time to verify the chain, and the sorted-sample CRPS against the
O(m²) pairwise form it replaces.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
from timing import best_of

from detente.forecast.ledger import open_ledger, verify_chain
from detente.forecast.scoring import crps_ensemble


def pairwise_crps(x: np.ndarray, y: float) -> float:
    return float(np.abs(x - y).mean() - np.abs(x[:, None] - x[None, :]).mean() / 2)


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        book = open_ledger(Path(d) / "bench.sqlite")
        q = {"id": "Q-BENCH", "version": 1}
        n = 200
        t0 = time.perf_counter()
        for i in range(n):
            book.append("forecast", q, "bench", {}, {"seed": i}, {"p": 0.5}, {})
        seal = (time.perf_counter() - t0) / n
        t = best_of(lambda: verify_chain(book.rows(), *book.head()), 3)
        print(f"SQLite ledger: {seal * 1e3:.1f} ms per seal ({n} seals); verify {n} rows "
              f"{t * 1e3:.1f} ms")
    rng = np.random.default_rng(0)
    for m in (1_000, 5_000):
        x = rng.normal(size=m)
        fast = best_of(lambda x=x: crps_ensemble(x, 0.3), 3)
        slow = best_of(lambda x=x: pairwise_crps(x, 0.3), 2)
        print(f"CRPS, {m:,} samples: sorted {fast * 1e3:.2f} ms, pairwise {slow * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
