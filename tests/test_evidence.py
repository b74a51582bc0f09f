"""Evidence extraction: reading articles, the four kinds of items, mentions, bad input."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("spacy")

from detente.cli import app
from detente.evidence.extract import extract
from detente.evidence.read import read_article

HERE = Path(__file__).parent / "fixtures" / "evidence"
WED = dt.date(2026, 3, 4)  # a Wednesday
runner = CliRunner()


def one_paragraph(tmp_path: Path, text: str, date: dt.date | None = WED):
    f = tmp_path / "a.txt"
    f.write_text(text + "\n", encoding="utf-8")
    return extract(read_article(f, date)).paragraphs[0]


def test_paragraphs_are_the_non_empty_lines_title_included():
    a = read_article(HERE / "water-treaty-1.txt")
    raw = (HERE / "water-treaty-1.txt").read_text(encoding="utf-8").splitlines()
    assert len(raw) > len(a.paragraphs) == 9  # blank lines do not count
    assert a.paragraphs[0] == raw[0]  # the title is paragraph 1
    assert a.date == WED and a.date_from == "text"  # "Published 4 March 2026"


def test_html_is_reduced_to_its_article_text():
    a = read_article(HERE / "water-treaty-2.html")
    assert a.paragraphs[0] == "Selva treaty signed after all-night session"
    assert len(a.paragraphs) == 7
    assert not any("Home" in p or "©" in p for p in a.paragraphs)  # nav and footer dropped
    assert a.date == dt.date(2026, 5, 12) and a.date_from == "metadata"


@pytest.mark.parametrize(("text", "value", "unit"), [
    ("It will cost $4.2 billion.", 4.2e9, "USD"),
    ("They ship two million tonnes a year.", 2e6, "tonne"),
    ("Turnout fell to 18% in May.", 18, "%"),
    ("There are about 1,200 soldiers left.", 1200, "soldier"),
    ("The front moved nine miles west.", 9, "mile"),
    ("A $50B drone deal was floated.", 5e10, "USD"),
    ("Aid of €300 million arrived.", 3e8, "EUR"),
])
def test_numbers_have_values_scales_and_units(tmp_path, text, value, unit):
    (n,) = one_paragraph(tmp_path, text).numbers
    assert n.value == pytest.approx(value) and n.unit == unit


def test_approximation_words_stay_in_the_text_but_not_the_value(tmp_path):
    (n,) = one_paragraph(tmp_path, "There are about 1,200 soldiers left.").numbers
    assert n.text == "about 1,200 soldiers" and n.value == 1200


@pytest.mark.parametrize("text", ["Support rose from 10 to 20 percent.",
                                  "Support is 10-20% now.",
                                  "Support is between 10 and 20 percent.",
                                  "Support went from 10% to 20% in a year."])
def test_ranges_are_kept_as_ranges_not_averaged(tmp_path, text):
    (n,) = one_paragraph(tmp_path, text).numbers
    assert n.value == (10, 20) and n.unit == "%"


def test_different_units_do_not_make_a_range(tmp_path):
    p = one_paragraph(tmp_path, "The economy grew 3% to $30 billion.")
    assert [(n.value, n.unit) for n in p.numbers] == [(3, "%"), (3e10, "USD")]


def test_years_days_of_month_and_words_without_units_are_not_numbers(tmp_path):
    p = one_paragraph(tmp_path, "On 12 August 2025 they met one on one, as in 1959.")
    assert p.numbers == []


@pytest.mark.parametrize(("text", "iso", "partial"), [
    ("They met on Wednesday.", "2026-03-04", False),
    ("They meet next Tuesday.", "2026-03-10", False),
    ("It was signed on 28 February.", "2026-02-28", False),
    ("A text is due by the end of June.", "2026-06-30", False),
    ("Flows fell in January.", "2026-01", True),
    ("Crops failed last year.", "2025", True),
    ("Talks began in 2019.", "2019", True),
    ("A reply is due by Friday.", "2026-03-06", False),
    ("They spoke on Friday.", "2026-02-27", False),
    ("It was set off by Monday's call.", "2026-03-02", False),
])
def test_dates_resolve_against_the_article_date(tmp_path, text, iso, partial):
    (d,) = one_paragraph(tmp_path, text).dates
    assert (d.date, d.partial) == (iso, partial)


def test_relative_dates_without_an_article_date_stay_unresolved(tmp_path):
    p = one_paragraph(tmp_path, "They meet next Tuesday, as agreed on 3 May 2024.", date=None)
    assert [(d.text, d.date) for d in p.dates] == [("next Tuesday", None),
                                                   ("3 May 2024", "2024-05-03")]


def test_quotes_named_unnamed_split_and_scare(tmp_path):
    text = ("\"We are close,\" said the chief negotiator, Mira Tolen, \"but not there.\" "
            "“It will hold,” an official said. Critics fear a “collapse” of the talks.")
    quotes = one_paragraph(tmp_path, text).quotes
    assert [(q.speaker, q.text) for q in quotes] == [
        ("Mira Tolen", "We are close, but not there."),  # one quote around its attribution
        (None, "It will hold,"),  # an unnamed official
    ]  # the one-word scare quote is not a quote


def test_he_said_is_the_person_named_before(tmp_path):
    text = ("The minister, Joren Vask, was cautious. “Nothing is agreed yet,” he told "
            "reporters.")
    (q,) = one_paragraph(tmp_path, text).quotes
    assert q.speaker == "Joren Vask"


def test_scenario_mentions_cover_names_aliases_and_inflections():
    from detente.scenario import load_scenario

    sc = load_scenario(HERE / "selva.yaml")
    ex = extract(read_article(HERE / "water-treaty-2.html"), sc)
    found = {(m.kind, m.id, m.text) for p in ex.paragraphs for m in p.mentions}
    assert ("actor", "BE", "Bestavian") in found  # inflected form
    assert ("actor", "BC", "mediator") in found  # declared alias
    assert ("actor", "BC", "Basin Commission") in found  # name
    assert ("issue", "flow-share", "dry-season flow") in found  # issue alias
    assert ("issue", "reservoir", "reservoir") in found  # issue id


def test_a_mention_at_the_end_of_a_sentence_leaves_the_full_stop(tmp_path):
    from detente.scenario import load_scenario

    f = tmp_path / "a.txt"
    f.write_text("Talks went on with Bestavia. The U.S. watched Aranor's envoy.\n")
    (p,) = extract(read_article(f), load_scenario(HERE / "selva.yaml")).paragraphs
    assert [(m.id, m.text) for m in p.mentions] == [("BE", "Bestavia"), ("AR", "Aranor's")]


def test_people_and_organisations_without_a_scenario():
    ex = extract(read_article(HERE / "water-treaty-1.txt"))
    found = {(m.kind, m.id) for p in ex.paragraphs for m in p.mentions}
    assert {("person", "Mira Tolen"), ("person", "Elena Rusk"),
            ("org", "Basin Commission")} <= found


def test_cli_json_has_exactly_the_documented_shape():
    r = runner.invoke(app, ["evidence", "extract", str(HERE / "water-treaty-1.txt"), "--json"])
    assert r.exit_code == 0, r.output
    (a,) = json.loads(r.stdout)["articles"]
    assert list(a) == ["path", "sha256", "date", "paragraphs", "quotes", "numbers", "dates",
                       "mentions"]
    assert a["date"] == "2026-03-04" and a["paragraphs"] == 9
    assert list(a["quotes"][0]) == ["paragraph", "speaker", "text"]
    assert list(a["numbers"][0]) == ["paragraph", "value", "unit", "text"]
    assert list(a["dates"][0]) == ["paragraph", "date", "partial", "text"]
    assert list(a["mentions"][0]) == ["paragraph", "kind", "id", "text"]
    assert {"paragraph": 4, "value": 4200000000, "unit": "USD", "text": "$4.2 billion"} \
        in a["numbers"]


def test_cli_warns_when_relative_dates_cannot_be_resolved(tmp_path):
    f = tmp_path / "undated.txt"
    f.write_text("They meet next Tuesday.\n", encoding="utf-8")
    r = runner.invoke(app, ["evidence", "extract", str(f), "--json"])
    assert r.exit_code == 0
    assert "1 relative date(s) left unresolved" in r.stderr and "--date" in r.stderr
    assert json.loads(r.stdout)["articles"][0]["dates"][0]["date"] is None


@pytest.mark.parametrize(("content", "message"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
    (b"\n  \n\t\n", "the article is empty"),
    ("Caf\u00e9 talks".encode("latin-1"), "cannot read the text as utf-8"),
    (b"<html><body><script>var a = 1;</script><img src=\"x.png\"></body></html>",
     "no article text found"),
])
def test_bad_articles_exit_2_with_one_located_error(tmp_path, content, message):
    f = tmp_path / ("page.html" if b"<html" in content else "bad.txt")
    f.write_bytes(content)
    r = runner.invoke(app, ["evidence", "extract", str(f)])
    assert r.exit_code == 2
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and str(f) in lines[0] and message in lines[0], r.stderr


def test_bad_date_option_and_bad_scenario_exit_2(tmp_path):
    article = str(HERE / "water-treaty-1.txt")
    r = runner.invoke(app, ["evidence", "extract", article, "--date", "2026-13-01"])
    assert r.exit_code == 2 and "--date must be a calendar date" in r.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("detente: 1\nname: x\nissues: []\nactors: []\nstances: []\n")
    for cmd in (["extract", article, "--scenario", str(bad)], ["check", str(bad), article],
                ["suggest", str(bad), article]):
        r = runner.invoke(app, ["evidence", *cmd])
        assert r.exit_code == 2 and "bad.yaml" in r.stderr and "Traceback" not in r.output


def test_aliases_are_optional_and_typed():
    from detente.errors import InputError
    from detente.scenario import load_scenario

    sc = load_scenario(HERE / "selva.yaml")
    assert sc.actors[2].aliases == ("mediator",) and sc.actors[0].aliases == ()
    from detente.scenario.load import validate_document

    doc = {"detente": 1, "name": "x", "issues": [{"id": "i", "name": "I", "aliases": 3}],
           "actors": [{"id": "a", "name": "A", "capability": 1},
                      {"id": "b", "name": "B", "capability": 1}],
           "stances": [{"actor": "a", "issue": "i", "position": 1, "salience": 1}]}
    with pytest.raises(InputError, match="aliases"):
        validate_document(doc, None, {})


def test_missing_article_file_exits_2(tmp_path):
    r = runner.invoke(app, ["evidence", "extract", str(tmp_path / "nope.txt")])
    assert r.exit_code == 2 and "no such file" in r.stderr


def test_quote_text_with_brackets_prints_as_written(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text('"We said [bold]no[/bold] to that plan," said Mira Tolen.\n', encoding="utf-8")
    r = runner.invoke(app, ["evidence", "extract", str(f)], env={"COLUMNS": "200"})
    assert r.exit_code == 0 and "[bold]no[/bold]" in r.stdout


def test_the_cli_starts_without_loading_the_nlp_stack():
    import subprocess
    import sys

    code = ("import sys, detente.cli as c; c.app(['--help'], standalone_mode=False); "
            "print(sorted(m for m in ('spacy', 'dateparser', 'trafilatura', 'rank_bm25') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**__import__("os").environ, "COLUMNS": "80"})
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_utf16_and_utf8_with_byte_order_marks_read_alike(tmp_path):
    text = "Talks resumed on Wednesday.\n\nBestavia asked for 18% of the flow.\n"
    for codec in ("utf-16", "utf-8-sig"):
        f = tmp_path / f"{codec}.txt"
        f.write_bytes(text.encode(codec))
        a = read_article(f, WED)
        assert a.paragraphs == ("Talks resumed on Wednesday.",
                                "Bestavia asked for 18% of the flow.")
