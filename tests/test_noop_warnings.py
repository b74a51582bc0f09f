"""No silent no-ops: a setting that changes nothing because of another value is warned about,
on stderr and in ``--json``."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from detente.cli import app

from .test_model_checks import negotiation_document

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def war_file(tmp_path: Path, **changes) -> Path:
    doc = negotiation_document()
    doc["war"] = {"R": "a0", "U": "a4", "horizon": 30, "front": {"steps": 10, "start": 5},
                  "sides": {s: {"forces": 100, "cost": 0.01, "belief": {"a": a, "b": b}}
                            for s, a, b in (("R", 8, 2), ("U", 2, 8))}}
    doc["levers"] = [{"id": "guarantees", "name": "Guarantees",
                      "effects": [{"param": "guarantees", "add": 0.5}]}]
    doc["hypotheses"] = [{"id": "h", "name": "H", "parameters": {"deadline_belief.a": 3}}]
    for key, value in changes.items():
        doc[key] = value
    path = tmp_path / "war.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_a_guarantees_lever_without_any_channel_warns(tmp_path):
    path = war_file(tmp_path)
    result = runner.invoke(app, ["compare", str(path), "--runs", "200", "--json"])
    assert result.exit_code == 0, result.output
    warnings = json.loads(result.stdout)["hypotheses"]["h"]["warnings"]
    assert any("lever 'guarantees' changes guarantees, which changes nothing here" in w
               for w in warnings)
    assert any("changed no run's outcome" in w for w in warnings)
    assert any("sets deadline_belief.a, which changes nothing here: no deadline lever" in w
               for w in warnings)
    assert "warning: lever 'guarantees'" in result.stderr


def test_the_same_lever_with_a_breakdown_hazard_does_not_warn(tmp_path):
    doc_war = war_file(tmp_path)
    doc = yaml.safe_load(doc_war.read_text())
    doc["war"]["breakdown"] = {"base": 0.05, "guarantee_effect": 2.0}
    for side, (a, b) in zip(("R", "U"), ((6, 4), (4, 6)), strict=True):
        doc["war"]["sides"][side]["belief"] = {"a": a, "b": b}  # deals happen, then can break
    doc_war.write_text(yaml.safe_dump(doc))
    result = runner.invoke(app, ["compare", str(doc_war), "--runs", "300", "--json"])
    warnings = json.loads(result.stdout)["hypotheses"]["h"]["warnings"]
    assert not any("lever 'guarantees'" in w for w in warnings)


def test_every_run_settling_in_week_zero_warns(tmp_path):
    path = war_file(tmp_path)
    doc = yaml.safe_load(path.read_text())
    for side in doc["war"]["sides"].values():
        side["belief"] = {"a": 5, "b": 5}  # common priors: no war (MODELS.md §5.15.1)
    path.write_text(yaml.safe_dump(doc))
    result = runner.invoke(app, ["simulate", str(path), "--runs", "200", "--json"])
    out = json.loads(result.stdout)
    assert any("every run settles in week 0" in w for w in out["warnings"])


def test_an_option_that_another_option_switches_off_warns():
    emissions = ROOT / "scenarios" / "bdm1994-emissions.yaml"
    result = runner.invoke(app, ["run", str(emissions), "-m", "eum", "-O", "stable_k=4",
                                 "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["warnings"] == [
        "option 'stable_k' changes nothing unless stop is median_stable (it is rounds)"]
    quiet = runner.invoke(app, ["run", str(emissions), "-m", "eum", "-O", "stable_k=4",
                                "-O", "stop=median_stable", "--json"])
    assert json.loads(quiet.stdout)["warnings"] == []
