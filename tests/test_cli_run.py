"""``detente run --json``: its shape, provenance and reproducibility (issue 2, item 6)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from detente import __version__
from detente.cli import app

from .conftest import FIXTURES, SCENARIOS

runner = CliRunner()


def _run(*args: str) -> dict:
    result = runner.invoke(app, ["run", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_json_shape_for_eum():
    out = _run(str(FIXTURES / "bdm1994-emissions.csv"), "--model", "eum", "--rounds", "8")
    keys = {"model", "options", "dimensions", "actors", "turns", "positions", "probabilities",
            "mean", "median", "forecast", "provenance"}
    assert keys <= set(out)
    assert out["turns"] == 8
    assert len(out["positions"]) == 9
    assert len(out["positions"][0]) == len(out["actors"]) == 10
    assert len(out["positions"][0][0]) == len(out["dimensions"]) == 1
    assert out["probabilities"] is None
    assert len(out["mean"]) == len(out["median"]) == 9
    assert out["forecast"] == {"issue": pytest.approx(out["median"][-1][0])}
    prov = out["provenance"]
    assert prov["version"] == __version__ and prov["seed"] == 0
    assert len(prov["scenario_sha256"]) == 64
    assert prov["options"]["rounds"] == 8
    assert "draws" not in out


@pytest.mark.parametrize("model", ["mean", "median", "nash", "eum"])
def test_every_model_runs_on_the_shipped_case(model):
    out = _run(str(SCENARIOS / "bdm1994-emissions.yaml"), "-m", model)
    assert 4 <= out["forecast"]["year"] <= 10


def test_draws_add_a_distribution_and_are_reproducible():
    a = _run(str(FIXTURES / "minimal.yaml"), "-m", "median", "--draws", "200", "--seed", "7")
    b = _run(str(FIXTURES / "minimal.yaml"), "-m", "median", "--draws", "200", "--seed", "7")
    c = _run(str(FIXTURES / "minimal.yaml"), "-m", "median", "--draws", "200", "--seed", "8")
    assert a == b
    assert a["draws"] != c["draws"]
    band = a["draws"]["forecast"]["territory"]
    assert band["p05"] <= band["p50"] <= band["p95"]


def test_options_are_recorded():
    out = _run(str(FIXTURES / "bdm1994-emissions.csv"), "-O", "preset=paper", "-O", "q=0.5")
    assert out["options"]["preset"] == "paper" and out["options"]["q"] == 0.5
    assert out["provenance"]["options"] == out["options"]


def test_human_output_has_rounds_and_forecast():
    result = runner.invoke(app, ["run", str(SCENARIOS / "bdm1994-emissions.yaml"), "--rounds", "3"])
    assert result.exit_code == 0
    assert "Forecast" in result.output and "9.962" in result.output


def test_models_command_lists_all():
    result = runner.invoke(app, ["models", "--json"])
    names = {m["name"] for m in json.loads(result.output)}
    assert {"mean", "median", "nash", "eum"} <= names


def test_version_and_completion():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"detente {__version__}"
    shown = runner.invoke(app, ["--show-completion"], env={"SHELL": "/bin/bash"})
    assert shown.exit_code == 0 and "complete" in shown.stdout
