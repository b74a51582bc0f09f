"""The coupled model's scenario language and commands: defaults documented in the schema, located
errors (exit 2) for bad values, hypotheses over the new sections, simulate/compare/check output."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from detente.cli import app
from detente.scenario.schema import Scenario

from .conftest import FIXTURES

runner = CliRunner()
LINE = "<the file's line number>"
COUPLED = FIXTURES / "coupled.yaml"
DOC = yaml.safe_load(COUPLED.read_text())


def write(tmp_path: Path, doc: dict) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def edited(**changes: object) -> dict:
    """The fixture with dotted-path changes (a.b.0.c = value)."""
    doc = json.loads(json.dumps(DOC, default=str))
    for path, value in changes.items():
        node = doc
        keys = [int(k) if k.isdigit() else k for k in path.split("__")]
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
    return doc


def cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    text = result.stdout if "--json" in args and result.exit_code == 0 else result.output
    return result.exit_code, " ".join(text.split())


def test_every_default_of_the_coupled_sections_is_stated_in_the_schema():
    defs = Scenario.model_json_schema()["$defs"]
    names = ("Talks", "ContinuousFront", "Meeting", "RedLine", "ThirdParty", "Economy",
             "AimsType", "Fortification", "PartialDeal", "Prospect")
    missing = []
    for name in names:
        spec = defs[name]
        for field, prop in spec["properties"].items():
            if field in spec.get("required", ()) or field in ("name", "cite", "assumption"):
                continue
            if "Default" not in prop.get("description", ""):
                missing.append(f"{name}.{field}")
    assert not missing, missing


@pytest.mark.parametrize(("changes", "needles"), [
    ({"war__talks__model": "oracle"}, ("war.talks.model", "unknown talks model", LINE)),
    ({"war__third_parties__0__engagement": 1.5}, ("engagement must lie in [0, 1]",)),
    ({"war__red_lines__0__actor": "US"}, ("war.red_lines[0].actor", "veto players")),
    ({"war__talks__partial__0__issues": ["oil"]}, ("war.talks.partial[0].issues[0]",
                                                    "unknown issue")),
    ({"war__front__continuous__tempo": {13: 0.5}}, ("tempo months are 1..12",)),
    ({"war__talks__meetings__0__week": 400}, ("war.talks.meetings[0].week",)),
    ({"war__third_parties__0__pressure": ["nukes"]}, ("pressure[0]", "unknown lever")),
    ({"war__checks__0__outcome": "p_peace"}, ("war.checks[0].outcome",)),
    ({"hypotheses__0__parameters": {"third_parties.US.exit_bias": 1}},
     ("hypotheses[0].parameters", "unknown parameter")),
    ({"hypotheses__0__parameters": {"third_parties.US.persistence": 2}},
     ("third_parties.US.persistence must lie in [0, 1]",)),
    ({"levers__2__prospect__schedule__0__week": 20}, ("prospect", "before the lever's start")),
])
def test_bad_values_get_located_errors(tmp_path, changes, needles):
    code, text = cli("validate", str(write(tmp_path, edited(**changes))))
    assert code == 2, text
    assert "Traceback" not in text
    for needle in needles:
        if needle is LINE:
            assert re.search(r"s\.yaml:\d+: ", text), text
        else:
            assert needle in text, (needle, text)


def test_coupled_sections_without_talks_are_an_error_not_a_silent_no_op(tmp_path):
    doc = edited()
    del doc["war"]["talks"]
    code, text = cli("validate", str(write(tmp_path, doc)))
    assert code == 2 and "add a `war.talks` section" in text and "red_lines" in text


def test_simulate_json_keeps_the_old_keys_and_adds_the_coupled_outputs():
    code, text = cli("simulate", str(COUPLED), "--runs", "200", "--json", "--horizon", "20")
    assert code == 0, text
    out = json.loads(text)
    for key in ("p_agreement", "end_mode", "duration_weeks", "terms", "agreement_curve"):
        assert key in out
    coupled = out["coupled"]
    assert coupled["checkpoints"] == [5, 10, 20]  # adapted to a 20-week horizon
    assert set(coupled["terms"]) == {"territory", "line", "troops", "sanctions", "sequencing",
                                     "leadership"}
    assert len(coupled["front"]["median_curve"]) == 21
    assert set(coupled["third_parties"]) == {"US", "EU"}
    assert set(coupled["vetoes"]["by_actor"]) == {"RU", "UA"}
    assert set(coupled["p_partial"]) == {"energy-truce", "sequencing"}


def test_compare_pairs_runs_and_a_lever_that_changes_nothing_has_zero_effect(tmp_path):
    doc = edited()
    doc["levers"].append({"id": "nothing", "name": "no change", "start": 0,
                          "effects": [{"param": "economy.price", "mul": 1.0}]})
    path = write(tmp_path, doc)
    code, text = cli("compare", str(path), "--runs", "300", "--horizon", "26",
                     "--hypothesis", "baseline", "--levers", "nothing,oil-sanctions", "--json")
    assert code == 0, text
    levers = json.loads(text)["hypotheses"]["baseline"]["levers"]
    null = levers["nothing"]["coupled"]["effects"]
    assert all(v["mean"] == 0.0 for v in null["delta_p_deal"].values())
    assert all(v["mean"] in (0.0, None) for v in null["delta_proposal"].values())
    assert "delta_terms" in levers["oil-sanctions"]["coupled"]["effects"]


def test_a_named_section_5_variant_still_runs_on_a_coupled_scenario():
    code, text = cli("simulate", str(COUPLED), "--runs", "200", "--json", "-O",
                     "variant=powell")
    assert code == 0, text
    assert "coupled" not in json.loads(text)


def test_hypotheses_set_coupled_parameters():
    from detente.analysis.coupled import run_coupled
    from detente.options import CoupledOptions
    from detente.scenario import load_scenario

    sc = load_scenario(COUPLED)
    base = run_coupled(sc, None, (), 400, 0, CoupledOptions())
    leave = run_coupled(sc, "limited-leverage", (), 400, 0, CoupledOptions())
    assert leave.outcome.engagement[:, -1, 0].mean() < base.outcome.engagement[:, -1, 0].mean()


def test_check_passes_and_fails_with_exit_status(tmp_path):
    code, text = cli("check", str(COUPLED), "--runs", "200", "--json")
    assert code == 0, text
    out = json.loads(text)
    assert out["passed"] and set(out["hypotheses"]) == {"baseline", "pressure-works",
                                                        "limited-leverage"}
    row = out["hypotheses"]["baseline"][2]
    assert row["se"] >= 0 and row["evidence"]
    doc = edited(war__checks__2__threshold=-0.5)
    doc["war"]["checks"][2]["compare"] = "<"
    code, text = cli("check", str(write(tmp_path, doc)), "--runs", "200", "--json")
    assert code == 1
    assert not json.loads(text)["passed"]


def test_rounds_on_a_static_talks_model_warn():
    from detente.compile.coupled import talks_model_options

    with pytest.warns(UserWarning, match="changes nothing"):
        talks_model_options("mean", {}, 3)
    assert talks_model_options("eum", {}, 3).rounds == 3


def test_a_horizon_before_a_levers_start_is_refused_not_run_to_no_effect():
    """`missiles` starts in week 8: with a 5-week horizon it could change nothing, so the run is
    refused with a located error (exit 2); levers that start in time still run."""
    code, text = cli("simulate", str(COUPLED), "--runs", "50", "--horizon", "5",
                     "--lever", "missiles")
    assert code == 2
    assert "error:" in text and "'missiles' starts in week 8" in text and "5-week" in text
    assert "horizon" in text
    code, text = cli("simulate", str(COUPLED), "--runs", "50", "--horizon", "5",
                     "--lever", "oil-sanctions", "--json")
    assert code == 0, text


def test_compare_names_every_lever_that_starts_after_the_horizon_at_once():
    """All errors in one pass: each late lever is named before any variant runs."""
    from detente.scenario.load import load_scenario

    flagship = str(Path(__file__).parents[1] / "scenarios" / "ukraine-2025.yaml")
    late = sorted(lv.id for lv in load_scenario(flagship).levers if lv.start >= 5)
    code, text = cli("compare", flagship, "--runs", "20", "--horizon", "5")
    assert code == 2 and len(late) >= 2
    flat = " ".join(text.split())
    for lever in late:
        assert f"lever '{lever}' starts in week" in flat
