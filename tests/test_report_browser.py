"""The report's coupled-model charts and its analysis charts in a real browser (Debian's
chromium): each test reads what Plotly drew (``div.data``, ``div.layout``, the SVG) and checks
it against the scenario and the data the report was given."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from detente.cli import app
from detente.scenario import load_scenario

from .conftest import ARTIFACTS, FIXTURES, SCENARIOS
from .test_report_coupled import analysis_files

pytestmark = pytest.mark.e2e
FLAGSHIP = SCENARIOS / "ukraine-2025.yaml"
WAR = FIXTURES / "war-2025.yaml"


def _write(out, scenario, *extra):
    r = CliRunner().invoke(app, ["report", str(scenario), "-o", str(out), "--draws", "5", *extra])
    assert r.exit_code == 0, r.output
    return out


def _open(browser, path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_selector("body[data-rendered=yes]", timeout=60_000)
    return page, errors


def _figure(page, div: str, expr: str):
    script = f"(() => {{ const gd = document.getElementById('{div}'); return {expr}; }})()"
    return page.evaluate(script)


@pytest.fixture(scope="module")
def flagship_page(browser, tmp_path_factory):
    out = _write(tmp_path_factory.mktemp("coupled") / "ukraine.html", FLAGSHIP, "--runs", "100")
    page, errors = _open(browser, out)
    yield page, errors
    page.close()


def test_terms_one_chart_per_issue_with_a_box_per_variant(flagship_page):
    page, errors = flagship_page
    sc = load_scenario(FLAGSHIP)
    hyps = 1 + len(sc.hypotheses)
    assert page.locator("div.hypothesis").count() == hyps
    for k in range(hyps):
        charts = page.locator(f"#coupled-{k} .terms .plot")
        assert charts.count() == len(sc.issues)
        issues = [charts.nth(j).get_attribute("data-issue") for j in range(charts.count())]
        assert issues == [i.id for i in sc.issues]
    boxes = _figure(page, "terms-0-0", "gd.data.filter(t => t.type === 'box').map(t => t.y[0])")
    assert [b.split(" (n=")[0] for b in boxes] == ["baseline", *(lv.id for lv in sc.levers)][::-1]
    q = _figure(page, "terms-0-0", "gd.data.filter(t => t.type === 'box')"
                ".map(t => [t.lowerfence[0], t.q1[0], t.median[0], t.q3[0], t.upperfence[0]])")
    assert all(row == sorted(row) for row in q)
    lo, hi = _figure(page, "terms-0-0", "gd.layout.xaxis.range")
    assert lo < sc.issues[0].low and sc.issues[0].high < hi  # the issue's own scale
    assert page.locator("#terms-0-0 .boxlayer path").count() >= len(boxes)
    assert not errors


def test_veto_table_lists_the_scenarios_veto_players(flagship_page):
    page, _ = flagship_page
    sc = load_scenario(FLAGSHIP)
    veto = list(sc.war.talks.veto or (sc.war.R, sc.war.U))
    heads = page.locator("#vetoes-0 th.veto-player")
    assert [heads.nth(j).inner_text() for j in range(heads.count())] == veto
    rows = page.locator("#vetoes-0 tr").count() - 2  # two header rows
    assert rows == 1 + len(sc.levers)
    first = page.locator("#vetoes-0 tr").nth(2).locator("td")
    assert first.nth(0).inner_text() == "baseline" and first.count() == 1 + 2 * len(veto)


def test_engagement_has_one_trace_per_third_party_and_deal_bands_hold(flagship_page):
    page, _ = flagship_page
    sc = load_scenario(FLAGSHIP)
    names = _figure(page, "engagement-0", "gd.data.map(t => t.name)")
    assert names == [t.actor for t in sc.war.third_parties]
    assert _figure(page, "engagement-0", "gd.data[0].y.length") == sc.war.horizon
    # the deal curve: band (lower, upper filled) then the line, per deal and partial deal
    deal = _figure(page, "deal-0", "gd.data.slice(0, 3).map(t => t.y)")
    lo, hi, p = deal
    assert len(p) == sc.war.horizon and all(a <= b <= c for a, b, c in zip(lo, p, hi,
                                                                            strict=True))
    assert _figure(page, "deal-0", "gd.data.filter(t => t.fill === 'tonexty').length") == \
        1 + len(sc.war.talks.partial)
    marks = _figure(page, "deal-0", "gd.layout.annotations.map(a => a.x)")
    assert marks == [13, 26, 52, 104]


def test_lever_effects_have_a_panel_per_checkpoint_and_a_point_per_lever(flagship_page):
    page, errors = flagship_page
    sc = load_scenario(FLAGSHIP)
    hyps = 1 + len(sc.hypotheses)
    titles = _figure(page, "effects", "Object.keys(gd._fullLayout).filter(k => /^xaxis\\d*$/"
                     ".test(k)).map(k => gd._fullLayout[k].title.text)")
    assert sorted(titles) == sorted(f"week {w}" for w in (13, 26, 52, 104))
    lengths = _figure(page, "effects", "gd.data.map(t => t.x.length)")
    assert lengths == [len(sc.levers)] * (4 * hyps)
    assert page.locator("#effects-table tr").count() == 1 + len(sc.levers) * hyps
    page.locator("#coupled-0").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "report-coupled.png"))
    assert not errors


@pytest.fixture(scope="module")
def analysis_page(browser, tmp_path_factory):
    folder = analysis_files(tmp_path_factory.mktemp("analysis-files"))
    out = _write(folder / "war.html", WAR, "--runs", "50",
                 "--sensitivity", str(folder / "tornado.json"),
                 "--sensitivity", str(folder / "sobol.json"),
                 "--sensitivity", str(folder / "morris.json"),
                 "--discover", str(folder / "discover.json"),
                 "--robust", str(folder / "robust.json"))
    page, errors = _open(browser, out)
    yield page, errors, folder
    page.close()


def test_tornado_bars_are_ordered_by_swing_with_evidence(analysis_page):
    page, errors, folder = analysis_page
    doc = json.loads((folder / "tornado.json").read_text())
    assert page.locator("#analysis-0").get_attribute("data-kind") == "tornado"
    labels = _figure(page, "tornado-0", "gd.data[0].y")[::-1]  # the top bar first
    bars = {f"{b['name']} [{b['evidence']}]": b for b in doc["bars"]}
    swings = [bars[lab]["swing"] for lab in labels]
    assert swings == sorted(swings, reverse=True) and len(swings) == len(doc["bars"])
    lows, highs = _figure(page, "tornado-0", "[gd.data[0].x, gd.data[1].x]")
    base = doc["base"]  # each bar end drawn at its outcome, from the base
    assert [lo + base for lo in lows[::-1]] == pytest.approx([bars[lab]["low"] for lab in labels])
    assert [h + base for h in highs[::-1]] == pytest.approx([bars[lab]["high"] for lab in labels])
    assert page.locator("#tornado-0 .barlayer .point path").count() >= len(swings)
    assert not errors


def test_sobol_bars_have_intervals_and_follow_the_total_index(analysis_page):
    page, _, folder = analysis_page
    doc = json.loads((folder / "sobol.json").read_text())
    names = _figure(page, "sobol-1", "gd.data.map(t => t.name)")
    assert names == ["first order S1", "total ST"]
    st = _figure(page, "sobol-1", "gd.data[1].x")[::-1]
    assert st == sorted(st, reverse=True) and len(st) == len(doc["indices"])
    conf = _figure(page, "sobol-1", "gd.data[1].error_x.array")[::-1]
    by_name = {r["name"]: r["ST_conf"] for r in doc["indices"]}
    labels = _figure(page, "sobol-1", "gd.data[1].y")[::-1]
    assert conf == [by_name[lab.split(" [")[0]] for lab in labels]
    assert page.locator("#sobol-table-1 tr").count() == 1 + len(doc["indices"])
    assert _figure(page, "morris-2", "gd.data[0].x.length") == len(doc["inputs"])


def test_prim_box_and_peeling_curve_show_the_chosen_box(analysis_page):
    page, _, folder = analysis_page
    doc = json.loads((folder / "discover.json").read_text())
    k = 3  # tornado, sobol, morris, then discover
    assert page.locator(f"#analysis-{k}").get_attribute("data-kind") == "discover"
    bars = _figure(page, f"prim-box-{k}", "gd.data[0].y")
    assert [b.split(" [")[0] for b in bars] == [lim["name"] for lim in doc["box"]["limits"]]
    x, y = _figure(page, f"prim-peel-{k}", "[gd.data[0].x, gd.data[0].y]")
    assert x == [s["coverage"] for s in doc["trajectory"]]
    assert y == [s["density"] for s in doc["trajectory"]]
    star = _figure(page, f"prim-peel-{k}", "[gd.data[1].x[0], gd.data[1].y[0]]")
    assert star == [doc["box"]["coverage"], doc["box"]["density"]]


def test_robust_ranking_table_and_chart_have_every_option(analysis_page):
    page, errors, folder = analysis_page
    doc = json.loads((folder / "robust.json").read_text())["robust"]
    k = 4
    assert page.locator(f"#robust-table-{k} tr").count() == 1 + len(doc["ranking"])
    top = page.locator(f"#robust-table-{k} tr").nth(1).locator("td").first.inner_text()
    assert top == doc["ranking"][0]["option"]
    traces = _figure(page, f"robust-{k}", "gd.data.map(t => t.name)")
    assert traces == ["expected", "worst case", *doc["hypotheses"]]
    assert page.locator(f"#robust-table-{k} .status").count() >= len(doc["ranking"]) - 1
    page.locator("#analyses").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "report-analyses.png"))
    assert not errors
