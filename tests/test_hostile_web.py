"""The web server under hostile requests (issue 13, items 11-12)."""

from __future__ import annotations

import shutil

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from detente.web.app import MAX_BODY, create_app

from .conftest import SCENARIOS


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("served")
    shutil.copy(SCENARIOS / "bdm1994-emissions.yaml", root)
    shutil.copy(SCENARIOS / "ukraine-2025.yaml", root)
    (root / "broken.yaml").write_text("name: x\nissues: !!timestamp never\n")
    return root


@pytest.fixture(scope="module")
def client(folder):
    return TestClient(create_app([folder]))


def test_one_bad_file_does_not_break_the_list(client):
    r = client.get("/api/scenarios")
    assert r.status_code == 200
    rows = {row["name"]: row for row in r.json()}
    assert rows["broken"]["valid"] is False and "timestamp" in rows["broken"]["error"]
    assert rows["ukraine-2025"]["valid"] is True and rows["ukraine-2025"]["levers"]


def test_bad_file_endpoints_answer_422_and_others_work(client):
    r = client.get("/api/scenarios/broken")
    assert r.status_code == 422 and r.json()["field"] == "scenario"
    assert "broken.yaml is not valid" in r.json()["error"]
    r = client.post("/api/negotiate", json={"scenario": "broken", "model": "mean"})
    assert r.status_code == 422
    assert client.get("/api/scenarios/bdm1994-emissions").status_code == 200


def test_chunked_body_over_the_limit_gets_413(client):
    def chunks():
        for _ in range(MAX_BODY // 1024 + 8):
            yield b" " * 1024

    r = client.post("/api/negotiate", content=chunks(),
                    headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["field"] == "body"


def test_small_chunked_body_still_works(client):
    body = b'{"scenario": "bdm1994-emissions", "model": "mean"}'
    r = client.post("/api/negotiate", content=iter([body[:10], body[10:]]),
                    headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text


def test_405_carries_allow(client):
    r = client.get("/api/negotiate")
    assert r.status_code == 405 and r.headers["allow"] == "POST"


@pytest.mark.parametrize("body", [
    {"scenario": "bdm1994-emissions", "draws": True},
    {"scenario": "bdm1994-emissions", "seed": False},
    {"scenario": "bdm1994-emissions", "draws": "5"},
])
def test_booleans_and_text_are_not_integers(client, body):
    r = client.post("/api/negotiate", json=body)
    assert r.status_code == 422, r.text


def test_requests_over_the_budget_are_refused_before_running(client):
    r = client.post("/api/negotiate", json={"scenario": "ukraine-2025", "model": "exchange",
                                            "draws": 500})
    assert r.status_code == 413 and "draws 500" in r.json()["error"]
    r = client.post("/api/simulate", json={"scenario": "ukraine-2025", "runs": 20_000,
                                           "horizon": 520})
    assert r.status_code == 413 and "runs 20,000" in r.json()["error"]
    r = client.post("/api/simulate", json={"scenario": "ukraine-2025", "runs": 500})
    assert r.status_code == 200


def test_memory_budget_applies_to_web_requests(folder):
    tiny = TestClient(create_app([folder], max_memory=1000))
    r = tiny.post("/api/negotiate", json={"scenario": "bdm1994-emissions", "model": "eum"})
    assert r.status_code == 413 and "memory" in r.json()["error"]


def test_time_bound(folder):
    hasty = TestClient(create_app([folder], timeout=1e-3))
    r = hasty.post("/api/simulate", json={"scenario": "ukraine-2025", "runs": 5000})
    assert r.status_code == 503 and "longer than" in r.json()["error"]


def _served_with_a_bad_file():
    import tempfile
    from pathlib import Path

    root = Path(tempfile.mkdtemp(prefix="detente-served-"))
    shutil.copy(SCENARIOS / "bdm1994-emissions.yaml", root)
    (root / "broken.yaml").write_text("name: [unclosed\n")
    return create_app([root])


schema = schemathesis.openapi.from_asgi("/openapi.json", _served_with_a_bad_file())


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_schema_fuzz_with_a_bad_file_served(case):
    """schemathesis with a broken file in the served folder: still no 5xx, documented answers."""
    case.call_and_validate(checks=[not_a_server_error, status_code_conformance,
                                   content_type_conformance, response_schema_conformance])
