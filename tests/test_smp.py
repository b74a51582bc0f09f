"""KTAB parity for the smp model (MODELS.md §3.12) and its options, importers and limits."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from detente.cli import app
from detente.compile import batch_from_arrays, compile_scenario
from detente.errors import InputError, ModelError
from detente.models.smp import SMPModel, SMPOptions, outcome_distribution, state
from detente.options import parse_options
from detente.runtime import negotiate
from detente.scenario import load_scenario

from .conftest import FIXTURES

KTAB = FIXTURES / "ktab"
runner = CliRunner()


@pytest.mark.parametrize("case", ["dummyData_3Dim", "SOE-Pol-Comp"])
def test_parity_with_ktab(case):
    """Same number of turns; every turn's positions within 0.01, probabilities within 1e-4."""
    expected = json.loads((KTAB / f"{case}.expected.json").read_text())
    result = negotiate(load_scenario(KTAB / f"{case}.csv"), "smp")
    traj = result.trajectory
    assert traj.turns[0] == expected["turns"]
    np.testing.assert_allclose(traj.positions[0], expected["positions"], atol=0.01)
    np.testing.assert_allclose(traj.probabilities[0], expected["probabilities"], atol=1e-4)
    assert traj.diagnostics["fractional_change"][0] == pytest.approx(
        expected["final_fractional_change"], abs=5e-5)
    assert traj.stop_reason[0] == "fractional_change"


def test_final_clusters_of_3dim():
    traj = negotiate(load_scenario(KTAB / "dummyData_3Dim.csv"), "smp").trajectory
    np.testing.assert_allclose(traj.positions[0, -1, 2], [82.45, 90.89, 0.07])  # never moves
    np.testing.assert_allclose(traj.forecast[0], [79.88, 34.37, 75.16])  # p = 0.4009


def test_json_output_carries_probabilities():
    result = runner.invoke(app, ["run", str(KTAB / "SOE-Pol-Comp.csv"), "-m", "smp", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["turns"] == 27 and len(out["probabilities"]) == 28
    assert len(out["probabilities"][0]) == 13
    assert out["options"]["PCEModel"] == "Conditional"


def test_probabilities_of_distinct_positions_sum_to_one():
    result = negotiate(load_scenario(KTAB / "dummyData_3Dim.csv"), "smp")
    reps = result.trajectory.diagnostics["option_probabilities"][0]
    np.testing.assert_allclose(reps.sum(axis=1), 1.0, atol=1e-12)


def test_monte_carlo_batch_is_one_call(tmp_path):
    """Rows of a batched run equal single runs; draw 0 equals the deterministic run."""
    scenario = load_scenario(KTAB / "dummyData_3Dim.csv")
    batch = compile_scenario(scenario)
    rng = np.random.default_rng(2)
    pos = np.repeat(batch.position, 3, axis=0)
    pos[1:] = np.clip(pos[1:] + rng.normal(0, 3, pos[1:].shape), 0, 100)
    many = batch_from_arrays(pos, np.repeat(batch.salience, 3, 0),
                             np.repeat(batch.capability, 3, 0), low=0, high=100)
    out = SMPModel().run(many, SMPOptions(max_turns=6, stop_ratio=0.0))
    for k in range(3):
        one = batch_from_arrays(pos[k:k + 1], batch.salience, batch.capability, low=0, high=100)
        alone = SMPModel().run(one, SMPOptions(max_turns=6, stop_ratio=0.0))
        np.testing.assert_allclose(out.positions[k], alone.positions[0], atol=1e-12)


def test_uncertain_inputs_run_as_draws(tmp_path):
    result = runner.invoke(app, ["run", str(KTAB / "dummyData_3Dim.csv"), "-m", "smp",
                                 "--draws", "4", "--json"])
    assert result.exit_code == 0
    assert "draws" in json.loads(result.output)


@pytest.mark.parametrize(("option", "value"), [
    ("VictoryProbModel", "Square"), ("VictoryProbModel", "Quartic"),
    ("VictoryProbModel", "Octic"), ("VictoryProbModel", "Binary"),
    ("PCEModel", "MarkovUniform"), ("PCEModel", "MarkovIncentive"),
    ("StateTransitions", "Stochastic"), ("VotingRule", "Binary"), ("VotingRule", "PropBin"),
    ("VotingRule", "PropCbc"), ("VotingRule", "Cubic"), ("VotingRule", "ASymProsp"),
    ("BigRAdjust", "Full"), ("BigRAdjust", "TwoThirds"), ("BigRAdjust", "Half"),
    ("BigRAdjust", "No"), ("BigRRange", "Min"), ("BigRRange", "Max"),
    ("ThirdPartyCommit", "NoCommit"), ("ThirdPartyCommit", "FullCommit"),
    ("InterVecBrgn", "S1P1"), ("InterVecBrgn", "S2PMax"), ("BargnModel", "InitRcvrInterp"),
    ("BargnModel", "PWCompInterp")])
def test_every_option_runs_and_stays_on_scale(option, value):
    result = negotiate(load_scenario(KTAB / "dummyData_3Dim.csv"), "smp",
                       {option: value, "max_turns": 8})
    traj = result.trajectory
    assert np.all((traj.positions >= 0) & (traj.positions <= 100))
    reps = traj.diagnostics["option_probabilities"][0]
    np.testing.assert_allclose(reps.sum(axis=1), 1.0, atol=1e-6)
    default = negotiate(load_scenario(KTAB / "dummyData_3Dim.csv"), "smp", {"max_turns": 8})
    if option in ("VictoryProbModel", "BigRAdjust", "InterVecBrgn", "BargnModel"):
        assert not np.array_equal(traj.positions, default.trajectory.positions)


def test_turn_cap():
    result = negotiate(load_scenario(KTAB / "SOE-Pol-Comp.csv"), "smp", rounds=5)
    assert result.trajectory.turns[0] == 5 and result.trajectory.stop_reason[0] == "turn_cap"


def test_binary_victory_has_its_band():
    from detente.models.smp import victory

    p = victory(np.array([1.0, 1.0, 1.2]), np.array([1.0, 1.2, 1.0]), "Binary")
    assert p[0] == pytest.approx(0.5) and p[1] < 1e-5 and p[2] > 1 - 1e-5


def test_grouping_counts_each_cluster_once():
    scenario = load_scenario(KTAB / "dummyData_3Dim.csv")
    b = compile_scenario(scenario)
    pos = b.position / 100
    pos[0, 1] = pos[0, 0] + 0.0005  # within the tolerance of actor 0
    st = state(pos, pos, b.salience, b.capability[:, :, 0], SMPOptions())
    shown, reps = outcome_distribution(st, b.capability[:, :, 0], SMPOptions())
    assert reps[0, 1] == 0 and shown[0, 1] == shown[0, 0]


def test_ktab_xml_import_with_parameters_and_adjustments():
    scenario = load_scenario(KTAB / "smpExample-filled.xml")
    assert scenario.model_options["smp"]["PCEModel"] == "MarkovIncentive"
    assert len(scenario.accommodation) == 6
    batch = compile_scenario(scenario)
    alice = batch.actors.index("Alice")
    assert batch.accommodation[alice, alice] == pytest.approx(0.87)
    result = negotiate(scenario, "smp")
    assert result.options.StateTransitions == "Stochastic"
    assert 1 <= result.trajectory.turns[0] <= 100


def test_ktab_xml_errors_name_the_line(tmp_path):
    text = (KTAB / "smpExample-filled.xml").read_text().replace("<dCoord>50.0</dCoord>",
                                                              "<dCoord></dCoord>")
    path = tmp_path / "bad.xml"
    path.write_text(text)
    with pytest.raises(InputError, match=r"bad.xml:\d+: column '<dCoord> 1 of Alice'"):
        load_scenario(path)
    path.write_text(text.replace("<dCoord></dCoord>", "<dCoord>50</dCoord>")
                    .replace("<PCEModel>MarkovIncentive", "<PCEModel>Magic"))
    with pytest.raises(InputError, match="PCEModel"):
        load_scenario(path)


def test_ktab_limits_are_reported(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("s,d,2,1,\nActor,Desc,Power,P,S,\nA,a,10,10,50,\nB,b,20,90,60,\n")
    r = runner.invoke(app, ["run", str(path), "-m", "smp"])
    assert r.exit_code == 2 and "3 to 250 actors" in r.output
    r = runner.invoke(app, ["run", str(path), "-m", "smp", "-O", "enforce_limits=false"])
    assert r.exit_code == 0
    path.write_text("s,d,3,2,\nActor,Desc,Power,P1,S1,P2,S2\nA,a,10,10,60,20,50\n"
                    "B,b,20,90,30,10,10\nC,c,5,50,20,40,20\n")
    r = runner.invoke(app, ["run", str(path), "-m", "smp"])
    assert r.exit_code == 2 and "sum to at most 100" in " ".join(r.output.split())
    assert "A (110)" in " ".join(r.output.split())


def test_bad_options(tmp_path):
    with pytest.raises(InputError, match="must be one of"):
        parse_options(SMPOptions, {"PCEModel": "Conditionalish"})
    path = tmp_path / "d.txt"
    path.write_text("#A\ta\n#A\tb\n#A\tc\n#P\tp\n#P\tq\n"
                    + "".join(f"#D\t{a}\t{i}\t50\t0.3\t{w}\n" for a in "abc"
                              for i, w in (("p", 1.0), ("q", 0.5))))
    with pytest.raises(ModelError, match="issue-specific capabilities"):
        SMPModel().run(compile_scenario(load_scenario(path)), SMPOptions())


def test_held_back_cases_run_and_stop_where_ktab_stops(shared):
    """Turn counts MODELS.md §3.12 reports for cases whose full outputs are held back."""
    for case, turns in (("dummyData_6Dim", 29), ("dummyData-a040", 20), ("SOE-Policy", 19),
                        ("SOE-Competitive", 35)):
        result = negotiate(load_scenario(shared / "ktab" / f"{case}.csv"), "smp")
        assert result.trajectory.turns[0] == turns, case


def _random_ktab_case(seed: int, n: int, d: int):
    rng = np.random.default_rng(seed)
    sal = rng.uniform(0.05, 1.0, (1, n, d))
    sal = sal / sal.sum(axis=2, keepdims=True) * rng.uniform(0.5, 0.99, (1, n, 1))
    return batch_from_arrays(rng.uniform(0, 100, (1, n, d)).round(2), sal,
                             rng.uniform(10, 200, (1, n)), low=0, high=100)


@pytest.mark.parametrize("case", ["dummyData_3Dim", "SOE-Pol-Comp"])
def test_compiled_turn_equals_the_numpy_kernel_on_ktab_cases(case):
    from detente.models import smp_fast

    assert smp_fast.AVAILABLE, "make test installs the fast extra (numba)"
    batch = compile_scenario(load_scenario(KTAB / f"{case}.csv"))
    fast = SMPModel().run(batch, SMPOptions(engine="compiled"))
    slow = SMPModel().run(batch, SMPOptions(engine="numpy"))
    assert fast.turns[0] == slow.turns[0]
    np.testing.assert_allclose(fast.positions, slow.positions, atol=1e-12)
    np.testing.assert_allclose(fast.probabilities, slow.probabilities, atol=1e-10)


@pytest.mark.parametrize(("seed", "n", "d"), [(1, 5, 1), (2, 9, 2), (3, 14, 3), (4, 25, 1)])
def test_compiled_turn_equals_the_numpy_kernel_on_random_cases(seed, n, d):
    batch = _random_ktab_case(seed, n, d)
    opts = dict(max_turns=30)
    fast = SMPModel().run(batch, SMPOptions(engine="compiled", **opts))
    slow = SMPModel().run(batch, SMPOptions(engine="numpy", **opts))
    assert fast.turns[0] == slow.turns[0]
    np.testing.assert_allclose(fast.positions, slow.positions, atol=1e-9)
    np.testing.assert_allclose(fast.probabilities, slow.probabilities, atol=1e-8)


def test_compiled_engine_refuses_other_parameters():
    batch = compile_scenario(load_scenario(KTAB / "dummyData_3Dim.csv"))
    with pytest.raises(ModelError, match="engine=compiled"):
        SMPModel().run(batch, SMPOptions(engine="compiled", PCEModel="MarkovUniform"))
