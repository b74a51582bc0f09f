"""The coupled model against theory (MODELS.md §7.9): reductions and comparative statics.

Compared settings share every random draw (same seed, named streams: common random numbers), so
most differences are paired per run; tolerances are stated as multiples of the Monte Carlo
standard error of the quantity compared.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.analysis.coupled import coupled_rng
from detente.compile.coupled import compile_coupled
from detente.scenario.schema import Scenario
from detente.war.coupled import CoupledOptions, first_passage, simulate_coupled
from detente.war.kernel import AGREEMENT, END_MODES, VICTORY_R, VICTORY_U

LATTICE = CoupledOptions(front="lattice", battle="bernoulli")


def se_mean(values: np.ndarray) -> float:
    return float(np.std(values, ddof=1) / np.sqrt(values.size))


def two_sided(issues: list[dict], r_pos: list[float], u_pos: list[float], *,
              cost_r: float = 0.002, cost_u: float = 0.002, belief_r=(12, 8), belief_u=(8, 12),
              start: int = 10, steps: int = 20, horizon: int = 52, talks: dict | None = None,
              extra_actors: list[dict] = (), extra_stances: list[dict] = (),
              war: dict | None = None, levers: list[dict] = (), sides: dict | None = None,
              saliences: tuple[list[float], list[float]] | None = None) -> dict[str, Any]:
    """A scenario dict: R (id R) and U (id U) on ``issues`` with the given ideals."""
    n = len(issues)
    sal_r, sal_u = saliences or ([1.0] * n, [1.0] * n)
    stances = [{"actor": "R", "issue": i["id"], "position": p, "salience": s}
               for i, p, s in zip(issues, r_pos, sal_r, strict=True)]
    stances += [{"actor": "U", "issue": i["id"], "position": p, "salience": s}
                for i, p, s in zip(issues, u_pos, sal_u, strict=True)]
    side = {"R": {"forces": 100, "cost": cost_r, "belief": {"a": belief_r[0], "b": belief_r[1]}},
            "U": {"forces": 100, "cost": cost_u, "belief": {"a": belief_u[0], "b": belief_u[1]}}}
    for k, v in (sides or {}).items():
        side[k].update(v)
    return {
        "name": "theory", "as_of": "2025-01-01", "issues": issues,
        "actors": [{"id": "R", "name": "R", "capability": 1},
                   {"id": "U", "name": "U", "capability": 1}, *extra_actors],
        "stances": [*stances, *extra_stances],
        "war": {"R": "R", "U": "U", "horizon": horizon,
                "front": {"steps": steps, "start": start},
                "sides": side, "talks": {"every": 1, **(talks or {})}, **(war or {})},
        "levers": list(levers),
    }


def run(doc: dict, runs: int, options: CoupledOptions = CoupledOptions(), seed: int = 1,
        levers: tuple[str, ...] = (), hypothesis: str | None = None, horizon: int | None = None):
    sc = Scenario.model_validate(doc)
    inputs = compile_coupled(sc, hypothesis, levers, runs, seed, horizon=horizon)
    return inputs, simulate_coupled(inputs, options, coupled_rng(seed))


UNIT_ISSUE = [{"id": "x", "name": "x", "low": 0, "high": 1}]


def smith_stam_doc(c_r: float, c_u: float, belief_r, belief_u) -> dict:
    return two_sided(UNIT_ISSUE, [1.0], [0.0], cost_r=c_r, cost_u=c_u, belief_r=belief_r,
                     belief_u=belief_u, start=5, steps=10, horizon=1040,
                     talks={"proposer": "mediator"})


# -- 7.9.1 reduction to the §5 smith-stam kernel ----------------------------------------------

@pytest.mark.parametrize(("c_u", "duration", "military", "share_r"), [
    (0.000, 24.5, 0.98, 0.50), (0.010, 22.0, 0.76, 0.51),
    (0.020, 15.6, 0.32, 0.56), (0.040, 9.1, 0.18, 0.69)])
def test_reduction_reproduces_the_smith_stam_table(c_u, duration, military, share_r):
    """One issue, two actors, no third parties or red lines, the mediator's midpoint every
    week, lattice front: the §5.15 reference table (±10 % on durations, ±0.03 on shares)."""
    _, out = run(smith_stam_doc(0.01, c_u, (8, 2), (2, 8)), 4000, LATTICE, horizon=3000)
    mil = np.isin(out.end_mode, [VICTORY_R, VICTORY_U])
    share = np.where(out.end_mode == AGREEMENT, out.terms[:, 0],
                     (out.end_mode == VICTORY_R).astype(float))
    assert out.end_week.mean() == pytest.approx(duration, rel=0.10)
    assert mil.mean() == pytest.approx(military, abs=0.03)
    assert share.mean() == pytest.approx(share_r, abs=0.03)


def test_reduction_common_priors_settle_at_once_and_divergence_lengthens():
    _, same = run(smith_stam_doc(0.01, 0.01, (5, 5), (5, 5)), 1000, LATTICE)
    assert (same.end_week == 0).all() and (same.end_mode == AGREEMENT).all()
    _, mild = run(smith_stam_doc(0.01, 0.01, (6, 4), (4, 6)), 4000, LATTICE, horizon=3000)
    assert mild.end_week.mean() == pytest.approx(3.8, rel=0.10)
