"""The runner's fold of coupled blocks into the digest `simulate` and `compare` summarise: every
number it gives is the one numpy gives on the whole outcome, to the bit, on any block layout and
any backend (the digest replaced keeping every run's (B, T) arrays)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import yaml

from detente.analysis import coupled as C
from detente.compile.coupled import compile_coupled
from detente.options import CoupledOptions
from detente.registry import get_spec
from detente.runtime import run_payload
from detente.runtime.backends import InProcess, Processes, in_order
from detente.scenario.schema import Scenario
from detente.seeds import Streams

from .conftest import FIXTURES

RUNS, WEEKS = 2300, 30


@pytest.fixture(scope="module")
def inputs():
    doc = yaml.safe_load((FIXTURES / "coupled.yaml").read_text())
    return compile_coupled(Scenario.model_validate(doc), None, ("missiles",), RUNS, 4,
                           horizon=WEEKS)


def _run(inputs, block, backend=None, fold=None):
    spec = replace(get_spec("coupled"), block=block)
    out, _ = run_payload(spec, inputs, inputs.runs, CoupledOptions(), Streams.from_seed(4),
                         backend or InProcess(threads=1), fold=fold)
    return out


@pytest.fixture(scope="module")
def whole(inputs):
    """The outcome of all runs as the runner concatenated it before the fold."""
    return _run(inputs, 500)


@pytest.mark.parametrize("n", [1, 5, 8, 100, 128, 129, 1000, 2300, 5120, 12345])
@pytest.mark.parametrize("order", ["F", "C"])
def test_run_sum_adds_as_numpy_does_on_every_block_layout(n, order):
    """Pairwise (runs axis fastest) or row after row (otherwise): numpy's bits, whatever blocks
    the rows arrive in, magnitudes mixed so a different order of additions would show."""
    rng = np.random.default_rng(n)
    a = np.asarray(rng.random((n, 7)) * 10.0 ** rng.integers(-6, 6, (n, 1)), order=order)
    want = np.add.reduce(a, axis=0)
    for block in (1, 7, 64, 500, n):
        acc = C.RunSum(n, a[:block])
        for start in range(0, n, block):
            acc.add(a[start:start + block])
        np.testing.assert_array_equal(acc.result(), want, err_msg=f"{order} block {block}")


def test_digest_summaries_are_numpys_on_the_whole_outcome(inputs, whole):
    weeks = (5, 13, 26, WEEKS)
    digest = _run(inputs, 500, fold=C.DigestFold(weeks, RUNS))
    assert digest.runs == RUNS
    d = C.summarize_coupled(C.CoupledRun(inputs, digest, ()), weeks)
    full = C.summarize_coupled(C.CoupledRun(inputs, whole, ()), weeks)
    assert d == full  # a full outcome is digested in one block: the same numbers
    assert d["p_deal_curve"] == whole.deal_in_force.mean(axis=0).tolist()
    assert d["revenue_R"]["mean_curve"] == whole.revenue_R.mean(axis=0).tolist()
    assert d["front"]["median_curve"] == np.median(whole.front, axis=0).tolist()
    for j, a in enumerate(inputs.parties):
        party = d["third_parties"][inputs.actors[a]]
        assert party["mean_curve"] == whole.engagement[:, :, j].mean(axis=0).tolist()
        assert party["engaged"]["13"]["p"] == float((whole.engagement[:, 12, j] > 0).mean())
    held = whole.talks_held
    assert d["vetoes"]["rounds_held"] == int(held.sum())
    for v in inputs.veto:
        by = (whole.vetoed_by == v) & held
        shares = d["vetoes"]["by_actor"][inputs.actors[v]]
        assert shares["red_line"] == float(((whole.veto_reason == 1) & by).sum() / held.sum())
    assert d["mobilised"] == float(whole.mobilised.mean())
    for w in weeks:  # the latest talks-week Pape score up to each checkpoint, by brute force
        latest = [next((x for x in row[:w][::-1] if not np.isnan(x)), np.nan)
                  for row in whole.pape_R]
        want = None if np.isnan(latest).all() else float(np.nanmedian(latest))
        assert d["pape_R"][str(w)] == want


def test_legacy_keys_and_lever_effects_read_the_digest_alike(inputs, whole):
    weeks = tuple(C.checkpoints(WEEKS))
    digest = _run(inputs, 700, fold=C.DigestFold(weeks, RUNS))
    run_d, run_w = C.CoupledRun(inputs, digest, ()), C.CoupledRun(inputs, whole, ())
    assert C.legacy_summary(run_d) == C.legacy_summary(run_w)
    assert C.lever_effects(run_d, run_d) == C.lever_effects(run_w, run_w)
    assert digest.same_runs(C.DigestFold.of(whole, weeks))
    other = replace(digest, end_week=digest.end_week + 1)
    assert not digest.same_runs(other)


def test_the_digest_is_the_same_on_processes_and_with_any_block_size(inputs):
    weeks = tuple(C.checkpoints(WEEKS))
    here = _run(inputs, 500, fold=C.DigestFold(weeks, RUNS))
    there = _run(inputs, 500, Processes(2), fold=C.DigestFold(weeks, RUNS))
    wide = _run(inputs, 5120, fold=C.DigestFold(weeks, RUNS))
    for other in (there, wide):
        assert C.summarize_coupled(C.CoupledRun(inputs, other, ())) == \
            C.summarize_coupled(C.CoupledRun(inputs, here, ()))


def test_results_come_in_job_order_and_early_ones_wait():
    arrivals = iter([(2, "c"), (0, "a"), (3, "d"), (1, "b")])
    seen = []
    out = list(in_order(arrivals, 4, lambda done, total: seen.append(done)))
    assert out == ["a", "b", "c", "d"] and seen == [1, 2, 3, 4]


def test_a_fold_told_the_wrong_number_of_runs_refuses(inputs):
    with pytest.raises(ValueError, match="expected"):
        _run(inputs, 500, fold=C.DigestFold((5,), RUNS + 1))
