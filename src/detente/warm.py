"""``python -m detente.warm``: compile the numba loops once, at install time.

The exchange engine's float round (``detente.models.exchange_fast``) and its digit-exact decimal
round (``detente.models.exchange_decimal``), the eum round
(``detente.models.eum_fast``), the smp turns (``detente.models.smp_fast``), the §5 war weeks
(``detente.war.loops``), and the coupled kernel's week of fighting (``detente.war.coupled_loops``)
are built ahead of time into extension modules beside their sources,
which load in a millisecond without importing numba (rebuilt when a source changes); without a
C compiler, numba's just-in-time cache is filled instead (numba compiles a loop on its first
call and writes the machine code next to the source, where later processes load it in about a
second). Left to the first real run, that compilation
takes 30-45 s of CPU inside an analyst's first ``detente report``; the Makefile's install step
runs this module instead, so the first ``make demo`` on a fresh clone starts warm. Each step
runs one model through the runner on a tiny scenario, compiled as a scenario file is, so the
cached signatures are the ones real runs look up (numba keys its cache on array flags too: a
read-only broadcast array would miss it).

A view (like ``detente.demo``): it runs models through the runner and prints progress (a rich
spinner in a terminal, one plain line per step otherwise); it computes nothing itself.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from importlib.util import find_spec

TINY = {
    "detente": 1, "name": "warm-up", "salience_scale": 1,
    "issues": [{"id": "x", "name": "x", "low": 0, "high": 100},
               {"id": "y", "name": "y", "low": 0, "high": 100}],
    "actors": [{"id": a, "name": a, "capability": c}
               for a, c in (("a", 40), ("b", 25), ("c", 20), ("d", 15))],
    "stances": [{"actor": a, "issue": i, "position": p, "salience": s}
                for a, row in zip("abcd", (((10, .6), (80, .4)), ((40, .3), (20, .7)),
                                           ((70, .5), (55, .5)), ((95, .2), (5, .8))),
                                  strict=True)
                for i, (p, s) in zip("xy", row, strict=True)],
}


def _tiny():  # type: ignore[no-untyped-def]
    """Four actors on two issues, compiled the way a scenario file is (so the arrays have the
    flags, writable and contiguous, that numba's cache keys on)."""
    from detente.scenario import Scenario

    return Scenario.model_validate(TINY)


def _ahead_of_time(model: str, options: dict) -> Callable[[], None]:
    """A step that builds ``model``'s compiled round ahead of time (a later run loads it
    without importing numba); without a C compiler, numba's just-in-time cache instead."""

    def step() -> None:
        from importlib import import_module

        try:
            import_module(f"detente.models.{model}_fast").build()
        except Exception as err:  # pycc reports a missing C compiler in many ways
            print(f"detente.warm: {model} ahead-of-time build failed ({err}); caching the "
                  "just-in-time loops instead", file=sys.stderr)
            from detente.runtime import negotiate

            negotiate(_tiny(), model, {"engine": "compiled", **options})

    return step


def _exchange_decimal() -> None:
    """The decimal engine's round (digit-exact, the default) ahead of time; without a C
    compiler, numba's just-in-time cache instead (a default run then loads it)."""
    from detente.models import exchange_decimal

    try:
        exchange_decimal.build()
    except Exception as err:  # pycc reports a missing C compiler in many ways
        print(f"detente.warm: decimal exchange ahead-of-time build failed ({err}); caching the "
              "just-in-time loops instead", file=sys.stderr)
        from detente.runtime import negotiate

        negotiate(_tiny(), "exchange", {"engine": "decimal", "rounds": 2})


def _war() -> None:
    """The §5 war kernel's weekly loops, ahead of time; without a C compiler the numpy kernel
    serves (its loops are used only prebuilt)."""
    from detente.war import fast

    try:
        fast.build()
    except Exception as err:  # pycc reports a missing C compiler in many ways
        print(f"detente.warm: war ahead-of-time build failed ({err}); the numpy kernel serves",
              file=sys.stderr)


def _coupled() -> None:
    """The coupled kernel's week of fighting, ahead of time; without a C compiler the numpy
    step serves (its loops are used only prebuilt)."""
    from detente.war import coupled_fast

    try:
        coupled_fast.build()
    except Exception as err:  # pycc reports a missing C compiler in many ways
        print(f"detente.warm: coupled ahead-of-time build failed ({err}); the numpy step "
              "serves", file=sys.stderr)


def steps() -> list[tuple[str, Callable[[], None]]]:
    """The compiled engines to warm, by label; empty without numba (nothing to compile)."""
    from detente.models import eum_fast, exchange, exchange_fast, smp, smp_fast
    from detente.war import coupled_fast
    from detente.war import fast as war_fast

    out = []
    if smp.prebuilt() is None and smp_fast.AVAILABLE:
        out.append(("smp: KTAB turn loops (ahead of time)",
                    _ahead_of_time("smp", {"max_turns": 5})))
    if exchange_fast.PREBUILT is None and exchange_fast.njit is not None:
        out.append(("exchange: Stokman round loops (ahead of time)",
                    _ahead_of_time("exchange", {"rounds": 2})))
    if exchange.decimal_prebuilt() is None and find_spec("numba") is not None:
        out.append(("exchange: digit-exact decimal round (ahead of time)", _exchange_decimal))
    if eum_fast.PREBUILT is None and eum_fast.njit is not None:
        out.append(("eum: expected-utility round (ahead of time)",
                    _ahead_of_time("eum", {"rounds": 2})))
    if war_fast.PREBUILT is None and find_spec("numba") is not None:
        out.append(("war: §5 weekly loops (ahead of time)", _war))
    if coupled_fast.PREBUILT is None and find_spec("numba") is not None:
        out.append(("war: the coupled week of fighting (ahead of time)", _coupled))
    return out


def main() -> int:
    from rich.console import Console

    from detente.views.progress import Steps

    todo = steps()
    if not todo:
        why = ("every compiled round is built from the current sources" if find_spec("numba")
               else "numba is not installed")
        print(f"detente.warm: {why}; nothing to compile", file=sys.stderr)
        return 0
    start = time.perf_counter()
    step = Steps(Console(stderr=True), len(todo))
    for label, run in todo:
        with step(f"compiling {label} (cached after this, once per install)"):
            run()
    print(f"detente.warm: compiled code cached in {time.perf_counter() - start:.1f} s",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
