"""The compiled smp turns (detente.models.smp_fast) batched over problems, and the module that
``python -m detente.warm`` builds from them ahead of time (``_smp_aot``), against the numpy
kernel: the same positions, turns and forecasts bit for bit, probabilities to round-off."""

from __future__ import annotations

import numpy as np
import pytest

from detente.compile import batch_from_arrays, compile_scenario
from detente.models import smp, smp_prebuilt
from detente.models.smp import SMPModel, SMPOptions
from detente.scenario import load_scenario

from .conftest import FIXTURES

prebuilt = pytest.mark.skipif(smp.prebuilt() is None,
                              reason="the ahead-of-time module is not built (python -m "
                                     "detente.warm)")


def _problems(seed: int, b: int, n: int, d: int):
    """B random problems within KTAB's limits (saliences summing to 0.5-0.99 per actor)."""
    rng = np.random.default_rng(seed)
    sal = rng.uniform(0.05, 1.0, (b, n, d))
    sal = sal / sal.sum(axis=2, keepdims=True) * rng.uniform(0.5, 0.99, (b, n, 1))
    return batch_from_arrays(rng.uniform(0, 100, (b, n, d)).round(2), sal,
                             rng.uniform(10, 200, (b, n)), low=0, high=100)


def _same(fast, slow) -> None:
    np.testing.assert_array_equal(fast.turns, slow.turns)
    np.testing.assert_array_equal(fast.positions, slow.positions)
    np.testing.assert_array_equal(fast.forecast, slow.forecast)
    np.testing.assert_allclose(fast.probabilities, slow.probabilities, rtol=0, atol=1e-10)
    np.testing.assert_allclose(fast.diagnostics["option_probabilities"],
                               slow.diagnostics["option_probabilities"], rtol=0, atol=1e-10)


@prebuilt
@pytest.mark.parametrize("case", ["dummyData_3Dim", "SOE-Pol-Comp"])
def test_prebuilt_module_equals_the_numpy_kernel_on_ktab_cases(case):
    batch = compile_scenario(load_scenario(FIXTURES / "ktab" / f"{case}.csv"))
    _same(SMPModel().run(batch, SMPOptions(engine="compiled")),
          SMPModel().run(batch, SMPOptions(engine="numpy")))


@prebuilt
@pytest.mark.parametrize(("b", "n", "d", "turns"), [(400, 4, 6, 1), (60, 9, 2, 30), (8, 25, 3, 30)])
def test_prebuilt_module_equals_the_numpy_kernel_on_batches(b, n, d, turns):
    """Many problems in one call (the coupled model's talks rounds: 4 actors, 6 issues, one
    turn), problems that stop at different turns (padded with their last state) and 'auto',
    which takes the prebuilt module for batches too."""
    batch = _problems(b + n, b, n, d)
    opts = dict(max_turns=turns, enforce_limits=False)
    fast = SMPModel().run(batch, SMPOptions(engine="auto", **opts))
    slow = SMPModel().run(batch, SMPOptions(engine="numpy", **opts))
    if turns > 1:
        assert len(set(slow.turns.tolist())) > 1  # the padding is exercised
    _same(fast, slow)


@prebuilt
def test_a_batch_gives_each_problem_what_it_gives_alone():
    batch = _problems(5, 12, 6, 2)
    together = smp.prebuilt().run_batch(batch.position / 100, batch.salience,
                                        np.ascontiguousarray(batch.capability[:, :, 0]), 30, 0.02)
    for k in range(12):
        alone = smp.prebuilt().run_batch(batch.position[k:k + 1] / 100, batch.salience[k:k + 1],
                                         np.ascontiguousarray(batch.capability[k:k + 1, :, 0]),
                                         30, 0.02)
        t = int(alone[3][0])
        assert together[3][k] == t
        np.testing.assert_array_equal(together[0][k, :t + 1], alone[0][0])
        np.testing.assert_array_equal(together[0][k, t:], np.repeat(alone[0][0, -1:], len(
            together[0][k]) - t, 0))  # after its stop a problem repeats its last state
        np.testing.assert_array_equal(together[2][k, :t + 1], alone[2][0])


def test_a_stale_or_disabled_prebuilt_module_is_not_used(monkeypatch):
    """The module is trusted only when built from this very source: a changed digest (or
    DETENTE_SMP_AOT=0) makes it absent, and 'auto' runs a batch on numpy again."""
    monkeypatch.setattr(smp_prebuilt, "loops_digest", lambda: -1)
    smp.prebuilt.cache_clear()
    try:
        assert smp.prebuilt() is None
        assert smp.compiled_loops(SMPOptions(), None, draws=100, actors=4) is None
        monkeypatch.undo()
        monkeypatch.setenv("DETENTE_SMP_AOT", "0")
        smp.prebuilt.cache_clear()
        assert smp.prebuilt() is None
    finally:
        monkeypatch.undo()
        smp.prebuilt.cache_clear()


@prebuilt
def test_other_parameters_never_take_the_prebuilt_module():
    assert smp.compiled_loops(SMPOptions(), None, 10, 4) is smp.prebuilt()
    assert smp.compiled_loops(SMPOptions(PCEModel="MarkovUniform"), None, 10, 4) is None
    assert smp.compiled_loops(SMPOptions(), np.eye(4) * 0.1, 10, 4) is None
    assert smp.compiled_loops(SMPOptions(engine="numpy"), None, 10, 4) is None
