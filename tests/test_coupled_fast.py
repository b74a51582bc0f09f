"""The coupled kernel's compiled week of fighting (war/coupled_loops.py, war/coupled_fast.py)
against the numpy step it replaces: every output of every case bit for bit, on the cases the
pins cover (front continuous and lattice, fortifications, red lines, third parties, agreements
that break down, stacked variants) and on the contest-success battle and a war without third
parties; options the loops do not cover run the numpy step."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest
import yaml

from detente.compile.coupled import compile_coupled
from detente.options import CoupledOptions
from detente.scenario.schema import Scenario
from detente.war import coupled as K
from detente.war import coupled_fast, coupled_loops
from detente.war.coupled import CoupledOutcome, simulate_coupled

from . import test_coupled_rows as rows
from .conftest import FIXTURES

pytestmark = pytest.mark.skipif(coupled_loops.njit is None, reason="needs numba")


def _same(a: CoupledOutcome, b: CoupledOutcome) -> None:
    for f in fields(CoupledOutcome):
        x, y = getattr(a, f.name), getattr(b, f.name)
        assert x.shape == y.shape and x.dtype == y.dtype, f.name
        assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), f.name
        if x.dtype.kind == "f":  # the sign of every zero too
            assert np.array_equal(np.signbit(x), np.signbit(y)), f.name


def _loops(monkeypatch, compiled: bool) -> None:
    """The just-in-time loops (the prebuilt module is built from the same source) or none."""
    def loops_for(battle: str, exponent: float, parties: int):
        return coupled_loops.fight if compiled and coupled_fast.covered(
            battle, exponent, parties) else None

    monkeypatch.setattr(coupled_fast, "loops_for", loops_for)
    monkeypatch.setattr(coupled_fast, "party_loops",
                        lambda: coupled_loops.parties if compiled else None)


def _both(monkeypatch, make):
    _loops(monkeypatch, False)
    numpy = make()
    _loops(monkeypatch, True)
    return numpy, make()


@pytest.mark.parametrize("case", rows.CASES)
def test_pinned_cases_bit_for_bit(monkeypatch, case):
    numpy, compiled = _both(monkeypatch, lambda: rows.outcome(case))
    _same(numpy, compiled)


@pytest.mark.parametrize("case", ["fixture-lattice", "flagship-limited"])
def test_against_the_numpy_steps_on_gathered_runs(monkeypatch, case):
    """The numpy steps gathering the runs still fighting whenever any has stopped (the loops
    never gather: they skip the runs that stopped)."""
    monkeypatch.setattr(K, "GATHER_BELOW", 1)
    numpy, compiled = _both(monkeypatch, lambda: rows.outcome(case))
    _same(numpy, compiled)


def test_leaving_out_deadline_draws_moves_nothing(monkeypatch):
    """A deadline's stream leaves out its call in weeks when no run decides the lever; drawing
    it every week instead gives the same outputs."""
    from detente.seeds import StreamBlocks

    skipped = rows.outcome("flagship")
    monkeypatch.delattr(StreamBlocks, "skip")
    _same(skipped, rows.outcome("flagship"))


def _frozen_war() -> Scenario:
    """The fixture with a lever that takes both sides' effectiveness to 0 from week 0: the
    battle's odds are 0/0 (numpy's NaN: no battle won)."""
    doc = yaml.safe_load((FIXTURES / "coupled.yaml").read_text())
    doc["levers"].append({"id": "freeze", "name": "freeze", "start": 0, "effects": [
        {"param": "R.effectiveness", "mul": 0}, {"param": "U.effectiveness", "mul": 0}]})
    return Scenario.model_validate(doc)


def test_a_battle_without_odds_bit_for_bit(monkeypatch):
    x = compile_coupled(_frozen_war(), None, ("freeze",), 60, 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        numpy, compiled = _both(monkeypatch, lambda: simulate_coupled(
            x, CoupledOptions(), rows._rng(2, 60)))
        assert np.isnan(numpy.front[:, 1:]).all()  # the odds were 0/0 from the first battle
        _same(numpy, compiled)
        if coupled_fast.PREBUILT is not None:  # pycc's default error model raised here
            monkeypatch.setattr(coupled_fast, "loops_for", lambda *a: coupled_fast.PREBUILT.fight)
            monkeypatch.setattr(coupled_fast, "party_loops", lambda: coupled_fast.PREBUILT.parties)
            _same(numpy, simulate_coupled(x, CoupledOptions(), rows._rng(2, 60)))


def test_stacked_variants_bit_for_bit(monkeypatch):
    numpy, compiled = _both(monkeypatch, rows.stacked_outcomes)
    for a, b in zip(numpy, compiled, strict=True):
        _same(a, b)


def _fixture(drop_parties: bool = False) -> Scenario:
    doc = yaml.safe_load((FIXTURES / "coupled.yaml").read_text())
    if drop_parties:
        del doc["war"]["third_parties"]
        doc["hypotheses"] = [h for h in doc.get("hypotheses", []) if not any(
            k.startswith("third_parties.") for k in h.get("parameters", {}))]
    return Scenario.model_validate(doc)


@pytest.mark.parametrize("options", [
    CoupledOptions(battle="csf", csf_exponent=1.0),
    CoupledOptions(front="lattice", battle="csf", csf_exponent=1.0, intensity_every=2),
    CoupledOptions(intensity_every=1)], ids=["csf", "lattice-csf", "continuous-bernoulli"])
def test_other_battles_and_fronts_bit_for_bit(monkeypatch, options):
    x = compile_coupled(_fixture(), None, ("missiles",), 500, 3)
    numpy, compiled = _both(monkeypatch, lambda: simulate_coupled(x, options, rows._rng(3, 500)))
    _same(numpy, compiled)
    assert (numpy.end_week < x.horizon).mean() > 0.2  # the runs end in many weeks


def test_a_war_without_third_parties_bit_for_bit(monkeypatch):
    x = compile_coupled(_fixture(drop_parties=True), None, (), 400, 9)
    assert x.parties.size == 0
    numpy, compiled = _both(monkeypatch, lambda: simulate_coupled(
        x, CoupledOptions(), rows._rng(9, 400)))
    _same(numpy, compiled)


def test_the_loops_run_where_they_cover_the_options(monkeypatch):
    """A test that compared the numpy step with itself would pass as well: count the calls."""
    calls = []

    def counted(*args):
        calls.append(args[0])
        return coupled_loops.fight(*args)

    party_calls = []

    def parties(*args):
        party_calls.append(args[0])
        return coupled_loops.parties(*args)

    monkeypatch.setattr(coupled_fast, "loops_for", lambda *a: counted if coupled_fast.covered(
        *a) else None)
    monkeypatch.setattr(coupled_fast, "party_loops", lambda: parties)
    x = compile_coupled(_fixture(), None, (), 200, 1)
    simulate_coupled(x, CoupledOptions(), rows._rng(1, 200))
    assert calls and set(calls) == {0, 1}
    assert party_calls and set(party_calls) == {0, 1}
    calls.clear()
    simulate_coupled(x, CoupledOptions(battle="csf", csf_exponent=2.0), rows._rng(1, 200))
    assert not calls  # x ** 2 is numpy's power: the numpy step


def test_coverage():
    assert coupled_fast.covered("bernoulli", 3.0, 7)
    assert coupled_fast.covered("csf", 1.0, 0)
    assert not coupled_fast.covered("csf", 0.5, 1)
    assert not coupled_fast.covered("bernoulli", 1.0, coupled_fast.PARTY_SUM_ORDERED)


@pytest.mark.skipif(coupled_fast.PREBUILT is None, reason="the loops are not built here "
                    "(python -m detente.warm)")
def test_the_prebuilt_module_is_the_source(monkeypatch):
    """The installed build is used by default and gives the just-in-time loops' numbers."""
    monkeypatch.setattr(K, "PARAMS_IN_RUNS_FROM", 0)
    assert coupled_fast.loops_for("bernoulli", 1.0, 2) is coupled_fast.PREBUILT.fight
    assert coupled_fast.party_loops() is coupled_fast.PREBUILT.parties
    x = compile_coupled(_fixture(), None, ("missiles",), 300, 4)
    prebuilt = simulate_coupled(x, CoupledOptions(), rows._rng(4, 300))
    _loops(monkeypatch, True)
    _same(prebuilt, simulate_coupled(x, CoupledOptions(), rows._rng(4, 300)))
