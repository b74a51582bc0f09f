"""Scores against textbook values and the oracle libraries scoringrules and properscoring."""

from datetime import date

import numpy as np
import properscoring as ps
import pytest
import scoringrules as sr

from detente.forecast import scoring as S

rng = np.random.default_rng(5)


def test_brier_textbook_values() -> None:
    # the Σ form of a binary question: (1 - 0.8)² + (0 - 0.2)² = 0.08, twice the 0-1 form
    assert S.brier_multi([[0.8, 0.2]], [0])[0] == pytest.approx(0.08)
    assert S.brier_binary(0.8, 1) == pytest.approx(0.04)
    o = rng.integers(0, 2, 50)
    assert S.brier_binary(np.full(50, 0.5), o).mean() == pytest.approx(0.25)
    p = rng.uniform(size=200)
    o = rng.integers(0, 2, 200)
    np.testing.assert_allclose(S.brier_binary(p, o), sr.brier_score(o, p), atol=1e-12)
    np.testing.assert_allclose(S.brier_binary(p, o), ps.brier_score(o, p), atol=1e-12)


def test_log_score_bounded_and_matches_oracle() -> None:
    assert S.log_score(0.0) == pytest.approx(np.log(0.001))
    assert S.log_score(1.0) == pytest.approx(np.log(0.999))
    p = rng.uniform(0.01, 0.99, 100)
    o = rng.integers(0, 2, 100)
    ours = S.log_score(np.where(o == 1, p, 1 - p))
    # scoringrules' log score is -log p (negatively oriented)
    np.testing.assert_allclose(ours, -sr.log_score(o, p), atol=1e-12)


def test_rps_against_scoringrules() -> None:
    probs = rng.dirichlet(np.ones(4), 60)
    o = rng.integers(0, 4, 60)
    np.testing.assert_allclose(S.rps(probs, o), sr.rps_score(o + 1, probs), atol=1e-12)
    # a certain, correct forecast scores 0; the mass on the far option scores K - 1 times more
    # than on the neighbour
    assert S.rps([[1, 0, 0]], [0])[0] == 0
    assert S.rps([[0, 0, 1]], [0])[0] == pytest.approx(2 * S.rps([[0, 1, 0]], [0])[0])


@pytest.mark.parametrize("m", [1, 2, 7, 100])
def test_crps_standard_and_fair_against_oracles(m: int) -> None:
    x = rng.normal(size=(40, m))
    y = rng.normal(size=40)
    np.testing.assert_allclose(S.crps_ensemble(x, y), ps.crps_ensemble(y, x), atol=1e-12)
    np.testing.assert_allclose(S.crps_ensemble(x, y), sr.crps_ensemble(y, x, estimator="nrg"),
                               atol=1e-12)
    if m > 1:
        np.testing.assert_allclose(S.crps_ensemble(x, y, fair=True),
                                   sr.crps_ensemble(y, x, estimator="fair"), atol=1e-12)


def test_crps_large_ensemble_approaches_gaussian_closed_form() -> None:
    x = rng.normal(2.0, 3.0, size=(1, 20_000))
    exact = ps.crps_gaussian(1.0, 2.0, 3.0)
    assert S.crps_ensemble(x, 1.0, fair=True)[0] == pytest.approx(exact, rel=0.02)


def test_interval_score_against_scoringrules_and_coverage() -> None:
    lo, hi = rng.normal(size=30) - 1, rng.normal(size=30) + 1
    y = rng.normal(size=30) * 2
    for a in S.ALPHAS:
        np.testing.assert_allclose(S.interval_score(lo, hi, y, a),
                                   sr.interval_score(y, lo, hi, a), atol=1e-12)
    # a calibrated ensemble covers about 1 - α of outcomes
    samples = rng.normal(size=(4000, 200))
    got = S.interval_scores(samples, rng.normal(size=4000))
    for a in S.ALPHAS:
        assert got[str(a)]["coverage"] == pytest.approx(1 - a, abs=0.03)


def test_murphy_identity_exact_on_bin_values_with_residual_otherwise() -> None:
    p = rng.integers(0, 10, 500) / 10 + 0.05  # every forecast at its bin's centre
    o = (rng.uniform(size=500) < p).astype(float)
    m = S.murphy(p, o)
    assert m["residual"] == pytest.approx(0, abs=1e-12)
    assert m["brier"] == pytest.approx(m["reliability"] - m["resolution"] + m["uncertainty"])
    q = rng.uniform(size=500)
    m2 = S.murphy(q, o)
    assert m2["brier"] == pytest.approx(m2["reliability"] - m2["resolution"]
                                        + m2["uncertainty"] + m2["residual"])
    assert m2["residual"] != pytest.approx(0, abs=1e-6)
    # a constant forecast has no resolution; base rate ō gives UNC = ō(1 - ō)
    m3 = S.murphy(np.full(500, 0.3), o)
    assert m3["resolution"] == pytest.approx(0)
    assert m3["uncertainty"] == pytest.approx(o.mean() * (1 - o.mean()))


def test_paired_bootstrap_sees_a_real_difference_and_no_difference() -> None:
    ref = rng.uniform(0.2, 0.3, 80)
    better = ref - 0.05 + rng.normal(0, 0.01, 80)
    r = S.paired_bootstrap(better, ref)
    assert r["difference_high"] < 0 < r["skill_low"]
    same = S.paired_bootstrap(ref + rng.normal(0, 0.01, 80), ref)
    assert same["difference_low"] < 0 < same["difference_high"]
    assert S.paired_bootstrap(better, ref) == r  # seeded


def test_time_averaged_forecast_stands_until_replaced() -> None:
    made = [date(2026, 1, 1), date(2026, 1, 11)]
    # 10 days at 0.4, then 21 days (11th to 31st inclusive) at 0.1
    got = S.time_averaged(made, [0.4, 0.1], date(2026, 1, 31))
    assert got == pytest.approx((10 * 0.4 + 21 * 0.1) / 31)
    assert S.time_averaged(made[:1], [0.4], date(2026, 1, 31)) == pytest.approx(0.4)
