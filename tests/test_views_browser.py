"""The report, the dashboard and its scenario editor in a real browser (Debian's chromium).

Each test checks one of issue 18's fixes by reading what the page drew: Plotly's figure state
(``div.data``, ``div.layout``) and the SVG it rendered.
"""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from detente.cli import app

from .conftest import ARTIFACTS, FIXTURES, SCENARIOS, serving

pytestmark = pytest.mark.e2e
SHOTS = ARTIFACTS  # docs/report.png, dashboard.png, editor.png are copies of these


def _report(tmp_path_factory, name: str, *extra: str, folder=SCENARIOS):
    out = tmp_path_factory.mktemp("report") / f"{name}.html"
    r = CliRunner().invoke(app, ["report", str(folder / f"{name}.yaml"), "-o", str(out),
                                 "--draws", "20", *extra])
    assert r.exit_code == 0, r.output
    return out


@pytest.fixture(scope="module")
def ukraine_report(tmp_path_factory):
    return _report(tmp_path_factory, "ukraine-2025", "--runs", "300")


def _open(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    return page, errors


def _figure(page, div: str, expr: str):
    """``expr`` evaluated with ``gd`` the Plotly graph div (its data, layout, full layout)."""
    script = f"(() => {{ const gd = document.getElementById('{div}'); return {expr}; }})()"
    return page.evaluate(script)


def test_report_draws_nash_and_one_round_forecasts_on_the_issue_scale(browser, tmp_path_factory):
    out = _report(tmp_path_factory, "bdm1994-emissions")
    page, errors = _open(browser, out.as_uri())
    page.wait_for_selector("body[data-rendered=yes]", timeout=60_000)
    violins = _figure(page, "forecast-0",
                      "gd.data.filter(t => t.type === 'violin').map(t => t.name)")
    assert {"mean", "median", "nash", "eum", "exchange"} <= set(violins)
    assert page.locator("#skipped-nash").count() == 0
    lo, hi = _figure(page, "forecast-0", "gd.layout.xaxis.range")
    assert 3.5 < lo < 4 and 10 < hi < 10.5  # the issue's scale, 4..10 years, not -1..1
    nash = _figure(page, "forecast-0",
                   "gd.data.find(t => t.type === 'scatter' && t.name === 'nash').x[0]")
    assert nash == pytest.approx(10.0)  # Nash with the status quo at 10 years (a fixed point)
    assert page.locator("#forecast-0 .violinlayer path").count() >= 4  # drawn, not just data
    assert not errors
    page.close()


def test_report_says_why_nash_is_missing_and_draws_bands_and_tables(browser, ukraine_report):
    page, errors = _open(browser, ukraine_report.as_uri())
    page.wait_for_selector("body[data-rendered=yes]", timeout=60_000)
    assert "status quo" in page.locator("#skipped-nash").inner_text()
    lo, hi = _figure(page, "forecast-2", "gd.layout.xaxis.range")
    assert lo < 0 and 100 < hi < 110
    # the 5-95 % band of the weighted mean: a filled trace with p95 >= p05 in every round
    band = _figure(page, "neg-eum-0", "gd.data.filter(t => t.fill === 'tonexty').length")
    assert band == 1
    p05, p95 = _figure(page, "neg-eum-0", "[gd.data[0].y, gd.data[1].y]")
    pairs = list(zip(p05, p95, strict=True))
    assert all(a <= b for a, b in pairs) and any(a < b for a, b in pairs)
    assert page.locator("#neg-eum-0 .scatterlayer path.js-fill").count() >= 1
    assert page.locator("#levers-table tr").count() == 1 + 9
    assert page.locator("#hypotheses-table tr").count() == 1 + 2
    cited = page.locator("#war-table td[title*='para']")
    assert cited.count() >= 5  # hover shows source, paragraph and paraphrase
    assert "front.start" in page.locator("#war-table").inner_text()
    # the coupled model's charts, one set per variant (baseline + 2 hypotheses)
    assert page.locator("div.hypothesis").count() == 3
    assert page.locator("#deal-2 .scatterlayer path.js-fill").count() >= 1
    page.locator("#forecasts").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "views-report.png"))
    assert not errors
    page.close()


def _visible_error(page) -> str:
    page.wait_for_selector("#error-banner:not([hidden])", timeout=60_000)
    return page.locator("#error-banner").inner_text()


def test_dashboard_clears_plots_and_shows_the_error_banner(browser, live_server):
    page, errors = _open(browser, live_server + "/")
    page.wait_for_selector("body[data-ready=yes]", timeout=60_000)
    page.wait_for_selector("#agreement-plot svg.main-svg")
    page.wait_for_selector("#negotiation-plot .scatterlayer path.js-fill")  # eum with its band
    page.screenshot(path=str(SHOTS / "views-dashboard.png"))
    # a switch to a scenario without a war leaves no war plot behind
    page.select_option("#scenario", "bdm1994-emissions")
    page.wait_for_function("(document.querySelector('#negotiation-plot .gtitle') || {})"
                           ".textContent?.includes('emission standard')", timeout=60_000)
    page.wait_for_function("!document.querySelector('#agreement-plot svg')", timeout=10_000)
    assert page.locator("#endmode-plot svg, #terms-plot svg").count() == 0
    assert page.locator("#error-banner").is_hidden()
    # a model that cannot run: the banner says why and the stale plot is gone
    page.select_option("#scenario", "ukraine-2025")
    page.wait_for_selector("#agreement-plot svg.main-svg", timeout=60_000)
    page.select_option("#model", "nash")
    assert "status quo" in _visible_error(page)
    assert page.locator("#negotiation-plot svg").count() == 0
    page.screenshot(path=str(SHOTS / "views-dashboard-error.png"))
    # a bad request (runs out of bounds) clears the war plots and names the field
    page.fill("#runs", "1000000000")
    page.click("#simulate")
    page.wait_for_function("!document.querySelector('#agreement-plot svg')", timeout=60_000)
    assert "runs" in _visible_error(page)
    # one-round models are drawn as their forecast distribution on the issue's scale
    page.fill("#runs", "1000")
    page.select_option("#model", "median")
    page.wait_for_selector("#negotiation-plot .violinlayer path", timeout=60_000)
    assert "status quo" not in page.locator("#error-banner").inner_text()
    assert not errors
    page.close()


@pytest.fixture
def editor_server(tmp_path):
    shutil.copy(FIXTURES / "minimal.yaml", tmp_path / "minimal.yaml")
    with serving([tmp_path]) as url:
        yield url, tmp_path


def test_editor_shows_inline_errors_and_saves_a_file_that_runs(browser, editor_server):
    from detente.scenario import load_scenario

    url, folder = editor_server
    page, errors = _open(browser, url + "/")
    page.wait_for_selector("#editor[data-checked]", timeout=60_000)
    salience = page.locator('#editor input[data-field="stances[0].salience"]')
    salience.fill("1.5")
    salience.dispatch_event("change")
    note = page.locator('#editor .field-error[data-for="stances[0].salience"]')
    note.wait_for(timeout=30_000)
    assert "salience" in note.inner_text() and "1.5" in note.inner_text()
    # the message sits in the same table cell as the field it names
    cell = '#editor td:has(input[data-field="stances[0].salience"]) .field-error'
    assert page.locator(cell).count() == 1
    page.locator("#editor").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "views-editor.png"))
    page.fill("#editor-name", "../outside")
    page.click("#editor-save")
    page.wait_for_selector("#editor-message.bad", timeout=30_000)
    assert "invalid file name" in page.locator("#editor-message").inner_text()
    salience.fill("0.6")
    salience.dispatch_event("change")
    page.wait_for_function("!document.querySelector('#editor .field-error')", timeout=30_000)
    page.fill("#editor-name", "minimal-edited")
    page.select_option("#editor-model", "median")
    page.click("#editor-save")
    page.wait_for_selector("#editor[data-runs='1']", timeout=60_000)
    saved = load_scenario(folder / "minimal-edited.yaml")
    assert saved.stances[0].salience.point() == pytest.approx(0.6)
    assert [p.name for p in folder.parent.iterdir() if p.name == "outside.yaml"] == []
    assert page.locator("#editor-plot .violinlayer path").count() >= 1
    assert not errors
    page.close()


# -- the report's evidence hover, sensitivity and ledger sections --------------------------------

CORPUS = SCENARIOS.parent.parent / "shared" / "corpus"


def _hover_paragraph(browser, report) -> tuple[str, str]:
    """Hover the first cited value whose paragraph text was read: the popup's text and its
    first marked number."""
    page, errors = _open(browser, report.as_uri())
    page.wait_for_selector("body[data-rendered=yes]", timeout=60_000)
    cell = page.locator("td:has(> .paras .para-text mark)").first
    assert page.locator(".paras").first.is_hidden()  # shown only on hover
    cell.hover()
    popup = cell.locator("> .paras")
    popup.wait_for(state="visible", timeout=5_000)
    mark = popup.locator(".para-text mark").first
    assert mark.is_visible()
    text, number = popup.inner_text(), mark.inner_text().strip()
    assert number and number in text
    assert not errors
    page.close()
    return text, number


def test_report_hover_shows_our_articles_paragraph_with_numbers_marked(browser, tmp_path):
    from .test_report_data import cited_scenario

    path, out = cited_scenario(tmp_path), tmp_path / "cited.html"
    r = CliRunner().invoke(app, ["report", str(path), "-o", str(out), "--draws", "5"])
    assert r.exit_code == 0, r.output
    text, number = _hover_paragraph(browser, out)
    assert "src, para 4" in text and "18%" in text and number == "18%"


def test_report_hover_shows_the_corpus_paragraph_read_at_run_time(browser, tmp_path,
                                                                  monkeypatch):
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    monkeypatch.chdir(SCENARIOS.parent)  # the flagship names ../shared/corpus from the root
    out = tmp_path / "ukraine.html"
    r = CliRunner().invoke(app, ["report", str(SCENARIOS / "ukraine-2025.yaml"), "-o", str(out),
                                 "--draws", "5", "--runs", "100"])
    assert r.exit_code == 0, r.output
    text, _ = _hover_paragraph(browser, out)
    source, _, paragraph = text.partition(":")
    assert ", para " in source and len(paragraph.strip()) > 80  # the paragraph, not a paraphrase


def test_report_draws_the_tornado_one_bar_per_input_and_the_robust_table(browser,
                                                                         tmp_path_factory):
    out = _report(tmp_path_factory, "war-2025", "--runs", "100", "--sensitivity",
                  "p_deal@26", folder=SCENARIOS.parent / "tests" / "fixtures")
    page, errors = _open(browser, out.as_uri())
    page.wait_for_selector("body[data-rendered=yes]", timeout=60_000)
    rows = page.locator("#tornado-table tr").count() - 1
    assert rows >= 5
    lengths = _figure(page, "tornado", "gd.data.map(t => t.y.length)")
    assert lengths == [rows, rows]  # the p05 and the p95 end of each input's bar
    labels = _figure(page, "tornado", "gd.data[0].y")
    assert all(lab.endswith(("[cited]", "[inferred]", "[assumption]", "[none]"))
               for lab in labels)
    assert _figure(page, "tornado", "gd.data[1].error_x.visible") is True  # paired intervals
    assert page.locator("#tornado .barlayer .point path").count() >= rows
    assert page.locator("#robust-table tr").count() == 1 + 1 + 7  # header, (none), 7 levers
    page.locator("#sensitivity").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "views-report-tornado.png"))
    assert not errors
    page.close()


def test_report_ledger_section_shows_questions_scores_and_reliability(browser, tmp_path):
    from .test_report_data import small_ledger

    ledger, out = small_ledger(tmp_path / "ledger.sqlite"), tmp_path / "ledger.html"
    r = CliRunner().invoke(app, ["report", str(SCENARIOS / "bdm1994-emissions.yaml"), "-o",
                                 str(out), "--draws", "5", "--ledger", str(ledger)])
    assert r.exit_code == 0, r.output
    page, errors = _open(browser, out.as_uri())
    page.wait_for_selector("body[data-rendered=yes]", timeout=60_000)
    table = page.locator("#ledger-questions").inner_text()
    assert "Q-DEAL-2027" in table and "p = 0.300" in table and "p = 0.600" in table
    assert "war: 0.2822" in page.locator("#ledger-questions td.brier").inner_text()
    assert _figure(page, "ledger-history", "gd.data[0].y") == [0.3, 0.6]
    assert page.locator("#reliability .scatterlayer .point").count() >= 2
    assert not errors
    page.close()


def test_dashboard_ledger_panel_shows_questions_scores_and_reliability(browser, tmp_path,
                                                                      live_server):
    from .test_report_data import small_ledger

    ledger = small_ledger(tmp_path / "ledger.sqlite")
    with serving([FIXTURES / "evidence"], ledger=ledger) as url:
        page, errors = _open(browser, url + "/")
        page.wait_for_selector("body[data-ready=yes]", timeout=60_000)
        table = page.locator("#ledger-questions").inner_text()
        assert "Q-DEAL-2027" in table and "p = 0.300" in table and "p = 0.600" in table
        assert "war: 0.2822" in table  # the report's time-averaged Brier, same data function
        assert _figure(page, "ledger-history", "gd.data[0].y") == [0.3, 0.6]
        assert page.locator("#reliability .scatterlayer .point").count() >= 2
        page.locator("#ledger").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "dashboard-ledger.png"))
        assert not errors
        page.close()
    page, errors = _open(browser, live_server + "/")  # started without --ledger
    page.wait_for_selector("#ledger-off", timeout=60_000)
    assert "--ledger" in page.locator("#ledger-off").inner_text()
    assert page.locator("#ledger-questions").count() == 0
    page.close()


def test_dashboard_hover_shows_the_cited_paragraph_with_numbers_marked(browser, tmp_path):
    from .test_web import cited_folder

    with serving([cited_folder(tmp_path)]) as url:
        page, errors = _open(browser, url + "/")
        page.wait_for_selector("body[data-ready=yes]", timeout=60_000)
        page.wait_for_selector("#overview[data-citations]")
        page.locator('td.cited[data-cite="draft#4"]').first.hover()  # our draft article
        pop = page.locator("#cite-pop")
        pop.wait_for(state="visible")
        marks = pop.locator(".para-text mark").all_text_contents()
        assert "18%" in marks and any("4.2 billion" in m for m in marks)
        assert "Draft formula reported, para 4" in pop.inner_text()
        page.screenshot(path=str(SHOTS / "dashboard-cited.png"))
        page.locator('td.cited[data-cite="draft#99"]').first.hover()  # too short an article
        assert "has no paragraph 99" in pop.locator(".para-missing").inner_text()
        assert pop.locator("mark").count() == 0
        assert not errors
        page.close()
