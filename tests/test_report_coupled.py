"""The report's coupled-model part and its analysis files, as plain data (the browser tests read
the same data back from the charts)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from detente.analysis import report_data as rd
from detente.cli import app
from detente.errors import InputError
from detente.scenario import load_scenario

from .conftest import FIXTURES, SCENARIOS

FLAGSHIP = SCENARIOS / "ukraine-2025.yaml"
WAR = FIXTURES / "war-2025.yaml"
RUNS = 60


@pytest.fixture(scope="module")
def flagship():
    return load_scenario(FLAGSHIP)


@pytest.fixture(scope="module")
def coupled(flagship):
    return rd.war_section(flagship, RUNS, 0)["coupled"]


def test_wilson_band_is_scipys_score_interval():
    from scipy.stats import binomtest

    p, n = np.array([0.0, 0.01, 0.3, 0.5, 0.97, 1.0]), 200
    lo, hi = rd.wilson_band(p, n)
    counts = np.round(p * n).astype(int).tolist()
    ref = [binomtest(k, n).proportion_ci(0.95, "wilson") for k in counts]
    assert lo == pytest.approx([r.low for r in ref], abs=1e-4)
    assert hi == pytest.approx([r.high for r in ref], abs=1e-4)
    assert hi[0] > 0 and lo[-1] < 1  # no empty band at 0 or 1
    assert np.all((lo >= 0) & (lo <= p) & (p <= hi) & (hi <= 1))


@pytest.mark.parametrize("path", [FLAGSHIP, WAR], ids=["coupled", "section5"])
def test_war_section_runs_each_variant_once(path, monkeypatch):
    """Each variant runs once: the hypotheses' summaries come from the comparison's baselines,
    not from a second simulation (the §5 report ran every baseline twice)."""
    from detente.analysis import compare as compare_module

    sc = load_scenario(path)
    calls = []
    real = compare_module.run_variant
    monkeypatch.setattr(compare_module, "run_variant",
                        lambda *a, **k: calls.append(a[1:3]) or real(*a, **k))
    stacked = compare_module.stacked_runs  # the coupled variants of a hypothesis, in one pass

    def counted(*a, **k):
        for run in stacked(*a, **k):
            calls.append((a[1], tuple(run.levers)))
            yield run

    monkeypatch.setattr(compare_module, "stacked_runs", counted)
    section = rd.war_section(sc, 10, 0)
    hypotheses = 1 + len(sc.hypotheses)
    assert len(calls) == hypotheses * (1 + len(sc.levers)) == len(set(calls))
    if "hypotheses" in section:  # §5: the same numbers simulate_summary gives
        from detente.analysis.compare import simulate_summary, war_options

        alone = simulate_summary(sc, "baseline", (), 10, 0, war_options())
        assert section["hypotheses"]["baseline"] == alone


def test_every_hypothesis_has_every_output_per_week_and_checkpoint(coupled, flagship):
    assert list(coupled["hypotheses"]) == ["baseline", *(h.id for h in flagship.hypotheses)]
    horizon = flagship.war.horizon
    for hyp in coupled["hypotheses"].values():
        assert hyp["checkpoints"] == [13, 26, 52, 104]  # fitted to the 104-week horizon
        band = hyp["deal_curve"]
        assert len(band["p"]) == len(band["lo"]) == len(band["hi"]) == horizon
        assert all(lo <= p <= hi for lo, p, hi in zip(band["lo"], band["p"], band["hi"],
                                                       strict=True))
        for w in hyp["checkpoints"]:  # the curve and the checkpoint share agree
            assert band["p"][w - 1] == pytest.approx(hyp["p_deal"][str(w)]["p"], abs=1e-4)
        assert set(hyp["partial_curves"]) == {p.id for p in flagship.war.talks.partial}
        assert set(hyp["third_parties"]) == {t.actor for t in flagship.war.third_parties}
        assert all(len(v["mean_curve"]) == horizon for v in hyp["third_parties"].values())
        assert set(hyp["front"]["quantiles"]) == {str(w) for w in hyp["checkpoints"]}


def test_terms_vetoes_and_effects_cover_every_variant(coupled, flagship):
    levers = [lv.id for lv in flagship.levers]
    veto = list(flagship.war.talks.veto or (flagship.war.R, flagship.war.U))
    assert coupled["veto_players"] == veto and coupled["issues"] == [i.id for i in
                                                                     flagship.issues]
    for hyp in coupled["hypotheses"].values():
        for issue in flagship.issues:
            by_variant = hyp["terms"][issue.id]
            assert list(by_variant) == ["baseline", *levers]
            for spread in by_variant.values():
                if spread["n"]:
                    q = list(spread["quantiles"].values())
                    assert q == sorted(q) and issue.low <= q[0] and q[-1] <= issue.high
                    assert sum(spread["histogram"]["counts"]) == spread["n"] <= RUNS
        assert list(hyp["vetoes"]) == ["baseline", *levers]
        for vt in hyp["vetoes"].values():
            assert list(vt["by_actor"]) == veto
            assert sum(sum(r.values()) for r in vt["by_actor"].values()) <= 1 + 1e-9
        assert list(hyp["effects"]) == levers
        for eff in hyp["effects"].values():
            assert set(eff["delta_p_deal"]) == {str(w) for w in hyp["checkpoints"]}
            for d in eff["delta_p_deal"].values():
                assert -1 <= d["ci95"][0] <= d["mean"] <= d["ci95"][1] <= 1


def test_report_html_has_one_terms_chart_per_issue_and_hypothesis(coupled, flagship):
    from detente.report import render_report

    data = {"scenario": rd.scenario_overview(flagship), "negotiation": {},
            "provenance": {"version": "x", "seed": 0, "runs": RUNS, "draws": 1},
            "war": {"coupled": coupled, "options": {}}}
    html = render_report(data)
    hyps, issues = len(coupled["hypotheses"]), len(flagship.issues)
    assert html.count('id="terms-') == hyps * issues
    assert html.count('class="veto-player"') == hyps * len(coupled["veto_players"])
    assert 'id="durations"' not in html and 'id="effects"' in html
    assert "Δ P(deal) at week 104" in html and "Δ P(deal) at week 13" in html


# -- analysis files: the --json outputs of sensitivity, discover and compare --robust -----------

COMMANDS = {
    "sobol.json": ["sensitivity", str(WAR), "--outcome", "p_deal@26", "--method", "sobol",
                   "--samples", "8", "--runs-per-sample", "20", "--json"],
    "tornado.json": ["sensitivity", str(WAR), "--outcome", "p_deal@26", "--method", "tornado",
                     "--runs-per-sample", "20", "--json"],
    "morris.json": ["sensitivity", str(WAR), "--outcome", "p_deal@26", "--method", "morris",
                    "--samples", "4", "--runs-per-sample", "20", "--json"],
    "discover.json": ["discover", str(WAR), "--lever", "oil-sanctions", "--where",
                      "delta_p_deal@26 >= 0.1", "--samples", "60", "--runs-per-sample", "20",
                      "--threshold", "0.9", "--json"],
    "robust.json": ["compare", str(WAR), "--robust", "--runs", "64", "--json"],
}


def analysis_files(folder):
    """Each command's --json output on the war fixture (small samples), written to ``folder``."""
    for name, args in COMMANDS.items():
        r = CliRunner().invoke(app, args)
        assert r.exit_code == 0, r.output
        (folder / name).write_text(r.stdout)
    return folder


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return analysis_files(tmp_path_factory.mktemp("analyses"))


@pytest.fixture(scope="module")
def war():
    return load_scenario(WAR)


def test_each_file_is_read_as_its_kind(files):
    from detente.report.data import read_analysis

    kinds = {n: read_analysis(opt, files / n)["kind"] for n, opt in (
        ("sobol.json", "sensitivity"), ("tornado.json", "sensitivity"),
        ("morris.json", "sensitivity"), ("discover.json", "discover"),
        ("robust.json", "robust"))}
    assert kinds == {"sobol.json": "sobol", "tornado.json": "tornado", "morris.json": "morris",
                     "discover.json": "discover", "robust.json": "robust"}


def test_a_wrong_or_broken_file_is_refused_with_where_it_is(files, tmp_path):
    from detente.report.data import read_analysis

    with pytest.raises(InputError, match="not the output of `detente discover --json`"):
        read_analysis("discover", files / "tornado.json")
    with pytest.raises(InputError, match="not the output of `detente sensitivity"):
        read_analysis("sensitivity", files / "robust.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"method": "sobol",\n  "inputs": [,]}')
    with pytest.raises(InputError) as e:
        read_analysis("sensitivity", broken)
    assert e.value.problems[0].line == 2 and "not JSON" in e.value.problems[0].message
    cut = tmp_path / "cut.json"
    doc = json.loads((files / "sobol.json").read_text())
    cut.write_text(json.dumps({k: v for k, v in doc.items() if k != "indices"}))
    with pytest.raises(InputError, match="lacks indices"):
        read_analysis("sensitivity", cut)
    with pytest.raises(InputError, match="cannot read"):
        read_analysis("robust", tmp_path / "absent.json")
    rows = [dict(r) for r in doc["indices"]]
    del rows[1]["ST"], rows[2]["S1"]
    cut.write_text(json.dumps({**doc, "indices": rows}))
    with pytest.raises(InputError) as e:  # every bad row, in one pass
        read_analysis("sensitivity", cut)
    assert [(p.message, p.path[-2:]) for p in e.value.problems] == [
        ("lacks ST", ("indices", 1)), ("lacks S1", ("indices", 2))]


def test_views_order_bars_and_place_the_prim_box(files, war):
    from detente.report.data import analysis_view, read_analysis

    tornado = analysis_view(read_analysis("sensitivity", files / "tornado.json"), war)
    swings = [b["swing"] for b in tornado["bars"]]
    assert swings == sorted(swings, reverse=True) and len(swings) == len(tornado["inputs"])
    sobol = analysis_view(read_analysis("sensitivity", files / "sobol.json"), war)
    totals = [r["ST"] for r in sobol["indices"]]
    assert totals == sorted(totals, reverse=True) and not sobol["notes"]
    prim = analysis_view(read_analysis("discover", files / "discover.json"), war)
    assert prim["box"]["limits"], "the fixture's condition needs a restricted box"
    for lim in prim["box"]["limits"]:
        lo, hi = lim["sampled"]
        assert 0 <= lim["from"] < lim["to"] <= 1
        if lim["lower"] is None:
            assert lim["from"] == 0
        else:
            assert lim["from"] == pytest.approx((lim["lower"] - lo) / (hi - lo))
        if lim["upper"] is None:
            assert lim["to"] == 1


def test_robust_ranking_carries_each_levers_evidence_and_says_a_foreign_lever(files, war):
    from detente.analysis.sensitivity import evidence_status
    from detente.report.data import analysis_view, read_analysis

    doc = read_analysis("robust", files / "robust.json")
    view = analysis_view(doc, war)
    status = {lv.id: evidence_status(lv) for lv in war.levers}
    for row in view["ranking"]:
        assert row["evidence"] == {lv: status[lv] for lv in row["levers"]}
    assert not view["notes"]
    doc["ranking"][0] = {**doc["ranking"][0], "levers": ["no-such-lever"]}
    assert "no-such-lever" in analysis_view(doc, war)["notes"][0]


def test_an_input_from_another_scenario_is_said(files, war):
    from detente.report.data import analysis_view, read_analysis

    doc = read_analysis("sensitivity", files / "tornado.json")
    doc["inputs"][0] = {**doc["inputs"][0], "name": "X.y", "where": "war.sides.X.y"}
    assert "X.y" in analysis_view(doc, war)["notes"][0]


@pytest.mark.parametrize(("extra", "message"), [
    (["--sensitivity", "p_deal@26", "--sensitivity", "p_deal@13"], "takes one outcome"),
    (["--discover", "tornado.json"], "not the output of `detente discover --json`"),
    (["--robust", "absent.json"], "cannot read"),
])
def test_report_refuses_bad_analysis_options_before_running(files, tmp_path, extra, message):
    extra = [str(files / a) if a.endswith(".json") else a for a in extra]
    r = CliRunner().invoke(app, ["report", str(WAR), "-o", str(tmp_path / "r.html"), *extra])
    assert r.exit_code == 2 and message in r.output
    assert not (tmp_path / "r.html").exists()


def test_workers_give_the_same_coupled_part():
    """--workers runs the variants' blocks on processes: the same numbers, block for block."""
    from detente.runtime.backends import Processes

    sc = load_scenario(FIXTURES / "coupled.yaml")
    runs = 1030  # two blocks of the coupled kernel (1,024 runs each)
    alone, spread = rd.war_section(sc, runs, 0), rd.war_section(sc, runs, 0, Processes(2))
    assert alone["coupled"] == spread["coupled"]
    # the comparison too, all but its provenance (which names the backend)
    assert alone["comparison"]["hypotheses"] == spread["comparison"]["hypotheses"]


def test_a_coupled_scenario_without_levers_says_so(tmp_path):
    import yaml

    from detente.report import render_report

    doc = yaml.safe_load((FIXTURES / "coupled.yaml").read_text())
    doc.pop("levers", None)
    doc.pop("hypotheses", None)
    for party in doc["war"].get("third_parties", []):
        party.pop("pressure", None)
    (tmp_path / "bare.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True))
    data = rd.report_data(load_scenario(tmp_path / "bare.yaml"), runs=20, draws=2)
    (hyp,) = data["war"]["coupled"]["hypotheses"].values()
    assert hyp["effects"] == {} and list(hyp["vetoes"]) == ["baseline"]
    html = render_report(data)
    assert 'id="no-levers"' in html and 'id="effects"' not in html and 'id="deal-0"' in html
