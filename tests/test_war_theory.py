"""The war kernel against theory (MODELS.md §5.6-5.15): closed forms and comparative statics.

Comparisons run with common random numbers (same seed), and tolerances are Monte Carlo errors.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.compile import LeverArrays, war_inputs_from_values
from detente.runtime import run_arrays
from detente.war.kernel import (
    AGREEMENT,
    VICTORY_R,
    VICTORY_U,
    WarOptions,
)
from detente.war.theory import fearon_demand, fearon_outcomes, gamblers_ruin

BERNOULLI = WarOptions(battle="bernoulli")


def simulate(inputs, options, seed):
    """The war model on prepared inputs, through the runner's blocks."""
    return run_arrays("war", inputs, options, seed)


def smith_stam(runs: int, c_r: float, c_u: float, beliefs: tuple[float, float, float, float],
               steps: int = 10, start: int = 5, horizon: int = 3000, seed: int = 1,
               **extra: float):
    a_r, b_r, a_u, b_u = beliefs
    values = {"R.cost": c_r, "U.cost": c_u, "front.start": start, "R.belief.a": a_r,
              "R.belief.b": b_r, "U.belief.a": a_u, "U.belief.b": b_u, **extra}
    inputs = war_inputs_from_values(values, runs, steps, horizon)
    return simulate(inputs, BERNOULLI, seed)


# -- gambler's ruin ------------------------------------------------------------------------------

@given(n=st.integers(2, 60), data=st.data())
def test_gamblers_ruin_fair_game(n, data):
    k = data.draw(st.integers(0, n))
    win, dur = gamblers_ruin(np.array(k), n, np.array(0.5))
    assert win == pytest.approx(k / n)
    assert dur == pytest.approx(k * (n - k))


@given(n=st.integers(2, 60), p=st.floats(0.01, 0.99), data=st.data())
def test_gamblers_ruin_symmetry_and_bounds(n, p, data):
    k = data.draw(st.integers(0, n))
    win, dur = gamblers_ruin(np.array(k), n, np.array(p))
    mirror, mdur = gamblers_ruin(np.array(n - k), n, np.array(1 - p))
    assert win == pytest.approx(1 - mirror, abs=1e-9)
    assert dur == pytest.approx(mdur, rel=1e-6, abs=1e-6)
    assert 0 <= win <= 1 and dur >= 0


def test_gamblers_ruin_matches_simulated_walks():
    rng = np.random.default_rng(0)
    n, k0, p, runs = 12, 4, 0.55, 40_000
    k = np.full(runs, k0)
    steps = np.zeros(runs)
    alive = np.ones(runs, bool)
    while alive.any():
        move = np.where(rng.random(runs) < p, 1, -1)
        k = np.where(alive, k + move, k)
        steps += alive
        alive &= (k > 0) & (k < n)
    win, dur = gamblers_ruin(np.array(k0), n, np.array(p))
    assert (k == n).mean() == pytest.approx(win, abs=4 * np.sqrt(win * (1 - win) / runs))
    assert steps.mean() == pytest.approx(dur, rel=0.03)


# -- Fearon's closed form ------------------------------------------------------------------------

@pytest.mark.parametrize("p", [0.3, 0.5, 0.6])
def test_fearon_closed_form_reproduced_by_simulation(p):
    runs, c_r, c_bar = 200_000, 0.1, 0.3
    rng = np.random.default_rng(7)
    demand, war, _ = fearon_outcomes(np.full(runs, p), np.full(runs, c_r),
                                     rng.random(runs) * c_bar, np.full(runs, c_bar),
                                     rng.random(runs))
    _, want_war = fearon_demand(p, c_r, c_bar)
    assert demand[0] == pytest.approx(p + (c_bar - c_r) / 2)
    assert float(want_war) == pytest.approx((c_bar - c_r) / (2 * c_bar))
    se = np.sqrt(want_war * (1 - want_war) / runs)
    assert war.mean() == pytest.approx(float(want_war), abs=4 * se)


def test_fearon_optimal_demand_beats_neighbours():
    """x* maximises R's expected payoff (1 - F(x - p)) x + F(x - p)(p - c_R)."""
    p, c_r, c_bar = 0.4, 0.05, 0.25
    xs = np.linspace(p, p + c_bar, 2001)
    f = np.clip((xs - p) / c_bar, 0, 1)
    payoff = (1 - f) * xs + f * (p - c_r)
    best = xs[np.argmax(payoff)]
    assert best == pytest.approx(float(fearon_demand(p, c_r, c_bar)[0]), abs=2e-4)


@given(p=st.floats(0.0, 0.7), c_r=st.floats(0.0, 0.2), c_bar=st.floats(0.05, 0.3))
def test_fearon_war_risk_does_not_depend_on_power(p, c_r, c_bar):
    _, war = fearon_demand(p, c_r, c_bar)
    _, war2 = fearon_demand(p + 0.05, c_r, c_bar)
    if p + 0.05 + c_bar <= 1:  # away from the cap at x = 1
        assert float(war) == pytest.approx(float(war2))


def test_fearon_variant_runs_on_war_inputs():
    inputs = war_inputs_from_values({"R.cost": 0.001, "U.cost": 0.002, "front.start": 5,
                                     "R.belief.a": 1, "R.belief.b": 1, "U.belief.a": 1,
                                     "U.belief.b": 1}, 50_000, 10, 52)
    out = simulate(inputs, WarOptions(variant="fearon", battle="bernoulli"),
                   3)
    _, dur = gamblers_ruin(np.array(5.0), 10, np.array(0.5))
    c_r, c_bar = 0.001 * dur, 2 * 0.002 * dur
    _, want = fearon_demand(0.5, c_r, c_bar)
    war = np.isin(out.end_mode, [VICTORY_R, VICTORY_U]).mean()
    assert war == pytest.approx(float(want), abs=4 * np.sqrt(want * (1 - want) / 50_000))


# -- Smith & Stam comparative statics (MODELS.md §5.15) ------------------------------------------

@settings(max_examples=30, deadline=None)
@given(a=st.floats(0.5, 30), b=st.floats(0.5, 30), c_r=st.floats(1e-4, 0.05),
       c_u=st.floats(1e-4, 0.05), start=st.integers(1, 9))
def test_common_priors_and_positive_costs_settle_at_once(a, b, c_r, c_u, start):
    out = smith_stam(200, c_r, c_u, (a, b, a, b), start=start)
    assert np.all(out.first_agreement == 0)
    assert np.all(out.end_mode == AGREEMENT)


@pytest.mark.parametrize("side", ["R", "U"])
def test_higher_own_cost_shortens_the_war_and_worsens_the_terms(side):
    beliefs = (8, 2, 2, 8)
    low = smith_stam(20_000, 0.01, 0.01, beliefs)
    if side == "R":
        high = smith_stam(20_000, 0.03, 0.01, beliefs)
    else:
        high = smith_stam(20_000, 0.01, 0.03, beliefs)
    assert high.end_week.mean() < low.end_week.mean() - 1.0
    share_low, share_high = low.share.mean(), high.share.mean()
    if side == "R":
        assert share_high < share_low - 0.02
    else:
        assert share_high > share_low + 0.02


def test_more_confident_disagreement_lengthens_the_war():
    runs = 20_000
    mild = smith_stam(runs, 0.01, 0.01, (6, 4, 4, 6))
    confident = smith_stam(runs, 0.01, 0.01, (12, 8, 8, 12))
    strong = smith_stam(runs, 0.01, 0.01, (24, 16, 16, 24))
    durations = [o.end_week.mean() for o in (mild, confident, strong)]
    military = [np.isin(o.end_mode, [VICTORY_R, VICTORY_U]).mean()
                for o in (mild, confident, strong)]
    assert durations[0] < durations[1] < durations[2]
    assert military[0] <= military[1] <= military[2]


@pytest.mark.parametrize(("c_u", "duration", "military", "share"), [
    (0.0, 24.5, 0.98, 0.50), (0.01, 22.0, 0.76, 0.51), (0.02, 15.6, 0.32, 0.56),
    (0.04, 9.1, 0.18, 0.69)])
def test_reference_behaviour_table(c_u, duration, military, share):
    """MODELS.md §5.15: ±10 % on durations, ±0.03 on shares and probabilities."""
    out = smith_stam(20_000, 0.01, c_u, (8, 2, 2, 8))
    assert out.end_week.mean() == pytest.approx(duration, rel=0.10)
    assert np.isin(out.end_mode, [VICTORY_R, VICTORY_U]).mean() == pytest.approx(military,
                                                                                 abs=0.03)
    assert out.share.mean() == pytest.approx(share, abs=0.03)


def test_reference_mild_and_strong_divergence():
    mild = smith_stam(20_000, 0.01, 0.01, (6, 4, 4, 6))
    strong = smith_stam(20_000, 0.01, 0.01, (16, 4, 4, 16))
    assert mild.end_week.mean() == pytest.approx(3.8, rel=0.10)
    assert strong.end_week.mean() == pytest.approx(24.5, rel=0.10)
    assert np.isin(strong.end_mode, [VICTORY_R, VICTORY_U]).mean() == pytest.approx(0.987,
                                                                                    abs=0.03)


# -- levers, deadlines, guarantees ---------------------------------------------------------------

def _lever(param: str, op: str, size: float, runs: int, start: int = 0, **kw) -> LeverArrays:
    return LeverArrays("L", start, None, ((param, op, np.full(runs, size)),), **kw)


def test_a_certain_deadline_is_the_plain_lever():
    runs = 5_000
    base = {"R.cost": 0.005, "U.cost": 0.01, "front.start": 5, "R.belief.a": 8,
            "R.belief.b": 2, "U.belief.a": 2, "U.belief.b": 8}
    plain = war_inputs_from_values(base, runs, 10, 300, (_lever("R.cost", "add", 0.01, runs),))
    certain = war_inputs_from_values(base, runs, 10, 300, (
        _lever("R.cost", "add", 0.01, runs, credibility=np.ones(runs), every=2),))
    a = simulate(plain, BERNOULLI, 5)
    b = simulate(certain, BERNOULLI, 5)
    np.testing.assert_array_equal(a.end_week, b.end_week)
    np.testing.assert_allclose(a.cost_R, b.cost_R)


def test_empty_deadlines_change_no_actual_cost_but_erode_credibility():
    runs = 3_000
    base = {"R.cost": 0.005, "U.cost": 0.01, "front.start": 5, "R.belief.a": 16,
            "R.belief.b": 4, "U.belief.a": 4, "U.belief.b": 16}
    empty = war_inputs_from_values(base, runs, 10, 200, (
        _lever("R.cost", "add", 0.01, runs, credibility=np.zeros(runs), every=2),))
    none = war_inputs_from_values(base, runs, 10, 200)
    a = simulate(empty, BERNOULLI, 2)
    b = simulate(none, BERNOULLI, 2)
    # threats that are never carried out add no cost per week of fighting
    weeks_a, weeks_b = a.end_week.astype(float), b.end_week.astype(float)
    np.testing.assert_allclose(a.cost_R / np.maximum(weeks_a, 1), 0.005 * (weeks_a > 0),
                               atol=1e-12)
    # an early, still-credible threat settles some wars sooner
    assert a.end_week.mean() <= b.end_week.mean()
    np.testing.assert_allclose(b.cost_R / np.maximum(weeks_b, 1), 0.005 * (weeks_b > 0),
                               atol=1e-12)


def test_guarantees_lower_breakdowns():
    runs = 4_000
    base = {"R.cost": 0.01, "U.cost": 0.01, "front.start": 5, "R.belief.a": 5,
            "R.belief.b": 5, "U.belief.a": 5, "U.belief.b": 5, "breakdown.base": 0.05,
            "breakdown.guarantee_effect": 2.0}
    weak = simulate(war_inputs_from_values({**base, "guarantees": 0.0}, runs, 10, 104),
                    BERNOULLI, 4)
    strong = simulate(war_inputs_from_values({**base, "guarantees": 1.0}, runs, 10, 104),
                      BERNOULLI, 4)
    assert strong.breakdowns.mean() < 0.5 * weak.breakdowns.mean()
    assert strong.in_force[:, -1].mean() >= weak.in_force[:, -1].mean()


def test_levers_compose():
    from detente.war.kernel import effective_parameters

    runs = 3
    levers = (LeverArrays("a", 0, None, (("R.cost", "add", np.full(runs, 0.01)),)),
              LeverArrays("b", 2, 5, (("R.cost", "mul", np.full(runs, 2.0)),)))
    inputs = war_inputs_from_values({"R.cost": 0.01, "U.cost": 0.0, "front.start": 5,
                                     "R.belief.a": 1, "R.belief.b": 1, "U.belief.a": 1,
                                     "U.belief.b": 1}, runs, 10, 10, levers)
    assert effective_parameters(inputs, 0, {})["R.cost"][0] == pytest.approx(0.02)
    assert effective_parameters(inputs, 3, {})["R.cost"][0] == pytest.approx(0.04)
    assert effective_parameters(inputs, 5, {})["R.cost"][0] == pytest.approx(0.02)


def test_powell_tough_types_fight_longer():
    runs = 20_000
    inputs = war_inputs_from_values({"R.cost": 0.01, "U.cost": 0.01, "front.start": 5,
                                     "R.belief.a": 5, "R.belief.b": 5, "U.belief.a": 5,
                                     "U.belief.b": 5}, runs, 10, 300)
    for kind in ("cost", "power"):
        opts = WarOptions(variant="powell", battle="bernoulli", powell_uncertainty=kind,
                          type_spread=0.6, tough_prior=0.2)
        out = simulate(inputs, opts, 8)
        tough = out.tough
        assert 0.18 < tough.mean() < 0.22
        assert out.end_week[tough].mean() > out.end_week[~tough].mean()
        assert out.share[tough].mean() > out.share[~tough].mean()
