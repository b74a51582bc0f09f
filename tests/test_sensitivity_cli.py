"""The sensitivity, discover and compare --robust commands end to end (small sizes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import app

FLAGSHIP = str(Path(__file__).parent / "fixtures" / "war-2025.yaml")
runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, list(args))


def test_sobol_json_lists_every_input_with_evidence_and_interval(tmp_path):
    out = tmp_path / "samples.parquet"
    r = invoke("sensitivity", FLAGSHIP, "--outcome", "p_deal@26", "--method", "sobol",
               "--samples", "16", "--runs-per-sample", "20", "--lever", "tomahawks",
               "--out", str(out), "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    names = {i["name"] for i in data["inputs"]}
    assert {row["name"] for row in data["indices"]} == names
    assert "tomahawks:U.effectiveness" in names
    assert all(row["evidence"] in ("cited", "inferred", "assumption", "none")
               for row in data["indices"])
    assert all(row["ST_conf"] >= 0 for row in data["indices"])
    assert data["noise"]["common_random_numbers"] and data["evaluations"] == 16 * (len(names) + 2)
    import pyarrow.parquet as pq

    table = pq.read_table(out)
    assert table.num_rows == data["evaluations"] and "p_deal@26" in table.column_names


def test_tornado_bars_carry_paired_intervals():
    r = invoke("sensitivity", FLAGSHIP, "--outcome", "p_deal@26", "--method", "tornado",
               "--runs-per-sample", "100", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    swings = [b["swing"] for b in data["bars"]]
    assert swings == sorted(swings, reverse=True)
    top = data["bars"][0]
    assert top["low_ci95"][0] <= top["low"] <= top["low_ci95"][1]


def test_morris_and_user_inputs():
    r = invoke("sensitivity", FLAGSHIP, "--outcome", "duration:0.5", "--method", "morris",
               "--samples", "4", "--runs-per-sample", "20", "--input", "R.belief.a=12:36",
               "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    row = next(i for i in data["inputs"] if i["name"] == "R.belief.a")
    assert row["evidence"] == "assumption" and row["dist"] == "uniform"
    assert all(x["mu_star"] >= 0 for x in data["indices"])


@pytest.mark.parametrize("args, message", [
    (["--outcome", "p_deal@999"], "horizon"),
    (["--outcome", "p_partial@26"], "partial"),
    (["--outcome", "forecast:mean:donetsk"], "not a war outcome"),
    (["--input", "nope=1:2"], "unknown input"),
    (["--input", "R.cost"], "NAME=LO:HI"),
    (["--input", "R.collapse=0:2"], "must lie in [0, 1]"),
    (["--method", "fast"], "unknown method"),
    (["--hypothesis", "nope"], "unknown hypothesis"),
])
def test_bad_input_exits_2_with_a_message(args, message):
    r = invoke("sensitivity", FLAGSHIP, "--runs-per-sample", "5", "--samples", "4", *args)
    assert r.exit_code == 2
    assert "error:" in r.output and message in r.output


def test_discover_reports_box_and_trade_off():
    r = invoke("discover", FLAGSHIP, "--lever", "security-guarantees", "--where",
               "delta_p_deal@26 >= 0.1", "--samples", "100", "--runs-per-sample", "40",
               "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["where"] == "delta_p_deal@26:security-guarantees >= 0.1"
    assert 0 < data["share_true"] < 1
    traj = data["trajectory"]
    assert traj[0]["coverage"] == 1.0 and traj[0]["density"] == pytest.approx(data["share_true"])
    assert all(lim["evidence"] in ("cited", "inferred", "assumption", "none")
               for lim in data["box"]["limits"])


def test_compare_robust_ranks_levers_and_pairs():
    r = invoke("compare", FLAGSHIP, "--runs", "640", "--levers", "oil-sanctions,tomahawks",
               "--robust", "--json")
    assert r.exit_code == 0, r.output
    robust = json.loads(r.output)["robust"]
    options = {row["option"] for row in robust["ranking"]}
    assert options == {"(none)", "oil-sanctions", "tomahawks", "oil-sanctions+tomahawks"}
    assert set(robust["top_by_hypothesis"]) == {"pressure-works", "limited-leverage"}
    assert all(row["max_regret"] >= 0 and row["worst"] <= row["expected"]
               for row in robust["ranking"])


def test_text_views_render():
    r = invoke("sensitivity", FLAGSHIP, "--method", "tornado", "--runs-per-sample", "20")
    assert r.exit_code == 0, r.output
    assert "evidence" in r.output and "common random numbers" in r.output
    r = invoke("discover", FLAGSHIP, "--lever", "tomahawks", "--where",
               "delta_p_deal@26 >= 0.02", "--samples", "40", "--runs-per-sample", "20")
    assert r.exit_code == 0, r.output
    assert "coverage" in r.output and "peeling trade-off" in r.output


def test_compare_robust_text_says_whether_the_top_option_changes():
    r = invoke("compare", FLAGSHIP, "--runs", "320", "--levers", "oil-sanctions,us-disengagement",
               "--robust")
    assert r.exit_code == 0, r.output
    assert "robust ranking" in r.output and "across hypotheses" in r.output


def test_an_outcome_that_never_moves_is_said_not_left_as_all_zero_indices():
    coupled = str(Path(__file__).parent / "fixtures" / "coupled.yaml")
    r = invoke("sensitivity", coupled, "--outcome", "p_deal@1", "--method", "tornado",
               "--runs-per-sample", "10", "--json")
    assert r.exit_code == 0, r.output
    assert "p_deal@1 is 0 in every sample" in r.output  # stderr, mixed in by the runner
    data = json.loads(r.output[r.output.index("{"):])
    assert data["warnings"] and all(row["swing"] == 0 for row in data["bars"])
    moving = invoke("sensitivity", FLAGSHIP, "--outcome", "p_deal@26", "--method", "tornado",
                    "--runs-per-sample", "20", "--json")
    assert json.loads(moving.output)["warnings"] == []


@pytest.mark.parametrize("horizon, week", [(None, 104), ("52", 52)])
def test_the_robust_ranking_studies_the_comparisons_headline_week(horizon, week):
    extra = ["--horizon", horizon] if horizon else []
    r = invoke("compare", FLAGSHIP, "--runs", "64", "--levers", "oil-sanctions", "--robust",
               *extra, "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["robust"]["outcome"] == f"p_deal@{week}"
