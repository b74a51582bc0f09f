"""Named outcomes (parsing, Kaplan-Meier durations), PRIM on a planted box (and against the EMA
workbench where installed), and the robust ranking's criteria on hand-made effects."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detente.analysis import outcomes as O
from detente.analysis.prim import paste, peel, prim
from detente.analysis.robust import NONE, rank_options
from detente.errors import InputError
from detente.war.kernel import AGREEMENT, HORIZON, VICTORY_R, WarOutcome


def outcome_of(end_week, end_mode, in_force, terms=None):
    b = len(end_week)
    zeros = np.zeros(b)
    return WarOutcome(np.array(end_mode), np.array(end_week), zeros, zeros,
                      np.zeros((b, 1)) if terms is None else np.array(terms)[:, None],
                      np.array(in_force, dtype=bool), zeros, np.zeros((b, 2)), zeros, zeros,
                      zeros.astype(bool))


def test_parse_outcome_names_and_errors():
    o = O.parse_outcome("terms@26:donetsk:0.9")
    assert (o.kind, o.week, o.issue, o.q) == ("terms", 26, "donetsk", 0.9)
    assert O.parse_outcome("duration").q == 0.5
    d = O.parse_outcome("delta_p_deal@13:tomahawks")
    assert d.variants(["oil"]) == [("oil",), ("oil", "tomahawks")]
    for bad in ("p_deal", "p_deal@x", "terms@26:donetsk:1.5", "nonsense"):
        with pytest.raises(InputError):
            O.parse_outcome(bad)
    c = O.parse_condition("delta_p_deal@26 >= 0.05", lever="tomahawks")
    assert c.outcome == "delta_p_deal@26:tomahawks" and c.holds(np.array([0.05, 0.04])).tolist() \
        == [True, False]
    with pytest.raises(InputError):
        O.parse_condition("delta_p_deal@26 >= 0.05")  # no lever
    with pytest.raises(InputError):
        O.parse_condition("p_deal@26 ~ 3")


def test_kaplan_meier_treats_censored_runs_as_still_going():
    # events at 3, 7, 9 and one run censored at 5: S = 3/4 after 3, 3/8 after 7 (2 at risk)
    weeks = np.array([3.0, 5.0, 7.0, 9.0])
    censored = np.array([False, True, False, False])
    assert O.km_quantile(weeks, censored, 0.5, horizon=20) == 7.0  # naive median: 5
    assert O.km_quantile(weeks, censored, 0.25, horizon=20) == 3.0
    assert O.km_quantile(weeks, np.ones(4, bool), 0.5, horizon=20) == 20.0


def test_outcome_functions_per_block():
    # two blocks of two runs; horizon 4 weeks
    out = outcome_of([1, 4, 2, 3], [AGREEMENT, HORIZON, AGREEMENT, VICTORY_R],
                     [[1, 1, 1, 1], [0, 0, 0, 0], [0, 1, 1, 1], [0, 0, 0, 0]],
                     terms=[0.2, np.nan, 0.6, 1.0])
    np.testing.assert_array_equal(O.p_deal(out, 1, blocks=2), [0.5, 0.0])
    np.testing.assert_array_equal(O.p_deal(out, 2, blocks=1), [0.5])
    np.testing.assert_array_equal(O.terms_quantile(out, 1, 0, 0.5, blocks=2), [0.2, np.nan])
    # block 0: an event at week 1 and a run censored at the horizon: half have ended by week 1
    np.testing.assert_array_equal(O.duration_quantile(out, 0.5, blocks=2), [1.0, 2.0])
    with_lever = outcome_of([1, 1, 1, 1], [AGREEMENT] * 4, [[1] * 4] * 4)
    np.testing.assert_array_equal(O.delta_p_deal(with_lever, out, 1, blocks=2), [0.5, 1.0])
    with pytest.raises(InputError, match="partial"):
        O.p_partial(out, 1)


def planted(n=2000, seed=0):
    x = np.random.default_rng(seed).random((n, 4))
    return x, (x[:, 0] > 0.6) & (x[:, 1] < 0.3)


def test_prim_finds_the_planted_box():
    x, y = planted()
    found = prim(x, y, ["a", "b", "c", "d"], threshold=0.95)
    box = found["box"]
    limits = {lim["name"]: lim for lim in box["limits"]}
    assert set(limits) == {"a", "b"}
    assert limits["a"]["lower"] == pytest.approx(0.6, abs=0.03) and limits["a"]["upper"] is None
    assert limits["b"]["upper"] == pytest.approx(0.3, abs=0.03) and limits["b"]["lower"] is None
    assert box["density"] >= 0.95 and box["coverage"] >= 0.9
    traj = found["trajectory"]
    assert traj[0]["coverage"] == 1.0 and traj[0]["density"] == pytest.approx(y.mean())
    assert all(s["mass"] >= 0.05 for s in traj)
    assert np.all(np.diff([s["mass"] for s in traj]) < 0)  # each peel removes points


def test_pasting_never_lowers_density():
    x, y = planted(seed=2)
    y = y ^ (np.random.default_rng(5).random(y.size) < 0.05)  # some noise
    boxes = peel(x, y)
    pasted = paste(x, y, boxes[-5])
    assert pasted.density >= boxes[-5].density
    assert np.all(pasted.lower <= boxes[-5].lower) and np.all(pasted.upper >= boxes[-5].upper)


def test_prim_trajectory_agrees_with_the_ema_workbench():
    ema = pytest.importorskip("ema_workbench.analysis.prim")
    import pandas as pd

    x, y = planted(seed=4)
    ours = prim(x, y, list("abcd"))["trajectory"]
    theirs = ema.Prim(pd.DataFrame(x, columns=list("abcd")), y, threshold=0.8, peel_alpha=0.05,
                      mass_min=0.05, obj_function=ema.PRIMObjectiveFunctions.ORIGINAL
                      ).find_box().peeling_trajectory
    assert len(ours) == len(theirs)
    # the workbench cuts midway between order statistics, we interpolate (numpy's default), so
    # a peel may keep one point more or less; late in the peel near-ties between cuts can then
    # go different ways (measured: within one point of 2,000 and one case of 242)
    np.testing.assert_allclose([s["mass"] for s in ours], theirs["mass"].to_numpy(), atol=1e-3)
    for key in ("coverage", "density"):
        np.testing.assert_allclose([s[key] for s in ours], theirs[key].to_numpy(), atol=0.01)


def test_robust_criteria_on_hand_made_effects():
    # E[h, o, s]: A is great under h1 and slightly harmful under h2; B is modest everywhere
    e = np.array([[[0.30], [0.05]], [[-0.01], [0.05]]])
    r = rank_options(["A", "B"], ["h1", "h2"], e)
    by = {row["option"]: row for row in r["ranking"]}
    assert by["A"]["expected"] == pytest.approx(0.145) and by["B"]["expected"] == 0.05
    assert by["A"]["worst"] == -0.01 and by["B"]["worst"] == 0.05
    # regret: h1 best 0.30 -> A 0, B 0.25, none 0.30; h2 best 0.05 -> A 0.06, B 0, none 0.05
    assert by["A"]["max_regret"] == pytest.approx(0.06)
    assert by["B"]["max_regret"] == pytest.approx(0.25)
    assert by[NONE]["max_regret"] == pytest.approx(0.30)
    assert r["best"] == {"expected": "A", "worst": "B", "regret": "A"}
    assert not r["criteria_agree"]
    assert r["top_by_hypothesis"] == {"h1": "A", "h2": "B"} and r["ranking_changes"]
    same = rank_options(["A", "B"], ["h1", "h2"], np.array([[[0.3], [0.1]], [[0.2], [0.1]]]))
    assert not same["ranking_changes"] and same["criteria_agree"]


def test_forecast_outcome_reads_a_negotiation_result():
    from detente.runtime import negotiate
    from detente.scenario import load_scenario

    sc = load_scenario(Path(__file__).parent / "fixtures" / "war-2025.yaml")
    o = O.parse_outcome("forecast:mean:donetsk", sc)
    result = negotiate(sc, o.model, draws=20, seed=1)
    j = [i.id for i in sc.issues].index("donetsk")
    assert O.forecast(result, j) == pytest.approx(result.trajectory.forecast[:, j].mean())
    with pytest.raises(InputError, match="unknown issue"):
        O.parse_outcome("forecast:mean:nowhere", sc)


def test_outcomes_read_a_runner_results():
    from detente.runtime import Experiment, run
    from detente.scenario import load_scenario

    sc = load_scenario(Path(__file__).parent / "fixtures" / "war-2025.yaml")
    res = run(Experiment(sc, "war", {}, None, (), 300, seed=2))
    assert O.p_deal(res, 26)[0] == pytest.approx(res.outcome.in_force[:, 25].mean())
    assert O.duration_quantile(res, 0.5)[0] == O.duration_quantile(res.outcome, 0.5)[0]
