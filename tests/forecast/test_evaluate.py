"""Ledger scoring on hand-made entries: multi-option and ordered questions, time averaging,
annulled and re-worded questions, and the view data."""

import numpy as np
import pytest

from detente.errors import InputError
from detente.forecast.evaluate import parse_outcome, score_ledger
from detente.forecast.questions import Question
from detente.forecast.report import ledger_view

MULTI = {"id": "Q-MULTI", "version": 1, "text": "Which outcome by mid-2027?", "type": "multi",
         "options": ["war", "ceasefire", "peace"], "ordered": True,
         "event_definition": "The state of the war on 2027-06-30.",
         "resolution_source": "Reuters and AP", "open_date": "2026-01-01",
         "close_date": "2026-01-31", "resolve_by": "2027-06-30T00:00:00Z",
         "ambiguity_rule": "annul"}
BINARY = {**MULTI, "id": "Q-BIN", "type": "binary", "options": None, "ordered": False}


def _f(q: dict, made: str, fc: dict, base: dict, model: str = "m", version: int = 1) -> dict:
    return {"id": 0, "kind": "forecast", "question_id": q["id"], "question_version": version,
            "created_at": f"{made}T10:00:00.000000Z", "model": model,
            "question": {**q, "version": version}, "forecast": fc, "baselines": base}


def _r(qid: str, outcome: object, version: int = 1) -> dict:
    return {"id": 0, "kind": "resolution", "question_id": qid, "question_version": version,
            "created_at": "2027-07-01T00:00:00Z", "forecast": {"outcome": outcome, "source": "s"}}


def test_multi_ordered_scores_and_time_average() -> None:
    uniform = {"uniform": {"probabilities": [1 / 3] * 3}}
    fs = [_f(MULTI, "2026-01-01", {"probabilities": [0.2, 0.8, 0.0]}, uniform),
          _f(MULTI, "2026-01-21", {"probabilities": [0.0, 1.0, 0.0]}, uniform)]
    out = score_ledger(fs, [_r("Q-MULTI", "ceasefire")])
    s = out["questions"]["Q-MULTI"]["scores"]["m"]
    # 20 days at Σ-Brier 0.08 (+0 on "peace"), then 11 days at 0
    assert s["brier"] == pytest.approx(20 * 0.08 / 31)
    assert s["rps"] == pytest.approx(20 * 0.04 / 31)  # cumulative (0.2, 1, 1) vs (0, 1, 1)
    assert out["questions"]["Q-MULTI"]["scores"]["baseline:uniform"]["brier"] == pytest.approx(
        2 / 3)
    assert "sum form" in out["brier_forms"]["multi"]


def test_annulled_and_older_versions_are_not_scored() -> None:
    fs = [_f(BINARY, "2026-01-01", {"p": 0.7}, {}), _f(MULTI, "2026-01-01",
                                                        {"probabilities": [1, 0, 0]}, {})]
    out = score_ledger(fs, [_r("Q-BIN", "annul"), _r("Q-MULTI", "war", version=2)])
    assert out["questions"] == {}


def test_skill_murphy_and_view_over_many_binary_questions() -> None:
    rng = np.random.default_rng(3)
    fs, rs = [], []
    for k in range(40):
        q = {**BINARY, "id": f"Q-BIN-{k}"}
        truth = rng.uniform()
        o = bool(rng.uniform() < truth)
        fs.append(_f(q, "2026-01-05", {"p": float(truth)}, {"uniform": {"p": 0.5}}))
        rs.append(_r(q["id"], o))
    out = score_ledger(fs, rs)
    (skill,) = out["skill"]
    assert skill["n"] == 40 and skill["skill_low"] <= skill["skill"] <= skill["skill_high"]
    m = out["murphy"]["m"]
    assert m["brier"] == pytest.approx(m["reliability"] - m["resolution"] + m["uncertainty"]
                                       + m["residual"])
    view = ledger_view(fs + rs)
    assert len(view["questions"]) == 40 and view["questions"][0]["resolution"] is not None
    assert sum(view["reliability"]["m"]["count"]) == 40


def test_outcomes_are_checked_against_the_question() -> None:
    q = Question.model_validate(MULTI)
    assert parse_outcome(q, "peace") == "peace"
    assert parse_outcome(q, "annul") == "annul"
    with pytest.raises(InputError, match="one of war, ceasefire, peace"):
        parse_outcome(q, "truce")
