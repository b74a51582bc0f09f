"""The common check suite, run over every registered model (as scikit-learn runs its estimator
checks over every estimator): a model gets these checks by being listed in the registry.

Each check states a property that holds for every model: a seed determines the numbers; draw k
does not depend on how many draws were asked for; the backend and worker count do not change a
number; permuting the actors permutes the output; an affine rescaling of an issue's scale
rescales the output; the Results carry the documented dimensions; options round-trip through
their declaration, and values outside it are refused.
"""

from __future__ import annotations

import numpy as np
import pytest

from detente.errors import InputError
from detente.options import describe, parse_options
from detente.registry import MODELS
from detente.runtime import Experiment, run
from detente.runtime.backends import Dask, Processes
from detente.scenario.load import validate_document

NEGOTIATION = [n for n, s in MODELS.items() if s.kind == "negotiation"]
WAR = [n for n, s in MODELS.items() if s.kind == "war"]
# small, quick settings per model (the checks are about invariants, not about the models' speed)
QUICK = {"eum": {"rounds": 3}, "smp": {"max_turns": 4, "enforce_limits": False},
         "exchange": {"rounds": 2, "repetitions": 2, "engine": "auto"}}


def negotiation_document(order: list[int] | None = None, scale: tuple[float, float] = (0, 100)
                         ) -> dict:
    """Five actors on two issues with uncertain positions; issue 0 on the scale ``scale``
    (positions mapped affinely from 0-100); actors listed in ``order``."""
    lo, hi = scale
    to = lambda v: lo + (hi - lo) * v / 100  # noqa: E731
    actors = [{"id": f"a{k}", "name": f"A{k}",
               "capability": {"dist": "uniform", "lo": 1 + k, "hi": 2 + k}} for k in range(5)]
    base = [[12.0, 81.0], [33.0, 47.0], [58.0, 22.0], [71.0, 64.0], [94.0, 9.0]]
    stances = []
    for k in range(5):
        for j in range(2):
            x = base[k][j]
            pos = {"dist": "triangular", "lo": x - 5 if x > 5 else 0, "mode": x,
                   "hi": min(x + 5, 100)}
            if j == 0:
                pos = {key: to(v) if key in ("lo", "mode", "hi") else v for key, v in pos.items()}
            stances.append({"actor": f"a{k}", "issue": f"i{j}", "position": pos,
                            "salience": 0.3 + 0.1 * k - 0.05 * j})
    issues = [{"id": "i0", "name": "first", "low": lo, "high": hi, "reference": to(50)},
              {"id": "i1", "name": "second", "reference": 50}]
    if order is not None:
        actors = [actors[k] for k in order]
    return {"name": "checks", "issues": issues, "actors": actors, "stances": stances}


def scenario(**kw):
    return validate_document(negotiation_document(**kw), None)


def negotiate(model: str, draws: int = 6, seed: int = 3, backend=None, **kw):
    return run(Experiment(scenario(**kw), model, QUICK.get(model, {}), draws=draws, seed=seed),
               backend)


def war_scenario(order: list[int] | None = None, scale: tuple[float, float] = (0, 100)):
    doc = negotiation_document(order, scale)
    doc["war"] = {
        "R": "a0", "U": "a4", "horizon": 20,
        "front": {"steps": 10, "start": {"dist": "uniform", "lo": 4, "hi": 6}},
        "sides": {s: {"forces": 100, "cost": {"dist": "uniform", "lo": 0.005, "hi": 0.02},
                      "belief": {"a": a, "b": b}} for s, a, b in (("R", 6, 4), ("U", 4, 6))},
        "breakdown": {"base": 0.02},
    }
    return validate_document(doc, None)


def simulate(draws: int = 40, seed: int = 3, backend=None, **kw):
    return run(Experiment(war_scenario(**kw), "war", draws=draws, seed=seed), backend)


def arrays(res) -> dict[str, np.ndarray]:
    """Every numeric array of a Results."""
    ds = res.dataset
    return {k: ds[k].values for k in ds.data_vars if np.issubdtype(ds[k].dtype, np.number)}


def same(a, b) -> None:
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


@pytest.fixture(scope="module")
def cluster():
    with Dask(local=2) as backend:
        yield backend


# -- determinism, draw independence, backends --------------------------------------------------

@pytest.mark.parametrize("model", NEGOTIATION + WAR)
def test_a_seed_determines_every_number(model):
    go = simulate if model in WAR else lambda **k: negotiate(model, **k)
    same(arrays(go(seed=5)), arrays(go(seed=5)))


@pytest.mark.parametrize("model", NEGOTIATION + WAR)
def test_draw_k_does_not_depend_on_the_number_of_draws(model):
    go = simulate if model in WAR else lambda **k: negotiate(model, **k)
    few, many = arrays(go(draws=4)), arrays(go(draws=9))
    lead = "run" if model in WAR else "draw"
    ds = go(draws=4).dataset
    for k, a in few.items():
        if ds[k].dims and ds[k].dims[0] == lead:
            np.testing.assert_array_equal(a, many[k][:4], err_msg=k)


@pytest.mark.parametrize("model", NEGOTIATION + WAR)
def test_workers_and_backends_do_not_change_a_number(model, cluster):
    go = simulate if model in WAR else lambda **k: negotiate(model, **k)
    here = arrays(go(draws=20))
    same(here, arrays(go(draws=20, backend=cluster)))
    same(here, arrays(go(draws=20, backend=Processes(2))))


def test_blocks_really_split_the_work(cluster):
    """The worker-count check is not vacuous: the war's runs are split into several blocks."""
    res = run(Experiment(war_scenario(), "war", draws=20_000, seed=1), cluster)
    assert res.provenance["blocks"] >= 3 and res.provenance["workers"] == 2
    assert res.provenance["backend"] == "dask"


def test_different_seeds_differ_everywhere():
    for model in NEGOTIATION:
        if MODELS[model].kind == "negotiation":
            a, b = negotiate(model, seed=0), negotiate(model, seed=5)
            assert not np.array_equal(a.output.positions, b.output.positions), model
    a, b = simulate(seed=0), simulate(seed=5)
    assert not np.array_equal(a.outcome.front, b.outcome.front)


# -- equivariance and invariance ------------------------------------------------------------

@pytest.mark.parametrize("model", NEGOTIATION)
def test_permuting_actors_permutes_the_output(model):
    order = [3, 0, 4, 1, 2]
    a, b = negotiate(model), negotiate(model, order=order)
    ids_a, ids_b = list(a.inputs.actors), list(b.inputs.actors)
    perm = [ids_a.index(x) for x in ids_b]
    np.testing.assert_allclose(a.output.positions[:, :, perm], b.output.positions, atol=1e-9)
    np.testing.assert_allclose(a.output.forecast, b.output.forecast, atol=1e-9)


def test_permuting_actors_changes_nothing_in_the_war():
    a, b = simulate(), simulate(order=[3, 0, 4, 1, 2])
    same(arrays(a), arrays(b))


@pytest.mark.parametrize("model", NEGOTIATION)
def test_an_affine_rescaling_of_an_issue_rescales_the_output(model):
    lo, hi = -40.0, 160.0  # issue 0 on [-40, 160] instead of [0, 100]
    a, b = negotiate(model), negotiate(model, scale=(lo, hi))
    k = (hi - lo) / 100
    np.testing.assert_allclose(lo + k * a.output.positions[..., 0], b.output.positions[..., 0],
                               atol=1e-7)
    np.testing.assert_allclose(lo + k * a.output.forecast[:, 0], b.output.forecast[:, 0],
                               atol=1e-7)
    np.testing.assert_allclose(a.output.forecast[:, 1], b.output.forecast[:, 1], atol=1e-7)


def test_an_affine_rescaling_rescales_the_war_terms():
    lo, hi = -40.0, 160.0
    a, b = simulate(), simulate(scale=(lo, hi))
    np.testing.assert_allclose(lo + (hi - lo) / 100 * a.outcome.terms[:, 0], b.outcome.terms[:, 0],
                               atol=1e-9)
    np.testing.assert_array_equal(a.outcome.in_force, b.outcome.in_force)


# -- shapes, names, options -------------------------------------------------------------------

@pytest.mark.parametrize("model", NEGOTIATION)
def test_results_carry_named_dimensions(model):
    res = negotiate(model, draws=3)
    ds = res.dataset
    lead = ("draw", "repetition") if res.repetitions > 1 else ("draw",)
    assert ds["positions"].dims == (*lead, "round", "actor", "issue")
    assert ds["forecast"].dims == (*lead, "issue")
    assert list(ds["actor"].values) == [f"a{k}" for k in range(5)]
    assert list(ds["issue"].values) == ["i0", "i1"]
    assert ds.attrs["model"] == model and ds.attrs["seed"] == 3
    assert {"scenario_sha256", "version", "backend", "workers", "options"} <= set(ds.attrs)


def test_war_results_carry_named_dimensions():
    ds = simulate(draws=7).dataset
    assert ds["in_force"].dims == ("run", "week") and ds["in_force"].shape == (7, 20)
    assert ds["terms"].dims == ("run", "issue") and ds.attrs["hypothesis"] == "baseline"


def test_exchange_draws_and_repetitions_are_separate_dimensions():
    res = run(Experiment(scenario(), "exchange", {"rounds": 2, "repetitions": 3,
                                                    "engine": "auto"}, draws=4, seed=1))
    ds = res.dataset
    assert ds["positions"].dims[:2] == ("draw", "repetition")
    assert ds["positions"].shape[:2] == (4, 3)
    # the per-draw forecast averages a draw's own repetitions, never another draw's
    np.testing.assert_allclose(res.forecast_by_draw(), ds["forecast"].values.mean(axis=1))
    summary = res.draw_summary()
    f = ds["forecast"].values.mean(axis=1)[:, 0]
    assert summary["i0"]["mean"] == pytest.approx(f.mean())


@pytest.mark.parametrize("model", list(MODELS))
def test_options_round_trip_through_their_declaration(model):
    cls = MODELS[model].options
    default = cls()
    assert parse_options(cls, default.as_dict()) == default
    for decl in describe(cls):
        name = decl["name"]
        for choice in decl.get("choices", []):
            assert getattr(parse_options(cls, {name: choice}), name) == choice
        bad = []
        if "choices" in decl:
            bad.append("not-a-choice")
        if "maximum" in decl:
            bad.append(decl["maximum"] + 1)
        if "minimum" in decl:
            bad.append(decl["minimum"] - 1)
        for value in bad:
            with pytest.raises(InputError) as err:
                parse_options(cls, {name: value})
            assert err.value.problems[0].path == ("options", name)
    with pytest.raises(InputError, match="unknown option"):
        parse_options(cls, {"no_such_option": 1})
