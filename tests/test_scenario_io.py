"""Importers, format detection, round trips and the JSON Schema."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from detente.cli import app
from detente.scenario import load_scenario
from detente.scenario.load import detect_format
from detente.scenario.write import dump_scenario

from .conftest import FIXTURES, SCENARIOS

runner = CliRunner()


def test_bdm_csv_matches_shipped_yaml():
    csv = load_scenario(FIXTURES / "bdm1994-emissions.csv")
    yaml_ = load_scenario(SCENARIOS / "bdm1994-emissions.yaml")
    assert csv.salience_scale == 100
    assert [a.name for a in csv.actors] == [a.name for a in yaml_.actors]
    for a, b in zip(csv.stances, yaml_.stances, strict=True):
        assert a.position.point() == b.position.point()
        assert a.salience.point() == b.salience.point()


def test_bdm_csv_cr_line_endings_and_case(tmp_path):
    path = tmp_path / "mac.csv"
    path.write_bytes(b'"Actor","Capability","Position","Salience"\rA,1,4,0.8\rB,2,10,0.5\r')
    s = load_scenario(path)
    assert [a.id for a in s.actors] == ["A", "B"]
    assert s.salience_scale == 1
    assert (s.issues[0].low, s.issues[0].high) == (4, 10)


def test_ktab_csv(tmp_path):
    path = tmp_path / "k.csv"
    path.write_text("Demo,desc,3,2,\nActor,Description,Power,Pstn1,Sal1,Policy Position,Sal2,\n"
                    "A, a, 10, 10, 40, 20, 30,\nB, b, 20, 50, 50, 60, 20,\nC,c,5,90,10,80,10\n")
    s = load_scenario(path)
    assert detect_format(path, path.read_text()) == "ktab-csv"
    assert [i.id for i in s.issues] == ["Pstn1", "Policy"]
    assert s.salience_scale == 100
    assert s.stance("B", "Policy").position.point() == 60


def test_decide_rows_keep_scale_points(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("'#A'\t'x'\t'X'\n'#A'\t'y'\t'Y'\n'#P'\t'i'\t'Issue'\n"
                    "'#M'\t'i'\t0.5\t'low'\n'#M'\t'i'\t3\t'mid'\n'#M'\t'i'\t7\n"
                    "'#D'\t'x'\t'i'\t1.0\t0.7\t1.0\n'#D'\t'y'\t'i'\t6.0\t0.5\t0.4\n")
    s = load_scenario(path)
    issue = s.issues[0]
    assert (issue.low, issue.high) == (0.5, 7)
    assert issue.points == {0.5: "low", 3.0: "mid"}
    assert s.stance("y", "i").capability.point() == 0.4
    assert s.actors[0].capability is None


def test_round_trip_through_yaml_and_json(tmp_path):
    s = load_scenario(FIXTURES / "minimal.yaml")
    for fmt, suffix in (("yaml", ".yaml"), ("json", ".json")):
        path = tmp_path / f"again{suffix}"
        path.write_text(dump_scenario(s, fmt))
        assert load_scenario(path).sha256() == s.sha256()


def test_import_command(tmp_path):
    out = tmp_path / "e.yaml"
    result = runner.invoke(app, ["import", str(FIXTURES / "bdm1994-emissions.csv"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    again = load_scenario(out)
    assert again.sha256() == load_scenario(FIXTURES / "bdm1994-emissions.csv").sha256()
    assert "capability: 0.08" in out.read_text()  # plain numbers stay plain


def test_schema_is_json_schema():
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["title"] == "Scenario"
    assert {"issues", "actors", "stances"} <= set(schema["required"])
    quantity = schema["$defs"]["Quantity"]
    assert {"type": "number"} in quantity["anyOf"]


def test_shared_reference_inputs_all_import(shared):
    counts = {
        "bdm1994/emissions.csv": (10, 1),
        "ktab/dummyData_3Dim.csv": (7, 3),
        "ktab/SOE-Pol-Comp.csv": (13, 2),
        "ktab/dummyData_6Dim.csv": (27, 6),
        "ktab/dummyData-a080.csv": (80, 1),
        "decide/sample_data.txt": (10, 6),
        "decide/copenhagen.csv": (11, 7),
        "decide/cop21.csv": (15, 13),
    }
    for name, (n, d) in counts.items():
        s = load_scenario(shared / name)
        assert (len(s.actors), len(s.issues)) == (n, d), name


@pytest.mark.parametrize("name", ["minimal.yaml", "partial.yaml"])
def test_validate_json_output(name):
    result = runner.invoke(app, ["validate", str(FIXTURES / name), "--json"])
    assert result.exit_code == 0
    info = json.loads(result.output)
    assert info["valid"] and len(info["scenario_sha256"]) == 64
