"""The report's and compare's fast paths give the reference path's numbers to the bit: random
draws shared between the variants of a comparison (``seeds.shared_draws``), variants as jobs of
one pool, a prospect's π stored as steps instead of a weekly table, and the kernel's parameters
kept from week to week while the lever weights do not change."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest
import yaml

import detente.war.coupled as K
from detente.analysis.compare import compare, war_options
from detente.analysis.sensitivity import SharedStreams
from detente.compile.coupled import compile_coupled
from detente.options import CoupledOptions
from detente.runtime.backends import InProcess, Processes
from detente.scenario.schema import Scenario
from detente.seeds import Streams, shared_draws

from .conftest import FIXTURES

RUNS, WEEKS = 700, 30


@pytest.fixture(scope="module")
def scenario():
    return Scenario.model_validate(yaml.safe_load((FIXTURES / "coupled.yaml").read_text()))


def _simulate(inputs, seed=4):
    return K.CoupledModel().run(inputs, CoupledOptions(), Streams.from_seed(seed))


def _assert_same(a, b):
    for f in fields(a):
        np.testing.assert_array_equal(getattr(a, f.name), getattr(b, f.name), err_msg=f.name)


def test_shared_draws_hand_out_a_fresh_generators_numbers_read_only():
    """Inside the block the second run of a stream gets the first's array, equal to what its own
    generator makes, and nobody can write into it; another seed, block, call or streams class
    (sensitivity's tiled SharedStreams) gets its own numbers."""
    plain = Streams.from_seed(3).for_block(1, 2048)
    stream = plain.rows("battle", 300)
    fresh = [stream.random((2, 300)) for _ in range(2)]  # calls 0 and 1
    with shared_draws():
        first, again = (plain.rows("battle", 300) for _ in range(2))
        a = first.random((2, 300))
        b = again.random((2, 300))
        assert a.base is b.base or a is b
        np.testing.assert_array_equal(a, fresh[0])
        with pytest.raises(ValueError):
            a[0, 0] = 0.5
        np.testing.assert_array_equal(first.random((2, 300)), fresh[1])  # call 1, not call 0
        assert not np.array_equal(Streams.from_seed(4).for_block(1, 2048).rows(
            "battle", 300).random((2, 300)), a)
        tiled = SharedStreams(plain.entropy, group=100).rows("battle", 300).random(300)
        np.testing.assert_array_equal(tiled[:100], tiled[100:200])
        assert not np.array_equal(tiled, a[0])


def test_shared_draws_keep_no_more_than_their_limit():
    with shared_draws(limit=8 * 500):
        s = Streams.from_seed(0).rows("talks", 400)
        kept = s.random(400)
        again = Streams.from_seed(0).rows("talks", 400).random(400)
        assert again is kept or again.base is kept.base
        s2 = Streams.from_seed(0).rows("talks", 400)
        s2.random(400)
        over = s2.random(400)  # a second call would pass the limit: made afresh, writable
        assert over.flags.writeable


def test_kernel_runs_alike_with_and_without_shared_draws(scenario):
    """Every array of two variants, run one after another inside shared_draws, equals its run
    with fresh generators."""
    variants = [compile_coupled(scenario, None, lv, RUNS, 4, horizon=WEEKS)
                for lv in ((), ("missiles",), ("oil-sanctions",))]
    reference = [_simulate(x) for x in variants]
    with shared_draws():
        for x, want in zip(variants, reference, strict=True):
            _assert_same(_simulate(x), want)


def test_params_kept_from_week_to_week_match_recomputing(scenario, monkeypatch):
    """The kernel reuses last week's parameters while the lever weights are equal; computing
    them afresh every week (the reference) gives every array to the bit."""
    x = compile_coupled(scenario, "pressure-works", ("missiles", "oil-sanctions"), RUNS, 4,
                        horizon=WEEKS)
    fast = _simulate(x)
    calls = []

    def afresh(self, weights, expected):
        calls.append(expected)
        return self.params(weights)

    monkeypatch.setattr(K._Simulation, "params_in_force", afresh)
    _assert_same(fast, _simulate(x))
    assert len(calls) == 2 * WEEKS


def _weekly_table(scenario, inputs):
    """The (B, L, T) table of π that compile_coupled used to build, week by week."""
    from detente.compile.coupled import coupled_columns

    col = coupled_columns(scenario, None, inputs.runs, 4)
    pi = np.ones((inputs.runs, len(scenario.levers), inputs.horizon))
    for li, lv in enumerate(scenario.levers):
        if lv.prospect is not None:
            pi[:, li] = col[f"prospect.{lv.id}"][:, None]
            for k, pt in sorted(enumerate(lv.prospect.schedule), key=lambda e: e[1].week):
                pi[:, li, pt.week:] = col[f"prospect.{lv.id}.{k}"][:, None]
    return pi


@pytest.mark.parametrize("horizon", [3, 4, 5, WEEKS])
def test_prospect_steps_give_the_weekly_table(scenario, horizon):
    """π of every prospect in every week, from its steps, is the old weekly table's value (a
    schedule point at or past the horizon never applies)."""
    x = compile_coupled(scenario, None, (), 50, 4, horizon=horizon)
    table = _weekly_table(scenario, x)
    prospects = [li for li, kind in enumerate(x.kind) if kind == "prospect"]
    assert prospects
    for li in prospects:
        for t in range(horizon):
            np.testing.assert_array_equal(x.prospect(li, t), table[:, li, t])
    assert x.pi.shape[2] == (1 if horizon <= 4 else 2)  # the start, and week 4's point


def test_compare_on_a_pool_matches_in_process(scenario):
    """Variants as jobs of one pool of processes: the same comparison as in this process, but
    for the backend it names."""
    opts = war_options()
    args = (scenario, ["baseline", "pressure-works"], ["missiles", "oil-sanctions"], 300, 2,
            opts, 20)
    here = compare(*args, backend=InProcess(threads=1))
    bases: dict = {}
    pooled = compare(*args, backend=Processes(2), baselines=bases)
    assert pooled["provenance"]["backend"] == "processes"
    assert pooled["provenance"]["workers"] == 2
    for key in ("backend", "workers"):
        here["provenance"].pop(key)
        pooled["provenance"].pop(key)
    assert pooled == here
    assert set(bases) == {"baseline", "pressure-works"}
    assert bases["baseline"].provenance["backend"] == "processes"


def test_variants_of_a_hypothesis_share_one_compiled_set(scenario):
    """Inside shared_draws the levers' variants of one hypothesis get the very arrays (read-only)
    compile_coupled makes afresh, only ``selected`` differing; an unknown lever is still refused;
    another hypothesis is compiled anew."""
    from detente.errors import InputError

    fresh = compile_coupled(scenario, "pressure-works", ("missiles",), 200, 4, horizon=WEEKS)
    with shared_draws():
        a = compile_coupled(scenario, "pressure-works", (), 200, 4, horizon=WEEKS)
        b = compile_coupled(scenario, "pressure-works", ("missiles",), 200, 4, horizon=WEEKS)
        with pytest.raises(InputError, match="unknown lever"):
            compile_coupled(scenario, "pressure-works", ("nope",), 200, 4, horizon=WEEKS)
        other = compile_coupled(scenario, "limited-leverage", (), 200, 4, horizon=WEEKS)
    assert b.ideal is a.ideal and not b.ideal.flags.writeable
    assert other.ideal is not a.ideal
    assert not a.selected.any() and b.selected.tolist() == fresh.selected.tolist()
    for f in fields(fresh):
        va, vb = getattr(fresh, f.name), getattr(b, f.name)
        if isinstance(va, np.ndarray):
            np.testing.assert_array_equal(va, vb, err_msg=f.name)
    for k, v in fresh.war.params.items():
        np.testing.assert_array_equal(v, b.war.params[k], err_msg=k)


@pytest.mark.parametrize("fixture, flags, message", [
    ("coupled.yaml", ["--max-memory", "1MB"], "max_memory"),
    ("war-2025.yaml", ["-O", "anticipation=on"], "coupled model's"),
])
def test_a_variants_bad_input_on_a_pool_is_the_same_error(fixture, flags, message):
    """A variant whose input is refused inside a pool's worker (its memory budget, options for
    the other kernel) gives the error lines and exit 2 it gives in this process: the worker's
    InputError crosses back whole (it used to break the pool: a traceback)."""
    from typer.testing import CliRunner

    from detente.cli import app

    args = ["compare", str(FIXTURES / fixture), "--runs", "100", *flags]
    for extra in ([], ["--workers", "2"]):
        out = CliRunner().invoke(app, [*args, *extra])
        assert out.exit_code == 2, out.output
        assert f"error: {FIXTURES / fixture}" in out.output and message in out.output


def test_an_input_error_pickles_with_its_problems():
    import pickle

    from detente.errors import InputError, problem

    err = InputError([problem("too late", ("horizon",), value=3, line=7)], "war.yaml")
    back = pickle.loads(pickle.dumps(err))
    assert back.problems == err.problems and back.file == "war.yaml"
    assert str(back) == str(err) == "war.yaml:7: horizon: too late (got 3)"


def test_a_warning_of_the_pools_variants_reaches_the_user_once(scenario):
    """talks.rounds on a static talks model warns while the inputs are compiled; on a pool of
    processes each worker printed it itself (twice on two workers, on --dask-local 2 too): now
    the parent shows it once, as the comparison in this process does."""
    import warnings

    data = scenario.model_dump(mode="json", exclude_none=True)
    data["war"]["talks"]["rounds"] = 3
    static = Scenario.model_validate(data)
    shown = {}
    for name, backend in (("here", InProcess(threads=1)), ("pool", Processes(2))):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            compare(static, ["baseline", "pressure-works"], ["missiles"], 100, 2, war_options(),
                    20, backend=backend)
        shown[name] = [str(w.message) for w in caught if "is static" in str(w.message)]
    assert shown["here"] == shown["pool"] == [
        "talks.rounds = 3 changes nothing: model 'mean' is static (it has no rounds)"]


def _arrays(value, path="inputs"):
    """Every numpy array reachable from ``value`` (dataclasses, dicts, tuples), by path."""
    from dataclasses import is_dataclass

    if isinstance(value, np.ndarray):
        yield path, value
    elif is_dataclass(value):
        for f in fields(value):
            yield from _arrays(getattr(value, f.name), f"{path}.{f.name}")
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _arrays(v, f"{path}[{k!r}]")
    elif isinstance(value, tuple | list):
        for k, v in enumerate(value):
            yield from _arrays(v, f"{path}[{k}]")


def test_every_array_the_variants_share_is_read_only(scenario):
    """The compiled set the variants of a hypothesis share is read-only all through: the war
    inputs' terms and a deadline lever's credibilities too (they were left writable, so a
    kernel writing one would have changed the next variant's inputs)."""
    data = scenario.model_dump(mode="json", exclude_none=True)
    data["levers"].append({"id": "threat", "name": "Threat", "start": 0,
                           "deadline": {"credibility": 0.4, "every": 3},
                           "effects": [{"param": "R.cost", "add": 0.001}]})
    with_deadline = Scenario.model_validate(data)
    with shared_draws():
        compile_coupled(with_deadline, "pressure-works", (), 50, 4, horizon=WEEKS)
        shared = compile_coupled(with_deadline, "pressure-works", ("threat",), 50, 4,
                                 horizon=WEEKS)
    assert shared.war.levers[-1].credibility is not None
    writable = [path for path, a in _arrays(shared) if a.flags.writeable
                and path != "inputs.selected"]
    assert writable == []


def test_a_shared_block_ending_on_another_thread_leaves_a_run_going(monkeypatch):
    """The dashboard serves requests on threads: one request's comparison may end its
    shared_draws block while another request is compiling or drawing inside it. That run
    then goes on without the store (it crashed with AttributeError: 'NoneType' ... 'latest')."""
    from contextlib import ExitStack

    import detente.seeds as seeds

    block = ExitStack()
    block.enter_context(shared_draws())

    def make_and_end() -> int:
        block.close()  # as the other thread's block ends during this make()
        return 7

    assert seeds.shared_value("probe", object(), (1,), make_and_end) == 7
    block.enter_context(shared_draws())
    real = seeds._Shared.get

    def get_after_the_end(self, name, make):  # type: ignore[no-untyped-def]
        block.close()
        return real(self, name, make)

    monkeypatch.setattr(seeds._Shared, "get", get_after_the_end)
    drawn = seeds.RowStream(Streams(5), "probe").random((3, 4))
    monkeypatch.undo()
    assert np.array_equal(drawn, seeds.RowStream(Streams(5), "probe").random((3, 4)))
