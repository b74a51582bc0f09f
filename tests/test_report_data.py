"""What the report shows, as plain data, and the HTML the templates make of it."""

from __future__ import annotations

from pathlib import Path

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
    assert {m for m, r in runs.items() if r.get("one_round")} == {"mean", "median", "nash", "ks"}
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


# -- the parts read at report time: cited paragraphs, sensitivity, the forecast ledger ----------

ARTICLE = FIXTURES / "evidence" / "water-treaty-1.txt"  # our own article (fixtures/evidence)


def cited_scenario(tmp_path, with_article: bool = True):
    """The minimal scenario citing paragraph 4 of our own article, beside it in ``tmp_path``."""
    import shutil

    text = (FIXTURES / "minimal.yaml").read_text()
    text = text.replace("{id: src, title: A test source, date: 2025-01-01}",
                        "{id: src, title: A test source, date: 2025-01-01, file: article.txt}")
    text = text.replace("paragraph: 1,", "paragraph: 4,")
    path = tmp_path / "cited.yaml"
    path.write_text(text)
    if with_article:
        shutil.copy(ARTICLE, tmp_path / "article.txt")
    return path


def test_cited_paragraph_text_is_read_from_the_article_with_its_numbers(tmp_path):
    from detente.report import marked
    from detente.report.data import cited_text

    path = cited_scenario(tmp_path)
    shown = cited_text(load_scenario(path), path)["src#4"]
    spans = [shown["text"][n["start"]:n["end"]] for n in shown["numbers"]]
    assert "18%" in spans and any("4.2 billion" in s for s in spans)
    html = str(marked(shown))
    assert "<mark>18%</mark>" in html and html.count("<mark>") == len(spans)
    assert "&lt;x&gt;" in str(marked({"text": "<x> 5", "numbers": []}))  # the text is escaped


def test_a_missing_article_file_is_said_not_invented(tmp_path):
    from detente.report.data import cited_text, report_document

    path = cited_scenario(tmp_path, with_article=False)
    shown = cited_text(load_scenario(path), path)["src#4"]
    assert shown == {"missing": "article file article.txt not found"}
    data = report_document(load_scenario(path), path, draws=3)
    assert "article file article.txt not found" in render_report(data)


def test_report_hover_shows_the_paragraph_with_marked_numbers(tmp_path):
    from detente.report.data import report_document

    path = cited_scenario(tmp_path)
    html = render_report(report_document(load_scenario(path), path, draws=3))
    assert '<span class="para-text">' in html and "<mark>18%</mark>" in html


def test_sensitivity_section_has_one_bar_per_input_with_paired_intervals():
    from detente.analysis.report_data import sensitivity_section

    sc = load_scenario(SCENARIOS.parent / "tests" / "fixtures" / "war-2025.yaml")
    out = sensitivity_section(sc, "p_deal@26", runs_per_sample=40, samples=4)
    t = out["tornado"]
    assert len(t["bars"]) == len(t["inputs"]) >= 5
    assert {b["evidence"] for b in t["bars"]} <= {"cited", "inferred", "assumption", "none"}
    for b in t["bars"]:  # the paired interval of each bar end holds its estimate
        assert b["low_ci95"][0] <= b["low"] + 1e-12 <= b["low_ci95"][1] + 2e-12
        assert b["high_ci95"][0] <= b["high"] + 1e-12 <= b["high_ci95"][1] + 2e-12
    swings = [b["swing"] for b in t["bars"]]
    assert swings == sorted(swings, reverse=True)
    rows = {r["option"]: r for r in out["robust"]["ranking"]}
    assert set(rows) == {"(none)", *(lv.id for lv in sc.levers)}
    assert rows["(none)"]["expected"] == 0.0 and rows["(none)"]["worst"] == 0.0


def test_sensitivity_needs_a_war_part():
    from detente.analysis.report_data import sensitivity_section
    from detente.errors import InputError

    with pytest.raises(InputError, match="war part"):
        sensitivity_section(load_scenario(SCENARIOS / "bdm1994-emissions.yaml"), "p_deal@26")


QUESTION = {"id": "Q-DEAL-2027", "version": 1, "text": "Is a deal in force on 2027-06-30?",
            "type": "binary", "options": None, "ordered": False,
            "event_definition": "A signed settlement in force on 2027-06-30.",
            "resolution_source": "Reuters and AP", "open_date": "2026-01-01",
            "close_date": "2026-01-31", "resolve_by": "2027-06-30T00:00:00Z",
            "ambiguity_rule": "annul"}


def small_ledger(path):
    """A ledger with two forecasts (p 0.3 on 5 January, 0.6 on 15 January) of one binary
    question that resolved yes."""
    import datetime as dt

    from detente.forecast.ledger import open_ledger

    ledger = open_ledger(path)
    for day, p in ((5, 0.3), (15, 0.6)):
        ledger.append("forecast", QUESTION, "war", {}, {}, {"p": p}, {"uniform": {"p": 0.5}},
                      created_at=dt.datetime(2026, 1, day, tzinfo=dt.UTC))
    ledger.append("resolution", QUESTION, "", {}, {}, {"outcome": True, "source": "AP"}, {},
                  created_at=dt.datetime(2027, 7, 1, tzinfo=dt.UTC))
    return path


def test_ledger_section_scores_the_forecasts_over_time(tmp_path):
    from detente.errors import InputError
    from detente.report.data import ledger_section

    view = ledger_section(small_ledger(tmp_path / "ledger.sqlite"))
    (q,) = view["questions"]
    assert q["id"] == "Q-DEAL-2027" and [f["forecast"]["p"] for f in q["forecasts"]] == [0.3, 0.6]
    # time-averaged Brier: 10 days at (1 - 0.3)^2, then 17 days (to the close, 31 Jan) at 0.4^2
    brier = view["scores"]["questions"]["Q-DEAL-2027"]["scores"]["war"]["brier"]
    assert brier == pytest.approx((10 * 0.49 + 17 * 0.16) / 27)
    assert sum(view["reliability"]["war"]["count"]) == 1
    with pytest.raises(InputError, match="no such ledger"):
        ledger_section(tmp_path / "absent.sqlite")


@pytest.mark.parametrize(("args", "message"), [
    (["bdm1994-emissions.yaml", "--sensitivity", "p_deal@26"], "needs a scenario with a war"),
    (["ukraine-2025.yaml", "--sensitivity", "p_deal@9999"], "week must lie in"),
    (["ukraine-2025.yaml", "--ledger", "absent.sqlite"], "no such ledger file"),
    (["ukraine-2025.yaml", "--sensitivity", "p_partial@26:nope"], "unknown partial deal"),
])
def test_report_options_refuse_bad_input_before_running(tmp_path, args, message):
    from typer.testing import CliRunner

    from detente.cli import app

    name, *rest = args
    rest = [str(tmp_path / a) if a.endswith(".sqlite") else a for a in rest]
    r = CliRunner().invoke(app, ["report", str(SCENARIOS / name), "-o", str(tmp_path / "r.html"),
                                 *rest])
    assert r.exit_code == 2 and message in r.output
    assert not (tmp_path / "r.html").exists()


def test_sensitivity_without_levers_says_the_ranking_was_not_run():
    from detente.analysis.report_data import sensitivity_section

    sc = load_scenario(SCENARIOS.parent / "tests" / "fixtures" / "war-2025.yaml")
    sc = sc.model_copy(update={"levers": ()})
    out = sensitivity_section(sc, "p_deal@12", runs_per_sample=20)
    assert "robust" not in out and "no levers" in out["robust_skipped"]
    assert len(out["tornado"]["bars"]) == len(out["tornado"]["inputs"])


def test_report_warns_when_cited_articles_are_not_found(tmp_path, monkeypatch):
    """The flagship names its articles as ``../shared/corpus/...`` from the repository root;
    made from another folder, the report showed every cited paragraph as missing without a
    word. It now says so, once per article, with how many paragraphs it leaves out."""
    from typer.testing import CliRunner

    from detente.cli import app

    monkeypatch.chdir(tmp_path)  # neither the scenario's folder nor the repository root
    r = CliRunner().invoke(app, ["report", str(SCENARIOS / "ukraine-2025.yaml"), "-o",
                                 str(tmp_path / "r.html"), "--runs", "10", "--draws", "2"])
    assert r.exit_code == 0, r.output
    sc = load_scenario(SCENARIOS / "ukraine-2025.yaml")
    files = {Path(s.file).name for s in sc.sources if s.file}
    warned = [line for line in r.output.splitlines() if "shown without" in line]
    assert len(warned) == len(files) and all(any(f in w for w in warned) for f in files)
    assert all("not found" in w and "working directory" in w for w in warned)


def test_missing_text_warnings_count_paragraphs_per_reason():
    from detente.report.data import missing_text_warnings

    cited = {"a#1": {"missing": "article file x.txt not found"},
             "a#2": {"missing": "article file x.txt not found"},
             "b#9": {"missing": "b.txt has no paragraph 9"},
             "c#1": {"text": "present", "numbers": [], "quotes": []}}
    out = missing_text_warnings(cited)
    assert out[0].startswith("2 cited paragraphs shown without their text: article file x.txt")
    assert out[1] == "1 cited paragraph shown without its text: b.txt has no paragraph 9"
    assert missing_text_warnings({"c#1": cited["c#1"]}) == []
