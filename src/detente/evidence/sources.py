"""Which article file each scenario source is, and the articles read for a scenario.

A source maps to a file, first found wins: an ARTICLE given on the command line whose file name
is the name of ``sources[].file``; ``sources[].file`` relative to the scenario file; the same
relative to the working directory (the flagship writes ``../shared/corpus/...`` from the
repository root). An ARTICLE that matches no source's file name is read as a source of its own,
with its file stem as id (so ``suggest`` can still point at it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from detente.evidence.extract import Extraction, extract
from detente.evidence.read import read_article


@dataclass
class SourceFile:
    """A scenario source (or an ARTICLE beside them) and the file that holds it."""

    id: str
    file: Path | None
    declared: bool
    date: dt.date | None = None


def locate(scenario: Any, scenario_path: Path, articles: list[Path]) -> list[SourceFile]:
    """Every source of the scenario with its file (None when none is found), then the ARTICLEs
    that match no source."""
    by_name = {a.name: a for a in articles}
    out, used = [], set()
    for src in scenario.sources:
        found = None
        if src.file:
            name = Path(src.file).name
            candidates = [by_name.get(name), scenario_path.parent / src.file, Path(src.file)]
            found = next((c for c in candidates if c is not None and c.is_file()), None)
            if name in by_name and found == by_name[name]:
                used.add(name)
        out.append(SourceFile(src.id, found, True, src.date))
    for a in articles:
        if a.name not in used:
            out.append(SourceFile(_stem_id(a), a, False))
    return out


def _stem_id(path: Path) -> str:
    return "".join(c if c.isalnum() or c in "_.:-" else "-" for c in path.stem) or "article"


def read_sources(located: list[SourceFile], scenario: Any = None,
                 date: dt.date | None = None) -> dict[str, Extraction]:
    """Extract every located file once, keyed by source id (the source's date is the fallback
    article date for relative dates)."""
    out = {}
    for s in located:
        if s.file is not None:
            out[s.id] = extract(read_article(s.file, date, fallback_date=s.date), scenario)
    return out
