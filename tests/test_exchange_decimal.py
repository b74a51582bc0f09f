"""The compiled parts of the decimal engine's round (models/exchange_decimal.py) pinned digit for
digit to ``DecimalRound`` (the interpreted reference) on every decide fixture, in the first round
(positions as written) and the second (positions that are 28-digit results), and on random
small problems (issue 14)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.compile import compile_scenario
from detente.models import exchange
from detente.models import exchange_decimal as xe
from detente.models.exact_decimal import SIZE
from detente.models.exchange import DecimalRound, ExchangeOptions, run_round, to_percent
from detente.scenario import load_scenario

from .conftest import FIXTURES
from .test_exchange_exact import random_problem

DECIDE = FIXTURES / "decide"
FIXTURE_FILES = sorted(p.name for p in DECIDE.iterdir() if p.suffix in (".csv", ".txt"))


def identical(numbers: np.ndarray, decimals: Any) -> bool:
    """Digit for digit: equal values, and equal signs of zeros."""
    got = xe.as_decimals(numbers).ravel().tolist()
    want = np.asarray(decimals, dtype=object).ravel().tolist()
    return len(got) == len(want) and all(
        g == w and g.is_signed() == w.is_signed() for g, w in zip(got, want, strict=True))


def check_round(x: np.ndarray, s: np.ndarray, c: np.ndarray, present: np.ndarray,
                order: tuple[tuple[int, ...], ...], pairs: int = 400) -> None:
    rnd = DecimalRound(x, s, c, present, order)
    n, d_n = x.shape
    X = xe.as_numbers(rnd.x)
    S, C = xe.as_numbers(rnd.s), xe.as_numbers(rnd.c)
    actors = np.full((d_n, n), -1, dtype=np.int64)
    counts = np.zeros(d_n, dtype=np.int64)
    for d in range(d_n):
        ks = list(rnd.slot[d])
        actors[d, :len(ks)] = ks
        counts[d] = len(ks)
    cs, terms, prefix, denominator, outcome = xe.round_tables(X, S, C, actors, counts)
    assert identical(cs, rnd.cs)
    for d in range(d_n):
        assert identical(terms[d, :counts[d]], rnd.terms[d])
        assert identical(prefix[d, :counts[d] + 1], rnd.prefix[d])
    assert identical(denominator, rnd.denominator)
    assert identical(outcome, rnd.outcome)
    # the equal-gain moves of candidate exchanges, and step 8 on their votes
    out = np.zeros((4, SIZE), dtype=np.int64)
    nxt = np.zeros(SIZE, dtype=np.int64)
    checked = 0
    for p, q in itertools.combinations(range(d_n), 2):
        for a, b in itertools.permutations(range(n), 2):
            if checked >= pairs:
                return
            if not (present[a, [p, q]].all() and present[b, [p, q]].all()):
                continue
            if not all(rnd.s[k][z] and rnd.c[k][z] for k in (a, b) for z in (p, q)):
                continue
            e = exchange.Exchange(rnd, a, b, p, q)
            i, j = e.i, e.j
            want = rnd.equal_gain_moves(i, j)
            ai, aj = i.actor, j.actor
            xe.equal_gain_moves(
                X[ai, i.supply], X[ai, i.demand], X[aj, j.supply], X[aj, j.demand],
                xe.as_numbers(i.rate), xe.as_numbers(j.rate), S[ai, q], C[ai, q], S[aj, p],
                C[aj, p], cs[ai, q], cs[aj, p], denominator[p], denominator[q], out)
            assert identical(out, list(want)), (a, b, p, q)
            vote = i.x + (want[2] if i.x <= j.demand_x else -want[2])
            xe.next_position(S[ai, q], X[ai, q], xe.as_numbers(vote), nxt)
            assert identical(nxt, [rnd.next_position(i.s_sup, i.start, vote)])
            checked += 1


def fixture_round(name: str) -> tuple[Any, ...]:
    batch = compile_scenario(load_scenario(DECIDE / name))
    x = to_percent(batch.position[0], batch.low, batch.high, exact=True)
    return x, batch.salience[0], batch.capability[0], batch.mask[0], batch.stance_order


@pytest.mark.parametrize("name", FIXTURE_FILES)
def test_round_arithmetic_matches_decimal_round_on_fixtures(name: str) -> None:
    x, s, c, present, order = fixture_round(name)
    check_round(x, s, c, present, order)
    # the second round starts from 28-digit results of step 8
    out = run_round(x, s, c, present, ExchangeOptions(engine="decimal"),
                    np.random.RandomState(3), order)  # type: ignore[arg-type]
    check_round(out["new"], s, c, present, order, pairs=150)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_round_arithmetic_matches_decimal_round_on_random_problems(data: st.DataObject) -> None:
    n = data.draw(st.integers(3, 8))
    d = data.draw(st.integers(2, 4))
    cells = st.lists(st.sampled_from([0.0, 10.0, 25.0, 33.3, 50.0, 60.0, 100.0]),
                     min_size=n * d, max_size=n * d)
    weights = st.lists(st.sampled_from([0.0, 0.1, 0.2, 0.35, 0.5, 0.8, 1.0]), min_size=n * d,
                       max_size=n * d)
    x = np.array(data.draw(cells)).reshape(n, d)
    s = np.array(data.draw(weights)).reshape(n, d)
    c = np.array(data.draw(weights)).reshape(n, d)
    present = np.array(data.draw(st.lists(st.booleans(), min_size=n * d, max_size=n * d))
                       ).reshape(n, d) | (np.arange(n)[:, None] < 2)
    order = tuple(tuple(data.draw(st.permutations(range(n)))) for _ in range(d))
    low, high = np.zeros(d), np.full(d, 100.0)
    check_round(to_percent(x, low, high, exact=True), s, c, present, order)


def test_fixture_list_is_not_empty() -> None:
    assert {"cop21.csv", "sample_data.txt"} <= set(FIXTURE_FILES), Path(DECIDE)


# -- the compiled round (exchange_decimal.run_round) against the interpreted one --------------

COMBOS: dict[str, dict[str, Any]] = {
    "equal-gain": {}, "fixed-ties": {"duplicate_tie": "fixed"}, "4-rounds": {"rounds": 4}}
needs_loops = pytest.mark.skipif(exchange.decimal_round_loops() is None,
                                 reason="no compiled decimal round (numba absent, not built)")


def same_numbers(args: tuple[Any, ...]) -> None:
    """A run with the compiled decimal rounds and one with the interpreted ``DecimalRound``:
    every position and vote (float64 bytes), the tie count and each realised exchange, all its
    decimals compared as values and signs of zeros (``identical_decimal``)."""
    compiled = exchange.run_exchange(*args)
    reference = exchange.run_exchange(*args, compiled_decimal=False)
    for key in ("positions", "voting"):
        assert compiled[key].tobytes() == reference[key].tobytes(), key
    assert compiled["ties"] == reference["ties"]
    assert len(compiled["exchanges"]) == len(reference["exchanges"])
    for ours, theirs in zip(compiled["exchanges"], reference["exchanges"], strict=True):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            assert identical_decimal(a.gain, b.gain)
            for side_a, side_b in ((a.i, b.i), (a.j, b.j)):
                assert (side_a.actor, side_a.supply, side_a.demand) == (
                    side_b.actor, side_b.supply, side_b.demand)
                for name in ("x", "start", "demand_x", "s_sup", "s_dem", "c_sup", "rate",
                             "move", "d_outcome", "y", "eu"):
                    assert identical_decimal(getattr(side_a, name), getattr(side_b, name)), name


def identical_decimal(a: Any, b: Any) -> bool:
    return a == b and a.is_signed() == b.is_signed()


def fixture_job(name: str, options: dict[str, Any], seed: int) -> tuple[Any, ...]:
    batch = compile_scenario(load_scenario(DECIDE / name))
    x = to_percent(batch.position[0], batch.low, batch.high, exact=True)
    return (x, batch.salience[0], batch.capability[0], batch.mask[0],
            ExchangeOptions(engine="decimal", **options), seed, batch.stance_order)


@needs_loops
@pytest.mark.parametrize("combo", sorted(COMBOS))
@pytest.mark.parametrize("name", FIXTURE_FILES)
def test_compiled_round_gives_the_interpreted_decimals(name: str, combo: str) -> None:
    """On every decide fixture, ten (or four) rounds of the compiled decimal round give the
    interpreted engine's 28-digit decimals exchange by exchange, ties and caps included."""
    if name == "cop21.csv" and combo != "equal-gain":
        pytest.skip("the largest case: one combination")
    same_numbers(fixture_job(name, COMBOS[combo], 11))


@needs_loops
@settings(max_examples=60, deadline=None)
@given(st.data())
def test_compiled_round_gives_the_interpreted_decimals_on_random_problems(data: Any) -> None:
    """Random small problems on coarse grids (equal gains, exact ties between gains, outcomes
    landing on partners' positions, absent stances, any summation order): the compiled round
    gives the interpreted decimals, tie draws and tie duplicates included."""
    same_numbers(random_problem(data, 0.0))


@needs_loops
def test_compiled_round_meets_ties() -> None:
    """The fixtures exercise what the compiled round mirrors: exact ties (coin flips and
    decide's duplicate references) happen in these runs, so the equality above covers them."""
    out = exchange.run_exchange(*fixture_job("copenhagen.csv", {}, 11))
    assert out["ties"] > 0


@needs_loops
def test_randomised_gains_run_interpreted(monkeypatch: pytest.MonkeyPatch) -> None:
    """p > 0 is not compiled: those rounds return None from the compiled path and run in
    ``DecimalRound``; p = 0 rounds never reach the interpreted round."""
    args = fixture_job("sample_data.txt", {"p": 0.3, "rounds": 2}, 5)
    x, s, c, present, opts, seed, order = args
    assert exchange.compiled_decimal_round(x, s, c, present, opts, seed, order) is None

    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("the interpreted round ran")

    monkeypatch.setattr(exchange, "run_round", refuse)
    exchange.run_exchange(*fixture_job("sample_data.txt", {"rounds": 2}, 5))


@needs_loops
@pytest.mark.parametrize("name", FIXTURE_FILES)
def test_cli_json_is_the_interpreted_engines(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``detente run <case> -m exchange --json`` (the default decimal engine) prints the same
    bytes with the compiled rounds as with the interpreted ``DecimalRound``, and the first run
    did take the compiled rounds."""
    from typer.testing import CliRunner

    from detente.cli import app

    taken = []
    compiled_round = exchange.compiled_decimal_round

    def spy(*args: Any, **kw: Any) -> Any:
        out = compiled_round(*args, **kw)
        taken.append(out is not None)
        return out

    monkeypatch.setattr(exchange, "compiled_decimal_round", spy)
    command = ["run", str(DECIDE / name), "-m", "exchange", "--json"]
    compiled = CliRunner().invoke(app, command)
    assert taken and all(taken)
    monkeypatch.setattr(exchange, "decimal_round_loops", lambda: None)
    interpreted = CliRunner().invoke(app, command)
    assert compiled.exit_code == interpreted.exit_code == 0, compiled.output
    assert compiled.output == interpreted.output


PREBUILT_PROBE = """
import hashlib, json, os, sys
if os.environ["DETENTE_EXCHANGE_DECIMAL_AOT"] == "0":
    import detente.models.exchange_decimal  # numba loaded: its just-in-time loops serve
from detente.models import exchange
from detente.models.exchange import _repetition
import numpy as np
from detente.compile import compile_scenario
from detente.scenario import load_scenario
batch = compile_scenario(load_scenario("tests/fixtures/decide/copenhagen.csv"))
x = exchange.to_percent(batch.position[0], batch.low, batch.high, exact=True)
out = _repetition((x, batch.salience[0], batch.capability[0], batch.mask[0],
                   exchange.ExchangeOptions(), 11, batch.low, batch.high - batch.low,
                   batch.actors, batch.issues, batch.stance_order))
text = (np.ascontiguousarray(out["positions"]).tobytes()
        + json.dumps([out["exchanges"], int(out["ties"])]).encode())
print(exchange.decimal_prebuilt() is not None, "numba" in sys.modules,
      hashlib.sha256(text).hexdigest())
"""


@pytest.mark.skipif(exchange.decimal_prebuilt() is None,
                    reason="the decimal round is not prebuilt (python -m detente.warm)")
def test_prebuilt_decimal_round_loads_without_numba() -> None:
    """Built by ``python -m detente.warm``, the compiled decimal round loads without numba (its
    import costs a third of a second) and gives the interpreted engine's outputs byte for byte
    (the just-in-time loops' too: the probe run with the prebuilt module switched off)."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    env = {**__import__("os").environ, "PYTHONPATH": str(root / "src")}
    runs = [subprocess.run([sys.executable, "-c", PREBUILT_PROBE], cwd=root, text=True,
                           capture_output=True, timeout=600,
                           env={**env, "DETENTE_EXCHANGE_DECIMAL_AOT": switch})
            for switch in ("1", "0")]
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    prebuilt, jit = (r.stdout.split() for r in runs)
    assert prebuilt[:2] == ["True", "False"] and jit[:2] == ["False", "True"]
    batch = compile_scenario(load_scenario(DECIDE / "copenhagen.csv"))
    x = to_percent(batch.position[0], batch.low, batch.high, exact=True)
    out = exchange.run_exchange(x, batch.salience[0], batch.capability[0], batch.mask[0],
                                ExchangeOptions(), 11, batch.stance_order,
                                compiled_decimal=False)
    records = [[exchange.exchange_record(e, batch.low.tolist(),
                                         (batch.high - batch.low).tolist(), batch.actors,
                                         batch.issues) for e in rnd]
               for rnd in out["exchanges"]]
    import hashlib
    import json

    text = (np.ascontiguousarray(out["positions"]).tobytes()
            + json.dumps([records, int(out["ties"])]).encode())
    assert prebuilt[2] == jit[2] == hashlib.sha256(text).hexdigest()
