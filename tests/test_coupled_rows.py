"""The coupled kernel's weekly steps work on the runs still fighting (and the lever parameters
on the runs whose weights changed) and leave every other run's state as it was: every output
array is pinned, to the bit, to what the kernel gave when it computed every step on every run
and kept the fighting runs' values with np.where (MODELS.md §7). The cases end most runs early
(victories, collapses, exhaustion, agreements that may break down), so a step that changed an
ended run's state, or skipped a fighting one, would change a digest."""

from __future__ import annotations

import hashlib
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
import yaml

from detente.compile.coupled import compile_coupled
from detente.options import CoupledOptions
from detente.scenario import load_scenario
from detente.scenario.schema import Scenario
from detente.seeds import Streams, shared_draws
from detente.war import coupled as K
from detente.war.base import AGREEMENT, HORIZON
from detente.war.coupled import CoupledOutcome, simulate_coupled
from detente.war.stacked import simulate_stacked

from .conftest import FIXTURES

FLAGSHIP = Path(__file__).resolve().parents[1] / "scenarios" / "ukraine-2025.yaml"


def _rng(seed: int, runs: int):
    streams = Streams.from_seed(seed)
    return lambda key: streams.rows(key, runs)


def digest(out: CoupledOutcome) -> str:
    """sha256 of every field's name, dtype, shape and C-order bytes."""
    h = hashlib.sha256()
    for f in fields(CoupledOutcome):
        a = np.ascontiguousarray(getattr(out, f.name))
        h.update(f"{f.name} {a.dtype} {a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _ends(out: CoupledOutcome, horizon: int) -> None:
    """The case is worth pinning: many runs end early, in many different weeks, by several
    modes."""
    early = (out.end_mode != HORIZON) & (out.end_week < horizon)
    assert early.mean() > 0.3
    assert np.unique(out.end_week[early]).size > 10
    assert np.unique(out.end_mode).size >= 3


PINNED = {
    "flagship": "c38487f3430b2a8cc524de3ee9df22e334a65a49f1fc947e863d32f20db586b6",
    "flagship-pressure": "e4977d8b64b70ed342124529ab8250a99ff3cd2f1a880d40b22662e8efbfb2e6",
    # third parties exit often: exits computed in the few runs still fighting
    "flagship-limited": "d9aadc5192fed25a0a2ad9320846f29467690c40af9be80acac0da7a3cc48201",
    "fixture-lattice": "0b3ffd9646a78a195a733ac650723c40ee5a61fb31f2cb8d44fd052755b9b048",
}
PINNED_STACKED = "37e030fea447e9c305a8009ba28b11da59f10cb93ef9886f14d65dae2ba8a868"


@pytest.mark.parametrize("case", sorted(PINNED))
def test_outputs_pinned(monkeypatch, case):
    monkeypatch.setattr(K, "PARAMS_IN_RUNS_FROM", 0)  # parameters in the changed runs alone
    if case.startswith("flagship"):
        sc = load_scenario(FLAGSHIP)
        hyp = {"flagship": None, "flagship-pressure": "pressure-works",
               "flagship-limited": "limited-leverage"}[case]
        x = compile_coupled(sc, hyp, tuple(lv.id for lv in sc.levers[:3]), 600, 11)
        opts = CoupledOptions()
    else:
        doc = yaml.safe_load((FIXTURES / "coupled.yaml").read_text())
        x = compile_coupled(Scenario.model_validate(doc), None, ("missiles",), 700, 5)
        opts = CoupledOptions(front="lattice", battle="bernoulli", intensity_every=1)
    out = simulate_coupled(x, opts, _rng(11, x.runs))
    _ends(out, x.horizon)
    if case == "flagship":  # agreements that break down: ended runs that fight again
        assert out.breakdowns.sum() > 0 and (out.end_mode == AGREEMENT).any()
    assert digest(out) == PINNED[case]


@pytest.mark.parametrize("in_runs_from", [0, K.PARAMS_IN_RUNS_FROM])
def test_stacked_outputs_pinned(monkeypatch, in_runs_from):
    """Stacked variants (war/stacked.py) whose runs end at different weeks; the variants freeze
    one by one; lever parameters recomputed in the changed runs alone (0) or whole."""
    monkeypatch.setattr(K, "PARAMS_IN_RUNS_FROM", in_runs_from)
    sc = load_scenario(FLAGSHIP)
    ids = [lv.id for lv in sc.levers]
    sets = [(), (ids[0],), (ids[1],), ("deadline",) if "deadline" in ids else (ids[-1],),
            tuple(ids[:3])]
    with shared_draws():
        parts = [compile_coupled(sc, None, lv, 300, 7) for lv in sets]
        outs = simulate_stacked(parts, CoupledOptions(), _rng(7, 300))
    for out in outs:
        _ends(out, parts[0].horizon)
    h = hashlib.sha256("".join(digest(o) for o in outs).encode()).hexdigest()
    assert h == PINNED_STACKED


def _same(a: CoupledOutcome, b: CoupledOutcome) -> None:
    for f in fields(CoupledOutcome):
        x, y = getattr(a, f.name), getattr(b, f.name)
        assert x.dtype == y.dtype and x.shape == y.shape, f.name
        assert np.ascontiguousarray(x).tobytes() == np.ascontiguousarray(y).tobytes(), f.name


def _limited(runs: int):
    sc = load_scenario(FLAGSHIP)
    return sc, compile_coupled(sc, "limited-leverage", tuple(lv.id for lv in sc.levers[:3]),
                               runs, 11)


@pytest.mark.parametrize("below", [1, 2, 10**9])
def test_gathering_the_fighting_runs_changes_no_bit(monkeypatch, below):
    """The reference path computes every step on every run (GATHER_BELOW huge: main's way,
    keeping the fighting runs' values with np.where); gathering the fighting runs as soon as
    one has ended (1), or at other shares, gives every array to the bit."""
    _, x = _limited(500)
    want = simulate_coupled(x, CoupledOptions(), _rng(11, x.runs))
    monkeypatch.setattr(K, "GATHER_BELOW", below)
    got = simulate_coupled(x, CoupledOptions(), _rng(11, x.runs))
    _same(got, want)


def test_stacked_params_in_changed_runs_match_recomputing(monkeypatch):
    """Stacked variants (a variant without a lever keeps the parameters as they are): the
    parameters recomputed in the runs whose weights changed equal :meth:`params` afresh every
    week, to the bit."""
    sc = load_scenario(FLAGSHIP)
    ids = [lv.id for lv in sc.levers]
    sets = [(), (ids[1],), ("deadline",) if "deadline" in ids else (ids[-1],), tuple(ids[:4])]
    monkeypatch.setattr(K, "PARAMS_IN_RUNS_FROM", 0)  # in the changed runs however few runs
    with shared_draws():
        parts = [compile_coupled(sc, "pressure-works", lv, 200, 3) for lv in sets]
        fast = simulate_stacked(parts, CoupledOptions(), _rng(3, 200))
        calls = []

        def afresh(self, weights, expected):
            calls.append(expected)
            return self.params(weights)

        monkeypatch.setattr(K._Simulation, "params_in_force", afresh)
        slow = simulate_stacked(parts, CoupledOptions(), _rng(3, 200))
    assert calls
    for a, b in zip(fast, slow, strict=True):
        _same(a, b)
