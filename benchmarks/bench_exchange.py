"""Speed of the exchange model against decide (issue 5, item 5). Run: ``make bench`` or
``.venv/bin/python benchmarks/bench_exchange.py [--quick | --shortcuts | --breakdown |
--arithmetic | --decimal-round]``.

decide's figures are its wall times for 10 rounds and one repetition on the same kind of machine
(reference README: quiet runs, about 1.1 s of each is Python start-up), not re-measured here.
Inputs come from ``tests/fixtures/decide`` or ``../shared/reference/decide``.
"""

from __future__ import annotations

import cProfile
import math
import pstats
import sys
import time
from pathlib import Path

from timing import best_of

from detente.compile import compile_scenario
from detente.models.exchange import ExchangeOptions, run_exchange, to_percent
from detente.runtime import run_arrays
from detente.runtime.backends import Processes
from detente.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = (ROOT / "tests" / "fixtures" / "decide", ROOT.parent / "shared" / "reference" / "decide")
DECIDE_SECONDS = {"sample_data.txt": 6.97, "copenhagen.csv": 9.15, "cop21.csv": 27.7}


def find(name: str) -> Path | None:
    return next((f / name for f in FOLDERS if (f / name).exists()), None)


def timed(batch, opts: ExchangeOptions, repeat: int = 1) -> float:
    """Best of ``repeat`` runs of the model on ``batch``, in seconds."""
    return best_of(lambda: run_arrays("exchange", batch, opts, 0, Processes(2)), repeat)


ENGINES = (("decimal", "decimal"), ("compiled", "auto"), ("python", "python"))


def shortcuts(repeat: int) -> None:
    """The decimal engine's shortcuts against its literal loop (``shortcuts=False``), one
    repetition of 10 rounds in this process, the two timed in turn (the same numbers:
    tests/test_exchange_exact.py)."""
    print("decimal engine, one repetition in process: shortcuts against the literal loop")
    for name in DECIDE_SECONDS:
        path = find(name)
        if path is None:
            continue
        batch = compile_scenario(load_scenario(path))
        x = to_percent(batch.position[0], batch.low, batch.high, exact=True)
        args = (x, batch.salience[0], batch.capability[0], batch.mask[0],
                ExchangeOptions(engine="decimal"), 0, batch.stance_order)
        fast, plain = math.inf, math.inf
        for _ in range(repeat):  # in turn, so both see the same load
            plain = min(plain, best_of(lambda a=args: run_exchange(*a, shortcuts=False), 1))
            fast = min(fast, best_of(lambda a=args: run_exchange(*a), 1))
        print(f"{name:<16} literal {plain:.3f} s, shortcuts {fast:.3f} s "
              f"({plain / fast:.2f}x)")


def one_repetition(name: str) -> tuple[tuple[object, ...], tuple[object, ...]] | None:
    """The arguments of one decimal-engine repetition on ``name`` and of the same repetition in
    binary floats (``engine="python"``: the same Python loops, float arithmetic)."""
    path = find(name)
    if path is None:
        return None
    batch = compile_scenario(load_scenario(path))
    x = to_percent(batch.position[0], batch.low, batch.high, exact=True)
    rest = (batch.salience[0], batch.capability[0], batch.mask[0])
    return ((x, *rest, ExchangeOptions(engine="decimal"), 0, batch.stance_order),
            (x.astype(float), *rest, ExchangeOptions(engine="python"), 0))


def phases(args: tuple[object, ...]) -> dict[str, float]:
    """Shares of the decimal engine's time (under cProfile, which inflates Python calls): the
    round's candidates built and calculated, their recalculations after each realised exchange,
    and the rest of the round loop (ordering the pool by gain, bookkeeping)."""
    profile = cProfile.Profile()
    profile.runcall(run_exchange, *args)
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    by_name = {(f[0].rsplit("/", 1)[-1], f[2]): v for f, v in stats.items()}
    total = by_name[("exchange.py", "run_exchange")][3]
    calculate_callers = by_name[("exchange.py", "calculate")][4]
    created = by_name[("exchange.py", "__init__")][3] + sum(
        v[3] for f, v in calculate_callers.items() if f[2] == "run_round")
    recalculated = by_name[("exchange.py", "recalculate")][3]
    return {"candidates": created / total, "recalculations": recalculated / total,
            "rest of the loop": 1 - (created + recalculated) / total}


def breakdown(repeat: int) -> None:
    """Where the decimal engine's time goes, per decide case: its in-process time against the
    same loops in binary floats (the difference is roughly the 28-digit arithmetic; the float
    time is what the interpreted loops cost whatever the number type), and the phases of a
    round."""
    print(f"decimal engine, one repetition in process (best of {repeat}), against the same "
          "Python loops in floats (whose decisions differ slightly: relative ties)")
    for name in DECIDE_SECONDS:
        jobs = one_repetition(name)
        if jobs is None:
            continue
        exact, floats = math.inf, math.inf
        for _ in range(repeat):  # in turn, so both see the same load
            exact = min(exact, best_of(lambda a=jobs[0]: run_exchange(*a), 1))
            floats = min(floats, best_of(lambda a=jobs[1]: run_exchange(*a), 1))
        split = ", ".join(f"{k} {v:.0%}" for k, v in phases(jobs[0]).items())
        print(f"{name:<16} decimal {exact:.3f} s, python floats {floats:.3f} s "
              f"(arithmetic about {1 - floats / exact:.0%}); profiled: {split}")


def main(quick: bool = False) -> None:
    model_reps = 5 if quick else 30
    print("exchange model (Equal Gain, 10 rounds) against decide (1 repetition, 10 rounds);")
    print("engines: decimal (default; decide's arithmetic digit for digit), compiled and python")
    print("(binary floats, the same numbers as each other); repetitions run on a process pool")
    print(f"{'case':<16} {'N x D':>6} {'engine':>9} {'1 rep s':>8} {'decide s':>9} "
          f"{'speed-up':>9} {f'{model_reps} reps s':>10} {'per rep':>8} {'speed-up':>9}")
    for name, peer in DECIDE_SECONDS.items():
        path = find(name)
        if path is None:
            print(f"{name:<16} (input not found; skipped)")
            continue
        batch = compile_scenario(load_scenario(path))
        n, d = batch.shape[1], batch.shape[2]
        for label, engine in ENGINES:
            one = timed(batch, ExchangeOptions(engine=engine), 1 if quick else 3)
            many = timed(batch, ExchangeOptions(repetitions=model_reps, engine=engine))
            per = many / model_reps
            print(f"{name:<16} {f'{n}x{d}':>6} {label:>9} {one:>8.3f} {peer:>9.2f} "
                  f"{peer / one:>8.0f}x {many:>10.2f} {per:>8.3f} {peer / per:>8.0f}x")
    path = find("copenhagen.csv")
    if path is not None:
        batch = compile_scenario(load_scenario(path))
        reps = 20 if quick else 100
        start = time.perf_counter()
        for p in (0.0, 0.5, 1.0):
            t = timed(batch, ExchangeOptions(p=p, repetitions=reps, engine="auto"))
            print(f"copenhagen, randomised Equal Gain p = {p}, engine=auto: {reps} repetitions "
                  f"in {t:.2f} s")
        print(f"p-sweep over 3 values x {reps} repetitions: {time.perf_counter() - start:.1f} s "
              f"(decide: 26.4 s for 3 values x 5 repetitions)")


def arithmetic(repeat: int) -> None:
    """The compiled exact decimal type (models/exact_decimal.py) against Python's ``decimal``,
    both giving the same digits (tests/test_exact_decimal.py): per operation on 28-digit
    operands inside a compiled loop against the same operation in the interpreter, and a round's
    tables (``DecimalRound.__init__`` against ``exchange_decimal.round_tables``) on cop21.
    Timed in turn (A B A B), best of ``repeat``."""
    from decimal import Decimal

    import numpy as np

    from detente.models import exact_decimal as xd
    from detente.models import exchange_decimal as xe
    from detente.models.exchange import DecimalRound

    if xd.njit is None:
        print("arithmetic: numba absent; skipped")
        return
    loop = xd.njit(lambda op, a, b, out, n: [op(a, b, out) for _ in range(n)])
    a_dec, b_dec = Decimal(100) / Decimal(3), Decimal(2) / Decimal(7)
    a, b = xd.from_decimal(a_dec), xd.from_decimal(b_dec)
    out = np.zeros(xd.SIZE, dtype=np.int64)
    count = 200_000
    print(f"exact decimal arithmetic, 28-digit operands, ns per operation (best of {repeat})")
    for label, op, ref in (("*", xd.dec_mul, lambda: a_dec * b_dec),
                           ("+", xd.dec_add, lambda: a_dec + b_dec),
                           ("/", xd.dec_div, lambda: a_dec / b_dec)):
        loop(op, a, b, out, 10)
        compiled, python = math.inf, math.inf
        for _ in range(repeat):
            compiled = min(compiled, best_of(lambda op=op: loop(op, a, b, out, count), 1))
            python = min(python, best_of(lambda ref=ref: [ref() for _ in range(count)], 1))
        print(f"  {label}: compiled {compiled / count * 1e9:6.0f} ns, Python decimal "
              f"{python / count * 1e9:6.0f} ns ({python / compiled:.1f}x)")
    jobs = one_repetition("cop21.csv")
    if jobs is None:
        return
    x, s, c, present, _, _, order = jobs[0]
    rnd = DecimalRound(x, s, c, present, order)  # type: ignore[arg-type]
    n, d_n = np.shape(x)
    numbers = xe.as_numbers(rnd.x), xe.as_numbers(rnd.s), xe.as_numbers(rnd.c)
    actors = np.full((d_n, n), -1, dtype=np.int64)
    counts = np.array([len(rnd.slot[d]) for d in range(d_n)], dtype=np.int64)
    for d in range(d_n):
        actors[d, :counts[d]] = list(rnd.slot[d])
    xe.round_tables(*numbers, actors, counts)
    compiled, python = math.inf, math.inf
    for _ in range(repeat):
        compiled = min(compiled, best_of(lambda: xe.round_tables(*numbers, actors, counts), 1))
        python = min(python, best_of(
            lambda: DecimalRound(x, s, c, present, order), 1))  # type: ignore[arg-type]
    print(f"  cop21 round tables ({n}x{d_n}): compiled {compiled * 1e3:.2f} ms, "
          f"DecimalRound {python * 1e3:.2f} ms ({python / compiled:.1f}x; the Python side "
          "also converts positions)")


def decimal_round(repeat: int) -> None:
    """The decimal engine's rounds compiled (``exchange_decimal.run_round``, the default where
    it is built) against the interpreted ``DecimalRound``: one repetition of 10 rounds per
    case in this process, timed in turn (A B A B), best of ``repeat``, CPU time (the machine is
    shared) and wall time. The same digits: tests/test_exchange_decimal.py."""
    from detente.models import exchange

    loops = exchange.decimal_round_loops()
    if loops is None:
        print("decimal round: no compiled loops (numba absent); skipped")
        return
    kind = "prebuilt" if exchange.decimal_prebuilt() is not None else "just-in-time"
    print(f"decimal engine, one repetition in process: compiled rounds ({kind}) against "
          "DecimalRound")
    for name in DECIDE_SECONDS:
        jobs = one_repetition(name)
        if jobs is None:
            continue
        args = jobs[0]
        run_exchange(*args)  # type: ignore[arg-type]  # loads (or compiles) the loops
        best = {True: [math.inf, math.inf], False: [math.inf, math.inf]}
        for _ in range(repeat):
            for compiled in (True, False):
                wall, cpu = time.perf_counter(), time.process_time()
                run_exchange(*args, compiled_decimal=compiled)  # type: ignore[arg-type]
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                best[compiled] = [min(best[compiled][0], cpu), min(best[compiled][1], wall)]
        (c_cpu, c_wall), (p_cpu, p_wall) = best[True], best[False]
        print(f"{name:<16} compiled {c_cpu:.3f} s CPU ({c_wall:.3f} s wall), DecimalRound "
              f"{p_cpu:.3f} s CPU ({p_wall:.3f} s wall): {p_cpu / c_cpu:.2f}x")


if __name__ == "__main__":
    if "--decimal-round" in sys.argv:
        decimal_round(3)
    elif "--arithmetic" in sys.argv:
        arithmetic(3)
    elif "--shortcuts" in sys.argv:
        shortcuts(3)
    elif "--breakdown" in sys.argv:
        breakdown(3)
    else:
        main(quick="--quick" in sys.argv)
