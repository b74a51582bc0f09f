"""The dashboard's coupled-model, lever-effect and sensitivity panels in a real browser (Debian's
chromium): what each drew is read from Plotly's figure state (``gd.data``) and its SVG, and an
error must clear the panel it would have drawn and show why in the banner."""

from __future__ import annotations

import pytest

from .conftest import ARTIFACTS, FIXTURES, SCENARIOS, serving

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server():
    with serving([SCENARIOS, FIXTURES / "war-2025.yaml"]) as url:
        yield url


def _open(browser, url: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url + "/")
    page.wait_for_selector("body[data-ready=yes]", timeout=90_000)
    return page, errors


def _figure(page, div: str, expr: str):
    script = f"(() => {{ const gd = document.getElementById('{div}'); return {expr}; }})()"
    return page.evaluate(script)


def _banner(page) -> str:
    page.wait_for_selector("#error-banner:not([hidden])", timeout=60_000)
    return page.locator("#error-banner").inner_text()


def _count(page, key: str) -> int:
    return int(page.evaluate(f"document.body.dataset.{key} || '0'"))


def _drawn(page, div: str) -> bool:
    return page.locator(f"#{div} svg.main-svg").count() > 0


def test_coupled_panels_draw_the_flagship_and_clear_after_an_error(browser, server):
    page, errors = _open(browser, server)
    page.wait_for_function("document.body.dataset.comparisons === '1'", timeout=90_000)
    # P(deal) and both partial deals, each with a filled 95 % band
    assert _figure(page, "deal-plot", "gd.data.filter(t => t.fill === 'tonexty').length") == 3
    headline = " ".join(page.locator("#deal-plot svg.main-svg").all_text_contents())
    assert "week 104" in headline and "week 13" in headline
    # one histogram per issue (six), on each issue's scale
    bars = _figure(page, "issue-terms-plot", "gd.data.filter(t => t.type === 'bar').length")
    assert bars == 6
    assert page.locator("#issue-terms-plot .barlayer .point path").count() > 6
    vetoers = _figure(page, "veto-plot", "gd.data[0].y")
    assert sorted(vetoers) == ["RU", "UA"]
    parties = _figure(page, "engagement-plot",
                      "gd.data.filter(t => t.mode === 'lines' && t.showlegend !== false"
                      " && !t.line.dash.startsWith('d')).map(t => t.name)")
    assert parties == ["US", "EU"]
    # lever effects: one trace per checkpoint (13/26/52/104), one row per lever (nine)
    weeks = _figure(page, "effects-plot", "gd.data.map(t => t.name)")
    assert weeks == ["week 13", "week 26", "week 52", "week 104"]
    assert _figure(page, "effects-plot", "gd.data[3].y.length") == 9
    # and on each issue's terms: one trace per issue, points where runs pair up with a deal
    assert _figure(page, "terms-effects-plot", "gd.data.length") == 6
    assert _figure(page, "terms-effects-plot", "gd.data[0].x.length") >= 1
    # the last proposal on every issue: the bars of each panel hold every run (shares sum to 1)
    page.select_option("#terms-kind", "last_proposal")
    sums = _figure(page, "issue-terms-plot", "gd.data.filter(t => t.type === 'bar')"
                   ".map(t => t.y.reduce((a, b) => a + b, 0))")
    assert sums == pytest.approx([1.0] * 6)
    # a lever on: the baseline drawn beside it (dashed curves, outlined histograms)
    page.check("#lever-oil-sanctions")
    page.wait_for_function("document.body.dataset.simulations === '2'", timeout=90_000)
    dashed = _figure(page, "deal-plot", "gd.data.filter(t => t.line && t.line.dash === 'dash')"
                     ".map(t => t.name)")
    assert "deal in force (baseline)" in dashed
    outlines = _figure(page, "issue-terms-plot",
                       "gd.data.filter(t => t.name === 'baseline').length")
    assert outlines == 6
    assert "levers" in " ".join(page.locator("#deal-plot svg.main-svg").all_text_contents())
    page.locator("#coupled-panels").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "dashboard-coupled.png"), full_page=True)
    # errors: the plots of what failed are cleared and the banner says why
    page.fill("#runs", "1000000000")
    page.click("#simulate")
    assert "runs" in _banner(page)
    for div in ("deal-plot", "issue-terms-plot", "veto-plot", "engagement-plot"):
        assert not _drawn(page, div), div
    assert _drawn(page, "effects-plot")  # another request's plot stays
    page.fill("#compare-runs", "20000")
    page.click("#compare")
    page.wait_for_function("!document.querySelector('#effects-plot svg')", timeout=60_000)
    assert not _drawn(page, "terms-effects-plot")
    assert "over the limit" in _banner(page)
    # a tornado on the coupled model: one bar per input the server sent, largest swing on top,
    # each labelled with its evidence status; the outcome defaults to the horizon's week (the
    # flagship has no deal by week 26, so a week-26 tornado would be all zeros)
    assert page.input_value("#sens-outcome") == "p_deal@104"
    assert page.input_value("#prim-where") == "delta_p_deal@104 >= 0.05"
    page.fill("#sens-runs", "10")
    with page.expect_response(lambda r: r.url.endswith("/api/sensitivity")) as answer:
        page.click("#run-tornado")
    page.wait_for_function("document.body.dataset.tornado === '1'", timeout=90_000)
    tornado = answer.value.json()
    assert tornado["model"] == "coupled" and "oil-sanctions" in tornado["levers"]
    labels = _figure(page, "tornado-plot", "gd.data[0].y")
    assert labels == [f"{b['name']} [{b['evidence']}]" for b in reversed(tornado["bars"])]
    assert any(lab.startswith("third_parties.") for lab in labels)  # a coupled-section number
    assert page.locator("#sensitivity-note").inner_text() == ""
    # over the budget: refused, the cost named in the note, the tornado cleared
    page.fill("#sens-runs", "1000")
    page.click("#run-tornado")
    page.wait_for_function("document.querySelector('#sensitivity-note').innerText"
                           ".includes('coupled runs')", timeout=60_000)
    note = page.locator("#sensitivity-note").inner_text()
    assert "over the limit of 5 s" in note and "39 evaluations x 1000 runs per sample" in note
    assert not _drawn(page, "tornado-plot")
    assert not errors
    page.close()


def test_sensitivity_panels_draw_and_clear_after_an_error(browser, server):
    page, errors = _open(browser, server)
    page.select_option("#scenario", "war-2025")
    page.wait_for_function("document.body.dataset.comparisons === '2'", timeout=90_000)
    assert page.locator("#coupled-panels").is_hidden()  # no talks in this scenario
    assert page.locator("#sensitivity-note").inner_text() == ""
    page.fill("#sens-runs", "20")
    page.fill("#sens-samples", "4")
    page.click("#run-tornado")
    page.wait_for_function("document.body.dataset.tornado === '1'", timeout=90_000)
    labels = _figure(page, "tornado-plot", "gd.data[0].y")
    assert len(labels) == 15 and all(lab.endswith("]") for lab in labels)
    page.click("#run-sobol")
    page.wait_for_function("document.body.dataset.sobol === '1'", timeout=90_000)
    assert _figure(page, "sobol-plot", "gd.data.map(t => t.name)") == ["S1", "ST"]
    assert _figure(page, "sobol-plot", "gd.data[1].error_x.array.length") == 15
    page.fill("#prim-where", "delta_p_deal@26 >= 0.1")
    page.select_option("#prim-lever", "tomahawks")
    page.click("#run-prim")
    page.wait_for_function("document.body.dataset.prim === '1'", timeout=90_000)
    coverage = _figure(page, "prim-plot", "gd.data[0].x")
    assert coverage[0] == 1.0 and len(coverage) > 2
    assert page.locator("#prim-limits tr").count() >= 2  # header and a restricted input
    page.click("#run-robust")
    page.wait_for_function("document.body.dataset.robust === '1'", timeout=90_000)
    assert page.locator("#robust-table tr").count() == 1 + 1 + 7  # header, (none), 7 levers
    assert "across hypotheses" in page.locator("#robust-verdict").inner_text()
    assert _figure(page, "robust-plot", "gd.data.length") == 3
    page.locator("#sensitivity-panel").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "dashboard-sensitivity.png"), full_page=True)
    # a bad outcome clears the tornado; a Sobol N that is no power of 2 clears the Sobol chart
    page.fill("#sens-outcome", "p_deal@x")
    page.click("#run-tornado")
    assert "outcome" in _banner(page)
    assert page.locator("#sensitivity-note").inner_text().startswith("Tornado: outcome")
    assert not _drawn(page, "tornado-plot") and _drawn(page, "sobol-plot")
    page.fill("#sens-outcome", "p_deal@26")
    page.fill("#sens-samples", "6")
    page.click("#run-sobol")
    page.wait_for_function("document.querySelector('#error-banner').innerText"
                           ".includes('power of 2')", timeout=60_000)
    assert not _drawn(page, "sobol-plot") and _drawn(page, "prim-plot")
    assert not errors
    page.close()
