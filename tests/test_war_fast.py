"""The §5 war kernel's fast paths against its reference: the compiled weekly loops against the
numpy kernel, bit for bit, and the lean compile of the terms against the negotiation batch."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest

from detente.analysis.compare import war_options
from detente.compile import (
    LeverArrays,
    _stance_quantities,
    compile_scenario,
    compile_war,
    sample_columns,
    sample_quantities,
    stance_positions,
    war_inputs_from_values,
)
from detente.scenario import load_scenario
from detente.seeds import Streams
from detente.war import fast, kernel
from detente.war.base import VICTORY_U

from .conftest import FIXTURES, SCENARIOS


@pytest.fixture(scope="module")
def flagship():
    return load_scenario(SCENARIOS / "ukraine-2025.yaml")


# -- compile ---------------------------------------------------------------------------------

def test_sampled_columns_are_those_of_the_whole_matrix():
    """Any subset of columns, in any order, drawn by blocks of rows, equals the same columns of
    sample_quantities (uniform, triangular, beta, truncated normal, certain values)."""
    sc = load_scenario(FIXTURES / "minimal.yaml")
    quantities = _stance_quantities(sc)[0]
    draws = 2 * 4096 + 17  # three blocks of rows, the last one short
    whole = sample_quantities(quantities, draws, 7)
    for columns in ([5, 1, 0], [len(quantities) - 1], list(range(len(quantities))), []):
        part = sample_columns(quantities, columns, draws, 7)
        assert part.shape == (draws, len(columns))
        assert part.tobytes() == whole[:, columns].tobytes()
    assert sample_columns(quantities, [2, 3], 1, 7).tobytes() == whole[:1, [2, 3]].tobytes()


def test_stance_positions_are_the_batch_positions(flagship):
    """The §5 terms drawn alone equal the negotiation batch's positions of U and R, also for
    an actor without a stance on an issue (zeros, as the batch's masked cells)."""
    seed = np.random.SeedSequence(3)
    batch = compile_scenario(flagship, 500, seed)
    actors = [a.id for a in flagship.actors]
    for pair in (("UA", "RU"), ("EU", "US")):
        got = stance_positions(flagship, pair, 500, np.random.SeedSequence(3))
        for a, values in zip(pair, got, strict=True):
            assert np.array_equal(values, batch.position[:, actors.index(a), :])
    partial = flagship.model_copy(update={"stances": flagship.stances[1:]})
    missing = flagship.stances[0]
    got = stance_positions(partial, (missing.actor,), 50, 1)[0]
    position = compile_scenario(partial, 50, 1).position[:, actors.index(missing.actor), :]
    assert np.array_equal(got, position)
    assert not got[:, [i.id for i in flagship.issues].index(missing.issue)].any()


# -- compiled weekly loops -------------------------------------------------------------------

def _engines() -> list:
    """The loops to pin: numba's just-in-time build of the source, and the prebuilt module."""
    found = []
    if fast.PREBUILT is not None:
        found.append(pytest.param(fast.PREBUILT.week, id="prebuilt"))
    try:
        from detente.war import loops
    except ImportError:  # pragma: no cover - numba is an optional extra
        return found
    if loops.njit is not None:
        found.append(pytest.param(loops.week, id="jit"))
    return found


ENGINES = _engines()
needs_loops = pytest.mark.skipif(not ENGINES, reason="numba is not installed")


def _same(reference: kernel.WarOutcome, compiled: kernel.WarOutcome) -> None:
    for f in fields(kernel.WarOutcome):
        a, b = getattr(reference, f.name), getattr(compiled, f.name)
        assert (a.dtype, a.shape) == (b.dtype, b.shape), f.name
        assert a.tobytes() == b.tobytes(), f.name  # bit for bit, NaNs and signed zeros too


def _pin(inputs, options, week, seed: int = 0) -> None:
    streams = Streams.from_seed(seed).for_block(1, 0)
    _same(kernel._simulate_block(inputs, options, streams),
          fast.simulate_block(inputs, options, streams, week))


CASES = [
    {"variant": "smith-stam"},
    {"variant": "smith-stam", "proposer": "alternating", "offer_rule": "tioli"},
    {"variant": "smith-stam", "proposer": "R"},
    {"variant": "smith-stam", "proposer": "U", "offer_rule": "tioli", "battle": "bernoulli"},
    {"variant": "smith-stam", "proposer": "U"},
    {"variant": "smith-stam", "proposer": "R", "offer_rule": "tioli", "battle": "bernoulli"},
]


@needs_loops
@pytest.mark.parametrize("week", ENGINES)
@pytest.mark.parametrize("given", CASES, ids=lambda g: "-".join(map(str, g.values())))
def test_compiled_weeks_give_the_numpy_kernels_numbers(flagship, week, given):
    """Every proposer, offer rule and battle on the flagship, with a deadline lever (extra
    draws, credibility learning, threatened costs), a lever on the guarantees (the breakdown
    hazard) and one on effectiveness, under a hypothesis: every output bit for bit."""
    inputs = compile_war(flagship, "pressure-works",
                         ("deadline", "security-guarantees", "tomahawks"), 3000, Streams(5), {})
    assert fast.covered(war_options(given))
    _pin(inputs, war_options(given), week)
    _pin(compile_war(flagship, None, (), 2000, Streams(9), {}), war_options(given), week, 4)


@needs_loops
@pytest.mark.parametrize("week", ENGINES)
def test_compiled_weeks_stop_where_the_numpy_kernel_stops(week):
    """Wars that all end before the horizon without a breakdown hazard stop early (the rest of
    the rows copied), exhaustion and both victories included, fair odds (p̂ = 1/2) among them;
    a lever with an end and a one-shot deadline that ends with its window."""
    runs = 4000
    rng = np.random.default_rng(0)
    values = {"R.cost": rng.uniform(0, 0.02, runs), "U.cost": rng.uniform(0, 0.02, runs),
              "front.start": rng.integers(1, 6, runs), "R.belief.a": rng.integers(1, 9, runs),
              "R.belief.b": 4.0, "U.belief.a": 4.0, "U.belief.b": rng.integers(1, 9, runs),
              "R.capacity": rng.uniform(0.02, 0.2, runs), "U.forces": 90.0,
              "R.lethality": 0.01, "U.lethality": 0.02, "R.collapse": 0.001}
    levers = (LeverArrays("a", 3, 9, (("R.cost", "mul", np.full(runs, 1.5)),
                                      ("guarantees", "add", np.full(runs, 0.5)))),
              LeverArrays("once", 4, 30, (("R.cost", "add", rng.uniform(0, 0.01, runs)),),
                          credibility=rng.uniform(0, 1, runs)))  # a one-shot deadline
    inputs = war_inputs_from_values(values, runs, 6, 400, levers)
    for given in CASES:
        out = fast.simulate_block(inputs, war_options(given), Streams(2), week)
        assert out.end_mode.max() < kernel.HORIZON  # every war ended: the loop stopped early
        _pin(inputs, war_options(given), week, 2)


@needs_loops
@pytest.mark.parametrize("week", ENGINES)
def test_a_battle_without_odds_is_the_numpy_kernels(week):
    """Both sides' effectiveness 0 makes the battle's odds 0/0: numpy's NaN (no battle won)
    in the compiled loops too, prebuilt included (pycc's default error model raised
    ZeroDivisionError there)."""
    runs = 500
    rng = np.random.default_rng(1)
    values = {"R.effectiveness": 0.0, "U.effectiveness": 0.0, "R.cost": 0.01, "U.cost": 0.01,
              "front.start": rng.integers(1, 6, runs), "R.belief.a": 20.0, "R.belief.b": 1.0,
              "U.belief.a": 1.0, "U.belief.b": 20.0, "R.capacity": 0.3, "U.forces": 90.0,
              "R.lethality": 0.01, "U.lethality": 0.02, "R.collapse": 0.001}
    inputs = war_inputs_from_values(values, runs, 6, 60, ())  # each side sure it wins: war
    with np.errstate(divide="ignore", invalid="ignore"):
        for given in CASES:
            _pin(inputs, war_options(given), week, 3)
            out = kernel._simulate_block(inputs, war_options(given), Streams.from_seed(3))
            assert (out.end_mode == VICTORY_U).mean() > 0.5  # R wins no battle: u < NaN


def test_the_compiled_path_covers_smith_stam_only():
    """powell, fearon and other contest exponents run the numpy kernel (nothing else computes
    them)."""
    assert fast.covered(war_options({"variant": "smith-stam", "csf_exponent": 1.0}))
    for given in ({"variant": "powell"}, {"variant": "fearon"},
                  {"variant": "smith-stam", "csf_exponent": 2.0}):
        assert not fast.covered(war_options(given))
        assert not fast.compiled(war_options(given))
