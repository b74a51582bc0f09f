"""The dashboard's scenario editor and forecast API, through the app (no browser)."""

from __future__ import annotations

import shutil

import pytest
import yaml
from fastapi.testclient import TestClient

from detente.scenario import load_scenario
from detente.web.app import create_app

from .conftest import FIXTURES


@pytest.fixture
def served(tmp_path):
    shutil.copy(FIXTURES / "minimal.yaml", tmp_path / "minimal.yaml")
    return tmp_path


@pytest.fixture
def client(served):
    return TestClient(create_app([served]))


def _document(client):
    r = client.get("/api/editor/documents/minimal")
    assert r.status_code == 200
    return r.json()


def test_validate_names_every_bad_field(client):
    doc = _document(client)
    doc["stances"][0]["salience"] = 1.5
    doc["stances"][1]["actor"] = "Z"
    r = client.post("/api/editor/validate", json={"document": doc}).json()
    assert r["valid"] is False
    fields = {p["field"] for p in r["problems"]}
    assert {"stances[0].salience", "stances[1].actor"} <= fields
    salience = next(p for p in r["problems"] if p["field"] == "stances[0].salience")
    assert "[0, 1]" in salience["message"] and salience["value"] == 1.5
    doc = _document(client)
    doc["issues"][0]["high"] = -5
    r = client.post("/api/editor/validate", json={"document": doc}).json()
    assert [p["field"] for p in r["problems"]] == ["issues[0]"]
    assert "low < high" in r["problems"][0]["message"]
    ok = client.post("/api/editor/validate", json={"document": _document(client)}).json()
    assert ok == {"valid": True, "problems": []}


def test_save_writes_only_inside_the_served_folder(client, served):
    doc = _document(client)
    doc["stances"][0]["salience"] = 0.4
    for bad in ("../evil", "a/b", ".hidden", "x" * 65, "a.yaml"):
        r = client.post("/api/editor/save", json={"name": bad, "document": doc})
        assert r.status_code == 422 and r.json()["field"] == "name", bad
    assert client.post("/api/editor/save", json={"name": "minimal", "document": doc}
                       ).status_code == 409  # a served scenario stays as it is
    r = client.post("/api/editor/save", json={"name": "mine", "document": doc})
    assert r.status_code == 200 and r.json()["saved"] == "mine.yaml"
    assert sorted(p.name for p in served.iterdir()) == ["mine.yaml", "minimal.yaml"]
    assert load_scenario(served / "mine.yaml").stances[0].salience.point() == 0.4
    assert yaml.safe_load((served / "mine.yaml").read_text())["name"] == doc["name"]
    again = client.post("/api/editor/save", json={"name": "mine", "document": doc})
    assert again.status_code == 409
    doc["stances"][0]["salience"] = 0.7
    assert client.post("/api/editor/save", json={"name": "mine", "document": doc,
                                                 "overwrite": True}).status_code == 200
    assert load_scenario(served / "mine.yaml").stances[0].salience.point() == 0.7


def test_an_invalid_document_is_not_saved(client, served):
    doc = _document(client)
    doc["stances"][0]["salience"] = "high"
    r = client.post("/api/editor/save", json={"name": "broken", "document": doc})
    assert r.status_code == 422 and r.json()["field"] == "stances[0].salience"
    assert r.json()["problems"][0]["field"] == "stances[0].salience"
    assert not (served / "broken.yaml").exists()


def test_saved_scenario_runs(client):
    doc = _document(client)
    client.post("/api/editor/save", json={"name": "mine", "document": doc})
    r = client.post("/api/editor/run", json={"name": "mine", "model": "mean", "draws": 30})
    assert r.status_code == 200
    run = r.json()
    assert run["one_round"] is True and len(run["forecast_draws"]["territory"]) == 30
    assert run["scenario"]["issues"][0]["id"] == "territory"
    assert client.post("/api/editor/run", json={"name": "nothing", "model": "mean"}
                       ).status_code == 404


def test_token_guards_save_and_run(served):
    guarded = TestClient(create_app([served], token="s3cret"))
    doc = guarded.get("/api/editor/documents/minimal").json()
    body = {"name": "mine", "document": doc}
    assert guarded.post("/api/editor/save", json=body).status_code == 401
    assert not (served / "mine.yaml").exists()
    auth = {"authorization": "Bearer s3cret"}
    assert guarded.post("/api/editor/save", json=body, headers=auth).status_code == 200
    assert guarded.post("/api/editor/run", json={"name": "mine"}).status_code == 401


def test_serving_files_only_has_no_folder_to_save_into(served):
    files_only = TestClient(create_app([served / "minimal.yaml"]))
    doc = files_only.get("/api/editor/documents/minimal").json()
    r = files_only.post("/api/editor/save", json={"name": "mine", "document": doc})
    assert r.status_code == 409 and "folder" in r.json()["error"]


def test_forecast_gives_draws_and_bands(client):
    one = client.post("/api/forecast", json={"scenario": "minimal", "model": "median",
                                             "draws": 40}).json()
    assert one["one_round"] and "bands" not in one
    draws = one["forecast_draws"]["territory"]
    assert len(draws) == 40 and draws[0] == pytest.approx(one["forecast"]["territory"], abs=1e-4)
    dyn = client.post("/api/forecast", json={"scenario": "minimal", "model": "eum",
                                             "draws": 40}).json()
    band = dyn["bands"]["territory"]
    assert all(a <= m <= b for a, m, b in zip(band["p05"], band["p50"], band["p95"], strict=True))
    assert band["p05"][0] < band["p95"][0]  # uncertain inputs spread the start already
    r = client.post("/api/forecast", json={"scenario": "minimal", "model": "nash"})
    assert r.status_code == 422 and "status quo" in r.json()["error"]
