"""Sensitivity on the coupled talks-while-fighting model (MODELS.md §7): its inputs and their
evidence, common random numbers across samples, the decisive input found first and an inert one
at zero, outcomes on coupled results, and identical numbers on a dask LocalCluster."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from detente.analysis import outcomes as O
from detente.analysis import sensitivity as S
from detente.analysis.compare import run_variant
from detente.analysis.outcomes import parse_outcome
from detente.options import CoupledOptions
from detente.registry import get_spec
from detente.scenario import load_scenario
from detente.seeds import Streams

ROOT = Path(__file__).resolve().parents[1]
COUPLED = ROOT / "tests" / "fixtures" / "coupled.yaml"
FLAGSHIP = ROOT / "scenarios" / "ukraine-2025.yaml"
BOUND = "red_lines.RU.troops.bound"  # RU vetoes foreign troops above this (point value 20)
# the bound over a range that crosses the terms the talks propose on troops (about 40-45), and
# an input the coupled kernel never reads without a deadline lever
DECISIVE = {BOUND: (20.0, 100.0), "deadline_belief.a": (0.5, 5.0)}


@pytest.fixture(scope="module")
def coupled():
    return load_scenario(COUPLED)


@pytest.fixture(scope="module")
def problem(coupled):
    return S.war_problem(coupled, parse_outcome("p_deal@26", coupled), extra=DECISIVE)


def test_coupled_inputs_are_the_coupled_numbers_with_their_evidence():
    flagship = load_scenario(FLAGSHIP)
    prob = S.war_problem(flagship, parse_outcome("delta_p_deal@52:oil-sanctions", flagship),
                         hypothesis="pressure-works", widen=0.5)
    assert prob.coupled and prob.sim_weeks == 52
    by = {i.name: i for i in prob.inputs}
    soft = by["red_lines.RU.guarantees.softening"]  # an assumed point value, widened
    assert soft.target == ("coupled", "red_lines.RU.guarantees.softening")
    assert soft.where == "war.red_lines[0].softening" and soft.evidence == "assumption"
    assert soft.quantity.support() == pytest.approx((0.25, 0.75))
    exit_us = by["third_parties.US.exit_base"]  # set by the hypothesis: -9, assumed
    assert exit_us.where == "hypotheses[0].parameters.third_parties.US.exit_base"
    assert exit_us.target[0] == "coupled"
    assert exit_us.quantity.support() == pytest.approx((-13.5, -4.5))
    assert by["R.forces"].target == ("param", "R.forces") and by["R.forces"].quantity.uncertain
    assert "economy.price" not in by  # cited: kept at its value, not widened
    assert "front.tempo.11" not in by and by["front.tempo.12"].evidence == "assumption"
    assert by["front.tempo.12"].where == "war.front.continuous.tempo.12"
    assert S.coupled_where(flagship, "talks.meeting.1") == "war.talks.meetings[1].probability"
    assert S.coupled_where(flagship, "prospect.tomahawks.0") == \
        "levers[1].prospect.schedule[0].probability"
    assert {i.evidence for i in prob.inputs} <= {"cited", "inferred", "assumption", "none"}
    with pytest.raises(S.InputError, match=r"must lie in \[0, 1\]"):  # a probability
        S.war_problem(flagship, parse_outcome("p_deal@26", flagship),
                      extra={"talks.meeting.0": (0.5, 1.5)})


def test_coupled_week_t_does_not_depend_on_the_horizon(coupled):
    # what lets a P(deal at W) be simulated for W weeks only
    full = run_variant(coupled, "limited-leverage", ("missiles",), 600, 4, CoupledOptions())
    cut = run_variant(coupled, "limited-leverage", ("missiles",), 600, 4, CoupledOptions(),
                      horizon=30)
    for name in ("deal_in_force", "partial_in_force", "front", "engagement", "vetoed_by"):
        np.testing.assert_array_equal(getattr(full.outcome, name)[:, :30],
                                      getattr(cut.outcome, name)[:, :30])


def test_a_sample_block_is_the_kernels_own_run_of_that_sample(problem):
    x = S.to_values(problem.inputs, np.random.default_rng(2).random((3, len(problem.inputs))))
    together = S.evaluate(problem, x, 120, seed=5)
    alone = [S.evaluate(problem, x[k:k + 1], 120, seed=5)[0] for k in range(3)]
    np.testing.assert_array_equal(together, alone)  # common random numbers across samples
    one = S.batched_coupled(problem, x[1:2], 120, 5)
    k = [i.name for i in problem.inputs].index(BOUND)
    assert np.all(one.red_bound[:, 0] == x[1, k])  # the sampled value, in every run
    direct = get_spec("coupled").load().run(one, problem.options, Streams.from_seed(5))
    assert together[1] == direct.deal_in_force[:, 25].mean()


def test_the_decisive_coupled_input_is_ranked_first_and_an_inert_one_gets_zero(problem):
    tornado = S.tornado(problem.inputs, S.WarEvaluator(problem, 100, 0))
    bars = {b["name"]: b for b in tornado["bars"]}
    assert tornado["bars"][0]["name"] == BOUND and tornado["bars"][0]["swing"] > 0.5
    assert bars["deadline_belief.a"]["swing"] == 0.0
    sobol = S.sobol(problem.inputs, S.WarEvaluator(problem, 40, 0), samples=32, seed=0)
    rows = {r["name"]: r for r in sobol["indices"]}
    assert sobol["indices"][0]["name"] == BOUND and rows[BOUND]["ST"] > 0.5
    assert abs(rows["deadline_belief.a"]["ST"]) < 1e-12
    assert rows["deadline_belief.a"]["indistinguishable_from_zero"]
    # with independent streams per run the inert input picks up Monte Carlo noise
    noisy = S.sobol(problem.inputs, lambda x: S.evaluate(problem, x, 40, 0, common=False),
                    samples=32, seed=0)
    assert {r["name"]: r for r in noisy["indices"]}["deadline_belief.a"]["ST"] > 0.005


def test_prim_finds_the_region_where_the_red_line_no_longer_binds(problem):
    from detente.analysis.outcomes import parse_condition

    found = S.discover(problem, parse_condition("p_deal@26 >= 0.5"), samples=200,
                       runs_per_sample=40, seed=1, threshold=0.95)
    limits = {lim["name"]: lim for lim in found["box"]["limits"]}
    assert list(limits) == [BOUND] and limits[BOUND]["evidence"] == "assumption"
    # the talks' terms on troops lie near 44: below that the red line vetoes every deal
    assert 40.0 <= limits[BOUND]["lower"] <= 47.0 and limits[BOUND]["upper"] is None
    assert found["box"]["density"] >= 0.95 and found["box"]["coverage"] >= 0.8


def test_outcomes_read_coupled_results(coupled):
    run = run_variant(coupled, None, (), 800, 2, CoupledOptions())
    out = run.outcome
    assert O.p_deal(run, 104)[0] == out.deal_in_force[:, 103].mean()
    any_partial = out.partial_in_force[:, 51].any(axis=1)
    assert O.p_partial(run, 52)[0] == any_partial.mean()
    assert O.p_partial(run, 52, subset=1)[0] == out.partial_in_force[:, 51, 1].mean()
    # censoring only at the horizon: Kaplan-Meier is the empirical distribution below it
    ended = out.end_mode != O.HORIZON
    q = 0.5 * ended.mean()
    expected = np.quantile(out.end_week, q, method="inverted_cdf")
    assert O.duration_quantile(run, q)[0] == expected
    assert O.duration_quantile(run, min(0.99, ended.mean() + 0.02))[0] == 104  # beyond reach
    d = list(run.inputs.issues).index("troops")
    terms = out.terms[out.deal_in_force[:, 103], d]
    assert O.terms_quantile(run, 104, d, 0.5)[0] == pytest.approx(np.median(terms))
    with pytest.raises(O.InputError, match="unknown partial deal"):
        parse_outcome("p_partial@26:nope", coupled)


def test_robust_effects_on_the_coupled_model_are_the_paired_lever_effects(coupled):
    from detente.analysis.robust import effects

    opts, e = effects(coupled, ["limited-leverage"], ["missiles"], week=30, samples=3,
                      runs_per_sample=60, seed=2, pairs=False)
    assert opts == [("missiles",)]
    prob = S.war_problem(coupled, parse_outcome("delta_p_deal@30:missiles", coupled),
                         "limited-leverage")
    from scipy.stats import qmc

    u = qmc.LatinHypercube(d=len(prob.inputs), seed=np.random.default_rng(2)).random(3)
    np.testing.assert_allclose(e[0, 0], S.evaluate(prob, S.to_values(prob.inputs, u), 60, 2),
                               atol=1e-15)


def test_sobol_on_a_dask_local_cluster_equals_in_process(problem):
    pytest.importorskip("dask.distributed")
    from detente.runtime.backends import Dask

    here = S.sobol(problem.inputs, S.WarEvaluator(problem, 30, 3), samples=8, seed=0)
    with Dask(local=2) as backend:
        there = S.sobol(problem.inputs, S.WarEvaluator(problem, 30, 3, backend), samples=8,
                        seed=0)
    np.testing.assert_array_equal(here["y"], there["y"])
    assert here["indices"] == there["indices"]


def test_cli_sensitivity_on_a_coupled_scenario_with_worker_processes():
    from typer.testing import CliRunner

    from detente.cli import app

    args = ["sensitivity", str(COUPLED), "--outcome", "p_deal@26", "--method", "tornado",
            "--input", f"{BOUND}=20:100", "--runs-per-sample", "30", "--json"]
    here = CliRunner().invoke(app, args)
    assert here.exit_code == 0, here.output
    there = CliRunner().invoke(app, [*args, "--workers", "2"])
    assert there.exit_code == 0, there.output
    doc = json.loads(here.output)
    assert doc["model"] == "coupled" and doc["bars"][0]["name"] == BOUND
    assert doc["bars"] == json.loads(there.output)["bars"]
    both = CliRunner().invoke(app, [*args, "--workers", "2", "--dask-local", "2"])
    assert both.exit_code == 2 and "choose one of" in both.output


def test_cli_discover_takes_named_inputs_on_a_coupled_scenario():
    from typer.testing import CliRunner

    from detente.cli import app

    r = CliRunner().invoke(app, ["discover", str(COUPLED), "--where", "p_deal@26 >= 0.5",
                                 "--input", f"{BOUND}=20:100", "--samples", "60",
                                 "--runs-per-sample", "20", "--threshold", "0.95", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["model"] == "coupled"
    assert [lim["name"] for lim in doc["box"]["limits"]] == [BOUND]


def test_the_verdict_script_calls_a_sign_change_a_flip_and_a_smaller_effect_robust():
    import importlib.util

    spec = importlib.util.spec_from_file_location("verdicts", ROOT / "docs" / "verdicts.py")
    verdicts = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(verdicts)

    def bar(name, low, high):
        return {"name": name, "evidence": "assumption", "low_effect_ci": low,
                "high_effect_ci": high}

    smaller = bar("smaller", (-0.04, -0.01), (-0.3, -0.2))  # same sign, other size
    noisy = bar("noisy", (-0.05, 0.01), (-0.02, 0.03))  # intervals across zero
    flips = bar("flips", (0.01, 0.06), (-0.1, -0.05))  # clearly positive at its low end
    negative = (-0.05, -0.06, -0.04)
    assert verdicts.verdict(negative, [smaller, noisy]) == ("robust", [])
    assert verdicts.verdict(negative, [smaller, flips]) == ("hangs on", [flips])
    zero = (0.001, -0.004, 0.006)  # an effect indistinguishable from zero
    assert verdicts.verdict(zero, [noisy]) == ("robust", [])
    assert verdicts.verdict(zero, [smaller]) == ("hangs on", [smaller])
