"""Kalai-Smorodinsky bargaining (MODELS.md §1.4) against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.compile import batch_from_arrays
from detente.models.baselines import ks_1d, nash_1d
from detente.options import KSOptions
from detente.registry import get_model


def ks(xs, d, utility="linear", present=None):
    x = np.array([xs], dtype=float)
    p = np.ones_like(x, dtype=bool) if present is None else np.array([present])
    return float(ks_1d(x, p, np.array([float(d)]), utility)[0])


@pytest.mark.parametrize("utility", ["linear", "quadratic"])
def test_two_actors_equal_normalised_gains(utility):
    # ideals 20 and 60, status quo 100: F = [20, 100]; ideal gains 80 and 40 (linear).
    # On [20, 60]: (100 - o)/80 = (o - 20)/40  ->  o = 140/3 (the quadratic case gives the same)
    assert ks([20, 60], 100, utility) == pytest.approx(140 / 3, abs=1e-6)
    nash = nash_1d(np.array([[20.0, 60.0]]), np.ones((1, 2)), np.ones((1, 2), bool),
                   np.array([100.0]))[0]
    assert nash == pytest.approx(60.0, abs=1e-6)  # Nash differs: it stops at the nearer ideal


def test_three_actors_maximise_the_smallest_normalised_gain():
    # ideals 20, 60, 90, status quo 100: F = [80, 100]; ideal gains 20, 20, 10. On [80, 90]
    # the first two gain (100 - o)/20, the third (o - 80)/10: equal at o = 260/3
    assert ks([20, 60, 90], 100) == pytest.approx(260 / 3, abs=1e-6)


def test_status_quo_between_the_ideals_or_on_one_is_the_answer():
    assert ks([0, 100], 50) == 50.0  # F = {d}
    assert ks([20, 100, 60], 100) == 100.0  # an actor whose ideal is d can only lose


def test_absent_actors_are_ignored():
    assert ks([20, 60, 95], 100, present=[True, True, False]) == pytest.approx(140 / 3, abs=1e-6)


@settings(deadline=None)  # a loaded machine must not fail it
@given(st.floats(0, 40), st.floats(41, 80), st.floats(81, 100))
def test_two_actors_get_the_same_share_of_their_ideal_gain(x1, x2, d):
    o = ks([x1, x2], d)
    lo = 2 * x2 - d  # F = [max(2 x_i - d), d]; actor 2's ideal lies inside F
    g1 = (abs(d - x1) - abs(o - x1)) / (abs(d - x1) - abs(max(lo, x1) - x1))
    g2 = (abs(d - x2) - abs(o - x2)) / abs(d - x2)
    assert g1 == pytest.approx(g2, abs=1e-6)
    assert max(lo, x1) - 1e-9 <= o <= d + 1e-9


def test_ks_model_is_registered_and_needs_a_status_quo():
    position = np.array([[[20.0], [60.0]]])
    batch = batch_from_arrays(position, 1.0, np.ones((1, 2)), reference=np.array([[100.0]]))
    out = get_model("ks").run(batch, KSOptions())
    assert out.forecast[0, 0] == pytest.approx(140 / 3, abs=1e-6)
    from detente.errors import ModelError

    with pytest.raises(ModelError, match="status quo"):
        get_model("ks").run(batch_from_arrays(position, 1.0, np.ones((1, 2))), KSOptions())
