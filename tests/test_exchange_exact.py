"""The digit-exact (decimal) exchange engine's shortcuts pinned to its plain loop and to the
outputs it gave before them (MODELS.md §4.3 step 7; issue 14).

The shortcuts: recalculations after a realised exchange run in any order when nothing is drawn
(p = 0) instead of in pool order, a recalculation that only records positions reuses the
crossing tests whose inputs did not change, and a pair's roles and rates are computed once per
run. Each must leave every number unchanged: the tests compare the outputs byte for byte.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.compile import compile_scenario
from detente.models.exchange import ExchangeOptions, _repetition, run_exchange, to_percent
from detente.scenario import load_scenario

from .conftest import FIXTURES

DECIDE = FIXTURES / "decide"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference" / "decide"
DIGESTS = DECIDE / "exchange_digests.json"
FILES = ("sample_data.txt", "copenhagen.csv", "cop21.csv")
# (label, options, seed): Equal Gain, randomised gains, decide's tie duplicates off, few rounds
COMBOS: dict[str, tuple[dict[str, Any], int]] = {
    "equal-gain": ({}, 11),
    "equal-gain-seed-7": ({}, 7),
    "p-0.3": ({"p": 0.3}, 5),
    "p-1": ({"p": 1.0}, 3),
    "fixed-ties": ({"duplicate_tie": "fixed"}, 2),
    "4-rounds": ({"rounds": 4}, 13),
}
LONG = {"cop21.csv": ("equal-gain", "p-0.3")}  # the largest case: two combinations


def cases() -> list[tuple[str, str]]:
    return [(name, combo) for name in FILES for combo in COMBOS
            if combo in LONG.get(name, COMBOS)]


def job(path: Path, combo: str) -> tuple[Any, ...]:
    """The arguments of one repetition of the decimal engine on ``path``."""
    options, seed = COMBOS[combo]
    batch = compile_scenario(load_scenario(path))
    x = to_percent(batch.position[0], batch.low, batch.high, exact=True)
    return (x, batch.salience[0], batch.capability[0], batch.mask[0],
            ExchangeOptions(engine="decimal", **options), seed, batch.low,
            batch.high - batch.low, batch.actors, batch.issues, batch.stance_order)


def serialised(out: dict[str, Any]) -> bytes:
    """Every number a repetition reports, as bytes: positions and votes (float64) and each
    realised exchange (JSON, floats written with repr, so the last digit counts)."""
    return (np.ascontiguousarray(out["positions"], dtype=float).tobytes()
            + np.ascontiguousarray(out["voting"], dtype=float).tobytes()
            + json.dumps([out["exchanges"], int(out["ties"])]).encode())


def digest(path: Path, combo: str) -> str:
    return hashlib.sha256(serialised(_repetition(job(path, combo)))).hexdigest()


def write_digests() -> None:
    """Record the digests (run once with the engine whose outputs are the reference)."""
    DIGESTS.write_text(json.dumps({f"{n}/{c}": digest(DECIDE / n, c) for n, c in cases()},
                                  indent=1) + "\n")


@pytest.mark.parametrize(("name", "combo"), cases())
def test_decimal_engine_gives_the_recorded_outputs(name, combo):
    """The outputs the decimal engine gave before its shortcuts (recorded with detente's main
    branch at 3356e86, the digits decide's arithmetic gives): byte for byte the same."""
    assert digest(DECIDE / name, combo) == json.loads(DIGESTS.read_text())[f"{name}/{combo}"]


def same_run(args: tuple[Any, ...]) -> None:
    x, s, c, present, opts, seed, order = args
    fast = run_exchange(x, s, c, present, opts, seed, order)
    plain = run_exchange(x, s, c, present, opts, seed, order, shortcuts=False)
    for key in ("positions", "voting"):
        assert fast[key].tobytes() == plain[key].tobytes(), key
    assert fast["ties"] == plain["ties"]
    for ours, theirs in zip(fast["exchanges"], plain["exchanges"], strict=True):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            assert a.gain == b.gain
            for side_a, side_b in ((a.i, b.i), (a.j, b.j)):
                assert (side_a.actor, side_a.supply, side_a.x, side_a.y, side_a.move,
                        side_a.eu) == (side_b.actor, side_b.supply, side_b.x, side_b.y,
                                       side_b.move, side_b.eu)


@pytest.mark.parametrize("folder", [DECIDE, SHARED], ids=["fixtures", "shared"])
@pytest.mark.parametrize(("name", "combo"), cases())
def test_shortcuts_give_the_plain_loops_numbers(folder, name, combo):
    """On every decide case (ours and the reference copies when present), the engine with its
    shortcuts gives the 28-digit decimals of the literal loop, exchange by exchange."""
    if not (folder / name).exists():
        pytest.skip(f"{folder / name} is not present")
    x, s, c, present, opts, seed, *_, order = job(folder / name, combo)
    same_run((x, s, c, present, opts, seed, order))


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_shortcuts_agree_on_random_problems(data):
    """Random small problems, positions and weights on coarse grids so that equal gains, ties
    and outcomes landing on a partner's position (caps) are common: the shortcuts give the
    plain loop's decimals with and without randomised gains and tie duplicates."""
    n = data.draw(st.integers(5, 10), label="actors")
    d = data.draw(st.integers(3, 4), label="issues")
    cells = st.lists(st.sampled_from([0.0, 10.0, 25.0, 50.0, 60.0, 100.0]), min_size=n * d,
                     max_size=n * d)
    weights = st.lists(st.sampled_from([0.1, 0.2, 0.5, 0.8, 1.0]), min_size=n * d,
                       max_size=n * d)
    x = np.array(data.draw(cells)).reshape(n, d)
    s = np.array(data.draw(weights)).reshape(n, d)
    c = np.array(data.draw(weights)).reshape(n, d)
    missing = data.draw(st.sets(st.integers(0, n * d - 1), max_size=2), label="missing")
    present = ~np.isin(np.arange(n * d), list(missing)).reshape(n, d)
    opts = ExchangeOptions(engine="decimal", rounds=data.draw(st.integers(2, 4)),
                           p=data.draw(st.sampled_from([0.0, 0.0, 0.5])),
                           duplicate_tie=data.draw(st.sampled_from(["peer", "fixed"])))
    low, high = np.zeros(d), np.full(d, 100.0)
    order = tuple(tuple(data.draw(st.permutations(range(n)))) for _ in range(d))
    same_run((to_percent(x, low, high, exact=True), s, c, present, opts,
              data.draw(st.integers(0, 2**32 - 1)), order))
