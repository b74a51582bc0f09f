"""Forecasts from the models: the run-to-forecast mapping, the base rate, and the whole flow
forecast -> seal -> verify (re-run) -> resolve -> score through the command line."""

import json
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import scoringrules as sr
from typer.testing import CliRunner

from detente.cli import app
from detente.errors import InputError
from detente.forecast.make import NEVER, _spell_start, forecast_from_runs, weeks_until
from detente.forecast.questions import Question, load_questions
from detente.forecast.reference_class import ending_probability

FIX = Path(__file__).parents[1] / "fixtures" / "forecast"
ROOT = Path(__file__).parents[2]
SCENARIO = ROOT / "scenarios" / "ukraine-2025.yaml"


def _binary(resolve: str) -> Question:
    return Question.model_validate({
        "id": "Q-UNIT", "text": "Is there a ceasefire?", "type": "binary",
        "event_definition": "A ceasefire holds.", "resolution_source": "UN OCHA",
        "open_date": "2025-01-01", "close_date": "2025-01-02",
        "resolve_by": f"{resolve}T12:00:00+00:00", "ambiguity_rule": "annul"})


def test_event_share_by_the_resolve_week_and_short_horizon_is_an_error() -> None:
    q = _binary("2025-01-29")  # 28 days after as_of: the event must hold by the end of week 3
    assert weeks_until(date(2025, 1, 1), q.resolve_date) == 4
    weeks = np.array([0, 3, 4, NEVER])
    assert forecast_from_runs(q, date(2025, 1, 1), 10, weeks) == {"p": 0.5}
    with pytest.raises(InputError, match="3-week horizon ends on 2025-01-22"):
        forecast_from_runs(q, date(2025, 1, 1), 3, weeks)


def test_spell_in_force_on_the_date() -> None:
    in_force = np.array([[0, 1, 1, 1, 0], [0, 1, 0, 1, 1], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]],
                        bool)
    # at the end of week index 3: runs 0, 1, 2 hold an agreement that began in weeks 1, 3, 0
    np.testing.assert_array_equal(_spell_start(in_force, 4), [1, 3, 0, NEVER])


def test_war_duration_base_rate_empirical_and_tail() -> None:
    table = tuple(range(1, 11))
    assert ending_probability(2, 3, table) == pytest.approx(3 / 8)
    # fewer than five wars outlast 9 months: the constant hazard of the wars past the median
    rate = 5 / sum(k - 5.5 for k in range(6, 11))
    assert ending_probability(9, 2, table) == pytest.approx(1 - np.exp(-rate * 2))
    assert ending_probability(20, 0, table) == 0


def _cli(*args: str) -> object:
    return CliRunner().invoke(app, list(args))


def test_forecast_seal_verify_resolve_score(tmp_path: Path) -> None:
    scenario = tmp_path / "ukraine.yaml"
    shutil.copy(SCENARIO, scenario)
    ledger = str(tmp_path / "ledger.sqlite")
    common = ["--scenario", str(scenario), "--runs", "60", "--horizon", "300", "--ledger", ledger]
    res = _cli("forecast", str(FIX / "good.yaml"), *common, "--seal", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert [s["id"] for s in out["sealed"]] == [1, 2]
    ceasefire, donetsk = out["forecasts"]
    assert set(ceasefire["baselines"]) == {"uniform", "status_quo", "base_rate"}
    assert "stylised" in ceasefire["baselines"]["base_rate"]["source"]
    assert set(donetsk["baselines"]) == {"uniform", "compromise"}
    assert donetsk["model"] == "negotiation[mean]"
    assert _cli("ledger", "verify", "--ledger", ledger).exit_code == 0

    assert _cli("ledger", "resolve", "Q-TEST-CEASEFIRE", "--outcome", "maybe", "--source", "x",
                "--ledger", ledger).exit_code == 2
    assert _cli("ledger", "resolve", "Q-TEST-CEASEFIRE", "--outcome", "no", "--source",
                "OCHA report", "--ledger", ledger).exit_code == 0
    assert _cli("ledger", "resolve", "Q-TEST-DONETSK", "--outcome", "61.5", "--source", "text",
                "--ledger", ledger).exit_code == 0
    res = _cli("ledger", "score", "--ledger", ledger, "--json")
    assert res.exit_code == 0, res.output
    scores = json.loads(res.stdout)
    qs = scores["questions"]
    p = ceasefire["forecast"]["p"]
    cf = qs["Q-TEST-CEASEFIRE"]["scores"]
    assert cf["war[baseline]"]["brier"] == pytest.approx(min(max(p, 0.001), 0.999) ** 2)
    assert cf["baseline:uniform"]["brier"] == pytest.approx(0.25)
    dn = qs["Q-TEST-DONETSK"]["scores"]
    samples = np.asarray(donetsk["forecast"]["samples"])
    assert dn["negotiation[mean]"]["crps"] == pytest.approx(
        float(sr.crps_ensemble(61.5, samples, estimator="nrg")))
    assert {s["baseline"] for s in scores["skill"]} >= {"baseline:uniform", "baseline:status_quo"}

    # the rows are intact, but the scenario they were made from has changed: verify says so
    scenario.write_text(scenario.read_text().replace("horizon: 104", "horizon: 105"))
    res = _cli("ledger", "verify", "--ledger", ledger)
    assert res.exit_code == 1 and "changed since the seal" in res.output


def test_horizon_too_short_and_closed_questions_exit_2(tmp_path: Path) -> None:
    res = _cli("forecast", str(FIX / "good.yaml"), "--scenario", str(SCENARIO), "--runs", "20")
    assert res.exit_code == 2
    assert "104-week horizon ends on 2027-10-21" in res.output
    closed = tmp_path / "closed.yaml"
    closed.write_text((FIX / "good.yaml").read_text().replace("2030-12-31", "2025-12-01"))
    res = _cli("forecast", str(closed), "--scenario", str(SCENARIO))
    assert res.exit_code == 2
    assert "closed.yaml: questions[0].close_date: question Q-TEST-CEASEFIRE closed" in res.output


def test_shipped_ukraine_questions_load() -> None:
    qs = load_questions(ROOT / "forecasts" / "ukraine-2025.yaml")
    assert len(qs) >= 5
    assert all(q.simulated_by is not None for q in qs)


def test_a_reworded_question_must_bump_its_version(tmp_path: Path) -> None:
    ledger = str(tmp_path / "l.sqlite")
    args = ["--scenario", str(SCENARIO), "--runs", "20", "--horizon", "300", "--ledger", ledger,
            "--seal"]
    assert _cli("forecast", str(FIX / "good.yaml"), *args).exit_code == 0
    reworded = tmp_path / "q.yaml"
    reworded.write_text((FIX / "good.yaml").read_text().replace(
        "holds on 2031-06-30", "holds on 2031-07-01"))
    res = _cli("forecast", str(reworded), *args)
    assert res.exit_code == 2
    assert "q.yaml: questions[0].version: question Q-TEST-CEASEFIRE differs" in res.output
    assert "event_definition" in res.output
    bumped = tmp_path / "q2.yaml"
    bumped.write_text(reworded.read_text().replace(
        "    text: Is a ceasefire", "    version: 2\n    text: Is a ceasefire"))
    assert _cli("forecast", str(bumped), *args).exit_code == 0


def test_a_forged_forecast_with_a_rebuilt_chain_is_caught_by_the_re_run(tmp_path: Path) -> None:
    from detente.forecast.ledger import canonical, entry_hash, head, open_ledger
    from detente.forecast.ledger import entries as table

    ledger = str(tmp_path / "l.sqlite")
    assert _cli("forecast", str(FIX / "good.yaml"), "--scenario", str(SCENARIO), "--runs", "20",
                "--horizon", "300", "--ledger", ledger, "--seal").exit_code == 0
    book = open_ledger(ledger)
    rows = book.rows()
    rows[0]["forecast"] = canonical({"p": 0.01})  # the forger rewrites row 1 and every later hash
    prev = rows[0]["prev_hash"]
    with book.engine.begin() as conn:
        for r in rows:
            r["prev_hash"] = prev
            r["hash"] = prev = entry_hash(r)
            conn.execute(table.update().where(table.c.id == r["id"]).values(**r))
        conn.execute(head.update().values(last_hash=prev))
    res = _cli("ledger", "verify", "--ledger", ledger, "--json")
    out = json.loads(res.stdout)
    assert res.exit_code == 1 and out["findings"] == []
    assert [(x["id"], x["status"]) for x in out["reruns"]] == [(1, "differs"), (2, "reproduced")]
