"""The compiled eum round (detente.models.eum_fast) against the numpy kernel, and the outputs
sized for the rounds run."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from detente.compile import batch_from_arrays
from detente.errors import ModelError
from detente.models import eum, eum_fast
from detente.models.base import Trajectory
from detente.models.baselines import weighted_median
from detente.models.eum import EUMModel, eum_options
from detente.runtime import negotiate
from detente.scenario import load_scenario

from .conftest import FIXTURES, SCENARIOS

ROOT = Path(__file__).resolve().parents[1]
TARGETS = json.loads((FIXTURES / "eum-emissions-targets.json").read_text())
compiled = pytest.mark.skipif(not eum_fast.AVAILABLE, reason="needs numba (detente[fast])")

# every preset, and each option that changes a branch of the round, on top of two presets
VARIANTS = [{"preset": p} for p in ("scholz-code", "paper", "schelling", "masad2014")] + [
    {"preset": p, **extra} for p in ("scholz-code", "schelling")
    for extra in ({"q": 0.5}, {"security": "row"}, {"risk": "off"},
                  {"capitulation": "velev_bug"}, {"range": "scale"}, {"perspective": "own"},
                  {"offer_selection": "highest_eu"}, {"offer_selection": "least_move"},
                  {"update": "sequential"}, {"probability": "signed_clip"})]


def _problems(seed: int, b: int, n: int, discrete: bool) -> tuple[np.ndarray, ...]:
    """B one-issue problems on 0-100: positions on a few points (coinciding actors) or spread."""
    rng = np.random.default_rng(seed)
    x = rng.choice([10.0, 40.0, 70.0, 100.0], (b, n)) if discrete else rng.uniform(0, 100, (b, n))
    return x, rng.uniform(0.05, 0.3, (b, n)), rng.uniform(0.1, 1.0, (b, n)), np.full(b, 100.0)


def _run(engine: str, problems: tuple[np.ndarray, ...], given: dict) -> dict[str, np.ndarray]:
    return eum.run_eum(*problems, eum_options({**given, "engine": engine}))


@compiled
@pytest.mark.parametrize("engine", ["numpy", "compiled"])
def test_both_engines_reproduce_the_reference_trajectory(engine):
    """MODELS.md §2.10 acceptance 1 on each engine: medians, means and the moving actors."""
    result = negotiate(load_scenario(SCENARIOS / "bdm1994-emissions.yaml"), "eum",
                       {"engine": engine})
    np.testing.assert_allclose(result.median_path()[0, 1:, 0], TARGETS["reference_median"],
                               atol=1e-4)
    np.testing.assert_allclose(result.mean_path()[0, 1:, 0], TARGETS["reference_mean"],
                               atol=1e-4)
    r1 = result.trajectory.diagnostics["risk_exponent"][0, 0, :, 0]
    want = [TARGETS["round1_risk_exponents"][a] for a in result.batch.actors]
    np.testing.assert_allclose(r1, want, atol=1e-3)


@compiled
@pytest.mark.parametrize("given", VARIANTS, ids=lambda g: "-".join(map(str, g.values())))
def test_engines_agree_to_round_off(given):
    """Same offers accepted, same stops, positions to 1e-9: the engines differ only where
    numpy's SIMD power and the C library's pow round differently (coinciding positions keep
    the cases away from knife-edge ties that a last-bit difference could flip)."""
    problems = _problems(7, 24, 7, discrete=True)
    a, b = _run("numpy", problems, given), _run("compiled", problems, given)
    assert a["positions"].shape == b["positions"].shape
    np.testing.assert_array_equal(a["accepted"], b["accepted"])
    np.testing.assert_array_equal(a["turns"], b["turns"])
    np.testing.assert_array_equal(a["stable"], b["stable"])
    np.testing.assert_allclose(a["positions"], b["positions"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(a["risk"], b["risk"], rtol=0, atol=1e-9)


@compiled
@pytest.mark.parametrize("preset", ["scholz-code", "schelling"])
def test_without_risk_exponents_the_engines_agree_bit_for_bit(preset):
    """With r = 1 no power is taken, so every sum and product is numpy's, in numpy's order."""
    problems = _problems(11, 30, 9, discrete=False)
    a = _run("numpy", problems, {"preset": preset, "risk": "off"})
    b = _run("compiled", problems, {"preset": preset, "risk": "off"})
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])


BIT_FOR_BIT = """
import json, math, sys
import numpy as np
from detente.models import eum
from detente.models.eum import eum_options
variants, rng = json.loads(sys.argv[1]), np.random.default_rng(0)
base, expo = rng.random(10_000), rng.uniform(0.5, 2.0, 10_000)
if np.any(base ** expo != [math.pow(u, v) for u, v in zip(base, expo)]):
    print("numpy power is not the C library's here"); raise SystemExit(3)
sizes = [(given, 8) for given in variants] + [
    ({"preset": p}, n) for p in ("scholz-code", "schelling") for n in (1, 2, 13, 30)]
for given, n in sizes:  # 13 and 30 actors: numpy's pairwise sum splits N^2 > 128 terms
    for discrete in (True, False):
        x = rng.choice([10.0, 40.0, 70.0, 100.0], (30, n)) if discrete else \\
            rng.uniform(0, 100, (30, n))
        probs = (x, rng.uniform(0.05, 0.3, (30, n)), rng.uniform(0.1, 1, (30, n)),
                 np.full(30, 100.0))
        a, b = (eum.run_eum(*probs, eum_options({**given, "engine": e}))
                for e in ("numpy", "compiled"))
        for key in a:
            if not np.array_equal(a[key], b[key]):
                print(given, n, discrete, key); raise SystemExit(1)
print("identical")
"""


@compiled
@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="x86 feature names")
def test_engines_agree_bit_for_bit_where_numpy_power_is_the_c_librarys():
    """With numpy's AVX-512 loops switched off its ``power`` is the C library's ``pow``, which
    the compiled loops call: then every variant gives identical arrays, spread positions and
    1 to 30 actors included (so the compiled loops do numpy's arithmetic in numpy's order)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"),
           "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR"}
    out = subprocess.run([sys.executable, "-c", BIT_FOR_BIT, json.dumps(VARIANTS)], env=env,
                         capture_output=True, text=True, timeout=900)
    if out.returncode == 3:
        pytest.skip(out.stdout.strip())
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip() == "identical"


@pytest.mark.parametrize("engine", ["numpy", "compiled"])
def test_outputs_are_sized_for_the_rounds_run_not_the_cap(engine):
    """median_stable with a 100-round cap: the arrays hold the rounds run plus one padded
    round (r = 1, no offer, positions repeated) that shows the stop."""
    if engine == "compiled" and not eum_fast.AVAILABLE:
        pytest.skip("needs numba")
    problems = _problems(3, 40, 6, discrete=True)
    out = _run(engine, problems, {"preset": "schelling"})
    last = int(out["turns"].max())
    assert last < 100 and out["stable"].all()
    assert out["positions"].shape == (40, last + 2, 6)
    assert out["risk"].shape == out["accepted"].shape == (40, last + 1, 6)
    for k, t in enumerate(out["turns"]):
        assert np.all(out["positions"][k, t + 1:] == out["positions"][k, t])
        assert np.all(out["risk"][k, t:] == 1.0) and np.all(out["accepted"][k, t:] == -1)


def test_ten_thousand_draws_with_the_cap_stay_small():
    """The schelling preset (cap 100 rounds) on 10,000 draws: the trajectory is sized for the
    few rounds the draws run (it was 10,000 x 101 x 10 positions, 81 MB, and as much again for
    each of the two diagnostics)."""
    sc = load_scenario(SCENARIOS / "bdm1994-emissions.yaml")
    traj = negotiate(sc, "eum", {"preset": "schelling"}, draws=10_000).trajectory
    size = traj.positions.nbytes + sum(a.nbytes for a in traj.diagnostics.values())
    assert traj.positions.shape[1] == int(traj.turns.max()) + 2
    assert size < 20e6


@pytest.mark.parametrize("engine", ["numpy", "compiled"])
def test_blocks_that_stop_at_different_rounds_concatenate_as_one(engine):
    """Two halves padded to the longer one give the arrays of one call (the padded round is
    what a repeat of the last round adds)."""
    if engine == "compiled" and not eum_fast.AVAILABLE:
        pytest.skip("needs numba")
    rng = np.random.default_rng(4)
    batch = batch_from_arrays(rng.choice([0.0, 30.0, 60.0, 100.0], (12, 6, 1)),
                              rng.uniform(0.1, 1, (12, 6, 1)), rng.uniform(0.1, 1, (12, 6)),
                              low=0, high=100)
    opts = eum_options({"preset": "schelling", "engine": engine})
    whole = EUMModel().run(batch, opts)
    cut = int(np.argmax(whole.turns))  # the draws before the longest one stop earlier
    parts = [EUMModel().run(batch.take(slice(0, cut)), opts),
             EUMModel().run(batch.take(slice(cut, 12)), opts)]
    assert parts[0].positions.shape[1] < parts[1].positions.shape[1]
    joined = Trajectory.concatenate(parts)
    np.testing.assert_array_equal(joined.positions, whole.positions)
    for key in whole.diagnostics:
        np.testing.assert_array_equal(joined.diagnostics[key], whole.diagnostics[key])


def test_compiled_engine_without_numba_is_refused(monkeypatch):
    monkeypatch.setattr(eum_fast, "AVAILABLE", False)
    with pytest.raises(ModelError, match="needs numba"):
        eum.run_eum(*_problems(1, 2, 4, True), eum_options({"engine": "compiled"}))
    out = eum.run_eum(*_problems(1, 2, 4, True), eum_options({}))  # auto falls back to numpy
    assert out["positions"].shape == (2, 11, 4)


def test_codes_follow_the_option_lists():
    """Every categorical option reaches the loops as the index of its value."""
    opts = eum_options({"preset": "schelling", "security": "row", "update": "sequential"})
    got = dict(zip([name for name, _ in eum_fast.FIELDS], eum_fast.codes(opts), strict=True))
    assert got == {"probability": 1, "perspective": 1, "security": 1, "conflict_rule": 1,
                   "offer_selection": 3, "capitulation": 0, "update": 1, "range": 1,
                   "risk": 0, "stop": 1}
    for name, choices in eum_fast.FIELDS:  # the lists are the option's allowed values
        field = type(opts).model_fields[name]
        assert set(choices) == set(field.annotation.__args__)


@pytest.mark.parametrize("engine", ["numpy", "compiled"])
@pytest.mark.parametrize("preset", ["scholz-code", "schelling"])
def test_forecast_is_the_weighted_median_of_the_last_positions(engine, preset):
    """The kernel's forecast (the compiled loops compute it as each problem stops) is exactly
    baselines.weighted_median of the last positions with capability x salience weights, on
    coinciding and spread positions and several issues at once."""
    if engine == "compiled" and not eum_fast.AVAILABLE:
        pytest.skip("needs numba")
    rng = np.random.default_rng(12)
    for position in (rng.choice([0.0, 30.0, 60.0, 100.0], (40, 7, 3)),
                     rng.uniform(0, 100, (40, 7, 3))):
        batch = batch_from_arrays(position, rng.uniform(0.1, 1, (40, 7, 3)),
                                  rng.uniform(0.1, 1, (40, 7)), low=0, high=100)
        traj = EUMModel().run(batch, eum_options({"preset": preset, "engine": engine}))
        want = weighted_median(traj.positions[:, -1], batch.capability * batch.salience)
        np.testing.assert_array_equal(traj.forecast, want)


@compiled
def test_the_loops_give_the_arrays_recorded_before_their_rewrite():
    """The compiled round was rewritten for speed (one vote-margin pass per pair of
    positions, distances once a round, P of the risk pass reused under ``paper``, no
    reference counting): on a fixture recorded with the earlier loops every array is
    bit-for-bit the same, for every preset and the branches of the round, 2 to 13 actors."""
    data = np.load(FIXTURES / "eum-compiled-recorded.npz")
    for k, given in enumerate(json.loads(str(data["variants"]))):
        for tag in ("spread", "coinciding"):
            x, c, s = (data[f"{tag}_{name}"] for name in ("x", "c", "s"))
            out = eum_fast.run(x, c, s, np.full(x.shape[0], 100.0),
                               eum_options({**given, "engine": "compiled"}))
            for i, name in enumerate(("positions", "risk", "accepted", "turns", "stable")):
                np.testing.assert_array_equal(out[i], data[f"{tag}_{k}_{name}"],
                                              err_msg=f"{given} {tag} {name}")
