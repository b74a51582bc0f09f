"""Compile step (sampling, draw 0, reproducibility) and the baseline models."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.compile import batch_from_arrays, compile_scenario, inverse_cdf
from detente.errors import ModelError
from detente.models.baselines import MeanModel, NashModel, nash_1d, weighted_median
from detente.options import MeanOptions, NashOptions
from detente.runtime import negotiate
from detente.scenario import Quantity, load_scenario

from .conftest import FIXTURES


@pytest.fixture(scope="module")
def minimal():
    return load_scenario(FIXTURES / "minimal.yaml")


def test_draw_zero_is_the_point_estimate(minimal):
    b = compile_scenario(minimal, draws=50, seed=3)
    one = compile_scenario(minimal)
    np.testing.assert_array_equal(b.position[0], one.position[0])
    assert b.position[0, 1, 0] == 80.0  # midpoint of uniform(70, 90)
    assert b.capability[0, 1, 0] == 1.0  # mode of the triangular
    assert b.salience[0, 2, 0] == pytest.approx(2 / 7)  # mean of beta(2, 5)


def test_same_seed_same_draws_and_prefix_property(minimal):
    a = compile_scenario(minimal, draws=200, seed=11)
    b = compile_scenario(minimal, draws=200, seed=11)
    c = compile_scenario(minimal, draws=20, seed=11)
    d = compile_scenario(minimal, draws=200, seed=12)
    np.testing.assert_array_equal(a.position, b.position)
    np.testing.assert_array_equal(a.position[:20], c.position)
    assert not np.array_equal(a.position, d.position)


def test_samples_respect_their_distributions(minimal):
    b = compile_scenario(minimal, draws=20_001, seed=0)
    pos_b = b.position[1:, 1, 0]
    assert pos_b.min() >= 70 and pos_b.max() <= 90
    assert pos_b.mean() == pytest.approx(80, abs=0.2)
    normal = b.position[1:, 2, 1]
    assert normal.min() >= 0 and normal.max() <= 20
    assert normal.mean() == pytest.approx(10, abs=0.1)
    tri = b.capability[1:, 1, 0]
    assert tri.mean() == pytest.approx((0.5 + 1 + 2) / 3, abs=0.01)
    sal = b.salience[1:, 2, 0]
    assert sal.mean() == pytest.approx(2 / 7, abs=0.005)
    certain = b.capability[:, 0, 0]
    assert np.all(certain == 2.0)


def test_triangular_inverse_cdf_quantiles():
    q = Quantity(dist="triangular", lo=0, mode=2, hi=10)
    u = np.array([0.0, 0.2, 1.0])
    np.testing.assert_allclose(inverse_cdf(q, u), [0, 2, 10])


def test_mask_and_salience_scale():
    b = compile_scenario(load_scenario(FIXTURES / "partial.yaml"))
    assert b.mask.sum() == 5 and not b.mask[0, 2, 1]
    assert b.weights()[0, 2, 1] == 0


def test_mean_model_is_the_weighted_mean(minimal):
    r = negotiate(minimal, "mean")
    b = r.batch
    w = b.capability * b.salience
    want = (w * b.position).sum(1) / w.sum(1)
    np.testing.assert_allclose(r.trajectory.forecast, want)


def _condorcet_scan(x: np.ndarray, w: np.ndarray) -> float:
    """Oracle: the position no other position beats in the pairwise weighted vote (§1.2)."""
    for cand in sorted(set(x)):
        if all(np.sum(w * (np.abs(x - other) - np.abs(x - cand))) >= -1e-12
               for other in set(x)):
            return cand
    raise AssertionError("no Condorcet winner")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.floats(0.01, 5)), min_size=2, max_size=9))
def test_weighted_median_is_the_condorcet_winner(pairs):
    x = np.array([p for p, _ in pairs], float)
    w = np.array([v for _, v in pairs])
    assert weighted_median(x[:, None], w[:, None])[0] == _condorcet_scan(x, w)


def test_weighted_median_same_on_every_layout():
    """Voters on the last axis, on the usual axis -2, or on the first: the same medians (each
    layout takes its own path through the function)."""
    rng = np.random.default_rng(4)
    x = rng.integers(0, 6, (5, 7, 3)).astype(float)  # (draws, voters, issues), ties included
    w = rng.uniform(0.1, 2, (5, 7, 3))
    usual = weighted_median(x, w)
    np.testing.assert_array_equal(weighted_median(x.swapaxes(1, 2), w.swapaxes(1, 2), axis=-1),
                                  usual)
    np.testing.assert_array_equal(weighted_median(np.moveaxis(x, 1, 0), np.moveaxis(w, 1, 0),
                                                  axis=0), usual)
    for b in range(5):
        for d in range(3):
            assert usual[b, d] == _condorcet_scan(x[b, :, d], w[b, :, d])


def test_nash_symmetric_and_closed_form():
    # two equal actors at 0 and 10, status quo 20: u1 gain 20 - o, u2 gain o on [0, 10] -> o = 10
    x = np.array([[0.0, 10.0]])
    out = nash_1d(x, np.ones((1, 2)), np.ones((1, 2), bool), np.array([20.0]))
    assert out[0] == pytest.approx(10.0, abs=1e-9)
    # quadratic: first-order condition o = sum (w/g) x / sum (w/g) (MODELS.md §1.3)
    x = np.array([[2.0, 6.0, 9.0]])
    w = np.array([[1.0, 2.0, 0.5]])
    d = np.array([30.0])
    o = nash_1d(x, w, np.ones((1, 3), bool), d, "quadratic")[0]
    g = (d[0] - x[0]) ** 2 - (o - x[0]) ** 2
    assert o == pytest.approx(np.sum(w[0] / g * x[0]) / np.sum(w[0] / g), abs=1e-7)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.floats(0.1, 3.0)), min_size=2, max_size=6),
       st.integers(0, 20), st.sampled_from(["linear", "quadratic"]))
def test_nash_maximises_the_nash_product_as_a_bounded_scalar_search_finds(actors, d, utility):
    """The bracketed Newton solution is the maximiser: scipy's bounded Brent search on the log
    Nash product over the feasible interval finds no better point and lands on the same one
    (ideals on a grid of 5, so kinks, ties and optima at an ideal all occur)."""
    from scipy.optimize import minimize_scalar

    x = np.array([[5.0 * p for p, _ in actors]])
    w = np.array([[wt for _, wt in actors]])
    d_ = np.array([5.0 * d])
    o = nash_1d(x, w, np.ones_like(x, bool), d_, utility)[0]
    reach = np.abs(d_[0] - x[0])
    lo, hi = (x[0] - reach).max(), (x[0] + reach).min()
    if hi - lo <= 0:
        assert o == d_[0]
        return
    power = 2 if utility == "quadratic" else 1

    def log_product(v: float) -> float:
        gain = reach**power - np.abs(v - x[0]) ** power
        return float(np.sum(w[0] * np.log(np.maximum(gain, 1e-300))))

    best = minimize_scalar(lambda v: -log_product(v), bounds=(lo, hi), method="bounded",
                           options={"xatol": 1e-10})
    assert log_product(o) >= -best.fun - 1e-9
    assert o == pytest.approx(best.x, abs=1e-4 * (hi - lo))


def test_nash_returns_status_quo_when_an_actor_sits_on_it():
    x = np.array([[3.0, 7.0, 5.0]])
    out = nash_1d(x, np.ones((1, 3)), np.ones((1, 3), bool), np.array([5.0]))
    assert out[0] == 5.0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 100), min_size=2, max_size=6), st.floats(0, 100),
       st.integers(0, 5), st.floats(1.5, 10))
def test_nash_is_individually_rational_and_moves_toward_the_stronger(xs, d, who, factor):
    x = np.array([xs])
    n = x.shape[1]
    who %= n
    w = np.ones((1, n))
    present = np.ones((1, n), bool)
    o = nash_1d(x, w, present, np.array([d]))[0]
    assert np.all(np.abs(o - x[0]) <= np.abs(d - x[0]) + 1e-6)  # nobody worse than disagreement
    w2 = w.copy()
    w2[0, who] *= factor
    o2 = nash_1d(x, w2, present, np.array([d]))[0]
    assert abs(o2 - x[0, who]) <= abs(o - x[0, who]) + 1e-6


def test_nash_needs_reference():
    b = compile_scenario(load_scenario(FIXTURES / "partial.yaml"))
    with pytest.raises(ModelError, match="status quo"):
        NashModel().run(b, NashOptions())


def test_static_models_on_batches():
    rng = np.random.default_rng(0)
    b = batch_from_arrays(rng.uniform(0, 10, (4, 5, 2)), 0.5, np.ones((4, 5)))
    t = MeanModel().run(b, MeanOptions())
    assert t.forecast.shape == (4, 2) and t.positions.shape == (4, 1, 5, 2)


def test_an_actors_capability_is_one_number_per_draw(minimal):
    """An uncertain actor-level capability is drawn once per draw and shared by every issue
    (it used to be drawn separately per issue within one draw)."""
    b = compile_scenario(minimal, draws=200, seed=4)
    k = b.actors.index("B")
    cap = b.capability[:, k, :]
    assert np.ptp(cap[:, 0]) > 0.1  # it is uncertain
    np.testing.assert_array_equal(cap[:, 0], cap[:, 1])


def test_smp_runs_over_draws_of_a_scenario_with_uncertain_capabilities(minimal):
    res = negotiate(minimal, "smp", {"enforce_limits": False}, draws=12, seed=2)
    assert res.output.positions.shape[0] == 12


@pytest.mark.parametrize("actors", [1, 3, 7, 8, 11])
def test_weighted_mean_is_the_plain_formula_to_the_bit(actors):
    from detente.models.baselines import weighted_mean

    rng = np.random.default_rng(actors)
    x = rng.uniform(0, 100, (300, actors, 4))
    w = rng.random((300, actors, 4)) * rng.choice([1e-6, 1.0, 1e6], (300, actors, 4))
    np.testing.assert_array_equal(weighted_mean(x, w), (w * x).sum(axis=-2) / w.sum(axis=-2))
