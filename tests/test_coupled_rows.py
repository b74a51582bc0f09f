"""The coupled kernel's weekly steps work on the runs still fighting (and the lever parameters
on the runs whose weights changed) and leave every other run's state as it was: every output
array is pinned to what the kernel gave when it computed every step on every run and kept the
fighting runs' values with np.where (MODELS.md §7). The cases end most runs early (victories,
collapses, exhaustion, agreements that may break down), so a step that changed an ended run's
state, or skipped a fighting one, would change a pinned value.

The pins hold on any x86-64 machine: numpy's exp, log, expm1, log1p and power take different
code paths on AVX-512 and AVX2 cores and differ in the last bits, so the integer and boolean
fields and every float field's NaN pattern are pinned to the byte, and each float field by
weighted sums to 1e-9 of their scale. ``test_pins_hold_when_transcendentals_move_an_ulp``
checks that this is the right cut: moving those functions' results by an ulp moves no discrete
output and no float sum past the tolerance. The price: a change of about 1e-4 in one entry of
a field is caught (cost_R, front; 1e-5 in pape_R), 1e-5 in one entry of the largest
(engagement) is not. Re-pin (after a deliberate change to the model)
with ``python -m tests.test_coupled_rows``; comparisons between paths on one machine stay bit
for bit (``_same``)."""

from __future__ import annotations

import hashlib
import json
import sys
import types
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


SUMS = 8          # weighted sums per float field
RTOL = 1e-9       # of the sums' scale, sum of w |x|


def fingerprint(out: CoupledOutcome) -> dict:
    """What holds across machines: ``exact``, sha256 of every field's name, dtype and shape,
    the bytes of the integer and boolean fields and the NaN pattern of the float fields; and
    per float field (B, ...) ``SUMS`` sums of w x over its finite entries with fixed uniform
    weights w (one draw per field size, seed 0), with their scale sum of w |x|."""
    h = hashlib.sha256()
    sums: dict[str, list] = {}
    for f in fields(CoupledOutcome):
        a = np.ascontiguousarray(getattr(out, f.name))
        h.update(f"{f.name} {a.dtype} {a.shape}".encode())
        if a.dtype.kind != "f":
            h.update(a.tobytes())
            continue
        h.update(np.isnan(a).tobytes())
        x = np.nan_to_num(a.ravel(), nan=0.0)
        w = np.random.default_rng(0).random((SUMS, x.size))
        sums[f.name] = [(w @ x).tolist(), float((w @ np.abs(x)).max(initial=0.0))]
    return {"exact": h.hexdigest(), "sums": sums}


def assert_pinned(got: dict, want: dict, case: str) -> None:
    assert got["exact"] == want["exact"], f"{case}: integer, boolean or NaN outputs changed"
    assert got["sums"].keys() == want["sums"].keys(), case
    for name, (values, scale) in want["sums"].items():
        np.testing.assert_allclose(got["sums"][name][0], values, rtol=0,
                                   atol=RTOL * max(scale, 1e-300), err_msg=f"{case}: {name}")


PINS = FIXTURES / "coupled_pinned.json"


def _pins() -> dict:
    return json.loads(PINS.read_text())


def _ends(out: CoupledOutcome, horizon: int) -> None:
    """The case is worth pinning: many runs end early, in many different weeks, by several
    modes."""
    early = (out.end_mode != HORIZON) & (out.end_week < horizon)
    assert early.mean() > 0.3
    assert np.unique(out.end_week[early]).size > 10
    assert np.unique(out.end_mode).size >= 3


CASES = ("fixture-lattice", "flagship", "flagship-limited", "flagship-pressure")
STACKED = "stacked"


def outcome(case: str) -> CoupledOutcome:
    """A pinned case's outcome (lever parameters recomputed in the changed runs alone)."""
    if case.startswith("flagship"):
        sc = load_scenario(FLAGSHIP)
        # limited-leverage: third parties exit often, exits computed in the few runs fighting
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
    return out


def stacked_outcomes() -> list[CoupledOutcome]:
    """Stacked variants (war/stacked.py) whose runs end at different weeks."""
    sc = load_scenario(FLAGSHIP)
    ids = [lv.id for lv in sc.levers]
    sets = [(), (ids[0],), (ids[1],), ("deadline",) if "deadline" in ids else (ids[-1],),
            tuple(ids[:3])]
    with shared_draws():
        parts = [compile_coupled(sc, None, lv, 300, 7) for lv in sets]
        outs = simulate_stacked(parts, CoupledOptions(), _rng(7, 300))
    for out in outs:
        _ends(out, parts[0].horizon)
    return outs


@pytest.mark.parametrize("case", CASES)
def test_outputs_pinned(monkeypatch, case):
    monkeypatch.setattr(K, "PARAMS_IN_RUNS_FROM", 0)  # parameters in the changed runs alone
    out = outcome(case)
    if case == "flagship":  # agreements that break down: ended runs that fight again
        assert out.breakdowns.sum() > 0 and (out.end_mode == AGREEMENT).any()
    assert_pinned(fingerprint(out), _pins()[case], case)


@pytest.mark.parametrize("in_runs_from", [0, K.PARAMS_IN_RUNS_FROM])
def test_stacked_outputs_pinned(monkeypatch, in_runs_from):
    """The variants freeze one by one; lever parameters recomputed in the changed runs alone
    (0) or whole."""
    monkeypatch.setattr(K, "PARAMS_IN_RUNS_FROM", in_runs_from)
    outs = stacked_outcomes()
    want = _pins()[STACKED]
    assert len(outs) == len(want)
    for i, (out, pin) in enumerate(zip(outs, want, strict=True)):
        assert_pinned(fingerprint(out), pin, f"{STACKED}[{i}]")


def _ulp_apart(f, salt: int, count: list[int]):
    """``f`` with its float64 results moved one ulp up or down for about 30 % of inputs, chosen
    by the input's bits (so equal inputs still give equal results, as on any machine); adds the
    number of results moved to ``count[0]``."""
    def moved(*args, **kwargs):
        y = f(*args, **kwargs)
        if not isinstance(y, np.ndarray) or y.dtype != np.float64:
            return y
        bits = np.broadcast_to(np.asarray(args[0], dtype=np.float64), y.shape).view(np.uint64)
        h = (bits * np.uint64(0x9E3779B97F4A7C15) + np.uint64(salt)) >> np.uint64(40)
        chosen = (h % np.uint64(10)) < 3
        up = (h & np.uint64(1)).astype(bool)
        count[0] += int(chosen.sum())
        return np.where(chosen & up, np.nextafter(y, np.inf),
                        np.where(chosen, np.nextafter(y, -np.inf), y))
    return moved


@pytest.mark.parametrize("case", ["fixture-lattice", "flagship"])
def test_pins_hold_when_transcendentals_move_an_ulp(monkeypatch, case):
    """Another machine's exp/log/expm1/log1p/power (numpy's AVX-512 paths against libm's)
    changes last bits, never a discrete outcome, and the float sums by far less than RTOL: the
    fingerprint's cut between exact and tolerant is right, and the pins hold off this CPU."""
    monkeypatch.setattr(K, "PARAMS_IN_RUNS_FROM", 0)
    want = fingerprint(outcome(case))
    import detente.models.smp as smp
    import detente.war.base as base
    import detente.war.theory as theory
    moved = types.SimpleNamespace(**{n: getattr(np, n) for n in dir(np) if not n.startswith("__")})
    count = [0]
    for n in ("exp", "log", "expm1", "log1p", "power"):
        setattr(moved, n, _ulp_apart(getattr(np, n), 12345, count))
    for module in (K, base, theory, smp):
        monkeypatch.setattr(module, "np", moved)
    got = fingerprint(outcome(case))
    monkeypatch.undo()
    assert count[0] > 1000  # the moved functions were on the path
    assert_pinned(got, want, case)


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


if __name__ == "__main__":  # python -m tests.test_coupled_rows: re-pin after a model change
    K.PARAMS_IN_RUNS_FROM = 0
    pins = {case: fingerprint(outcome(case)) for case in CASES}
    pins[STACKED] = [fingerprint(o) for o in stacked_outcomes()]
    partial = PINS.with_suffix(".json.partial")  # whole or not at all
    partial.write_text(json.dumps(pins, indent=1) + "\n")
    partial.replace(PINS)
    sys.stdout.write(f"{PINS}: {len(pins)} cases pinned\n")
