"""Stokman's exchange model: decide parity as ensembles (MODELS.md §4.6) and invariants."""

from __future__ import annotations

import json
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from detente.cli import app
from detente.compile import compile_scenario
from detente.errors import InputError
from detente.models.exchange import (
    DecimalParty,
    DecimalRound,
    ExchangeOptions,
    run_round,
    to_percent,
)
from detente.runtime import negotiate, run_arrays
from detente.runtime.backends import Processes
from detente.scenario import load_scenario

from .conftest import FIXTURES

DECIDE = FIXTURES / "decide"
runner = CliRunner()
CASES = {"sample_data": "sample_data.txt", "copenhagen": "copenhagen.csv"}


@pytest.fixture(scope="module", params=list(CASES))
def ensemble(request):
    """30 repetitions with the engine that reproduces decide's arithmetic (seed 0)."""
    case = request.param
    expected = json.loads((DECIDE / f"{case}.expected.json").read_text())
    batch = compile_scenario(load_scenario(DECIDE / CASES[case]))
    options = ExchangeOptions(rounds=10, repetitions=30, engine="decimal")
    return expected, batch, run_arrays("exchange", batch, options, 0, Processes(2))


@pytest.fixture(scope="module", params=list(CASES))
def float_ensemble(request):
    """The same with the fast (binary floating point) engine."""
    case = request.param
    expected = json.loads((DECIDE / f"{case}.expected.json").read_text())
    batch = compile_scenario(load_scenario(DECIDE / CASES[case]))
    options = ExchangeOptions(repetitions=30, engine="auto")
    return expected, run_arrays("exchange", batch, options, 0, Processes(2))


def _gaps(expected, traj, k_se: float, slack: float) -> list[tuple[str, str, int]]:
    """Cells (issue, kind, round) whose ensemble mean is farther than k_se SE + slack."""
    diag, out = traj.diagnostics, []
    for j, issue in enumerate(expected["issues"]):
        for kind, ours in (("preference_mds", diag["preference_outcome"]),
                           ("voting_mds", diag["voting_outcome"])):
            peer = expected["ensemble"][kind][issue["name"]]
            values = ours[:, :len(peer["mean"]), j]
            se = np.sqrt(np.square(peer["sd"]) / 30 + values.var(axis=0, ddof=1) / 30)
            gap = np.abs(values.mean(axis=0) - np.array(peer["mean"]))
            out += [(issue["name"], kind, int(r)) for r in np.flatnonzero(gap > k_se * se + slack)]
    return out


def test_parity_criterion(ensemble):
    """The issue's criterion: every issue and round within 3 combined SE + 0.05 of decide's
    ensemble mean, preference and voting outcomes."""
    expected, _, traj = ensemble
    assert _gaps(expected, traj, 3.0, 0.05) == []


def test_float_engine_ensemble_close_to_decides(float_ensemble):
    """The float engines follow the same rules; only knife-edge cases settled by round-off
    differ, so their ensembles stay within 4 SE + 0.1 (they fail 3 SE + 0.05 on sample_data)."""
    expected, traj = float_ensemble
    assert _gaps(expected, traj, 4.0, 0.1) == []


class ScriptedCoins:
    """decide's coin replaced by a script: 0.25, 0.75, 0.25, ... from the start of each round."""

    def __init__(self) -> None:
        self.count = 0

    def random(self) -> float:
        self.count += 1
        return 0.25 if self.count % 2 else 0.75


@pytest.mark.parametrize("case", [*CASES, "cop21"])
def test_decimal_engine_reproduces_decides_numbers_digit_for_digit(case):
    """With the same coins, ten rounds give decide's voting and new positions as the same
    28-digit decimals, and the same number of ties in every round (fixture made by decide).
    cop21 lists some issues' rows in another order than its actors: sums follow the rows."""
    peer = json.loads((DECIDE / f"{case}.scripted.json").read_text())
    batch = compile_scenario(load_scenario(DECIDE / CASES.get(case, f"{case}.csv")))
    assert len(batch.actors) == len(peer["actors"])  # ids are slugs of decide's keys
    x = to_percent(batch.position[0], batch.low, batch.high, exact=True)
    s, c, present = batch.salience[0], batch.capability[0], batch.mask[0]
    opts = ExchangeOptions(engine="decimal")

    def same(ours: np.ndarray, theirs: list[list[str | None]]) -> bool:
        return all(Decimal(v) == ours[k, d] for k, row in enumerate(theirs)
                   for d, v in enumerate(row) if v is not None)

    assert same(x, peer["start"])
    for number, expected in enumerate(peer["rounds"]):
        out = run_round(x, s, c, present, opts, ScriptedCoins(),  # type: ignore[arg-type]
                        batch.stance_order)
        assert out["ties"] == expected["ties"], f"round {number}"
        assert same(out["voting"], expected["voting"]), f"round {number} voting"
        assert same(out["new"], expected["new"]), f"round {number} positions"
        x = out["new"]
    assert sum(r["ties"] for r in peer["rounds"]) > 5  # the coin script was exercised
def test_engines_give_the_same_numbers():
    """The compiled round and the Python reference draw the same coin stream."""
    batch = compile_scenario(load_scenario(DECIDE / "copenhagen.csv"))
    a = run_arrays("exchange", batch, ExchangeOptions(repetitions=3, engine="compiled"), 5)
    b = run_arrays("exchange", batch, ExchangeOptions(repetitions=3, engine="python"), 5)
    np.testing.assert_array_equal(a.positions, b.positions)
    np.testing.assert_array_equal(a.diagnostics["ties"], b.diagnostics["ties"])
    assert a.diagnostics["ties"].sum() > 0  # ties happened, so the coin stream was exercised


def test_engines_agree_with_randomised_gains():
    batch = compile_scenario(load_scenario(DECIDE / "sample_data.txt"))
    a = run_arrays("exchange", batch, ExchangeOptions(rounds=4, p=0.5, engine="compiled"), 2)
    b = run_arrays("exchange", batch, ExchangeOptions(rounds=4, p=0.5, engine="python"), 2)
    np.testing.assert_allclose(a.positions, b.positions, atol=1e-9)


def test_at_least_95_percent_of_runs_inside_decides_range(ensemble):
    expected, _, traj = ensemble
    diag = traj.diagnostics
    inside = total = 0
    for j, issue in enumerate(expected["issues"]):
        for kind, ours in (("preference_mds", diag["preference_outcome"]),
                           ("voting_mds", diag["voting_outcome"])):
            peer = expected["ensemble"][kind][issue["name"]]
            values = ours[:, :len(peer["mean"]), j]
            inside += np.sum((values >= np.array(peer["min"]) - 1e-9)
                             & (values <= np.array(peer["max"]) + 1e-9))
            total += values.size
    assert inside / total >= 0.95


def test_round_zero_is_the_weighted_mean(ensemble):
    _, batch, traj = ensemble
    w = batch.weights()[0]
    mean = (w * batch.position[0]).sum(0) / w.sum(0)
    np.testing.assert_allclose(traj.diagnostics["preference_outcome"][0, 0], mean, atol=1e-9)


def test_equal_gain_and_moves_on_the_scale():
    result = negotiate(load_scenario(DECIDE / "copenhagen.csv"), "exchange", {"rounds": 4})
    for rnd in result.trajectory.diagnostics["exchanges"][0]:
        for e in rnd:
            assert e["i"]["gain"] == pytest.approx(e["j"]["gain"], rel=1e-9)
            assert e["gain"] > 1e-10
            for side in (e["i"], e["j"]):
                assert 0 - 1e-9 <= side["voting"] <= 100 + 1e-9
                assert side["supply"] != side["demand"]
    pos = result.trajectory.positions
    assert np.all((pos >= -1e-9) & (pos <= 100 + 1e-9))


def test_positions_move_part_way_toward_votes():
    """§4.3 step 8: x' = (1 - w) x0 + w y with w = 0.4 (1 - s) + 0.1."""
    scenario = load_scenario(DECIDE / "sample_data.txt")
    result = negotiate(scenario, "exchange", {"rounds": 1})
    traj, batch = result.trajectory, result.batch
    x0, x1 = traj.positions[0, 0], traj.positions[0, 1]
    y = traj.diagnostics["voting_positions"][0, 0]
    w = 0.4 * (1 - batch.salience[0]) + 0.1
    moved = ~np.isclose(x0, y)
    np.testing.assert_allclose(x1[moved], ((1 - w) * x0 + w * y)[moved], atol=1e-9)
    np.testing.assert_allclose(x1[~moved], x0[~moved])


def test_missing_rows_never_trade(shared):
    scenario = load_scenario(shared / "decide" / "cop21.csv")
    batch = compile_scenario(scenario)
    absent = {(batch.actors[i], batch.issues[d]) for i, d in zip(*np.nonzero(~batch.mask[0]),
                                                                   strict=True)}
    assert len(absent) == 14
    result = negotiate(scenario, "exchange", {"rounds": 3})
    for rnd in result.trajectory.diagnostics["exchanges"][0]:
        for e in rnd:
            for side in (e["i"], e["j"]):
                assert (side["actor"], side["supply"]) not in absent
                assert (side["actor"], side["demand"]) not in absent


def test_seeded_and_reproducible():
    scenario = load_scenario(DECIDE / "sample_data.txt")
    a = negotiate(scenario, "exchange", {"rounds": 3}, seed=3).trajectory.positions
    b = negotiate(scenario, "exchange", {"rounds": 3}, seed=3).trajectory.positions
    c = negotiate(scenario, "exchange", {"rounds": 3}, seed=4).trajectory.positions
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)  # ties are broken by the seeded coin


@pytest.mark.parametrize("p", [0.25, 0.5, 1.0])
def test_randomised_variant_stays_valid(p):
    result = negotiate(load_scenario(DECIDE / "copenhagen.csv"), "exchange",
                       {"p": p, "rounds": 4, "repetitions": 4})
    pos = result.trajectory.positions
    assert np.all((pos >= -1e-9) & (pos <= 100 + 1e-9))
    assert pos.shape[0] == 4


def test_json_has_voting_positions_and_exchanges():
    result = runner.invoke(app, ["run", str(DECIDE / "copenhagen.csv"), "-m", "exchange",
                                 "-O", "repetitions=3", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert len(out["voting_positions"]) == out["turns"] + 1 == 11
    assert len(out["exchanges"]) == 10 and out["exchanges"][0]
    assert set(out["exchanges"][0][0]) == {"gain", "i", "j"}
    assert out["mean"][0] == pytest.approx([61.58, 58.14, 30.71, 52.24, 51.95, 57.62, 64.62],
                                           abs=0.01)
    assert out["ensemble"]["repetitions"] == 3


def test_bad_options():
    with pytest.raises(InputError, match=r"must lie in \[0, 1\]"):
        negotiate(load_scenario(DECIDE / "copenhagen.csv"), "exchange", {"p": 2})


def test_decide_position_outside_its_scale_is_named(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("#A\ta\n#A\tb\n#P\tp\n#M\tp\t0\tlow\n#M\tp\t10\thigh\n"
                    "#D\ta\tp\t5\t0.5\t1\n#D\tb\tp\t12\t0.5\t1\n")
    r = runner.invoke(app, ["validate", str(path)])
    assert r.exit_code == 2
    assert "bad.txt:7" in r.output and "must lie in [0, 10]" in r.output


@pytest.mark.parametrize("engine", ["python", "compiled", "decimal"])
def test_weightless_pairs_do_not_trade(tmp_path, engine):
    """Zero salience or power on an issue: no weight there, so no exchange on it (no crash)."""
    path = tmp_path / "zero.txt"
    path.write_text("#A\ta\n#A\tb\n#A\tc\n#P\tp\n#P\tq\n"
                    "#D\ta\tp\t10\t0.5\t1\n#D\ta\tq\t80\t0\t1\n#D\tb\tp\t90\t0.6\t1\n"
                    "#D\tb\tq\t20\t0.4\t1\n#D\tc\tp\t50\t0.5\t1\n#D\tc\tq\t50\t0.5\t0\n")
    result = negotiate(load_scenario(path), "exchange", {"engine": engine, "rounds": 3})
    for rnd in result.trajectory.diagnostics["exchanges"][0]:
        for e in rnd:
            for side in (e["i"], e["j"]):
                assert (side["actor"], side["supply"]) not in {("a", "q"), ("c", "q")}
                assert (side["actor"], side["demand"]) not in {("a", "q"), ("c", "q")}


COORDS = st.floats(0, 100, allow_nan=False).map(lambda v: round(v, 3))
WEIGHTS = st.floats(0.01, 1, allow_nan=False).map(lambda v: round(v, 2))


def _one_issue_round(data: st.DataObject) -> tuple[int, np.ndarray, tuple, DecimalRound]:
    """A random one-issue round of 2-8 actors on coarse positions and weights: (n, x (n, 1),
    the summation order, the decimal round)."""
    n = data.draw(st.integers(2, 8))
    x = np.array(data.draw(st.lists(COORDS, min_size=n, max_size=n)))[:, None]
    s = np.array(data.draw(st.lists(WEIGHTS, min_size=n, max_size=n)))[:, None]
    c = np.array(data.draw(st.lists(WEIGHTS, min_size=n, max_size=n)))[:, None]
    order = (tuple(data.draw(st.permutations(range(n)))),)
    return n, x, order, DecimalRound(x, s, c, np.ones((n, 1), bool), order)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_decimal_outcome_sums_equal_plain_left_to_right_sums(data):
    """The decimal engine adds the terms before the first replaced one from a prefix and reuses
    outcomes it computed before: every outcome must equal the 28-digit sum of x s c added one
    by one in summation order, with the replaced positions, divided by the weight."""
    n, x, order, rnd = _one_issue_round(data)
    coords = COORDS
    for _ in range(3):  # asked repeatedly, so later answers may come from the memo
        moved = data.draw(st.dictionaries(st.integers(0, n - 1), coords, max_size=n))
        actor = data.draw(st.integers(0, n - 1))
        position = Decimal(data.draw(coords))
        updates = {k: Decimal(v) for k, v in moved.items()}
        at = {k: Decimal(v) for k, v in enumerate(x[:, 0])} | updates | {actor: position}
        total, weight = Decimal(0), Decimal(0)
        for k in order[0]:
            total += at[k] * rnd.s[k][0] * rnd.c[k][0]
            weight += rnd.s[k][0] * rnd.c[k][0]
        assert rnd.outcome_with(0, updates, actor, position) == total / weight


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_decimal_crossing_test_agrees_with_the_two_sums(data):
    """The decimal engine decides most outcome caps from the move's own outcome shift instead
    of summing the outcome after the move: its answer must be that of the two 28-digit sums
    (outcome before and after the move, §4.3 step 6), also for targets on, or a few digits
    away from, the outcome after the move (where the shortcut must fall back to the sum)."""
    n, _, _, rnd = _one_issue_round(data)
    coords = COORDS
    actor = data.draw(st.integers(0, n - 1))
    updates = {k: Decimal(v) / 3 for k, v in data.draw(st.dictionaries(
        st.integers(0, n - 1), coords, max_size=n)).items() if k != actor}
    start = rnd.x[actor][0] if data.draw(st.booleans()) else Decimal(data.draw(coords)) / 7
    if data.draw(st.booleans()):  # the move of a full mover: its shift follows from it
        move = Decimal(data.draw(st.floats(-100, 100).filter(lambda v: abs(v) > 1e-6))) / 3
        d_outcome = rnd.shift(actor, 0, move)
    else:  # the move that shifts the outcome by a given amount
        d_outcome = Decimal(data.draw(st.floats(1e-6, 50))) / 7
        move = rnd.move_for(actor, 0, d_outcome) * data.draw(st.sampled_from([1, -1]))
    party = DecimalParty(actor, 0, 0, start, start, Decimal(0), rnd.s[actor][0],
                         rnd.s[actor][0], rnd.c[actor][0], move=move, d_outcome=d_outcome,
                         y=start + move)
    after_move = rnd.outcome_with(0, updates, actor, party.y)
    nudge = data.draw(st.sampled_from([0, 1, -1])) * Decimal(10) ** -data.draw(
        st.integers(8, 30))
    target = data.draw(st.sampled_from([after_move + nudge, Decimal(data.draw(coords)),
                                        rnd.outcome_with(0, updates, actor, start)]))
    before = target - rnd.outcome_with(0, updates, actor, start)
    after = target - after_move
    plain = not ((before >= 0 and after >= 0) or (before <= 0 and after <= 0))
    assert rnd.crosses(party, updates, target) == plain
