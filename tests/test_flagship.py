"""The flagship scenario: evidence on every number, the compare JSON shape, war bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from detente.analysis.compare import compare, run_variant, war_options
from detente.cli import app
from detente.scenario import load_scenario
from detente.scenario.schema import iter_quantities

from .conftest import SCENARIOS

runner = CliRunner()
FLAGSHIP = SCENARIOS / "ukraine-2025.yaml"
TEXT = FLAGSHIP.read_text()


@pytest.fixture(scope="module")
def flagship():
    return load_scenario(FLAGSHIP)


def test_every_number_carries_evidence(flagship):
    assert flagship.require_evidence
    quantities = list(iter_quantities(flagship))
    assert len(quantities) > 100
    assert all(q.has_evidence for _, q in quantities)
    for record in (*flagship.levers, *flagship.hypotheses):
        assert record.cite or record.assumption


def test_actors_and_issues_asked_for(flagship):
    assert {"RU", "UA", "US", "EU"} <= {a.id for a in flagship.actors}
    assert {"donetsk", "ceasefire-line", "sequencing", "guarantees", "sanctions",
            "leadership"} <= {i.id for i in flagship.issues}
    assert {"oil-sanctions", "tomahawks", "refinery-strikes", "eu-funded-arms",
            "us-disengagement", "security-guarantees", "deadline"} <= {lv.id for lv in
                                                                       flagship.levers}
    assert {"pressure-works", "limited-leverage"} <= {h.id for h in flagship.hypotheses}


def _corpus(shared: Path) -> dict[str, list[str]]:
    folder = shared.parent / "corpus"
    files = {"apr": "002_7c745b728caeb8e4.txt", "aug": "000_1f84c9ea529f6d72.txt",
             "oct": "003_4ea49e6627755330.txt"}
    return {sid: [ln for ln in (folder / f).read_text().splitlines() if ln.strip()]
            for sid, f in files.items()}


def _citations(flagship):
    for _, q in iter_quantities(flagship):
        yield from q.cite
    for record in (*flagship.levers, *flagship.hypotheses):
        yield from record.cite


def test_citations_point_at_real_paragraphs_and_paraphrase(flagship, shared):
    corpus = _corpus(shared)
    words = lambda s: re.findall(r"[a-z0-9']+", s.lower().replace("’", "'"))  # noqa: E731
    for c in _citations(flagship):
        if c.source not in corpus:
            continue
        paragraphs = corpus[c.source]
        assert c.paragraph is not None and 1 <= c.paragraph <= len(paragraphs), c
        # a paraphrase shares no run of 8 words with the article
        said = words(c.says)
        text = " ".join(words(" ".join(paragraphs)))
        for k in range(len(said) - 7):
            assert " ".join(said[k:k + 8]) not in text, c.says


def test_compare_json_shape():
    result = runner.invoke(app, ["compare", str(FLAGSHIP), "--runs", "400", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert set(out) == {"hypotheses", "provenance"}
    assert set(out["hypotheses"]) == {"pressure-works", "limited-leverage"}
    for entry in out["hypotheses"].values():
        base = entry["baseline"]
        assert set(base["p_agreement"]) == {"13", "26", "52"}
        assert abs(sum(base["end_mode"].values()) - 1) < 1e-9
        assert set(base["duration_weeks"]) == {"p10", "p50", "p90"}
        assert set(base["terms"]["donetsk"]) == {"mean", "p05", "p95"}
        assert len(entry["levers"]) == 7
        for lever in entry["levers"].values():
            for week, d in lever["delta_p_agreement"].items():
                lo, hi = d["ci95"]
                assert lo <= d["mean"] <= hi
                assert lever["p_agreement"][week] - base["p_agreement"][week] == pytest.approx(
                    d["mean"], abs=1e-9)
    prov = out["provenance"]
    assert prov["runs"] == 400 and prov["seed"] == 0 and len(prov["scenario_sha256"]) == 64


def test_same_seed_same_numbers(flagship):
    opts = war_options()
    a = compare(flagship, ["pressure-works"], ["tomahawks"], 300, 5, opts)
    b = compare(flagship, ["pressure-works"], ["tomahawks"], 300, 5, opts)
    assert a == b


def test_hypotheses_disagree_about_pressure(flagship):
    """The two readings of the evidence give different lever effects (the point of the model)."""
    out = compare(flagship, ["pressure-works", "limited-leverage"], ["oil-sanctions"], 3000, 0,
                  war_options())
    works = out["hypotheses"]["pressure-works"]["levers"]["oil-sanctions"]["delta_p_agreement"]
    limited = out["hypotheses"]["limited-leverage"]["levers"]["oil-sanctions"]["delta_p_agreement"]
    assert works["13"]["ci95"][0] > 0
    assert works["13"]["mean"] > limited["13"]["mean"]


def test_disengagement_moves_terms_toward_russia(flagship):
    opts = war_options()
    base = run_variant(flagship, "limited-leverage", (), 3000, 0, opts)
    alone = run_variant(flagship, "limited-leverage", ("us-disengagement",), 3000, 0, opts)
    assert np.nanmean(alone.outcome.share) > np.nanmean(base.outcome.share)


def test_simulate_json_and_human(flagship):
    result = runner.invoke(app, ["simulate", str(FLAGSHIP), "--runs", "500", "--lever",
                                 "tomahawks", "--hypothesis", "pressure-works", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["levers"] == ["tomahawks"] and len(out["agreement_curve"]) == 104
    human = runner.invoke(app, ["simulate", str(FLAGSHIP), "--runs", "300", "--horizon", "30"])
    assert human.exit_code == 0 and "Chance an agreement is in force" in human.output


# -- bad input in the war part -------------------------------------------------------------------

def _fails(tmp_path: Path, text: str, *needles: str, command: str = "validate") -> None:
    path = tmp_path / "w.yaml"
    path.write_text(text)
    result = runner.invoke(app, [command, str(path)] if command == "validate" else
                           [command, str(path), "--runs", "10"])
    assert result.exit_code == 2, result.output
    joined = " ".join(result.output.split())
    assert "Traceback" not in joined
    for n in needles:
        assert n in joined, (n, joined)


def test_lever_with_unknown_parameter(tmp_path):
    _fails(tmp_path, TEXT.replace("{param: R.recruitment, mul:", "{param: R.morale, mul:"),
           "effects[1].param", "unknown parameter", "'R.morale'", "R.cost")


def test_lever_start_outside_horizon(tmp_path):
    _fails(tmp_path, TEXT.replace("    start: 8\n", "    start: 200\n"), "levers[1].start",
           "must lie in [0, 103]", "200")


def test_probability_outside_unit_interval(tmp_path):
    _fails(tmp_path, TEXT.replace("collapse: {value: 0.0005, assumption: \"a sudden collapse of "
                                  "Russia's", "collapse: {value: 1.5, assumption: \"a sudden "
                                  "collapse of Russia's"), "R.collapse", "[0, 1]", "1.5")
    _fails(tmp_path, TEXT.replace("credibility: {dist: triangular, lo: 0.0, mode: 0.03, hi: 0.1,",
                                  "credibility: {dist: triangular, lo: 0.0, mode: 0.03, hi: 1.35,"),
           "deadline.credibility", "credibility (a probability) must lie in [0, 1]")


def test_hypothesis_naming_unknown_lever(tmp_path):
    _fails(tmp_path, TEXT.replace("      tomahawks: {value: 0.4,", "      patriots: {value: 0.4,"),
           "lever_scale.patriots", "names an unknown lever", "oil-sanctions")


def test_war_state_that_does_not_add_up(tmp_path):
    _fails(tmp_path, TEXT.replace("start: {dist: triangular, lo: 10, mode: 11, hi: 12,",
                                  "start: {dist: triangular, lo: 10, mode: 11, hi: 21,"),
           "war.front.start", "must lie in (0, 20]")
    _fails(tmp_path, TEXT.replace("forces: {dist: triangular, lo: 600, mode: 700, hi: 750,",
                                  "forces: {dist: triangular, lo: -600, mode: 700, hi: 750,"),
           "war.sides.R.forces", "must lie in (0, inf]")
    _fails(tmp_path, TEXT.replace("  R: RU\n  U: UA\n", "  R: RU\n  U: RU\n"),
           "R and U must be different actors")
    _fails(tmp_path, TEXT.replace("  R: RU\n  U: UA\n", "  R: RU\n  U: KZ\n"),
           "belligerent U is not a defined actor")


def test_unknown_hypothesis_and_lever_on_the_command_line():
    r = runner.invoke(app, ["simulate", str(FLAGSHIP), "--runs", "10", "--hypothesis", "magic"])
    assert r.exit_code == 2 and "unknown hypothesis" in r.output
    r = runner.invoke(app, ["simulate", str(FLAGSHIP), "--runs", "10", "--lever", "nukes"])
    assert r.exit_code == 2 and "unknown lever" in r.output
    r = runner.invoke(app, ["compare", str(FLAGSHIP), "--runs", "10", "--levers", "a,b"])
    assert r.exit_code == 2 and "unknown levers" in r.output


def test_horizon_shorter_than_a_lever_start_is_refused():
    r = runner.invoke(app, ["simulate", str(FLAGSHIP), "--runs", "10", "--horizon", "5",
                            "--lever", "tomahawks"])
    assert r.exit_code == 2
    assert "starts in week 8, outside the 5-week horizon" in " ".join(r.output.split())


def test_war_option_errors():
    r = runner.invoke(app, ["simulate", str(FLAGSHIP), "--runs", "10", "-O", "variant=chaos"])
    assert r.exit_code == 2 and "must be one of" in r.output
