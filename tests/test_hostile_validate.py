"""`detente validate` reports every error in one pass, and `--json` structures them (issue 18,
item 6)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from detente.cli import app

from .conftest import FIXTURES

runner = CliRunner()
MANY = FIXTURES / "hostile" / "many-errors.yaml"


def _json_errors(path) -> list[dict]:
    result = runner.invoke(app, ["validate", str(path), "--json"])
    assert result.exit_code == 2, result.output
    data = json.loads(result.stdout)
    assert data["valid"] is False
    return data["errors"]


def test_field_and_cross_field_errors_come_together():
    errors = _json_errors(MANY)
    fields = [e["field"] for e in errors]
    # two field errors (pydantic) and five cross-field errors (check_scenario) in one pass
    assert fields == ["issues[1].colour", "stances[4].position", "actors[1].capability",
                      "actors[2].capability", "stances[0].position", "stances[2].salience",
                      "stances[3].actor"]
    assert {e["line"] for e in errors} == {4, 14, 7, 8, 10, 12, 13}
    assert all(e["file"] == str(MANY) for e in errors)


def test_structured_errors_carry_value_and_allowed():
    by_field = {e["field"]: e for e in _json_errors(MANY)}
    assert by_field["stances[0].position"]["value"] == 500.0
    assert by_field["stances[0].position"]["allowed"] == [0.0, 100.0]
    assert "capability" in by_field["issues[1].colour"]["allowed"] or \
        "reference" in by_field["issues[1].colour"]["allowed"]
    assert by_field["issues[1].colour"]["value"] == "red"
    assert by_field["stances[3].actor"]["allowed"] == ["A", "B", "C"]


def test_unbounded_normal_says_something_true():
    by_field = {e["field"]: e for e in _json_errors(MANY)}
    message = by_field["actors[2].capability"]["message"]
    assert "[-inf, inf]" not in message
    assert "a normal distribution without bounds can be negative; give lo: 0" in message


def test_pydantic_bounds_are_reported_as_allowed(tmp_path):
    text = (FIXTURES / "minimal.yaml").read_text().replace("capability: 1\n",
                                                           "capability: 1.0e+300\n")
    path = tmp_path / "s.yaml"
    path.write_text(text)
    (err,) = _json_errors(path)
    assert err["allowed"] == "<= 1000000000000.0" and err["field"] == "actors[2].capability.value"


def test_parse_errors_in_json_mode_are_structured(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: [unclosed\n")
    (err,) = _json_errors(path)
    assert err["line"] is not None and "malformed YAML" in err["message"]


def test_text_mode_lists_them_all():
    result = runner.invoke(app, ["validate", str(MANY)])
    assert result.exit_code == 2
    assert result.output.count("error:") == 7
