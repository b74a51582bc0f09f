"""The report's summary shortcuts give the reference path's numbers to the bit: each is pinned
here to the numpy call or the per-week computation it replaces (on the arrays the coupled
kernel writes and on hostile ones: NaN, ties, signed zeros, both memory layouts)."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from detente.analysis import compare as cmp
from detente.analysis.coupled import lever_effects, median_rows
from detente.scenario.schema import Scenario

from .conftest import FIXTURES


def _same(a: np.ndarray, b: np.ndarray) -> None:
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes() == b.tobytes()  # bit for bit: NaN where NaN, -0.0 where -0.0


def _columns(rng: np.random.Generator) -> list[np.ndarray]:
    out = []
    for n in (1, 2, 3, 7, 128, 999, 2000):
        for t in (1, 5, 40):
            a = rng.normal(size=(n, t))
            if n > 2:
                a[rng.integers(0, n, n // 3), rng.integers(0, t, n // 3)] = 0.25  # ties
                a[rng.integers(0, n, 2), rng.integers(0, t, 2)] = np.nan
                a[rng.integers(0, n, 3), rng.integers(0, t, 3)] = -0.0
                a[rng.integers(0, n, 3), rng.integers(0, t, 3)] = 0.0
            out += [a, np.asfortranarray(a), np.round(a, 1)]
    return out


def test_median_rows_is_numpys_median_over_runs_to_the_bit():
    rng = np.random.default_rng(14)
    for a in _columns(rng):
        with np.errstate(invalid="ignore"):
            _same(median_rows(a), np.median(a, axis=0))
    whole_nan = np.full((6, 3), np.nan)
    _same(median_rows(whole_nan), np.median(whole_nan, axis=0))
    ints = rng.integers(0, 9, (11, 4))  # not floats: numpy's own median
    _same(median_rows(ints), np.median(ints, axis=0))


@pytest.fixture(scope="module")
def coupled_scenario():
    return Scenario.model_validate(yaml.safe_load((FIXTURES / "coupled.yaml").read_text()))


def test_lever_deltas_read_from_the_effects_are_the_per_week_deltas(coupled_scenario):
    """A coupled comparison's delta_p_agreement, read from the lever's effects, equals
    `_delta` computed week by week (what it was before), for every lever and checkpoint."""
    sc = coupled_scenario
    levers = [lv.id for lv in sc.levers]
    assert levers
    opts = cmp.war_options()
    runs = list(cmp.variant_runs(sc, [(None, ()), *((None, (lv,)) for lv in levers)], 300, 5,
                                 opts, 30))
    base, alts = runs[0], runs[1:]
    from detente.analysis.coupled import checkpoints

    weeks = checkpoints(base.inputs.horizon)
    for alt in alts:
        fast = cmp._deltas_of(lever_effects(alt, base, weeks))
        slow = {str(w): cmp._delta(alt, base, w) for w in weeks}
        assert fast == slow
        assert any(d["ci95"] is not None for d in fast.values())
    result = cmp.compare(sc, ["baseline"], levers, 300, 5, opts, 30)
    for lv in levers:
        entry = result["hypotheses"]["baseline"]["levers"][lv]
        assert entry["delta_p_agreement"] == {
            w: {"mean": d["mean"], "ci95": d["ci95"]}
            for w, d in entry["coupled"]["effects"]["delta_p_deal"].items()}
