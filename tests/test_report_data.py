"""What the report shows, as plain data, and the HTML the templates make of it."""

from __future__ import annotations

import pytest

from detente.analysis.report_data import REPORT_MODELS, report_data
from detente.report import render_report
from detente.scenario import load_scenario

from .conftest import FIXTURES, SCENARIOS


@pytest.fixture(scope="module")
def emissions():
    return report_data(load_scenario(SCENARIOS / "bdm1994-emissions.yaml"), draws=8)


@pytest.fixture(scope="module")
def ukraine():
    return report_data(load_scenario(SCENARIOS / "ukraine-2025.yaml"), runs=100, draws=4)


def test_every_registered_model_is_in_the_report():
    from detente.registry import negotiation_models

    assert set(REPORT_MODELS) == set(negotiation_models())


def test_one_round_models_are_forecasts_with_their_draws(emissions):
    runs = emissions["negotiation"]
    assert {m for m, r in runs.items() if r.get("one_round")} == {"mean", "median", "nash"}
    assert runs["nash"]["forecast"]["year"] == pytest.approx(10.0)  # the status quo, 10 years
    for run in runs.values():
        draws = run["forecast_draws"]["year"]
        assert len(draws) == 8 and draws[0] == pytest.approx(run["forecast"]["year"], abs=1e-4)
    band = runs["eum"]["bands"]["year"]
    assert len(band["p05"]) >= runs["eum"]["turns"] + 1  # every round, the longest draw's too
    assert all(a <= b for a, b in zip(band["p05"], band["p95"], strict=True))


def test_a_model_that_cannot_run_says_why(ukraine):
    assert "status quo" in ukraine["negotiation"]["nash"]["skipped"]


def test_levers_hypotheses_and_war_parameters_carry_their_evidence(ukraine):
    sc = ukraine["scenario"]
    assert len(sc["levers"]) == 9 and len(sc["hypotheses"]) == 2  # flamingo, secondary-tariffs
    oil = next(lv for lv in sc["levers"] if lv["id"] == "oil-sanctions")
    assert oil["evidence"][0]["source"] == "ofac-2025-10-22"
    assert oil["effects"][0]["param"] == "R.cost" and oil["effects"][0]["add"]["dist"]
    rows = {r["path"]: r for r in sc["war"]}
    assert rows["front.start"]["point"] == 11 and rows["front.start"]["evidence"][0]["paragraph"]


def test_html_shows_tables_and_skipped_models_and_escapes_text(ukraine, emissions):
    html = render_report(ukraine)
    assert 'id="skipped-nash"' in html and 'id="levers-table"' in html
    assert html.count('<tr><td><b>') >= 7 + 2  # one row per lever and hypothesis
    assert "para 13" in html  # hover text: source, paragraph, paraphrase
    doc = {**emissions, "scenario": {**emissions["scenario"], "name": "<script>x</script>"}}
    assert "<title>detente report: &lt;script&gt;x&lt;/script&gt;</title>" in render_report(doc)
    assert 'id="war"' not in render_report(emissions)


def test_minimal_scenario_renders(tmp_path):
    data = report_data(load_scenario(FIXTURES / "minimal.yaml"), draws=3)
    assert "forecast-1" in render_report(data)
