"""Global sensitivity: Ishigami through the scenario code path, decisive inputs, the noise floor
of common random numbers, and the batched evaluator against the kernel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detente.analysis import sensitivity as S
from detente.analysis.compare import run_variant
from detente.analysis.outcomes import parse_outcome
from detente.options import WarOptions
from detente.runtime import run_arrays
from detente.scenario import load_scenario
from detente.scenario.quantity import Quantity

FLAGSHIP = Path(__file__).parent / "fixtures" / "war-2025.yaml"


@pytest.fixture(scope="module")
def flagship():
    return load_scenario(FLAGSHIP)


def uniform_inputs(names, lo, hi):
    q = Quantity(dist="uniform", lo=lo, hi=hi, assumption="test input")
    return tuple(S.Input(n, q, ("param", n), n, "assumption") for n in names)


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_ishigami_sobol_indices_match_the_published_values():
    # analytic values for a = 7, b = 0.1 (Ishigami & Homma 1990; Saltelli et al. 2008 §4)
    inputs = uniform_inputs(["x1", "x2", "x3"], -np.pi, np.pi)
    result = S.sobol(inputs, ishigami, samples=1024, seed=1)
    got = {r["name"]: r for r in result["indices"]}
    for name, s1, st in (("x1", 0.3139, 0.5576), ("x2", 0.4424, 0.4424), ("x3", 0.0, 0.2437)):
        assert got[name]["S1"] == pytest.approx(s1, abs=0.04)
        assert got[name]["ST"] == pytest.approx(st, abs=0.04)
    assert result["evaluations"] == 1024 * 5
    assert [r["name"] for r in result["indices"]] == ["x1", "x2", "x3"]  # sorted by ST


def test_tornado_and_sobol_rank_the_decisive_input_first():
    inputs = uniform_inputs(["weak", "decisive", "inert"], 0.0, 1.0)

    def model(x):
        return 0.1 * x[:, 0] + 5.0 * x[:, 1] ** 2

    tornado = S.tornado(inputs, model)
    assert [b["name"] for b in tornado["bars"]][:2] == ["decisive", "weak"]
    assert tornado["bars"][2]["swing"] == 0.0
    assert tornado["bars"][0]["swing"] == pytest.approx(5 * (0.95**2 - 0.05**2))
    sobol = S.sobol(inputs, model, samples=256, seed=0)
    by = {r["name"]: r for r in sobol["indices"]}
    assert sobol["indices"][0]["name"] == "decisive"
    assert by["inert"]["ST"] == 0.0 and by["inert"]["indistinguishable_from_zero"]


def test_evaluator_blocks_reproduce_the_kernel_and_do_not_depend_on_each_other(flagship,
                                                                             monkeypatch):
    problem = S.war_problem(flagship, parse_outcome("p_deal@26", flagship), levers=["deadline"])
    x = S.to_values(problem.inputs, np.random.default_rng(3).random((4, len(problem.inputs))))
    together = S.evaluate(problem, x, 150, seed=5)
    alone = [S.evaluate(problem, x[k:k + 1], 150, seed=5)[0] for k in range(4)]
    np.testing.assert_array_equal(together, alone)  # common random numbers across samples
    one = S.batched_inputs(problem, x[2:3], 150, 5, ("deadline",))
    direct = run_arrays("war", one, WarOptions(), seed=5).in_force[:, 25].mean()
    assert together[2] == direct  # a block is the kernel's own run of that sample
    monkeypatch.setattr(S, "CHUNK_RUNS", 300)  # two rows per kernel call
    np.testing.assert_array_equal(S.evaluate(problem, x, 150, seed=5), together)


def test_an_input_without_effect_gets_a_total_index_of_zero(flagship):
    # deadline beliefs matter only through a deadline lever, and none is on
    outcome = parse_outcome("p_deal@26", flagship)
    problem = S.war_problem(flagship, outcome, extra={"deadline_belief.a": (0.5, 5.0)})
    names = [i.name for i in problem.inputs]
    common = S.sobol(problem.inputs, S.WarEvaluator(problem, 40, 0), samples=32, seed=0)
    row = next(r for r in common["indices"] if r["name"] == "deadline_belief.a")
    assert abs(row["ST"]) < 1e-12 and row["indistinguishable_from_zero"]
    assert common["indices"][0]["ST"] > 0.1  # the others do matter
    # with independent streams per run the same input picks up Monte Carlo noise
    noisy = S.sobol(problem.inputs, lambda x: S.evaluate(problem, x, 40, 0, common=False),
                    samples=32, seed=0)
    assert noisy["indices"][[r["name"] for r in noisy["indices"]].index(
        "deadline_belief.a")]["ST"] > 0.05
    assert names.count("deadline_belief.a") == 1


def test_paired_lever_effects_have_the_variance_reduction_of_common_random_numbers(flagship):
    # a lever at a tenth of its strength moves few runs: the case pairing is for (a lever that
    # flips a share f of runs leaves a paired variance of at least f - f^2, paired or not)
    weak = {"oil-sanctions": 0.1}
    base = run_variant(flagship, None, (), 4000, 11, WarOptions())
    paired = run_variant(flagship, None, ("oil-sanctions",), 4000, 11, WarOptions(), strength=weak)
    independent = run_variant(flagship, None, ("oil-sanctions",), 4000, 12, WarOptions(),
                              strength=weak)
    week = 26
    d_paired = paired.outcome.in_force[:, week - 1] * 1.0 - base.outcome.in_force[:, week - 1]
    d_indep = independent.outcome.in_force[:, week - 1] * 1.0 - base.outcome.in_force[:, week - 1]
    assert d_indep.std() > 4 * d_paired.std()  # measured: 0.59 against 0.11
    # the evaluator's lever effect is the same paired difference, block by block, and runs
    # flip almost only in the lever's direction (measured: 13.4 % up, 0.4 % down)
    problem = S.war_problem(flagship, parse_outcome("delta_p_deal@26:oil-sanctions", flagship))
    evaluator = S.WarEvaluator(problem, 1000, 11)
    x = S.points(problem.inputs)[None]
    per_run = evaluator.per_run(x)[0]
    assert per_run.mean() == pytest.approx(evaluator(x)[0])
    assert set(np.unique(per_run)) <= {-1.0, 0.0, 1.0}
    assert np.mean(per_run == -1) < 0.1 * np.mean(per_run == 1)


def test_inputs_carry_their_evidence_status(flagship):
    problem = S.war_problem(flagship, parse_outcome("p_deal@26", flagship),
                            hypothesis="pressure-works", levers=["tomahawks"])
    by = {i.name: i for i in problem.inputs}
    assert by["R.forces"].evidence == "assumption"
    assert by["U.lethality"].evidence == "inferred"  # a low-confidence citation
    assert by["R.capacity"].where == "hypotheses[0].parameters.R.capacity"
    assert "tomahawks:U.effectiveness" in by and "oil-sanctions:R.cost" not in by
    assert all(i.quantity.uncertain for i in problem.inputs)


def test_evidence_status_from_citations():
    from detente.scenario.quantity import Citation

    def status(**kw):
        return S.evidence_status(Quantity(value=1.0, **kw))

    says = {"source": "s", "says": "x"}
    assert status(cite=[Citation(**says, confidence="high")]) == "cited"
    assert status(cite=[Citation(**says, support="direct")]) == "cited"
    assert status(cite=[Citation(**says, confidence="low")]) == "inferred"
    assert status(cite=[Citation(**says), Citation(**says, support="inferred")]) == "inferred"
    assert status(assumption="a guess") == "assumption"
    assert status() == "none"


def test_hypothesis_lever_scale_applies_to_sampled_effect_sizes(flagship):
    problem = S.war_problem(flagship, parse_outcome("p_deal@26", flagship),
                            hypothesis="pressure-works", levers=["oil-sanctions"])
    k = [i.name for i in problem.inputs].index("oil-sanctions:R.cost")
    x = S.points(problem.inputs)[None].repeat(2, axis=0)
    x[1, k] = 0.0006
    batch = S.batched_inputs(problem, x, 3, 0, ("oil-sanctions",))
    (param, op, size), _ = batch.levers[0].effects
    assert (param, op) == ("R.cost", "add")
    np.testing.assert_allclose(size, [0.0006] * 3 + [0.0009] * 3)  # value x 1.5


def test_widen_adds_point_values_that_rest_on_assumptions(flagship):
    problem = S.war_problem(flagship, parse_outcome("p_deal@26", flagship),
                            hypothesis="pressure-works", levers=["oil-sanctions"], widen=0.5)
    by = {i.name: i for i in problem.inputs}
    assert by["R.belief.b"].quantity.support() == pytest.approx((9.7, 29.1))  # 19.4 ± 50 %
    assert "R.belief.a" not in by  # cited (inferred): left at its value
    # a multiplier's change is widened: 0.95 -> 1 - 0.05 (1 ± 0.5)
    lo, hi = by["oil-sanctions:R.recruitment"].quantity.support()
    assert (lo, hi) == (pytest.approx(0.925), pytest.approx(0.975))
    widened = [i for i in problem.inputs if "widened" in (i.quantity.assumption or "")]
    assert widened and all(i.evidence == "assumption" for i in widened)
    plain = S.war_problem(flagship, parse_outcome("p_deal@26", flagship),
                          hypothesis="pressure-works", levers=["oil-sanctions"])
    assert set(by) > {i.name for i in plain.inputs}


def test_evaluation_is_the_same_on_worker_processes(flagship):
    from detente.runtime.backends import Processes

    problem = S.war_problem(flagship, parse_outcome("p_deal@26", flagship))
    x = S.to_values(problem.inputs, np.random.default_rng(8).random((60, len(problem.inputs))))
    here = S.evaluate(problem, x, 200, seed=3)
    there = S.evaluate(problem, x, 200, seed=3, backend=Processes(2))
    np.testing.assert_array_equal(here, there)


def test_week_t_of_the_war_kernel_does_not_depend_on_the_horizon(flagship):
    # what lets a P(deal at W) be simulated for W weeks only
    for variant in ("smith-stam", "powell", "fearon"):
        opts = WarOptions(variant=variant)
        full = run_variant(flagship, "pressure-works", ("deadline",), 800, 6, opts)
        cut = run_variant(flagship, "pressure-works", ("deadline",), 800, 6, opts, horizon=26)
        np.testing.assert_array_equal(full.outcome.in_force[:, :26], cut.outcome.in_force)
        np.testing.assert_array_equal(full.outcome.front[:, :27], cut.outcome.front)
    problem = S.war_problem(flagship, parse_outcome("p_deal@26", flagship))
    assert problem.sim_weeks == 26 and problem.weeks == flagship.war.horizon
    assert S.war_problem(flagship, parse_outcome("duration", flagship)).sim_weeks == \
        flagship.war.horizon
