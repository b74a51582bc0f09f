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


def _samples(rng: np.random.Generator) -> list[np.ndarray]:
    """1-D float samples: smooth, tied, tiny, signed zeros, values on histogram edges."""
    out = [np.array([0.3]), np.array([2.0, -1.0]), np.array([5.0, 5.0, 5.0])]
    for n in (3, 4, 10, 101, 1198, 2000):
        out += [rng.normal(size=n), rng.uniform(0, 1, n), np.round(rng.uniform(0, 1, n), 1),
                rng.integers(1, 105, n).astype(float)]
        z = rng.uniform(-1, 1, n)
        z[: n // 3] = 0.0
        z[n // 3: n // 2] = -0.0
        out.append(rng.permutation(z))
    out.append(np.linspace(0, 1, 11))  # every value on an edge of the 10 bins of [0, 1]
    out.append(np.array([-0.5, 0.0, 1.0, 1.5, np.nextafter(1.0, 0.0), np.nextafter(0.0, 1)]))
    return out


def test_sorted_percentiles_are_numpys_percentiles_to_the_bit():
    from detente.analysis.coupled import QUANTILES, _percentiles, sorted_percentiles

    rng = np.random.default_rng(7)
    checked = 0
    for v in _samples(rng):
        for q in (QUANTILES, (5, 95), (10, 50, 90), (0, 100), (33.3,)):
            got = sorted_percentiles(np.sort(v), q)
            ref = np.percentile(v, q)
            if got is None:  # a zero in the sample: numpy's own (and _percentiles says so)
                assert (v == 0).any()
            else:
                _same(got, ref)
                checked += 1
            assert _percentiles(v, q) == [float(np.percentile(v, k)) for k in q]
            assert [np.signbit(x) for x in _percentiles(v, q)] == \
                [np.signbit(np.percentile(v, k)) for k in q]
    assert checked > 100
    assert sorted_percentiles(np.array([1.0, np.nan]), (50,)) is None


def test_sorted_histogram_is_numpys_histogram():
    from detente.analysis.coupled import sorted_histogram

    rng = np.random.default_rng(8)
    for v in _samples(rng):
        for lo, hi in ((0.0, 1.0), (-1.0, 1.0), (1.0, 1.0), (-3, 3), (0.25, 0.75)):
            counts, edges = sorted_histogram(np.sort(v), 10, (lo, hi))
            ref_counts, ref_edges = np.histogram(v, bins=10, range=(lo, hi))
            _same(edges, ref_edges)
            assert counts.tolist() == ref_counts.tolist()


def test_spread_and_legacy_summary_are_the_reference_numbers():
    """spread() and the coupled legacy summary against the numpy calls they stood for."""
    from detente.analysis.coupled import QUANTILES, spread

    def reference(values, low, high):
        v = values[~np.isnan(values)]
        if not v.size:
            return {"n": 0, "quantiles": None, "histogram": None}
        counts, edges = np.histogram(v, bins=10, range=(low, high))
        return {"n": int(v.size), "mean": float(v.mean()),
                "quantiles": {f"p{q}": float(x) for q, x in zip(QUANTILES, np.percentile(
                    v, QUANTILES), strict=True)},
                "histogram": {"edges": [float(e) for e in edges],
                              "counts": [int(c) for c in counts]}}

    rng = np.random.default_rng(9)
    for v in _samples(rng):
        w = v.copy()
        w[rng.integers(0, w.size, max(1, w.size // 4))] = np.nan
        for x in (v, w, np.full(4, np.nan)):
            got, ref = spread(x, 0.0, 1.0), reference(x, 0.0, 1.0)
            assert repr(got) == repr(ref)  # repr: -0.0 is not 0.0


def test_legacy_summary_is_the_reference_numbers(coupled_scenario):
    """The coupled runs' `simulate --json` keys from one sort per sample equal the scalar
    np.percentile calls they replaced, on the kernel's digests and on digests given ties and
    signed zeros."""
    from dataclasses import replace

    from detente.analysis.coupled import HORIZON, _end_modes, digested, legacy_summary

    def reference(run):
        run = digested(run)
        out, x = run.outcome, run.inputs
        duration = out.end_week.astype(float)
        terms = {}
        for d, issue in enumerate(x.issues):
            v = out.terms[:, d][~np.isnan(out.terms[:, d])]
            terms[issue] = ({"mean": float(v.mean()), "p05": float(np.percentile(v, 5)),
                             "p95": float(np.percentile(v, 95))} if v.size else
                            {"mean": None, "p05": None, "p95": None})
        return {
            "p_agreement": {str(w): float(out.counts["deal"][w - 1] / out.runs)
                            for w in out.weeks},
            "end_mode": _end_modes(out),
            "duration_weeks": {f"p{q}": float(np.percentile(duration, q)) for q in (10, 50, 90)},
            "censored_share": float(out.counts["end_mode"][HORIZON] / out.runs),
            "share_R": {"mean": None},
            "terms": terms,
        }

    sc = coupled_scenario
    runs = list(cmp.variant_runs(sc, [(None, ()), *((None, (lv.id,)) for lv in sc.levers)],
                                 300, 5, cmp.war_options(), 30))
    rng = np.random.default_rng(10)
    for run in runs:
        terms = run.outcome.terms.copy()
        rows = rng.integers(0, len(terms), len(terms) // 3)
        terms[rows] = np.where(rng.random(terms[rows].shape) < 0.5, 0.0, -0.0)
        tied = np.round(run.outcome.terms, 1)
        for t in (run.outcome.terms, terms, tied):
            r = replace(run, outcome=replace(run.outcome, terms=t))
            assert repr(legacy_summary(r)) == repr(reference(r))


def test_report_data_runs_with_the_collector_paused_and_restores_it(monkeypatch):
    """The models run with the cyclic collector off; it is back on after (after an error too),
    and a collector the caller had turned off stays off. The numbers are the same with it on."""
    import gc

    from detente.analysis import report_data as rd
    from detente.scenario import load_scenario

    from .conftest import SCENARIOS

    sc = load_scenario(SCENARIOS / "bdm1994-emissions.yaml")
    seen = []
    real = rd.negotiation_runs
    monkeypatch.setattr(rd, "negotiation_runs",
                        lambda *a, **k: seen.append(gc.isenabled()) or real(*a, **k))
    assert gc.isenabled()
    paused = rd.report_data(sc, draws=4)
    assert seen == [False] and gc.isenabled()
    with rd.collector_paused():
        seen.append(gc.isenabled())
        with rd.collector_paused():
            pass
        seen.append(gc.isenabled())  # an inner pause leaves the outer one paused
    assert seen[1:] == [False, False] and gc.isenabled()
    gc.disable()
    try:
        rd.report_data(sc, draws=4)
        assert not gc.isenabled()
    finally:
        gc.enable()
    monkeypatch.setattr(rd, "negotiation_runs", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        rd.report_data(sc, draws=4)
    assert gc.isenabled()
    monkeypatch.setattr(rd, "negotiation_runs", real)
    monkeypatch.setattr(rd, "collector_paused", _collector_untouched)
    assert rd.report_data(sc, draws=4) == paused


def _collector_untouched():
    import contextlib

    return contextlib.nullcontext()
