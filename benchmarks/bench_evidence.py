"""Speed of evidence extraction (issue 16). Run: ``.venv/bin/python benchmarks/bench_evidence.py``.

Times the first extraction in the process (it builds the spaCy pipeline and dateparser's
tables) apart from the warm ones, over our three test articles and, when present, the three
corpus articles; prints characters per second.
"""

from __future__ import annotations

import time
from pathlib import Path

from timing import best_of

from detente.evidence.extract import extract
from detente.evidence.read import read_article

ROOT = Path(__file__).resolve().parents[1]
OWN = sorted((ROOT / "tests" / "fixtures" / "evidence").glob("water-treaty-*"))
CORPUS = sorted((ROOT.parent / "shared" / "corpus").glob("*.txt"))


def main() -> None:
    files = OWN + CORPUS
    articles = [read_article(f) for f in files]
    chars = sum(len(p) for a in articles for p in a.paragraphs)
    t0 = time.perf_counter()
    extract(articles[0])
    print(f"first extraction (pipeline build included): {time.perf_counter() - t0:.2f} s")
    warm = best_of(lambda: [extract(a) for a in articles], 5)
    print(f"{len(files)} articles, {chars:,} characters: {warm * 1e3:.0f} ms warm, "
          f"{chars / warm:,.0f} characters/s")


if __name__ == "__main__":
    main()
