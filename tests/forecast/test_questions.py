"""Question files: the clairvoyance fields validate, and every bad field is located."""

from pathlib import Path

import pytest

from detente.errors import InputError
from detente.forecast.questions import load_questions

FIX = Path(__file__).parents[1] / "fixtures" / "forecast"


def test_good_file_loads_with_time_zone_and_bounds() -> None:
    qs = load_questions(FIX / "good.yaml")
    assert [q.id for q in qs] == ["Q-TEST-CEASEFIRE", "Q-TEST-DONETSK"]
    # 23:59 at UTC+1 is still 31 December in UTC
    assert str(qs[1].resolve_date) == "2031-12-31"
    assert qs[1].bounds.upper.tail == "closed"


def test_bad_file_reports_every_problem_with_line_and_field() -> None:
    with pytest.raises(InputError) as info:
        load_questions(FIX / "bad.yaml")
    text = info.value.render().splitlines()
    expect = [
        ("bad.yaml:7:", "questions[0].options", "binary question has no options"),
        ("bad.yaml:9:", "questions[0].close_date", "must not be after resolve_by"),
        ("bad.yaml:17:", "questions[1].bounds.upper.tail", "'open' or 'closed'"),
        ("bad.yaml:20:", "questions[1].resolve_by", "timezone"),
        ("bad.yaml:21:", "questions[1].ambiguity_rule", "allowed: annul, resolve_no"),
    ]
    assert len(text) == len(expect)
    for line, (where, field, what) in zip(text, expect, strict=True):
        assert where in line and field in line and what in line, line


def test_duplicate_ids_and_inverted_bounds(tmp_path: Path) -> None:
    good = (FIX / "good.yaml").read_text()
    f = tmp_path / "q.yaml"
    f.write_text(good.replace("Q-TEST-DONETSK", "Q-TEST-CEASEFIRE")
                 .replace("upper: {value: 100}", "upper: {value: -5}"))
    with pytest.raises(InputError) as info:
        load_questions(f)
    text = info.value.render()
    assert "questions[1].bounds.upper.value: upper bound must exceed" in text
    # the second question fails its bounds, so the duplicate id is not reached; fix bounds:
    f.write_text(good.replace("Q-TEST-DONETSK", "Q-TEST-CEASEFIRE"))
    with pytest.raises(InputError, match=r"questions\[1\]\.id: question ids must be distinct"):
        load_questions(f)


def test_cli_exit_code_2_on_bad_questions() -> None:
    from typer.testing import CliRunner

    from detente.cli import app

    res = CliRunner().invoke(app, ["forecast", str(FIX / "bad.yaml"), "--scenario",
                                   "scenarios/ukraine-2025.yaml"])
    assert res.exit_code == 2
    assert "bad.yaml:7: questions[0].options" in res.output
