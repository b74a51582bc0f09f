"""The coupled kernel's alternative array paths give the same numbers to the bit.

A talks round runs on every run with a mask while most runs talk and on the talking runs alone
otherwise (``_Simulation.scope``); partial-deal utilities add only the subset's own issues
(``_Model.subset_cols``). Each pair is forced both ways on the same seed and every field of the
outcome compared bytewise: a path that drifted by one ulp in one run would fail.
"""

from __future__ import annotations

from dataclasses import fields, replace

import numpy as np
import pytest
import yaml

from detente.compile.coupled import compile_coupled, talks_model_options
from detente.runtime import run_arrays
from detente.scenario.schema import Scenario
from detente.war import coupled
from detente.war.coupled import CoupledOptions, party_sum, row_sum

from .conftest import FIXTURES

AIMS = {"R": {"maximal": 0.4, "belief": 0.5, "concession": 0.5},
        "U": {"maximal": 0.7, "belief": 0.6, "concession": 0.3}}


def outcome(model: str, proposer: str, aims: bool, runs: int = 300, seed: int = 4):
    doc = yaml.safe_load((FIXTURES / "coupled.yaml").read_text())
    doc["war"]["talks"]["proposer"] = proposer
    if aims:
        doc["war"]["aims"] = AIMS
    inputs = compile_coupled(Scenario.model_validate(doc), None, ("missiles",), runs, seed,
                             horizon=40)
    inputs = replace(inputs, model=model, model_options=talks_model_options(model, {}, 1))
    return run_arrays("coupled", inputs, CoupledOptions(), seed)


def assert_same(a, b) -> None:
    for f in fields(a):
        x, y = np.asarray(getattr(a, f.name)), np.asarray(getattr(b, f.name))
        assert x.dtype == y.dtype and x.shape == y.shape, f.name
        assert x.tobytes() == y.tobytes(), f.name


@pytest.mark.parametrize(("model", "proposer", "aims"), [
    ("mean", "model", False), ("nash", "model", False), ("mean", "mediator", True),
    ("eum", "U", True)])
def test_masked_and_compacted_rounds_agree(monkeypatch, model, proposer, aims):
    """Every round on every run (masked) and every round on the talking runs alone (compacted)
    give the same outcome, whatever the model, proposer and aims types."""
    monkeypatch.setattr(coupled._Simulation, "scope", lambda self, rows: self.every)
    masked = outcome(model, proposer, aims)
    monkeypatch.setattr(coupled._Simulation, "scope", lambda self, rows: rows)
    compacted = outcome(model, proposer, aims)
    assert_same(masked, compacted)
    assert (compacted.talks_held.sum(axis=1) > 0).all()  # the rounds were held


def test_partial_utilities_on_the_subsets_issues_equal_the_full_sum(monkeypatch):
    """Utilities on a partial subset's own issues equal the sum over every issue with the others'
    weights at 0 (the fixture's two subsets; partial deals are agreed in some runs)."""
    fast = outcome("nash", "model", False)
    init = coupled._Model.__init__

    def full_sums(self, inputs, options):
        init(self, inputs, options)
        self.subset_cols = [None] * len(self.subset_cols)

    monkeypatch.setattr(coupled._Model, "__init__", full_sums)
    assert_same(fast, outcome("nash", "model", False))
    assert fast.partial_in_force.any()


def test_party_sum_is_row_sum_of_the_transpose():
    rng = np.random.default_rng(0)
    for j in (0, 1, 2, 7, 8, 13):
        values = rng.random((j, 50)) * 10.0 ** rng.integers(-8, 8, (j, 50))
        assert party_sum(values).tobytes() == row_sum(np.ascontiguousarray(values.T)).tobytes()
