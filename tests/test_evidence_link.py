"""Linking articles to a scenario: suggestions for uncited values, citation checks, views."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("spacy")

from detente.cli import app
from detente.evidence.check import support
from detente.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "tests" / "fixtures" / "evidence"
SELVA = HERE / "selva.yaml"
CORPUS = ROOT.parent / "shared" / "corpus"
runner = CliRunner()


def run_json(*args: str) -> dict:
    r = runner.invoke(app, ["evidence", *args, "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_check_grades_each_citation_by_the_documented_rule():
    out = run_json("check", str(SELVA))
    verdicts = {c["field"]: c for c in out["checks"]}
    good = verdicts["stances[0].position.cite[0]"]  # same words and the same 18%
    assert good["support"] == "strong" and good["numbers"] == [18]
    wrong_number = verdicts["actors[1].capability.cite[0]"]  # says 25%, the paragraph 18%
    assert wrong_number["support"] == "none" and wrong_number["missing_numbers"] == [25]
    missing = verdicts["actors[2].capability.cite[0]"]
    assert missing["support"] == "none" and "paragraph 99 does not exist" in missing["reason"]
    off_topic = verdicts["stances[1].position.cite[0]"]
    assert off_topic["support"] == "none" and off_topic["overlap"] < 0.25
    assert set(out["unsupported_values"]) == {"actors[1].capability", "actors[2].capability",
                                              "stances[1].position"}


def test_check_strict_exits_1_only_when_a_value_is_unsupported(tmp_path):
    import yaml

    assert runner.invoke(app, ["evidence", "check", str(SELVA)]).exit_code == 0
    assert runner.invoke(app, ["evidence", "check", str(SELVA), "--strict"]).exit_code == 1
    doc = yaml.safe_load(SELVA.read_text())
    for actor in doc["actors"][1:]:  # drop the wrong-number and missing-paragraph citations
        actor["capability"] = {"value": actor["capability"]["value"], "assumption": "test"}
    doc["stances"][1]["position"] = 22  # and the off-topic one
    for name in ("water-treaty-1.txt", "water-treaty-2.html"):
        shutil.copy(HERE / name, tmp_path / name)
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(doc))
    r = runner.invoke(app, ["evidence", "check", str(good), "--strict"])
    assert r.exit_code == 0, r.output


def test_support_needs_the_numbers_and_the_terms():
    para = "Bestavia gets 18% of the dry-season flow and a $4.2 billion reservoir."
    nums = [18.0, 4.2e9]
    assert support("Bestavia gets 18% of the dry-season flow", para, nums).support == "strong"
    assert support("Bestavia gets 19% of the dry-season flow", para, nums).support == "none"
    assert support("a reservoir worth $4.2B", para, nums).support in ("strong", "weak")
    assert support("Bestavia's farmers protest loudly in the capital", para,
                   nums).support == "none"
    # British and American spellings meet; stems meet ("mobilised" / "mobilization")
    assert support("no new mobilisation was ordered", "No new mobilization has been ordered.",
                   []).support == "strong"


def test_suggest_ranks_the_paragraph_that_mentions_the_value(tmp_path):
    out = run_json("suggest", str(SELVA))
    gaps = {g["field"]: g for g in out["gaps"]}
    assert "stances[0].position" not in gaps  # it cites already
    assert gaps["stances[4].salience"]["assumption"]  # assumption-only values are gaps too
    reservoir = gaps["stances[3].position"]["suggestions"]  # Aranor on reservoir funding
    assert (reservoir[0]["source"], reservoir[0]["paragraph"]) == ("draft", 4)
    assert any(n["text"] == "$4.2 billion" for n in reservoir[0]["numbers"])
    assert "reservoir" in reservoir[0]["shared"]


def test_suggest_write_adds_cites_to_a_copy_and_never_overwrites(tmp_path):
    before = SELVA.read_text()
    r = runner.invoke(app, ["evidence", "suggest", str(SELVA), "--write", str(SELVA)])
    assert r.exit_code == 2 and "never overwrites" in r.stderr
    out = tmp_path / "sub" / "selva-cited.yaml"
    out.parent.mkdir()
    r = runner.invoke(app, ["evidence", "suggest", str(SELVA), "--write", str(out)])
    assert r.exit_code == 0, r.output
    assert SELVA.read_text() == before
    copy = load_scenario(out)
    assert copy.stances[3].position.cite[0].source == "draft"
    assert copy.stances[3].position.cite[0].confidence == "low"
    assert copy.stances[4].salience.assumption  # assumptions are kept, not replaced
    assert "assumption" in r.stderr
    # the copy's source files still resolve from its own folder
    checked = run_json("check", str(out))
    assert checked["support"]["unchecked"] == 0


def test_view_reads_the_cited_paragraph_at_run_time_with_number_spans():
    from detente.evidence.view import cited_paragraphs

    sc = load_scenario(SELVA)
    views = cited_paragraphs(sc, SELVA)
    (shown,) = views["stances[0].position"]
    assert shown["paragraph"] == 4 and shown["text"].startswith("LUTZ")
    marked = [shown["text"][n["start"]:n["end"]] for n in shown["numbers"]]
    assert marked == ["18%", "$4.2 billion"]
    assert "actors[2].capability" not in views  # paragraph 99 does not exist


def test_flagship_citations_all_point_at_existing_paragraphs():
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    out = run_json("check", str(ROOT / "scenarios" / "ukraine-2025.yaml"),
                   *map(str, sorted(CORPUS.glob("*.txt"))))
    assert not [c for c in out["checks"] if "does not exist" in c["reason"]]
    assert out["support"]["unchecked"] == 2  # the Treasury press release (two values) has no file
    assert out["support"]["strong"] > out["support"]["none"]


def test_min_score_without_write_warns():
    r = runner.invoke(app, ["evidence", "suggest", str(SELVA), "--min-score", "1", "--json"])
    assert r.exit_code == 0 and "--min-score only applies with --write" in r.stderr


def test_corpus_extract_prints_three_articles_numbered_as_citations_count():
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    files = sorted(CORPUS.glob("*.txt"))
    out = run_json("extract", *map(str, files))
    assert [a["paragraphs"] for a in out["articles"]] == [15, 14, 16]
    aug = out["articles"][0]  # the August piece: the $100 billion proposal is paragraph 5
    assert {"paragraph": 5, "value": 100_000_000_000, "unit": "USD", "text": "$100 billion"} \
        in aug["numbers"]


def test_a_scenario_whose_articles_are_missing_warns_and_checks_nothing(tmp_path):
    lonely = tmp_path / "selva.yaml"
    shutil.copy(SELVA, lonely)  # without the articles beside it
    r = runner.invoke(app, ["evidence", "check", str(lonely), "--json"])
    assert r.exit_code == 0 and "none of its sources has an article file" in r.stderr
    out = json.loads(r.stdout)
    assert out["support"]["unchecked"] == out["citations"] == 5
    assert out["unsupported_values"] == []


def test_view_text_comes_from_the_file_as_it_is_now(tmp_path):
    from detente.evidence.view import cited_paragraphs

    for name in ("selva.yaml", "water-treaty-1.txt", "water-treaty-2.html"):
        shutil.copy(HERE / name, tmp_path / name)
    article = tmp_path / "water-treaty-1.txt"
    lines = article.read_text(encoding="utf-8").splitlines()
    k = next(i for i, ln in enumerate(lines) if ln.startswith("LUTZ"))
    lines[k] = "LUTZ — The draft now gives Bestavia 21% of the flow."
    article.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sc = load_scenario(tmp_path / "selva.yaml")
    (shown,) = cited_paragraphs(sc, tmp_path / "selva.yaml")["stances[0].position"]
    assert shown["text"] == lines[k]
    assert [(n["value"], n["unit"]) for n in shown["numbers"]] == [(21, "%")]


def test_suggest_runs_on_the_coupled_flagship_whose_tempo_is_keyed_by_month():
    """Regression: keys that are numbers in the file (tempo by calendar month) crashed suggest."""
    corpus = ROOT.parent / "shared" / "corpus"
    if not corpus.is_dir():
        pytest.skip("../shared/corpus is absent")
    result = CliRunner().invoke(app, ["evidence", "suggest", str(ROOT / "scenarios" /
                                      "ukraine-2025.yaml"), "--json"])
    assert result.exit_code == 0, result.output
