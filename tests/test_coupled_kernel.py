"""Mechanisms of the coupled kernel (MODELS.md §7.2-7.6) one at a time, with paired runs."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest
import yaml

from detente.war.kernel import COLLAPSE_R

from .conftest import FIXTURES
from .test_coupled_theory import TWO, run, se_mean, two_sided

FOUR = [{"id": i, "name": i} for i in ("a", "b", "c", "d")]


def test_dynamic_talks_models_carry_positions_and_respect_red_lines():
    """eum (two rounds a talks week) moves positions that persist between weeks; nobody crosses
    its own red line (Russia's bound on foreign troops is 5, and it does not soften in 10 weeks)."""
    doc = yaml.safe_load((FIXTURES / "coupled.yaml").read_text())
    doc["war"]["talks"].update({"model": "eum", "rounds": 2})
    doc["war"]["red_lines"][0]["bound"] = 5
    inputs, out = run(doc, 200, horizon=10)
    moved = np.abs(out.positions - inputs.ideal).max(axis=(1, 2))
    assert (moved > 1.0).mean() > 0.5
    troops = inputs.issues.index("troops")
    assert (out.positions[:, inputs.r, troops] <= 5 + 1e-9).all()


@pytest.mark.parametrize("model", ["smp", "nash", "median"])
def test_other_registry_models_propose(model):
    doc = two_sided(FOUR, [100, 80, 0, 60], [0, 10, 100, 30], horizon=6,
                    talks={"model": model, "every": 2},
                    war={"third_parties": [{"actor": "S", "aid": 0.1}]},
                    extra_actors=[{"id": "S", "name": "S", "capability": 1}],
                    extra_stances=[{"actor": "S", "issue": i["id"], "position": 50,
                                    "salience": 0.5} for i in FOUR])
    inputs, out = run(doc, 100)
    held = ~np.isnan(out.proposal).any(axis=1)
    assert held.all()
    assert ((out.proposal >= inputs.low) & (out.proposal <= inputs.high)).all()


def test_partial_deals_settle_a_subset_and_stay_fixed():
    """Troops (issue b) is vetoed by R's red line, so whole deals fail; the sanctions subset
    (issue a) is settled on its own and later proposals keep its terms."""
    lines = [{"actor": "R", "issue": "b", "vetoes": "above", "bound": 0}]
    doc = two_sided(TWO, [100, 0], [0, 100], cost_r=0.01, cost_u=0.01, horizon=20,
                    talks={"partial": [{"id": "a-only", "issues": ["a"]}]},
                    war={"red_lines": lines})
    _, out = run(doc, 500)
    assert not out.deal_in_force.any()
    settled = out.partial_in_force[:, -1, 0]
    assert settled.mean() > 0.5
    np.testing.assert_allclose(out.proposal[settled, 0], out.partial_terms[settled, 0])
    assert np.isnan(out.partial_terms[:, 1]).all()


def test_aims_types_are_drawn_and_learned_from_refusals():
    lines = [{"actor": "R", "issue": "b", "vetoes": "above", "bound": 20}]
    doc = two_sided(TWO, [100, 0], [0, 100], horizon=30, war={
        "red_lines": lines, "aims": {"R": {"maximal": 0.4, "belief": 0.5, "concession": 0.5}}})
    _, out = run(doc, 2000)
    share = out.maximal[:, 0].mean()
    assert abs(share - 0.4) < 4 * np.sqrt(0.24 / 2000)
    assert out.maximal[:, 1].all()  # U has no aims type: maximal, as written
    mu = out.aims_belief[:, 0]
    assert mu[out.maximal[:, 0]].mean() > mu[~out.maximal[:, 0]].mean() + 0.05


def mobilise_doc(discontent_cost: float, collapse_slope: float = 0.0) -> dict:
    economy = {"mobilise_below": 0.8, "mobilise_amount": 30, "mobilise_discontent": 1.0,
               "discontent_cost": discontent_cost, "collapse_slope": collapse_slope,
               "discontent_decay": 1.0}
    lines = [{"actor": "U", "issue": "a", "vetoes": "above", "bound": 0}]
    return two_sided(TWO[:1], [100], [0], horizon=52,
                     sides={"R": {"lethality": 0.0, "collapse": 0.002},
                            "U": {"lethality": 0.01}},
                     war={"economy": economy, "red_lines": lines,
                          "front": {"steps": 20, "start": 10,
                                    "continuous": {"line_issues": ["a"]}}})


def test_mobilisation_is_chosen_when_it_pays_and_discontent_raises_collapse():
    _, free = run(mobilise_doc(0.0), 500)
    _, dear = run(mobilise_doc(10.0), 500)
    assert free.mobilised.mean() > 0.5 and (free.discontent > 0).mean() > 0.5
    assert dear.mobilised.sum() == 0
    _, fragile = run(mobilise_doc(0.0, collapse_slope=1.0), 2000)
    _, sturdy = run(mobilise_doc(0.0, collapse_slope=0.0), 2000)
    diff = (fragile.end_mode == COLLAPSE_R).astype(float) - (sturdy.end_mode == COLLAPSE_R)
    assert diff.mean() > 3 * se_mean(diff)


def intensity_doc(belief_r: tuple[int, int]) -> dict:
    lines = [{"actor": "U", "issue": "a", "vetoes": "above", "bound": 0}]
    return two_sided(TWO[:1], [100], [0], belief_r=belief_r, horizon=12,
                     war={"red_lines": lines, "economy": {"high_cost": 0.0}})


def test_r_presses_when_it_expects_to_win_and_holds_back_when_it_expects_to_lose():
    _, winning = run(intensity_doc((14, 6)), 200)
    _, losing = run(intensity_doc((6, 14)), 200)
    assert (winning.intensity[:, 0] > 1).all()
    assert (losing.intensity[:, 0] == 1).all()


def front_doc(**continuous: object) -> dict:
    lines = [{"actor": "U", "issue": "a", "vetoes": "above", "bound": 0}]
    return two_sided(TWO[:1], [100], [0], horizon=52, start=10,
                     sides={"R": {"effectiveness": 1.5}},
                     war={"red_lines": lines, "economy": {"high_tempo": 1.0},
                          "front": {"steps": 20, "start": 10, "continuous": continuous}})


def test_fortified_belts_slow_advances_and_a_still_season_stops_the_drift():
    _, open_ = run(front_doc(), 500)
    _, belt = run(front_doc(fortified=[{"at": 0.55, "width": 0.1, "factor": 0.2}]), 500)
    slowed = belt.front[:, -1] - open_.front[:, -1]
    assert (slowed <= 1e-12).all() and slowed.mean() < -3 * se_mean(slowed)
    _, frozen = run(front_doc(tempo={m: 0.0 for m in range(1, 13)}), 500)
    move = frozen.front[:, -1] - frozen.front[:, 0]
    assert abs(move.mean()) <= 4 * se_mean(move)


def test_pape_score_falls_with_the_cost_of_resisting():
    """Same terms on the table and the same outlook, a dearer war for R: R_coerce = B·p(B) −
    C·p(C) is lower in every run (§5.11), and it is recorded only in talks weeks."""
    cheap = two_sided(TWO, [100, 80], [0, 10], cost_r=0.002, horizon=6, talks={"every": 2})
    dear = two_sided(TWO, [100, 80], [0, 10], cost_r=0.006, horizon=6, talks={"every": 2})
    (_, a), (_, b) = run(cheap, 300), run(dear, 300)
    assert a.talks_held[:, 0].all() and b.talks_held[:, 0].all()
    assert (b.pape_R[:, 0] < a.pape_R[:, 0]).all()
    assert np.isnan(a.pape_R[:, 1]).all()


def test_variants_share_every_draw_so_a_null_lever_changes_nothing():
    """Common random numbers: switching on a lever without effect leaves every output of every
    run identical, with third parties, meetings, prospects and red lines in play."""
    from dataclasses import fields

    doc = yaml.safe_load((FIXTURES / "coupled.yaml").read_text())
    doc["levers"].append({"id": "nothing", "name": "no change", "start": 3,
                          "effects": [{"param": "U.effectiveness", "mul": 1.0}]})
    (_, a), (_, b) = (run(doc, 300, levers=lv, horizon=30) for lv in ((), ("nothing",)))
    for f in fields(a):
        np.testing.assert_array_equal(getattr(a, f.name), getattr(b, f.name), err_msg=f.name)


def test_the_job_size_changes_no_number():
    """Jobs of any size draw what fixed 2,048-run stream blocks draw: the registry's job size,
    the old 2,048-run layout and 1,000-run jobs (which start inside a stream block) give the same
    outcome to the bit, so the runner may hand the kernel larger jobs."""
    from dataclasses import replace

    from detente.compile.coupled import compile_coupled
    from detente.options import CoupledOptions
    from detente.registry import get_spec
    from detente.runtime import run_payload
    from detente.runtime.backends import InProcess
    from detente.scenario.schema import Scenario
    from detente.seeds import Streams

    doc = yaml.safe_load((FIXTURES / "coupled.yaml").read_text())
    inputs = compile_coupled(Scenario.model_validate(doc), None, ("missiles",), 4500, 2,
                             horizon=10)
    spec = get_spec("coupled")
    outs = [run_payload(replace(spec, block=block), inputs, inputs.runs, CoupledOptions(),
                        Streams.from_seed(2), InProcess(threads=1))
            for block in (spec.block, 2048, 1000)]
    assert [n for _, n in outs] == [-(-4500 // spec.block), 3, 5]
    for out, _ in outs[1:]:
        for f in fields(out):
            np.testing.assert_array_equal(getattr(out, f.name), getattr(outs[0][0], f.name),
                                          err_msg=f.name)


@pytest.mark.parametrize("columns", [0, 1, 2, 5, 7, 8, 12])
def test_row_sum_is_numpys_sum_to_the_bit(columns):
    """The kernel's column-by-column sum over issues or third parties gives numpy's bits (the
    kernel's outputs did not move when it replaced ``sum(axis=1)``), magnitudes mixed."""
    from detente.war.coupled import row_sum

    rng = np.random.default_rng(columns)
    values = rng.random((400, columns)) * rng.choice([1e-6, 1.0, 1e6], (400, columns))
    np.testing.assert_array_equal(row_sum(values), values.sum(axis=-1))
