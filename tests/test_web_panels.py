"""The dashboard's coupled-model panels, lever effects and sensitivity views through the JSON API.

Runs are small (a few hundred); every assertion is a property the numbers must have whatever the
sample: shapes that follow from the scenario, histograms that count every run, bands around
their curve, paired effects equal to the difference of the two variants' means, a tornado sorted
by swing, PRIM's trajectory shrinking from the whole sample.
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
from fastapi.testclient import TestClient

from detente.budget import RATE
from detente.scenario import load_scenario
from detente.web.app import create_app

from .conftest import FIXTURES, SCENARIOS

client = TestClient(create_app([SCENARIOS, FIXTURES / "war-2025.yaml"]))
FLAGSHIP = load_scenario(SCENARIOS / "ukraine-2025.yaml")
RUNS = 400


@pytest.fixture(scope="module")
def with_lever():
    r = client.post("/api/simulate", json={"scenario": "ukraine-2025", "runs": RUNS,
                                           "levers": [{"id": "oil-sanctions"}]})
    assert r.status_code == 200, r.text
    return r.json()


def test_coupled_panels_follow_the_scenario(with_lever):
    view, horizon = with_lever["coupled"], FLAGSHIP.war.horizon
    parties = [t.actor for t in FLAGSHIP.war.third_parties]
    assert list(view["third_parties"]) == parties == list(view["bands"]["engagement"])
    for party, e in view["bands"]["engagement"].items():
        lo, mean, hi = (np.array(e[k]) for k in ("lo", "p", "hi"))
        assert lo.size == horizon and np.all(lo <= mean) and np.all(mean <= hi)
        assert np.allclose(mean, view["third_parties"][party]["mean_curve"])
        # engagement lies in [0, 1], so its mean cannot exceed the share still engaged
        assert np.all(mean <= np.array(e["engaged"]["p"]) + 1e-12)
    partials = [p.id for p in FLAGSHIP.war.talks.partial]
    assert list(view["bands"]["partial"]) == partials == list(view["p_partial"])
    assert set(view["vetoes"]["by_actor"]) == {"RU", "UA"}  # talks.veto unset: the two sides
    refused = sum(sum(r.values()) for r in view["vetoes"]["by_actor"].values())
    assert 0 < refused <= 1 + 1e-9  # a round is refused by at most one player
    assert view["checkpoints"] == [13, 26, 52, 104]


def test_bands_are_wilson_intervals_around_their_curve(with_lever):
    band = with_lever["coupled"]["bands"]["deal"]
    p, lo, hi = (np.array(band[k]) for k in ("p", "lo", "hi"))
    assert np.allclose(p, with_lever["coupled"]["p_deal_curve"])
    assert np.all(lo <= p) and np.all(p <= hi) and np.all(hi - lo > 0)  # not empty at p = 0
    k = int(np.argmax(p > 0.05))
    from scipy.stats import binomtest  # an oracle for one week

    ci = binomtest(round(p[k] * RUNS), RUNS).proportion_ci(0.95, method="wilson")
    assert (lo[k], hi[k]) == pytest.approx((ci.low, ci.high), abs=1e-9)


def test_terms_histograms_count_every_run(with_lever):
    view = with_lever["coupled"]
    for issue in FLAGSHIP.issues:
        terms = view["terms"][issue.id]
        last = terms["last_proposal"]
        assert sum(last["histogram"]["counts"]) == last["n"] == RUNS
        deal = terms["deal"]
        if deal["n"]:
            assert sum(deal["histogram"]["counts"]) == deal["n"] <= RUNS
            edges = deal["histogram"]["edges"]
            assert (edges[0], edges[-1]) == (issue.low, issue.high)  # on the issue's scale
    # the same runs have a deal on every issue (a deal settles them all)
    assert len({view["terms"][i.id]["deal"]["n"] for i in FLAGSHIP.issues}) == 1


def test_lever_effect_is_the_paired_difference_from_the_baseline(with_lever):
    base = client.post("/api/simulate", json={"scenario": "ukraine-2025", "runs": RUNS}).json()
    assert "baseline" not in base and "effects" not in base  # no lever, nothing to pair
    assert with_lever["baseline"]["p_deal_curve"] == base["coupled"]["p_deal_curve"]
    for w, d in with_lever["effects"]["delta_p_deal"].items():
        diff = with_lever["coupled"]["p_deal"][w]["p"] - base["coupled"]["p_deal"][w]["p"]
        assert d["mean"] == pytest.approx(diff, abs=1e-12)
        assert d["ci95"][0] <= d["mean"] <= d["ci95"][1]
    assert list(with_lever["effects"]["delta_terms"]) == [i.id for i in FLAGSHIP.issues]


def test_compare_gives_paired_effects_at_checkpoints_that_fit_the_horizon():
    r = client.post("/api/compare", json={"scenario": "ukraine-2025", "runs": 200,
                                          "hypothesis": "pressure-works",
                                          "levers": ["oil-sanctions", "us-disengagement"]})
    assert r.status_code == 200, r.text
    cmp = r.json()
    assert cmp["checkpoints"] == [13, 26, 52, 104] and cmp["coupled"]
    # no deal before week 52 on the flagship: the week-26 headline of old read 0 for every lever
    assert all(cmp["baseline"]["p_deal"][w] == 0 for w in ("13", "26"))
    for lever in ("oil-sanctions", "us-disengagement"):
        d = cmp["levers"][lever]["delta_p_deal"]["104"]
        diff = cmp["levers"][lever]["p_deal"]["104"] - cmp["baseline"]["p_deal"]["104"]
        assert d["mean"] == pytest.approx(diff, abs=1e-12)
        terms = cmp["levers"][lever]["delta_terms"]
        assert list(terms) == [i.id for i in FLAGSHIP.issues]
        assert all(t["n"] <= 200 for t in terms.values())  # pairs of runs, at most all of them
    war = client.post("/api/compare", json={"scenario": "war-2025", "runs": 200,
                                            "levers": ["oil-sanctions"]}).json()
    assert war["checkpoints"] == [13, 26, 52] and not war["coupled"]


@pytest.mark.parametrize(("path", "body", "status", "field"), [
    ("/api/compare", {"scenario": "ukraine-2025", "runs": 20_000}, 413, "max_seconds"),
    ("/api/compare", {"scenario": "ukraine-2025", "levers": ["nukes"]}, 422, "levers[0]"),
    ("/api/compare", {"scenario": "ukraine-2025", "levers": []}, 422, "levers"),
    ("/api/compare", {"scenario": "bdm1994-emissions"}, 422, "scenario"),
    ("/api/simulate", {"scenario": "ukraine-2025", "runs": 6000,
                       "levers": [{"id": "tomahawks"}]}, 413, "max_seconds"),  # two variants
    ("/api/sensitivity", {"scenario": "war-2025", "method": "sobol", "samples": 6}, 422,
     "samples"),
    ("/api/sensitivity", {"scenario": "war-2025", "outcome": "p_deal@x"}, 422, "outcome"),
    ("/api/sensitivity", {"scenario": "war-2025", "hypothesis": "magic"}, 422, "hypothesis"),
    ("/api/sensitivity", {"scenario": "bdm1994-emissions"}, 422, "scenario"),
    ("/api/discover", {"scenario": "war-2025", "where": "delta_p_deal@26 >= 0.1"}, 422,
     "where"),
    ("/api/discover", {"scenario": "ukraine-2025", "where": "p_partial@26:nowhere >= 0.1"},
     422, "outcome"),
    ("/api/robust", {"scenario": "war-2025", "week": 200}, 422, "week"),
    ("/api/robust", {"scenario": "nowhere"}, 422, "scenario"),
])
def test_bad_or_costly_requests_are_refused_naming_the_field(path, body, status, field):
    r = client.post(path, json=body)
    assert r.status_code == status, r.text
    assert r.json()["field"] == field and r.json()["error"]


def test_sensitivity_refuses_a_request_over_the_budget_saying_what_it_costs():
    r = client.post("/api/sensitivity", json={"scenario": "war-2025", "method": "sobol",
                                              "samples": 256, "runs_per_sample": 200})
    assert r.status_code == 413
    error = r.json()["error"]
    assert "sobol: 4352 evaluations x 200 runs per sample" in error  # 256 (15 inputs + 2)
    assert "over the limit" in error


def quantity_at(where: str):
    """The Quantity at an input's field path in the flagship (``levers[0].effects[2]`` ...)."""
    node = FLAGSHIP
    for part in re.findall(r"[^.\[\]]+", where):
        node = node[int(part)] if part.isdigit() else node[part] if isinstance(node, dict) \
            else getattr(node, part)
    return node if not hasattr(node, "param") else (node.add if node.add is not None
                                                   else node.mul)


def evidence_in_file(q) -> str:
    """The status the scenario file gives a number, read from its citations and assumption."""
    if not q.cite:
        return "assumption" if q.assumption is not None else "none"
    weak = any(c.confidence == "low" or c.support == "inferred" for c in q.cite)
    return "inferred" if weak else "cited"


@pytest.fixture(scope="module")
def coupled_tornado():
    r = client.post("/api/sensitivity", json={"scenario": "ukraine-2025", "outcome": "p_deal@104",
                                              "runs_per_sample": 20, "levers": ["oil-sanctions"]})
    assert r.status_code == 200, r.text
    return r.json()


def test_coupled_tornado_bars_are_sorted_by_swing(coupled_tornado):
    t = coupled_tornado
    assert t["model"] == "coupled" and t["evaluations"] == 2 * len(t["inputs"]) + 1
    assert [b["name"] for b in sorted(t["bars"], key=lambda b: b["name"])] == \
        sorted(i["name"] for i in t["inputs"])
    swings = [b["swing"] for b in t["bars"]]
    assert swings == sorted(swings, reverse=True) and swings[0] > 0  # no deal = no swing
    for b in t["bars"]:
        ends = (b["low"], b["high"], t["base"])
        assert b["swing"] == pytest.approx(max(ends) - min(ends))
        assert b["low_ci95"][0] <= b["low"] <= b["low_ci95"][1]  # paired intervals
        assert all(0 <= v <= 1 for v in ends)


def test_coupled_tornado_inputs_carry_their_evidence_from_the_file(coupled_tornado):
    inputs = {i["name"]: i for i in coupled_tornado["inputs"]}
    # the coupled sections' numbers and the lever's effects are inputs beside the war's
    assert inputs["third_parties.US.aid"]["where"] == "war.third_parties[0].aid"
    assert inputs["oil-sanctions:R.cost"]["where"] == "levers[0].effects[0]"
    for b in coupled_tornado["bars"]:
        q = quantity_at(inputs[b["name"]]["where"])
        assert b["evidence"] == inputs[b["name"]]["evidence"] == evidence_in_file(q), b["name"]
        assert q.uncertain  # only numbers the file gives a distribution
    assert {"inferred", "assumption"} <= {b["evidence"] for b in coupled_tornado["bars"]}


def test_p_partial_names_the_flagships_subsets_and_is_a_share():
    r = client.post("/api/sensitivity", json={"scenario": "ukraine-2025",
                                              "outcome": "p_partial@26:ceasefire"})
    assert r.status_code == 422 and r.json()["field"] == "outcome"
    assert all(p.id in r.json()["error"] for p in FLAGSHIP.war.talks.partial)
    r = client.post("/api/sensitivity", json={"scenario": "ukraine-2025", "runs_per_sample": 10,
                                              "outcome": "p_partial@104:energy-truce"})
    assert r.status_code == 200, r.text
    t = r.json()
    assert t["outcome"]["name"] == "p_partial@104:energy-truce"
    for b in t["bars"]:  # a share of 10 runs; no per-run intervals for a share
        assert all(round(10 * v, 9).is_integer() for v in (b["low"], b["high"]))
        assert b["low_ci95"] is None
    # the war simulator settles every issue at once: no partial deals to ask about
    war = client.post("/api/sensitivity", json={"scenario": "war-2025", "outcome": "p_partial@26"})
    assert war.status_code == 422 and "coupled" in war.json()["error"]


def test_coupled_requests_are_costed_at_the_coupled_rate_for_the_outcomes_weeks():
    k = len(client.post("/api/sensitivity", json={"scenario": "ukraine-2025",
                                                  "runs_per_sample": 2}).json()["inputs"])
    r = client.post("/api/sensitivity", json={"scenario": "ukraine-2025", "method": "sobol",
                                              "samples": 256, "runs_per_sample": 200})
    assert r.status_code == 413 and r.json()["field"] == "max_seconds"
    runs = 256 * (k + 2) * 200
    actors, issues = len(FLAGSHIP.actors), len(FLAGSHIP.issues)
    seconds = runs * 26 * actors * issues / RATE["coupled"]  # p_deal@26: 26 weeks simulated
    error = r.json()["error"]
    assert f"= {runs:,} coupled runs" in error and f"about {seconds:.3g} s" in error
    assert f"weeks 26 x actors {actors} x issues {issues}" in error and "over the limit" in error


def test_coupled_discovery_and_robust_ranking_run_on_the_coupled_model():
    r = client.post("/api/discover", json={"scenario": "ukraine-2025", "lever": "oil-sanctions",
                                           "where": "delta_p_deal@104 >= 0.05", "samples": 40,
                                           "runs_per_sample": 10})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["model"] == "coupled" and d["trajectory"][0]["coverage"] == 1.0
    assert d["trajectory"][0]["density"] == pytest.approx(d["share_true"])
    assert {lim["name"] for lim in d["box"]["limits"]} <= {i["name"] for i in d["inputs"]}
    levers = ["oil-sanctions", "tomahawks"]
    r = client.post("/api/robust", json={"scenario": "ukraine-2025", "levers": levers,
                                         "week": 104, "samples": 3, "runs_per_sample": 10})
    assert r.status_code == 200, r.text
    rk = r.json()
    assert rk["hypotheses"] == ["baseline", *(h.id for h in FLAGSHIP.hypotheses)]
    assert sorted(row["option"] for row in rk["ranking"]) == sorted(["(none)", *levers])
    for row in rk["ranking"]:  # hypotheses weighted equally; worst over samples and them
        per_hyp = list(row["by_hypothesis"].values())
        assert row["expected"] == pytest.approx(np.mean(per_hyp), abs=1e-12)
        assert row["worst"] <= min(per_hyp) + 1e-12 and row["max_regret"] >= 0
    none = next(row for row in rk["ranking"] if row["option"] == "(none)")
    assert none["expected"] == none["worst"] == 0


def test_tornado_has_one_bar_per_input_sorted_by_swing():
    r = client.post("/api/sensitivity", json={"scenario": "war-2025", "runs_per_sample": 40})
    assert r.status_code == 200, r.text
    t = r.json()
    assert {b["name"] for b in t["bars"]} == {i["name"] for i in t["inputs"]}
    swings = [b["swing"] for b in t["bars"]]
    assert swings == sorted(swings, reverse=True) and swings[0] > 0
    for b in t["bars"]:
        ends = (b["low"], b["high"], t["base"])
        assert b["swing"] == pytest.approx(max(ends) - min(ends))
        assert b["low_ci95"][0] <= b["low"] <= b["low_ci95"][1]  # paired intervals
    assert t["evaluations"] == 2 * len(t["inputs"]) + 1


def test_sobol_gives_both_indices_with_intervals_for_every_input():
    r = client.post("/api/sensitivity", json={"scenario": "war-2025", "method": "sobol",
                                              "samples": 4, "runs_per_sample": 20})
    assert r.status_code == 200, r.text
    s = r.json()
    k = len(s["inputs"])
    assert len(s["indices"]) == k and s["evaluations"] == 4 * (k + 2)
    assert all(row["S1_conf"] >= 0 and row["ST_conf"] >= 0 for row in s["indices"])
    st = [row["ST"] for row in s["indices"]]
    assert st == sorted(st, reverse=True)
    assert "x" not in s and "y" not in s  # the sample matrix stays on the server


def test_discovery_peels_from_the_whole_sample_to_a_denser_box():
    r = client.post("/api/discover", json={"scenario": "war-2025", "lever": "tomahawks",
                                           "where": "delta_p_deal@26 >= 0.1", "samples": 100,
                                           "runs_per_sample": 40})
    assert r.status_code == 200, r.text
    d = r.json()
    steps = d["trajectory"]
    assert steps[0]["coverage"] == steps[0]["mass"] == 1.0
    assert steps[0]["density"] == pytest.approx(d["share_true"])
    assert all(a["mass"] >= b["mass"] for a, b in itertools.pairwise(steps))
    box = d["box"]
    assert box["density"] >= d["share_true"] and box["limits"]  # this condition has a box
    names = {i["name"] for i in d["inputs"]}
    assert {lim["name"] for lim in box["limits"]} <= names
    assert all(lim["evidence"] in ("cited", "inferred", "assumption", "none")
               for lim in box["limits"])


def test_robust_ranking_ranks_doing_nothing_and_every_lever():
    levers = ["oil-sanctions", "tomahawks", "security-guarantees"]
    r = client.post("/api/robust", json={"scenario": "war-2025", "levers": levers,
                                         "samples": 4, "runs_per_sample": 10})
    assert r.status_code == 200, r.text
    rk = r.json()
    assert rk["hypotheses"] == ["baseline", "pressure-works", "limited-leverage"]
    options = [row["option"] for row in rk["ranking"]]
    assert sorted(options) == sorted(["(none)", *levers])
    for key in ("expected", "worst", "regret"):
        assert sorted(row["rank"][key] for row in rk["ranking"]) == [1, 2, 3, 4]
    none = next(row for row in rk["ranking"] if row["option"] == "(none)")
    assert none["expected"] == none["worst"] == 0
    assert all(row["max_regret"] >= 0 for row in rk["ranking"])
    assert [row["rank"]["expected"] for row in rk["ranking"]] == [1, 2, 3, 4]
