"""The dashboard's JSON API, its OpenAPI schema under schemathesis, and the page in a browser."""

from __future__ import annotations

import re

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from detente.web.app import create_app

from .conftest import ARTIFACTS, FIXTURES, SCENARIOS

APP = create_app([SCENARIOS])
client = TestClient(APP)


def test_lists_scenarios_and_models():
    names = {s["name"] for s in client.get("/api/scenarios").json()}
    assert names == {"bdm1994-emissions", "ukraine-2025"}
    models = {m["name"] for m in client.get("/api/models").json()}
    assert {"mean", "eum", "smp", "exchange"} <= models


def test_describe_has_evidence_levers_and_hypotheses():
    sc = client.get("/api/scenarios/ukraine-2025").json()
    assert sc["checkpoints"] == [13, 26, 52, 104]  # the coupled panels' weeks fit the horizon
    assert len(sc["levers"]) == 9 and len(sc["hypotheses"]) == 2
    assert sc["stances"][0]["position_evidence"]


def test_negotiate_and_simulate():
    r = client.post("/api/negotiate", json={"scenario": "bdm1994-emissions", "model": "eum",
                                            "rounds": 8})
    assert r.status_code == 200
    assert r.json()["median"][1][0] == pytest.approx(8.4159, abs=1e-4)
    # the coupled flagship: no deal within a year; by week 104, under pressure-works, pressure
    # keeps the proposal away from Russia's red lines, the more so the stronger (docs/flagship.md)
    base = client.post("/api/simulate", json={"scenario": "ukraine-2025", "runs": 1000,
                                              "hypothesis": "pressure-works"}).json()
    lever = client.post("/api/simulate", json={
        "scenario": "ukraine-2025", "runs": 1000, "hypothesis": "pressure-works",
        "levers": [{"id": "secondary-tariffs", "strength": 1.0}]}).json()
    stronger = client.post("/api/simulate", json={
        "scenario": "ukraine-2025", "runs": 1000, "hypothesis": "pressure-works",
        "levers": [{"id": "secondary-tariffs", "strength": 3.0}]}).json()
    assert base["p_agreement"]["26"] == lever["p_agreement"]["26"] == 0.0
    assert (base["p_agreement"]["104"] > lever["p_agreement"]["104"]
            > stronger["p_agreement"]["104"])
    assert len(base["agreement_curve"]) == 104


@pytest.mark.parametrize(("path", "body", "status", "field"), [
    ("/api/simulate", {"scenario": "nowhere"}, 422, "scenario"),
    ("/api/simulate", {"scenario": "ukraine-2025", "levers": [{"id": "nukes"}]}, 422,
     "levers[0].id"),
    ("/api/simulate", {"scenario": "ukraine-2025", "runs": 10**9}, 422, "runs"),
    ("/api/simulate", {"scenario": "ukraine-2025", "levers": [{"id": "tomahawks",
                                                               "strength": -1}]}, 422,
     "levers[0].strength"),
    ("/api/simulate", {"scenario": "ukraine-2025", "hypothesis": "magic"}, 422, "hypothesis"),
    ("/api/simulate", {"scenario": "bdm1994-emissions"}, 422, "scenario"),
    ("/api/negotiate", {"scenario": "ukraine-2025", "model": "nash"}, 422, "model"),
    ("/api/negotiate", {"scenario": "ukraine-2025", "draws": 0}, 422, "draws"),
    ("/api/negotiate", {"scenario": "ukraine-2025", "colour": "red"}, 422, "colour"),
])
def test_bad_requests_name_the_field(path, body, status, field):
    r = client.post(path, json=body)
    assert r.status_code == status, r.text
    assert r.json()["field"] == field and r.json()["error"]


def test_oversized_body_and_unknown_routes():
    r = client.post("/api/simulate", content=b'{"scenario": "' + b"x" * 70_000 + b'"}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["field"] == "body"
    r = client.get("/api/scenarios/..%2F..%2Fetc%2Fpasswd")
    assert r.status_code == 404 and "error" in r.json()
    r = client.get("/api/scenarios/passwd")
    assert r.status_code == 404 and r.json()["field"] == "scenario"


def test_token_guards_state_changing_requests():
    guarded = TestClient(create_app([SCENARIOS], token="s3cret"))
    body = {"scenario": "bdm1994-emissions", "model": "mean"}
    assert guarded.post("/api/negotiate", json=body).status_code == 401
    ok = guarded.post("/api/negotiate", json=body, headers={"authorization": "Bearer s3cret"})
    assert ok.status_code == 200
    assert guarded.get("/api/scenarios").status_code == 200


def test_serve_refuses_open_address_without_token():
    from typer.testing import CliRunner

    from detente.cli import app

    r = CliRunner().invoke(app, ["serve", str(SCENARIOS), "--host", "0.0.0.0"])
    assert r.exit_code == 2 and "needs an access token" in r.output


def test_serve_refuses_a_missing_ledger_before_serving(tmp_path):
    from typer.testing import CliRunner

    from detente.cli import app

    r = CliRunner().invoke(app, ["serve", str(SCENARIOS), "--ledger", str(tmp_path / "no.db")])
    assert r.exit_code == 2 and "no such ledger file" in r.output


def test_static_files_are_not_in_the_schema():
    schema = client.get("/openapi.json").json()
    assert not any(p.startswith("/static") for p in schema["paths"])
    assert client.get("/static/plotly.min.js").status_code == 200
    for name in ("report.js", "reading.js"):  # the ledger's plots and the overview's hover
        assert "function " in client.get(f"/static/{name}").text


schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_schema_fuzz(case):
    """schemathesis over every operation: no 5xx, documented statuses and bodies."""
    # the server refuses requests estimated over 5 s (413) and answers 503 after 30 s; on a
    # loaded machine an admitted request can take a few times its estimate, hence 25 s here
    case.call_and_validate(checks=[not_a_server_error, status_code_conformance,
                                   content_type_conformance, response_schema_conformance],
                           timeout=25)


# -- read at request time: the forecast ledger and the cited paragraphs ------------------------

EVIDENCE = FIXTURES / "evidence"


def cited_folder(tmp_path):
    """The selva fixture beside copies of its two articles (our own, tests/fixtures/evidence)."""
    import shutil

    for name in ("selva.yaml", "water-treaty-1.txt", "water-treaty-2.html"):
        shutil.copy(EVIDENCE / name, tmp_path / name)
    return tmp_path


def test_ledger_endpoint_serves_the_reports_ledger_view(tmp_path):
    from detente.errors import InputError

    from .test_report_data import small_ledger

    path = small_ledger(tmp_path / "ledger.sqlite")
    view = TestClient(create_app([SCENARIOS], ledger=path)).get("/api/ledger").json()
    (q,) = view["questions"]
    assert [f["forecast"]["p"] for f in q["forecasts"]] == [0.3, 0.6]
    brier = view["scores"]["questions"]["Q-DEAL-2027"]["scores"]["war"]["brier"]
    assert brier == pytest.approx((10 * 0.49 + 17 * 0.16) / 27)  # time-averaged, as the report
    assert sum(view["reliability"]["war"]["count"]) == 1
    off = client.get("/api/ledger")
    assert off.status_code == 404 and "--ledger" in off.json()["error"]
    with pytest.raises(InputError, match="no such ledger"):
        create_app([SCENARIOS], ledger=tmp_path / "absent.sqlite")


def test_citations_are_read_from_the_articles_at_request_time(tmp_path):
    folder = cited_folder(tmp_path)
    api = TestClient(create_app([folder]))
    shown = api.get("/api/scenarios/selva/citations").json()
    draft = shown["draft#4"]
    spans = [draft["text"][n["start"]:n["end"]] for n in draft["numbers"]]
    assert "18%" in spans and any("4.2 billion" in s for s in spans)
    assert "missing" in shown["draft#99"] and "text" not in shown["draft#99"]
    (folder / "water-treaty-1.txt").unlink()  # read per request: a removed article is said so
    again = api.get("/api/scenarios/selva/citations").json()
    assert again["draft#4"] == {"missing": "article file water-treaty-1.txt not found"}
    assert api.get("/api/scenarios/nope/citations").status_code == 404


# -- in a real browser ----------------------------------------------------------------------------

def _headline(page, selector: str) -> dict[int, float]:
    """The agreement plot's headline, P(deal in force) at each checkpoint (SVG text)."""
    text = " ".join(page.locator(f"{selector} svg.main-svg").all_text_contents())
    found = dict(re.findall(r"week (\d+): ([0-9.]+)%", text))
    assert found, text
    return {int(w): float(p) for w, p in found.items()}


def _curve(page, selector: str) -> str:
    """The SVG path of the plot's first line trace (the agreement curve)."""
    return page.locator(f"{selector} .scatterlayer .trace path.js-line").first.get_attribute("d")


def test_dashboard_reacts_to_a_lever(browser, live_server):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(live_server + "/")
    page.wait_for_selector("body[data-ready=yes]", timeout=60_000)
    page.wait_for_selector("#agreement-plot svg.main-svg")
    page.select_option("#hypothesis", "pressure-works")
    page.wait_for_function("document.body.dataset.simulations === '2'", timeout=60_000)
    before = _headline(page, "#agreement-plot"), _curve(page, "#agreement-plot")
    page.check("#lever-oil-sanctions")
    page.wait_for_function("document.body.dataset.simulations === '3'", timeout=60_000)
    after = _headline(page, "#agreement-plot"), _curve(page, "#agreement-plot")
    # the coupled flagship has no deal at week 26 (Russia's red lines): the headline gives
    # every checkpoint to the horizon, and the lever shows at week 104 (under pressure-works
    # it lowers P(deal)), as in the curve's SVG path
    assert list(before[0]) == list(after[0]) == [13, 26, 52, 104]
    assert before[0][26] == after[0][26] == 0.0
    assert after[0][104] < before[0][104]
    assert before[1] != after[1]
    assert page.locator("#negotiation-plot svg.main-svg").count() >= 1
    assert page.locator("#negotiation-plot .scatterlayer .trace").count() >= 5
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"))
    assert not errors
    page.close()


def test_report_renders_offline(browser, tmp_path):
    from typer.testing import CliRunner

    from detente.cli import app

    out = tmp_path / "report.html"
    r = CliRunner().invoke(app, ["report", str(SCENARIOS / "ukraine-2025.yaml"), "-o", str(out),
                                 "--runs", "500", "--draws", "20"])
    assert r.exit_code == 0, r.output
    assert "<script src=" not in out.read_text()  # everything is inlined
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    remote: list[str] = []
    page.on("request", lambda req: remote.append(req.url)
            if not req.url.startswith(("file:", "data:")) else None)
    page.route("**/*", lambda route: route.abort() if not route.request.url.startswith("file:")
               else route.continue_())  # offline: any network request fails
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(out.as_uri())
    page.wait_for_selector("body[data-rendered=yes]", timeout=60_000)
    assert page.locator("#effects svg.main-svg").count() >= 1  # the coupled lever effects
    assert page.locator("div.hypothesis #deal-2 .scatterlayer .trace").count() >= 3
    assert page.locator("svg.main-svg").count() > 40
    assert "Provenance" in page.content()
    assert remote == []
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=False)
    page.locator("#war").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "report-war.png"), full_page=False)
    assert not errors
    page.close()

