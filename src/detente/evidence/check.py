"""Does each cited paragraph say what the citation claims?

For every ``cite:`` of the scenario (on a value, a lever or a hypothesis) the rule is:

1. the source must map to a file (:mod:`detente.evidence.sources`) and the citation must name a
   paragraph, else the citation is ``unchecked`` (not flagged: there is nothing to read);
2. the paragraph must exist, else support is ``none``;
3. every number in ``says`` (as the extractor reads it: "$100B", "1,000 miles", "two weeks") must
   equal, to 1e-6 relative, a number of the paragraph (either end of a range), else ``none``;
4. key terms: the stemmed content words of ``says`` (:mod:`detente.evidence.terms`: stopwords
   and numbers removed). ``overlap`` = share of them found among the paragraph's stems.
   **strong**: overlap >= 0.5 and at least two shared terms; **weak**: overlap >= 0.25;
   **none**: below.

A value is flagged when it has citations and none of them has support (``none`` everywhere,
``unchecked`` ones aside).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from detente.errors import Path as FieldPath
from detente.errors import format_path
from detente.evidence.extract import Extraction, pipeline, stop_words
from detente.evidence.numbers import find_numbers
from detente.evidence.terms import term_forms, terms

STRONG, WEAK = 0.5, 0.25


@dataclass
class CiteCheck:
    """The verdict on one citation."""

    field: str
    source: str
    paragraph: int | None
    file: str | None
    support: str
    overlap: float = 0.0
    shared: list[str] = field(default_factory=list)
    missing_terms: list[str] = field(default_factory=list)
    numbers: list[float] = field(default_factory=list)
    missing_numbers: list[float] = field(default_factory=list)
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def iter_citations(scenario: Any) -> Iterator[tuple[FieldPath, int, Any]]:
    """Every citation with the field path of what it supports and its index there."""
    from detente.scenario.schema import iter_quantities

    for path, q in iter_quantities(scenario):
        for j, c in enumerate(q.cite):
            yield path, j, c
    for kind, records in (("levers", scenario.levers), ("hypotheses", scenario.hypotheses)):
        for k, rec in enumerate(records):
            for j, c in enumerate(rec.cite):
                yield (kind, k), j, c


def numbers_in(text: str) -> list[float | tuple[float, float]]:
    """The values of the numbers the extractor reads in a short text."""
    doc = pipeline()(text.replace("—", " "))
    taken = {i for ent in doc.ents for i in range(ent.start, ent.end)}
    return [n.value for n in find_numbers(doc, taken, set(stop_words()))]


def _number_found(x: float | tuple[float, float],
                  pool: list[float | tuple[float, float]]) -> bool:
    wanted = x if isinstance(x, tuple) else (x,)
    have = [v for p in pool for v in (p if isinstance(p, tuple) else (p,))]
    return all(any(math.isclose(w, h, rel_tol=1e-6) for h in have) for w in wanted)


def support(says: str, paragraph: str, paragraph_numbers: list[Any]) -> CiteCheck:
    """The support verdict of a ``says`` text against a paragraph (source fields left blank)."""
    claim = term_forms(says)
    present = set(terms(paragraph))
    shared = [w for s, w in claim.items() if s in present]
    missing = [w for s, w in claim.items() if s not in present]
    overlap = len(shared) / len(claim) if claim else 0.0
    nums = numbers_in(says)
    # the paragraph's numbers as the extractor reads them, plus its plain numerals: a year the
    # extractor sets aside in the paragraph ("in 2022") may be read as a count in the claim
    numerals = [float(m.replace(",", "")) for m in re.findall(r"\d[\d,]*(?:\.\d+)?", paragraph)]
    lost = [n for n in nums if not _number_found(n, [*paragraph_numbers, *numerals])]
    if lost:
        verdict, reason = "none", "a number of the claim is not in the paragraph"
    elif overlap >= STRONG and len(shared) >= 2:
        verdict, reason = "strong", ""
    elif overlap >= WEAK:
        verdict, reason = "weak", ""
    else:
        verdict, reason = "none", "too few of the claim's key terms are in the paragraph"
    return CiteCheck("", "", None, None, verdict, round(overlap, 3), shared, missing,
                     [_plain(n) for n in nums], [_plain(n) for n in lost], reason)


def _plain(v: Any) -> Any:
    return list(v) if isinstance(v, tuple) else v


def check(scenario: Any, files: dict[str, str | None],
          read: dict[str, Extraction]) -> list[CiteCheck]:
    """Verdicts for every citation; ``files`` maps source ids to file paths (None: not found),
    ``read`` maps them to their extractions."""
    out = []
    for path, j, c in iter_citations(scenario):
        where = format_path((*path, "cite", j))
        file = files.get(c.source)
        if file is None or c.source not in read:
            out.append(CiteCheck(where, c.source, c.paragraph, None, "unchecked",
                                 reason="the source has no article file (sources[].file or an "
                                        "ARTICLE with that file name)"))
            continue
        if c.paragraph is None:
            out.append(CiteCheck(where, c.source, None, file, "unchecked",
                                 reason="the citation names no paragraph"))
            continue
        ex = read[c.source]
        if c.paragraph > len(ex.paragraphs):
            out.append(CiteCheck(where, c.source, c.paragraph, file, "none",
                                 reason=f"paragraph {c.paragraph} does not exist (the article "
                                        f"has {len(ex.paragraphs)})"))
            continue
        para = ex.paragraphs[c.paragraph - 1]
        verdict = support(c.says, para.text, [n.value for n in para.numbers])
        verdict.field, verdict.source, verdict.paragraph, verdict.file = \
            where, c.source, c.paragraph, file
        out.append(verdict)
    return out


def flagged(checks: list[CiteCheck]) -> list[str]:
    """Fields whose every checked citation has no support."""
    by_value: dict[str, list[str]] = {}
    for c in checks:
        value = c.field.rsplit(".cite", 1)[0]
        by_value.setdefault(value, []).append(c.support)
    return [v for v, s in by_value.items()
            if any(x != "unchecked" for x in s) and all(x in ("none", "unchecked") for x in s)]
