"""Precision and recall of the extractor against our gold annotations, per kind.

Gold files (tests/fixtures/evidence/gold/) hold paragraph numbers, character offsets and
normalised values only; the matching rule is in :mod:`detente.evidence.score`. Our two articles
(a fictional water treaty) always run; the three corpus articles run when ../shared/corpus is
present. Print the table with ``pytest tests/test_evidence_quality.py -s -q``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

pytest.importorskip("spacy")

from detente.evidence.extract import extract
from detente.evidence.read import read_article
from detente.evidence.score import KINDS, tally

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "tests" / "fixtures" / "evidence"
CORPUS = ROOT.parent / "shared" / "corpus"
OWN = ["water-treaty-1.txt", "water-treaty-2.html", "water-treaty-3.txt",
       "water-treaty-4.txt"]
CORPUS_FILES = ["000_1f84c9ea529f6d72.txt", "002_7c745b728caeb8e4.txt",
                "003_4ea49e6627755330.txt"]

# Floors (precision, recall), set below what we measured so a regression fails, not noise.
FLOORS_OWN = {"quotes": (0.9, 0.9), "speakers": (0.85, 0.85), "numbers": (0.9, 0.9),
              "dates": (0.9, 0.9)}
FLOORS_CORPUS = {"quotes": (0.9, 0.75), "speakers": (0.9, 0.75), "numbers": (0.85, 0.75),
                 "dates": (0.9, 0.9)}


def scored(folder: Path, names: list[str]) -> dict[str, dict[str, float]]:
    pairs = []
    for name in names:
        gold = json.loads((HERE / "gold" / f"{Path(name).stem}.json").read_text())
        article = read_article(folder / name, dt.date.fromisoformat(gold["date"]))
        assert article.sha256 == gold["sha256"], f"{name} is not the annotated text"
        assert len(article.paragraphs) == gold["paragraphs"]
        pairs.append((extract(article), gold))
    result = tally(pairs)
    for kind in KINDS:
        r = result[kind]
        print(f"{folder.name:>10} {kind:<9} precision {r['precision']:.2f} "
              f"({r['matched']}/{r['found']})  recall {r['recall']:.2f} "
              f"({r['matched']}/{r['gold']})")
    return result


def assert_floors(result: dict[str, dict[str, float]], floors: dict[str, tuple[float, float]]):
    low = {k: (round(result[k]["precision"], 2), round(result[k]["recall"], 2))
           for k, (p, r) in floors.items()
           if result[k]["precision"] < p or result[k]["recall"] < r}
    assert not low, f"below the floors {floors}: {low}"


def test_own_articles_meet_the_floors():
    assert_floors(scored(HERE, OWN), FLOORS_OWN)


def test_corpus_articles_meet_the_floors():
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    assert_floors(scored(CORPUS, CORPUS_FILES), FLOORS_CORPUS)


def test_scoring_counts_misses_and_false_alarms():
    """The scorer itself: a wrong value or a shifted span is a miss and a false alarm."""
    from detente.evidence.score import matches

    gold = [{"paragraph": 1, "start": 0, "end": 5, "value": 18.0, "unit": "%"}]
    assert matches([{"paragraph": 1, "start": 2, "end": 9, "value": 18.0, "unit": "%"}],
                   gold, "numbers") == 1
    assert matches([{"paragraph": 1, "start": 0, "end": 5, "value": 15.0, "unit": "%"}],
                   gold, "numbers") == 0
    assert matches([{"paragraph": 2, "start": 0, "end": 5, "value": 18.0, "unit": "%"}],
                   gold, "numbers") == 0
    assert matches([{"paragraph": 1, "start": 5, "end": 9, "value": 18.0, "unit": "%"}],
                   gold, "numbers") == 0
