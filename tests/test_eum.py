"""The expected-utility model against Scholz et al. (2011) Table 2 and the reference replication."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.compile import batch_from_arrays, compile_scenario
from detente.errors import InputError
from detente.models import eum
from detente.models.baselines import weighted_mean, weighted_median
from detente.models.eum import EUMModel, EUMOptions, eum_options
from detente.runtime import negotiate
from detente.scenario import load_scenario

from .conftest import FIXTURES, SCENARIOS

TARGETS = json.loads((FIXTURES / "eum-emissions-targets.json").read_text())


@pytest.fixture(scope="module")
def emissions():
    return load_scenario(SCENARIOS / "bdm1994-emissions.yaml")


@pytest.fixture(scope="module")
def run10(emissions):
    return negotiate(emissions, "eum", rounds=10)


def test_reference_trajectory_to_1e4(run10):
    """MODELS.md §2.10 acceptance 1: positions, median and mean of every round."""
    median = run10.median_path()[0, 1:, 0]
    mean = run10.mean_path()[0, 1:, 0]
    np.testing.assert_allclose(median, TARGETS["reference_median"], atol=1e-4)
    np.testing.assert_allclose(mean, TARGETS["reference_mean"], atol=1e-4)
    actors = list(run10.batch.actors)
    for actor, path in TARGETS["reference_positions"].items():
        got = run10.trajectory.positions[0, 1:, actors.index(actor), 0]
        np.testing.assert_allclose(got, path, atol=1e-4)
    moved = {a for k, a in enumerate(actors)
             if np.ptp(run10.trajectory.positions[0, :, k, 0]) > 0}
    assert moved == {"BE", "LU", "IE"}


def test_round1_risk_exponents(run10):
    r = run10.trajectory.diagnostics["risk_exponent"][0, 0, :, 0]
    want = [TARGETS["round1_risk_exponents"][a] for a in run10.batch.actors]
    np.testing.assert_allclose(r, want, atol=1e-3)


def test_table2_targets(emissions):
    """Acceptance 2: truncated medians equal in >= 7 of 8 rounds; all 8 means within 0.1."""
    result = negotiate(emissions, "eum", rounds=8)
    median = result.median_path()[0, 1:, 0]
    mean = result.mean_path()[0, 1:, 0]
    table = TARGETS["table2"]
    truncated = [math.floor(m * 10) / 10 for m in median]
    assert sum(abs(t - p) < 1e-9 for t, p in zip(truncated, table["median"], strict=True)) >= 7
    assert sum(abs(m - p) <= 0.1 for m, p in zip(median, table["median"], strict=True)) >= 7
    assert all(abs(m - p) <= 0.1 for m, p in zip(mean, table["mean"], strict=True))
    # the one deviation is round 2 and is documented, not tuned away
    assert abs(median[1] - 9.6109) < 1e-3


def test_velev_bug_gives_same_trajectory_on_emissions(emissions):
    a = negotiate(emissions, "eum", {"capitulation": "velev_bug"}).trajectory.positions
    b = negotiate(emissions, "eum").trajectory.positions
    np.testing.assert_array_equal(a, b)


def test_all_at_one_position_nothing_moves():
    batch = batch_from_arrays(np.full((1, 4, 1), 5.0), np.full((1, 4, 1), 0.5),
                              np.ones((1, 4)), low=0, high=10)
    traj = EUMModel().run(batch, EUMOptions())
    assert np.all(traj.positions == 5.0)


def _random_case(seed: int, n: int):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 10.0, size=(1, n, 1))  # continuous: exact ties have probability 0
    x[0, :2, 0] = [0.0, 10.0]
    s = rng.uniform(0.1, 1.0, (1, n, 1))
    c = rng.uniform(0.1, 1.0, (1, n))
    return x, s, c


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(3, 8))
def test_actor_order_does_not_matter(seed, n):
    """Acceptance 4: permuting actors permutes the trajectory (simultaneous updates)."""
    x, s, c = _random_case(seed, n)
    perm = np.random.default_rng(seed + 1).permutation(n)
    opts = EUMOptions(rounds=4, offer_selection="least_move")
    a = EUMModel().run(batch_from_arrays(x, s, c, low=0, high=10), opts).positions
    b = EUMModel().run(batch_from_arrays(x[:, perm], s[:, perm], c[:, perm], low=0, high=10),
                       opts).positions
    np.testing.assert_allclose(a[0][:, perm], b[0], atol=1e-9)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_capability_rescaling_is_invariant(seed):
    x, s, c = _random_case(seed, 6)
    a = EUMModel().run(batch_from_arrays(x, s, c, low=0, high=10), EUMOptions(rounds=3))
    b = EUMModel().run(batch_from_arrays(x, s, 7.5 * c, low=0, high=10), EUMOptions(rounds=3))
    np.testing.assert_allclose(a.positions, b.positions, atol=1e-9)


def test_batch_rows_equal_single_runs():
    """The batch axis is only a batch: row k of a batched run equals a run of row k alone."""
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 10, (7, 6, 1))
    s = rng.uniform(0.1, 1, (7, 6, 1))
    c = rng.uniform(0.1, 1, (7, 6))
    opts = EUMOptions(rounds=5)
    whole = EUMModel().run(batch_from_arrays(x, s, c, low=0, high=10), opts).positions
    for k in range(7):
        one = EUMModel().run(batch_from_arrays(x[k:k + 1], s[k:k + 1], c[k:k + 1], low=0,
                                               high=10), opts).positions
        np.testing.assert_allclose(whole[k:k + 1], one, atol=1e-12)


def test_issues_run_independently():
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 100, (1, 5, 3))
    s = rng.uniform(0.1, 1, (1, 5, 3))
    c = rng.uniform(0.1, 1, (1, 5))
    both = EUMModel().run(batch_from_arrays(x, s, c, low=0, high=100), EUMOptions(rounds=4))
    for j in range(3):
        one = EUMModel().run(batch_from_arrays(x[:, :, j:j + 1], s[:, :, j:j + 1], c, low=0,
                                               high=100), EUMOptions(rounds=4))
        np.testing.assert_allclose(both.positions[..., j], one.positions[..., 0], atol=1e-12)


def test_forecast_is_median_of_last_round(run10):
    w = run10.batch.weights()
    np.testing.assert_allclose(run10.trajectory.forecast,
                               weighted_median(run10.trajectory.positions[:, -1], w))
    assert run10.trajectory.forecast[0, 0] == pytest.approx(7.0)
    assert weighted_mean(run10.trajectory.positions[:, -1], w)[0, 0] == pytest.approx(7.2421,
                                                                                    abs=1e-4)


@pytest.mark.parametrize("preset", ["paper", "schelling", "masad2014"])
def test_presets_run_and_stay_on_scale(emissions, preset):
    result = negotiate(emissions, "eum", {"preset": preset})
    pos = result.trajectory.positions
    assert np.all((pos >= 4 - 1e-9) & (pos <= 10 + 1e-9))
    assert result.options.preset == preset


def test_schelling_preset_stops_when_median_is_stable(emissions):
    result = negotiate(emissions, "eum", {"preset": "schelling"})
    assert result.trajectory.stop_reason[0] == "median_stable"
    assert result.trajectory.turns[0] < 100


def test_q_below_one_changes_the_game(emissions):
    a = negotiate(emissions, "eum", {"q": 0.5}).trajectory.positions
    b = negotiate(emissions, "eum").trajectory.positions
    assert not np.allclose(a, b)


def test_bad_options_are_named():
    with pytest.raises(InputError, match="must be one of"):
        eum_options({"probability": "magic"})
    with pytest.raises(InputError, match=r"unknown option"):
        eum_options({"colour": "red"})
    with pytest.raises(InputError, match=r"must lie in \[0, 1\]"):
        eum_options({"q": "1.5"})
    with pytest.raises(InputError, match="unknown preset"):
        eum_options({"preset": "nope"})


def test_monte_carlo_draw_zero_is_point_estimate(emissions):
    result = negotiate(emissions, "eum", draws=3, seed=1)
    single = negotiate(emissions, "eum")
    np.testing.assert_array_equal(result.trajectory.positions[0], single.trajectory.positions[0])


def test_missing_stance_is_refused():
    from detente.errors import ModelError

    batch = compile_scenario(load_scenario(FIXTURES / "partial.yaml"))
    with pytest.raises(ModelError, match="every actor to hold a position"):
        EUMModel().run(batch, EUMOptions())


def test_block_size_and_threads_do_not_change_results(monkeypatch):
    from detente.models import eum

    rng = np.random.default_rng(9)
    batch = batch_from_arrays(rng.uniform(0, 10, (9, 5, 1)), rng.uniform(0.1, 1, (9, 5, 1)),
                              rng.uniform(0.1, 1, (9, 5)), low=0, high=10)
    whole = EUMModel().run(batch, EUMOptions(rounds=4)).positions
    monkeypatch.setattr(eum, "BLOCK", 1)  # many blocks of 8 problems, on the thread pool
    split = EUMModel().run(batch, EUMOptions(rounds=4)).positions
    np.testing.assert_array_equal(whole, split)


@pytest.mark.parametrize("n", [3, 10, 31])
def test_vote_margins_same_bits_either_way(monkeypatch, n):
    """Large batches add the voters one at a time, small ones in one 4-d expression: both add
    k = 0, 1, ... in order, so the margins are the same numbers, and equal to a plain loop."""
    rng = np.random.default_rng(n)
    x = rng.integers(0, 8, (6, n)).astype(float)  # coinciding positions included
    w, r = rng.uniform(0.1, 1, (6, n)), rng.uniform(0.5, 2, (6, n))
    R = x.max(axis=1) - x.min(axis=1) + 1.0
    monkeypatch.setattr(eum, "SMALL_MARGINS", 0)
    loop = eum.vote_margins(x, w, r, R)
    monkeypatch.setattr(eum, "SMALL_MARGINS", 10**12)
    np.testing.assert_array_equal(eum.vote_margins(x, w, r, R), loop)
    v = w[0, :, None] * (np.abs(x[0, :, None] - x[0, None, :]) / R[0]) ** r[0, :, None]
    plain = [[sum(max(0.0, v[k, j] - v[k, i]) for k in range(n)) for j in range(n)]
             for i in range(n)]
    np.testing.assert_allclose(loop[0], plain, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize(("path", "model"), [("bdm1994-emissions.yaml", "eum"),
                                             ("ukraine-2025.yaml", "median")])
def test_run_json_paths_of_draw_zero_equal_the_full_paths(path, model):
    """``detente run --json`` computes the mean and median paths of draw 0 alone (not of every
    draw, then row 0): the same numbers, bit for bit, as the paths of the whole batch."""
    result = negotiate(load_scenario(SCENARIOS / path), model, draws=40, seed=3)
    doc = result.to_dict()
    t = doc["turns"]
    assert doc["mean"] == result.mean_path()[0, : t + 1].tolist()
    assert doc["median"] == result.median_path()[0, : t + 1].tolist()
    rows = slice(5, 9)
    np.testing.assert_array_equal(result.mean_path(rows), result.mean_path()[rows])
    np.testing.assert_array_equal(result.median_path(rows), result.median_path()[rows])
