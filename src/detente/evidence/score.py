"""Precision and recall of the extractor against gold annotations (offsets and values only).

A gold file (``tests/fixtures/evidence/gold/*.json``) lists, per article, quotes
``{paragraph, start, end, speaker}`` (speaker: surname in lower case, or null when the article
does not name one), numbers ``{paragraph, start, end, value, unit}`` (value: a number or
``[lo, hi]``) and dates ``{paragraph, start, end, date, partial}``. A found item matches a gold
item of the same paragraph when their character spans overlap and:

* quotes: nothing more; speakers: the found speaker's last word is the gold surname (or both are
  null);
* numbers: the values agree to 1e-6 relative (both ends of a range) and the units are equal;
* dates: the ISO strings and the partial flags are equal.

Each gold item matches at most one found item. Precision = matched / found, recall = matched /
gold, summed over the articles scored.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from detente.evidence.extract import Extraction

KINDS = ("quotes", "speakers", "numbers", "dates")


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, list | tuple) or isinstance(b, list | tuple):
        return (isinstance(a, list | tuple) and isinstance(b, list | tuple) and len(a) == len(b)
                and all(_close(x, y) for x, y in zip(a, b, strict=True)))
    return math.isclose(float(a), float(b), rel_tol=1e-6)


def _surname(name: str | None) -> str | None:
    return None if name is None else name.split()[-1].lower()


def found_items(ex: Extraction) -> dict[str, list[dict[str, Any]]]:
    """The extractor's output as gold-shaped records."""
    out: dict[str, list[dict[str, Any]]] = {k: [] for k in KINDS}
    for p in ex.paragraphs:
        for q in p.quotes:
            rec = {"paragraph": p.number, "start": q.start, "end": q.end,
                   "speaker": _surname(q.speaker)}
            out["quotes"].append(rec)
            out["speakers"].append(rec)
        for n in p.numbers:
            out["numbers"].append({"paragraph": p.number, "start": n.start, "end": n.end,
                                   "value": n.value, "unit": n.unit})
        for d in p.dates:
            out["dates"].append({"paragraph": p.number, "start": d.start, "end": d.end,
                                 "date": d.date, "partial": d.partial})
    return out


AGREE: dict[str, Callable[[dict[str, Any], dict[str, Any]], bool]] = {
    "quotes": lambda f, g: True,
    "speakers": lambda f, g: f["speaker"] == g["speaker"],
    "numbers": lambda f, g: _close(f["value"], g["value"]) and f["unit"] == g["unit"],
    "dates": lambda f, g: f["date"] == g["date"] and f["partial"] == g["partial"],
}


def matches(found: list[dict[str, Any]], gold: list[dict[str, Any]], kind: str) -> int:
    """How many gold items are matched one-to-one by found items."""
    used: set[int] = set()
    hits = 0
    for g in gold:
        for k, f in enumerate(found):
            if k in used or f["paragraph"] != g["paragraph"]:
                continue
            if f["start"] < g["end"] and g["start"] < f["end"] and AGREE[kind](f, g):
                used.add(k)
                hits += 1
                break
    return hits


def tally(pairs: list[tuple[Extraction, dict[str, Any]]]) -> dict[str, dict[str, float]]:
    """Per kind: matched, found, gold, precision and recall over all (extraction, gold) pairs."""
    out = {}
    for kind in KINDS:
        hit = n_found = n_gold = 0
        for ex, gold in pairs:
            found = found_items(ex)[kind]
            wanted = gold["quotes"] if kind == "speakers" else gold[kind]
            hit += matches(found, wanted, kind)
            n_found += len(found)
            n_gold += len(wanted)
        out[kind] = {"matched": hit, "found": n_found, "gold": n_gold,
                     "precision": hit / n_found if n_found else 1.0,
                     "recall": hit / n_gold if n_gold else 1.0}
    return out
