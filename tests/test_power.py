"""Shapley-Shubik and Banzhaf indices: textbook values, an independent brute-force oracle, and
the Monte Carlo estimate above the exact limit."""

from __future__ import annotations

import itertools
import json
from math import factorial

import numpy as np
import pytest
from typer.testing import CliRunner

from detente.analysis.power import power_indices
from detente.cli import app
from tests.conftest import SCENARIOS


def brute_force(weights, quota):
    """Shapley-Shubik by listing every ordering; Banzhaf swings by listing every coalition."""
    n = len(weights)
    pivots = np.zeros(n)
    for order in itertools.permutations(range(n)):
        total = 0.0
        for i in order:
            total += weights[i]
            if total >= quota:
                pivots[i] += 1
                break
    swings = np.zeros(n)
    for members in itertools.product([0, 1], repeat=n):
        w = sum(m * x for m, x in zip(members, weights, strict=True))
        for i in range(n):
            if not members[i] and w < quota <= w + weights[i]:
                swings[i] += 1
    return pivots / factorial(n), swings / swings.sum()


def test_eec_council_of_ministers_1958():
    # France, Germany, Italy 4; Belgium, Netherlands 2; Luxembourg 1; quota 12 of 17
    r = power_indices([4, 4, 4, 2, 2, 1], 12)
    assert r["method"] == "dp"
    np.testing.assert_allclose(r["shapley_shubik"], [14 / 60] * 3 + [9 / 60] * 2 + [0.0])
    np.testing.assert_allclose(r["banzhaf"], [5 / 21] * 3 + [3 / 21] * 2 + [0.0])
    assert r["shapley_shubik"][0] == pytest.approx(0.2333, abs=1e-4)


@pytest.mark.parametrize("seed", range(4))
def test_exact_methods_match_brute_force(seed):
    rng = np.random.default_rng(seed)
    weights = rng.integers(0, 9, size=6).astype(float)
    weights[0] += 1
    quota = float(rng.integers(1, weights.sum() + 1))
    ss, bz = brute_force(list(weights), quota)
    dp = power_indices(weights, quota)
    real = power_indices(weights + 1e-7, quota)  # the same game, not integers: enumeration
    assert (dp["method"], real["method"]) == ("dp", "enumeration")
    for r in (dp, real):
        np.testing.assert_allclose(r["shapley_shubik"], ss, atol=1e-12)
        np.testing.assert_allclose(r["banzhaf"], bz, atol=1e-12)
        assert sum(r["shapley_shubik"]) == pytest.approx(1.0)


def test_monte_carlo_above_the_exact_limit_is_seeded_and_close():
    # 24 players with half-integer weights; the exact answer is the DP on the doubled weights
    rng = np.random.default_rng(7)
    weights = rng.integers(1, 10, size=24) + 0.5
    quota = 0.6 * weights.sum()
    exact = power_indices(2 * weights, 2 * quota)
    mc = power_indices(weights, quota, samples=100_000, seed=3)
    assert mc["method"] == "monte-carlo"
    np.testing.assert_allclose(mc["shapley_shubik"], exact["shapley_shubik"], atol=0.01)
    np.testing.assert_allclose(mc["banzhaf"], exact["banzhaf"], atol=0.01)
    assert power_indices(weights, quota, samples=100_000, seed=3) == mc


def test_bad_quota_is_refused():
    with pytest.raises(ValueError, match="quota"):
        power_indices([1, 2], 4)


def test_power_command_shows_indices_beside_capability_shares():
    result = CliRunner().invoke(app, ["power", str(SCENARIOS / "ukraine-2025.yaml"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    rows = data["actors"]
    assert sum(r["share"] for r in rows) == pytest.approx(1.0)
    assert sum(r["shapley_shubik"] for r in rows) == pytest.approx(1.0)
    # RU (36 % of the capability) wins with any partner: half the power, more than its share
    by = {r["actor"]: r for r in rows}
    assert by["RU"]["shapley_shubik"] > by["RU"]["share"]
