"""The stacked variants of one hypothesis (war/stacked.py) give each variant's outcome exactly
as running it alone: every array of every field equal, NaN where NaN (MODELS.md §7)."""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest

from detente.compile.coupled import compile_coupled
from detente.options import CoupledOptions
from detente.scenario import load_scenario
from detente.seeds import Streams, shared_draws
from detente.war.coupled import CoupledOutcome, simulate_coupled
from detente.war.stacked import can_stack, simulate_stacked

FLAGSHIP = Path(__file__).resolve().parents[1] / "scenarios" / "ukraine-2025.yaml"


def _rng(seed: int, runs: int):
    streams = Streams.from_seed(seed)
    return lambda key: streams.rows(key, runs)


def _same(a: CoupledOutcome, b: CoupledOutcome) -> None:
    for f in fields(CoupledOutcome):
        x, y = getattr(a, f.name), getattr(b, f.name)
        assert x.shape == y.shape and x.dtype == y.dtype, f.name
        assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), f.name


def _variants(hypothesis, lever_sets, runs, seed, horizon=None):
    sc = load_scenario(FLAGSHIP)
    return [compile_coupled(sc, hypothesis, levers, runs, seed, horizon=horizon)
            for levers in lever_sets]


@pytest.mark.parametrize("hypothesis", [None, "pressure-works"])
def test_stacked_equals_alone(hypothesis):
    """Baseline and several single levers of different kinds (scheduled, prospect, deadline)."""
    sc = load_scenario(FLAGSHIP)
    ids = [lv.id for lv in sc.levers]
    sets = [(), *((lid,) for lid in ids[:5]), ("deadline",) if "deadline" in ids else ids[-1:],
            tuple(ids[:2])]
    with shared_draws():
        parts = _variants(hypothesis, sets, 150, 3)
        assert can_stack(parts)
        alone = [simulate_coupled(p, CoupledOptions(), _rng(3, 150)) for p in parts]
        stacked = simulate_stacked(parts, CoupledOptions(), [_rng(3, 150) for _ in parts])
    for a, s in zip(alone, stacked, strict=True):
        _same(a, s)
    # the levers did something: the variants differ (else the test shows little)
    assert not all(np.array_equal(alone[0].deal_in_force, a.deal_in_force) for a in alone[1:])


def test_stacked_early_end():
    """Variants whose runs all end (and freeze) in different weeks, before the horizon."""
    sc = load_scenario(FLAGSHIP)
    ids = [lv.id for lv in sc.levers]
    with shared_draws():
        parts = _variants(None, [(), (ids[0],), (ids[1],)], 6, 11)
        alone = [simulate_coupled(p, CoupledOptions(), _rng(11, 6)) for p in parts]
        stacked = simulate_stacked(parts, CoupledOptions(), [_rng(11, 6) for _ in parts])
    ended = [int(a.end_week.max()) for a in alone]
    assert min(ended) < parts[0].horizon  # some variant froze early
    for a, s in zip(alone, stacked, strict=True):
        _same(a, s)


def test_stacked_lattice_front():
    sc = load_scenario(FLAGSHIP)
    ids = [lv.id for lv in sc.levers]
    opts = CoupledOptions(front="lattice")
    with shared_draws():
        parts = _variants("limited-leverage", [(), (ids[2],), (ids[3],)], 80, 5, horizon=40)
        alone = [simulate_coupled(p, opts, _rng(5, 80)) for p in parts]
        stacked = simulate_stacked(parts, opts, [_rng(5, 80) for _ in parts])
    for a, s in zip(alone, stacked, strict=True):
        _same(a, s)


def test_cannot_stack_other_arrays():
    with shared_draws():
        parts = _variants(None, [(), ()], 20, 0)
    other = replace(parts[1], ideal=parts[1].ideal.copy())
    assert not can_stack([parts[0], other])
    with pytest.raises(ValueError):
        simulate_stacked([parts[0], other], CoupledOptions(), [_rng(0, 20)] * 2)


def test_one_factory_tiles_the_same_draws():
    """One stream factory for every variant (what compare passes) = one factory each."""
    with shared_draws():
        parts = _variants(None, [(), ("deadline",), ()], 40, 2)
        each = simulate_stacked(parts, CoupledOptions(), [_rng(2, 40) for _ in parts])
    shared = simulate_stacked(parts, CoupledOptions(), _rng(2, 40))
    for a, s in zip(each, shared, strict=True):
        _same(a, s)


def test_compare_stacked_equals_one_by_one(monkeypatch):
    """compare's stacked path (in one process) gives the same object as running each variant
    alone (stacking switched off with STACK_MAX = 1), chunks of 2 variants included."""
    from detente.analysis import compare as cmp
    from detente.options import WarOptions

    sc = load_scenario(FLAGSHIP)
    ids = [lv.id for lv in sc.levers][:4]

    def result():
        return cmp.compare(sc, ["baseline", "pressure-works"], ids, 60, 4, WarOptions(),
                           horizon=30)

    stacked = result()
    monkeypatch.setattr(cmp, "STACK_MAX", 2)
    pairs = result()
    monkeypatch.setattr(cmp, "STACK_MAX", 1)
    alone = result()
    assert stacked == alone and pairs == alone


def test_stack_size_follows_max_memory():
    from detente.analysis.compare import STACK_MAX, stack_size
    from detente.budget import for_scenario

    sc = load_scenario(FLAGSHIP)
    one = for_scenario(sc, "coupled", runs=2000, weeks=104).memory
    assert stack_size(sc, 2000, 104, None) == STACK_MAX
    assert stack_size(sc, 2000, 104, 3 * one + 1) == 3
    assert stack_size(sc, 2000, 104, one) == 1


def test_compare_pool_stacked_equals_in_process():
    """Two workers, each running stacked chunks of a hypothesis's variants: the same object as
    one process, but for the backend named in the provenance."""
    from detente.analysis import compare as cmp
    from detente.options import WarOptions
    from detente.runtime.backends import Processes

    sc = load_scenario(FLAGSHIP)
    ids = [lv.id for lv in sc.levers][:3]
    here = cmp.compare(sc, ["baseline"], ids, 40, 6, WarOptions(), horizon=20)
    pool = cmp.compare(sc, ["baseline"], ids, 40, 6, WarOptions(), horizon=20,
                       backend=Processes(2))
    assert pool["provenance"].pop("workers") == 2
    here["provenance"].pop("workers"), here["provenance"].pop("backend")
    pool["provenance"].pop("backend")
    assert pool == here


def test_one_worker_backend_gets_the_work(tmp_path, monkeypatch):
    """A one-worker pool (or a dask cluster with one worker) is where the user sent the work:
    the stacked variants run there, not in the client (they ran in the client, reviewer's
    finding), with the same numbers."""
    import os

    from detente.analysis import compare as cmp
    from detente.options import WarOptions
    from detente.runtime.backends import Processes

    log = tmp_path / "pids"
    stacked = cmp.stacked_runs

    def recording(*args, **kwargs):
        with open(log, "a") as f:  # the pool forks, so the worker records too
            f.write(f"{os.getpid()}\n")
        return stacked(*args, **kwargs)

    monkeypatch.setattr(cmp, "stacked_runs", recording)
    sc = load_scenario(FLAGSHIP)
    ids = [lv.id for lv in sc.levers][:2]
    here = cmp.compare(sc, ["baseline"], ids, 30, 3, WarOptions(), horizon=12)
    assert set(log.read_text().split()) == {str(os.getpid())}
    log.unlink()
    pool = cmp.compare(sc, ["baseline"], ids, 30, 3, WarOptions(), horizon=12,
                       backend=Processes(1))
    pids = set(log.read_text().split())
    assert pids and str(os.getpid()) not in pids
    for doc in (here, pool):
        doc["provenance"].pop("workers"), doc["provenance"].pop("backend")
    assert pool == here


def test_stacked_streams_leave_out_a_call_only_where_every_stream_can():
    """decide_levers leaves out a deadline's call where the stream has ``skip``: a stacked
    stream has it only when the streams it joins do (a plain generator's numbers would move)."""
    from detente.seeds import StreamBlocks
    from detente.war.stacked import _Concatenated, _Tiled

    blocks = [StreamBlocks(Streams(3).for_block(0, 0), "deadline:x", 10) for _ in range(2)]
    assert callable(getattr(_Tiled(blocks[0], 2), "skip", None))
    assert callable(getattr(_Concatenated(blocks), "skip", None))
    plain = np.random.default_rng(0)
    assert getattr(_Tiled(plain, 2), "skip", None) is None
    assert getattr(_Concatenated([blocks[0], plain]), "skip", None) is None
    joined = _Concatenated(blocks)
    joined.skip()  # each stream leaves out call 0: the next draw is every stream's call 1
    after = joined.random(20)
    again = _Concatenated([StreamBlocks(Streams(3).for_block(0, 0), "deadline:x", 10)
                           for _ in range(2)])
    again.random(20)
    np.testing.assert_array_equal(after, again.random(20))
