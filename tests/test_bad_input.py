"""Every kind of bad input gets exit status 2 and one clear, located message (issue 2, item 7)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import app

from .conftest import FIXTURES

runner = CliRunner()
MINIMAL = (FIXTURES / "minimal.yaml").read_text()


def _write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _fails(path: Path, *needles: str, command: str = "validate") -> str:
    result = runner.invoke(app, [command, str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    text = " ".join(result.output.split())  # rich may wrap long lines
    for needle in needles:
        assert needle in text, f"{needle!r} not in {text!r}"
    return text


def test_minimal_is_valid():
    result = runner.invoke(app, ["validate", str(FIXTURES / "minimal.yaml")])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_malformed_yaml(tmp_path):
    _fails(_write(tmp_path, "name: [unclosed\nissues: 3\n"), "malformed YAML", "s.yaml:")


def test_malformed_json(tmp_path):
    _fails(_write(tmp_path, '{"name": "x",\n "issues": [}\n', "s.json"), "malformed JSON",
           "s.json:2")


def test_json_nan_constant(tmp_path):
    _fails(_write(tmp_path, '{"name": NaN}', "s.json"), "NaN", "not allowed")


def test_malformed_bdm_csv(tmp_path):
    path = _write(tmp_path, "actor,capability,position,salience\nA,1,4,50\nB,one,7,40\n",
                  "e.csv")
    _fails(path, "e.csv:3", "capability", "expected a number", "'one'")


def test_malformed_ktab_csv(tmp_path):
    path = _write(tmp_path, "s,d,3,1\nActor,Desc,Power,P,S\nA,a,1,50,50\nB,b,1,60,50\n", "k.csv")
    _fails(path, "k.csv:1", "announces 3 actors", "2 actor rows")


def test_malformed_decide(tmp_path):
    text = "#A\ta\n#A\tb\n#P\tp\n#D\ta\tp\t50\t0.5\t1\n#D\tc\tp\t50\t0.5\t1\n"
    _fails(_write(tmp_path, text, "d.txt"), "d.txt:5", "actor 'c'", "no #A row defines")


def test_missing_field(tmp_path):
    _fails(_write(tmp_path, MINIMAL.replace("    name: Territory\n", "")),
           "issues[0].name", "required field is missing")


def test_unknown_field_lists_allowed(tmp_path):
    text = MINIMAL.replace("    name: Actor C\n", "    name: Actor C\n    colour: red\n")
    out = _fails(_write(tmp_path, text), "actors[2].colour", "unknown field 'colour'",
                 "allowed:", "capability")
    line = text.splitlines().index("    colour: red") + 1
    assert f"s.yaml:{line}:" in out  # the line of the offending key


def test_wrong_type(tmp_path):
    text = MINIMAL.replace("    capability: 1\n", "    capability: lots\n")
    _fails(_write(tmp_path, text), "actors[2].capability", "expected a number", "'lots'")


@pytest.mark.parametrize("bad", [".nan", ".inf", "-.inf"])
def test_non_finite(tmp_path, bad):
    text = MINIMAL.replace("    capability: 1\n", f"    capability: {bad}\n")
    _fails(_write(tmp_path, text), "actors[2].capability", "finite")


def test_position_outside_scale(tmp_path):
    text = MINIMAL.replace("position: 55,", "position: 120,")
    _fails(_write(tmp_path, text), "stances[2].position", "must lie in [0, 100]", "120")


def test_uncertain_position_outside_scale(tmp_path):
    text = MINIMAL.replace("{dist: uniform, lo: 70, hi: 90}", "{dist: uniform, lo: 70, hi: 190}")
    _fails(_write(tmp_path, text), "stances[1].position", "must lie in [0, 100]")


def test_salience_outside_range(tmp_path):
    text = MINIMAL.replace("position: 10, salience: 0.9", "position: 10, salience: 1.9")
    _fails(_write(tmp_path, text), "stances[0].salience", "must lie in [0, 1]", "1.9")


def test_negative_capability(tmp_path):
    text = MINIMAL.replace("    capability: 1\n", "    capability: -1\n")
    _fails(_write(tmp_path, text), "actors[2].capability", "capability must lie in [0, inf]")


def test_zero_total_capability(tmp_path):
    strong = '{value: 2, cite: [{source: src, paragraph: 1, says: "A is strong"}]}'
    text = (MINIMAL.replace(strong, "0")
            .replace("{dist: triangular, lo: 0.5, mode: 1, hi: 2, assumption: guess}", "0")
            .replace("    capability: 1\n", "    capability: 0\n"))
    _fails(_write(tmp_path, text), "total capability", "must be > 0")


def test_issue_without_weight(tmp_path):
    text = MINIMAL
    for before in ("position: 5, salience: 0.3", "position: 15, salience: 0.4",
                   "hi: 20}, salience: 0.5"):
        text = text.replace(before, before.rsplit(" ", 1)[0] + " 0")
    _fails(_write(tmp_path, text), "issues[1].id", "capability x salience", "'money'")


def test_undefined_actor(tmp_path):
    text = MINIMAL.replace("{actor: C, issue: money", "{actor: Z, issue: money")
    _fails(_write(tmp_path, text), "stances[5].actor", "actor is not defined", "'Z'",
           "defined: A, B, C")


def test_undefined_issue(tmp_path):
    text = MINIMAL.replace("{actor: C, issue: money", "{actor: C, issue: water")
    _fails(_write(tmp_path, text), "stances[5].issue", "issue is not defined", "'water'")


def test_duplicate_ids(tmp_path):
    text = MINIMAL.replace("  - id: C\n    name: Actor C", "  - id: B\n    name: Actor C")
    _fails(_write(tmp_path, text), "actors[2].id", "duplicate id", "'B'")


def test_duplicate_stance(tmp_path):
    text = MINIMAL.replace("{actor: C, issue: money", "{actor: B, issue: money")
    _fails(_write(tmp_path, text), "stances[5]", "duplicate stance")


def test_fewer_than_two_actors(tmp_path):
    text = """name: lonely
issues: [{id: x, name: X}]
actors: [{id: A, name: A, capability: 1}]
stances: [{actor: A, issue: x, position: 1, salience: 1}]
"""
    _fails(_write(tmp_path, text), "actors", "at least two actors")


def test_distribution_lo_above_hi(tmp_path):
    text = MINIMAL.replace("{dist: uniform, lo: 70, hi: 90}", "{dist: uniform, lo: 90, hi: 70}")
    _fails(_write(tmp_path, text), "stances[1].position", "lo (90.0) must not exceed hi (70.0)")


def test_distribution_missing_parameter(tmp_path):
    text = MINIMAL.replace("{dist: uniform, lo: 70, hi: 90}", "{dist: triangular, lo: 70, hi: 90}")
    _fails(_write(tmp_path, text), "stances[1].position", "needs field(s) mode")


def test_citation_of_unknown_source(tmp_path):
    text = MINIMAL.replace("cite: [{source: src,", "cite: [{source: nowhere,")
    _fails(_write(tmp_path, text), "actors[0].capability.cite[0].source", "unknown source")


def test_require_evidence(tmp_path):
    text = MINIMAL.replace("salience_scale: 1\n", "salience_scale: 1\nrequire_evidence: true\n")
    _fails(_write(tmp_path, text), "require_evidence is on", "actors[2].capability")


def test_duplicate_yaml_key(tmp_path):
    text = MINIMAL.replace("name: Minimal two-issue scenario\n",
                           "name: Minimal two-issue scenario\nname: again\n")
    _fails(_write(tmp_path, text), "s.yaml:3", "duplicate key")


def test_scale_low_not_below_high(tmp_path):
    text = MINIMAL.replace("    low: 0\n    high: 100\n", "    low: 100\n    high: 0\n")
    _fails(_write(tmp_path, text), "issues[0]", "low < high")


def test_missing_file(tmp_path):
    _fails(tmp_path / "nope.yaml", "nope.yaml", "file not found")


def test_unknown_model(tmp_path):
    result = runner.invoke(app, ["run", str(FIXTURES / "minimal.yaml"), "-m", "oracle"])
    assert result.exit_code == 2
    assert "unknown model" in result.output and "eum" in result.output


@pytest.mark.parametrize("model", ["war", "coupled"])
def test_run_refuses_a_war_model(model):
    """`detente run -m war` crashed in the text view (a war outcome has no negotiation
    diagnostics) and --json refused the result; it is refused before running, both through
    typer and through the direct path the console script takes for plain arguments."""
    scenario = str(FIXTURES / "war-2025.yaml")
    result = runner.invoke(app, ["run", scenario, "-m", model])
    assert result.exit_code == 2, result.output
    assert "war model" in result.output and "detente simulate" in result.output
    direct = subprocess.run([sys.executable, "-c", "from detente.cli import main; main()",
                             "run", scenario, "-m", model, "--json"],
                            capture_output=True, text=True)
    assert direct.returncode == 2 and direct.stdout == ""
    assert "war-2025.yaml: model:" in direct.stderr and "Traceback" not in direct.stderr


def test_unknown_option():
    result = runner.invoke(app, ["run", str(FIXTURES / "minimal.yaml"), "-O", "colour=red"])
    assert result.exit_code == 2
    assert "unknown option" in result.output


def test_rounds_on_static_model():
    result = runner.invoke(app, ["run", str(FIXTURES / "minimal.yaml"), "-m", "mean",
                                 "--rounds", "3"])
    assert result.exit_code == 2
    assert "has no rounds" in result.output


def test_nash_without_status_quo():
    result = runner.invoke(app, ["run", str(FIXTURES / "partial.yaml"), "-m", "nash"])
    assert result.exit_code == 2
    assert "needs a status quo" in result.output and "territory" in result.output


def test_bad_draws_count():
    result = runner.invoke(app, ["run", str(FIXTURES / "minimal.yaml"), "--draws", "0"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_import_writes_nothing_on_failure(tmp_path):
    src = _write(tmp_path, "actor,capability,position,salience\nA,x,1,1\n", "bad.csv")
    dest = tmp_path / "out.yaml"
    result = runner.invoke(app, ["import", str(src), "-o", str(dest)])
    assert result.exit_code == 2
    assert not dest.exists()
    assert list(tmp_path.iterdir()) == [src]


@pytest.mark.parametrize("target", ["missing-folder/x.csv", "missing-folder/x.parquet",
                                    "/proc/detente-x.csv", "/proc/detente-x.parquet"])
def test_out_that_cannot_be_written(tmp_path, target):
    """--out into a folder that does not exist, or one that refuses files, was a pandas or
    pyarrow traceback with exit 1; it is a located error, exit 2, and no file is left."""
    out = target if target.startswith("/") else str(tmp_path / target)
    result = runner.invoke(app, ["run", str(FIXTURES / "minimal.yaml"), "--out", out])
    assert result.exit_code == 2, result.output
    assert "out:" in result.output and Path(out).parent.name in result.output  # (values shorten)
    assert "Traceback" not in result.output and not Path(out).exists()
